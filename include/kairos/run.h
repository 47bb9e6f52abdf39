/* SPDX-License-Identifier: MIT */
/*
 * The vCPU run loop (docs/design.md §6): one per pCPU, the same on the
 * hardware and on the host's fake arch. The scheduler (sched.h) decides
 * which vCPU runs; the loop loads it, derives its interrupt lines, fills
 * its list registers, enters it, and acts on what each exit's handler
 * decides (enum vexit_result).
 */
#ifndef KAIROS_RUN_H
#define KAIROS_RUN_H

#include <kairos/compiler.h>
#include <kairos/vexit_result.h>
#include <kairos/vm.h>

/**
 * Guest exits resumed at once in a row after which the run loop has the
 * interrupt controller refresh what it signals (irq_refresh()).
 */
#define RUN_REFRESH_RESUMES 32U

/** This pCPU's run loop; never returns. */
NORETURN void run_loop(void);

/**
 * Run @v, the vCPU loaded on this pCPU, until an exit needs the
 * scheduler (an interrupt at EL2 is handled first): returns what the
 * exit's handler decided, with everything settled. Interrupts masked.
 */
enum vexit_result run_vcpu(struct vcpu *v);

/**
 * Fold @v's list registers back into the vGIC model and re-sample its
 * timer lines, if an exit left them in the hardware (an exit handled
 * without touching interrupt or timer state re-enters without either).
 * A trap handler calls it before it reads or changes @v's pending or
 * active state or its timers. Does nothing for a vCPU run elsewhere.
 */
void run_settle(struct vcpu *v);

/**
 * The guest of @v reached for its acknowledge while the trap the fill
 * asked for (struct vcpu's ack_trap) was armed: settle, re-sample the
 * passthrough lines (vgic_resample()), and let the guest retry the
 * access (the caller does not step over it).
 */
enum vexit_result run_ack_trapped(struct vcpu *v);

/**
 * Whether the loaded @v's WFI waits in hardware (alone on its pCPU, and
 * nothing it may wait for is seen only at its exits) or traps: at each
 * scheduled run, and again when it claims its PMU (trap.c).
 */
void run_wfi_policy(struct vcpu *v);

#endif
