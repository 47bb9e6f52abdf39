// SPDX-License-Identifier: MIT
/*
 * The EL2 stage-1 identity map: 4K granule, 48-bit VA, walks from level 0
 * (Arm ARM D8.2). Tables come from a static pool; no allocation after
 * boot. Blocks are used wherever a range is aligned, and a block is split
 * into a table when a finer mapping (text read-only, a device page) lands
 * inside it.
 */
#include <arch/mmu.h>
#include <asm/pgtable.h>
#include <asm/sysreg.h>
#include <kairos/compiler.h>
#include <string.h>

#define PT_POOL_PAGES 128

#define DESC_ATTRIDX(i) ((uint64_t)(i) << 2)
#define DESC_AP1 (1UL << 6) /* RES1 in the single-privilege EL2 regime */
#define DESC_RO (1UL << 7)  /* AP[2] */
#define DESC_XN (1UL << 54)

/** Root table; secondary_entry hands its address to mmu_enable_asm. */
uint64_t mmu_root[PT_ENTRIES] __attribute__((aligned(PAGE_SIZE)));

/* pgt_alloc() zeroes each page it hands out. */
static uint64_t pool_pages[PT_POOL_PAGES][PT_ENTRIES] NOINIT
	__attribute__((aligned(PAGE_SIZE)));
static struct pgt_pool pool = { pool_pages, PT_POOL_PAGES, 0 };
static struct pgt el2_map = { mmu_root, 0, &pool };
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

bool arch_mmu_map(paddr_t base, uint64_t size, enum mmu_kind kind)
{
	bool ok = pgt_map(&el2_map, pa_addr(base), pa_addr(base), size,
			  kind_attrs(kind));

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
	arch_dcache_clean(pool_pages, sizeof(pool_pages[0]) * pool.used);
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

void arch_mem_zero(void *p, size_t size)
{
	uint64_t dczid = read_sysreg(dczid_el0);
	uint64_t block = 4UL << (dczid & 0xf);
	uint64_t a = (uint64_t)(uintptr_t)p, end = a + size;

	/* DCZID_EL0.DZP: DC ZVA prohibited; else BS = log2(words). */
	if ((dczid & 0x10) || ((a | size) & (block - 1))) {
		memset(p, 0, size);
		return;
	}
	for (; a < end; a += block)
		__asm__ volatile("dc zva, %0" : : "r"(a) : "memory");
	dsb_sy();
}

void arch_icache_invalidate_all(void)
{
	dsb_ish();
	__asm__ volatile("ic ialluis\n dsb ish\n isb" : : : "memory");
}
