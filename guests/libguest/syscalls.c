// SPDX-License-Identifier: MIT
/* libguest's side of newlib's system calls (lib/newlib_syscalls.c). */
#include "internal.h"
#include <lg/psci.h>
#include <newlib_syscalls.h>
#include <stdio.h>

void newlib_output(const char *buf, size_t len)
{
	uart_write(buf, len);
}

void newlib_exit(int code)
{
	printf("libguest: exit(%d)\n", code);
	fflush(stdout);
	psci_system_off();
	for (;;)
		__asm__ volatile("wfi");
}
