// SPDX-License-Identifier: MIT
/*
 * Secondary CPU start. CPUs come up one at a time so the boot log reads in
 * order and a CPU that never arrives is named, with a timeout instead of a
 * hang. A waiting CPU sits in WFI: the newcomer kicks it with an SGI.
 */
#include "boot.h"

#include <arch/cpu.h>
#include <arch/mmu.h>
#include <arch/timer.h>
#include <drivers/psci.h>
#include <kairos/config.h>
#include <kairos/console.h>
#include <kairos/cpu.h>
#include <kairos/irq.h>
#include <kairos/run.h>
#include <kairos/time.h>

#define CPU_START_TIMEOUT_S 5

static const char *psci_err_name(int r)
{
	switch (r) {
	case PSCI_NOT_SUPPORTED: return "NOT_SUPPORTED";
	case PSCI_INVALID_PARAMETERS: return "INVALID_PARAMETERS";
	case PSCI_DENIED: return "DENIED";
	case PSCI_ALREADY_ON: return "ALREADY_ON";
	default: return "error";
	}
}

static bool release_spin_table(const struct board_cpu *bc)
{
	volatile uint64_t *slot = pa_to_ptr(bc->release_addr);

	if (!board_in_ram(&board, bc->release_addr, 8) &&
	    !arch_mmu_map(bc->release_addr, 8, MMU_NORMAL_RW))
		return false;
	*slot = (uint64_t)(uintptr_t)secondary_entry;
	/* The waiting CPU reads with its MMU off: push the write to memory. */
	arch_dcache_clean((const void *)slot, sizeof(*slot));
	__asm__ volatile("sev" : : : "memory");
	return true;
}

static bool start_cpu(unsigned int i)
{
	const struct board_cpu *bc = &board.cpus[i];

	if (bc->enable == BOARD_CPU_SPIN_TABLE) {
		if (release_spin_table(bc))
			return true;
		kprintf("kairos: CPU%u (MPIDR 0x%llx): cpu-release-addr 0x%llx cannot be mapped\n",
			i, (unsigned long long)bc->mpidr,
			(unsigned long long)pa_addr(bc->release_addr));
		return false;
	}
	int r = psci_cpu_on(bc->mpidr, (uint64_t)(uintptr_t)secondary_entry, i);

	if (r == PSCI_SUCCESS)
		return true;
	kprintf("kairos: CPU%u (MPIDR 0x%llx): PSCI CPU_ON failed: %s (%d)\n",
		i, (unsigned long long)bc->mpidr, psci_err_name(r), r);
	return false;
}

static void wake_only(struct timerq_entry *e, uint64_t now)
{
	(void)e;
	(void)now;
}

static bool wait_online(unsigned int i)
{
	struct timerq *q = &cpu_current()->timerq;
	struct timerq_entry timeout;
	uint64_t end = arch_timer_now() + time_freq() * CPU_START_TIMEOUT_S;
	bool on;

	timerq_entry_init(&timeout, wake_only, NULL);
	timerq_arm(q, &timeout, end);
	arch_irq_disable();
	while (!(on = __atomic_load_n(&cpus[i].online, __ATOMIC_ACQUIRE)) &&
	       arch_timer_now() < end) {
		arch_wait_for_interrupt();
		arch_irq_enable();
		arch_irq_disable();
	}
	arch_irq_enable();
	timerq_cancel(q, &timeout);
	return on;
}

void smp_start_secondaries(void)
{
	for (unsigned int i = 1; i < cpu_count; i++) {
		if (start_cpu(i) && !wait_online(i))
			kprintf("kairos: CPU%u (MPIDR 0x%llx) did not come online within %d s\n",
				i, (unsigned long long)cpus[i].mpidr,
				CPU_START_TIMEOUT_S);
	}
}

void boot_secondary(unsigned long idx)
{
	struct cpu *c = &cpus[idx];

	arch_cpu_set_current(c);
	if (!boot_cpu_local_init(c))
		boot_stop();
	kprintf("kairos: CPU%u online (MPIDR 0x%llx, EOImode 1)\n", c->id,
		(unsigned long long)c->mpidr);
	boot_cpu_selftest(c);
	__atomic_store_n(&c->online, true, __ATOMIC_RELEASE);
	irq_chip()->send_sgi(0, KICK_SGI);
	run_loop();
}
