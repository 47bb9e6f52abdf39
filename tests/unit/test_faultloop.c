// SPDX-License-Identifier: MIT
/*
 * core/faultloop.c: a vCPU that takes the same injected fault (class,
 * address, PC) fault-loop-limit times in a row, with no other exit in
 * between, stops its VM; any progress starts the count again; a limit of
 * 0 never stops anything; vCPUs and VMs are counted apart.
 */
#include <kairos/faultloop.h>
#include <kairos/vm.h>
#include <plat/power.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

/* cmocka.h needs <setjmp.h>, <stdarg.h> and <stddef.h> first. */
#include <cmocka.h>

#include "fake.h"
#include "util.h"

#define EC_IABT_LOW 0x20U
#define EC_DABT_LOW 0x24U
#define PC 0x40001200UL
#define IPA 0x20000000UL
#define LIMIT 5U

static struct vm *a, *b;

static int setup(void **state)
{
	static const unsigned int pcpu[2] = { 0, 1 };
	struct vm_config *ca, *cb;

	(void)state;
	util_setup(2);
	ca = util_vm_add("a", 2, pcpu, 1);
	cb = util_vm_add("b", 1, pcpu, 1);
	ca->fault_loop_limit = LIMIT;
	cb->fault_loop_limit = 0;
	util_create();
	a = &vms[0];
	b = &vms[1];
	return 0;
}

/* One synchronous exit of @v that injects (@ec, @addr) at @pc. */
static bool fault(struct vcpu *v, uint32_t ec, uint64_t addr, uint64_t pc)
{
	bool stopped;

	v->st.regs.pc = pc;
	stopped = faultloop_inject(v, ec, addr);
	faultloop_exit_done(v);
	return stopped;
}

static void test_stops_at_the_limit(void **state)
{
	struct vcpu *v = &a->vcpus[0];

	(void)state;
	for (unsigned int i = 1; i < LIMIT; i++)
		assert_false(fault(v, EC_IABT_LOW, IPA, PC));
	assert_int_equal(a->state, VM_RUNNING);
	util_out_lacks("fault-loop");
	assert_true(fault(v, EC_IABT_LOW, IPA, PC));
	assert_int_equal(a->state, VM_STOPPED);
	util_out_has("kairos: VM a vCPU0: the same fault 5 times in a row "
		     "(exception class 0x20, address 0x20000000; fault-loop) "
		     "at PC 0x40001200: stopping the VM");
	util_out_has("kairos: VM a stopped (the same fault 5 times");
	/* The other VM runs on. */
	assert_int_equal(b->state, VM_RUNNING);
	util_out_lacks("all VMs stopped");
}

static void test_progress_restarts_the_count(void **state)
{
	struct vcpu *v = &a->vcpus[0];

	(void)state;
	for (unsigned int round = 0; round < 3; round++) {
		for (unsigned int i = 1; i < LIMIT; i++)
			assert_false(fault(v, EC_DABT_LOW, IPA, PC));
		switch (round) {
		case 0: /* an exit that injects nothing (an MMIO access) */
			faultloop_exit_done(v);
			break;
		case 1: /* the guest got elsewhere */
			assert_false(fault(v, EC_DABT_LOW, IPA, PC + 4));
			break;
		default: /* another address, then another class */
			assert_false(fault(v, EC_DABT_LOW, IPA + 8, PC));
			assert_false(fault(v, EC_IABT_LOW, IPA + 8, PC));
			break;
		}
	}
	assert_int_equal(a->state, VM_RUNNING);
	/* And a real loop is still caught afterwards. */
	for (unsigned int i = 1; i < LIMIT; i++)
		assert_false(fault(v, EC_DABT_LOW, IPA, PC));
	assert_true(fault(v, EC_DABT_LOW, IPA, PC));
	assert_int_equal(a->state, VM_STOPPED);
}

static void test_vcpus_counted_apart(void **state)
{
	(void)state;
	for (unsigned int i = 1; i < LIMIT; i++) {
		assert_false(fault(&a->vcpus[0], EC_IABT_LOW, IPA, PC));
		assert_false(fault(&a->vcpus[1], EC_IABT_LOW, IPA, PC));
	}
	/* vCPU1 makes progress; vCPU0 completes its loop. */
	faultloop_exit_done(&a->vcpus[1]);
	assert_true(fault(&a->vcpus[0], EC_IABT_LOW, IPA, PC));
	util_out_has("VM a vCPU0: the same fault");
}

static void test_limit_0_never_stops(void **state)
{
	struct vcpu *v = &b->vcpus[0];

	(void)state;
	for (unsigned int i = 0; i < 100000; i++)
		assert_false(fault(v, EC_IABT_LOW, IPA, PC));
	assert_int_equal(b->state, VM_RUNNING);
	util_out_lacks("fault-loop");
}

/* A VM stopped on a fault loop failed: the board's exit status says so. */
static void test_last_vm_stopping_reports_failure(void **state)
{
	(void)state;
	vm_stop(b, "PSCI SYSTEM_OFF");
	for (unsigned int i = 1; i < LIMIT; i++)
		assert_false(fault(&a->vcpus[1], EC_DABT_LOW, 0, PC));
	assert_true(fault(&a->vcpus[1], EC_DABT_LOW, 0, PC));
	util_out_has("all VMs stopped");
	assert_int_equal(fake_power_off_status(), POWER_VM_FAILED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_stops_at_the_limit, setup,
						util_teardown),
		cmocka_unit_test_setup_teardown(test_progress_restarts_the_count,
						setup, util_teardown),
		cmocka_unit_test_setup_teardown(test_vcpus_counted_apart, setup,
						util_teardown),
		cmocka_unit_test_setup_teardown(test_limit_0_never_stops, setup,
						util_teardown),
		cmocka_unit_test_setup_teardown(
			test_last_vm_stopping_reports_failure, setup,
			util_teardown),
	};

	return cmocka_run_group_tests_name("faultloop", tests, NULL, NULL);
}
