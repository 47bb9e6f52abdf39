/* SPDX-License-Identifier: MIT */
/*
 * The test registry. A guest declares tests with TEST(name) { ... }; the
 * descriptors land in the lg_tests section. The command line picks them:
 * test=NAME (or test=A,B), test=all, test=list. Each run prints exactly
 * "TEST <name>: PASS", "TEST <name>: FAIL <detail>" or, for a test that
 * does not apply here, "TEST <name>: SKIP <why>"; then "SUMMARY: <p>
 * passed, <f> failed" (", <s> skipped" added when any were), then the
 * guest calls SYSTEM_OFF.
 */
#ifndef LG_TEST_H
#define LG_TEST_H

#include <stdbool.h>

/** A test only runs when named: test=all skips it. */
#define TEST_NAMED_ONLY 1U

/** One test, as placed in the lg_tests section. */
struct lg_test {
	const char *name;
	void (*fn)(void);
	unsigned int flags;
};

#define TEST_FLAGS(tname, tflags)                                          \
	static void lg_test_fn_##tname(void);                              \
	static const struct lg_test lg_test_##tname                        \
		__attribute__((used, section("lg_tests"), aligned(8))) = { \
			.name = #tname,                                    \
			.fn = lg_test_fn_##tname,                          \
			.flags = (tflags),                                 \
		};                                                         \
	static void lg_test_fn_##tname(void)

/** Declares a test that test=all runs. */
#define TEST(tname) TEST_FLAGS(tname, 0)

/**
 * Marks the running test failed; the first detail is the one printed.
 * Callable from any CPU.
 */
void test_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/**
 * Marks the running test skipped (it does not apply: wrong GIC version,
 * too few CPUs); the verdict is SKIP unless it also failed.
 */
void test_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/** Whether the running test has failed so far. */
bool test_failed(void);
/**
 * Ends the run now: prints FAIL for the running test with @detail, the
 * summary, and turns the system off. For states a test cannot go on from.
 */
void test_abort(const char *detail) __attribute__((noreturn));

/** Fails the test and returns from the test function. */
#define FAIL(...)                       \
	do {                            \
		test_fail(__VA_ARGS__); \
		return;                 \
	} while (0)

/** Skips the test and returns from the test function. */
#define SKIP(...)                       \
	do {                            \
		test_skip(__VA_ARGS__); \
		return;                 \
	} while (0)

/** Fails and returns unless @cond holds. */
#define EXPECT(cond, ...)                  \
	do {                               \
		if (!(cond))               \
			FAIL(__VA_ARGS__); \
	} while (0)

#endif
