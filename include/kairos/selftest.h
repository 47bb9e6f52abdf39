/* SPDX-License-Identifier: MIT */
#ifndef KAIROS_SELFTEST_H
#define KAIROS_SELFTEST_H

#include <kairos/timerq.h>

/** Live deadlines a run can record: the self-test's ten plus a moved one. */
#define TIMERQ_SELFTEST_MAX 11U

/**
 * What a timerq self-test run saw, as plain data so that judging it needs
 * no timer. Live entries are numbered 0 to @live - 1 in the order they were
 * last armed, which is the order equal deadlines must fire in (FIFO).
 */
struct timerq_selftest_run {
	unsigned int live;                       /**< entries that must fire */
	uint64_t deadline[TIMERQ_SELFTEST_MAX];  /**< each one's due count */
	unsigned int fired[TIMERQ_SELFTEST_MAX]; /**< times each one fired */
	uint64_t fired_at[TIMERQ_SELFTEST_MAX];  /**< count at its firing */
	/** Entry numbers in firing order, @n of them (up to the array). */
	unsigned int order[TIMERQ_SELFTEST_MAX];
	unsigned int n;               /**< callbacks run, cancelled one too */
	unsigned int cancelled_fired; /**< times the cancelled entry fired */
};

/**
 * Judge @run: every live deadline fired exactly once, none before its
 * deadline, in deadline order and FIFO among equal ones, and the cancelled
 * entry never. Returns true on success; @msg gets a one-line verdict that
 * names the first defect found, or the maximum lateness on success.
 */
bool timerq_selftest_judge(const struct timerq_selftest_run *run, char *msg,
			   size_t len);

/**
 * Boot self-test of @q on the calling CPU, through the real timer
 * interrupt: deadlines armed out of order must fire in deadline order
 * (FIFO among equal ones), none before its deadline, none lost; a
 * cancelled entry stays silent and a moved one fires once, at its new
 * time. Returns true on success; @msg gets a one-line verdict.
 */
bool timerq_selftest(struct timerq *q, char *msg, size_t len);

#endif
