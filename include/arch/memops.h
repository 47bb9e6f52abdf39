/* SPDX-License-Identifier: MIT */
/*
 * Bulk memory operations at memory speed: the copies of checkpoint
 * capture, restore and image loading, the CRC32C that checkpoint images
 * carry (fused into the copy), and the zeroing of a VM's fresh RAM. Each
 * works on any chunk (pointer, length), so a caller may split a large
 * range into preemptible pieces. The CRCs are raw: no inversion before or
 * after (ckpt_crc32c() adds that).
 */
#ifndef ARCH_MEMOPS_H
#define ARCH_MEMOPS_H

#include <kairos/types.h>

/** Copy @len bytes from @src to @dst; the two must not overlap. */
void arch_mem_copy(void *dst, const void *src, size_t len);

/**
 * Copy @len bytes from @src to @dst (not overlapping) and fold the bytes
 * into the raw CRC32C @crc, in one pass; the new raw CRC.
 */
uint32_t arch_mem_copy_crc32c(uint32_t crc, void *dst, const void *src,
			      size_t len);

/** Fold @len bytes at @p into the raw CRC32C @crc; the new raw CRC. */
uint32_t arch_mem_crc32c(uint32_t crc, const void *p, size_t len);

/**
 * Zero @len bytes at @p (Normal memory) and clean them to the point of
 * coherency, so that a guest reading with its MMU or caches off sees the
 * zeros too.
 */
void arch_mem_zero_clean(void *p, size_t len);

/** How arch_mem_*crc32c() fold: the CPU's CRC32C instructions or a table. */
enum mem_crc_impl {
	MEM_CRC_TABLE, /**< slicing-by-8 tables (ckpt_crc32c_sw()) */
	MEM_CRC_INSN,  /**< FEAT_CRC32's CRC32C instructions */
};

/**
 * The implementation in use: the instructions when the CPU has them
 * (ID_AA64ISAR0_EL1.CRC32) unless the build forces the table.
 */
enum mem_crc_impl arch_mem_crc_impl(void);

/**
 * Use @impl from now on (the self-test runs both); false, changing
 * nothing, when the CPU cannot.
 */
bool arch_mem_set_crc_impl(enum mem_crc_impl impl);

#endif
