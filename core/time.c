// SPDX-License-Identifier: MIT
#include <kairos/time.h>

static uint64_t freq;

void time_init(uint64_t f)
{
	freq = f;
}

uint64_t time_freq(void)
{
	return freq;
}

/* 128-bit intermediates: no overflow for any 64-bit input. */
uint64_t time_us_to_ticks(uint64_t us)
{
	return (uint64_t)((unsigned __int128)us * freq / 1000000U);
}

uint64_t time_ticks_to_us(uint64_t ticks)
{
	if (!freq)
		return 0;
	return (uint64_t)((unsigned __int128)ticks * 1000000U / freq);
}

uint64_t time_phys_deadline(uint64_t now, uint64_t cntvoff, uint64_t cval)
{
	uint64_t vct = now - cntvoff, delta;

	if (vct >= cval)
		return now;
	delta = cval - vct;
	return delta > UINT64_MAX - now ? UINT64_MAX : now + delta;
}
