/* SPDX-License-Identifier: MIT */
/* The counter frequency and conversions between ticks and time. */
#ifndef KAIROS_TIME_H
#define KAIROS_TIME_H

#include <kairos/types.h>

/** Record the counter frequency (Hz) used by every conversion. */
void time_init(uint64_t freq);

uint64_t time_freq(void);
uint64_t time_us_to_ticks(uint64_t us);
uint64_t time_ticks_to_us(uint64_t ticks);

/* CNTV_CTL_EL0 / CNTP_CTL_EL0 bits (Arm ARM D11.2.4), for both timers. */
#define TIMER_CTL_ENABLE (1UL << 0)
#define TIMER_CTL_IMASK (1UL << 1)
#define TIMER_CTL_ISTATUS (1UL << 2)

/**
 * The physical count at which a timer of a VM with counter offset
 * @cntvoff reaches @cval (its count is @now - @cntvoff, modulo 2^64 as the
 * hardware computes it): @now if it has. Computed as a delta in the
 * virtual domain (docs/time-invariants.md T5), so that an offset above the
 * physical count does not look like an overflow; beyond 2^64 it saturates
 * at "never" (UINT64_MAX).
 */
uint64_t time_phys_deadline(uint64_t now, uint64_t cntvoff, uint64_t cval);

#endif
