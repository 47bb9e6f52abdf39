// SPDX-License-Identifier: MIT
/*
 * Per-pCPU deadline queue on the EL2 physical timer. A sorted singly
 * linked list: a pCPU holds a handful of deadlines (one slice end, one
 * backup wakeup per descheduled vCPU, one emulated ptimer per vCPU), so
 * insertion by walking is cheaper than any tree at this size.
 */
#include <arch/cpu.h>
#include <arch/timer.h>
#include <kairos/timerq.h>

void timerq_init(struct timerq *q)
{
	q->head = NULL;
	q->fired = 0;
}

void timerq_entry_init(struct timerq_entry *e, timerq_fn fn, void *arg)
{
	e->deadline = 0;
	e->fn = fn;
	e->arg = arg;
	e->next = NULL;
	e->armed = false;
}

static bool unlink(struct timerq *q, struct timerq_entry *e)
{
	for (struct timerq_entry **pp = &q->head; *pp; pp = &(*pp)->next) {
		if (*pp == e) {
			*pp = e->next;
			e->next = NULL;
			e->armed = false;
			return true;
		}
	}
	return false;
}

/* The hardware always holds the head's deadline, or is off. */
static void program(const struct timerq *q)
{
	if (q->head)
		arch_timer_hyp_arm(q->head->deadline);
	else
		arch_timer_hyp_stop();
}

void timerq_arm(struct timerq *q, struct timerq_entry *e, uint64_t deadline)
{
	unsigned long flags = arch_irq_save();
	struct timerq_entry **pp = &q->head;
	const struct timerq_entry *old_head = q->head;

	if (e->armed)
		unlink(q, e);
	e->deadline = deadline;
	/* After every entry due no later: FIFO among equal deadlines. */
	while (*pp && (*pp)->deadline <= deadline)
		pp = &(*pp)->next;
	e->next = *pp;
	*pp = e;
	e->armed = true;
	if (q->head != old_head || old_head == e)
		program(q);
	arch_irq_restore(flags);
}

bool timerq_cancel(struct timerq *q, struct timerq_entry *e)
{
	unsigned long flags = arch_irq_save();
	bool was_head = q->head == e;
	bool was = e->armed && unlink(q, e);

	if (was && was_head)
		program(q);
	arch_irq_restore(flags);
	return was;
}

void timerq_expire(struct timerq *q)
{
	unsigned long flags = arch_irq_save();

	for (;;) {
		/* Re-read the counter each round: callbacks take time. */
		uint64_t now = arch_timer_now();
		struct timerq_entry *e = q->head;

		if (!e || e->deadline > now)
			break;
		q->head = e->next;
		e->next = NULL;
		e->armed = false;
		q->fired++;
		e->fn(e, now);
	}
	program(q);
	arch_irq_restore(flags);
}

uint64_t timerq_next_deadline(const struct timerq *q)
{
	return q->head ? q->head->deadline : UINT64_MAX;
}
