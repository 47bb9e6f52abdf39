/* SPDX-License-Identifier: MIT */
#ifndef DRIVERS_UART_H
#define DRIVERS_UART_H

#include <kairos/board.h>
#include <kairos/console.h>

/** Console operations for the board's console UART (works MMU off). */
const struct console_ops *uart_console(const struct board_uart *u);

/** Let the UART raise its interrupt when characters arrive. */
void uart_enable_rx_irq(const struct board_uart *u);

#endif
