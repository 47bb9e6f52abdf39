/* SPDX-License-Identifier: MIT */
/*
 * The fuzzers' assertions (tests/fuzz): a broken promise aborts, which
 * libFuzzer reports as a crash and keeps the input (make fuzz, mk/fuzz.mk).
 */
#ifndef TESTS_FUZZ_CHECK_H
#define TESTS_FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/** Abort with the file, line and expression unless @cond holds. */
#define FUZZ_CHECK(cond)                                                       \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, \
				__LINE__, #cond);                              \
			abort();                                               \
		}                                                              \
	} while (0)

/**
 * A refusal's message (@len bytes of room): it says something, in one
 * line, and ends within its buffer.
 */
static inline void fuzz_check_refusal(const char *msg, size_t len)
{
	const char *end = memchr(msg, '\0', len);

	FUZZ_CHECK(end != NULL);
	FUZZ_CHECK(end != msg);
	FUZZ_CHECK(memchr(msg, '\n', (size_t)(end - msg)) == NULL);
}

#endif
