// SPDX-License-Identifier: MIT
/*
 * core/vm_events.c and its callers: every VM state change reaches every
 * observer once, in registration order (the shell's message before the
 * control channel's event line), with what happened and why; a change
 * that does not happen (a second stop, a pause of a paused VM) is told to
 * nobody.
 */
#include <kairos/ckpt.h>
#include <kairos/ui.h>
#include <kairos/vm_events.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* cmocka.h needs <setjmp.h>, <stdarg.h> and <stddef.h> first. */
#include <cmocka.h>

#include "fake.h"
#include "util.h"

#define STORE_SIZE (16UL << 20)

static uint8_t store[STORE_SIZE] __attribute__((aligned(4096)));

/* What the observers saw, one "<observer>:<vm>:<event>:<detail>;" each. */
static char seen[1024];

static void record(const struct vm_observer *o, struct vm *vm, enum vm_event ev,
		   const char *detail)
{
	size_t n = strlen(seen);

	snprintf(seen + n, sizeof(seen) - n, "%s:%s:%s:%s;", o->name,
		 vm->cfg->name, vm_event_name(ev), detail ? detail : "-");
	/* The shell's message is out before any later observer runs. */
	if (ev == VM_EVENT_STOPPED || ev == VM_EVENT_FAILED)
		util_out_has("stopped (");
}

static const struct vm_observer first = { "1", record };
static const struct vm_observer second = { "2", record };
static const struct vm_observer third = { "3", record };

static struct vm *a, *b;

static int setup_group(void **state)
{
	(void)state;
	/* As at boot: the shell's and the channel's first, then ours. */
	util_setup(1);
	assert_true(vm_observer_register(&first));
	assert_true(vm_observer_register(&second));
	return 0;
}

static int setup(void **state)
{
	(void)state;
	util_setup(1);
	util_vm_add("a", 1, NULL, 1);
	util_vm_add("b", 1, NULL, 1);
	util_ckpt_store(store, sizeof(store), 2);
	util_create();
	a = &vms[0];
	b = &vms[1];
	seen[0] = '\0';
	return 0;
}

static void test_stop_told_once_in_order(void **state)
{
	(void)state;
	vm_stop(a, "PSCI SYSTEM_OFF");
	vm_stop(a, "again");
	assert_false(vm_operator_stop(a, "and again"));
	assert_string_equal(seen, "1:a:stopped:PSCI SYSTEM_OFF;"
				  "2:a:stopped:PSCI SYSTEM_OFF;");
	/* The shell, registered first, printed the reason once. */
	assert_int_equal(util_out_count(
				 "kairos: VM a stopped (PSCI SYSTEM_OFF)\r\n"),
			 1);
	util_out_lacks("again");
}

static void test_fatal_stop_is_failed(void **state)
{
	(void)state;
	vm_fail(b, "cannot resume from its checkpoint");
	assert_string_equal(seen,
			    "1:b:failed:cannot resume from its checkpoint;"
			    "2:b:failed:cannot resume from its checkpoint;");
	util_out_has(
		"kairos: VM b stopped (cannot resume from its checkpoint)\r\n");
}

static void test_reset_and_start(void **state)
{
	(void)state;
	vm_reset(a);
	assert_string_equal(seen, "1:a:reset:-;2:a:reset:-;");
	util_out_has("kairos: VM a: reset\r\n");
	seen[0] = '\0';
	/* Not stopped: nothing to start, nothing told. */
	assert_false(vm_start(a));
	assert_string_equal(seen, "");
	vm_stop(a, "x");
	seen[0] = '\0';
	assert_true(vm_start(a));
	assert_string_equal(seen, "1:a:started:-;2:a:started:-;");
	util_out_has("kairos: VM a: started (a cold boot from its images)\r\n");
}

static void test_pause_resume_told_on_change_only(void **state)
{
	(void)state;
	vm_pause(a, true);
	vm_pause(a, true);
	vm_pause(a, false);
	vm_pause(a, false);
	assert_string_equal(seen, "1:a:paused:-;2:a:paused:-;"
				  "1:a:resumed:-;2:a:resumed:-;");
	/* The command that asks says so, not the shell's observer. */
	util_out_lacks("paused");
}

static void test_checkpoint_and_restore_name_the_slot(void **state)
{
	char why[160];

	(void)state;
	assert_true(ckpt_checkpoint(a, 1, why, sizeof(why)));
	assert_true(ckpt_restore(a, 1, CKPT_POLICY_PAUSE, why, sizeof(why)));
	assert_string_equal(seen, "1:a:checkpointed:slot 1;"
				  "2:a:checkpointed:slot 1;"
				  "1:a:restored:slot 1;2:a:restored:slot 1;");
	/* A refused restore changed nothing: nobody is told. */
	seen[0] = '\0';
	assert_false(ckpt_restore(b, 0, CKPT_POLICY_PAUSE, why, sizeof(why)));
	assert_string_equal(seen, "");
}

static void test_control_channel_event_lines(void **state)
{
	(void)state;
	util_type("ctl\r");
	shell_poll();
	assert_true(ctl_active());
	util_out_clear();
	vm_pause(a, true);
	vm_fail(b, "bad");
	util_out_has("@event paused vm=a state=paused\r\n");
	/* The protocol knows a fatal stop as "stopped", after the reason. */
	util_out_has("kairos: VM b stopped (bad)\r\n"
		     "@event stopped vm=b state=stopped\r\n");
	util_type("z exit\r");
	shell_poll();
	assert_false(ctl_active());
}

static void test_registering_again_is_harmless_and_table_bounded(void **state)
{
	(void)state;
	/* Again: still told once. */
	assert_true(vm_observer_register(&first));
	vm_pause(a, true);
	assert_string_equal(seen, "1:a:paused:-;2:a:paused:-;");
	/* The shell, the channel, first, second: the table is full. */
	assert_int_equal(VM_OBSERVERS_MAX, 4);
	assert_false(vm_observer_register(&third));
	seen[0] = '\0';
	vm_pause(a, false);
	assert_string_equal(seen, "1:a:resumed:-;2:a:resumed:-;");
}

static void test_event_names(void **state)
{
	(void)state;
	assert_string_equal(vm_event_name(VM_EVENT_CHECKPOINTED),
			    "checkpointed");
	assert_string_equal(vm_event_name(VM_EVENT_FAILED), "failed");
	assert_string_equal(vm_event_name(VM_EVENT_COUNT), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_stop_told_once_in_order,
						setup, util_teardown),
		cmocka_unit_test_setup_teardown(test_fatal_stop_is_failed,
						setup, util_teardown),
		cmocka_unit_test_setup_teardown(test_reset_and_start, setup,
						util_teardown),
		cmocka_unit_test_setup_teardown(
			test_pause_resume_told_on_change_only, setup,
			util_teardown),
		cmocka_unit_test_setup_teardown(
			test_checkpoint_and_restore_name_the_slot, setup,
			util_teardown),
		cmocka_unit_test_setup_teardown(test_control_channel_event_lines,
						setup, util_teardown),
		cmocka_unit_test_setup_teardown(
			test_registering_again_is_harmless_and_table_bounded,
			setup, util_teardown),
		cmocka_unit_test(test_event_names),
	};

	return cmocka_run_group_tests(tests, setup_group, NULL);
}
