// SPDX-License-Identifier: MIT
/* EL2 tasks run by the scheduling loops (see task.h). */
#include <kairos/cpu.h>
#include <kairos/sched.h>
#include <kairos/task.h>

/* Registered tasks, newest last; published by a release store of a link. */
static struct task *head;

static bool registered(const struct task *t)
{
	for (const struct task *p = __atomic_load_n(&head, __ATOMIC_ACQUIRE); p;
	     p = p->next)
		if (p == t)
			return true;
	return false;
}

static void timer_expired(struct timerq_entry *e, uint64_t now)
{
	(void)now;
	task_wake(e->arg);
}

void task_register(struct task *t, const char *name, unsigned int cpu,
		   task_fn run)
{
	struct task **pp = &head;

	if (registered(t)) {
		/* Looked at again (a test may have reset cpus[]). */
		__atomic_store_n(&cpus[t->cpu].tasks_due, 1U, __ATOMIC_RELEASE);
		return;
	}
	t->name = name;
	t->run = run;
	t->cpu = cpu;
	t->next = NULL;
	timerq_entry_init(&t->timer, timer_expired, t);
	__atomic_store_n(&t->pending, true, __ATOMIC_RELEASE);
	while (*pp)
		pp = &(*pp)->next;
	__atomic_store_n(pp, t, __ATOMIC_RELEASE);
	/* After the link: the walk this starts finds it. */
	__atomic_store_n(&cpus[cpu].tasks_due, 1U, __ATOMIC_RELEASE);
}

void task_wake(struct task *t)
{
	/* Pending before the kick: the loop the kick starts sees it. */
	__atomic_store_n(&t->pending, true, __ATOMIC_RELEASE);
	__atomic_store_n(&cpus[t->cpu].tasks_due, 1U, __ATOMIC_RELEASE);
	sched_kick(t->cpu);
}

void task_wake_at(struct task *t, uint64_t when)
{
	timerq_arm(&cpus[t->cpu].timerq, &t->timer, when);
}

void task_run_pending(unsigned int cpu)
{
	/* Nothing woken for this pCPU since it last looked: no walk. */
	if (!__atomic_exchange_n(&cpus[cpu].tasks_due, 0U, __ATOMIC_ACQ_REL))
		return;
	for (struct task *t = __atomic_load_n(&head, __ATOMIC_ACQUIRE); t;
	     t = t->next)
		if (t->cpu == cpu &&
		    __atomic_exchange_n(&t->pending, false, __ATOMIC_ACQ_REL))
			t->run(t);
}
