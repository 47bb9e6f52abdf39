/* SPDX-License-Identifier: MIT */
/*
 * VMSAv8-64 translation tables with the 4K granule (Arm ARM D8.2), shared
 * by the EL2 stage-1 map and the stage-2 maps of VMs: the descriptor
 * layout of blocks, pages and tables is the same; only the attribute bits
 * and the start level differ.
 */
#ifndef ASM_PGTABLE_H
#define ASM_PGTABLE_H

#include <kairos/types.h>

#define PT_ENTRIES 512
#define PAGE_SHIFT 12
#define PAGE_SIZE (1UL << PAGE_SHIFT)

#define DESC_VALID (1UL << 0)
#define DESC_TABLE (1UL << 1) /* table at levels 0-2, page at level 3 */
#define DESC_SH_INNER (3UL << 8)
#define DESC_AF (1UL << 10)
#define DESC_OA_MASK 0x0000fffffffff000UL

/** A pool of zeroed table pages. No allocation after boot. */
struct pgt_pool {
	uint64_t (*pages)[PT_ENTRIES];
	unsigned int nr, used;
};

/** One translation regime's tables. */
struct pgt {
	uint64_t *root;
	int start_level; /**< 0 for a 48-bit stage 1, 1 for a 39-bit stage 2 */
	struct pgt_pool *pool;
};

/**
 * Map [@va, @va + @size) to @pa with block/page attribute bits @attrs,
 * using the largest blocks alignment allows and splitting existing blocks
 * where a finer mapping lands inside one. False when the pool runs out.
 * Edits only tables not in use, or new entries of tables in use.
 */
bool pgt_map(struct pgt *t, uint64_t va, uint64_t pa, uint64_t size,
	     uint64_t attrs);

/** Called with each level-3 entry and the address it maps. */
typedef void (*pgt_page_fn)(uint64_t *pte, uint64_t va, void *arg);

/**
 * Call @fn on the page entry of every page of [@va, @va + @size), first
 * splitting the blocks that map them into pages (tables from the pool).
 * False when something there is not mapped or the pool runs out; the
 * pages before that point were visited. Splitting a live table is only
 * safe while nothing translates through it (a held VM), followed by a TLB
 * invalidation.
 */
bool pgt_pages(struct pgt *t, uint64_t va, uint64_t size, pgt_page_fn fn,
	       void *arg);

/** A zeroed page from @pool, or NULL. */
uint64_t *pgt_alloc(struct pgt_pool *pool);

#endif
