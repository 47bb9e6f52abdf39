// SPDX-License-Identifier: MIT
/*
 * kairos-ckpt: inspect, verify, compare and synthesise Kairos checkpoint
 * images (docs/checkpoint-format.md). An image is read from a file, which
 * may hold more than the image (a dump of a whole slot): the image's own
 * total size says where it ends.
 */
#include "kairos-ckpt.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *out)
{
	fprintf(out,
		"usage: kairos-ckpt info IMAGE\n"
		"       kairos-ckpt verify IMAGE...\n"
		"       kairos-ckpt diff A B\n"
		"       kairos-ckpt synth OUT [options]   (kairos-ckpt synth --help)\n"
		"\n"
		"info:   what the image holds (VM, vCPUs, timers, interrupts, memory,\n"
		"        sections with their checksums); exit 1 if it is invalid\n"
		"verify: every check of the image Kairos makes before a restore\n"
		"        (the same function; Kairos then only compares it with the\n"
		"        VM it restores into); exit 0 when all pass, 1 with the\n"
		"        failed check\n"
		"diff:   which sections, vCPU register groups and memory pages differ;\n"
		"        exit 0 identical, 1 different, 2 an image is invalid\n"
		"synth:  write a synthetic image (for tests)\n");
}

bool ckpt_file_load(const char *path, struct ckpt_file *f)
{
	FILE *fp = fopen(path, "rb");
	size_t cap = 1 << 16, n = 0;
	uint8_t *buf = NULL;

	memset(f, 0, sizeof(*f));
	f->path = path;
	if (fp == NULL) {
		fprintf(stderr, "kairos-ckpt: cannot open %s: %s\n", path,
			strerror(errno));
		return false;
	}
	for (;;) {
		uint8_t *nb = realloc(buf, cap);
		size_t got;

		if (nb == NULL) {
			fprintf(stderr, "kairos-ckpt: %s: out of memory\n",
				path);
			goto fail;
		}
		buf = nb;
		got = fread(buf + n, 1, cap - n, fp);
		n += got;
		if (n < cap)
			break;
		cap *= 2;
	}
	if (ferror(fp)) {
		fprintf(stderr, "kairos-ckpt: cannot read %s: %s\n", path,
			strerror(errno));
		goto fail;
	}
	fclose(fp);
	f->buf = buf;
	f->len = n;
	return true;
fail:
	free(buf);
	fclose(fp);
	return false;
}

void ckpt_file_free(struct ckpt_file *f)
{
	free(f->buf);
	f->buf = NULL;
}

void ckpt_print_intids(FILE *out, const unsigned int *ids, unsigned int n)
{
	if (n == 0) {
		fputs("none", out);
		return;
	}
	for (unsigned int i = 0; i < n;) {
		unsigned int j = i;

		while (j + 1 < n && ids[j + 1] == ids[j] + 1)
			j++;
		fprintf(out, "%s%u", i ? ", " : "", ids[i]);
		if (j > i)
			fprintf(out, "-%u", ids[j]);
		i = j + 1;
	}
}

int ckpt_cmd_args(int argc, char **argv, int min, int max, const char *what)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		}
		if (argv[i][0] == '-' && argv[i][1] != '\0') {
			fprintf(stderr,
				"kairos-ckpt: %s: unknown option '%s'; see kairos-ckpt --help\n",
				argv[0], argv[i]);
			return 2;
		}
	}
	if (argc - 1 < min) {
		fprintf(stderr,
			"kairos-ckpt: %s: missing %s; see kairos-ckpt --help\n",
			argv[0], what);
		return 2;
	}
	if (max >= 0 && argc - 1 > max) {
		fprintf(stderr,
			"kairos-ckpt: %s: extra argument '%s' (wants %s); see kairos-ckpt --help\n",
			argv[0], argv[max + 1], what);
		return 2;
	}
	return CKPT_ARGS_OK;
}

int ckpt_cmd_verify(int argc, char **argv)
{
	int rc = ckpt_cmd_args(argc, argv, 1, -1, "IMAGE...");

	if (rc != CKPT_ARGS_OK)
		return rc;
	rc = 0;
	for (int i = 1; i < argc; i++) {
		struct ckpt_image img;
		struct ckpt_file f;
		char why[160];

		if (!ckpt_file_load(argv[i], &f)) {
			rc = 1;
			continue;
		}
		if (ckpt_parse(f.buf, f.len, 0, &img, why, sizeof(why)))
			printf("%s: ok (%u sections, %llu bytes)\n", argv[i],
			       img.nr, (unsigned long long)img.size);
		else {
			fprintf(stderr, "%s: invalid: %s\n", argv[i], why);
			rc = 1;
		}
		ckpt_file_free(&f);
	}
	return rc;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int argc, char **argv);
	} cmds[] = {
		{ "info", ckpt_cmd_info },
		{ "verify", ckpt_cmd_verify },
		{ "diff", ckpt_cmd_diff },
		{ "synth", ckpt_cmd_synth },
	};

	if (argc >= 2 &&
	    (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; argc >= 2 && i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].fn(argc - 1, argv + 1);
	if (argc >= 2) {
		/* One line, as every tool refuses a wrong command line. */
		fprintf(stderr,
			"kairos-ckpt: unknown command '%s' (info, verify, diff or synth; see kairos-ckpt --help)\n",
			argv[1]);
		return 2;
	}
	fprintf(stderr,
		"kairos-ckpt: missing command (info, verify, diff or synth; see kairos-ckpt --help)\n");
	return 2;
}
