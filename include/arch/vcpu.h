/* SPDX-License-Identifier: MIT */
/* Running vCPUs: world switch, context switch, exception injection. */
#ifndef ARCH_VCPU_H
#define ARCH_VCPU_H

#include <kairos/types.h>

struct vcpu;

/** Why arch_vcpu_run() handed control back to the scheduler. */
enum vcpu_exit {
	VCPU_EXIT_IRQ,     /**< a physical interrupt is pending at EL2 */
	VCPU_EXIT_WFI,     /**< the guest waits for an interrupt */
	VCPU_EXIT_YIELD,   /**< WFE: let another vCPU run */
	VCPU_EXIT_RESCHED, /**< its state changed (CPU_OFF, VM stop, ...) */
};

/** Put @v's EL1 state, VMPIDR and stage 2 into this pCPU. */
void arch_vcpu_load(struct vcpu *v);

/** Save @v's EL1 (and FP, if used) state from this pCPU. */
void arch_vcpu_put(struct vcpu *v);

/**
 * Forget @v's state in hardware without saving it (its VM was reset).
 * Its FP registers are no longer considered loaded.
 */
void arch_vcpu_discard(struct vcpu *v);

/**
 * Run the loaded vCPU @v until something needs the scheduler: traps that
 * need no decision (MMIO, HVC, sysregs, FP) are handled inside. Called
 * and returns with interrupts masked.
 */
enum vcpu_exit arch_vcpu_run(struct vcpu *v);

#endif
