/* SPDX-License-Identifier: MIT */
/*
 * kairos-ckpt: the host tool for checkpoint images (docs/checkpoint-format.md).
 * Built with the host compiler from the same lib/ckpt_format.c as Kairos.
 */
#ifndef KAIROS_CKPT_TOOL_H
#define KAIROS_CKPT_TOOL_H

#include <kairos/ckpt_format.h>
#include <stdio.h>

/** A file read whole. */
struct ckpt_file {
	const char *path;
	uint8_t *buf;
	uint64_t len;
};

/** Read @path whole into @f; false (message printed) when it cannot. */
bool ckpt_file_load(const char *path, struct ckpt_file *f);

/** Free what ckpt_file_load() allocated. */
void ckpt_file_free(struct ckpt_file *f);

/** Print @n INTIDs of @ids as "27, 33-35" ("none" when @n is 0). */
void ckpt_print_intids(FILE *out, const unsigned int *ids, unsigned int n);

/** ckpt_cmd_args(): the command line is fine, go on. */
#define CKPT_ARGS_OK (-1)

/**
 * Check the command line of subcommand argv[0]: between @min and @max
 * operands (@max < 0: no upper bound) and no option but --help. Returns
 * CKPT_ARGS_OK, or the exit status: 0 after printing the usage for
 * --help, 2 after a one-line refusal naming the option, the missing
 * @what or the extra operand.
 */
int ckpt_cmd_args(int argc, char **argv, int min, int max, const char *what);

/** The subcommands; each returns the process exit status. */
int ckpt_cmd_info(int argc, char **argv);
int ckpt_cmd_verify(int argc, char **argv);
int ckpt_cmd_diff(int argc, char **argv);
int ckpt_cmd_synth(int argc, char **argv);

#endif
