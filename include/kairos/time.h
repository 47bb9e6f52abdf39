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

#endif
