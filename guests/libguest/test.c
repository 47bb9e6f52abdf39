// SPDX-License-Identifier: MIT
/*
 * The test runner: picks tests from the command line (test=NAME,
 * test=A,B, test=all, test=list), prints one verdict line per test and a
 * summary, then turns the system off.
 */
#include "internal.h"
#include <lg/board.h>
#include <lg/cpu.h>
#include <lg/psci.h>
#include <lg/sysreg.h>
#include <lg/test.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define DETAIL_MAX 256
#define SELECT_MAX 256

extern const struct lg_test __start_lg_tests[], __stop_lg_tests[];
/* The guest's name: generated per guest by mk/guests.mk. */
extern const char lg_guest_name[];

static const struct lg_test *test_current;
static unsigned int test_passed, test_nfailed, test_nskipped;
static bool test_bad, test_skipped;
static char test_detail[DETAIL_MAX];
static char test_skip_why[DETAIL_MAX];
static struct lg_rlock test_lock;

void test_fail(const char *fmt, ...)
{
	va_list ap;

	lg_rlock_acquire(&test_lock);
	if (!test_bad) {
		va_start(ap, fmt);
		vsnprintf(test_detail, sizeof(test_detail), fmt, ap);
		va_end(ap);
		test_bad = true;
	}
	lg_rlock_release(&test_lock);
}

void test_skip(const char *fmt, ...)
{
	va_list ap;

	lg_rlock_acquire(&test_lock);
	if (!test_skipped) {
		va_start(ap, fmt);
		vsnprintf(test_skip_why, sizeof(test_skip_why), fmt, ap);
		va_end(ap);
		test_skipped = true;
	}
	lg_rlock_release(&test_lock);
}

bool test_failed(void)
{
	return __atomic_load_n(&test_bad, __ATOMIC_ACQUIRE);
}

/*
 * linger=<ms> on the command line: stay up that long after the summary
 * before powering off, so that a test can still talk to Kairos while the
 * VM runs (Kairos powers the board off when every VM has stopped).
 */
static void linger(void)
{
	uint64_t ms;

	if (board_arg_u64("linger", &ms))
		time_delay_us(ms * 1000UL);
}

static void __attribute__((noreturn)) test_finish(void)
{
	int32_t ret;

	if (test_nskipped)
		printf("SUMMARY: %u passed, %u failed, %u skipped\n",
		       test_passed, test_nfailed, test_nskipped);
	else
		printf("SUMMARY: %u passed, %u failed\n", test_passed,
		       test_nfailed);
	fflush(stdout);
	linger();
	ret = psci_system_off();
	printf("libguest: PSCI SYSTEM_OFF returned %d\n", (int)ret);
	fflush(stdout);
	for (;;)
		__asm__ volatile("wfi");
}

void test_abort(const char *detail)
{
	/* One CPU reports; any other that aborts too waits for power-off. */
	static uint32_t aborting;

	if (__atomic_exchange_n(&aborting, 1, __ATOMIC_ACQ_REL) != 0) {
		for (;;)
			__asm__ volatile("wfi");
	}
	printf("TEST %s: FAIL %s\n", test_current ? test_current->name : "-",
	       detail);
	test_nfailed++;
	test_finish();
}

static void test_run(const struct lg_test *t)
{
	test_bad = false;
	test_skipped = false;
	test_detail[0] = '\0';
	test_current = t;
	printf("# running %s\n", t->name);
	t->fn();
	if (test_failed()) {
		printf("TEST %s: FAIL %s\n", t->name, test_detail);
		test_nfailed++;
	} else if (test_skipped) {
		printf("TEST %s: SKIP %s\n", t->name, test_skip_why);
		test_nskipped++;
	} else {
		printf("TEST %s: PASS\n", t->name);
		test_passed++;
	}
	test_current = NULL;
}

static const struct lg_test *test_find(const char *name, size_t len)
{
	for (const struct lg_test *t = __start_lg_tests; t < __stop_lg_tests;
	     t++) {
		if (strlen(t->name) == len && strncmp(t->name, name, len) == 0)
			return t;
	}
	return NULL;
}

/* The test after @prev in name order (NULL: the first), or NULL. */
static const struct lg_test *test_next(const struct lg_test *prev)
{
	const struct lg_test *best = NULL;

	for (const struct lg_test *t = __start_lg_tests; t < __stop_lg_tests;
	     t++) {
		if (prev && strcmp(t->name, prev->name) <= 0)
			continue;
		if (!best || strcmp(t->name, best->name) < 0)
			best = t;
	}
	return best;
}

static void test_list(void)
{
	printf("tests in %s:\n", lg_guest_name);
	for (const struct lg_test *t = test_next(NULL); t; t = test_next(t))
		printf("  %s%s\n", t->name,
		       t->flags & TEST_NAMED_ONLY ? " (only when named)" : "");
}

static void test_select(const char *sel)
{
	if (strcmp(sel, "all") == 0) {
		for (const struct lg_test *t = test_next(NULL); t;
		     t = test_next(t)) {
			if (t->flags & TEST_NAMED_ONLY)
				printf("# skipping %s: runs only when named\n",
				       t->name);
			else
				test_run(t);
		}
		return;
	}
	while (*sel) {
		size_t len = strcspn(sel, ",");
		const struct lg_test *t = test_find(sel, len);

		if (t) {
			test_run(t);
		} else {
			printf("TEST %.*s: FAIL no such test in %s\n", (int)len,
			       sel, lg_guest_name);
			test_nfailed++;
		}
		sel += len;
		if (*sel == ',')
			sel++;
	}
}

void lg_early_init(const void *dtb)
{
	if (!board_early_init(dtb)) {
		lg_early_puts(
			"libguest: no DTB with a /memory node in x0, stopping\n");
		for (;;)
			__asm__ volatile("wfi");
	}
	mmu_build();
}

void lg_main(void)
{
	char sel[SELECT_MAX];

	printf("libguest: %s, %u CPUs, RAM 0x%llx-0x%llx, bootargs \"%s\"\n",
	       lg_guest_name, board_cpu_count(),
	       (unsigned long long)board_mem(0)->base,
	       (unsigned long long)board_ram_end(), board_bootargs());
	if (board_arg("list", sel, sizeof(sel)) ||
	    (board_arg("test", sel, sizeof(sel)) && strcmp(sel, "list") == 0)) {
		test_list();
	} else if (board_arg("test", sel, sizeof(sel)) && sel[0]) {
		test_select(sel);
	} else {
		printf("libguest: no test=NAME on the command line (test=all runs every test)\n");
		test_list();
	}
	test_finish();
}
