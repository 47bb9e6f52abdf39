// SPDX-License-Identifier: MIT
/* Translation table construction (see asm/pgtable.h). */
#include <asm/pgtable.h>
#include <kairos/compiler.h>
#include <string.h>

uint64_t *pgt_alloc(struct pgt_pool *pool)
{
	if (pool->used == pool->nr)
		return NULL;
	memset(pool->pages[pool->used], 0, sizeof(pool->pages[0]));
	return pool->pages[pool->used++];
}

static unsigned int level_shift(int level)
{
	return 39U - 9U * (unsigned int)level;
}

/* Replace the block in *d (at @level) by a table of equivalent entries. */
static uint64_t *split_block(struct pgt_pool *pool, uint64_t *d, int level)
{
	uint64_t *t = pgt_alloc(pool);
	unsigned int shift = level_shift(level + 1);
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

/*
 * @off is pa - va (mod 2^64). Recursion is bounded: one call per table
 * level, at most four.
 */
// NOLINTNEXTLINE(misc-no-recursion)
static bool map_level(struct pgt_pool *pool, uint64_t *table, int level,
		      uint64_t va, uint64_t end, uint64_t off, uint64_t attrs)
{
	unsigned int shift = level_shift(level);
	uint64_t block = 1UL << shift;

	while (va < end) {
		uint64_t next = ALIGN_DOWN(va, block) + block;
		uint64_t *d = &table[(va >> shift) & (PT_ENTRIES - 1)];
		bool is_table = (*d & (DESC_VALID | DESC_TABLE)) ==
				(DESC_VALID | DESC_TABLE);
		uint64_t *sub = NULL;

		if (next > end)
			next = end;
		if (level == 3) {
			*d = (va + off) | attrs | DESC_VALID | DESC_TABLE;
		} else if (level >= 1 && !is_table && IS_ALIGNED(va, block) &&
			   IS_ALIGNED(va + off, block) && next - va == block) {
			*d = (va + off) | attrs | DESC_VALID;
		} else {
			if (is_table)
				sub = desc_table(*d);
			else if (*d & DESC_VALID)
				sub = split_block(pool, d, level);
			else if ((sub = pgt_alloc(pool)) != NULL)
				*d = (uint64_t)(uintptr_t)sub | DESC_VALID |
				     DESC_TABLE;
			if (!sub || !map_level(pool, sub, level + 1, va, next,
					       off, attrs))
				return false;
		}
		va = next;
	}
	return true;
}

bool pgt_map(struct pgt *t, uint64_t va, uint64_t pa, uint64_t size,
	     uint64_t attrs)
{
	uint64_t start = ALIGN_DOWN(va, PAGE_SIZE);
	uint64_t end = ALIGN_UP(va + size, PAGE_SIZE);

	/* The root level translates 9 more bits than its entries map. */
	if (end <= start || (end - 1) >> (level_shift(t->start_level) + 9))
		return false;
	return map_level(t->pool, t->root, t->start_level, start, end,
			 ALIGN_DOWN(pa, PAGE_SIZE) - start, attrs);
}

/*
 * Visit the level-3 entries of [@va, @end) under @table at @level,
 * splitting blocks on the way. Recursion is bounded by the levels.
 */
// NOLINTNEXTLINE(misc-no-recursion)
static bool pages_level(struct pgt_pool *pool, uint64_t *table, int level,
			uint64_t va, uint64_t end, pgt_page_fn fn, void *arg)
{
	unsigned int shift = level_shift(level);
	uint64_t block = 1UL << shift;

	while (va < end) {
		uint64_t next = ALIGN_DOWN(va, block) + block;
		uint64_t *d = &table[(va >> shift) & (PT_ENTRIES - 1)];
		uint64_t *sub;

		if (next > end)
			next = end;
		if (!(*d & DESC_VALID))
			return false;
		if (level == 3) {
			fn(d, va, arg);
		} else {
			if (*d & DESC_TABLE)
				sub = desc_table(*d);
			else if (level == 0 ||
				 !(sub = split_block(pool, d, level)))
				return false;
			if (!pages_level(pool, sub, level + 1, va, next, fn,
					 arg))
				return false;
		}
		va = next;
	}
	return true;
}

bool pgt_pages(struct pgt *t, uint64_t va, uint64_t size, pgt_page_fn fn,
	       void *arg)
{
	uint64_t start = ALIGN_DOWN(va, PAGE_SIZE);
	uint64_t end = ALIGN_UP(va + size, PAGE_SIZE);

	if (end <= start || (end - 1) >> (level_shift(t->start_level) + 9))
		return false;
	return pages_level(t->pool, t->root, t->start_level, start, end, fn,
			   arg);
}
