/* SPDX-License-Identifier: MIT */
/*
 * The per-pCPU scheduler (docs/design.md §6, docs/user-guide.md
 * "Scheduling"): fixed priorities, round robin within a priority, a time
 * slice from timerq only when vCPUs share the pCPU; a vCPU in WFI leaves
 * the run queue until something is pending.
 *
 * Among equal priorities a vCPU woken with a newly pending interrupt
 * preempts the running one (a wake-up boost) once that one has run
 * SCHED_MIN_RUN_US, until SCHED_MIN_RUN_US after it has taken what it was
 * woken for (for its handler) and at most SCHED_BOOST_US, charged to its
 * own turn; a vCPU whose turn is SCHED_GUARD_US overdrawn gets no boost (the
 * starvation guard), so that one raising interrupts all the time keeps
 * its fair share and no more.
 */
#ifndef KAIROS_SCHED_H
#define KAIROS_SCHED_H

#include <kairos/cpu.h>
#include <kairos/vexit_result.h>
#include <kairos/vm.h>

/** Time slice when vCPUs share a pCPU. */
#define SCHED_SLICE_US 10000

/**
 * A vCPU switched to runs at least this long before a boost preempts it:
 * long enough to take the interrupt it was loaded for, so that two woken
 * vCPUs do not take the pCPU from each other before either enters.
 */
#define SCHED_MIN_RUN_US 100

/**
 * The longest a boost lasts before the turn holder runs on. It ends
 * sooner, SCHED_MIN_RUN_US after the vCPU has taken the interrupts it was
 * boosted for: a busy guest does not keep the pCPU for the rest of it.
 */
#define SCHED_BOOST_US 1000

/**
 * The starvation guard: no boost for a vCPU whose credit is this far
 * below zero; it waits for its round-robin turns, which repay the debt.
 */
#define SCHED_GUARD_US 20000

/**
 * @v, the running vCPU of @c, has taken what it was listed (none of its
 * list registers is left pending, and nothing waited for room): if it is
 * on a boost that preempts others, the boost ends SCHED_MIN_RUN_US from
 * now (if it would end later).
 */
void sched_boost_taken(struct cpu *c, struct vcpu *v);

/** Place @v on its pCPU's run queue (boot, before the pCPU schedules). */
bool sched_place(struct vcpu *v);

/** Ask pCPU @pcpu to re-evaluate what it runs (flag, then kick). */
void sched_kick(unsigned int pcpu);

/** Make @v ready if it was blocked, and kick its pCPU. */
void sched_wake(struct vcpu *v);

/**
 * An interrupt is newly pending for @v: boost it (it preempts an equal
 * that has run SCHED_MIN_RUN_US, unless the guard refuses), then
 * sched_wake() it.
 */
void sched_wake_irq(struct vcpu *v);

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

/* For the run loop (core/run.c), on its own pCPU @c. */

/** Set up @c's scheduling state, before its first sched_next(). */
void sched_cpu_init(struct cpu *c);

/**
 * Decide what @c runs next: hand over vCPUs asked to move, park those of
 * held VMs, charge the one that ran, pick, and make the pick the loaded
 * vCPU with its next decision armed. NULL: nothing is runnable.
 */
struct vcpu *sched_next(struct cpu *c);

/**
 * For the host tests: every pass takes the full pick, never the hand-off
 * (sched_next()), so that both paths' decisions can be compared.
 */
extern bool sched_no_handoff;

/** Nothing is runnable on @c: wait for an interrupt unless kicked. */
void sched_idle(struct cpu *c);

/**
 * @v (loaded here, just folded) executed WFI: block it unless it has an
 * interrupt to take. False: one is pending, @v runs on (the WFI
 * completes at once). True: it is blocked, to be woken by an interrupt or
 * its timers' deadlines (armed here), or ready again because a deadline
 * was already due; either way the loop goes back to the scheduler.
 */
bool sched_wfi(struct vcpu *v);

/** @v, run by @c, stopped running because its handler decided @e. */
void sched_exited(struct cpu *c, struct vcpu *v, enum vexit_result e);

#endif
