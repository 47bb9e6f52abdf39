/* SPDX-License-Identifier: MIT */
#ifndef DRIVERS_UART_H
#define DRIVERS_UART_H

#include <kairos/board.h>
#include <kairos/console.h>

/** Console operations for the board's console UART (works MMU off). */
const struct console_ops *uart_console(const struct board_uart *u);

/**
 * Let the UART raise its interrupt (u->intid) when characters arrive.
 * False when it will not: the caller polls it instead.
 */
bool uart_enable_rx_irq(const struct board_uart *u);

/* The drivers behind them; @base is the UART's first register. */

/** Arm PL011. */
const struct console_ops *pl011_console(void *base);
/** Unmask the PL011's receive and receive-timeout interrupts. */
void pl011_enable_rx_irq(void *base);
/** The BCM2835/BCM2711 mini-UART (receive is polled). */
const struct console_ops *bcm2835_aux_console(void *base);

#endif
