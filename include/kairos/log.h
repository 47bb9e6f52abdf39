/* SPDX-License-Identifier: MIT */
/*
 * Kairos's log: formatted messages on the hypervisor console. Parts of
 * core that only report (the scheduler, VMs) include this, not the
 * console's own interface.
 */
#ifndef KAIROS_LOG_H
#define KAIROS_LOG_H

#include <kairos/compiler.h>

/** Formatted output; "\n" becomes "\r\n". */
int kprintf(const char *fmt, ...) PRINTF_LIKE(1, 2);

#endif
