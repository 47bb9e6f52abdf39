// SPDX-License-Identifier: MIT
/*
 * Virtual PL011 (Arm PrimeCell UART PL011 TRM, DDI 0183): the registers
 * guests use — DR, RSR, FR, ILPR, IBRD, FBRD, LCR_H, CR, IFLS, IMSC, RIS,
 * MIS, ICR, DMACR and the ID registers — with byte, halfword and word
 * access. Transmission is instant, so the TX FIFO always reads empty.
 */
#include <arch/timer.h>
#include <kairos/ckpt_format.h>
#include <kairos/console.h>
#include <kairos/cpu.h>
#include <kairos/profile_virt.h>
#include <kairos/time.h>
#include <kairos/vdev.h>
#include <kairos/vgic.h>
#include <stdio.h>
#include <string.h>

#include "vdev_priv.h"

#define UART_DR 0x000
#define UART_RSR 0x004
#define UART_FR 0x018
#define UART_ILPR 0x020
#define UART_IBRD 0x024
#define UART_FBRD 0x028
#define UART_LCR_H 0x02c
#define UART_CR 0x030
#define UART_IFLS 0x034
#define UART_IMSC 0x038
#define UART_RIS 0x03c
#define UART_MIS 0x040
#define UART_ICR 0x044
#define UART_DMACR 0x048
#define UART_ID 0xfe0

#define FR_RXFE (1U << 4)
#define FR_TXFE (1U << 7)
#define INT_RX (1U << 4)
#define INT_TX (1U << 5)
#define INT_RT (1U << 6)

/* The receive ring keeps one slot empty: it holds what an image may. */
_Static_assert(sizeof(((struct vuart *)0)->rx) == CKPT_UART_RX_CAP + 1,
	       "the receive ring holds CKPT_UART_RX_CAP bytes");

/* PeriphID0-3 and PCellID0-3 of a PL011 r1p5. */
static const uint8_t uart_id[8] = { 0x11, 0x10, 0x14, 0x00,
				    0x0d, 0xf0, 0x05, 0xb1 };

void vuart_reset(struct vuart *u)
{
	memset(u, 0, sizeof(*u));
	u->cr = 0x300; /* TXE | RXE, as at reset */
	u->ifls = 0x12;
}

/*
 * How a byte shows to the operator: tab and printable bytes (UTF-8
 * included) as they are, other control characters as \xNN, so that a
 * guest cannot move the cursor, clear the screen or reprogram the
 * terminal. A backspace that has something of this line to erase stays
 * one (line editors echo it), one that would eat the label does not.
 */
static size_t show_byte(struct vuart *u, unsigned char c, char *out)
{
	if (c == '\b' && u->col) {
		u->col--;
		out[0] = '\b';
		return 1;
	}
	if ((c < ' ' && c != '\t') || c == 0x7f) {
		u->col += 4;
		return (size_t)snprintf(out, 5, "\\x%02x", c);
	}
	u->col++;
	out[0] = (char)c;
	return 1;
}

/*
 * The control channel's encoding (docs/control.md): printable ASCII but
 * the backslash as it is, the backslash doubled, every other byte \xNN,
 * so a client gets back exactly the bytes the guest wrote.
 */
static size_t encode_byte(unsigned char c, char *out)
{
	if (c == '\\') {
		out[0] = out[1] = '\\';
		return 2;
	}
	if (c >= ' ' && c < 0x7f) {
		out[0] = (char)c;
		return 1;
	}
	return (size_t)snprintf(out, 5, "\\x%02x", c);
}

/*
 * Print what is buffered, in one console write (it must not interleave
 * with other CPUs' output). @end: the guest ended the line here. Else the
 * line stays open on the console for the rest to follow without a label
 * or, in control mode, where every printed line is whole, it ends with a
 * backslash that says the guest's line goes on.
 */
static void emit(struct vm *vm, bool end)
{
	struct vuart *u = &vm->uart;
	char out[4 * VUART_LINE + 2], label[VM_NAME_MAX + 4];
	bool ctl = console_framed();
	size_t n = 0;

	if (!console_line_open((int)vm->id))
		u->col = 0;
	for (unsigned int i = 0; i < u->len; i++)
		n += ctl ? encode_byte((unsigned char)u->line[i], out + n) :
			   show_byte(u, (unsigned char)u->line[i], out + n);
	if (ctl && !end)
		out[n++] = '\\';
	snprintf(label, sizeof(label), "[%s] ", vm->cfg->name);
	console_write_line((int)vm->id, label, out, n, !end && !ctl);
	u->len = 0;
}

void vuart_flush(struct vm *vm)
{
	spin_lock(&vm->lock);
	if (vm->uart.len)
		emit(vm, false);
	vm->uart.cr_pending = false;
	console_end_line((int)vm->id);
	spin_unlock(&vm->lock);
}

/*
 * Partial lines (a prompt) show after VUART_IDLE_US without output. Each
 * pCPU has one deadline for it, armed when a VM running there leaves a
 * partial line; it prints every partial line that has waited long enough
 * and re-arms for the others.
 */
static struct timerq_entry idle_tick[KAIROS_MAX_CPUS];

static void idle_expired(struct timerq_entry *e, uint64_t now)
{
	const uint64_t idle = time_us_to_ticks(VUART_IDLE_US);
	uint64_t next = UINT64_MAX;

	for (unsigned int i = 0; i < vm_count; i++) {
		struct vm *vm = &vms[i];

		uint64_t due;

		spin_lock(&vm->lock);
		due = vm->uart.last_write + idle;
		if (vm->uart.len && now >= due)
			emit(vm, false);
		else if (vm->uart.len && due < next)
			next = due;
		spin_unlock(&vm->lock);
	}
	if (next != UINT64_MAX)
		timerq_arm(&cpu_current()->timerq, e, next);
}

static void arm_idle(struct vuart *u)
{
	struct cpu *c = cpu_current();
	struct timerq_entry *e = &idle_tick[c->id];

	u->last_write = arch_timer_now();
	if (!e->fn)
		timerq_entry_init(e, idle_expired, NULL);
	if (!e->armed)
		timerq_arm(&c->timerq, e,
			   u->last_write + time_us_to_ticks(VUART_IDLE_US));
}

/* A line end: CR LF (or LF, or a CR alone) ends the line. */
static void end_line(struct vm *vm)
{
	vm->uart.cr_pending = false;
	emit(vm, true);
}

/*
 * Output lines are buffered and printed whole, labelled; a partial line
 * shows after a short idle time (at once for the VM that has console
 * input, so its echo keeps up with typing) and the rest of it follows on
 * the same console line unless something else was printed in between.
 * CR LF is one line end; a CR followed by anything else also ends the
 * line (progress counters rewriting a line show as successive lines). In
 * control mode CR is kept as a byte (the client gets it encoded).
 */
static void put_char(struct vm *vm, char c)
{
	struct vuart *u = &vm->uart;
	bool ctl = console_framed();

	if (c == '\r' && !ctl) {
		u->cr_pending = true;
		return;
	}
	if (c == '\n') {
		end_line(vm);
		return;
	}
	if (u->cr_pending) {
		/* A CR alone: ends a line that has something on it. */
		u->cr_pending = false;
		if (u->len || console_line_open((int)vm->id))
			end_line(vm);
	}
	if (u->len == VUART_LINE)
		emit(vm, false); /* full: print it, the line goes on */
	u->line[u->len++] = c;
	if (!ctl && console_input_owner() == (int)vm->id)
		emit(vm, false);
	else
		arm_idle(u);
}

/*
 * Raw interrupt status. Transmission is instant, so TX is always raised
 * (the FIFO is below any trigger level); RX and the receive timeout are
 * raised while input waits. A guest masks TX when it has nothing to send
 * (Linux's pl011 driver does), so the line is high only with work to do.
 */
static uint32_t ris(const struct vuart *u)
{
	return INT_TX | (u->rx_head != u->rx_tail ? INT_RX | INT_RT : 0);
}

bool vuart_line_level(const struct vuart *u)
{
	return (ris(u) & u->imsc) != 0;
}

void vuart_sync_line(struct vm *vm)
{
	bool level;

	/*
	 * The level is read and set under one lock, so the last update to
	 * reach the vGIC reflects the newest state. vm->lock is not held
	 * across vgic_set_line(): its wake-up takes scheduler locks.
	 */
	spin_lock(&vm->uart_line_lock);
	spin_lock(&vm->lock);
	level = vuart_line_level(&vm->uart);
	spin_unlock(&vm->lock);
	vgic_set_line(&vm->vcpus[0], VIRT_UART_INTID, level);
	spin_unlock(&vm->uart_line_lock);
}

bool vuart_receive(struct vm *vm, char c)
{
	struct vuart *u = &vm->uart;
	unsigned int next = (u->rx_head + 1) % sizeof(u->rx);
	bool ok = false;

	spin_lock(&vm->lock);
	if (next != u->rx_tail) {
		u->rx[u->rx_head] = c;
		u->rx_head = next;
		ok = true;
	}
	spin_unlock(&vm->lock);
	if (ok)
		vuart_sync_line(vm);
	return ok;
}

/* The 32-bit register at @off (word aligned), as a read sees it. */
static uint32_t reg_read(struct vuart *u, uint64_t off)
{
	uint32_t v;

	switch (off) {
	case UART_DR:
		if (u->rx_head == u->rx_tail)
			return 0;
		v = (uint8_t)u->rx[u->rx_tail];
		u->rx_tail = (u->rx_tail + 1) % sizeof(u->rx);
		return v;
	case UART_FR: return FR_TXFE | (u->rx_head == u->rx_tail ? FR_RXFE : 0);
	case UART_IBRD: return u->ibrd;
	case UART_FBRD: return u->fbrd;
	case UART_LCR_H: return u->lcr_h;
	case UART_CR: return u->cr;
	case UART_IFLS: return u->ifls;
	case UART_IMSC: return u->imsc;
	case UART_RIS: return ris(u);
	case UART_MIS: return ris(u) & u->imsc;
	default:
		if (off >= UART_ID && off < UART_ID + 32)
			return uart_id[(off - UART_ID) / 4];
		return 0; /* RSR, ILPR, DMACR, reserved: read as zero */
	}
}

static void reg_write(struct vm *vm, uint64_t off, uint32_t val)
{
	struct vuart *u = &vm->uart;

	switch (off) {
	case UART_DR: put_char(vm, (char)val); break;
	case UART_IBRD: u->ibrd = val & 0xffff; break;
	case UART_FBRD: u->fbrd = val & 0x3f; break;
	case UART_LCR_H: u->lcr_h = val & 0xff; break;
	case UART_CR: u->cr = val & 0xffff; break;
	case UART_IFLS: u->ifls = val & 0x3f; break;
	case UART_IMSC: u->imsc = val & 0x7ff; break;
	default: break; /* RSR/ECR, ICR (nothing latched), read-only: ignored */
	}
}

static bool uart_read(struct vcpu *v, void *dev, uint64_t off, unsigned int len,
		      uint64_t *val)
{
	struct vm *vm = dev;
	uint32_t w;

	(void)v;
	if (len == 8)
		return false; /* the PL011 has no 64-bit registers */
	spin_lock(&vm->lock);
	w = reg_read(&vm->uart, off & ~3UL);
	spin_unlock(&vm->lock);
	if ((off & ~3UL) == UART_DR) {
		vuart_sync_line(vm); /* the FIFO may have emptied */
		console_input_space((int)vm->id);
	}
	*val = (w >> ((off & 3) * 8)) &
	       (len == 4 ? 0xffffffffU : (1U << (len * 8)) - 1);
	return true;
}

static bool uart_write(struct vcpu *v, void *dev, uint64_t off,
		       unsigned int len, uint64_t val)
{
	struct vm *vm = dev;

	(void)v;
	if (len == 8)
		return false;
	if (off & 3)
		return true; /* upper bytes of a register: nothing to do */
	spin_lock(&vm->lock);
	reg_write(vm, off, (uint32_t)val);
	spin_unlock(&vm->lock);
	if (off == UART_IMSC)
		vuart_sync_line(vm);
	return true;
}

void vuart_reset_vm(struct vm *vm)
{
	vuart_reset(&vm->uart);
}

bool vuart_attach(struct vm *vm)
{
	struct mmio_region r = {
		.base = VIRT_UART,
		.size = VIRT_UART_SIZE,
		.read = uart_read,
		.write = uart_write,
		.dev = vm,
	};

	vuart_reset(&vm->uart);
	/* VMs are created before any runs: no idle deadline is armed yet. */
	memset(idle_tick, 0, sizeof(idle_tick));
	return vm_add_mmio(vm, &r);
}
