// SPDX-License-Identifier: MIT
/*
 * The EL1&0 stage-1 identity map, built with the MMU off (VMSAv8-64, 4K
 * granule, 39-bit VA, walks from level 1; Arm ARM D8). Every address
 * below 512 GiB is mapped, so a test can touch any of them and see what
 * the platform (or the hypervisor) does:
 *   - RAM (as the DTB says): Normal write-back, read-write at EL1 and EL0,
 *     never executable;
 *   - shared-memory regions (lg/shmem.h): as RAM;
 *   - the image's text and read-only data: read-only, executable at EL1
 *     and EL0 (run_at_el0 runs test code at EL0; memory writable at EL0
 *     is never executable at EL1, D8.4.1.3);
 *   - everything else: Device-nGnRnE, read-write at EL1 and EL0, so every
 *     access reaches the device or the hypervisor and aborts are
 *     synchronous.
 */
#include "internal.h"
#include <lg/board.h>
#include <lg/shmem.h>
#include <lg/sysreg.h>

#define PT_ENTRIES 512
#define PT_POOL 16
#define PTE_VALID 1UL
#define PTE_TABLE 3UL /* table (levels 1-2) or page (level 3) */
#define PTE_TYPE_MASK 3UL
#define PTE_ATTR(idx) ((uint64_t)(idx) << 2)
#define PTE_AP_RW_ALL (1UL << 6)
#define PTE_AP_RO_ALL (3UL << 6)
#define PTE_SH_INNER (3UL << 8)
#define PTE_AF (1UL << 10)
#define PTE_PXN (1UL << 53)
#define PTE_UXN (1UL << 54)
#define PTE_OA_MASK 0x0000fffffffff000UL

#define ATTRS_DEVICE \
	(PTE_ATTR(MAIR_IDX_DEVICE) | PTE_AP_RW_ALL | PTE_AF | PTE_PXN | PTE_UXN)
#define ATTRS_RAM                                                            \
	(PTE_ATTR(MAIR_IDX_NORMAL) | PTE_AP_RW_ALL | PTE_SH_INNER | PTE_AF | \
	 PTE_PXN | PTE_UXN)
#define ATTRS_TEXT \
	(PTE_ATTR(MAIR_IDX_NORMAL) | PTE_AP_RO_ALL | PTE_SH_INNER | PTE_AF)

/** The root (level 1) table, loaded into TTBR0_EL1 by start.S. */
uint64_t lg_pt_root[PT_ENTRIES] __attribute__((aligned(4096)));
static uint64_t pt_pool[PT_POOL][PT_ENTRIES] __attribute__((aligned(4096)));
static unsigned int pt_used;

/* Linker script symbols: the executable part of the image. */
extern char _head[], __rx_end[];

static uint64_t level_shift(unsigned int level)
{
	return 39 - 9 * (uint64_t)level; /* level 1: 30, 2: 21, 3: 12 */
}

static uint64_t *pt_alloc(void)
{
	if (pt_used == PT_POOL) {
		lg_early_puts("libguest: out of page tables, stopping\n");
		for (;;)
			__asm__ volatile("wfi");
	}
	return pt_pool[pt_used++];
}

/* Replaces a block entry by a table mapping the same range the same way. */
static uint64_t *pt_split(uint64_t *entry, unsigned int level)
{
	uint64_t *table = pt_alloc();
	uint64_t old = *entry;
	uint64_t sub = 1UL << level_shift(level + 1);
	uint64_t type = level + 1 == 3 ? PTE_TABLE : PTE_VALID;

	for (unsigned int i = 0; i < PT_ENTRIES; i++) {
		if (old & PTE_VALID)
			table[i] = ((old & PTE_OA_MASK) + i * sub) |
				   (old & ~PTE_OA_MASK & ~PTE_TYPE_MASK) | type;
		else
			table[i] = 0;
	}
	*entry = (uint64_t)(uintptr_t)table | PTE_TABLE;
	return table;
}

static void pt_map(uint64_t *table, unsigned int level, uint64_t start,
		   uint64_t end, uint64_t attrs)
{
	uint64_t size = 1UL << level_shift(level);

	while (start < end) {
		uint64_t blk = start & ~(size - 1);
		uint64_t next = blk + size < end ? blk + size : end;
		uint64_t *entry =
			&table[(start >> level_shift(level)) % PT_ENTRIES];

		if (start == blk && next == blk + size) {
			*entry = blk | attrs |
				 (level == 3 ? PTE_TABLE : PTE_VALID);
		} else {
			uint64_t *sub;

			if ((*entry & PTE_TYPE_MASK) == PTE_TABLE)
				sub = (uint64_t *)(uintptr_t)(*entry &
							      PTE_OA_MASK);
			else
				sub = pt_split(entry, level);
			pt_map(sub, level + 1, start, next, attrs);
		}
		start = next;
	}
}

void mmu_build(void)
{
	uint64_t page = 4096;
	struct lg_shmem shm;

	pt_map(lg_pt_root, 1, 0, 1UL << LG_VA_BITS, ATTRS_DEVICE);
	for (unsigned int i = 0; i < board_mem_count(); i++) {
		const struct mem_region *m = board_mem(i);
		uint64_t s = m->base & ~(page - 1);
		uint64_t e = (m->base + m->size) & ~(page - 1);

		if (e > s && e <= 1UL << LG_VA_BITS)
			pt_map(lg_pt_root, 1, s, e, ATTRS_RAM);
	}
	/* Shared-memory regions: Normal, shared with the peers' caches. */
	for (unsigned int n = 0; shmem_find(n, &shm); n++)
		if (shm.base + shm.size <= 1UL << LG_VA_BITS)
			pt_map(lg_pt_root, 1, shm.base, shm.base + shm.size,
			       ATTRS_RAM);
	pt_map(lg_pt_root, 1, (uintptr_t)_head & ~(page - 1),
	       ((uintptr_t)__rx_end + page - 1) & ~(page - 1), ATTRS_TEXT);
}
