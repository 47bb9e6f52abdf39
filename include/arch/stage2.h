/* SPDX-License-Identifier: MIT */
/* Stage-2 translation (guest IPA → host PA) of VMs. */
#ifndef ARCH_STAGE2_H
#define ARCH_STAGE2_H

#include <kairos/types.h>

enum s2_kind {
	S2_RAM,    /**< Normal WB, read-write, executable */
	S2_RAM_RO, /**< Normal WB, read-only (erased flash): writes fault */
	S2_DEVICE, /**< Device-nGnRE, read-write (passthrough devices) */
};

/**
 * The pages a VM wrote since tracking began, in the order of their first
 * write, so that collecting them costs what was written, not the size of
 * RAM. Past S2_WRITE_LOG_MAX entries the log only counts and collecting
 * walks the tables instead. Entries may repeat (two CPUs faulting on one
 * page); collecting takes each page once.
 */
#define S2_WRITE_LOG_MAX 4096

/** Guest physical addresses stage 2 translates: IPAs below 1 << this. */
#define S2_IPA_BITS 39
struct s2_write_log {
	uint32_t n;                     /**< writes logged (may exceed) */
	uint32_t pfn[S2_WRITE_LOG_MAX]; /**< their IPA >> 12 */
};

/** A new, empty stage-2 root table, or NULL when the pool is used up. */
uint64_t *arch_s2_create(void);

/** Map [@ipa, @ipa + @size) to @pa. False when out of table pages. */
bool arch_s2_map(uint64_t *root, uint64_t ipa, paddr_t pa, uint64_t size,
		 enum s2_kind kind);

/**
 * Of a VM that is not running: make [@ipa, @ipa + @size) (2 MiB aligned)
 * unmapped, so that an access faults. Tables stay (for a later map);
 * blocks and pages become invalid. The caller then flushes the VMID.
 */
void arch_s2_unmap(uint64_t *root, uint64_t ipa, uint64_t size);

/**
 * Map RAM [@ipa, @ipa + @size) to @pa where nothing is mapped, while the
 * VM may run: new entries only, visible to the table walks of every CPU
 * when this returns. False when out of table pages.
 */
bool arch_s2_map_live(uint64_t *root, uint64_t ipa, paddr_t pa, uint64_t size);

/**
 * Map [@ipa, @ipa + @size) (2 MiB aligned, below 512 GiB) read-only to
 * erased NOR flash: every byte reads 0xff, writes fault. One 4 KiB page
 * of ones backs it all, through one level-3 table that every 2 MiB of
 * every VM shares, so that no VM needs megabytes of 0xff filled at boot.
 * False when out of table pages.
 */
bool arch_s2_map_erased(uint64_t *root, uint64_t ipa, uint64_t size);

/**
 * Of the VM loaded on this CPU (its VMID in VTTBR_EL2): make the page
 * @ipa, mapped by arch_s2_map() as one 4 KiB page, inaccessible (@valid
 * false: an access faults) or accessible again, on every CPU when this
 * returns. False when @ipa is not mapped by a page.
 */
bool arch_s2_page_set_valid(uint64_t *root, uint64_t ipa, bool valid);

/** Invalidate every TLB entry of @vmid on all CPUs. */
void arch_s2_flush(unsigned int vmid, const uint64_t *root);

/**
 * Start tracking writes to RAM [@ipa, @ipa + @size) of a VM that is not
 * running: map it page by page, read-only. The caller then flushes the
 * VMID. False when out of table pages (the pages before stay tracked).
 */
bool arch_s2_track(uint64_t *root, struct s2_write_log *log, uint64_t ipa,
		   uint64_t size);

/**
 * A write to tracked page @ipa faulted (on this CPU, in the VM's
 * context): make the page writable and log it. False when @ipa is not
 * tracked.
 */
bool arch_s2_track_write(uint64_t *root, struct s2_write_log *log,
			 uint64_t ipa);

/**
 * Of a VM that is not running: call @fn (may be NULL) for every tracked
 * page of [@ipa, @ipa + @size) written since it was tracked or collected
 * last, and make it read-only again. Returns how many, or UINT64_MAX when
 * the range is not tracked. The caller then flushes the VMID.
 */
uint64_t arch_s2_track_collect(uint64_t *root, struct s2_write_log *log,
			       uint64_t ipa, uint64_t size,
			       void (*fn)(void *arg, uint64_t ipa), void *arg);

#endif
