// SPDX-License-Identifier: MIT
/*
 * Stage-2 tables of VMs (Arm ARM D8.2, D19.2.170 VTCR_EL2): 4K granule,
 * 39-bit IPA, walks from level 1, VMID = VM index + 1 (8-bit). Tables are
 * built before a VM first runs; afterwards they only gain entries.
 */
#include <arch/mmu.h>
#include <arch/stage2.h>
#include <asm/pgtable.h>
#include <asm/sysreg.h>
#include <kairos/compiler.h>
#include <string.h>

#define S2_POOL_PAGES 96
/* Level-3 tables for RAM tracked page by page: 512 map 1 GiB. */
#define S2_TRACK_POOL_PAGES 512

/* Stage-2 block/page attributes (D8.5.3). */
#define S2_MEMATTR_NORMAL (0xfUL << 2) /* Normal, inner/outer WB */
#define S2_MEMATTR_DEVICE (0x1UL << 2) /* Device-nGnRE */
#define S2AP_RO (1UL << 6)
#define S2AP_RW (3UL << 6)
#define S2_XN (2UL << 53)
#define S2AP_W (1UL << 7)
/* Software bit (ignored by the MMU): a RAM page whose writes are tracked. */
#define S2_TRACKED (1UL << 55)

/* pgt_alloc() zeroes each page it hands out. */
static uint64_t pool_pages[S2_POOL_PAGES][PT_ENTRIES] NOINIT
	__attribute__((aligned(PAGE_SIZE)));
static struct pgt_pool pool = { pool_pages, S2_POOL_PAGES, 0 };
static uint64_t track_pages[S2_TRACK_POOL_PAGES][PT_ENTRIES] NOINIT
	__attribute__((aligned(PAGE_SIZE)));
static struct pgt_pool track_pool = { track_pages, S2_TRACK_POOL_PAGES, 0 };

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

/* Invalidate [@va, @end) under @table at @level. Bounded by the levels. */
// NOLINTNEXTLINE(misc-no-recursion)
static void unmap_level(uint64_t *table, int level, uint64_t va, uint64_t end)
{
	unsigned int shift = 39U - 9U * (unsigned int)level;
	uint64_t block = 1UL << shift;

	while (va < end) {
		uint64_t next = ALIGN_DOWN(va, block) + block;
		uint64_t *d = &table[(va >> shift) & (PT_ENTRIES - 1)];
		bool is_table = level < 3 && (*d & (DESC_VALID | DESC_TABLE)) ==
						     (DESC_VALID | DESC_TABLE);

		if (next > end)
			next = end;
		if (is_table)
			unmap_level((uint64_t *)(uintptr_t)(*d & DESC_OA_MASK),
				    level + 1, va, next);
		else if (next - va == block || level == 3)
			*d = 0;
		/* A block only partly in the range: callers align to 2 MiB. */
		va = next;
	}
}

// NOLINTNEXTLINE(readability-non-const-parameter)
void arch_s2_unmap(uint64_t *root, uint64_t ipa, uint64_t size)
{
	unmap_level(root, 1, ipa, ipa + size);
	dsb_ish();
}

bool arch_s2_map_live(uint64_t *root, uint64_t ipa, paddr_t pa, uint64_t size)
{
	bool ok = arch_s2_map(root, ipa, pa, size, S2_RAM);

	/* Invalid to valid needs no TLB maintenance, only the stores seen. */
	dsb_ish();
	isb();
	return ok;
}

static uint8_t erased_page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static uint64_t erased_l3[PT_ENTRIES] __attribute__((aligned(PAGE_SIZE)));

/* The page of ones and its table, once; to the PoC for caches-off reads. */
static void erased_init(void)
{
	static bool done;

	if (done)
		return;
	memset(erased_page, 0xff, sizeof(erased_page));
	for (unsigned int i = 0; i < PT_ENTRIES; i++)
		erased_l3[i] = (uintptr_t)erased_page | kind_attrs(S2_RAM_RO) |
			       DESC_VALID | DESC_TABLE;
	arch_dcache_clean(erased_page, sizeof(erased_page));
	arch_dcache_clean(erased_l3, sizeof(erased_l3));
	done = true;
}

bool arch_s2_map_erased(uint64_t *root, uint64_t ipa, uint64_t size)
{
	erased_init();
	for (uint64_t a = ipa; a < ipa + size; a += 2UL << 20) {
		uint64_t *l1 = &root[(a >> 30) & (PT_ENTRIES - 1)], *l2;

		if (!(*l1 & DESC_VALID)) {
			l2 = pgt_alloc(&pool);
			if (!l2)
				return false;
			*l1 = (uintptr_t)l2 | DESC_VALID | DESC_TABLE;
		}
		if (!(*l1 & DESC_TABLE))
			return false; /* a 1 GiB block there: not flash's */
		l2 = (uint64_t *)(uintptr_t)(*l1 & DESC_OA_MASK);
		l2[(a >> 21) & (PT_ENTRIES - 1)] = (uintptr_t)erased_l3 |
						   DESC_VALID | DESC_TABLE;
	}
	return true;
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

static void protect_page(uint64_t *pte, uint64_t va, void *arg)
{
	(void)va;
	(void)arg;
	*pte = (*pte & ~S2AP_W) | S2_TRACKED;
}

// NOLINTNEXTLINE(readability-non-const-parameter)
bool arch_s2_track(uint64_t *root, struct s2_write_log *log, uint64_t ipa,
		   uint64_t size)
{
	struct pgt t = { root, 1, &track_pool };

	log->n = 0;
	return pgt_pages(&t, ipa, size, protect_page, NULL);
}

/* Level-3 entry of @ipa under @root, or NULL when not mapped by a page. */
static uint64_t *page_entry(uint64_t *root, uint64_t ipa)
{
	uint64_t *t = root;

	for (unsigned int level = 1; level <= 3; level++) {
		uint64_t *d =
			&t[(ipa >> (39U - 9U * level)) & (PT_ENTRIES - 1)];

		if ((*d & (DESC_VALID | DESC_TABLE)) !=
		    (DESC_VALID | DESC_TABLE))
			return NULL;
		if (level == 3)
			return d;
		t = (uint64_t *)(uintptr_t)(*d & DESC_OA_MASK);
	}
	return NULL;
}

bool arch_s2_track_write(uint64_t *root, struct s2_write_log *log, uint64_t ipa)
{
	uint64_t *d = page_entry(root, ipa);
	uint32_t k;

	if (!d || !(*d & S2_TRACKED))
		return false;
	/* Logged before it is writable: a collect never misses it. */
	k = __atomic_fetch_add(&log->n, 1U, __ATOMIC_RELAXED);
	if (k < S2_WRITE_LOG_MAX)
		log->pfn[k] = (uint32_t)(ipa >> 12);
	__atomic_store_n(d, *d | S2AP_W, __ATOMIC_RELEASE);
	/* Relaxing a permission: dropping this CPU's stale entry is enough;
	 * another CPU that still has it faults once more and comes here. */
	dsb_ish();
	__asm__ volatile("tlbi ipas2e1, %0\n dsb nsh\n tlbi vmalle1\n"
			 "dsb nsh\n isb"
			 :
			 : "r"(ipa >> 12)
			 : "memory");
	return true;
}

bool arch_s2_page_set_valid(uint64_t *root, uint64_t ipa, bool valid)
{
	uint64_t *t = root, *d;

	/* As page_entry(), but the page entry itself may be invalid. */
	for (unsigned int level = 1; level <= 2; level++) {
		uint64_t e = t[(ipa >> (39U - 9U * level)) & (PT_ENTRIES - 1)];

		if ((e & (DESC_VALID | DESC_TABLE)) !=
		    (DESC_VALID | DESC_TABLE))
			return false;
		t = (uint64_t *)(uintptr_t)(e & DESC_OA_MASK);
	}
	d = &t[(ipa >> 12) & (PT_ENTRIES - 1)];
	if (!(*d & DESC_TABLE))
		return false; /* never mapped as a page */
	if (valid) {
		/* Invalid to valid: no break-before-make (D8.16.1). */
		__atomic_store_n(d, *d | DESC_VALID, __ATOMIC_RELEASE);
		dsb_ish();
		return true;
	}
	__atomic_store_n(d, *d & ~(uint64_t)DESC_VALID, __ATOMIC_RELEASE);
	dsb_ish();
	__asm__ volatile("tlbi ipas2e1is, %0\n dsb ish\n tlbi vmalle1is\n"
			 "dsb ish\n isb"
			 :
			 : "r"(ipa >> 12)
			 : "memory");
	return true;
}

struct collect {
	void (*fn)(void *arg, uint64_t ipa);
	void *arg;
	uint64_t n;
};

static void collect_page(uint64_t *pte, uint64_t va, void *arg)
{
	struct collect *c = arg;

	if ((*pte & (S2_TRACKED | S2AP_W)) != (S2_TRACKED | S2AP_W))
		return;
	*pte &= ~S2AP_W;
	c->n++;
	if (c->fn)
		c->fn(c->arg, va);
}

// NOLINTNEXTLINE(readability-non-const-parameter)
uint64_t arch_s2_track_collect(uint64_t *root, struct s2_write_log *log,
			       uint64_t ipa, uint64_t size,
			       void (*fn)(void *arg, uint64_t ipa), void *arg)
{
	struct pgt t = { root, 1, &track_pool };
	struct collect c = { fn, arg, 0 };
	uint32_t n = __atomic_load_n(&log->n, __ATOMIC_ACQUIRE);

	log->n = 0;
	if (n > S2_WRITE_LOG_MAX)
		return pgt_pages(&t, ipa, size, collect_page, &c) ? c.n :
								    UINT64_MAX;
	/*
	 * Re-protect in batches: the pages of one 2 MiB share a level-3
	 * table, so a walk is needed only when the log moves to another.
	 */
	uint64_t *l3 = NULL, region = ~0UL;

	for (uint32_t k = 0; k < n; k++) {
		uint64_t page = (uint64_t)log->pfn[k] << 12;
		uint64_t *d;

		if (page - ipa >= size)
			continue;
		if (page >> 21 != region) {
			d = page_entry(root, page);
			region = page >> 21;
			l3 = d ? d - ((page >> 12) & (PT_ENTRIES - 1)) : NULL;
		}
		if (l3)
			collect_page(&l3[(page >> 12) & (PT_ENTRIES - 1)], page,
				     &c);
	}
	return c.n;
}
