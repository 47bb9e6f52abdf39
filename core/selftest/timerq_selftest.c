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

/*
 * Microseconds from the start, deliberately out of order, one tie (30): the
 * whole run takes about 0.4 ms of the CPU's timer, in the background.
 */
static const uint32_t delays_us[] = { 70, 10, 50, 30, 90, 20, 80, 40, 60, 30 };
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

/* After the last live deadline, a stray extra firing has this long to show. */
#define ST_SETTLE_US 100

static void st_finish(struct timerq_selftest *st)
{
	struct timerq_selftest_run *run = &st->run;

	/*
	 * Masked (a timerq callback): cancelling reprograms the timer, and a
	 * deadline missed during the wait must not fire now and be counted.
	 */
	for (unsigned int i = 0; i < ST_ALL; i++)
		timerq_cancel(st->q, &st->e[i]);
	timerq_cancel(st->q, &st->end);
	if (run->n < ST_LIVE) {
		snprintf(st->msg, sizeof(st->msg),
			 "only %u of %u deadlines fired within 5 s", run->n,
			 ST_LIVE);
		st->ok = false;
	} else {
		st->ok = timerq_selftest_judge(run, st->msg, sizeof(st->msg));
	}
	__atomic_store_n(&st->finished, true, __ATOMIC_RELEASE);
	if (st->done)
		st->done(st);
}

static void st_fire(struct timerq_entry *e, uint64_t now)
{
	struct timerq_selftest *st = e->arg;
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
	/* All in: judge once a stray extra firing has had time to show. */
	if (run->n == ST_LIVE)
		timerq_arm(st->q, &st->end,
			   now + time_us_to_ticks(ST_SETTLE_US));
}

/* The end of the settling time, or the timeout. */
static void st_end(struct timerq_entry *e, uint64_t now)
{
	(void)now;
	st_finish(e->arg);
}

/* Arm live entry @i, recording the deadline it must fire at. */
static void st_arm(struct timerq_selftest *st, unsigned int i,
		   uint64_t deadline)
{
	timerq_arm(st->q, &st->e[i], deadline);
	st->run.deadline[i] = deadline;
}

void timerq_selftest_start(struct timerq_selftest *st, struct timerq *q,
			   void (*done)(struct timerq_selftest *st), void *arg)
{
	unsigned long flags;
	uint64_t base;

	_Static_assert(ARRAY_SIZE(st->e) >= ST_ALL, "entries for the run");
	memset(st, 0, sizeof(*st));
	st->q = q;
	st->done = done;
	st->arg = arg;
	st->run.live = ST_LIVE;
	for (unsigned int i = 0; i < ST_ALL; i++)
		timerq_entry_init(&st->e[i], st_fire, st);
	timerq_entry_init(&st->end, st_end, st);
	/*
	 * Arming is one step: on a loaded host (or under emulation) the
	 * 200 us head start is not guaranteed, and the early deadlines must not
	 * fire before the moves and the cancel they test.
	 */
	flags = arch_irq_save();
	base = arch_timer_now() + time_us_to_ticks(200);
	st->timeout = base + time_us_to_ticks(100) + time_freq() * 5;
	st_arm(st, ST_MOVED, base + time_us_to_ticks(5));
	timerq_arm(q, &st->e[ST_CANCELLED], base + time_us_to_ticks(25));
	for (unsigned int i = 0; i < ST_N; i++)
		st_arm(st, i, base + time_us_to_ticks(delays_us[i]));
	st_arm(st, ST_MOVED, base + time_us_to_ticks(100));
	timerq_cancel(q, &st->e[ST_CANCELLED]);
	timerq_arm(q, &st->end, st->timeout);
	arch_irq_restore(flags);
}

bool timerq_selftest_finished(const struct timerq_selftest *st)
{
	return __atomic_load_n(&st->finished, __ATOMIC_ACQUIRE);
}

bool timerq_selftest(struct timerq *q, char *msg, size_t len)
{
	struct timerq_selftest st;

	timerq_selftest_start(&st, q, NULL, NULL);
	/*
	 * The timeout is also polled: a lost timer interrupt would keep the
	 * timeout's own deadline from firing.
	 */
	arch_irq_disable();
	while (!timerq_selftest_finished(&st) &&
	       arch_timer_now() < st.timeout) {
		arch_wait_for_interrupt();
		arch_irq_enable();
		arch_irq_disable();
	}
	if (!timerq_selftest_finished(&st))
		st_finish(&st);
	arch_irq_enable();
	snprintf(msg, len, "%s", st.msg);
	return st.ok;
}
