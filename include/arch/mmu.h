/* SPDX-License-Identifier: MIT */
/* The hypervisor's own EL2 stage-1 translation: an identity map. */
#ifndef ARCH_MMU_H
#define ARCH_MMU_H

#include <kairos/types.h>

/** How a range is mapped at EL2. */
enum mmu_kind {
	MMU_NORMAL_RW, /**< Normal WB cacheable, read-write, never executed */
	MMU_NORMAL_RO, /**< Normal WB cacheable, read-only, never executed */
	MMU_NORMAL_RX, /**< Normal WB cacheable, read-only, executable */
	MMU_DEVICE,    /**< Device-nGnRE, read-write, never executed */
};

/**
 * Identity-map [@base, @base + @size) with @kind. Before the MMU is on this
 * only edits tables; afterwards it is for ranges that are still unmapped.
 * Returns false when the page-table pool is exhausted or the range is
 * beyond the supported address size.
 */
bool arch_mmu_map(paddr_t base, uint64_t size, enum mmu_kind kind);

/** Turn on the EL2 MMU and caches on this CPU using the tables built so far. */
void arch_mmu_enable(void);

/** True once this CPU runs with the MMU on. */
bool arch_mmu_is_on(void);

/** Clean a range of the data cache to the point of coherency. */
void arch_dcache_clean(const void *p, size_t size);

/** Zero @size bytes at @p (Normal memory), whole cache blocks at a time
 *  where the CPU allows it. */
void arch_mem_zero(void *p, size_t size);

/** Invalidate all instruction caches to the PoU, on every CPU. */
void arch_icache_invalidate_all(void);

#endif
