// SPDX-License-Identifier: MIT
/*
 * ram_fresh: the RAM a VM is given reads as zero (docs/security.md,
 * "Memory"; tests/integration/test_fresh_ram.py). Every page above the
 * image and the DTB must hold nothing but zeros at boot; then lines from
 * the UART: "fill" writes a pattern into all of them (what a next VM in
 * the same memory, or a restore, must not see), "check" checks again,
 * "quit" ends the test.
 */
#include "bench.h"

#include <libfdt.h>
#include <string.h>

#define PAGE 4096UL
#define LINE_MAX_LEN 16

extern char _end[];

static uintptr_t page_up(uintptr_t a)
{
	return (a + PAGE - 1) & ~(PAGE - 1);
}

/* A line from the UART (polled): false when it overflows @len. */
static bool get_line(char *buf, size_t len)
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

/* Pages [first, first + count) all zero; else the test fails. */
static bool all_zero(uintptr_t first, uint64_t count)
{
	uint64_t bad = 0, first_bad = 0, word = 0;

	for (uint64_t k = 0; k < count; k++) {
		const uint64_t *w = (const uint64_t *)(first + k * PAGE);
		uint64_t any = 0;

		for (unsigned int i = 0; i < PAGE / 8; i++)
			any |= w[i];
		if (any && !bad++) {
			first_bad = first + k * PAGE;
			for (unsigned int i = 0; i < PAGE / 8 && !word; i++)
				word = w[i];
		}
	}
	if (bad) {
		test_fail(
			"%llu of %llu pages not zero, the first at 0x%llx (a word 0x%llx)",
			(unsigned long long)bad, (unsigned long long)count,
			(unsigned long long)first_bad,
			(unsigned long long)word);
		return false;
	}
	printf("# ram: fresh, %llu pages at 0x%llx all zero\n",
	       (unsigned long long)count, (unsigned long long)first);
	return true;
}

TEST_FLAGS(ram_fresh, TEST_NAMED_ONLY)
{
	uintptr_t first = page_up((uintptr_t)_end);
	uintptr_t dtb = (uintptr_t)board_dtb() & ~(PAGE - 1);
	char line[LINE_MAX_LEN];
	uint64_t count;

	if (dtb >= first)
		first = page_up(dtb + fdt_totalsize(board_dtb()));
	count = (board_ram_end() - first) / PAGE;
	if (!all_zero(first, count))
		return;
	for (;;) {
		printf("# ram: ready\n");
		if (!get_line(line, sizeof(line))) {
			test_fail("a line longer than %u characters",
				  LINE_MAX_LEN);
			return;
		}
		if (!strcmp(line, "quit"))
			return;
		if (!strcmp(line, "check")) {
			if (!all_zero(first, count))
				return;
		} else if (!strcmp(line, "fill")) {
			for (uint64_t k = 0; k < count; k++)
				memset((void *)(first + k * PAGE),
				       (int)(k % 251) + 1, PAGE);
			printf("# ram: filled\n");
		} else {
			test_fail("'%s': want 'fill', 'check' or 'quit'", line);
			return;
		}
	}
}
