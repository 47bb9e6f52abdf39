/* SPDX-License-Identifier: MIT */
/*
 * What the aarch64 world switch keeps per pCPU (struct cpu.arch, first in
 * struct cpu: arch/aarch64/guest.S reaches it through TPIDR_EL2 at the
 * offsets of asm/vcpu_offsets.h).
 */
#ifndef ASM_CPU_ARCH_H
#define ASM_CPU_ARCH_H

#include <kairos/types.h>

struct vcpu_regs;

struct arch_cpu {
	/** Registers of the vCPU in guest context (the world switch's). */
	struct vcpu_regs *guest_regs;
	/*
	 * The virtual timer's EL2 fast path (guest.S's guest_irq), armed
	 * before every entry (arch_vgic_fast_arm()): the list register
	 * value that presents the loaded vCPU's timer interrupt (0: no fast
	 * path this time), the free list register it goes to, the physical
	 * INTID it answers.
	 */
	uint64_t fast_lr;
	uint64_t fast_lr_idx;
	uint64_t fast_intid;
	uint64_t fast_used; /**< the fast path listed it during this run */
	/** bit 63: an IAR the fast path acknowledged that was not the
	 *  timer's, for the interrupt controller driver's next ack */
	uint64_t stashed_iar;
	/**
	 * CNTHCTL_EL2 bits the fast path sets when it presents the timer to
	 * a guest with IRQs masked: EL1TVT with FEAT_ECV, so that a line the
	 * guest lowers before it unmasks is withdrawn (core/vtimer.c's
	 * vtimer_guard(), time-invariants.md T11); 0 without.
	 */
	uint64_t fast_tvt;
	/** the list registers were emptied once (arch_vgic_load()) */
	bool lrs_cleared;
	/** HCR_EL2.TWI is clear for the loaded vCPU (arch_vcpu_wfi_native()) */
	bool wfi_native;
};

/** struct arch_cpu.stashed_iar holds an acknowledged INTID. */
#define CPU_STASHED_IAR_VALID (1UL << 63)

/**
 * Arm the EL2 fast path of @a's CPU for the next entry: when the
 * physical interrupt @hw_intid (the virtual timer's) fires, list register
 * @k gets @lr (an arch_vgic_encode_lr() value) without leaving EL2. @lr 0
 * disarms it. Inline: it runs before every entry.
 */
static inline void arch_vgic_fast_arm(struct arch_cpu *a, uint64_t lr,
				      unsigned int k, uint32_t hw_intid)
{
	a->fast_lr_idx = k;
	a->fast_intid = hw_intid;
	a->fast_lr = lr;
}

/**
 * Disarm it after an exit: true if it listed the interrupt during the
 * run, in list register *@k.
 */
static inline bool arch_vgic_fast_disarm(struct arch_cpu *a, unsigned int *k)
{
	a->fast_lr = 0;
	if (!a->fast_used)
		return false;
	a->fast_used = 0;
	*k = (unsigned int)a->fast_lr_idx;
	return true;
}

#endif
