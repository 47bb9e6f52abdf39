// SPDX-License-Identifier: MIT
/*
 * The BCM2835/BCM2711 mini-UART (uart1 of the auxiliary block; BCM2711
 * ARM Peripherals §2.2). Its reg is the 0x40-byte AUX_MU_* bank; the boot
 * loader (the Pi firmware with enable_uart=1, or U-Boot) has enabled it in
 * AUXENB and set the baud rate, which follows the VPU clock, so Kairos
 * leaves both alone and only makes sure transmit and receive are on.
 *
 * Receive is polled, never interrupt-driven: the silicon and the datasheet
 * disagree on which AUX_MU_IER bit enables the receive interrupt (the
 * datasheet errata swaps bits 0 and 1, and QEMU's model follows the
 * datasheet), and enabling the wrong one raises a transmit interrupt that
 * never stops. The interrupt is also shared with SPI1 and SPI2.
 */
#include <drivers/uart.h>
#include <kairos/mmio.h>

#define AUX_MU_IO 0x00
#define AUX_MU_IER 0x04
#define AUX_MU_LSR 0x14
#define AUX_MU_CNTL 0x20

#define LSR_DATA_READY (1U << 0)
#define LSR_TX_EMPTY (1U << 5) /* room for one more byte in the FIFO */
#define CNTL_RX_ENABLE (1U << 0)
#define CNTL_TX_ENABLE (1U << 1)

static void aux_putc(void *ctx, char c)
{
	while (!(mmio_read32(ctx, AUX_MU_LSR) & LSR_TX_EMPTY))
		;
	mmio_write32(ctx, AUX_MU_IO, (uint8_t)c);
}

static int aux_getc(void *ctx)
{
	if (!(mmio_read32(ctx, AUX_MU_LSR) & LSR_DATA_READY))
		return -1;
	return (int)(mmio_read32(ctx, AUX_MU_IO) & 0xff);
}

static struct console_ops aux_ops = {
	.name = "bcm2835-aux",
	.putc = aux_putc,
	.getc = aux_getc,
};

const struct console_ops *bcm2835_aux_console(void *base)
{
	uint32_t cntl = mmio_read32(base, AUX_MU_CNTL);
	uint32_t want = CNTL_RX_ENABLE | CNTL_TX_ENABLE;

	/* No interrupt of its own: a boot loader may have left one on. */
	mmio_write32(base, AUX_MU_IER, 0);
	if ((cntl & want) != want)
		mmio_write32(base, AUX_MU_CNTL, cntl | want);
	aux_ops.ctx = base;
	return &aux_ops;
}
