// SPDX-License-Identifier: MIT
/* Kairos's side of newlib's system calls (lib/newlib_syscalls.c). */
#include <kairos/console.h>
#include <kairos/panic.h>
#include <newlib_syscalls.h>

void newlib_output(const char *buf, size_t len)
{
	console_write(buf, len);
}

void newlib_exit(int code)
{
	panic("newlib _exit(%d)", code);
}
