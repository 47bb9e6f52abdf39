/* SPDX-License-Identifier: MIT */
/* The hypervisor's console shell. */
#ifndef KAIROS_SHELL_H
#define KAIROS_SHELL_H

#include <kairos/types.h>

/** Feed one received character; runs a command on end of line. */
void shell_input(char c);

/** Run one command line (without the newline). */
void shell_exec(const char *line);

/** Print the prompt. */
void shell_prompt(void);

#endif
