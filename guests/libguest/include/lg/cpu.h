/* SPDX-License-Identifier: MIT */
/* CPUs (indexes follow the DTB's /cpus order) and time. */
#ifndef LG_CPU_H
#define LG_CPU_H

#include <stdbool.h>
#include <stdint.h>

/** Index of the calling CPU (TPIDRRO_EL0, so EL0 code can read it too). */
static inline unsigned int cpu_index(void)
{
	uint64_t idx;

	__asm__ volatile("mrs %0, tpidrro_el0" : "=r"(idx));
	return (unsigned int)idx;
}

/** A function a secondary CPU runs; the CPU turns itself off after it. */
typedef void (*cpu_entry_t)(void *arg);

/**
 * Starts CPU @idx with PSCI CPU_ON (context id = @idx) running fn(arg);
 * returns the PSCI result.
 */
int32_t cpu_start(unsigned int idx, cpu_entry_t fn, void *arg);

/** Counter ticks (CNTVCT_EL0) and their frequency (CNTFRQ_EL0). */
uint64_t time_ticks(void);
uint64_t time_freq(void);
/** Microseconds since an arbitrary origin. */
uint64_t time_us(void);
/** Busy-waits @us microseconds. */
void time_delay_us(uint64_t us);

/**
 * Polls cond(arg) until it holds or @timeout_us passes, waiting with WFE
 * in between (so a waker should SEV); returns whether it held.
 */
bool time_wait_for(bool (*cond)(void *arg), void *arg, uint64_t timeout_us);

#endif
