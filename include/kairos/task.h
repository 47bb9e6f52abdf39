/* SPDX-License-Identifier: MIT */
/*
 * EL2 tasks: work of Kairos itself (the console) that runs in a pCPU's
 * scheduling loop between vCPU runs, not in interrupt context. A task is
 * pinned to one pCPU and runs there when it is pending; whoever has work
 * for it (an interrupt handler, a timerq deadline, another CPU) wakes it,
 * which marks it pending and kicks its pCPU. The scheduler only calls
 * task_run_pending(); it does not know what the tasks are.
 */
#ifndef KAIROS_TASK_H
#define KAIROS_TASK_H

#include <kairos/timerq.h>
#include <kairos/types.h>

struct task;

/** A task's body: does what is pending and returns (never blocks). */
typedef void (*task_fn)(struct task *t);

/** One task. Owned by its user (static storage); the registry links it. */
struct task {
	const char *name;
	task_fn run;
	unsigned int cpu;          /**< the pCPU it runs on */
	bool pending;              /**< woken, not run since (atomic) */
	struct timerq_entry timer; /**< task_wake_at()'s deadline */
	struct task *next;         /**< registry link */
};

/**
 * Register @t (boot, before the scheduling loops run): it runs @run on
 * pCPU @cpu, the first time at that pCPU's next loop iteration (it starts
 * pending, so work that came before it was registered is not missed).
 * Registering the same task again changes nothing.
 */
void task_register(struct task *t, const char *name, unsigned int cpu,
		   task_fn run);

/**
 * Mark @t pending and kick its pCPU. Any CPU, any context (interrupt
 * handlers and timerq callbacks included); waking a pending task again
 * runs it once.
 */
void task_wake(struct task *t);

/**
 * Wake @t at physical count @when (or at once if it has passed), through
 * its pCPU's timerq: called on that pCPU only (the task itself), as the
 * timerq rules. A later call moves the deadline.
 */
void task_wake_at(struct task *t, uint64_t when);

/**
 * Run every pending task of pCPU @cpu once, in registration order (the
 * scheduling loop, with interrupts masked). A task woken while it runs is
 * pending again afterwards and runs at the next call.
 */
void task_run_pending(unsigned int cpu);

#endif
