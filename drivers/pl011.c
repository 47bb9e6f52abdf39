// SPDX-License-Identifier: MIT
/*
 * Arm PrimeCell UART (PL011) r1p5, TRM DDI 0183. The boot loader has set
 * the baud rate; Kairos only makes sure transmit and receive are enabled.
 */
#include <drivers/uart.h>
#include <kairos/mmio.h>

#define UART_DR 0x00
#define UART_FR 0x18
#define UART_LCR_H 0x2c
#define UART_CR 0x30
#define UART_IMSC 0x38
#define UART_ICR 0x44

#define FR_RXFE (1U << 4)
#define FR_TXFF (1U << 5)
#define LCR_H_FEN (1U << 4)
#define CR_UARTEN (1U << 0)
#define CR_TXE (1U << 8)
#define CR_RXE (1U << 9)
#define INT_RX (1U << 4)
#define INT_RT (1U << 6)

static void pl011_putc(void *ctx, char c)
{
	while (mmio_read32(ctx, UART_FR) & FR_TXFF)
		;
	mmio_write32(ctx, UART_DR, (uint8_t)c);
}

static int pl011_getc(void *ctx)
{
	if (mmio_read32(ctx, UART_FR) & FR_RXFE)
		return -1;
	return (int)(mmio_read32(ctx, UART_DR) & 0xff);
}

static struct console_ops pl011_ops = {
	.name = "pl011",
	.putc = pl011_putc,
	.getc = pl011_getc,
};

const struct console_ops *pl011_console(void *base)
{
	uint32_t cr = mmio_read32(base, UART_CR);
	uint32_t lcr = mmio_read32(base, UART_LCR_H);
	uint32_t want = CR_UARTEN | CR_TXE | CR_RXE;

	if ((cr & want) != want)
		mmio_write32(base, UART_CR, cr | want);
	/*
	 * The FIFOs on (PL011 TRM 3.3.7, LCR_H.FEN), keeping the line
	 * settings the firmware chose, and first thing, as turning them on
	 * empties them: without them the receiver holds one character, and
	 * QEMU's model then hands out two that arrive together in the wrong
	 * order.
	 */
	if (!(lcr & LCR_H_FEN))
		mmio_write32(base, UART_LCR_H, lcr | LCR_H_FEN);
	pl011_ops.ctx = base;
	return &pl011_ops;
}

void pl011_enable_rx_irq(void *base)
{
	mmio_write32(base, UART_ICR, INT_RX | INT_RT);
	mmio_write32(base, UART_IMSC, INT_RX | INT_RT);
}
