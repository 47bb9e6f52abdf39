// SPDX-License-Identifier: MIT
/* The generic timer at EL2: physical counter and CNTHP (Arm ARM D11). */
#include <arch/timer.h>
#include <asm/sysreg.h>

uint64_t arch_timer_now(void)
{
	/* ISB: CNTPCT reads may otherwise be taken early (D11.2.2). */
	isb();
	return read_sysreg(cntpct_el0);
}

uint64_t arch_timer_hw_freq(void)
{
	return read_sysreg(cntfrq_el0) & 0xffffffffUL;
}

void arch_timer_hyp_arm(uint64_t cval)
{
	write_sysreg(cnthp_cval_el2, cval);
	write_sysreg(cnthp_ctl_el2, 1); /* ENABLE, IMASK clear */
	isb();
}

void arch_timer_hyp_stop(void)
{
	write_sysreg(cnthp_ctl_el2, 0);
	isb();
}

void arch_vtimer_load(uint64_t cntvoff, uint64_t cval, uint64_t ctl)
{
	write_sysreg(cntvoff_el2, cntvoff);
	write_sysreg(cntv_cval_el0, cval);
	write_sysreg(cntv_ctl_el0, ctl);
	isb();
}

void arch_vtimer_save(uint64_t *cval, uint64_t *ctl)
{
	*ctl = read_sysreg(cntv_ctl_el0);
	*cval = read_sysreg(cntv_cval_el0);
	write_sysreg(cntv_ctl_el0, 0);
	isb();
}

void arch_vtimer_refresh(uint64_t cntvoff)
{
	write_sysreg(cntvoff_el2, cntvoff);
	isb();
}

void arch_vtimer_read(uint64_t *cval, uint64_t *ctl)
{
	isb();
	*ctl = read_sysreg(cntv_ctl_el0);
	*cval = read_sysreg(cntv_cval_el0);
}
