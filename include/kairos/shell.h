/* SPDX-License-Identifier: MIT */
/* The hypervisor's console shell. */
#ifndef KAIROS_SHELL_H
#define KAIROS_SHELL_H

#include <kairos/types.h>

/** A shell command: @run gets the rest of the line after the name. */
struct shell_command {
	const char *name;
	const char *help;
	void (*run)(const char *args);
};

/**
 * Add a table of commands (boot time; a few tables at most). Adding the
 * same table again changes nothing.
 */
void shell_add_commands(const struct shell_command *cmds, size_t n);

/**
 * Add the VM commands (vm list|stop|start|reset|pause|resume|info|
 * migrate|checkpoint|restore|slots) and `ctl` to the shell, register the
 * console task (pCPU 0) and the shell's and the control channel's VM
 * observers (shell first: its message comes before the event line).
 */
void shell_vm_init(void);

/**
 * Take pending console input (the console task, on pCPU 0): Ctrl-A then a
 * key switches where it goes — k: the Kairos shell, 0-7: that VM's UART,
 * Ctrl-A: the next one; everything else goes to the current target.
 */
void shell_poll(void);

/**
 * Console input arrived (the UART's interrupt or polling tick): have the
 * console task take it. Any CPU, any context.
 */
void shell_wake(void);

/**
 * After boot: say how to switch console input (and, @quit if not NULL,
 * how to leave), then give input to the VM if there is exactly one and
 * not @shell_first, else prompt in the Kairos shell.
 */
void shell_console_start(const char *quit, bool shell_first);

/** Index of the VM console input goes to, or -1 for the Kairos shell. */
int shell_input_target(void);

struct vm;
/**
 * Feed one received character; runs a command on end of line. Backspace
 * or DEL erases a character, Ctrl-U the whole line.
 */
void shell_input(char c);

/** Run one command line (without the newline). */
void shell_exec(const char *line);

/**
 * The command running hands the console to another reader (the control
 * channel): no prompt after it.
 */
void shell_hand_over(void);

/** Print the prompt. */
void shell_prompt(void);

#endif
