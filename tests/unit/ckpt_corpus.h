/* SPDX-License-Identifier: MIT */
/*
 * The checkpoint images at the limits: every field Kairos uses as a bound
 * or an index, at its largest accepted value and one past it, as edits of
 * a valid image. One corpus for the reader alone (test_ckpt_format.c) and
 * for a restore into a VM and a checkpoint of it again (test_ckpt.c), so
 * the tool's verify and Kairos cannot disagree on any of them.
 */
#ifndef KAIROS_TEST_CKPT_CORPUS_H
#define KAIROS_TEST_CKPT_CORPUS_H

#include <kairos/ckpt_format.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** One field of one section set to one value. */
struct ckpt_edit {
	const char *name;
	uint32_t type;  /**< section (CKPT_SEC_*) */
	uint32_t index; /**< its index (the vCPU for CKPT_SEC_VCPU) */
	size_t off;     /**< of the field in the payload */
	size_t size;    /**< of the field: 1, 2, 4 or 8 */
	uint64_t value;
	/** NULL: accepted; else part of the refusal's sentence */
	const char *refusal;
	/** accepted, and a checkpoint after the restore holds it again */
	bool round_trip;
};

extern const struct ckpt_edit ckpt_corpus[];
extern const unsigned int ckpt_corpus_len;

/**
 * Apply @e to the valid image of @len bytes at @buf and make every
 * checksum right again (section, section header, trailer), so that only
 * the field's value can be refused. False when the image has no such
 * section or the field lies outside it.
 */
bool ckpt_corpus_apply(uint8_t *buf, uint64_t len, const struct ckpt_edit *e);

/** Re-checksum every section, header and the trailer of an image whose
 *  payloads were edited (its framing intact). False when it is not. */
bool ckpt_corpus_fix_crcs(uint8_t *buf, uint64_t len);

/** The field @e edits, read from a parsed image; false if absent. */
bool ckpt_corpus_read(const struct ckpt_image *img, const struct ckpt_edit *e,
		      uint64_t *value);

#endif
