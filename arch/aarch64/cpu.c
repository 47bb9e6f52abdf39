// SPDX-License-Identifier: MIT
/* CPU hooks for AArch64 at EL2. */
#include <arch/cpu.h>
#include <arch/timer.h>
#include <asm/sysreg.h>
#include <kairos/cpu.h>

static unsigned int boot_el;

/** Recorded by boot_primary from CurrentEL at entry. */
void arch_set_boot_el(unsigned int el);

void arch_set_boot_el(unsigned int el)
{
	boot_el = el;
}

unsigned int arch_boot_el(void)
{
	return boot_el;
}

struct cpu *arch_cpu_current(void)
{
	return (struct cpu *)(uintptr_t)read_sysreg(tpidr_el2);
}

void arch_cpu_set_current(struct cpu *c)
{
	write_sysreg(tpidr_el2, (uintptr_t)c);
	c->arch.fast_tvt = arch_vtimer_can_trap() ? CNTHCTL_EL1TVT : 0;
}

uint64_t arch_cpu_mpidr(void)
{
	return read_sysreg(mpidr_el1) & MPIDR_AFF_MASK;
}

unsigned long arch_irq_save(void)
{
	unsigned long flags = read_sysreg(daif);

	__asm__ volatile("msr daifset, #2" : : : "memory");
	return flags;
}

void arch_irq_restore(unsigned long flags)
{
	write_sysreg(daif, flags);
}

void arch_irq_enable(void)
{
	__asm__ volatile("msr daifclr, #2" : : : "memory");
}

void arch_irq_disable(void)
{
	__asm__ volatile("msr daifset, #2" : : : "memory");
}

void arch_wait_for_interrupt(void)
{
	/* WFI wakes on a pending interrupt even while PSTATE.I masks it. */
	__asm__ volatile("dsb sy\n wfi" : : : "memory");
}

void arch_cpu_relax(void)
{
	__asm__ volatile("yield" : : : "memory");
}

void arch_cpu_halt(void)
{
	__asm__ volatile("msr daifset, #0xf" : : : "memory");
	arch_timer_hyp_stop();
	for (;;)
		__asm__ volatile("wfi");
}

void arch_trigger_fault(void)
{
	/* Above every mapping (48-bit VA, identity map of RAM and devices). */
	volatile uint64_t *p = (volatile uint64_t *)0xfffffff0000UL;

	(void)*p;
}

bool arch_irq_take_stashed(uint32_t *iar)
{
	struct arch_cpu *a = &arch_cpu_current()->arch;

	if (!(a->stashed_iar & CPU_STASHED_IAR_VALID))
		return false;
	*iar = (uint32_t)a->stashed_iar;
	a->stashed_iar = 0;
	return true;
}
