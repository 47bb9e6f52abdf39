// SPDX-License-Identifier: MIT
/* Secondary CPUs: PSCI CPU_ON with the CPU index as context id. */
#include "internal.h"
#include <lg/board.h>
#include <lg/cpu.h>
#include <lg/psci.h>
#include <lg/sysreg.h>
#include <lg/test.h>
#include <stdio.h>

/** What a secondary CPU runs when it comes up. */
struct smp_slot {
	cpu_entry_t fn;
	void *arg;
};

static struct smp_slot smp_slots[LG_MAX_CPUS];

int32_t cpu_start(unsigned int idx, cpu_entry_t fn, void *arg)
{
	if (idx >= board_cpu_count() || idx == cpu_index())
		return PSCI_RET_INVALID_PARAMS;
	smp_slots[idx].fn = fn;
	smp_slots[idx].arg = arg;
	/* The new CPU reads its slot with its MMU and caches on: coherent. */
	__asm__ volatile("dsb ish" ::: "memory");
	return psci_cpu_on(board_cpu_mpidr(idx),
			   (uint64_t)(uintptr_t)lg_secondary_entry, idx);
}

void lg_secondary_main(unsigned int idx)
{
	struct smp_slot slot = smp_slots[idx];
	int32_t ret;

	if (slot.fn)
		slot.fn(slot.arg);
	ret = psci_cpu_off();
	printf("libguest: CPU%u: PSCI CPU_OFF returned %d\n", idx, (int)ret);
	test_abort("PSCI CPU_OFF returned");
}
