// SPDX-License-Identifier: MIT
/*
 * Bulk memory operations (arch/memops.h) for AArch64 at EL2. The loops
 * are in memops.S and take whole 8-byte words at 8-aligned addresses:
 * Kairos is built -mstrict-align, and every page a checkpoint moves is
 * aligned. Here are the edges: the bytes before the first aligned word and
 * after the last, and pointers that cannot both be aligned (newlib's
 * memcpy, and a CRC of the source alone).
 *
 * CRC32C: the CPU's instructions when ID_AA64ISAR0_EL1.CRC32 (Arm ARM
 * D19.2.61) says it has them, else the tables of ckpt_crc32c_sw(); the
 * build switch MEMOPS_CRC_TABLE (make KAIROS_CRC32=table) forces the
 * tables.
 */
#include <arch/memops.h>
#include <arch/mmu.h>
#include <asm/sysreg.h>
#include <kairos/ckpt_format.h>
#include <string.h>

void memops_copy8(void *dst, const void *src, size_t len);
uint32_t memops_copy_crc8(uint32_t crc, void *dst, const void *src, size_t len);
uint32_t memops_crc8(uint32_t crc, const void *p, size_t len);
uint32_t memops_crc_bytes(uint32_t crc, const void *p, size_t len);
void memops_zero_clean(void *p, size_t len, size_t line);

#define ISAR0_CRC32_SHIFT 16
#define DCZID_DZP (1UL << 4)

/* 0: not yet decided; else enum mem_crc_impl + 1. */
static unsigned int crc_impl;

static bool cpu_has_crc32(void)
{
	return ((read_sysreg(id_aa64isar0_el1) >> ISAR0_CRC32_SHIFT) & 0xf) !=
	       0;
}

enum mem_crc_impl arch_mem_crc_impl(void)
{
	if (!crc_impl) {
#ifdef MEMOPS_CRC_TABLE
		crc_impl = MEM_CRC_TABLE + 1;
#else
		crc_impl = (cpu_has_crc32() ? MEM_CRC_INSN : MEM_CRC_TABLE) + 1;
#endif
	}
	return (enum mem_crc_impl)(crc_impl - 1);
}

bool arch_mem_set_crc_impl(enum mem_crc_impl impl)
{
	if (impl == MEM_CRC_INSN && !cpu_has_crc32())
		return false;
	crc_impl = impl + 1;
	return true;
}

/* Bytes from @p to the next 8-aligned address, at most @len. */
static size_t head_len(const void *p, size_t len)
{
	size_t h = (size_t)(-(uintptr_t)p & 7U);

	return h < len ? h : len;
}

static uint32_t crc_insn(uint32_t crc, const uint8_t *p, size_t len)
{
	size_t h = head_len(p, len), body = (len - h) & ~(size_t)7;

	crc = memops_crc_bytes(crc, p, h);
	crc = memops_crc8(crc, p + h, body);
	return memops_crc_bytes(crc, p + h + body, len - h - body);
}

uint32_t arch_mem_crc32c(uint32_t crc, const void *p, size_t len)
{
	if (arch_mem_crc_impl() == MEM_CRC_TABLE)
		return ckpt_crc32c_sw(crc, p, len);
	return crc_insn(crc, p, len);
}

void arch_mem_copy(void *dst, const void *src, size_t len)
{
	size_t h = head_len(dst, len), body;

	if (((uintptr_t)dst ^ (uintptr_t)src) & 7U) {
		memcpy(dst, src, len);
		return;
	}
	body = (len - h) & ~(size_t)7;
	/* Pages are aligned: no call for empty edges. */
	if (h)
		memcpy(dst, src, h);
	memops_copy8((uint8_t *)dst + h, (const uint8_t *)src + h, body);
	if (len - h - body)
		memcpy((uint8_t *)dst + h + body,
		       (const uint8_t *)src + h + body, len - h - body);
}

uint32_t arch_mem_copy_crc32c(uint32_t crc, void *dst, const void *src,
			      size_t len)
{
	const uint8_t *s = src;
	uint8_t *d = dst;
	size_t h = head_len(d, len), body;

	if (arch_mem_crc_impl() == MEM_CRC_TABLE ||
	    (((uintptr_t)d ^ (uintptr_t)s) & 7U)) {
		arch_mem_copy(d, s, len);
		return arch_mem_crc32c(crc, s, len);
	}
	body = (len - h) & ~(size_t)7;
	if (h) {
		memcpy(d, s, h);
		crc = memops_crc_bytes(crc, s, h);
	}
	crc = memops_copy_crc8(crc, d + h, s + h, body);
	if (len - h - body == 0)
		return crc;
	memcpy(d + h + body, s + h + body, len - h - body);
	return memops_crc_bytes(crc, s + h + body, len - h - body);
}

void arch_mem_zero_clean(void *p, size_t len)
{
	uint64_t dczid = read_sysreg(dczid_el0);
	size_t block = 4UL << (dczid & 0xf);
	size_t line = 4UL << ((read_sysreg(ctr_el0) >> 16) & 0xf);
	uintptr_t a = (uintptr_t)p;

	/* One DC CVAC per ZVA block cleans it when the block is a line. */
	if ((dczid & DCZID_DZP) || block != line ||
	    ((a | len) & (4 * block - 1))) {
		arch_mem_zero(p, len);
		arch_dcache_clean(p, len);
		return;
	}
	memops_zero_clean(p, len, block);
}
