// SPDX-License-Identifier: MIT
/*
 * The timerq boot self-test must be able to fail. Its verdict comes from
 * timerq_selftest_judge(), which reads only a record of the run; here that
 * record is written by hand, once correct and then with one defect each,
 * and every defect must be reported by name. Runs of the real self-test on
 * the fake timer (lost and early interrupts) are in test_timerq.c.
 */
#include <kairos/selftest.h>
#include <kairos/time.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

/* cmocka.h needs <setjmp.h>, <stdarg.h> and <stddef.h> first. */
#include <cmocka.h>

#include "fake.h"

#define LIVE 11U
#define BASE 1000000ULL /* counter value the deadlines count from */

/* Deadlines in us after BASE, in arming order: out of order, 3 and 9 tie. */
static const unsigned int due_us[LIVE] = { 700, 100, 500, 300, 900, 200,
					   800, 400, 600, 300, 1000 };
/* The order a correct queue fires them in: by deadline, 3 before 9. */
static const unsigned int fire_order[LIVE] = {
	1, 5, 3, 9, 7, 2, 8, 0, 6, 4, 10
};
/* Lateness in ticks; entry 6 is the latest, 2530 ticks = 40.48 us. */
static const unsigned int late_ticks[LIVE] = { 12,   0, 7,  1,   1875, 3,
					       2530, 0, 90, 625, 4 };

static struct timerq_selftest_run run;
static char msg[200];

/* A correct run: each live entry once, in order, none early. */
static int good_run(void **state)
{
	(void)state;
	time_init(FAKE_FREQ);
	memset(&run, 0, sizeof(run));
	memset(msg, 0, sizeof(msg));
	run.live = LIVE;
	for (unsigned int i = 0; i < LIVE; i++) {
		run.deadline[i] = BASE + time_us_to_ticks(due_us[i]);
		run.fired[i] = 1;
		run.fired_at[i] = run.deadline[i] + late_ticks[i];
		run.order[i] = fire_order[i];
	}
	run.n = LIVE;
	return 0;
}

/* Judge the run, which must fail with @expect somewhere in the message. */
static void assert_caught(const char *expect)
{
	bool ok = timerq_selftest_judge(&run, msg, sizeof(msg));

	print_message("    %s: %s\n", ok ? "passed" : "FAILED", msg);
	assert_false(ok);
	assert_non_null(strstr(msg, expect));
}

/* Where entry @i stands in the firing order. */
static unsigned int place_of(unsigned int i)
{
	unsigned int k = 0;

	while (run.order[k] != i)
		k++;
	return k;
}

static void swap_places(unsigned int a, unsigned int b)
{
	unsigned int ka = place_of(a), kb = place_of(b);

	run.order[ka] = b;
	run.order[kb] = a;
}

static void test_correct_run_passes(void **state)
{
	(void)state;
	assert_true(timerq_selftest_judge(&run, msg, sizeof(msg)));
	print_message("    passed: %s\n", msg);
	/* The boot log line, with the lateness of entry 6 in whole us. */
	assert_string_equal(msg, "11 deadlines armed out of order fired in "
				 "order, none early, none lost, cancelled one "
				 "silent (max lateness 40 us)");
}

static void test_out_of_order_caught(void **state)
{
	(void)state;
	/* 2 (500 us) fires before 7 (400 us). */
	swap_places(7, 2);
	assert_caught("deadline 7 fired out of order");
}

static void test_lifo_among_equal_deadlines_caught(void **state)
{
	(void)state;
	/* 3 and 9 are both due at 300 us; 3 was armed first. */
	swap_places(3, 9);
	assert_caught("deadline 3 fired out of order");
}

static void test_fired_one_tick_early_caught(void **state)
{
	(void)state;
	run.fired_at[8] = run.deadline[8] - 1;
	assert_caught("deadline 8 fired 1 ticks early");
}

static void test_fired_twice_caught(void **state)
{
	(void)state;
	/* The order has room for the live ones only; a repeat is dropped. */
	run.fired[0] = 2;
	run.n = LIVE + 1;
	assert_caught("deadline 0 fired 2 times");
}

static void test_cancelled_one_firing_caught(void **state)
{
	(void)state;
	run.cancelled_fired = 1;
	run.n = LIVE + 1;
	assert_caught("cancelled one fired 1 times");
	assert_non_null(strstr(msg, "12 callbacks for 11 live deadlines"));
}

static void test_missing_one_caught(void **state)
{
	(void)state;
	/* 4 (900 us) never fires; 10 moves up into its place. */
	run.fired[4] = 0;
	run.order[place_of(4)] = 10;
	run.n = LIVE - 1;
	assert_caught("deadline 4 fired 0 times");
}

static void test_malformed_record_refused(void **state)
{
	(void)state;
	/* Callbacks the per-entry counts do not account for. */
	run.n = LIVE + 1;
	assert_caught("12 callbacks for 11 live deadlines");
	run.n = LIVE;
	run.order[4] = LIVE;
	assert_caught("callback 4 ran unknown deadline 11");
	run.live = TIMERQ_SELFTEST_MAX + 1;
	assert_caught("run of 12 live deadlines");
	run.live = 0;
	assert_caught("run of 0 live deadlines");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_correct_run_passes, good_run),
		cmocka_unit_test_setup(test_out_of_order_caught, good_run),
		cmocka_unit_test_setup(test_lifo_among_equal_deadlines_caught,
				       good_run),
		cmocka_unit_test_setup(test_fired_one_tick_early_caught,
				       good_run),
		cmocka_unit_test_setup(test_fired_twice_caught, good_run),
		cmocka_unit_test_setup(test_cancelled_one_firing_caught,
				       good_run),
		cmocka_unit_test_setup(test_missing_one_caught, good_run),
		cmocka_unit_test_setup(test_malformed_record_refused, good_run),
	};

	return cmocka_run_group_tests_name("timerq self-test judge", tests,
					   NULL, NULL);
}
