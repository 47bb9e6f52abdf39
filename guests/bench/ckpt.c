// SPDX-License-Identifier: MIT
/*
 * The guest's side of the checkpoint bench (docs/bench.md).
 *
 * copy (native): the limits. A plain memcpy of the bytes a full restore of
 *   a ckpt_mib= MiB VM writes (default 64), in one call (ckpt_copy), and
 *   page by page in the order a restore visits them (ckpt_copy_pages);
 *   the same with Kairos's own copy routine (arch/aarch64/memops.S, linked
 *   in: ckpt_copy_opt, ckpt_copy_opt_pages) and its copy with the CRC32C
 *   fused in (ckpt_copy_crc, what a checkpoint's capture cannot go
 *   below); ckpt_samples= samples (default 3: under -icount they do not
 *   vary).
 * ckpt (under Kairos): fills every page of its RAM above the image with
 *   data (no page left for the checkpoint to elide), then takes lines
 *   from its UART, which the host types with the control channel's
 *   `input`: "dirty N" writes one word in N pages spread evenly over
 *   that RAM, "quit" ends the test. Kairos checkpoints and restores it in
 *   between and says how long each took.
 */
#include "bench.h"

#include <libfdt.h>
#include <stdlib.h>
#include <string.h>

#define PAGE 4096UL
#define CMD_MAX 32

/* arch/aarch64/memops.S: 8-aligned pointers, whole words. */
void memops_copy8(void *dst, const void *src, size_t len);
uint32_t memops_copy_crc8(uint32_t crc, void *dst, const void *src, size_t len);

extern char _end[];

static uintptr_t page_up(uintptr_t a)
{
	return (a + PAGE - 1) & ~(PAGE - 1);
}

static uint64_t ckpt_bytes(void)
{
	uint64_t mib = 64;

	board_arg_u64("ckpt_mib", &mib);
	return mib << 20;
}

/* Kairos's copy of @bytes, whole and page by page, into @whole, @pages;
 * its fused copy and CRC32C into @crc. */
static void copy_opt(uint8_t *dst, const uint8_t *src, uint64_t bytes,
		     uint64_t n, struct bench_samples *s)
{
	for (uint64_t i = 0; i <= n; i++) {
		uint64_t t0 = bench_now(), t1;

		memops_copy8(dst, src, bytes);
		t1 = bench_now();
		if (i > 0)
			bench_record(&s[0], t1 - t0);
		t0 = bench_now();
		for (uint64_t off = 0; off < bytes; off += PAGE)
			memops_copy8(dst + off, src + off, PAGE);
		t1 = bench_now();
		if (i > 0)
			bench_record(&s[1], t1 - t0);
		t0 = bench_now();
		(void)memops_copy_crc8(~0U, dst, src, bytes);
		t1 = bench_now();
		if (i > 0)
			bench_record(&s[2], t1 - t0);
	}
}

TEST(copy)
{
	struct bench_samples whole = { .n = 0 }, pages = { .n = 0 };
	struct bench_samples opt[3] = { { .n = 0 }, { .n = 0 }, { .n = 0 } };
	uint64_t n = 3, bytes = ckpt_bytes();
	uint8_t *src = (uint8_t *)page_up((uintptr_t)_end + PAGE);
	uint8_t *dst = src + bytes;

	board_arg_u64("ckpt_samples", &n);
	if (n < 1 || n > BENCH_MAX_SAMPLES)
		n = 3;
	if (!bench_setup(false))
		return;
	if (!board_is_ram((uintptr_t)src, 2 * bytes)) {
		test_fail("needs 2 x %llu MiB of RAM above 0x%llx",
			  (unsigned long long)(bytes >> 20),
			  (unsigned long long)(uintptr_t)src);
		return;
	}
	memset(src, 0x5a, bytes);
	memset(dst, 0xa5, bytes);
	for (uint64_t i = 0; i <= n; i++) {
		uint64_t t0 = bench_now(), t1;

		memcpy(dst, src, bytes);
		t1 = bench_now();
		if (i > 0)
			bench_record(&whole, t1 - t0);
		t0 = bench_now();
		for (uint64_t off = 0; off < bytes; off += PAGE)
			memcpy(dst + off, src + off, PAGE);
		t1 = bench_now();
		if (i > 0)
			bench_record(&pages, t1 - t0);
	}
	EXPECT(memcmp(dst, src, bytes) == 0, "the copy differs");
	memset(dst, 0xa5, bytes);
	copy_opt(dst, src, bytes, n, opt);
	EXPECT(memcmp(dst, src, bytes) == 0, "Kairos's copy differs");
	printf("# bench: copy of %llu pages\n",
	       (unsigned long long)(bytes / PAGE));
	bench_report("ckpt_copy", &whole);
	bench_report("ckpt_copy_pages", &pages);
	bench_report("ckpt_copy_opt", &opt[0]);
	bench_report("ckpt_copy_opt_pages", &opt[1]);
	bench_report("ckpt_copy_crc", &opt[2]);
}

/* A line from the UART (polled): false when it overflows @len. */
static bool read_line(char *buf, size_t len)
{
	size_t n = 0;

	for (;;) {
		int c = uart_getc();

		if (c < 0) {
			__asm__ volatile("yield");
			continue;
		}
		if (c == '\r' || c == '\n') {
			buf[n] = '\0';
			return true;
		}
		if (n + 1 >= len)
			return false;
		buf[n++] = (char)c;
	}
}

/* Pages [first, first + count): write one word into @n of them, evenly. */
static void dirty(uintptr_t first, uint64_t count, uint64_t n, uint64_t round)
{
	for (uint64_t k = 0; k < n; k++) {
		volatile uint64_t *p =
			(volatile uint64_t *)(first + (k * count / n) * PAGE);

		*p = round << 32 | k;
	}
}

TEST(ckpt)
{
	uintptr_t first = page_up((uintptr_t)_end);
	uintptr_t dtb = (uintptr_t)board_dtb() & ~(PAGE - 1);
	uint64_t count, round = 0;
	char line[CMD_MAX];

	if (!bench_setup(false))
		return;
	/* The DTB (libguest reads the bootargs from it) stays as it is. */
	if (dtb >= first)
		first = page_up(dtb + fdt_totalsize(board_dtb()));
	count = (board_ram_end() - first) / PAGE;
	for (uint64_t k = 0; k < count; k++)
		memset((void *)(first + k * PAGE), (int)(k % 255) + 1, PAGE);
	printf("# bench: ckpt %llu pages at 0x%llx\n",
	       (unsigned long long)count, (unsigned long long)first);
	for (;;) {
		char *end;
		uint64_t n;

		printf("# bench: ckpt ready\n");
		if (!read_line(line, sizeof(line))) {
			test_fail("a line longer than %u characters", CMD_MAX);
			return;
		}
		if (!strcmp(line, "quit"))
			return;
		n = strncmp(line, "dirty ", 6) ? 0 :
						 strtoull(line + 6, &end, 10);
		if (!n || *end || n > count) {
			test_fail(
				"'%s': want 'dirty N' (0 < N <= %llu) or 'quit'",
				line, (unsigned long long)count);
			return;
		}
		dirty(first, count, n, ++round);
		printf("# bench: ckpt dirtied %llu pages\n",
		       (unsigned long long)n);
	}
}
