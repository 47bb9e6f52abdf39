// SPDX-License-Identifier: MIT
/*
 * core/task.c: EL2 tasks as the scheduling loop runs them. A task starts
 * pending, runs on its own pCPU only, once per wake however many wakes
 * came, in registration order; a wake kicks its pCPU; a deadline through
 * the timerq wakes it, not before.
 */
#include <kairos/cpu.h>
#include <kairos/irq.h>
#include <kairos/task.h>
#include <kairos/time.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

/* cmocka.h needs <setjmp.h>, <stdarg.h> and <stddef.h> first. */
#include <cmocka.h>

#include "fake.h"
#include "util.h"

/* Which task ran, in order, since the last reset. */
static char ran[32];
static size_t nr_ran;

static void record(struct task *t)
{
	if (nr_ran < sizeof(ran) - 1)
		ran[nr_ran++] = t->name[0];
}

/* Wakes itself the first time it runs (as work arriving meanwhile). */
static unsigned int rewakes;
static void record_and_rewake(struct task *t)
{
	record(t);
	if (rewakes) {
		rewakes--;
		task_wake(t);
	}
}

/* Static: the registry outlives each test, as at boot. */
static struct task a, b, c, r;

static int setup(void **state)
{
	(void)state;
	util_setup(2);
	/* Every test starts from nothing pending (also the shell's task). */
	task_run_pending(0);
	task_run_pending(1);
	memset(ran, 0, sizeof(ran));
	nr_ran = 0;
	return 0;
}

static void test_registered_task_runs_once_at_first(void **state)
{
	(void)state;
	task_register(&a, "a", 0, record);
	task_register(&b, "b", 0, record);
	/* Each starts pending: what came before it registered is taken. */
	task_run_pending(0);
	assert_string_equal(ran, "ab");
	task_run_pending(0);
	assert_string_equal(ran, "ab");
}

static void test_registering_again_changes_nothing(void **state)
{
	(void)state;
	task_register(&a, "a", 0, record);
	task_wake(&a);
	task_run_pending(0);
	task_run_pending(0);
	assert_string_equal(ran, "a");
}

static void test_runs_on_its_own_pcpu_only(void **state)
{
	(void)state;
	task_register(&c, "c", 1, record);
	task_run_pending(0);
	assert_int_equal(nr_ran, 0);
	task_run_pending(1);
	assert_string_equal(ran, "c");
}

static void test_wake_kicks_its_pcpu_and_runs_once(void **state)
{
	unsigned int sgis = fake_sgis(1, IRQ_SGI_KICK);

	(void)state;
	__atomic_store_n(&cpus[1].resched, 0U, __ATOMIC_RELEASE);
	task_wake(&c);
	task_wake(&c);
	/* This code is on CPU0: CPU1 gets its flag and an SGI. */
	assert_int_equal(cpus[1].resched, 1);
	assert_true(fake_sgis(1, IRQ_SGI_KICK) > sgis);
	task_run_pending(1);
	task_run_pending(1);
	assert_string_equal(ran, "c");
}

static void test_tasks_run_in_registration_order(void **state)
{
	(void)state;
	task_wake(&b);
	task_wake(&a);
	task_run_pending(0);
	assert_string_equal(ran, "ab");
}

static void test_wake_while_running_runs_again_next_time(void **state)
{
	(void)state;
	rewakes = 1;
	task_register(&r, "r", 0, record_and_rewake);
	task_run_pending(0);
	assert_string_equal(ran, "r");
	/* Pending again, and the loop was told to go round once more. */
	assert_int_equal(cpus[0].resched, 1);
	task_run_pending(0);
	assert_string_equal(ran, "rr");
	task_run_pending(0);
	assert_string_equal(ran, "rr");
}

static void test_wake_at_wakes_at_the_deadline_not_before(void **state)
{
	uint64_t due = fake_counter_peek() + time_us_to_ticks(200000);

	(void)state;
	task_wake_at(&a, due);
	fake_counter_set(due - 1);
	timerq_expire(&cpus[0].timerq);
	task_run_pending(0);
	assert_int_equal(nr_ran, 0);
	fake_counter_set(due);
	timerq_expire(&cpus[0].timerq);
	task_run_pending(0);
	assert_string_equal(ran, "a");
	/* A deadline moved later replaces the earlier one. */
	task_wake_at(&a, due + 10);
	task_wake_at(&a, due + 1000);
	fake_counter_set(due + 10);
	timerq_expire(&cpus[0].timerq);
	task_run_pending(0);
	assert_string_equal(ran, "a");
	fake_counter_set(due + 1000);
	timerq_expire(&cpus[0].timerq);
	task_run_pending(0);
	assert_string_equal(ran, "aa");
}

int main(void)
{
	/* In this order: the registrations build on each other. */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_registered_task_runs_once_at_first,
				       setup),
		cmocka_unit_test_setup(test_registering_again_changes_nothing,
				       setup),
		cmocka_unit_test_setup(test_runs_on_its_own_pcpu_only, setup),
		cmocka_unit_test_setup(test_wake_kicks_its_pcpu_and_runs_once,
				       setup),
		cmocka_unit_test_setup(test_tasks_run_in_registration_order,
				       setup),
		cmocka_unit_test_setup(
			test_wake_while_running_runs_again_next_time, setup),
		cmocka_unit_test_setup(
			test_wake_at_wakes_at_the_deadline_not_before, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
