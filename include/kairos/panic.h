/* SPDX-License-Identifier: MIT */
#ifndef KAIROS_PANIC_H
#define KAIROS_PANIC_H

#include <kairos/compiler.h>

/**
 * Stop this CPU after printing why. Only for states the hypervisor itself
 * made impossible; never for anything a guest, a file or the device tree
 * controls (docs/style.md rule 6).
 */
NORETURN void panic(const char *fmt, ...) PRINTF_LIKE(1, 2);

/** Always-on assertion for hypervisor-internal invariants. */
#define CHECK(cond)                                                        \
	do {                                                               \
		if (!(cond))                                               \
			panic("CHECK failed: %s (%s:%d)", #cond, __FILE__, \
			      __LINE__);                                   \
	} while (0)

#endif
