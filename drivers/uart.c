// SPDX-License-Identifier: MIT
/* The console UART: the driver for the kind the board parser found. */
#include <drivers/uart.h>

const struct console_ops *uart_console(const struct board_uart *u)
{
	switch (u->kind) {
	case BOARD_UART_PL011: return pl011_console(pa_to_ptr(u->reg.base));
	case BOARD_UART_BCM2835_AUX:
		return bcm2835_aux_console(pa_to_ptr(u->reg.base));
	}
	return NULL;
}

bool uart_enable_rx_irq(const struct board_uart *u)
{
	if (u->kind != BOARD_UART_PL011 || !u->intid)
		return false;
	pl011_enable_rx_irq(pa_to_ptr(u->reg.base));
	return true;
}
