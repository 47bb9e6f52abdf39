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

bool arch_vtimer_can_trap(void)
{
	return (read_sysreg(id_aa64mmfr0_el1) >> ID_AA64MMFR0_ECV_SHIFT) != 0;
}

void arch_vtimer_trap(bool on)
{
	uint64_t was = read_sysreg(cnthctl_el2);
	uint64_t want = on ? was | CNTHCTL_EL1TVT : was & ~CNTHCTL_EL1TVT;

	/* The eret into the guest synchronizes the write. */
	if (want != was)
		write_sysreg(cnthctl_el2, want);
}

/*
 * At EL2 with HCR_EL2.E2H = 0, CNTV_*_EL0 are the EL1 virtual timer's, and
 * TVAL counts against the virtual count (CNTPCT - CNTVOFF): the guest's.
 */
void arch_vtimer_access(enum arch_vtimer_reg r, bool write, uint64_t *val)
{
	switch (r) {
	case VTIMER_REG_TVAL:
		if (write)
			write_sysreg(cntv_tval_el0, *val & 0xffffffffUL);
		else
			*val = read_sysreg(cntv_tval_el0) & 0xffffffffUL;
		break;
	case VTIMER_REG_CTL:
		if (write)
			write_sysreg(cntv_ctl_el0, *val & 3);
		else
			*val = read_sysreg(cntv_ctl_el0) & 7;
		break;
	case VTIMER_REG_CVAL:
		if (write)
			write_sysreg(cntv_cval_el0, *val);
		else
			*val = read_sysreg(cntv_cval_el0);
		break;
	}
	isb();
}
