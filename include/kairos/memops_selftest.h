/* SPDX-License-Identifier: MIT */
#ifndef KAIROS_MEMOPS_SELFTEST_H
#define KAIROS_MEMOPS_SELFTEST_H

#include <kairos/types.h>

/** Largest length of the exhaustive part of the memops self-test. */
#define MEMOPS_SELFTEST_MAX_LEN 4096U
/** Size of the random buffer of its second part. */
#define MEMOPS_SELFTEST_BIG ((size_t)256 * 1024)

/**
 * Self-test of arch/memops.h with the CRC implementation in use, against
 * a bitwise CRC32C and byte compares: every source and destination
 * alignment (each of the 8 source alignments with the same and with
 * another destination alignment) and every length from 0 to
 * MEMOPS_SELFTEST_MAX_LEN for the copy, the fused copy and CRC and the
 * CRC alone, with guard bytes around each copy; then random chunks of a
 * MEMOPS_SELFTEST_BIG random buffer, whose CRC taken in pieces must equal
 * the whole; then zeroing. True on success; @msg gets a one-line verdict
 * naming the first defect.
 */
bool memops_selftest(char *msg, size_t len);

/**
 * memops_selftest() with each CRC implementation the CPU has (the
 * instructions, then the tables), restoring the one in use. True when
 * all passed; @msg names each implementation's verdict.
 */
bool memops_selftest_all(char *msg, size_t len);

#endif
