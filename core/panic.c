// SPDX-License-Identifier: MIT
#include <arch/cpu.h>
#include <kairos/console.h>
#include <kairos/cpu.h>
#include <kairos/panic.h>
#include <stdarg.h>
#include <stdio.h>

void panic(const char *fmt, ...)
{
	const struct cpu *c = cpu_current();
	char buf[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	console_disable_locking();
	kprintf("\nkairos: CPU%u: panic: %s\nkairos: CPU%u stopped\n",
		c ? c->id : 0, buf, c ? c->id : 0);
	arch_cpu_halt();
}
