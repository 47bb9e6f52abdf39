// SPDX-License-Identifier: MIT
/* Boot self-test of timerq on each pCPU (see selftest.h). */
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
#define ST_N ARRAY_SIZE(delays_us)
#define ST_MOVED ST_N           /* armed early, then moved late */
#define ST_CANCELLED (ST_N + 1) /* armed, then cancelled */
#define ST_ALL (ST_N + 2)

struct st {
	struct timerq_entry e[ST_ALL];
	uint64_t fired_at[ST_ALL];
	unsigned int fired[ST_ALL]; /* times each entry fired */
	unsigned int order[ST_ALL];
	unsigned int n;
};

static void st_fire(struct timerq_entry *e, uint64_t now)
{
	struct st *st = e->arg;
	unsigned int i = (unsigned int)(e - st->e);

	st->fired_at[i] = now;
	st->fired[i]++;
	if (st->n < ST_ALL)
		st->order[st->n] = i;
	st->n++;
}

static bool wait_all(struct st *st, uint64_t timeout)
{
	arch_irq_disable();
	while (st->n < ST_N + 1 && arch_timer_now() < timeout) {
		arch_wait_for_interrupt();
		arch_irq_enable();
		arch_irq_disable();
	}
	arch_irq_enable();
	return st->n >= ST_N + 1;
}

static bool check(const struct st *st, char *msg, size_t len)
{
	uint64_t late = 0;

	if (st->n != ST_N + 1 || st->fired[ST_CANCELLED]) {
		snprintf(msg, len,
			 "%u callbacks for %u live deadlines (cancelled one fired %u times)",
			 st->n, (unsigned int)ST_N + 1,
			 st->fired[ST_CANCELLED]);
		return false;
	}
	for (unsigned int k = 0; k < st->n; k++) {
		unsigned int i = st->order[k];
		const struct timerq_entry *e = &st->e[i];

		if (st->fired[i] != 1) {
			snprintf(msg, len, "deadline %u fired %u times", i,
				 st->fired[i]);
			return false;
		}
		if (st->fired_at[i] < e->deadline) {
			snprintf(msg, len, "deadline %u fired %llu ticks early",
				 i,
				 (unsigned long long)(e->deadline -
						      st->fired_at[i]));
			return false;
		}
		if (k && (e->deadline < st->e[st->order[k - 1]].deadline ||
			  (e->deadline == st->e[st->order[k - 1]].deadline &&
			   i < st->order[k - 1]))) {
			snprintf(msg, len, "deadline %u fired out of order", i);
			return false;
		}
		if (st->fired_at[i] - e->deadline > late)
			late = st->fired_at[i] - e->deadline;
	}
	snprintf(msg, len,
		 "%u deadlines armed out of order fired in order, none early, none lost, cancelled one silent (max lateness %llu us)",
		 st->n, (unsigned long long)time_ticks_to_us(late));
	return true;
}

bool timerq_selftest(struct timerq *q, char *msg, size_t len)
{
	struct st st;
	uint64_t base;
	bool ok;

	memset(&st, 0, sizeof(st));
	for (unsigned int i = 0; i < ST_ALL; i++)
		timerq_entry_init(&st.e[i], st_fire, &st);
	base = arch_timer_now() + time_us_to_ticks(2000);
	timerq_arm(q, &st.e[ST_MOVED], base + time_us_to_ticks(50));
	timerq_arm(q, &st.e[ST_CANCELLED], base + time_us_to_ticks(250));
	for (unsigned int i = 0; i < ST_N; i++)
		timerq_arm(q, &st.e[i], base + time_us_to_ticks(delays_us[i]));
	timerq_arm(q, &st.e[ST_MOVED], base + time_us_to_ticks(1000));
	timerq_cancel(q, &st.e[ST_CANCELLED]);

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
			 st.n, (unsigned int)ST_N + 1);
		return false;
	}
	return check(&st, msg, len);
}
