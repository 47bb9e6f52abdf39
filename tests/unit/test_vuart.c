// SPDX-License-Identifier: MIT
/*
 * core/vdev/vuart.c as a guest's PL011 driver sees it (through vmmio, at the
 * profile's address) and as the user reads it on the console: ID
 * registers, flags, receive order, interrupt status, refused and ignored
 * accesses, lines labelled with the VM's name, long lines kept whole,
 * partial lines (prompts) shown after a short idle time and continued on
 * the same console line, control characters escaped for the operator and
 * encoded raw for the control channel, CR LF as one line end, and the
 * streamed output of the VM that has console input.
 */
#include <kairos/console.h>
#include <kairos/cpu.h>
#include <kairos/profile_virt.h>
#include <kairos/time.h>
#include <kairos/timerq.h>
#include <kairos/ui.h>
#include <kairos/vdev.h>
#include <kairos/vgic.h>
#include <kairos/vmmio.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* cmocka.h needs <setjmp.h>, <stdarg.h> and <stddef.h> first. */
#include <cmocka.h>

#include "fake.h"
#include "util.h"

#define DR 0x000
#define FR 0x018
#define IBRD 0x024
#define LCR_H 0x02c
#define CR 0x030
#define IFLS 0x034
#define IMSC 0x038
#define RIS 0x03c
#define MIS 0x040
#define ICR 0x044
#define ID0 0xfe0

#define FR_RXFE 0x10U
#define FR_TXFE 0x80U
#define INT_RX 0x10U
#define INT_TX 0x20U
#define INT_RT 0x40U

static struct vm *alpha, *beta;

static int setup(void **state)
{
	(void)state;
	util_setup(1);
	util_vm_add("alpha", 1, NULL, 1);
	util_vm_add("beta", 1, NULL, 1);
	util_create();
	alpha = &vms[0];
	beta = &vms[1];
	return 0;
}

static uint64_t rd(struct vm *vm, uint64_t off, unsigned int len)
{
	uint64_t val = 0xdeadbeefdeadbeefULL;

	assert_int_equal(vmmio_access(&vm->vcpus[0], VIRT_UART + off, false,
				      len, &val),
			 MMIO_OK);
	return val;
}

static void wr(struct vm *vm, uint64_t off, unsigned int len, uint64_t val)
{
	assert_int_equal(vmmio_access(&vm->vcpus[0], VIRT_UART + off, true, len,
				      &val),
			 MMIO_OK);
}

static void puts_(struct vm *vm, const char *s)
{
	for (; *s; s++)
		wr(vm, DR, 1, (uint8_t)*s);
}

static void test_id_registers(void **state)
{
	static const uint8_t id[8] = { 0x11, 0x10, 0x14, 0x00,
				       0x0d, 0xf0, 0x05, 0xb1 };

	(void)state;
	for (unsigned int i = 0; i < 8; i++) {
		assert_int_equal(rd(alpha, ID0 + 4 * i, 4), id[i]);
		assert_int_equal(rd(alpha, ID0 + 4 * i, 2), id[i]);
		assert_int_equal(rd(alpha, ID0 + 4 * i, 1), id[i]);
		/* Each ID register holds one byte: the rest reads as zero. */
		for (unsigned int b = 1; b < 4; b++)
			assert_int_equal(rd(alpha, ID0 + 4 * i + b, 1), 0);
	}
	/* Written, they do not change. */
	wr(alpha, ID0, 4, 0xff);
	assert_int_equal(rd(alpha, ID0, 4), 0x11);
}

static void test_flags_track_received_chars(void **state)
{
	(void)state;
	assert_int_equal(rd(alpha, FR, 4) & (FR_TXFE | FR_RXFE),
			 FR_TXFE | FR_RXFE);
	assert_true(vuart_receive(alpha, 'a'));
	assert_int_equal(rd(alpha, FR, 4) & (FR_TXFE | FR_RXFE), FR_TXFE);
	/* Only alpha received it. */
	assert_true(rd(beta, FR, 4) & FR_RXFE);
	assert_int_equal(rd(alpha, DR, 4), 'a');
	assert_true(rd(alpha, FR, 4) & FR_RXFE);
	/* Transmitting never fills the TX FIFO. */
	puts_(alpha, "0123456789012345678901234567890123456789");
	assert_true(rd(alpha, FR, 1) & FR_TXFE);
}

static void test_receive_order_and_full_fifo(void **state)
{
	unsigned int n = 0;

	(void)state;
	while (vuart_receive(alpha, (char)('A' + n % 26)))
		n++;
	/* At least the PL011's 32 entries; then it refuses, not overwrites. */
	assert_true(n >= 32);
	assert_false(vuart_receive(alpha, '!'));
	for (unsigned int i = 0; i < n; i++)
		assert_int_equal(rd(alpha, DR, i % 2 ? 1 : 4), 'A' + i % 26);
	/* Empty: DR reads as zero, and reception works again. */
	assert_int_equal(rd(alpha, DR, 4), 0);
	assert_true(vuart_receive(alpha, (char)0xe9));
	assert_int_equal(rd(alpha, DR, 4), 0xe9); /* no sign extension */
}

static void test_interrupt_status_and_mask(void **state)
{
	(void)state;
	/* TX is always ready; nothing unmasked at reset. */
	assert_int_equal(rd(alpha, RIS, 4), INT_TX);
	assert_int_equal(rd(alpha, MIS, 4), 0);
	wr(alpha, IMSC, 4, INT_RX | INT_RT);
	assert_int_equal(rd(alpha, IMSC, 4), INT_RX | INT_RT);
	assert_int_equal(rd(alpha, MIS, 4), 0);
	vuart_receive(alpha, 'x');
	assert_int_equal(rd(alpha, RIS, 4), INT_TX | INT_RX | INT_RT);
	assert_int_equal(rd(alpha, MIS, 4), INT_RX | INT_RT);
	/* Clearing does not lose the character; reading it does. */
	wr(alpha, ICR, 4, 0x7ff);
	assert_int_equal(rd(alpha, MIS, 4), INT_RX | INT_RT);
	rd(alpha, DR, 4);
	assert_int_equal(rd(alpha, MIS, 4), 0);
	wr(alpha, IMSC, 4, INT_TX);
	assert_int_equal(rd(alpha, MIS, 4), INT_TX);
	/* Bits beyond the register's 11 are not kept. */
	wr(alpha, IMSC, 4, 0xfffff800U);
	assert_int_equal(rd(alpha, IMSC, 4), 0);
}

/* The level of the UART's SPI at the VM's distributor. */
static bool uart_line(struct vm *vm)
{
	return vm->vgic.spi[VIRT_UART_INTID - VGIC_NR_PRIVATE].flags &
	       VGIC_LINE;
}

static void test_interrupt_line_follows_masked_status(void **state)
{
	(void)state;
	/* Low at reset; input alone does not raise it while masked. */
	assert_false(uart_line(alpha));
	vuart_receive(alpha, 'x');
	assert_false(uart_line(alpha));
	/* Unmasking with input waiting raises it; only alpha's. */
	wr(alpha, IMSC, 4, INT_RX | INT_RT);
	assert_true(uart_line(alpha));
	assert_false(uart_line(beta));
	/* Reading the last character lowers it, the next one raises it. */
	assert_int_equal(rd(alpha, DR, 4), 'x');
	assert_false(uart_line(alpha));
	vuart_receive(alpha, 'y');
	vuart_receive(alpha, 'z');
	assert_true(uart_line(alpha));
	rd(alpha, DR, 4);
	assert_true(uart_line(alpha));
	rd(alpha, DR, 4);
	assert_false(uart_line(alpha));
	/* TX is always ready: unmasking it raises the line until masked. */
	wr(alpha, IMSC, 4, INT_TX);
	assert_true(uart_line(alpha));
	wr(alpha, IMSC, 4, 0);
	assert_false(uart_line(alpha));
}

static void test_sixty_four_bit_access_refused(void **state)
{
	uint64_t val = 0;

	(void)state;
	assert_int_equal(vmmio_access(&alpha->vcpus[0], VIRT_UART + DR, false,
				      8, &val),
			 MMIO_REFUSED);
	val = 'X';
	assert_int_equal(vmmio_access(&alpha->vcpus[0], VIRT_UART + DR, true, 8,
				      &val),
			 MMIO_REFUSED);
	vuart_flush(alpha);
	assert_string_equal(util_out(), "");
}

static void test_read_only_and_partial_writes_ignored(void **state)
{
	(void)state;
	wr(alpha, FR, 4, 0);
	wr(alpha, RIS, 4, 0);
	wr(alpha, MIS, 4, 0xffff);
	assert_int_equal(rd(alpha, FR, 4) & (FR_TXFE | FR_RXFE),
			 FR_TXFE | FR_RXFE);
	assert_int_equal(rd(alpha, RIS, 4), INT_TX);
	assert_int_equal(rd(alpha, MIS, 4), 0);
	/* Reset values, then written values read back (masked). */
	assert_int_equal(rd(alpha, CR, 4), 0x300);
	assert_int_equal(rd(alpha, IFLS, 4), 0x12);
	wr(alpha, IBRD, 4, 0x12345);
	assert_int_equal(rd(alpha, IBRD, 4), 0x2345);
	wr(alpha, LCR_H, 2, 0x170);
	assert_int_equal(rd(alpha, LCR_H, 4), 0x70);
	assert_int_equal(rd(alpha, CR, 2), 0x300);
	assert_int_equal(rd(alpha, CR + 1, 1), 0x03);
	/* A byte written into the middle of DR sends nothing. */
	wr(alpha, DR + 1, 1, 'Z');
	wr(alpha, DR, 1, '\n');
	assert_string_equal(util_out(), "[alpha] \r\n");
}

static void test_lines_are_labelled(void **state)
{
	(void)state;
	puts_(alpha, "hello");
	wr(alpha, DR, 2, ',');
	wr(alpha, DR, 4, ' ');
	puts_(beta, "from beta\r\n");
	puts_(alpha, "world\r\n");
	assert_string_equal(util_out(),
			    "[beta] from beta\r\n[alpha] hello, world\r\n");
	util_out_lacks("\r\r");
}

static void test_long_line_stays_whole(void **state)
{
	char line[VUART_LINE + 45], want[2 * VUART_LINE];

	(void)state;
	memset(line, 'x', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	puts_(alpha, line);
	/* A full buffer is printed; the line stays open for the rest. */
	snprintf(want, sizeof(want), "[alpha] %.*s", VUART_LINE, line);
	assert_string_equal(util_out(), want);
	puts_(alpha, "\n");
	snprintf(want, sizeof(want), "[alpha] %s\r\n", line);
	assert_string_equal(util_out(), want);
}

static void test_flush_prints_unfinished_line(void **state)
{
	(void)state;
	puts_(alpha, "no newline");
	assert_string_equal(util_out(), "");
	vuart_flush(alpha);
	assert_string_equal(util_out(), "[alpha] no newline\r\n");
	util_out_clear();
	vuart_flush(alpha); /* nothing left */
	puts_(alpha, "next\n");
	assert_string_equal(util_out(), "[alpha] next\r\n");
}

/* Let @us microseconds pass and run what is due on this pCPU. */
static void idle_for(uint64_t us)
{
	fake_counter_advance(time_us_to_ticks(us));
	timerq_expire(&cpu_current()->timerq);
}

static void test_prompt_shows_after_idle_time(void **state)
{
	(void)state;
	/* Well under 200 ms, so that a prompt shows before anyone waits. */
	assert_true(VUART_IDLE_US >= 10000 && VUART_IDLE_US <= 100000);
	puts_(alpha, "=> ");
	idle_for(VUART_IDLE_US - 1000);
	assert_string_equal(util_out(), "");
	idle_for(1000);
	assert_string_equal(util_out(), "[alpha] => ");
	/* The rest goes on the same line, not as a new labelled piece. */
	puts_(alpha, "version\r\n");
	assert_string_equal(util_out(), "[alpha] => version\r\n");
	util_out_lacks("[alpha] version");
}

static void test_output_between_ends_the_partial_line(void **state)
{
	(void)state;
	puts_(alpha, "login: ");
	idle_for(VUART_IDLE_US);
	puts_(beta, "from beta\n");
	kprintf("kairos: a message\n");
	puts_(alpha, "root\n");
	assert_string_equal(util_out(), "[alpha] login: \r\n"
					"[beta] from beta\r\n"
					"kairos: a message\r\n"
					"[alpha] root\r\n");
}

static void test_output_resets_the_idle_time(void **state)
{
	(void)state;
	puts_(alpha, "a");
	idle_for(VUART_IDLE_US / 2);
	puts_(alpha, "b");
	idle_for(VUART_IDLE_US / 2 + 1);
	assert_string_equal(util_out(), "");
	idle_for(VUART_IDLE_US / 2);
	assert_string_equal(util_out(), "[alpha] ab");
	/* Nothing more to show: the deadline is not re-armed for ever. */
	assert_int_equal(timerq_next_deadline(&cpu_current()->timerq),
			 UINT64_MAX);
}

/* Write @n bytes (NULs included) to @vm's data register. */
static void putn(struct vm *vm, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		wr(vm, DR, 1, (uint8_t)s[i]);
}

static void test_control_characters_are_escaped(void **state)
{
	static const char raw[] = "a\x1b[2Jb\0c\x0c\x7f\td\x07\x9b\xc3\xa9\n";

	(void)state;
	putn(alpha, raw, sizeof(raw) - 1);
	assert_string_equal(util_out(), "[alpha] a\\x1b[2Jb\\x00c\\x0c\\x7f"
					"\td\\x07\x9b\xc3\xa9\r\n");
	util_out_lacks("\x1b");
}

static void test_backspace_never_eats_the_label(void **state)
{
	(void)state;
	puts_(alpha, "ab\b\b\bc\n");
	assert_string_equal(util_out(), "[alpha] ab\b\b\\x08c\r\n");
}

static void test_cr_lf_is_one_line_end(void **state)
{
	(void)state;
	puts_(alpha, "one\r\ntwo\r\r\nthree\rfour\n\rfive\n\r\n\nsix\n");
	assert_string_equal(util_out(), "[alpha] one\r\n[alpha] two\r\n"
					"[alpha] three\r\n[alpha] four\r\n"
					"[alpha] five\r\n[alpha] \r\n"
					"[alpha] \r\n[alpha] six\r\n");
	util_out_lacks("\\x0d");
}

static void test_control_mode_gets_raw_bytes_encoded(void **state)
{
	static const char raw[] = "a\\b\x1b[1m\0\xc3\xa9\r\n";

	(void)state;
	ctl_enter();
	util_out_clear();
	putn(alpha, raw, sizeof(raw) - 1);
	assert_string_equal(util_out(),
			    "[alpha] a\\\\b\\x1b[1m\\x00\\xc3\\xa9\\x0d\r\n");
	/* A partial line is a whole console line ending in a backslash. */
	util_out_clear();
	puts_(alpha, "=> ");
	idle_for(VUART_IDLE_US);
	assert_string_equal(util_out(), "[alpha] => \\\r\n");
	puts_(alpha, "x\n");
	assert_string_equal(util_out(), "[alpha] => \\\r\n[alpha] x\r\n");
	for (const char *p = "t exit\r"; *p; p++)
		ctl_input(*p);
	assert_false(ctl_active());
}

static void test_console_target_streams(void **state)
{
	(void)state;
	util_type("\x01"
		  "1");
	shell_poll();
	assert_int_equal(shell_input_target(), 1);
	util_out_clear();
	/* A prompt shows at once, labelled once. */
	puts_(beta, "login: ");
	assert_string_equal(util_out(), "[beta] login: ");
	puts_(beta, "roo");
	puts_(alpha, "meanwhile");
	puts_(beta, "t\r\n");
	assert_string_equal(util_out(), "[beta] login: root\r\n");
	/* The other VM still prints whole lines. */
	puts_(alpha, "\n");
	puts_(beta, "# ");
	assert_string_equal(util_out(), "[beta] login: root\r\n"
					"[alpha] meanwhile\r\n[beta] # ");
	/*
	 * Switching away ends the open line; what follows is a new labelled
	 * line (never an unlabelled one a control client could misread).
	 */
	util_type("\x01k");
	shell_poll();
	assert_int_equal(strncmp(util_out() + strlen("[beta] login: root\r\n"
						     "[alpha] meanwhile\r\n"
						     "[beta] # "),
				 "\r\n", 2),
			 0);
	util_out_clear();
	puts_(beta, "ls\n");
	assert_string_equal(util_out(), "[beta] ls\r\n");
	puts_(beta, "x\n");
	assert_string_equal(util_out(), "[beta] ls\r\n[beta] x\r\n");
}

static void test_streaming_after_buffered_text(void **state)
{
	(void)state;
	puts_(alpha, "half ");
	util_type("\x01"
		  "0");
	shell_poll();
	util_out_clear();
	puts_(alpha, "way");
	assert_string_equal(util_out(), "[alpha] half way");
	vuart_flush(alpha);
	assert_string_equal(util_out(), "[alpha] half way\r\n");
}

static void test_reset_drops_output_and_input(void **state)
{
	(void)state;
	puts_(alpha, "lost");
	vuart_receive(alpha, 'q');
	wr(alpha, CR, 4, 0x301);
	vm_reset(alpha);
	util_boot_steps(alpha);
	util_out_clear();
	vuart_flush(alpha);
	assert_string_equal(util_out(), "");
	assert_true(rd(alpha, FR, 4) & FR_RXFE);
	assert_int_equal(rd(alpha, CR, 4), 0x300);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_id_registers, setup,
						util_teardown),
		cmocka_unit_test_setup_teardown(test_flags_track_received_chars,
						setup, util_teardown),
		cmocka_unit_test_setup_teardown(test_receive_order_and_full_fifo,
						setup, util_teardown),
		cmocka_unit_test_setup_teardown(test_interrupt_status_and_mask,
						setup, util_teardown),
		cmocka_unit_test_setup_teardown(
			test_interrupt_line_follows_masked_status, setup,
			util_teardown),
		cmocka_unit_test_setup_teardown(
			test_sixty_four_bit_access_refused, setup,
			util_teardown),
		cmocka_unit_test_setup_teardown(
			test_read_only_and_partial_writes_ignored, setup,
			util_teardown),
		cmocka_unit_test_setup_teardown(test_lines_are_labelled, setup,
						util_teardown),
		cmocka_unit_test_setup_teardown(test_long_line_stays_whole,
						setup, util_teardown),
		cmocka_unit_test_setup_teardown(
			test_prompt_shows_after_idle_time, setup,
			util_teardown),
		cmocka_unit_test_setup_teardown(
			test_output_between_ends_the_partial_line, setup,
			util_teardown),
		cmocka_unit_test_setup_teardown(test_output_resets_the_idle_time,
						setup, util_teardown),
		cmocka_unit_test_setup_teardown(
			test_control_characters_are_escaped, setup,
			util_teardown),
		cmocka_unit_test_setup_teardown(
			test_backspace_never_eats_the_label, setup,
			util_teardown),
		cmocka_unit_test_setup_teardown(test_cr_lf_is_one_line_end,
						setup, util_teardown),
		cmocka_unit_test_setup_teardown(
			test_control_mode_gets_raw_bytes_encoded, setup,
			util_teardown),
		cmocka_unit_test_setup_teardown(
			test_flush_prints_unfinished_line, setup,
			util_teardown),
		cmocka_unit_test_setup_teardown(test_console_target_streams,
						setup, util_teardown),
		cmocka_unit_test_setup_teardown(
			test_streaming_after_buffered_text, setup,
			util_teardown),
		cmocka_unit_test_setup_teardown(
			test_reset_drops_output_and_input, setup,
			util_teardown),
	};

	return cmocka_run_group_tests_name("vuart", tests, NULL, NULL);
}
