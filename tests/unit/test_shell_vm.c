// SPDX-License-Identifier: MIT
/*
 * core/ui/shell_vm.c as the user types it: "vm list" shows every VM and its
 * state, stop/start/reset/pause/resume act on the VM named and only on it
 * and each says what it did in one line, a wrong name or subcommand is
 * said back, Ctrl-A switches console input between the Kairos shell and
 * the VMs' UARTs, and a board with one VM gives it the console at once.
 */
#include <kairos/cpu.h>
#include <kairos/irq.h>
#include <kairos/profile_virt.h>
#include <kairos/task.h>
#include <kairos/time.h>
#include <kairos/ui.h>
#include <kairos/vmmio.h>
#include <plat/power.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* cmocka.h needs <setjmp.h>, <stdarg.h> and <stddef.h> first. */
#include <cmocka.h>

#include "fake.h"
#include "util.h"

#define UART_FR_RXFE 0x10U

static struct vm *alpha, *beta;

static int setup(void **state)
{
	static const unsigned int pcpu[2] = { 0, 1 };

	(void)state;
	util_setup(2);
	util_vm_add("alpha", 2, pcpu, 1);
	util_vm_add("beta", 1, NULL, 1);
	util_create();
	alpha = &vms[0];
	beta = &vms[1];
	return 0;
}

static int setup_one(void **state)
{
	(void)state;
	util_setup(1);
	util_vm_add("solo", 1, NULL, 1);
	util_create();
	return 0;
}

static void test_console_start_one_vm_has_the_console(void **state)
{
	uint64_t val = 0;

	(void)state;
	shell_console_start(NULL, false);
	util_out_has("Ctrl-A then 0 gives console input to that VM");
	util_out_has(
		"kairos: console input to VM solo (Ctrl-A k: back to Kairos)");
	util_out_lacks("kairos> ");
	util_out_lacks("quits");
	assert_int_equal(shell_input_target(), 0);
	/* What is typed goes to the VM, not to the shell. */
	util_type("help\r");
	shell_poll();
	assert_int_equal(vmmio_access(&vms[0].vcpus[0], VIRT_UART, false, 4,
				      &val),
			 MMIO_OK);
	assert_int_equal(val, 'h');
	util_out_lacks("list commands");
}

static int setup_group(void **state)
{
	(void)state;
	shell_vm_init();
	return 0;
}

/* Next blank-separated field of the line at *@p, as a string. */
static const char *field(char **p)
{
	const char *f = strtok_r(NULL, " ", p);

	assert_non_null(f);
	return f ? f : "";
}

/* The line of "vm list" that names @name: its id, name, state, vCPUs. */
static void assert_line(const char *name, const char *state,
			unsigned int nr_vcpus)
{
	char line[128], *p = NULL;
	const char *at = strstr(util_out(), name), *start = at, *end;

	if (!at) {
		fail_msg("no line with \"%s\" in \"%s\"", name, util_out());
		return;
	}
	while (start > util_out() && start[-1] != '\n')
		start--;
	end = strchr(at, '\r');
	assert_true(end && (size_t)(end - start) < sizeof(line));
	snprintf(line, sizeof(line), "%.*s", (int)(end - start), start);
	assert_int_equal(strtoul(strtok_r(line, " ", &p), NULL, 10),
			 vm_by_name(name)->id);
	assert_string_equal(field(&p), name);
	assert_string_equal(field(&p), state);
	assert_int_equal(strtoul(field(&p), NULL, 10), nr_vcpus);
}

static void test_vm_list_shows_every_vm(void **state)
{
	(void)state;
	shell_exec("vm list");
	assert_line("alpha", "running", 2);
	assert_line("beta", "running", 1);
	util_out_clear();
	vm_pause(alpha, true);
	vm_stop(beta, "test");
	util_out_clear();
	shell_exec("vm list");
	assert_line("alpha", "paused", 2);
	assert_line("beta", "stopped", 1);
}

static void test_pause_and_resume_by_name(void **state)
{
	(void)state;
	shell_exec("vm pause alpha");
	assert_int_equal(alpha->state, VM_PAUSED);
	assert_int_equal(beta->state, VM_RUNNING);
	/* alpha's pCPUs are told; the other is this one. */
	assert_int_equal(fake_sgis(1, IRQ_SGI_KICK), 1);
	assert_int_equal(cpus[0].resched, 1);
	shell_exec("vm resume alpha");
	assert_int_equal(alpha->state, VM_RUNNING);
	assert_int_equal(fake_sgis(1, IRQ_SGI_KICK), 2);
	/* A stopped VM is not resumed by "resume", nor paused. */
	vm_stop(beta, "test");
	shell_exec("vm resume beta");
	assert_int_equal(beta->state, VM_STOPPED);
	shell_exec("vm pause beta");
	assert_int_equal(beta->state, VM_STOPPED);
}

static void test_reset_by_name(void **state)
{
	uint32_t gen = beta->vcpus[0].gen;

	(void)state;
	vm_stop(beta, "test");
	beta->vcpus[0].st.regs.pc = 0x1234;
	util_out_clear();
	shell_exec("vm reset beta");
	util_boot_steps(beta);
	util_out_has("VM beta: reset");
	assert_int_equal(beta->state, VM_RUNNING);
	assert_int_equal(beta->vcpus[0].st.regs.pc, beta->entry_ipa);
	assert_int_equal(beta->vcpus[0].run, VCPU_RUN_READY);
	assert_true(beta->vcpus[0].gen != gen);
	util_out_lacks("alpha");
	assert_int_equal(alpha->state, VM_RUNNING);
}

static void test_wrong_name_or_subcommand(void **state)
{
	(void)state;
	shell_exec("vm pause gamma");
	util_out_has("no VM of that name");
	util_out_clear();
	shell_exec("vm reset");
	util_out_has("usage");
	util_out_clear();
	shell_exec("vm");
	util_out_has("usage");
	util_out_clear();
	shell_exec("vm halt alpha");
	util_out_has("unknown subcommand 'halt'");
	util_out_clear();
	shell_exec("vm stop alpha beta");
	util_out_has("usage");
	util_out_clear();
	shell_exec("vm pause alph");
	util_out_has("no VM of that name");
	assert_int_equal(alpha->state, VM_RUNNING);
	assert_int_equal(beta->state, VM_RUNNING);
}

/* One line of output, and it has @s. */
static void assert_one_line(const char *s)
{
	util_out_has(s);
	assert_int_equal(util_out_count("\n"), 1);
}

static void test_every_verb_confirms_in_one_line(void **state)
{
	(void)state;
	util_out_clear();
	shell_exec("vm pause alpha");
	assert_one_line("vm: alpha paused");
	util_out_clear();
	shell_exec("vm pause alpha");
	assert_one_line("vm: alpha is already paused");
	util_out_clear();
	shell_exec("vm resume alpha");
	assert_one_line("vm: alpha resumed");
	assert_int_equal(alpha->state, VM_RUNNING);
	util_out_clear();
	shell_exec("vm resume alpha");
	assert_one_line("vm: alpha is already running");
	util_out_clear();
	shell_exec("vm reset alpha");
	assert_one_line("kairos: VM alpha: reset");
	util_out_clear();
	shell_exec("vm start alpha");
	assert_one_line("vm: alpha is running ('vm reset alpha' reboots it)");
	assert_int_equal(alpha->state, VM_RUNNING);
}

static void test_stop_then_start_boots_cold(void **state)
{
	uint32_t gen = beta->vcpus[0].gen;

	(void)state;
	beta->vcpus[0].st.regs.pc = 0x1234;
	util_out_clear();
	shell_exec("vm stop beta");
	assert_one_line(
		"kairos: VM beta stopped (vm stop; 'vm start' boots it again)");
	assert_int_equal(beta->state, VM_STOPPED);
	assert_int_equal(beta->vcpus[0].run, VCPU_RUN_OFF);
	/* State kept while stopped: nothing was reloaded. */
	assert_int_equal(beta->vcpus[0].st.regs.pc, 0x1234);
	assert_int_equal(beta->vcpus[0].gen, gen);
	assert_int_equal(alpha->state, VM_RUNNING);
	util_out_clear();
	shell_exec("vm stop beta");
	assert_one_line("vm: beta is already stopped");
	util_out_clear();
	shell_exec("vm resume beta");
	assert_one_line(
		"vm: beta is stopped: nothing to resume ('vm start beta' boots it)");
	assert_int_equal(beta->state, VM_STOPPED);
	util_out_clear();
	shell_exec("vm start beta");
	assert_one_line(
		"kairos: VM beta: started (a cold boot from its images)");
	util_boot_steps(beta);
	assert_int_equal(beta->state, VM_RUNNING);
	assert_int_equal(beta->vcpus[0].st.regs.pc, beta->entry_ipa);
	assert_int_equal(beta->vcpus[0].run, VCPU_RUN_READY);
	assert_true(beta->vcpus[0].gen != gen);
	util_out_lacks("alpha");
}

static void test_operator_stop_keeps_board_on(void **state)
{
	(void)state;
	shell_exec("vm stop alpha");
	shell_exec("vm stop beta");
	assert_int_equal(alpha->state, VM_STOPPED);
	assert_int_equal(beta->state, VM_STOPPED);
	util_out_lacks("all VMs stopped");
	assert_int_equal(fake_power_off_calls(), 0);
	/* Started again, then stopped by the guest: the board goes off. */
	shell_exec("vm start beta");
	vm_stop(beta, "PSCI SYSTEM_OFF");
	util_out_has("kairos: all VMs stopped");
	assert_int_equal(fake_power_off_calls(), 1);
	assert_int_equal(fake_power_off_status(), 0);
}

static void test_fatal_stop_gives_failure_status(void **state)
{
	(void)state;
	vm_fatal(&alpha->vcpus[1], "test fault");
	assert_int_equal(fake_power_off_calls(), 0);
	vm_stop(beta, "PSCI SYSTEM_OFF");
	assert_int_equal(fake_power_off_calls(), 1);
	assert_int_equal(fake_power_off_status(), POWER_VM_FAILED);
}

static void test_help_says_how_a_stopped_vm_comes_back(void **state)
{
	(void)state;
	shell_exec("help");
	util_out_has("vm stop <name>");
	util_out_has(
		"vm start <name>               boot a stopped VM again, cold");
	util_out_has("vm pause|resume <name>");
	util_out_has("vm reset <name>");
}

static void test_console_start_gives_two_vms_the_shell(void **state)
{
	(void)state;
	shell_console_start("Ctrl-] then x quits", false);
	util_out_has(
		"kairos: console: Ctrl-A then 0-1 gives console input to that VM, Ctrl-A k to the Kairos shell");
	util_out_has("kairos: console: Ctrl-] then x quits\r\n");
	util_out_has("kairos> ");
	assert_int_equal(shell_input_target(), -1);
}

static uint64_t uart_dr(struct vm *vm)
{
	uint64_t val = 0;

	assert_int_equal(vmmio_access(&vm->vcpus[0], VIRT_UART, false, 4, &val),
			 MMIO_OK);
	return val;
}

static bool uart_empty(struct vm *vm)
{
	uint64_t val = 0;

	assert_int_equal(vmmio_access(&vm->vcpus[0], VIRT_UART + 0x18, false, 4,
				      &val),
			 MMIO_OK);
	return val & UART_FR_RXFE;
}

static void test_ctrl_a_switches_console_input(void **state)
{
	(void)state;
	assert_int_equal(shell_input_target(), -1);
	util_type("\x01"
		  "0ls\r");
	shell_poll();
	assert_int_equal(shell_input_target(), 0);
	util_out_has("console input to VM alpha");
	util_out_lacks("ls"); /* not echoed by the shell */
	assert_int_equal(uart_dr(alpha), 'l');
	assert_int_equal(uart_dr(alpha), 's');
	assert_int_equal(uart_dr(alpha), '\r');
	assert_true(uart_empty(beta));

	/* Ctrl-A 1: beta; Ctrl-A Ctrl-A: the next one, past the last the shell. */
	util_type("\x01"
		  "1b");
	shell_poll();
	assert_int_equal(uart_dr(beta), 'b');
	util_type("\x01\x01");
	shell_poll();
	assert_int_equal(shell_input_target(), -1);
	util_type("\x01\x01");
	shell_poll();
	assert_int_equal(shell_input_target(), 0);

	/* Ctrl-A k: the shell again, with its prompt. */
	util_out_clear();
	util_type("\x01kversion\r");
	shell_poll();
	assert_int_equal(shell_input_target(), -1);
	util_out_has("console input to the Kairos shell");
	util_out_has("kairos> ");
	util_out_has("9.8.7-unit");
	assert_true(uart_empty(alpha));
}

/*
 * A paste longer than a VM's receive FIFO (63 characters) waits in the
 * console's input and follows as the VM reads; input for a VM that does
 * not read is dropped after the hold time, so that Ctrl-A still works.
 */
static void test_input_waits_for_a_full_fifo(void **state)
{
	char paste[101];

	(void)state;
	for (unsigned int k = 0; k < 100; k++)
		paste[k] = (char)('a' + k % 26);
	paste[100] = '\0';
	util_type("\x01"
		  "0");
	shell_poll();
	util_type(paste);
	shell_poll();
	for (unsigned int k = 0; k < 100; k++) {
		assert_false(uart_empty(alpha));
		assert_int_equal(uart_dr(alpha), paste[k]);
		shell_poll(); /* as the kick of the read has it do */
	}
	assert_true(uart_empty(alpha));

	/* alpha stops reading: its FIFO fills, the rest waits... */
	util_type(paste);
	shell_poll();
	util_type("\x01k");
	shell_poll();
	assert_int_equal(shell_input_target(), 0);
	/* ...for the hold time, then is dropped and Ctrl-A k goes through. */
	fake_counter_advance(time_us_to_ticks(200001));
	shell_poll();
	assert_int_equal(shell_input_target(), -1);
	for (unsigned int k = 0; k < 63; k++)
		assert_int_equal(uart_dr(alpha), paste[k]);
	assert_true(uart_empty(alpha));
}

/* Characters in @vm's receive FIFO. */
static unsigned int fifo_level(const struct vm *vm)
{
	const unsigned int size = (unsigned int)sizeof(vm->uart.rx);

	return (vm->uart.rx_head + size - vm->uart.rx_tail) % size;
}

/*
 * The console task as pCPU 0's loop runs it, with no polling: it takes
 * input when woken - by arriving input, by the VM reading its UART while
 * input waits for room, by the end of the hold time (a timerq deadline) -
 * and does nothing in between.
 */
static void test_console_task_runs_when_woken(void **state)
{
	char paste[101];
	uint64_t held;

	(void)state;
	for (unsigned int k = 0; k < 100; k++)
		paste[k] = (char)('a' + k % 26);
	paste[100] = '\0';
	task_run_pending(0);
	util_type("\x01"
		  "0");
	shell_wake();
	task_run_pending(0);
	assert_int_equal(shell_input_target(), 0);
	util_type(paste);
	shell_wake();
	task_run_pending(0);
	held = fake_counter_peek();
	assert_int_equal(fifo_level(alpha), 63);
	/* Room made behind the UART's back: nobody woke the task. */
	alpha->uart.rx_tail =
		(alpha->uart.rx_tail + 1) % sizeof(alpha->uart.rx);
	task_run_pending(0);
	assert_int_equal(fifo_level(alpha), 62);
	/* The guest reads: the task is woken and fills the FIFO again. */
	uart_dr(alpha);
	task_run_pending(0);
	assert_int_equal(fifo_level(alpha), 63);

	/* Nobody reads any more; Ctrl-A k waits behind the paste... */
	util_type("\x01k");
	shell_wake();
	task_run_pending(0);
	fake_counter_set(held + time_us_to_ticks(150000));
	timerq_expire(&cpus[0].timerq);
	task_run_pending(0);
	assert_int_equal(shell_input_target(), 0);
	/* ...until the hold time ends, which wakes the task by itself. */
	fake_counter_set(held + time_us_to_ticks(200001));
	timerq_expire(&cpus[0].timerq);
	task_run_pending(0);
	assert_int_equal(shell_input_target(), -1);
}

static void test_ctrl_a_odd_keys(void **state)
{
	(void)state;
	/* No VM 7: back to the shell; an unknown key changes nothing. */
	util_type("\x01"
		  "0\x01"
		  "7");
	shell_poll();
	assert_int_equal(shell_input_target(), -1);
	util_type("\x01"
		  "1\x01xy");
	shell_poll();
	assert_int_equal(shell_input_target(), 1);
	assert_int_equal(uart_dr(beta), 'y'); /* x went with the escape */
	assert_true(uart_empty(beta));
}

static void test_checkpoint_commands_without_store(void **state)
{
	(void)state;
	shell_exec("vm slots");
	util_out_has(
		"vm: there are no checkpoint slots (they need a checkpoint-store in the configuration)");
	util_out_clear();
	shell_exec("vm checkpoint alpha 0");
	util_out_has("vm: checkpoint of alpha into slot 0 failed: no slot 0");
	util_out_clear();
	shell_exec("vm restore beta 3 catch-up");
	util_out_has("vm: restore of beta from slot 3 failed: no slot 3");
	assert_int_equal(alpha->state, VM_RUNNING);
	assert_int_equal(beta->state, VM_RUNNING);
}

static void test_checkpoint_usage(void **state)
{
	static const char *const wrong[] = {
		"vm checkpoint alpha",      "vm checkpoint alpha x",
		"vm checkpoint alpha 0 1",  "vm restore alpha",
		"vm restore alpha 0 later", "vm restore alpha 0 pause x",
		"vm restore alpha -1",
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(wrong); i++) {
		util_out_clear();
		shell_exec(wrong[i]);
		util_out_has("vm: usage: vm ");
		util_out_lacks("failed");
	}
	util_out_clear();
	shell_exec("vm checkpoint gamma 0");
	util_out_has("no VM of that name");
}

static void test_info_shows_checkpoint_counters(void **state)
{
	(void)state;
	shell_exec("vm info beta");
	util_out_has("vcpu");
	util_out_has(
		"  checkpoints 0, restores 0 (0 incremental), last restore copied 0 pages, last operation 0 us\r\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_vm_list_shows_every_vm,
						setup, util_teardown),
		cmocka_unit_test_setup_teardown(test_pause_and_resume_by_name,
						setup, util_teardown),
		cmocka_unit_test_setup_teardown(test_reset_by_name, setup,
						util_teardown),
		cmocka_unit_test_setup_teardown(test_wrong_name_or_subcommand,
						setup, util_teardown),
		cmocka_unit_test_setup_teardown(
			test_every_verb_confirms_in_one_line, setup,
			util_teardown),
		cmocka_unit_test_setup_teardown(test_stop_then_start_boots_cold,
						setup, util_teardown),
		cmocka_unit_test_setup_teardown(
			test_operator_stop_keeps_board_on, setup,
			util_teardown),
		cmocka_unit_test_setup_teardown(
			test_fatal_stop_gives_failure_status, setup,
			util_teardown),
		cmocka_unit_test_setup_teardown(
			test_help_says_how_a_stopped_vm_comes_back, setup,
			util_teardown),
		cmocka_unit_test_setup_teardown(
			test_console_start_gives_two_vms_the_shell, setup,
			util_teardown),
		cmocka_unit_test_setup_teardown(
			test_console_start_one_vm_has_the_console, setup_one,
			util_teardown),
		cmocka_unit_test_setup_teardown(
			test_ctrl_a_switches_console_input, setup,
			util_teardown),
		cmocka_unit_test_setup_teardown(test_input_waits_for_a_full_fifo,
						setup, util_teardown),
		cmocka_unit_test_setup_teardown(
			test_console_task_runs_when_woken, setup,
			util_teardown),
		cmocka_unit_test_setup_teardown(test_ctrl_a_odd_keys, setup,
						util_teardown),
		cmocka_unit_test_setup_teardown(
			test_checkpoint_commands_without_store, setup,
			util_teardown),
		cmocka_unit_test_setup_teardown(test_checkpoint_usage, setup,
						util_teardown),
		cmocka_unit_test_setup_teardown(
			test_info_shows_checkpoint_counters, setup,
			util_teardown),
	};

	return cmocka_run_group_tests_name("shell_vm", tests, setup_group,
					   NULL);
}
