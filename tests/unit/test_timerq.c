// SPDX-License-Identifier: MIT
/*
 * core/timerq against the fake EL2 timer: deadline order, FIFO among equal
 * deadlines, cancel, move, callbacks that arm and cancel, a counter that
 * jumps, deadlines at the top of the range; after every operation the
 * recorded CNTHP state must hold the earliest deadline or be off. Then the
 * boot self-test (core/selftest/timerq_selftest.c) through the fake's interrupt
 * path, passing on good hardware and failing when an interrupt is lost.
 */
#include <arch/cpu.h>
#include <arch/timer.h>
#include <kairos/compiler.h>
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

#define T0 FAKE_COUNTER_START
#define NE 8   /* entries per test */
#define LOG 64 /* callbacks recorded per test */

struct rec {
	unsigned int id;
	uint64_t now;
	uint64_t deadline; /* the entry's deadline when it fired */
};

static struct timerq q;
static struct timerq_entry ent[NE];
static struct rec log_[LOG];
static unsigned int nlog;

/* What a callback does besides being recorded (set per test). */
static void (*then)(struct timerq_entry *e, uint64_t now);

static void record(struct timerq_entry *e, uint64_t now)
{
	assert_true(nlog < LOG);
	assert_false(e->armed); /* unlinked before its callback runs */
	log_[nlog].id = (unsigned int)(e - ent);
	log_[nlog].now = now;
	log_[nlog].deadline = e->deadline;
	nlog++;
	if (then)
		then(e, now);
}

static int setup(void **state)
{
	(void)state;
	fake_reset();
	timerq_init(&q);
	for (unsigned int i = 0; i < NE; i++)
		timerq_entry_init(&ent[i], record, NULL);
	memset(log_, 0, sizeof(log_));
	nlog = 0;
	then = NULL;
	return 0;
}

static void assert_hw_armed(uint64_t cval)
{
	assert_true(fake_hyp_enabled());
	assert_int_equal(fake_hyp_cval(), cval);
}

static void assert_hw_stopped(void)
{
	assert_false(fake_hyp_enabled());
}

/* The callbacks ran for exactly these entries, in this order. */
static void assert_fired(const unsigned int *ids, unsigned int n)
{
	assert_int_equal(nlog, n);
	for (unsigned int k = 0; k < n; k++) {
		assert_int_equal(log_[k].id, ids[k]);
		/* Never early: the callback's "now" is at or past its deadline */
		assert_true(log_[k].now >= log_[k].deadline);
	}
}

static void expire_at(uint64_t t)
{
	fake_counter_set(t);
	timerq_expire(&q);
}

static void test_out_of_order_deadlines_fire_in_order(void **state)
{
	static const uint64_t d[] = { 500, 100, 300, 200, 400 };
	static const uint64_t min_after[] = { 500, 100, 100, 100, 100 };
	static const unsigned int order[] = { 1, 3, 2, 4, 0 };

	(void)state;
	for (unsigned int i = 0; i < ARRAY_SIZE(d); i++) {
		timerq_arm(&q, &ent[i], T0 + d[i]);
		assert_true(ent[i].armed);
		assert_hw_armed(T0 + min_after[i]);
		assert_int_equal(timerq_next_deadline(&q), T0 + min_after[i]);
	}
	expire_at(T0 + 1000);
	assert_fired(order, ARRAY_SIZE(order));
	assert_int_equal(q.fired, 5);
	assert_hw_stopped();
	assert_int_equal(timerq_next_deadline(&q), UINT64_MAX);
}

static void test_equal_deadlines_fire_in_arming_order(void **state)
{
	const uint64_t d = T0 + 100;
	/* X (d-1) first, then A B C in the order armed, then Y (d+1). */
	static const unsigned int order[] = { 3, 0, 2, 4, 1 };

	(void)state;
	timerq_arm(&q, &ent[0], d);     /* A */
	timerq_arm(&q, &ent[1], d + 1); /* Y */
	timerq_arm(&q, &ent[2], d);     /* B */
	timerq_arm(&q, &ent[3], d - 1); /* X */
	assert_hw_armed(d - 1);
	timerq_arm(&q, &ent[4], d); /* C */
	assert_hw_armed(d - 1);
	expire_at(d + 1);
	assert_fired(order, ARRAY_SIZE(order));
	assert_hw_stopped();
}

static void test_rearm_at_same_deadline_goes_behind_equals(void **state)
{
	const uint64_t d = T0 + 100;
	static const unsigned int order[] = { 1, 0 };

	(void)state;
	timerq_arm(&q, &ent[0], d);
	timerq_arm(&q, &ent[1], d);
	timerq_arm(&q, &ent[0], d); /* re-armed: now the newest of the two */
	assert_hw_armed(d);
	expire_at(d);
	assert_fired(order, ARRAY_SIZE(order));
}

static void test_expire_runs_only_due_entries(void **state)
{
	static const unsigned int first[] = { 0 };
	static const unsigned int both[] = { 0, 1 };

	(void)state;
	timerq_arm(&q, &ent[0], T0 + 100);
	timerq_arm(&q, &ent[1], T0 + 200);
	expire_at(T0 + 99); /* one tick early: nothing */
	assert_int_equal(nlog, 0);
	assert_hw_armed(T0 + 100);
	expire_at(T0 + 100); /* due exactly at the deadline */
	assert_fired(first, 1);
	assert_int_equal(log_[0].now, T0 + 100);
	assert_hw_armed(T0 + 200);
	assert_false(ent[0].armed);
	assert_true(ent[1].armed);
	expire_at(T0 + 199);
	assert_int_equal(nlog, 1);
	assert_hw_armed(T0 + 200);
	expire_at(T0 + 250);
	assert_fired(both, 2);
	assert_hw_stopped();
}

static void test_cancel_head(void **state)
{
	static const unsigned int order[] = { 2 };

	(void)state;
	timerq_arm(&q, &ent[0], T0 + 100);
	timerq_arm(&q, &ent[1], T0 + 200);
	timerq_arm(&q, &ent[2], T0 + 300);
	assert_true(timerq_cancel(&q, &ent[0]));
	assert_false(ent[0].armed);
	assert_hw_armed(T0 + 200);
	assert_true(timerq_cancel(&q, &ent[1]));
	assert_hw_armed(T0 + 300);
	assert_false(timerq_cancel(&q, &ent[1])); /* twice: no longer armed */
	assert_hw_armed(T0 + 300);
	expire_at(T0 + 1000);
	assert_fired(order, 1);
	assert_hw_stopped();
}

static void test_cancel_non_head(void **state)
{
	static const unsigned int order[] = { 0, 2 };

	(void)state;
	timerq_arm(&q, &ent[0], T0 + 100);
	timerq_arm(&q, &ent[1], T0 + 200);
	timerq_arm(&q, &ent[2], T0 + 300);
	assert_true(timerq_cancel(&q, &ent[1]));
	assert_hw_armed(T0 + 100);
	assert_true(timerq_cancel(&q, &ent[2]));
	assert_hw_armed(T0 + 100);
	timerq_arm(&q, &ent[2], T0 + 300);
	expire_at(T0 + 1000);
	assert_fired(order, ARRAY_SIZE(order));
}

static void test_cancel_last_stops_hardware(void **state)
{
	(void)state;
	timerq_arm(&q, &ent[0], T0 + 100);
	assert_hw_armed(T0 + 100);
	assert_true(timerq_cancel(&q, &ent[0]));
	assert_hw_stopped();
	assert_int_equal(timerq_next_deadline(&q), UINT64_MAX);
	expire_at(T0 + 1000);
	assert_int_equal(nlog, 0);
	assert_int_equal(q.fired, 0);
}

static void test_cancel_never_armed(void **state)
{
	(void)state;
	timerq_arm(&q, &ent[0], T0 + 100);
	assert_false(timerq_cancel(&q, &ent[1]));
	assert_hw_armed(T0 + 100);
	assert_true(ent[0].armed);
	assert_int_equal(timerq_next_deadline(&q), T0 + 100);
}

static void test_move_armed_entry(void **state)
{
	static const unsigned int order[] = { 0, 1, 2 };

	(void)state;
	timerq_arm(&q, &ent[0], T0 + 100);
	timerq_arm(&q, &ent[1], T0 + 200);
	timerq_arm(&q, &ent[0], T0 + 300); /* head moves behind */
	assert_hw_armed(T0 + 200);
	timerq_arm(&q, &ent[0], T0 + 50); /* and back in front */
	assert_hw_armed(T0 + 50);
	timerq_arm(&q, &ent[2], T0 + 400);
	timerq_arm(&q, &ent[2], T0 + 250); /* non-head moves earlier */
	assert_hw_armed(T0 + 50);
	expire_at(T0 + 1000);
	assert_fired(order, ARRAY_SIZE(order)); /* each once */
	assert_int_equal(log_[0].deadline, T0 + 50);
	assert_int_equal(log_[2].deadline, T0 + 250);
}

static void test_move_only_entry(void **state)
{
	(void)state;
	timerq_arm(&q, &ent[0], T0 + 100);
	timerq_arm(&q, &ent[0], T0 + 500); /* the head stays the head */
	assert_hw_armed(T0 + 500);
	timerq_arm(&q, &ent[0], T0 + 20);
	assert_hw_armed(T0 + 20);
	expire_at(T0 + 100);
	assert_int_equal(nlog, 1);
	assert_int_equal(log_[0].deadline, T0 + 20);
}

/* A periodic entry: re-arms one period after its deadline, 4 times. */
#define PERIOD 100ULL
static void periodic(struct timerq_entry *e, uint64_t now)
{
	(void)now;
	if (nlog < 4)
		timerq_arm(&q, e, e->deadline + PERIOD);
}

static void test_callback_rearms_itself(void **state)
{
	(void)state;
	then = periodic;
	timerq_arm(&q, &ent[0], T0 + PERIOD);
	timerq_arm(&q, &ent[1], T0 + 1000);
	expire_at(T0 + PERIOD);
	assert_int_equal(nlog, 1);
	assert_hw_armed(T0 + 2 * PERIOD);
	/* The counter jumps past two periods: both fire now, in order. */
	expire_at(T0 + 3 * PERIOD + 1);
	assert_int_equal(nlog, 3);
	for (unsigned int k = 0; k < 3; k++) {
		assert_int_equal(log_[k].id, 0);
		assert_int_equal(log_[k].deadline, T0 + (k + 1) * PERIOD);
	}
	assert_hw_armed(T0 + 4 * PERIOD);
	expire_at(T0 + 1000);
	/* 4th firing stops re-arming; then entry 1 */
	assert_int_equal(nlog, 5);
	assert_int_equal(log_[3].id, 0);
	assert_int_equal(log_[4].id, 1);
	assert_hw_stopped();
}

/* Entry 0's callback: arm 1 (due), arm 2 (future), cancel 3 (due). */
static void arm_others(struct timerq_entry *e, uint64_t now)
{
	if (e != &ent[0])
		return;
	timerq_arm(&q, &ent[1], now);
	timerq_arm(&q, &ent[2], now + 500);
	assert_true(timerq_cancel(&q, &ent[3]));
}

static void test_callback_arms_and_cancels_others(void **state)
{
	static const unsigned int order[] = { 0, 1 };

	(void)state;
	then = arm_others;
	timerq_arm(&q, &ent[0], T0 + 100);
	timerq_arm(&q, &ent[3], T0 + 100); /* due, but cancelled first */
	expire_at(T0 + 100);
	assert_fired(order, ARRAY_SIZE(order));
	assert_false(ent[3].armed);
	assert_hw_armed(T0 + 600);
	assert_int_equal(timerq_next_deadline(&q), T0 + 600);
}

static void test_counter_jump_fires_all_due_once_in_order(void **state)
{
	static const uint64_t d[] = { 40, 10, 30, 20, 50, 5000 };
	static const unsigned int order[] = { 1, 3, 2, 0, 4 };

	(void)state;
	for (unsigned int i = 0; i < ARRAY_SIZE(d); i++)
		timerq_arm(&q, &ent[i], T0 + d[i]);
	expire_at(T0 + 60); /* five deadlines passed since the last look */
	assert_fired(order, ARRAY_SIZE(order));
	assert_int_equal(q.fired, 5);
	assert_hw_armed(T0 + 5000);
	expire_at(T0 + 61); /* nothing more: each fired once */
	assert_int_equal(nlog, 5);
}

static void test_counter_jumps_during_expiry(void **state)
{
	static const unsigned int order[] = { 0, 1 };

	(void)state;
	timerq_arm(&q, &ent[0], T0 + 10);
	timerq_arm(&q, &ent[1], T0 + 1000);
	timerq_arm(&q, &ent[2], T0 + 100000);
	/*
	 * The first callback takes "long": the second counter read is 2000
	 * ticks later, so entry 1 is due within the same expiry.
	 */
	fake_counter_set(T0 + 10);
	fake_counter_jump_at_read(2, 2000);
	timerq_expire(&q);
	assert_fired(order, ARRAY_SIZE(order));
	assert_int_equal(log_[0].now, T0 + 10);
	assert_true(log_[1].now >= T0 + 1000);
	assert_hw_armed(T0 + 100000);
}

static void test_deadlines_near_uint64_max(void **state)
{
	static const unsigned int order[] = { 2, 1 };

	(void)state;
	timerq_arm(&q, &ent[0], UINT64_MAX);
	assert_hw_armed(UINT64_MAX);
	timerq_arm(&q, &ent[1], UINT64_MAX - 1);
	timerq_arm(&q, &ent[2], UINT64_MAX - 2);
	assert_hw_armed(UINT64_MAX - 2);
	assert_int_equal(timerq_next_deadline(&q), UINT64_MAX - 2);
	expire_at(UINT64_MAX - 1);
	assert_fired(order, ARRAY_SIZE(order));
	assert_hw_armed(UINT64_MAX);
	/* A lone UINT64_MAX entry still counts as armed. */
	assert_true(ent[0].armed);
	expire_at(UINT64_MAX);
	assert_int_equal(nlog, 3);
	assert_int_equal(log_[2].id, 0);
	assert_hw_stopped();
}

static void test_deadline_in_the_past_fires_on_next_expiry(void **state)
{
	static const unsigned int order[] = { 0 };

	(void)state;
	fake_counter_set(T0 + 1000);
	timerq_arm(&q, &ent[0], T0); /* already due when armed */
	assert_hw_armed(T0);
	assert_true(fake_hyp_line()); /* the interrupt is asserted at once */
	timerq_expire(&q);
	assert_fired(order, 1);
	assert_hw_stopped();
	assert_false(fake_hyp_line());
}

static void test_next_deadline(void **state)
{
	(void)state;
	assert_int_equal(timerq_next_deadline(&q), UINT64_MAX);
	timerq_arm(&q, &ent[0], T0 + 300);
	assert_int_equal(timerq_next_deadline(&q), T0 + 300);
	timerq_arm(&q, &ent[1], T0 + 200);
	assert_int_equal(timerq_next_deadline(&q), T0 + 200);
	timerq_arm(&q, &ent[2], T0 + 400);
	assert_int_equal(timerq_next_deadline(&q), T0 + 200);
	timerq_cancel(&q, &ent[1]);
	assert_int_equal(timerq_next_deadline(&q), T0 + 300);
	expire_at(T0 + 300);
	assert_int_equal(timerq_next_deadline(&q), T0 + 400);
	expire_at(T0 + 400);
	assert_int_equal(timerq_next_deadline(&q), UINT64_MAX);
}

/* Out of reset the EL2 timer may be enabled with any CVAL (fake.h). */
static void test_stale_hardware_timer_is_stopped_by_expiry(void **state)
{
	(void)state;
	assert_true(fake_hyp_line()); /* fake_reset()'s stale state */
	timerq_expire(&q);
	assert_int_equal(nlog, 0);
	assert_hw_stopped();
}

static void test_operations_restore_interrupt_mask(void **state)
{
	(void)state;
	assert_true(fake_irqs_masked());
	timerq_arm(&q, &ent[0], T0 + 100);
	timerq_cancel(&q, &ent[0]);
	timerq_expire(&q);
	assert_true(fake_irqs_masked());
	arch_irq_enable();
	timerq_arm(&q, &ent[0], T0 + 100);
	assert_false(fake_irqs_masked());
	timerq_cancel(&q, &ent[0]);
	assert_false(fake_irqs_masked());
	timerq_expire(&q);
	assert_false(fake_irqs_masked());
}

/* ---- The boot self-test through the fake's timer interrupt ---- */

static void timer_irq(void *arg)
{
	timerq_expire(arg);
}

static int selftest_setup(void **state)
{
	setup(state);
	time_init(FAKE_FREQ);
	fake_set_timer_irq(timer_irq, &q);
	/* Time passes while the CPU spins: 16 ns a counter read. */
	fake_counter_set_step(1);
	arch_irq_enable(); /* as at boot; takes the stale timer interrupt */
	return 0;
}

/* What must hold after any self-test run, pass or fail. */
static void assert_selftest_cleaned_up(void)
{
	assert_int_equal(timerq_next_deadline(&q), UINT64_MAX);
	assert_hw_stopped();
	assert_false(fake_irqs_masked());
}

static void test_selftest_passes(void **state)
{
	char msg[200] = "";

	(void)state;
	assert_true(timerq_selftest(&q, msg, sizeof(msg)));
	print_message("    self-test: %s\n", msg);
	assert_non_null(strstr(msg, "in order"));
	/*
	 * 10 deadlines plus the moved one, through the interrupt path, and
	 * the end of the settling time after them (where the run is judged).
	 */
	assert_int_equal(q.fired, 12);
	assert_true(fake_timer_irqs() >= 2);
	assert_true(fake_wfi_count() >= 1);
	assert_selftest_cleaned_up();
}

static unsigned int done_calls;

static void count_done(struct timerq_selftest *st)
{
	assert_ptr_equal(st->arg, &done_calls);
	assert_true(timerq_selftest_finished(st));
	done_calls++;
}

/* Started at boot, it returns at once; the interrupts finish it. */
static void test_selftest_runs_in_background(void **state)
{
	static struct timerq_selftest st;
	unsigned int wfis = 0;

	(void)state;
	done_calls = 0;
	timerq_selftest_start(&st, &q, count_done, &done_calls);
	assert_false(timerq_selftest_finished(&st));
	assert_int_equal(q.fired, 0);
	assert_true(timerq_next_deadline(&q) > arch_timer_now());
	arch_irq_disable();
	while (!timerq_selftest_finished(&st)) {
		assert_true(++wfis < 100);
		arch_wait_for_interrupt();
		arch_irq_enable();
		arch_irq_disable();
	}
	arch_irq_enable();
	assert_int_equal(done_calls, 1);
	assert_true(st.ok);
	assert_non_null(strstr(st.msg, "in order"));
	assert_selftest_cleaned_up();
}

static void test_selftest_passes_with_jumpy_counter(void **state)
{
	char msg[200] = "";

	(void)state;
	/* ~1.6 us a read, and one 60 us jump in the middle of the run. */
	fake_counter_set_step(100);
	fake_counter_jump_at_read(40, time_us_to_ticks(60));
	assert_true(timerq_selftest(&q, msg, sizeof(msg)));
	print_message("    self-test: %s\n", msg);
	assert_int_equal(q.fired, 12); /* and the settling time's end */
	assert_selftest_cleaned_up();
}

static void test_selftest_passes_with_early_interrupts(void **state)
{
	char msg[200] = "";

	(void)state;
	/* Every deadline is preceded by a spurious interrupt 5 us early. */
	fake_timer_fire_early(time_us_to_ticks(5));
	assert_true(timerq_selftest(&q, msg, sizeof(msg)));
	assert_int_equal(q.fired, 12); /* and the settling time's end */
	/* The early interrupts were taken (and found nothing due). */
	assert_true(fake_timer_irqs() > 11);
	assert_selftest_cleaned_up();
}

static void test_selftest_fails_when_interrupt_lost(void **state)
{
	char msg[200] = "";

	(void)state;
	fake_timer_drop_irq(3);
	assert_false(timerq_selftest(&q, msg, sizeof(msg)));
	print_message("    self-test: %s\n", msg);
	assert_non_null(strstr(msg, " of 11 deadlines fired within 5 s"));
	assert_true(q.fired < 11);
	assert_selftest_cleaned_up();
}

static void test_selftest_fails_when_first_interrupt_lost(void **state)
{
	char msg[200] = "";

	(void)state;
	fake_timer_drop_irq(1);
	assert_false(timerq_selftest(&q, msg, sizeof(msg)));
	assert_string_equal(msg, "only 0 of 11 deadlines fired within 5 s");
	assert_int_equal(q.fired, 0);
	assert_selftest_cleaned_up();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_out_of_order_deadlines_fire_in_order,
				       setup),
		cmocka_unit_test_setup(test_equal_deadlines_fire_in_arming_order,
				       setup),
		cmocka_unit_test_setup(
			test_rearm_at_same_deadline_goes_behind_equals, setup),
		cmocka_unit_test_setup(test_expire_runs_only_due_entries,
				       setup),
		cmocka_unit_test_setup(test_cancel_head, setup),
		cmocka_unit_test_setup(test_cancel_non_head, setup),
		cmocka_unit_test_setup(test_cancel_last_stops_hardware, setup),
		cmocka_unit_test_setup(test_cancel_never_armed, setup),
		cmocka_unit_test_setup(test_move_armed_entry, setup),
		cmocka_unit_test_setup(test_move_only_entry, setup),
		cmocka_unit_test_setup(test_callback_rearms_itself, setup),
		cmocka_unit_test_setup(test_callback_arms_and_cancels_others,
				       setup),
		cmocka_unit_test_setup(
			test_counter_jump_fires_all_due_once_in_order, setup),
		cmocka_unit_test_setup(test_counter_jumps_during_expiry, setup),
		cmocka_unit_test_setup(test_deadlines_near_uint64_max, setup),
		cmocka_unit_test_setup(
			test_deadline_in_the_past_fires_on_next_expiry, setup),
		cmocka_unit_test_setup(test_next_deadline, setup),
		cmocka_unit_test_setup(
			test_stale_hardware_timer_is_stopped_by_expiry, setup),
		cmocka_unit_test_setup(test_operations_restore_interrupt_mask,
				       setup),
		cmocka_unit_test_setup(test_selftest_passes, selftest_setup),
		cmocka_unit_test_setup(test_selftest_runs_in_background,
				       selftest_setup),
		cmocka_unit_test_setup(test_selftest_passes_with_jumpy_counter,
				       selftest_setup),
		cmocka_unit_test_setup(
			test_selftest_passes_with_early_interrupts,
			selftest_setup),
		cmocka_unit_test_setup(test_selftest_fails_when_interrupt_lost,
				       selftest_setup),
		cmocka_unit_test_setup(
			test_selftest_fails_when_first_interrupt_lost,
			selftest_setup),
	};

	return cmocka_run_group_tests_name("timerq", tests, NULL, NULL);
}
