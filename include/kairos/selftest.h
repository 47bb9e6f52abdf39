/* SPDX-License-Identifier: MIT */
/*
 * The boot self-tests (core/selftest/): the timerq's and the memory
 * routines'.
 */
#ifndef KAIROS_SELFTEST_H
#define KAIROS_SELFTEST_H

#include <kairos/timerq.h>
#include <kairos/types.h>

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
 * A timerq self-test in progress on one CPU (timerq_selftest_start()).
 * Storage owned by the caller; read @ok and @msg once finished.
 */
struct timerq_selftest {
	struct timerq *q;
	struct timerq_entry e[TIMERQ_SELFTEST_MAX + 1]; /**< and a cancelled */
	struct timerq_entry end; /**< settling time's end, or the timeout */
	uint64_t timeout;        /**< count by which all must have fired */
	struct timerq_selftest_run run;
	/** Called once finished, in a timerq callback; may be NULL. */
	void (*done)(struct timerq_selftest *st);
	void *arg;     /**< the caller's, for @done */
	bool finished; /**< @ok and @msg are final (atomic) */
	bool ok;       /**< the verdict: passed */
	char msg[200]; /**< one-line verdict (see timerq_selftest()) */
};

/**
 * Start a self-test of @q, the calling CPU's queue, through the real timer
 * interrupt, and return at once: the test runs on that CPU's timer
 * interrupts (about 4 ms), while that CPU does other work; then it judges
 * the run and calls @done (if not NULL). Deadlines armed out of order must
 * fire in deadline order (FIFO among equal ones), none before its deadline,
 * none lost; a cancelled entry stays silent and a moved one fires once, at
 * its new time. A timer interrupt that never comes leaves it unfinished.
 */
void timerq_selftest_start(struct timerq_selftest *st, struct timerq *q,
			   void (*done)(struct timerq_selftest *st), void *arg);

/** Whether @st has finished (its verdict is in @ok and @msg). */
bool timerq_selftest_finished(const struct timerq_selftest *st);

/**
 * The same self-test, waiting for its end in WFI (interrupts unmasked):
 * returns true on success; @msg gets a one-line verdict. Fails after 5 s
 * even if the timer interrupt never comes.
 */
bool timerq_selftest(struct timerq *q, char *msg, size_t len);

/** Largest length of the exhaustive part of the memops self-test. */
#define MEMOPS_SELFTEST_MAX_LEN 4096U
/** Size of the random buffer of its second part. */
#define MEMOPS_SELFTEST_BIG ((size_t)256 * 1024)

/**
 * Self-test of arch/memops.h with the CRC implementation in use, against
 * a bitwise CRC32C and byte compares: every source and destination
 * alignment (each of the 8 source alignments with the same and with
 * another destination alignment) and every length from 0 to
 * MEMOPS_SELFTEST_MAX_LEN for the copy, the fused copy and CRC and the
 * CRC alone, with guard bytes around each copy; then random chunks of a
 * MEMOPS_SELFTEST_BIG random buffer, whose CRC taken in pieces must equal
 * the whole; then zeroing. True on success; @msg gets a one-line verdict
 * naming the first defect.
 */
bool memops_selftest(char *msg, size_t len);

/**
 * memops_selftest() with each CRC implementation the CPU has (the
 * instructions, then the tables), restoring the one in use. True when
 * all passed; @msg names each implementation's verdict.
 */
bool memops_selftest_all(char *msg, size_t len);

#endif
