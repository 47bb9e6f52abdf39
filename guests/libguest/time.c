// SPDX-License-Identifier: MIT
/* Time from the generic timer's virtual counter (CNTVCT_EL0). */
#include <lg/cpu.h>
#include <lg/sysreg.h>

uint64_t time_ticks(void)
{
	isb();
	return read_sysreg(cntvct_el0);
}

uint64_t time_freq(void)
{
	return read_sysreg(cntfrq_el0);
}

uint64_t time_us(void)
{
	uint64_t t = time_ticks();
	uint64_t f = time_freq();

	return t / f * 1000000 + t % f * 1000000 / f;
}

void time_delay_us(uint64_t us)
{
	uint64_t end = time_us() + us;

	while (time_us() < end)
		__asm__ volatile("yield");
}

bool time_wait_for(bool (*cond)(void *arg), void *arg, uint64_t timeout_us)
{
	uint64_t end = time_us() + timeout_us;

	while (!cond(arg)) {
		if (time_us() >= end)
			return cond(arg);
		wfe();
	}
	return true;
}
