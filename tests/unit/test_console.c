// SPDX-License-Identifier: MIT
/*
 * core/console.c through a fake UART: "\n" goes out as "\r\n", received
 * characters come back in order, a full input buffer drops the newest ones
 * (like a UART overrun) while the UART is still drained; core/panic.c
 * prints its reason through the console and halts the CPU, even when the
 * console lock is held by the panicking CPU.
 */
#include <kairos/console.h>
#include <kairos/cpu.h>
#include <kairos/panic.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

/* cmocka.h needs <setjmp.h>, <stdarg.h> and <stddef.h> first. */
#include <cmocka.h>

#include "fake.h"

#define OUT_MAX 8192
#define IN_MAX 32768

static char out[OUT_MAX];
static size_t nout;
static char in[IN_MAX];
static size_t nin, in_pos;
static unsigned int getc_calls;
static bool panic_in_putc;

static void uart_putc(void *ctx, char c)
{
	assert_ptr_equal(ctx, out);
	assert_true(nout < OUT_MAX - 1);
	out[nout++] = c;
	out[nout] = '\0';
	if (panic_in_putc) {
		panic_in_putc = false;
		panic("putc failed on '%c'", c);
	}
}

static int uart_getc(void *ctx)
{
	assert_ptr_equal(ctx, out);
	getc_calls++;
	return in_pos < nin ? (unsigned char)in[in_pos++] : -1;
}

static const struct console_ops uart = {
	.name = "fake-uart",
	.putc = uart_putc,
	.getc = uart_getc,
	.ctx = out,
};

/* The UART receives @s (bytes not yet taken stay queued). */
static void receive(const char *s, size_t len)
{
	assert_true(nin + len <= IN_MAX);
	memcpy(in + nin, s, len);
	nin += len;
}

static int setup(void **state)
{
	(void)state;
	fake_reset();
	console_register(&uart);
	while (console_getc() >= 0) /* the ring outlives tests: empty it */
		;
	nout = nin = in_pos = 0;
	out[0] = '\0';
	getc_calls = 0;
	panic_in_putc = false;
	return 0;
}

static void test_newline_becomes_crlf(void **state)
{
	(void)state;
	assert_int_equal(kprintf("a\nb%d\n\n", 7), 6);
	assert_int_equal(nout, 9);
	assert_memory_equal(out, "a\r\nb7\r\n\r\n", 9);
}

static void test_write_stops_at_len(void **state)
{
	(void)state;
	console_write("abc\ndef", 4);
	assert_string_equal(out, "abc\r\n");
	console_write("x\0y", 3); /* bytes, not a C string */
	assert_int_equal(nout, 8);
	assert_memory_equal(out + 5, "x\0y", 3);
}

static void test_long_kprintf_is_a_bounded_prefix(void **state)
{
	char big[1000];

	(void)state;
	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(kprintf("%s", big), (int)sizeof(big) - 1);
	assert_true(nout > 0 && nout < sizeof(big) - 1);
	assert_int_equal(strspn(out, "z"), nout);
}

static void test_locking_does_not_deadlock(void **state)
{
	(void)state;
	console_enable_locking();
	kprintf("one\n");
	kprintf("two\n");
	console_disable_locking();
	assert_string_equal(out, "one\r\ntwo\r\n");
}

static void test_no_console_registered(void **state)
{
	(void)state;
	console_register(NULL);
	kprintf("lost\n");
	console_rx_poll();
	assert_int_equal(console_getc(), -1);
	console_register(&uart);
	assert_int_equal(nout, 0);
}

static void test_rx_in_order(void **state)
{
	(void)state;
	assert_int_equal(console_getc(), -1);
	receive("hello", 5);
	console_rx_poll();
	assert_int_equal(in_pos, 5); /* the UART was drained */
	assert_int_equal(console_getc(), 'h');
	receive("!\xff", 2); /* arrives while the shell reads */
	console_rx_poll();
	for (const char *p = "ello!\xff"; *p; p++)
		assert_int_equal(console_getc(), (unsigned char)*p);
	assert_int_equal(console_getc(), -1);
}

static void test_rx_wraps_around(void **state)
{
	char chunk[100];

	(void)state;
	/* Far more than any input buffer, in chunks the reader keeps up with */
	for (unsigned int round = 0; round < 40; round++) {
		nin = in_pos = 0;
		for (unsigned int i = 0; i < sizeof(chunk); i++)
			chunk[i] = (char)('!' + (round * 7 + i) % 90);
		receive(chunk, sizeof(chunk));
		console_rx_poll();
		for (unsigned int i = 0; i < sizeof(chunk); i++)
			assert_int_equal(console_getc(), chunk[i]);
		assert_int_equal(console_getc(), -1);
	}
}

static void test_rx_overflow_drops_newest(void **state)
{
	char burst[20000];
	unsigned int kept = 0;
	int c;

	(void)state;
	for (unsigned int i = 0; i < sizeof(burst); i++)
		burst[i] = (char)('a' + i % 26);
	receive(burst, sizeof(burst));
	console_rx_poll();
	/* Drained all the same, or the UART interrupt would stay raised. */
	assert_int_equal(in_pos, sizeof(burst));
	while ((c = console_getc()) >= 0) {
		assert_true(kept < sizeof(burst));
		assert_int_equal(c,
				 burst[kept]); /* the oldest kept, in order */
		kept++;
	}
	print_message("    input buffer kept %u of %zu\n", kept, sizeof(burst));
	assert_true(kept < sizeof(burst)); /* it did overflow */
	/* What hello's rx_buffer= promises a client (docs/control.md). */
	assert_int_equal(kept, CONSOLE_RX_BUFFER);
	/* Room again once read. */
	receive("ok", 2);
	console_rx_poll();
	assert_int_equal(console_getc(), 'o');
	assert_int_equal(console_getc(), 'k');
	assert_int_equal(console_getc(), -1);
}

static void test_panic_prints_and_halts(void **state)
{
	struct cpu c = { .id = 3 };

	(void)state;
	arch_cpu_set_current(&c);
	expect_assert_failure(panic("boom %d", 42));
	assert_int_equal(fake_halts(), 1);
	assert_non_null(strstr(out, "boom 42"));
	assert_non_null(strstr(out, "CPU3"));
	assert_true(fake_irqs_masked());
	arch_cpu_set_current(NULL);
}

/*
 * Must stay last: the panic leaves the console lock taken for good, as it
 * would be on the dying CPU.
 */
static void test_panic_while_holding_console_lock(void **state)
{
	(void)state;
	console_enable_locking();
	panic_in_putc = true;
	expect_assert_failure(kprintf("x\n"));
	assert_int_equal(fake_halts(), 1);
	assert_non_null(strstr(out, "putc failed on 'x'"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_newline_becomes_crlf, setup),
		cmocka_unit_test_setup(test_write_stops_at_len, setup),
		cmocka_unit_test_setup(test_long_kprintf_is_a_bounded_prefix,
				       setup),
		cmocka_unit_test_setup(test_locking_does_not_deadlock, setup),
		cmocka_unit_test_setup(test_no_console_registered, setup),
		cmocka_unit_test_setup(test_rx_in_order, setup),
		cmocka_unit_test_setup(test_rx_wraps_around, setup),
		cmocka_unit_test_setup(test_rx_overflow_drops_newest, setup),
		cmocka_unit_test_setup(test_panic_prints_and_halts, setup),
		cmocka_unit_test_setup(test_panic_while_holding_console_lock,
				       setup),
	};

	return cmocka_run_group_tests_name("console", tests, NULL, NULL);
}
