// SPDX-License-Identifier: MIT
/*
 * Self-test of the bulk memory operations (kairos/selftest.h): the
 * same code runs on the host against arch/fake (tests/unit/test_memops.c)
 * and in Kairos at EL2 on the real routines when /chosen asks for it
 * (kairos,selftest = "memops"; tests/integration/test_memops.py).
 */
#include <arch/memops.h>
#include <kairos/compiler.h>
#include <kairos/selftest.h>
#include <stdio.h>
#include <string.h>

#define MAX_LEN MEMOPS_SELFTEST_MAX_LEN
#define BIG MEMOPS_SELFTEST_BIG
#define GUARD 16U
#define POLY 0x82f63b78U
#define FILL 0xa5U

/* Neither needs zeroing at boot: the test writes them before it reads. */
static uint8_t src_buf[MAX_LEN + 2 * GUARD] NOINIT __attribute__((aligned(64)));
static uint8_t dst_buf[MAX_LEN + 2 * GUARD] NOINIT __attribute__((aligned(64)));
static uint8_t big[BIG] NOINIT __attribute__((aligned(64)));
static uint8_t big_dst[BIG] NOINIT __attribute__((aligned(64)));
/* ref[n]: raw CRC32C of the n bytes at the source offset being tested. */
static uint32_t ref[MAX_LEN + 1];

static uint32_t bitwise(uint32_t crc, const uint8_t *p, size_t len)
{
	while (len--) {
		crc ^= *p++;
		for (unsigned int b = 0; b < 8; b++)
			crc = (crc & 1U) ? (crc >> 1) ^ POLY : crc >> 1;
	}
	return crc;
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void fill(uint8_t *p, size_t len, uint64_t *seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)rnd(seed);
}

static bool fail(char *msg, size_t len, const char *what, unsigned int so,
		 unsigned int dof, size_t n)
{
	snprintf(msg, len,
		 "%s wrong at source offset %u, destination offset %u, length %zu",
		 what, so, dof, n);
	return false;
}

/* dst_buf holds FILL but for the @n bytes at @dof, which equal src. */
static bool copy_ok(unsigned int so, unsigned int dof, size_t n)
{
	for (unsigned int i = 0; i < dof; i++)
		if (dst_buf[i] != FILL)
			return false;
	for (size_t i = dof + n; i < dof + n + GUARD; i++)
		if (dst_buf[i] != FILL)
			return false;
	return !memcmp(dst_buf + dof, src_buf + so, n);
}

/* Every length at source offset @so, destination offset @dof. */
static bool sweep(unsigned int so, unsigned int dof, char *msg, size_t len)
{
	for (size_t n = 0; n <= MAX_LEN; n++) {
		uint32_t crc = 0xffffffffU;

		memset(dst_buf, FILL, dof + n + GUARD);
		arch_mem_copy(dst_buf + dof, src_buf + so, n);
		if (!copy_ok(so, dof, n))
			return fail(msg, len, "copy", so, dof, n);
		memset(dst_buf, FILL, dof + n + GUARD);
		crc = arch_mem_copy_crc32c(crc, dst_buf + dof, src_buf + so, n);
		if (!copy_ok(so, dof, n))
			return fail(msg, len, "fused copy", so, dof, n);
		if (crc != ref[n])
			return fail(msg, len, "fused CRC", so, dof, n);
		if (arch_mem_crc32c(0xffffffffU, src_buf + so, n) != ref[n])
			return fail(msg, len, "CRC", so, dof, n);
	}
	return true;
}

static bool exhaustive(char *msg, size_t len)
{
	uint64_t seed = 0x9e3779b97f4a7c15ULL;

	fill(src_buf, sizeof(src_buf), &seed);
	for (unsigned int so = 0; so < 8; so++) {
		ref[0] = 0xffffffffU;
		for (size_t n = 1; n <= MAX_LEN; n++)
			ref[n] = bitwise(ref[n - 1], src_buf + so + n - 1, 1);
		if (!sweep(so, so, msg, len) ||
		    !sweep(so, (so + 3) % 8, msg, len))
			return false;
	}
	return true;
}

/* Random chunks of the big buffer; its CRC in pieces equals the whole. */
static bool random_chunks(char *msg, size_t len)
{
	uint64_t seed = 0x243f6a8885a308d3ULL;
	uint32_t whole, pieces = 0;
	size_t off = 0;

	fill(big, BIG, &seed);
	whole = bitwise(0, big, BIG);
	while (off < BIG) {
		size_t n = (size_t)(rnd(&seed) % (5UL * MAX_LEN));

		if (n > BIG - off)
			n = BIG - off;
		pieces = arch_mem_copy_crc32c(pieces, big_dst + off, big + off,
					      n);
		off += n;
	}
	if (pieces != whole || memcmp(big, big_dst, BIG) != 0) {
		snprintf(msg, len,
			 "random chunks of %zu bytes: CRC or copy wrong", BIG);
		return false;
	}
	if (arch_mem_crc32c(0, big, BIG) != whole) {
		snprintf(msg, len, "CRC of %zu random bytes wrong", BIG);
		return false;
	}
	return true;
}

/* Zeroing of aligned chunks and of odd ones, guards kept. */
static bool zeroing(char *msg, size_t len)
{
	static const size_t sizes[] = { 0, 256, 4096, 65536, BIG - 4096 };

	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		size_t n = sizes[k];

		memset(big, FILL, BIG);
		arch_mem_zero_clean(big + 2048, n);
		for (size_t i = 0; i < BIG; i++)
			if (big[i] !=
			    ((i >= 2048 && i < 2048 + n) ? 0 : FILL)) {
				snprintf(msg, len,
					 "zeroing %zu bytes: byte %zu wrong", n,
					 i);
				return false;
			}
	}
	return true;
}

bool memops_selftest(char *msg, size_t len)
{
	if (bitwise(0xffffffffU, (const uint8_t *)"123456789", 9) !=
	    ~0xe3069283U) {
		snprintf(msg, len, "the reference CRC32C is wrong");
		return false;
	}
	if (!exhaustive(msg, len) || !random_chunks(msg, len) ||
	    !zeroing(msg, len))
		return false;
	snprintf(msg, len,
		 "lengths 0..%u at 16 alignments, %zu random bytes, zeroing",
		 MAX_LEN, BIG);
	return true;
}

bool memops_selftest_all(char *msg, size_t len)
{
	static const enum mem_crc_impl impls[] = { MEM_CRC_INSN,
						   MEM_CRC_TABLE };
	static const char *const names[] = { "instructions", "tables" };
	enum mem_crc_impl was = arch_mem_crc_impl();
	size_t used = 0;
	bool ok = true;

	for (unsigned int k = 0; k < 2 && used < len; k++) {
		char m[160];
		const char *verdict = "skipped";

		if (!arch_mem_set_crc_impl(impls[k])) {
			snprintf(m, sizeof(m), "not on this CPU");
		} else {
			bool pass = memops_selftest(m, sizeof(m));

			ok &= pass;
			verdict = pass ? "passed" : "FAILED";
		}
		used += (size_t)snprintf(msg + used, len - used, "%s%s %s: %s",
					 k ? "; " : "", names[k], verdict, m);
	}
	arch_mem_set_crc_impl(was);
	return ok;
}
