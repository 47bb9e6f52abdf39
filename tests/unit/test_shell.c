// SPDX-License-Identifier: MIT
/*
 * core/ui/shell.c through the console and a fake UART: every command that
 * "help" lists runs, an unknown one is named back to the user, line
 * editing (echo, backspace, overlong lines) and the board hooks the
 * commands reach (plat_power_off, plat_reset, arch_trigger_fault).
 */
#include <kairos/console.h>
#include <kairos/cpu.h>
#include <kairos/ui.h>
#include <kairos/version.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* cmocka.h needs <setjmp.h>, <stdarg.h> and <stddef.h> first. */
#include <cmocka.h>

#include "fake.h"

/* What boot/ and the Makefile provide in the real build. */
const char KAIROS_VERSION[] = "9.8.7-unit (gtest)";
struct cpu cpus[KAIROS_MAX_CPUS];
unsigned int cpu_count;

#define OUT_MAX 16384

static char out[OUT_MAX];
static size_t nout;

static void uart_putc(void *ctx, char c)
{
	(void)ctx;
	assert_true(nout < OUT_MAX - 1);
	out[nout++] = c;
	out[nout] = '\0';
}

static const struct console_ops uart = { .name = "fake", .putc = uart_putc };

static void clear(void)
{
	nout = 0;
	out[0] = '\0';
}

static void type(const char *s)
{
	for (; *s; s++)
		shell_input(*s);
}

static int setup(void **state)
{
	(void)state;
	fake_reset();
	console_register(&uart);
	memset(cpus, 0, sizeof(cpus));
	cpu_count = 1;
	cpus[0].online = true;
	arch_cpu_set_current(&cpus[0]);
	shell_input('\r'); /* end any half-typed line of a previous test */
	clear();
	return 0;
}

static void assert_out_has(const char *s)
{
	if (!strstr(out, s))
		fail_msg("output \"%s\" lacks \"%s\"", out, s);
}

static void assert_out_lacks(const char *s)
{
	if (strstr(out, s))
		fail_msg("output \"%s\" has \"%s\"", out, s);
}

static void test_unknown_command_is_named(void **state)
{
	(void)state;
	shell_exec("frobnicate  --now");
	assert_out_has("frobnicate");
	assert_out_has("help"); /* where to look next */
	assert_out_lacks("--now");
	clear();
	shell_exec("versionx");
	assert_out_has("versionx");
	assert_out_lacks(KAIROS_VERSION);
}

static void test_empty_line_is_silent(void **state)
{
	(void)state;
	shell_exec("");
	shell_exec("    ");
	assert_int_equal(nout, 0);
}

static void test_version(void **state)
{
	(void)state;
	shell_exec("version");
	assert_out_has(KAIROS_VERSION);
	clear();
	shell_exec("   version   extra args");
	assert_out_has(KAIROS_VERSION);
}

/* Each line of "help" names a command; each of them must run. */
static void test_help_lists_runnable_commands(void **state)
{
	char help[OUT_MAX], name[32];
	unsigned int n = 0;
	bool saw_help = false, saw_version = false;

	(void)state;
	fake_power_set_result(false, false);
	shell_exec("help");
	memcpy(help, out, nout + 1);
	for (char *line = strtok(help, "\r\n"); line;
	     line = strtok(NULL, "\r\n")) {
		assert_int_equal(sscanf(line, " %31s", name), 1);
		saw_help |= !strcmp(name, "help");
		saw_version |= !strcmp(name, "version");
		clear();
		shell_exec(name);
		assert_out_lacks("unknown");
		n++;
	}
	assert_true(n >= 2);
	assert_true(saw_help);
	assert_true(saw_version);
}

static void test_cpus(void **state)
{
	(void)state;
	cpu_count = 2;
	cpus[0].mpidr = 0;
	cpus[0].selftest = CPU_SELFTEST_PASSED;
	cpus[1].mpidr = 0x100;
	cpus[1].online = false;
	cpus[1].selftest = CPU_SELFTEST_FAILED;
	cpus[2].mpidr = 0x2345; /* beyond cpu_count: not listed */
	shell_exec("cpus");
	assert_out_has("CPU0");
	assert_out_has("CPU1");
	assert_out_has("0x100");
	assert_out_lacks("CPU2");
	assert_out_lacks("2345");
	/* CPU1's line says its self-test failed, CPU0's that it passed. */
	char *l1 = strstr(out, "CPU1");

	assert_non_null(strstr(l1, "fail"));
	*l1 = '\0';
	assert_null(strstr(out, "fail"));
	assert_non_null(strstr(out, "pass"));
}

static void test_poweroff_and_reset(void **state)
{
	(void)state;
	fake_power_set_result(false, false);
	shell_exec("poweroff");
	assert_int_equal(fake_power_off_calls(), 1);
	assert_int_equal(fake_reset_calls(), 0);
	assert_out_has("cannot");
	clear();
	shell_exec("reset");
	assert_int_equal(fake_reset_calls(), 1);
	assert_out_has("cannot");
	clear();
	fake_power_set_result(true, true);
	shell_exec("poweroff");
	shell_exec("reset");
	assert_int_equal(fake_power_off_calls(), 2);
	assert_int_equal(fake_reset_calls(), 2);
	assert_out_lacks("cannot");
}

static void test_crash_faults_this_cpu(void **state)
{
	(void)state;
	cpus[0].id = 5;
	shell_exec("crash");
	assert_int_equal(fake_faults(), 1);
	assert_out_has("CPU5");
}

static void test_typed_line_with_echo_and_backspace(void **state)
{
	(void)state;
	type("versx");
	assert_string_equal(out, "versx"); /* echoed as typed */
	type("\b");
	assert_out_has("\b \b"); /* erased on the terminal too */
	type("ion\r");
	assert_out_has(KAIROS_VERSION);
	/* Backspace on an empty line does nothing. */
	clear();
	type("\x7f\x7f");
	assert_int_equal(nout, 0);
	/* Control characters are not part of the command. */
	type("ver\x01sion\n");
	assert_out_has(KAIROS_VERSION);
}

static void test_overlong_line_is_cut_not_overrun(void **state)
{
	char longline[400];

	(void)state;
	memset(longline, 'a', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = '\0';
	type(longline);
	type("\r");
	assert_out_has("unknown");
	assert_out_lacks(longline);
	/* The next line starts clean. */
	clear();
	type("version\r");
	assert_out_has(KAIROS_VERSION);
}

static void test_ctrl_u_kills_the_line(void **state)
{
	(void)state;
	type("frob");
	clear();
	type("\x15");
	assert_string_equal(out, "\b \b\b \b\b \b\b \b");
	type("version\r");
	assert_out_has(KAIROS_VERSION);
	assert_out_lacks("frob");
	/* On an empty line it prints nothing. */
	clear();
	type("\x15");
	assert_int_equal(nout, 0);
}

static void cmd_grab(const char *args)
{
	(void)args;
	shell_hand_over();
}

static const struct shell_command grab_cmd[] = {
	{ "grab", "test: hand the console over", cmd_grab },
};

static void test_hand_over_means_no_prompt(void **state)
{
	(void)state;
	shell_add_commands(grab_cmd, 1);
	type("grab\r");
	assert_out_lacks("kairos> ");
	/* Only for that command: the next one gets its prompt again. */
	type("version\r");
	assert_out_has(KAIROS_VERSION);
	assert_out_has("kairos> ");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_unknown_command_is_named, setup),
		cmocka_unit_test_setup(test_empty_line_is_silent, setup),
		cmocka_unit_test_setup(test_version, setup),
		cmocka_unit_test_setup(test_help_lists_runnable_commands,
				       setup),
		cmocka_unit_test_setup(test_cpus, setup),
		cmocka_unit_test_setup(test_poweroff_and_reset, setup),
		cmocka_unit_test_setup(test_crash_faults_this_cpu, setup),
		cmocka_unit_test_setup(test_typed_line_with_echo_and_backspace,
				       setup),
		cmocka_unit_test_setup(test_overlong_line_is_cut_not_overrun,
				       setup),
		cmocka_unit_test_setup(test_ctrl_u_kills_the_line, setup),
		cmocka_unit_test_setup(test_hand_over_means_no_prompt, setup),
	};

	return cmocka_run_group_tests_name("shell", tests, NULL, NULL);
}
