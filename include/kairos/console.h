/* SPDX-License-Identifier: MIT */
/*
 * The hypervisor console: formatted output serialised between CPUs, and
 * received characters buffered for the shell.
 */
#ifndef KAIROS_CONSOLE_H
#define KAIROS_CONSOLE_H

#include <kairos/compiler.h>
#include <kairos/log.h>
#include <kairos/types.h>

/** A physical UART driving the console. */
struct console_ops {
	const char *name;
	void (*putc)(void *ctx, char c); /**< blocking transmit */
	int (*getc)(void *ctx);          /**< -1 when nothing is received */
	void *ctx;
};

/** Use @ops for console output from now on. */
void console_register(const struct console_ops *ops);

/** Serialise output between CPUs; call once the MMU is on. */
void console_enable_locking(void);

/**
 * Stop serialising: the crash path uses it because the dying CPU may hold
 * the lock. Output from several CPUs may interleave afterwards.
 */
void console_disable_locking(void);

/**
 * Write @len bytes (used by newlib's _write); an unfinished line of a VM
 * is ended first.
 */
void console_write(const char *s, size_t len);

/** No owner: console_write_line() for a line that is always labelled. */
#define CONSOLE_NOBODY (-1)

/**
 * Write a piece of @owner's line (a VM's id): @s without its newline.
 * When the console's last line is @owner's unfinished one, @s continues
 * it; otherwise that other line is ended first and @s starts a new line
 * after @label. @open: @s does not end the line (no newline after it),
 * and it stays @owner's until anything else is printed - console_write()
 * ends it first, so other output never runs into it.
 */
void console_write_line(int owner, const char *label, const char *s, size_t len,
			bool open);

/** The console's last line is @owner's, unfinished. */
bool console_line_open(int owner);

/** If the console's last line is @owner's unfinished one, end it. */
void console_end_line(int owner);

/**
 * Characters the console's input buffer holds: what a control-channel
 * client may have sent and not yet seen answered (`hello`'s rx_buffer=,
 * docs/control.md) - three whole `put` lines, so that a client keeps the
 * line busy while Kairos takes one.
 */
#define CONSOLE_RX_BUFFER 16383U

/** Drain the UART receiver into the input buffer (UART interrupt). */
void console_rx_poll(void);

/** The next input character without taking it, or -1 if none. */
int console_peek(void);

/** Next buffered input character, or -1. */
int console_getc(void);

/*
 * The console's modes. The user interface (core/ui/) sets them; the
 * devices that print and take input (the vUART) read them, so that they
 * never name the shell or the control channel (docs/design.md, "Layers").
 */

/**
 * Every line is framed for a program (the control channel): guest bytes
 * are encoded and a line is printed whole, never left open.
 */
void console_set_framed(bool on);

/** Lines are framed for a program (see console_set_framed()). */
bool console_framed(void);

/** The VM (its id) console input goes to, or CONSOLE_NOBODY for the shell. */
void console_set_input_owner(int owner);

/** The VM console input goes to, or CONSOLE_NOBODY. */
int console_input_owner(void);

/** @fn runs when a VM's receive FIFO has room again (see below). */
void console_set_input_space_hook(void (*fn)(int owner));

/**
 * VM @owner took input from its receive FIFO: input held back for it may
 * go on. Called by the vUART with no lock held.
 */
void console_input_space(int owner);

#endif
