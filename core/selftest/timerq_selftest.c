// SPDX-License-Identifier: MIT
/*
 * Boot self-test of timerq on each pCPU (see selftest.h): measuring, which
 * runs the real queue on the real timer interrupt and fills a
 * struct timerq_selftest_run, and judging, which only reads that record.
 */
#include <arch/cpu.h>
#include <arch/timer.h>
#include <kairos/compiler.h>
#include <kairos/selftest.h>
#include <kairos/time.h>
#include <stdio.h>
#include <string.h>

/* Microseconds from the start, deliberately out of order, one tie (300). */
static const uint32_t delays_us[] = { 700, 100, 500, 300, 900,
				      200, 800, 400, 600, 300 };
#define ST_N ((unsigned int)ARRAY_SIZE(delays_us))
#define ST_MOVED ST_N /* armed early, then moved late, so armed last */
#define ST_LIVE (ST_N + 1)
#define ST_CANCELLED ST_LIVE /* armed, then cancelled */
#define ST_ALL (ST_LIVE + 1)

_Static_assert(ST_LIVE <= TIMERQ_SELFTEST_MAX, "run record too small");

/* ---- Judging ---- */

/* Each live entry fired once, the cancelled one never, and nothing else. */
static bool judge_counts(const struct timerq_selftest_run *run, char *msg,
			 size_t len)
{
	if (!run->cancelled_fired) {
		for (unsigned int i = 0; i < run->live; i++) {
			if (run->fired[i] != 1) {
				snprintf(msg, len, "deadline %u fired %u times",
					 i, run->fired[i]);
				return false;
			}
		}
		if (run->n == run->live)
			return true;
	}
	snprintf(msg, len,
		 "%u callbacks for %u live deadlines (cancelled one fired %u times)",
		 run->n, run->live, run->cancelled_fired);
	return false;
}

/*
 * Whether entry @a must fire before entry @b: earlier deadline, or the same
 * one and armed first (entries are numbered in arming order).
 */
static bool due_before(const struct timerq_selftest_run *run, unsigned int a,
		       unsigned int b)
{
	if (run->deadline[a] != run->deadline[b])
		return run->deadline[a] < run->deadline[b];
	return a < b;
}

/*
 * None early, in deadline order, FIFO among equal deadlines; *late gets
 * the largest lateness. judge_counts() has bounded run->n by run->live.
 */
static bool judge_order(const struct timerq_selftest_run *run, uint64_t *late,
			char *msg, size_t len)
{
	unsigned int p = 0; /* the entry that fired before, once k > 0 */

	*late = 0;
	for (unsigned int k = 0; k < run->n; k++) {
		unsigned int i = run->order[k];

		if (i >= run->live) {
			snprintf(msg, len,
				 "callback %u ran unknown deadline %u", k, i);
			return false;
		}
		if (run->fired_at[i] < run->deadline[i]) {
			snprintf(msg, len, "deadline %u fired %llu ticks early",
				 i,
				 (unsigned long long)(run->deadline[i] -
						      run->fired_at[i]));
			return false;
		}
		if (k && !due_before(run, p, i)) {
			snprintf(msg, len, "deadline %u fired out of order", i);
			return false;
		}
		if (run->fired_at[i] - run->deadline[i] > *late)
			*late = run->fired_at[i] - run->deadline[i];
		p = i;
	}
	return true;
}

bool timerq_selftest_judge(const struct timerq_selftest_run *run, char *msg,
			   size_t len)
{
	uint64_t late;

	if (!run->live || run->live > TIMERQ_SELFTEST_MAX) {
		snprintf(msg, len, "run of %u live deadlines, not 1 to %u",
			 run->live, TIMERQ_SELFTEST_MAX);
		return false;
	}
	if (!judge_counts(run, msg, len) || !judge_order(run, &late, msg, len))
		return false;
	snprintf(msg, len,
		 "%u deadlines armed out of order fired in order, none early, none lost, cancelled one silent (max lateness %llu us)",
		 run->n, (unsigned long long)time_ticks_to_us(late));
	return true;
}

/* ---- Measuring ---- */

struct st {
	struct timerq_entry e[ST_ALL];
	struct timerq_selftest_run run;
};

static void st_fire(struct timerq_entry *e, uint64_t now)
{
	struct st *st = e->arg;
	struct timerq_selftest_run *run = &st->run;
	unsigned int i = (unsigned int)(e - st->e);

	if (i == ST_CANCELLED) {
		run->cancelled_fired++;
	} else {
		unsigned int k = run->n - run->cancelled_fired;

		if (k < ARRAY_SIZE(run->order))
			run->order[k] = i;
		run->fired[i]++;
		run->fired_at[i] = now;
	}
	run->n++;
}

/* Arm live entry @i, recording the deadline it must fire at. */
static void st_arm(struct timerq *q, struct st *st, unsigned int i,
		   uint64_t deadline)
{
	timerq_arm(q, &st->e[i], deadline);
	st->run.deadline[i] = deadline;
}

static bool wait_all(struct st *st, uint64_t timeout)
{
	arch_irq_disable();
	while (st->run.n < ST_LIVE && arch_timer_now() < timeout) {
		arch_wait_for_interrupt();
		arch_irq_enable();
		arch_irq_disable();
	}
	arch_irq_enable();
	return st->run.n >= ST_LIVE;
}

bool timerq_selftest(struct timerq *q, char *msg, size_t len)
{
	struct st st;
	unsigned long flags;
	uint64_t base;
	bool ok;

	memset(&st, 0, sizeof(st));
	st.run.live = ST_LIVE;
	for (unsigned int i = 0; i < ST_ALL; i++)
		timerq_entry_init(&st.e[i], st_fire, &st);
	/*
	 * Arming is one step: on a loaded host (or under emulation) the 2 ms
	 * head start is not guaranteed, and the early deadlines must not
	 * fire before the moves and the cancel they test.
	 */
	flags = arch_irq_save();
	base = arch_timer_now() + time_us_to_ticks(2000);
	st_arm(q, &st, ST_MOVED, base + time_us_to_ticks(50));
	timerq_arm(q, &st.e[ST_CANCELLED], base + time_us_to_ticks(250));
	for (unsigned int i = 0; i < ST_N; i++)
		st_arm(q, &st, i, base + time_us_to_ticks(delays_us[i]));
	st_arm(q, &st, ST_MOVED, base + time_us_to_ticks(1000));
	timerq_cancel(q, &st.e[ST_CANCELLED]);
	arch_irq_restore(flags);

	ok = wait_all(&st, base + time_us_to_ticks(1000) + time_freq() * 5);
	/* Let a stray extra firing of anything show up before judging. */
	if (ok) {
		uint64_t settle = arch_timer_now() + time_us_to_ticks(500);

		while (arch_timer_now() < settle)
			;
	}
	/*
	 * Masked: cancelling reprograms the timer, and a deadline missed
	 * during the wait must not fire now and be counted in the verdict.
	 */
	arch_irq_disable();
	for (unsigned int i = 0; i < ST_ALL; i++)
		timerq_cancel(q, &st.e[i]);
	arch_irq_enable();
	if (!ok) {
		snprintf(msg, len, "only %u of %u deadlines fired within 5 s",
			 st.run.n, ST_LIVE);
		return false;
	}
	return timerq_selftest_judge(&st.run, msg, len);
}
