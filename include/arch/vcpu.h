/* SPDX-License-Identifier: MIT */
/* Running vCPUs: world switch, context switch, exception injection. */
#ifndef ARCH_VCPU_H
#define ARCH_VCPU_H

#include <kairos/types.h>
#include <kairos/vexit_result.h>

struct vcpu;

/** How the guest left arch_vcpu_enter(). */
enum vcpu_exit_kind {
	VCPU_EXIT_TRAP,  /**< a synchronous exception: arch_vcpu_trap() */
	VCPU_EXIT_IRQ,   /**< a physical interrupt is pending at EL2 */
	VCPU_EXIT_FATAL, /**< something Kairos cannot continue: @why */
};

/** One exit, as arch_vcpu_enter() saw it. */
struct vcpu_exit {
	enum vcpu_exit_kind kind;
	const char *why;   /**< VCPU_EXIT_FATAL: what happened */
	uint64_t syndrome; /**< VCPU_EXIT_TRAP: arch-defined (ESR_EL2) */
	uint64_t va;       /**< faulting virtual address, if any (FAR_EL2) */
	uint64_t ipa_page; /**< faulting IPA page, if any (HPFAR_EL2) */
};

/** Put @v's EL1 state, VMPIDR and stage 2 into this pCPU. */
void arch_vcpu_load(struct vcpu *v);

/** Save @v's EL1 (and FP, if used) state from this pCPU. */
void arch_vcpu_put(struct vcpu *v);

/**
 * The level of the loaded @v's PMU overflow interrupt: an enabled
 * counter overflowed with its interrupt enabled (PMOVSSET and
 * PMINTENSET, PMCR_EL0.E). False without a PMU.
 */
bool arch_vcpu_pmu_line(const struct vcpu *v);

/**
 * Forget @v's state in hardware without saving it (its VM was reset).
 * Its FP registers are no longer considered loaded.
 */
void arch_vcpu_discard(struct vcpu *v);

/**
 * Whether the loaded @v's WFI traps (the default at every load) or, with
 * @native, waits in hardware for its own interrupt: for a vCPU alone on
 * its pCPU, where a trapped WFI would only idle the pCPU until the same
 * interrupt came (docs/design.md §6). Called before every entry; cheap
 * when nothing changes.
 */
void arch_vcpu_wfi_native(struct vcpu *v, bool native);

/**
 * Enter the loaded vCPU @v, with its list registers as core/run.c wrote
 * them, run it until it exits and describe the exit in *@x. A world switch
 * of its general registers only: its EL1 state stays in the hardware while
 * it is loaded. Called and returns with interrupts masked.
 */
void arch_vcpu_enter(struct vcpu *v, struct vcpu_exit *x);

/**
 * Decode and handle a VCPU_EXIT_TRAP exit of @v (MMIO, HVC/SMC, system
 * registers, FP, WFI/WFE, aborts): returns what happens next.
 */
enum vexit_result arch_vcpu_trap(struct vcpu *v, const struct vcpu_exit *x);

#endif
