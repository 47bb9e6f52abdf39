/* SPDX-License-Identifier: MIT */
/*
 * The system calls newlib expects, shared by Kairos and libguest guests:
 * output through the program's console, no input, no files, no
 * processes, a fixed heap. Each program provides the two hooks.
 */
#ifndef LIB_NEWLIB_SYSCALLS_H
#define LIB_NEWLIB_SYSCALLS_H

#include <stddef.h>

/** Write @len bytes to the program's console. */
void newlib_output(const char *buf, size_t len);

/** newlib's _exit: end the program; never returns. */
__attribute__((noreturn)) void newlib_exit(int code);

#endif
