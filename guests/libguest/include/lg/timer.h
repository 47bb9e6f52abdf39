/* SPDX-License-Identifier: MIT */
/* The EL1 virtual timer (CNTV_*_EL0, Arm ARM D11.2). */
#ifndef LG_TIMER_H
#define LG_TIMER_H

#include <lg/sysreg.h>
#include <stdint.h>

#define CNTV_CTL_ENABLE (1UL << 0)
#define CNTV_CTL_IMASK (1UL << 1)
#define CNTV_CTL_ISTATUS (1UL << 2)

/** The virtual timer's PPI (INTID) from the DTB's arm,armv8-timer node
 * (its third interrupt), or 27 (PPI 11, the usual one) without one. */
unsigned int timer_virt_intid(void);

static inline void timer_virt_set_cval(uint64_t cval)
{
	write_sysreg(cval, cntv_cval_el0);
	isb();
}

static inline void timer_virt_set_ctl(uint64_t ctl)
{
	write_sysreg(ctl, cntv_ctl_el0);
	isb();
}

static inline uint64_t timer_virt_ctl(void)
{
	isb();
	return read_sysreg(cntv_ctl_el0);
}

#endif
