// SPDX-License-Identifier: MIT
/*
 * Host version of arch/memops.h for the unit tests. The "instruction"
 * implementation stands for the CPU's CRC32C instructions: it folds a
 * word at a time bit by bit (what CRC32CX computes), with the same split
 * into unaligned head, aligned words and tail as arch/aarch64/memops.c,
 * so the tests exercise the edges the real routines have; the table one
 * is ckpt_crc32c_sw().
 */
#include <arch/memops.h>
#include <kairos/ckpt_format.h>
#include <string.h>

#include "fake.h"

#define CRC32C_POLY 0x82f63b78U

static enum mem_crc_impl impl = MEM_CRC_INSN;
static bool no_insn;
static enum fake_mem_fault fault;
static size_t fault_len;

static uint32_t byte_tab[256];

/* CRC32CX/CRC32CB: @bytes bytes of @v, least significant first. */
static uint32_t fold(uint32_t crc, uint64_t v, unsigned int bytes)
{
	if (!byte_tab[1])
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t c = i;

			for (unsigned int b = 0; b < 8; b++)
				c = (c & 1U) ? (c >> 1) ^ CRC32C_POLY : c >> 1;
			byte_tab[i] = c;
		}
	for (unsigned int k = 0; k < bytes; k++, v >>= 8)
		crc = (crc >> 8) ^ byte_tab[(crc ^ v) & 0xffU];
	return crc;
}

static uint32_t crc_bytes(uint32_t crc, const uint8_t *p, size_t len)
{
	while (len--)
		crc = fold(crc, *p++, 1);
	return crc;
}

static size_t head_len(const void *p, size_t len)
{
	size_t h = (size_t)(-(uintptr_t)p & 7U);

	return h < len ? h : len;
}

static uint32_t crc_words(uint32_t crc, const uint8_t *p, size_t len)
{
	size_t h = head_len(p, len), body = (len - h) & ~(size_t)7;

	crc = crc_bytes(crc, p, h);
	for (size_t i = 0; i < body; i += 8) {
		uint64_t v;

		memcpy(&v, p + h + i, 8);
		crc = fold(crc, v, 8);
	}
	return crc_bytes(crc, p + h + body, len - h - body);
}

enum mem_crc_impl arch_mem_crc_impl(void)
{
	return impl;
}

bool arch_mem_set_crc_impl(enum mem_crc_impl i)
{
	if (i == MEM_CRC_INSN && no_insn)
		return false;
	impl = i;
	return true;
}

void fake_mem_crc_insn_absent(bool absent)
{
	no_insn = absent;
	if (absent)
		impl = MEM_CRC_TABLE;
}

uint32_t arch_mem_crc32c(uint32_t crc, const void *p, size_t len)
{
	uint32_t r = impl == MEM_CRC_TABLE ? ckpt_crc32c_sw(crc, p, len) :
					     crc_words(crc, p, len);

	return fault == FAKE_MEM_CRC && len == fault_len ? r ^ 1U : r;
}

void fake_mem_break(enum fake_mem_fault what, size_t len)
{
	fault = what;
	fault_len = len;
}

void arch_mem_copy(void *dst, const void *src, size_t len)
{
	if (len)
		memcpy(dst, src, len);
	if (fault == FAKE_MEM_COPY_LAST_BYTE && len == fault_len)
		((uint8_t *)dst)[len - 1] ^= 1U;
	if (fault == FAKE_MEM_COPY_OVERRUN && len == fault_len)
		((uint8_t *)dst)[len] = 0;
}

uint32_t arch_mem_copy_crc32c(uint32_t crc, void *dst, const void *src,
			      size_t len)
{
	arch_mem_copy(dst, src, len);
	return arch_mem_crc32c(crc, dst, len);
}

void arch_mem_zero_clean(void *p, size_t len)
{
	if (len)
		memset(p, 0, len);
	if (fault == FAKE_MEM_ZERO_SHORT && len == fault_len)
		((uint8_t *)p)[len - 1] = 1;
}
