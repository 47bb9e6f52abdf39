// SPDX-License-Identifier: MIT
/*
 * The bulk memory operations' self-test (core/selftest/memops_selftest.c) on the
 * host, against arch/fake's routines with each CRC implementation: it
 * passes on correct routines and names the defect on each kind of broken
 * one. The table CRC (ckpt_crc32c_sw) and ckpt_crc32c() against a bitwise
 * reference at every length and alignment, and on large random buffers.
 */
#include <arch/memops.h>
#include <kairos/ckpt_format.h>
#include <kairos/selftest.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

/* cmocka.h needs <setjmp.h>, <stdarg.h> and <stddef.h> first. */
#include <cmocka.h>

#include "fake.h"

static char msg[400];

static int reset(void **state)
{
	(void)state;
	fake_mem_crc_insn_absent(false);
	fake_mem_break(FAKE_MEM_NONE, 0);
	assert_true(arch_mem_set_crc_impl(MEM_CRC_INSN));
	msg[0] = '\0';
	return 0;
}

static uint32_t bitwise(uint32_t crc, const uint8_t *p, size_t len)
{
	crc = ~crc;
	while (len--) {
		crc ^= *p++;
		for (int b = 0; b < 8; b++)
			crc = (crc & 1U) ? (crc >> 1) ^ 0x82f63b78U : crc >> 1;
	}
	return ~crc;
}

static void test_selftest_passes_with_each_crc(void **state)
{
	(void)state;
	assert_true(arch_mem_set_crc_impl(MEM_CRC_INSN));
	assert_true(memops_selftest(msg, sizeof(msg)));
	assert_true(arch_mem_set_crc_impl(MEM_CRC_TABLE));
	assert_true(memops_selftest(msg, sizeof(msg)));
	assert_non_null(strstr(msg, "lengths 0..4096"));
}

static void test_selftest_all_names_both_and_restores(void **state)
{
	(void)state;
	assert_true(arch_mem_set_crc_impl(MEM_CRC_TABLE));
	assert_true(memops_selftest_all(msg, sizeof(msg)));
	assert_non_null(strstr(msg, "instructions passed"));
	assert_non_null(strstr(msg, "tables passed"));
	assert_int_equal(arch_mem_crc_impl(), MEM_CRC_TABLE);
}

static void test_selftest_without_crc_insns_uses_tables(void **state)
{
	(void)state;
	fake_mem_crc_insn_absent(true);
	assert_false(arch_mem_set_crc_impl(MEM_CRC_INSN));
	assert_int_equal(arch_mem_crc_impl(), MEM_CRC_TABLE);
	assert_true(memops_selftest_all(msg, sizeof(msg)));
	assert_non_null(strstr(msg, "instructions skipped"));
	assert_non_null(strstr(msg, "tables passed"));
}

/* Each planted defect fails the self-test, which names it. */
static void test_selftest_finds_each_defect(void **state)
{
	static const struct {
		enum fake_mem_fault f;
		size_t len;
		const char *says;
	} cases[] = {
		{ FAKE_MEM_COPY_LAST_BYTE, 4095,
		  "copy wrong at source offset 0, destination offset 0, length 4095" },
		{ FAKE_MEM_COPY_OVERRUN, 7,
		  "copy wrong at source offset 0, destination offset 0, length 7" },
		{ FAKE_MEM_CRC, 4096,
		  "CRC wrong at source offset 0, destination offset 0, length 4096" },
		{ FAKE_MEM_ZERO_SHORT, 4096, "zeroing 4096 bytes" },
	};

	(void)state;
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		fake_mem_break(cases[k].f, cases[k].len);
		assert_false(memops_selftest(msg, sizeof(msg)));
		if (!strstr(msg, cases[k].says))
			fail_msg("defect %zu: verdict \"%s\"", k, msg);
	}
	fake_mem_break(FAKE_MEM_NONE, 0);
	assert_true(memops_selftest(msg, sizeof(msg)));
}

/* The published check value and the bitwise reference, every alignment
 * and length to 4 KiB, for the table CRC and ckpt_crc32c(). */
static void test_table_crc_matches_bitwise(void **state)
{
	static uint8_t buf[4096 + 16];
	uint64_t s = 88172645463325252ULL;

	(void)state;
	assert_int_equal(ckpt_crc32c(0, "123456789", 9), 0xe3069283U);
	for (size_t i = 0; i < sizeof(buf); i++) {
		s ^= s << 13, s ^= s >> 7, s ^= s << 17;
		buf[i] = (uint8_t)s;
	}
	for (size_t a = 0; a < 8; a++) {
		uint32_t ref = 0;

		for (size_t n = 0; n <= 4096; n++) {
			if (n)
				ref = bitwise(ref, buf + a + n - 1, 1);
			if (ckpt_crc32c(0, buf + a, n) != ref ||
			    ~ckpt_crc32c_sw(~0U, buf + a, n) != ref)
				fail_msg("alignment %zu, length %zu", a, n);
		}
	}
}

/* Large random buffers: the fused copy equals a copy plus the CRC. */
static void test_fused_copy_large_random(void **state)
{
	enum { N = 3 * 1024 * 1024 + 5 };
	static uint8_t src[N], dst[N + 8];
	uint64_t s = 0x853c49e6748fea9bULL;

	(void)state;
	for (size_t i = 0; i < N; i++) {
		s ^= s << 13, s ^= s >> 7, s ^= s << 17;
		src[i] = (uint8_t)(s >> 11);
	}
	for (int impl = 0; impl < 2; impl++) {
		assert_true(arch_mem_set_crc_impl(impl ? MEM_CRC_TABLE :
							 MEM_CRC_INSN));
		memset(dst, 0, sizeof(dst));
		assert_int_equal(~arch_mem_copy_crc32c(~0U, dst + 3, src, N),
				 bitwise(0, src, N));
		assert_memory_equal(dst + 3, src, N);
		assert_int_equal(ckpt_crc32c_copy(0, dst, src + 1, N - 1),
				 bitwise(0, src + 1, N - 1));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_selftest_passes_with_each_crc,
				       reset),
		cmocka_unit_test_setup(test_selftest_all_names_both_and_restores,
				       reset),
		cmocka_unit_test_setup(
			test_selftest_without_crc_insns_uses_tables, reset),
		cmocka_unit_test_setup(test_selftest_finds_each_defect, reset),
		cmocka_unit_test_setup(test_table_crc_matches_bitwise, reset),
		cmocka_unit_test_setup(test_fused_copy_large_random, reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
