/* SPDX-License-Identifier: MIT */
/*
 * timerq: a per-pCPU deadline queue multiplexing the EL2 physical timer.
 * Everything on a pCPU that needs a timer (scheduler slice end, backup
 * wakeups of descheduled vCPUs, emulated EL1 physical timers, self-tests)
 * queues an entry here; the hardware CVAL always holds the earliest
 * deadline.
 *
 * A queue belongs to one pCPU and is only touched by that pCPU; the
 * functions mask interrupts themselves, so they may be called from thread
 * context or from the timer interrupt. Other CPUs ask through a flag and a
 * kick, never by editing another CPU's queue.
 */
#ifndef KAIROS_TIMERQ_H
#define KAIROS_TIMERQ_H

#include <kairos/types.h>

struct timerq_entry;

/**
 * Called once when an entry's deadline has passed, with interrupts masked.
 * @now is the count sampled when the entry was found due. The callback may
 * re-arm this or any other entry of the same queue.
 */
typedef void (*timerq_fn)(struct timerq_entry *e, uint64_t now);

/** One deadline. Owned by its user; the queue only links it. */
struct timerq_entry {
	uint64_t deadline;         /**< physical count at which it is due */
	timerq_fn fn;              /**< what to do when due */
	void *arg;                 /**< for the callback's use */
	struct timerq_entry *next; /**< queue link, valid while armed */
	bool armed;                /**< linked into a queue */
};

/** A pCPU's queue: entries sorted by deadline, FIFO among equals. */
struct timerq {
	struct timerq_entry *head; /**< earliest deadline, or NULL */
	uint64_t fired;            /**< callbacks run, for statistics */
};

void timerq_init(struct timerq *q);
void timerq_entry_init(struct timerq_entry *e, timerq_fn fn, void *arg);

/** Arm (or move) @e to @deadline and reprogram the hardware if needed. */
void timerq_arm(struct timerq *q, struct timerq_entry *e, uint64_t deadline);

/** Disarm @e. Returns true if it was armed. */
bool timerq_cancel(struct timerq *q, struct timerq_entry *e);

/**
 * Run every entry that is due, then program the hardware for the next one.
 * Called from the EL2 timer interrupt; also safe to call at any time.
 */
void timerq_expire(struct timerq *q);

/** Earliest armed deadline, or UINT64_MAX when the queue is empty. */
uint64_t timerq_next_deadline(const struct timerq *q);

#endif
