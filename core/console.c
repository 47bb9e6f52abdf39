// SPDX-License-Identifier: MIT
/*
 * Console output serialised between CPUs, and an input ring that holds
 * three whole control-channel `put` lines (docs/control.md).
 */
#include <kairos/console.h>
#include <kairos/spinlock.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* One slot stays empty: a full ring holds CONSOLE_RX_BUFFER characters. */
#define RX_RING (CONSOLE_RX_BUFFER + 1U)

static const struct console_ops *dev;
static struct spinlock lock = SPINLOCK_INIT;
static bool locking;
static char rx_ring[RX_RING];
static unsigned int rx_head, rx_tail; /* head: next write, tail: next read */
/* Whose unfinished line the console's last line is, or CONSOLE_NOBODY. */
static int open_owner = CONSOLE_NOBODY;

void console_register(const struct console_ops *ops)
{
	dev = ops;
	open_owner = CONSOLE_NOBODY; /* a new console has no line open */
}

void console_enable_locking(void)
{
	locking = true;
}

void console_disable_locking(void)
{
	locking = false;
}

static void write_raw(const char *s, size_t len)
{
	if (!dev)
		return;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\n')
			dev->putc(dev->ctx, '\r');
		dev->putc(dev->ctx, s[i]);
	}
}

/* End an owner's unfinished line before anything else is printed. */
static void close_open_line(void)
{
	if (open_owner != CONSOLE_NOBODY) {
		write_raw("\n", 1);
		open_owner = CONSOLE_NOBODY;
	}
}

void console_write(const char *s, size_t len)
{
	if (locking)
		spin_lock(&lock);
	close_open_line();
	write_raw(s, len);
	if (locking)
		spin_unlock(&lock);
}

void console_write_line(int owner, const char *label, const char *s, size_t len,
			bool open)
{
	if (locking)
		spin_lock(&lock);
	if (open_owner != owner || owner == CONSOLE_NOBODY) {
		close_open_line();
		write_raw(label, strlen(label));
	}
	write_raw(s, len);
	if (!open)
		write_raw("\n", 1);
	open_owner = open ? owner : CONSOLE_NOBODY;
	if (locking)
		spin_unlock(&lock);
}

bool console_line_open(int owner)
{
	return owner != CONSOLE_NOBODY &&
	       __atomic_load_n(&open_owner, __ATOMIC_ACQUIRE) == owner;
}

void console_end_line(int owner)
{
	if (locking)
		spin_lock(&lock);
	if (owner != CONSOLE_NOBODY && open_owner == owner)
		close_open_line();
	if (locking)
		spin_unlock(&lock);
}

int kprintf(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return n;
	console_write(buf,
		      (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
	return n;
}

void console_rx_poll(void)
{
	int c;

	if (!dev || !dev->getc)
		return;
	while ((c = dev->getc(dev->ctx)) >= 0) {
		unsigned int next = (rx_head + 1) % RX_RING;

		if (next == rx_tail) {
			/*
			 * Full: drop, like a UART overrun, but keep a line end
			 * (in place of the newest character), so that the cut
			 * line is answered as one instead of running into the
			 * next (docs/control.md).
			 */
			if (c == '\r' || c == '\n')
				rx_ring[(rx_head + RX_RING - 1) % RX_RING] =
					(char)c;
			continue;
		}
		rx_ring[rx_head] = (char)c;
		__atomic_store_n(&rx_head, next, __ATOMIC_RELEASE);
	}
}

int console_peek(void)
{
	unsigned int head = __atomic_load_n(&rx_head, __ATOMIC_ACQUIRE);

	return rx_tail == head ? -1 : (unsigned char)rx_ring[rx_tail];
}

int console_getc(void)
{
	unsigned int head = __atomic_load_n(&rx_head, __ATOMIC_ACQUIRE);
	int c;

	if (rx_tail == head)
		return -1;
	c = (unsigned char)rx_ring[rx_tail];
	rx_tail = (rx_tail + 1) % RX_RING;
	return c;
}

static bool framed;
static int input_owner = CONSOLE_NOBODY;
static void (*input_space_hook)(int owner);

void console_set_framed(bool on)
{
	__atomic_store_n(&framed, on, __ATOMIC_RELEASE);
}

bool console_framed(void)
{
	return __atomic_load_n(&framed, __ATOMIC_ACQUIRE);
}

void console_set_input_owner(int owner)
{
	__atomic_store_n(&input_owner, owner, __ATOMIC_RELEASE);
}

int console_input_owner(void)
{
	return __atomic_load_n(&input_owner, __ATOMIC_ACQUIRE);
}

void console_set_input_space_hook(void (*fn)(int owner))
{
	__atomic_store_n(&input_space_hook, fn, __ATOMIC_RELEASE);
}

void console_input_space(int owner)
{
	void (*fn)(int) = __atomic_load_n(&input_space_hook, __ATOMIC_ACQUIRE);

	if (fn)
		fn(owner);
}
