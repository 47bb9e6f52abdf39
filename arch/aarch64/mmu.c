// SPDX-License-Identifier: MIT
/*
 * The EL2 stage-1 identity map: 4K granule, 48-bit VA, walks from level 0
 * (Arm ARM D8.2). Tables come from a static pool; no allocation after
 * boot. Blocks are used wherever a range is aligned, and a block is split
 * into a table when a finer mapping (text read-only, a device page) lands
 * inside it.
 */
#include <arch/mmu.h>
#include <asm/sysreg.h>
#include <kairos/compiler.h>
#include <string.h>

#define PT_ENTRIES 512
#define PT_POOL_PAGES 128
#define PAGE_SHIFT 12
#define PAGE_SIZE (1UL << PAGE_SHIFT)
#define VA_LIMIT (1UL << 48)

#define DESC_VALID (1UL << 0)
#define DESC_TABLE (1UL << 1) /* table at levels 0-2, page at level 3 */
#define DESC_ATTRIDX(i) ((uint64_t)(i) << 2)
#define DESC_AP1 (1UL << 6) /* RES1 in the single-privilege EL2 regime */
#define DESC_RO (1UL << 7)  /* AP[2] */
#define DESC_SH_INNER (3UL << 8)
#define DESC_AF (1UL << 10)
#define DESC_XN (1UL << 54)
#define DESC_OA_MASK 0x0000fffffffff000UL

/** Root table; secondary_entry hands its address to mmu_enable_asm. */
uint64_t mmu_root[PT_ENTRIES] __attribute__((aligned(PAGE_SIZE)));

static uint64_t pool[PT_POOL_PAGES][PT_ENTRIES]
	__attribute__((aligned(PAGE_SIZE)));
static unsigned int pool_used;
static bool mmu_on;

void mmu_enable_asm(uint64_t *root);

static uint64_t kind_attrs(enum mmu_kind kind)
{
	const uint64_t normal = DESC_ATTRIDX(MAIR_IDX_NORMAL) | DESC_SH_INNER |
				DESC_AF | DESC_AP1;

	switch (kind) {
	case MMU_NORMAL_RW: return normal | DESC_XN;
	case MMU_NORMAL_RO: return normal | DESC_RO | DESC_XN;
	case MMU_NORMAL_RX: return normal | DESC_RO;
	case MMU_DEVICE:
	default:
		return DESC_ATTRIDX(MAIR_IDX_DEVICE_nGnRE) | DESC_AF |
		       DESC_AP1 | DESC_XN;
	}
}

static uint64_t *table_alloc(void)
{
	if (pool_used == PT_POOL_PAGES)
		return NULL;
	memset(pool[pool_used], 0, sizeof(pool[0]));
	return pool[pool_used++];
}

/* Replace the block in *d (at @level) by a table of equivalent entries. */
static uint64_t *split_block(uint64_t *d, int level)
{
	uint64_t *t = table_alloc();
	unsigned int shift = 39U - 9U * (unsigned int)(level + 1);
	uint64_t attrs = *d & ~DESC_OA_MASK & ~(DESC_VALID | DESC_TABLE);
	uint64_t oa = *d & DESC_OA_MASK;
	uint64_t type = level + 1 == 3 ? DESC_VALID | DESC_TABLE : DESC_VALID;

	if (!t)
		return NULL;
	for (uint64_t i = 0; i < PT_ENTRIES; i++)
		t[i] = (oa + (i << shift)) | attrs | type;
	*d = (uint64_t)(uintptr_t)t | DESC_VALID | DESC_TABLE;
	return t;
}

/* The next-level table a table descriptor points to (EL2 maps 1:1). */
static uint64_t *desc_table(uint64_t d)
{
	return (uint64_t *)(uintptr_t)(d & DESC_OA_MASK);
}

/* Recursion is bounded: one call per table level, at most four. */
// NOLINTNEXTLINE(misc-no-recursion)
static bool map_level(uint64_t *table, int level, uint64_t va, uint64_t end,
		      uint64_t attrs)
{
	unsigned int shift = 39U - 9U * (unsigned int)level;
	uint64_t block = 1UL << shift;

	while (va < end) {
		uint64_t next = ALIGN_DOWN(va, block) + block;
		uint64_t *d = &table[(va >> shift) & (PT_ENTRIES - 1)];
		bool is_table = (*d & (DESC_VALID | DESC_TABLE)) ==
				(DESC_VALID | DESC_TABLE);
		uint64_t *sub;

		if (next > end)
			next = end;
		if (level == 3) {
			*d = va | attrs | DESC_VALID | DESC_TABLE;
		} else if (level >= 1 && !is_table && IS_ALIGNED(va, block) &&
			   next - va == block) {
			*d = va | attrs | DESC_VALID;
		} else {
			if (is_table)
				sub = desc_table(*d);
			else if (*d & DESC_VALID)
				sub = split_block(d, level);
			else if ((sub = table_alloc()) != NULL)
				*d = (uint64_t)(uintptr_t)sub | DESC_VALID |
				     DESC_TABLE;
			if (!sub || !map_level(sub, level + 1, va, next, attrs))
				return false;
		}
		va = next;
	}
	return true;
}

bool arch_mmu_map(paddr_t base, uint64_t size, enum mmu_kind kind)
{
	uint64_t start = ALIGN_DOWN(pa_addr(base), PAGE_SIZE);
	uint64_t end = ALIGN_UP(pa_addr(base) + size, PAGE_SIZE);
	bool ok;

	if (end > VA_LIMIT || end <= start)
		return false;
	ok = map_level(mmu_root, 0, start, end, kind_attrs(kind));
	if (mmu_on) {
		/* New entries only: no break-before-make needed. */
		dsb_ish();
		__asm__ volatile("tlbi alle2\n dsb ish\n isb" : : : "memory");
	}
	return ok;
}

void arch_mmu_enable(void)
{
	/* Written with the MMU off: make the walker see them in memory. */
	arch_dcache_clean(mmu_root, sizeof(mmu_root));
	arch_dcache_clean(pool, sizeof(pool[0]) * pool_used);
	mmu_enable_asm(mmu_root);
	mmu_on = true;
}

bool arch_mmu_is_on(void)
{
	return (read_sysreg(sctlr_el2) & SCTLR_M) != 0;
}

void arch_dcache_clean(const void *p, size_t size)
{
	uint64_t line = 4UL << ((read_sysreg(ctr_el0) >> 16) & 0xf);
	uint64_t a = ALIGN_DOWN((uint64_t)(uintptr_t)p, line);
	uint64_t end = (uint64_t)(uintptr_t)p + size;

	for (; a < end; a += line)
		__asm__ volatile("dc civac, %0" : : "r"(a) : "memory");
	dsb_sy();
}
