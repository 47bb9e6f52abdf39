// SPDX-License-Identifier: MIT
/*
 * Console on QEMU virt's PL011 (PrimeCell UART, ARM DDI 0183): output polls
 * FR.TXFF and writes DR, input polls FR.RXFE and reads DR. The UART is
 * left as firmware, QEMU or the hypervisor configured it.
 */
#include "internal.h"
#include <lg/board.h>
#include <lg/mmio.h>
#include <lg/sysreg.h>

#define UARTDR 0x00
#define UARTFR 0x18
#define UARTFR_RXFE (1U << 4)
#define UARTFR_TXFF (1U << 5)

static struct lg_rlock uart_lock;

static void uart_putc(char c)
{
	while (mmio_read32(LG_PL011_BASE + UARTFR) & UARTFR_TXFF)
		;
	mmio_write32(LG_PL011_BASE + UARTDR, (uint8_t)c);
}

void uart_write(const char *buf, size_t len)
{
	lg_rlock_acquire(&uart_lock);
	for (size_t i = 0; i < len; i++) {
		if (buf[i] == '\n')
			uart_putc('\r');
		uart_putc(buf[i]);
	}
	lg_rlock_release(&uart_lock);
}

/* Before the MMU is on: no lock (exclusives need cacheable memory). */
void lg_early_puts(const char *s)
{
	while (*s)
		uart_putc(*s++);
}

int uart_getc(void)
{
	if (mmio_read32(LG_PL011_BASE + UARTFR) & UARTFR_RXFE)
		return -1;
	return (int)(mmio_read32(LG_PL011_BASE + UARTDR) & 0xff);
}
