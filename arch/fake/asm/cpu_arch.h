/* SPDX-License-Identifier: MIT */
/* What the fake architecture keeps per pCPU: the WFI trap's setting. */
#ifndef ASM_CPU_ARCH_H
#define ASM_CPU_ARCH_H

#include <kairos/types.h>

struct arch_cpu {
	bool wfi_native; /**< as arch_vcpu_wfi_native() left it */
};

/* No EL2 fast path: nothing is ever listed behind core's back. */
static inline void arch_vgic_fast_arm(struct arch_cpu *a, uint64_t lr,
				      unsigned int k, uint32_t hw_intid)
{
	(void)a;
	(void)lr;
	(void)k;
	(void)hw_intid;
}

static inline bool arch_vgic_fast_disarm(struct arch_cpu *a, unsigned int *k)
{
	(void)a;
	*k = 0;
	return false;
}

#endif
