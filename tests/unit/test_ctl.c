// SPDX-License-Identifier: MIT
/*
 * core/ui/ctl.c as a test rig drives it: the request parser on its own, then
 * the control mode through the console — every response line tagged, one
 * final status line per request, refusals that keep the channel open, no
 * Ctrl-A switching, guest output that stays labelled, events, and `exit`
 * back to the shell.
 */
#include <kairos/profile_virt.h>
#include <kairos/ui.h>
#include <kairos/vmmio.h>
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

static int setup_group(void **state)
{
	(void)state;
	shell_vm_init();
	return 0;
}

/* Leave control mode whatever a test did, then the common teardown. */
static int teardown(void **state)
{
	if (ctl_active()) {
		util_type("\x15zz exit\r");
		shell_poll();
	}
	assert_false(ctl_active());
	return util_teardown(state);
}

/* Type @s (shorter than the input buffer) and let the shell take it. */
static void type(const char *s)
{
	util_type(s);
	shell_poll();
}

/* Into control mode, with the output cleared after the banner. */
static void enter(void)
{
	type("ctl\r");
	util_out_has("@ctl 0 control mode, protocol 1");
	assert_true(ctl_active());
	util_out_clear();
}

/* The one final line of @tag, e.g. "@7 0 paused": its status and text. */
static unsigned int status_of(const char *tag, const char **msg)
{
	char pre[32];
	const char *p = util_out(), *hit = NULL;
	unsigned int n = 0;

	snprintf(pre, sizeof(pre), "@%s ", tag);
	for (; (p = strstr(p, pre)); p++) {
		if ((p == util_out() || p[-1] == '\n') &&
		    p[strlen(pre)] >= '0' && p[strlen(pre)] <= '9') {
			hit = p;
			n++;
		}
	}
	if (n != 1 || !hit) {
		fail_msg("%u final lines for tag %s in \"%s\"", n, tag,
			 util_out());
		return ~0U;
	}
	if (msg)
		*msg = strchr(hit + strlen(pre), ' ') + 1;
	return (unsigned int)strtoul(hit + strlen(pre), NULL, 10);
}

/* Every output line is tagged or a labelled/Kairos line: none half. */
static void assert_lines_whole(void)
{
	for (const char *p = util_out(); *p; p = strchr(p, '\n') + 1) {
		if (!strchr(p, '\n'))
			fail_msg("unterminated line \"%s\"", p);
		assert_true(p[0] == '@' || p[0] == '[' ||
			    !strncmp(p, "kairos", 6));
	}
}

static void test_parse_splits_tag_verb_args(void **state)
{
	char line[] = "  42\tcheckpoint  alpha   3 ";
	struct ctl_request r;
	const char *why = NULL;

	(void)state;
	assert_int_equal(ctl_parse(line, &r, &why), CTL_OK);
	assert_string_equal(r.tag, "42");
	assert_string_equal(r.verb, "checkpoint");
	assert_int_equal(r.argc, 2);
	assert_string_equal(r.argv[0], "alpha");
	assert_string_equal(r.argv[1], "3");
}

static void test_parse_refusals(void **state)
{
	static const char *const bad_tag[] = {
		"event list", "ctl list", "a.b list", "12345678901234567 list",
		"@1 list",    "",
	};
	char line[64];
	struct ctl_request r;
	const char *why = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof(bad_tag) / sizeof(bad_tag[0]); i++) {
		snprintf(line, sizeof(line), "%s", bad_tag[i]);
		assert_int_equal(ctl_parse(line, &r, &why), CTL_BAD_REQUEST);
		assert_null(r.tag);
		assert_non_null(strstr(why, "bad tag"));
	}
	snprintf(line, sizeof(line), "1234567890123456 list");
	assert_int_equal(ctl_parse(line, &r, &why), CTL_OK);
	snprintf(line, sizeof(line), "t_1-x ");
	assert_int_equal(ctl_parse(line, &r, &why), CTL_BAD_REQUEST);
	assert_string_equal(r.tag, "t_1-x");
	assert_string_equal(why, "missing verb");
	snprintf(line, sizeof(line), "9 restore a 1 pause x y");
	assert_int_equal(ctl_parse(line, &r, &why), CTL_BAD_REQUEST);
	assert_string_equal(r.tag, "9");
	assert_string_equal(why, "too many arguments");
}

static void test_slot_and_policy_parse(void **state)
{
	char why[128];
	unsigned int slot = 99;
	enum ckpt_policy p = CKPT_POLICY_CATCHUP;

	(void)state;
	/* No checkpoint-store in these VMs' configuration: no slot at all. */
	assert_int_equal(ctl_slot_parse("0", &slot, why, sizeof(why)),
			 CTL_NO_SLOT);
	assert_non_null(strstr(why, "no slot 0"));
	assert_int_equal(slot, 99);
	assert_int_equal(ctl_slot_parse("1x", &slot, why, sizeof(why)),
			 CTL_BAD_REQUEST);
	assert_int_equal(ctl_slot_parse("-1", &slot, why, sizeof(why)),
			 CTL_BAD_REQUEST);
	assert_int_equal(ctl_slot_parse("99999999999", &slot, why, sizeof(why)),
			 CTL_BAD_REQUEST);
	assert_true(ctl_policy_parse(NULL, &p));
	assert_int_equal(p, CKPT_POLICY_PAUSE);
	assert_true(ctl_policy_parse("catch-up", &p));
	assert_int_equal(p, CKPT_POLICY_CATCHUP);
	assert_false(ctl_policy_parse("later", &p));
}

static void test_hello_and_list(void **state)
{
	const char *msg;

	(void)state;
	enter();
	util_out_lacks("kairos> ");
	type("1 hello\r");
	util_out_has(
		"@1 - protocol=1 kairos=9.8.7-unit_(gtest) vms=2 slots=0 freq=");
	/* What a client may have on the way unanswered (docs/control.md). */
	util_out_has(" rx_buffer=16383\r\n");
	assert_int_equal(status_of("1", &msg), CTL_OK);
	type("2 list\r");
	util_out_has("@2 - vm=alpha id=0 state=running vcpus=2 exits=0\r\n");
	util_out_has("@2 - vm=beta id=1 state=running vcpus=1 exits=0\r\n");
	assert_int_equal(status_of("2", &msg), CTL_OK);
	assert_int_equal(strncmp(msg, "2 VMs", 5), 0);
	/* No echo, no prompt: nothing but answers. */
	util_out_lacks("kairos> ");
	util_out_lacks("hello");
	assert_lines_whole();
}

static void test_stop_and_start(void **state)
{
	const char *msg;

	(void)state;
	enter();
	type("a start alpha\r");
	assert_int_equal(status_of("a", &msg), CTL_BAD_STATE);
	assert_non_null(strstr(msg, "VM alpha is running, not stopped"));
	type("b stop beta\r");
	assert_int_equal(status_of("b", &msg), CTL_OK);
	assert_int_equal(strncmp(msg, "stopped", 7), 0);
	util_out_has("@event stopped vm=beta state=stopped\r\n");
	util_out_has("@b - vm=beta state=stopped\r\n");
	assert_int_equal(beta->state, VM_STOPPED);
	assert_int_equal(alpha->state, VM_RUNNING);
	type("c stop beta\r");
	assert_int_equal(status_of("c", &msg), CTL_OK);
	assert_int_equal(strncmp(msg, "already stopped", 15), 0);
	/* Stopped by request: the board stays on even with none running. */
	type("d stop alpha\r");
	assert_int_equal(status_of("d", NULL), CTL_OK);
	assert_int_equal(fake_power_off_calls(), 0);
	util_out_clear();
	type("e start beta\r");
	assert_int_equal(status_of("e", &msg), CTL_OK);
	assert_int_equal(strncmp(msg, "started", 7), 0);
	util_out_has("@event started vm=beta state=running\r\n");
	util_out_has("@e - vm=beta state=running\r\n");
	util_boot_steps(beta);
	assert_int_equal(beta->state, VM_RUNNING);
	assert_int_equal(beta->vcpus[0].st.regs.pc, beta->entry_ipa);
	type("f stop nosuch\r");
	assert_int_equal(status_of("f", NULL), CTL_NO_VM);
	type("g start\r");
	assert_int_equal(status_of("g", NULL), CTL_BAD_REQUEST);
	assert_lines_whole();
}

static void test_pause_resume_reset_counters(void **state)
{
	const char *msg;

	(void)state;
	enter();
	type("p pause alpha\r");
	assert_int_equal(status_of("p", &msg), CTL_OK);
	util_out_has("@p - vm=alpha state=paused\r\n");
	assert_int_equal(alpha->state, VM_PAUSED);
	assert_int_equal(beta->state, VM_RUNNING);
	type("p2 pause alpha\r");
	assert_int_equal(status_of("p2", &msg), CTL_OK);
	assert_int_equal(strncmp(msg, "already paused", 14), 0);
	type("r resume alpha\r");
	assert_int_equal(status_of("r", NULL), CTL_OK);
	assert_int_equal(alpha->state, VM_RUNNING);

	vm_stop(beta, "test");
	util_out_clear();
	type("s pause beta\r");
	assert_int_equal(status_of("s", &msg), CTL_BAD_STATE);
	assert_non_null(strstr(msg, "stopped"));
	assert_int_equal(beta->state, VM_STOPPED);
	type("x reset beta\r");
	assert_int_equal(status_of("x", NULL), CTL_OK);
	util_out_has("@event reset vm=beta state=running\r\n");
	util_out_has("@x - vm=beta state=running\r\n");
	assert_int_equal(beta->state, VM_RUNNING);

	alpha->vcpus[0].exits = 5;
	alpha->vcpus[1].exits = 7;
	alpha->vcpus[1].migrations = 2;
	type("c counters alpha\r");
	util_out_has(
		"@c - vm=alpha state=running exits=12 migrations=2 checkpoints=0 restores=0 incremental=0 pages_copied=0 last_us=0 last_ticks=0\r\n");
	util_out_has("@c - vcpu=0 exits=5 migrations=0\r\n");
	util_out_has("@c - vcpu=1 exits=7 migrations=2\r\n");
	assert_int_equal(status_of("c", NULL), CTL_OK);
	type("i info beta\r");
	util_out_has("@i - vm=beta id=1 state=running vcpus=1 mem=");
	util_out_has("@i - vcpu=0 cpu=0 run=ready\r\n");
	assert_int_equal(status_of("i", NULL), CTL_OK);
	assert_lines_whole();
}

static void test_refusals_keep_the_channel(void **state)
{
	char line[200];
	const char *msg;

	(void)state;
	enter();
	type("a pause gamma\r");
	assert_int_equal(status_of("a", &msg), CTL_NO_VM);
	assert_non_null(strstr(msg, "gamma"));
	type("b frobnicate\r");
	assert_int_equal(status_of("b", NULL), CTL_UNKNOWN_VERB);
	type("c pause\r");
	assert_int_equal(status_of("c", &msg), CTL_BAD_REQUEST);
	assert_non_null(strstr(msg, "usage: pause <vm>"));
	type("d list extra\r");
	assert_int_equal(status_of("d", NULL), CTL_BAD_REQUEST);
	type("e\r");
	assert_int_equal(status_of("e", NULL), CTL_BAD_REQUEST);
	type("f.g list\r");
	assert_int_equal(status_of("?", NULL), CTL_BAD_REQUEST);
	util_out_clear();
	type("h li\bst\r");
	assert_int_equal(status_of("h", NULL), CTL_BAD_REQUEST);
	/* Blank lines and CR LF are no requests. */
	util_out_clear();
	type("\r\n  \r\n");
	assert_string_equal(util_out(), "");

	/* A line past the limit: refused whole, under its tag. */
	memset(line, 'x', sizeof(line));
	memcpy(line, "long list ", 10);
	line[sizeof(line) - 1] = '\0';
	type(line);
	type("\r");
	assert_int_equal(status_of("long", &msg), CTL_TOO_LONG);
	assert_non_null(strstr(msg, "127"));
	assert_int_equal(alpha->state, VM_RUNNING);

	/*
	 * More than the input ring holds before the shell drains it: the
	 * overflow is dropped but the line end kept, so the line is refused
	 * and the next one answered.
	 */
	util_out_clear();
	memset(line, 'y', sizeof(line));
	memcpy(line, "burst list ", 11);
	line[sizeof(line) - 1] = '\0';
	util_type(line);
	util_type("yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy"
		  "yyyyyyyyyyyyyyyyyyyy\r");
	shell_poll();
	type("after list\r");
	assert_int_equal(status_of("burst", NULL), CTL_TOO_LONG);
	assert_int_equal(status_of("after", NULL), CTL_OK);

	/* Ctrl-U drops a half line; the channel goes on. */
	util_out_clear();
	type("junk junk\x15ok list\r");
	assert_int_equal(status_of("ok", NULL), CTL_OK);
	util_out_lacks("junk");
	assert_lines_whole();
}

static void test_ctrl_a_does_not_switch(void **state)
{
	(void)state;
	enter();
	/* Ctrl-A 0 would give alpha the input; here both keys are dropped. */
	type("\x01"
	     "01 list\r");
	assert_int_equal(shell_input_target(), -1);
	assert_true(ctl_active());
	assert_int_equal(status_of("1", NULL), CTL_OK);
	type("\x01k\x01\x01"
	     "2 hello\r");
	assert_int_equal(status_of("2", NULL), CTL_OK);
	assert_true(ctl_active());
}

static void test_checkpoint_without_store(void **state)
{
	const char *msg;

	(void)state;
	enter();
	type("s slots\r");
	assert_int_equal(status_of("s", &msg), CTL_OK);
	assert_int_equal(strncmp(msg, "0 slots", 7), 0);
	util_out_lacks("@s - ");
	type("c checkpoint alpha 0\r");
	assert_int_equal(status_of("c", &msg), CTL_NO_SLOT);
	assert_non_null(strstr(msg, "no slot 0"));
	type("r restore alpha 0 catch-up\r");
	assert_int_equal(status_of("r", NULL), CTL_NO_SLOT);
	type("b checkpoint alpha zero\r");
	assert_int_equal(status_of("b", NULL), CTL_BAD_REQUEST);
	type("p restore alpha 0 sometime\r");
	assert_int_equal(status_of("p", &msg), CTL_BAD_REQUEST);
	assert_non_null(strstr(msg, "catch-up"));
	type("n checkpoint gamma 0\r");
	assert_int_equal(status_of("n", NULL), CTL_NO_VM);
	assert_int_equal(alpha->state, VM_RUNNING);
}

/* "<tag> <verb> ..." padded with 'A' to @len characters, then CR. */
static const char *long_line(const char *start, size_t len)
{
	static char line[CTL_DATA_LINE_MAX + 16];

	memset(line, 'A', len);
	memcpy(line, start, strlen(start));
	line[len] = '\r';
	line[len + 1] = '\0';
	return line;
}

static void test_transfer_verbs_without_store(void **state)
{
	const char *msg;

	(void)state;
	enter();
	/* A put of a whole chunk is longer than 127 characters: taken. */
	type(long_line("p put 0 0 00000000 ", 19 + CTL_XFER_B64_MAX));
	assert_int_equal(status_of("p", &msg), CTL_NO_SLOT);
	assert_non_null(strstr(msg, "no slot 0"));
	/* Any other verb that long is refused whole, */
	type(long_line("q export 0 0 ", 19 + CTL_XFER_B64_MAX));
	assert_int_equal(status_of("q", NULL), CTL_TOO_LONG);
	/* and so is a put longer than its limit. */
	type(long_line("r put 0 0 00000000 ", CTL_DATA_LINE_MAX + 1));
	assert_int_equal(status_of("r", NULL), CTL_TOO_LONG);
	type("e export 0 0\r");
	assert_int_equal(status_of("e", NULL), CTL_NO_SLOT);
	type("i import 0 100\r");
	assert_int_equal(status_of("i", NULL), CTL_NO_SLOT);
	type("z zero 0 0 10\r");
	assert_int_equal(status_of("z", NULL), CTL_NO_SLOT);
	type("x import-end zero\r");
	assert_int_equal(status_of("x", NULL), CTL_BAD_REQUEST);
	type("s import-status\r");
	assert_int_equal(status_of("s", &msg), CTL_OK);
	assert_int_equal(strncmp(msg, "no import", 9), 0);
	type("a import-abort\r");
	assert_int_equal(status_of("a", NULL), CTL_OK);
	assert_lines_whole();
}

/* Guest bytes through the VM's UART data register. */
static void guest_prints(struct vm *vm, const char *s)
{
	for (; *s; s++) {
		uint64_t val = (uint8_t)*s;

		assert_int_equal(vmmio_access(&vm->vcpus[0], VIRT_UART, true, 4,
					      &val),
				 MMIO_OK);
	}
}

static void test_guest_output_stays_labelled(void **state)
{
	(void)state;
	/* alpha had console input and left a line open ("login: "). */
	type("\x01"
	     "0");
	guest_prints(alpha, "login: ");
	type("\x01k");
	enter();
	guest_prints(alpha, "@1 0 ok\n\n@event stopped vm=beta\n");
	util_out_has("[alpha] @1 0 ok\r\n");
	util_out_has("[alpha] @event stopped vm=beta\r\n");
	util_out_lacks("\n@");
	assert_int_equal(strncmp(util_out(), "[alpha] ", 8), 0);
	assert_lines_whole();
}

static void test_events_only_in_control_mode(void **state)
{
	(void)state;
	vm_stop(beta, "test");
	util_out_lacks("@event");
	enter();
	vm_stop(alpha, "guest said so");
	util_out_has("kairos: VM alpha stopped (guest said so)\r\n");
	util_out_has("@event stopped vm=alpha state=stopped\r\n");
}

/* What the guest reads from its UART's data register, until it is empty. */
static void guest_reads(struct vm *vm, char *buf, size_t len)
{
	size_t n = 0;

	while (!(vm->uart.rx_head == vm->uart.rx_tail) && n + 1 < len) {
		buf[n++] = vm->uart.rx[vm->uart.rx_tail];
		vm->uart.rx_tail = (vm->uart.rx_tail + 1) %
				   (unsigned int)sizeof(vm->uart.rx);
	}
	buf[n] = '\0';
}

static void test_input_types_a_line_into_the_vm(void **state)
{
	char got[128];
	const char *msg;

	(void)state;
	enter();
	type("t input beta echo  hi there\r");
	assert_int_equal(status_of("t", &msg), CTL_OK);
	util_out_has("@t - vm=beta chars=14\r\n");
	guest_reads(beta, got, sizeof(got));
	assert_string_equal(got, "echo hi there\r");
	guest_reads(alpha, got, sizeof(got));
	assert_string_equal(got, "");

	/* 40 + 1 + 40 + CR do not fit in 63: what fitted is taken. */
	util_out_clear();
	type("u input alpha "
	     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa "
	     "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\r");
	assert_int_equal(status_of("u", &msg), CTL_FAILED);
	assert_non_null(strstr(msg, "63 of 82 characters taken"));
	util_out_has("@u - vm=alpha chars=63\r\n");
	guest_reads(alpha, got, sizeof(got));
	assert_int_equal(strlen(got), 63);
	assert_int_equal(strncmp(got + 41, "bbbb", 4), 0);

	util_out_clear();
	type("v input gamma x\r");
	assert_int_equal(status_of("v", NULL), CTL_NO_VM);
	type("w input beta\r");
	assert_int_equal(status_of("w", NULL), CTL_BAD_REQUEST);
	assert_lines_whole();
}

/* `type` puts bytes into the UART as they are: escapes decoded, no Enter. */
static void test_type_sends_exact_bytes(void **state)
{
	char got[128];
	const char *msg;

	(void)state;
	enter();
	type("t type beta echo\\x20a\\\\b\\x0d\\x03\r");
	assert_int_equal(status_of("t", &msg), CTL_OK);
	util_out_has("@t - vm=beta chars=10\r\n");
	guest_reads(beta, got, sizeof(got));
	assert_string_equal(got, "echo a\\b\r\x03");

	/* Bad escapes are refused whole, naming where; nothing is typed. */
	util_out_clear();
	type("u type beta ab\\x4\r");
	assert_int_equal(status_of("u", &msg), CTL_BAD_REQUEST);
	assert_non_null(strstr(msg, "character 3"));
	type("v type beta ab\\q\r");
	assert_int_equal(status_of("v", NULL), CTL_BAD_REQUEST);
	guest_reads(beta, got, sizeof(got));
	assert_string_equal(got, "");

	/* A full FIFO: what fitted, and how much. */
	util_out_clear();
	type("w type alpha "
	     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r");
	assert_int_equal(status_of("w", &msg), CTL_FAILED);
	assert_non_null(strstr(msg, "63 of 70 characters taken"));
	guest_reads(alpha, got, sizeof(got));
	assert_int_equal(strlen(got), 63);

	type("x type gamma a\r");
	assert_int_equal(status_of("x", NULL), CTL_NO_VM);
	type("y type beta\r");
	assert_int_equal(status_of("y", NULL), CTL_BAD_REQUEST);
	assert_lines_whole();
}

static void test_exit_back_to_the_shell(void **state)
{
	(void)state;
	enter();
	type("ctl\r"); /* asked again: the same banner, still in the mode */
	util_out_has("@ctl 0 control mode");
	assert_true(ctl_active());
	util_out_clear();
	type("9 exit\rversion\r");
	assert_false(ctl_active());
	assert_int_equal(status_of("9", NULL), CTL_OK);
	util_out_has("kairos> version");
	util_out_has("9.8.7-unit");
	/* The shell takes Ctrl-A again. */
	type("\x01"
	     "1");
	assert_int_equal(shell_input_target(), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_splits_tag_verb_args),
		cmocka_unit_test(test_parse_refusals),
		cmocka_unit_test_setup_teardown(test_slot_and_policy_parse,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_hello_and_list, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_stop_and_start, setup,
						util_teardown),
		cmocka_unit_test_setup_teardown(test_pause_resume_reset_counters,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals_keep_the_channel,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_ctrl_a_does_not_switch,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_checkpoint_without_store,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_transfer_verbs_without_store, setup, teardown),
		cmocka_unit_test_setup_teardown(test_guest_output_stays_labelled,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_events_only_in_control_mode,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_input_types_a_line_into_the_vm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_type_sends_exact_bytes,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_exit_back_to_the_shell,
						setup, teardown),
	};

	return cmocka_run_group_tests_name("ctl", tests, setup_group, NULL);
}
