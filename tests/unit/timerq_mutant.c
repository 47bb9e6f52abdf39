// SPDX-License-Identifier: MIT
/*
 * core/timerq.c's algorithm with one bug switched in at a time (see
 * timerq_mutant.h). Linked instead of core/timerq.c into
 * test_selftest_mutants only.
 */
#include <arch/cpu.h>
#include <arch/timer.h>
#include <kairos/time.h>
#include <kairos/timerq.h>

#include "timerq_mutant.h"

enum timerq_mutant timerq_mutant;
static bool cancel_ignored;

static uint64_t slack(void)
{
	return timerq_mutant == MUTANT_EARLY ? time_us_to_ticks(20) : 0;
}

void timerq_init(struct timerq *q)
{
	q->head = NULL;
	q->fired = 0;
	cancel_ignored = false;
}

void timerq_entry_init(struct timerq_entry *e, timerq_fn fn, void *arg)
{
	e->deadline = 0;
	e->fn = fn;
	e->arg = arg;
	e->next = NULL;
	e->armed = false;
}

static void unlink(struct timerq *q, struct timerq_entry *e)
{
	for (struct timerq_entry **pp = &q->head; *pp; pp = &(*pp)->next) {
		if (*pp == e) {
			*pp = e->next;
			e->next = NULL;
			e->armed = false;
			return;
		}
	}
}

static void program(const struct timerq *q)
{
	if (q->head)
		arch_timer_hyp_arm(q->head->deadline - slack());
	else
		arch_timer_hyp_stop();
}

void timerq_arm(struct timerq *q, struct timerq_entry *e, uint64_t deadline)
{
	unsigned long flags = arch_irq_save();
	struct timerq_entry **pp = &q->head;

	if (e->armed)
		unlink(q, e);
	e->deadline = deadline;
	if (timerq_mutant == MUTANT_LIFO_EQUAL) {
		while (*pp && (*pp)->deadline < deadline)
			pp = &(*pp)->next;
	} else {
		while (*pp && (*pp)->deadline <= deadline)
			pp = &(*pp)->next;
	}
	e->next = *pp;
	*pp = e;
	e->armed = true;
	program(q);
	arch_irq_restore(flags);
}

bool timerq_cancel(struct timerq *q, struct timerq_entry *e)
{
	unsigned long flags = arch_irq_save();
	bool was = e->armed;

	if (timerq_mutant == MUTANT_CANCEL_NOOP && was && !cancel_ignored)
		cancel_ignored = true;
	else if (was)
		unlink(q, e);
	program(q);
	arch_irq_restore(flags);
	return was;
}

void timerq_expire(struct timerq *q)
{
	unsigned long flags = arch_irq_save();

	for (;;) {
		uint64_t now = arch_timer_now();
		struct timerq_entry *e = q->head;

		if (!e || e->deadline > now + slack())
			break;
		q->head = e->next;
		e->next = NULL;
		e->armed = false;
		q->fired++;
		e->fn(e, now);
		if (timerq_mutant == MUTANT_DOUBLE_FIRE)
			e->fn(e, now);
		if (timerq_mutant == MUTANT_STOP_AFTER_ONE) {
			arch_timer_hyp_stop();
			arch_irq_restore(flags);
			return;
		}
	}
	program(q);
	arch_irq_restore(flags);
}

uint64_t timerq_next_deadline(const struct timerq *q)
{
	return q->head ? q->head->deadline : UINT64_MAX;
}
