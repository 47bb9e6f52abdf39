// SPDX-License-Identifier: MIT
/*
 * Stage-2 tables of VMs (Arm ARM D8.2, D19.2.170 VTCR_EL2): 4K granule,
 * 39-bit IPA, walks from level 1, VMID = VM index + 1 (8-bit). Tables are
 * built before a VM first runs; afterwards they only gain entries.
 */
#include <arch/stage2.h>
#include <asm/pgtable.h>
#include <asm/sysreg.h>

#define S2_POOL_PAGES 96

/* Stage-2 block/page attributes (D8.5.3). */
#define S2_MEMATTR_NORMAL (0xfUL << 2) /* Normal, inner/outer WB */
#define S2_MEMATTR_DEVICE (0x1UL << 2) /* Device-nGnRE */
#define S2AP_RO (1UL << 6)
#define S2AP_RW (3UL << 6)
#define S2_XN (2UL << 53)

static uint64_t pool_pages[S2_POOL_PAGES][PT_ENTRIES]
	__attribute__((aligned(PAGE_SIZE)));
static struct pgt_pool pool = { pool_pages, S2_POOL_PAGES, 0 };

uint64_t *arch_s2_create(void)
{
	return pgt_alloc(&pool);
}

static uint64_t kind_attrs(enum s2_kind kind)
{
	const uint64_t normal = S2_MEMATTR_NORMAL | DESC_SH_INNER | DESC_AF;

	switch (kind) {
	case S2_RAM: return normal | S2AP_RW;
	case S2_RAM_RO: return normal | S2AP_RO;
	case S2_DEVICE:
	default: return S2_MEMATTR_DEVICE | DESC_AF | S2AP_RW | S2_XN;
	}
}

/* The tables under @root are written through pgt_map(). */
// NOLINTNEXTLINE(readability-non-const-parameter)
bool arch_s2_map(uint64_t *root, uint64_t ipa, paddr_t pa, uint64_t size,
		 enum s2_kind kind)
{
	struct pgt t = { root, 1, &pool };

	return pgt_map(&t, ipa, pa_addr(pa), size, kind_attrs(kind));
}

void arch_s2_flush(unsigned int vmid, const uint64_t *root)
{
	uint64_t old = read_sysreg(vttbr_el2);

	dsb_ish();
	write_sysreg(vttbr_el2, ((uint64_t)vmid << 48) | (uintptr_t)root);
	isb();
	__asm__ volatile("tlbi vmalls12e1is\n dsb ish\n isb" : : : "memory");
	write_sysreg(vttbr_el2, old);
	isb();
}
