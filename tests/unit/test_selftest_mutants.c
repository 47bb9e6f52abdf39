// SPDX-License-Identifier: MIT
/*
 * The timerq boot self-test must be able to fail. It runs here against
 * timerq implementations with one bug each (timerq_mutant.c) on the fake
 * timer, and must report each bug; the unbroken control must pass, so a
 * failure below is the bug being caught, not the harness.
 */
#include <arch/cpu.h>
#include <kairos/selftest.h>
#include <kairos/time.h>
#include <kairos/timerq.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

/* cmocka.h needs <setjmp.h>, <stdarg.h> and <stddef.h> first. */
#include <cmocka.h>

#include "fake.h"
#include "timerq_mutant.h"

static struct timerq q;

static void timer_irq(void *arg)
{
	timerq_expire(arg);
}

static bool run(enum timerq_mutant m, char *msg, size_t len)
{
	bool ok;

	fake_reset();
	time_init(FAKE_FREQ);
	timerq_mutant = m;
	timerq_init(&q);
	fake_set_timer_irq(timer_irq, &q);
	fake_counter_set_step(1);
	arch_irq_enable();
	ok = timerq_selftest(&q, msg, len);
	print_message("    mutant %d: %s: %s\n", m, ok ? "passed" : "FAILED",
		      msg);
	/* Whatever the verdict, nothing of the test's stack stays queued. */
	assert_int_equal(timerq_next_deadline(&q), UINT64_MAX);
	return ok;
}

static void test_control_passes(void **state)
{
	char msg[200];

	(void)state;
	assert_true(run(MUTANT_NONE, msg, sizeof(msg)));
}

static void test_lifo_among_equal_deadlines_caught(void **state)
{
	char msg[200];

	(void)state;
	assert_false(run(MUTANT_LIFO_EQUAL, msg, sizeof(msg)));
	assert_non_null(strstr(msg, "order"));
}

static void test_early_firing_caught(void **state)
{
	char msg[200];

	(void)state;
	assert_false(run(MUTANT_EARLY, msg, sizeof(msg)));
	assert_non_null(strstr(msg, "early"));
}

static void test_cancel_that_does_not_cancel_caught(void **state)
{
	char msg[200];

	(void)state;
	assert_false(run(MUTANT_CANCEL_NOOP, msg, sizeof(msg)));
	assert_non_null(strstr(msg, "cancelled"));
}

static void test_double_firing_caught(void **state)
{
	char msg[200];

	(void)state;
	assert_false(run(MUTANT_DOUBLE_FIRE, msg, sizeof(msg)));
}

static void test_lost_deadlines_caught(void **state)
{
	char msg[200];

	(void)state;
	assert_false(run(MUTANT_STOP_AFTER_ONE, msg, sizeof(msg)));
	assert_non_null(strstr(msg, "fired within"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_control_passes),
		cmocka_unit_test(test_lifo_among_equal_deadlines_caught),
		cmocka_unit_test(test_early_firing_caught),
		cmocka_unit_test(test_cancel_that_does_not_cancel_caught),
		cmocka_unit_test(test_double_firing_caught),
		cmocka_unit_test(test_lost_deadlines_caught),
	};

	return cmocka_run_group_tests_name("timerq self-test mutants", tests,
					   NULL, NULL);
}
