// SPDX-License-Identifier: MIT
/*
 * Virtual PL011 (Arm PrimeCell UART PL011 TRM, DDI 0183): the registers
 * guests use — DR, RSR, FR, ILPR, IBRD, FBRD, LCR_H, CR, IFLS, IMSC, RIS,
 * MIS, ICR, DMACR and the ID registers — with byte, halfword and word
 * access. Transmission is instant, so the TX FIFO always reads empty.
 */
#include <kairos/ckpt_format.h>
#include <kairos/console.h>
#include <kairos/profile_virt.h>
#include <kairos/shell.h>
#include <kairos/vuart.h>
#include <stdio.h>
#include <string.h>

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
 * Print the buffered text, after the VM's label unless its line is open
 * already, then @last, in one console write: it must not interleave with
 * other CPUs' output, and a full buffer plus label is longer than what
 * kprintf() formats (256 bytes).
 */
static void emit(struct vm *vm, char last)
{
	struct vuart *u = &vm->uart;
	char buf[VM_NAME_MAX + 3 + VUART_LINE + 1];
	size_t n = 0;

	if (!u->open_line)
		n = (size_t)snprintf(buf, VM_NAME_MAX + 3, "[%s] ",
				     vm->cfg->name);
	memcpy(buf + n, u->line, u->len);
	n += u->len;
	buf[n++] = last;
	console_write(buf, n);
	u->len = 0;
}

/* Finish what is buffered or open as one labelled console line. */
static void print_line(struct vm *vm)
{
	emit(vm, '\n');
	vm->uart.open_line = false;
}

void vuart_flush(struct vm *vm)
{
	spin_lock(&vm->lock);
	if (vm->uart.len || vm->uart.open_line)
		print_line(vm);
	spin_unlock(&vm->lock);
}

/*
 * The VM that has console input streams its output, so prompts without
 * a newline show; the others print whole labelled lines, so VMs do not
 * interleave mid-line.
 */
static void put_char(struct vm *vm, char c)
{
	struct vuart *u = &vm->uart;

	if (c == '\r')
		return;
	if (shell_input_target() == (int)vm->id && c != '\n') {
		emit(vm, c);
		u->open_line = true;
		return;
	}
	if (c == '\n' || u->len == VUART_LINE - 1) {
		if (c != '\n')
			u->line[u->len++] = c;
		print_line(vm);
		return;
	}
	u->line[u->len++] = c;
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
	return ok;
}

static uint32_t ris(const struct vuart *u)
{
	return INT_TX | (u->rx_head != u->rx_tail ? INT_RX | INT_RT : 0);
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
	return true;
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
	return vm_add_mmio(vm, &r);
}
