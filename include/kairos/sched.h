/* SPDX-License-Identifier: MIT */
/*
 * The per-pCPU scheduler (docs/design.md §6): fixed priorities, round robin
 * within a priority, a time slice from timerq only when vCPUs share the
 * pCPU; a vCPU in WFI leaves the run queue until something is pending.
 */
#ifndef KAIROS_SCHED_H
#define KAIROS_SCHED_H

#include <kairos/vm.h>

/** Time slice when vCPUs share a pCPU. */
#define SCHED_SLICE_US 10000

/** Place @v on its pCPU's run queue (boot, before the pCPU schedules). */
bool sched_place(struct vcpu *v);

/** Ask pCPU @pcpu to re-evaluate what it runs (flag, then kick). */
void sched_kick(unsigned int pcpu);

/** Make @v ready if it was blocked, and kick its pCPU. */
void sched_wake(struct vcpu *v);

/**
 * Move @v to pCPU @pcpu (any CPU may ask). Its pCPU puts it, cancels its
 * deadlines there, and hands it over before it runs again; a vCPU blocked
 * in WFI resumes on the new pCPU (WFI may complete spuriously) and blocks
 * there again, its backup deadline now on that pCPU's timerq. Returns
 * NULL once asked, or why it cannot be.
 */
const char *sched_migrate(struct vcpu *v, unsigned int pcpu);

/**
 * Hold @vm (boot CPU, from its scheduling loop, e.g. the shell): every
 * pCPU puts the vCPUs of @vm it has loaded, cancels their backup and
 * ptimer deadlines, and runs them no more. Returns when all are parked:
 * their whole state is in memory and no exit of theirs is being handled.
 */
void sched_hold_vm(struct vm *vm);

/**
 * Let a held @vm run again, all its vCPUs together. A vCPU that was
 * blocked in WFI is made ready (WFI completes spuriously).
 */
void sched_release_vm(struct vm *vm);

/** This pCPU's scheduling loop; never returns. */
NORETURN void sched_loop(void);

#endif
