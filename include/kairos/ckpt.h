/* SPDX-License-Identifier: MIT */
/*
 * Checkpoint and restore of whole VMs (docs/design.md §7) into numbered slots
 * of the configuration's checkpoint-store. Called from the boot CPU only
 * (the shell and the control channel), never from a vCPU's exit.
 */
#ifndef KAIROS_CKPT_H
#define KAIROS_CKPT_H

#include <kairos/types.h>
#include <kairos/vm.h>

/** How a restored guest's clock goes on (docs/design.md §7, T18). */
enum ckpt_policy {
	CKPT_POLICY_PAUSE,   /**< from where it stopped (default) */
	CKPT_POLICY_CATCHUP, /**< as if it had run while stored */
};

/** A slot, as `vm slots` lists it. */
struct ckpt_slot_info {
	bool used;     /**< holds an image that parsed at least once */
	bool verified; /**< every CRC checked since it was last written */
	/** Captured, its CRC still being computed: not usable yet. */
	bool sealing;
	char vm[32];   /**< VM it was taken of (used or sealing) */
	uint64_t size; /**< image bytes (used or sealing) */
	uint64_t capacity;
	uint64_t vcount; /**< the guest's virtual count in it (ditto) */
	/** Physical ticks its VM was held for the capture (ditto). */
	uint64_t hold_ticks;
	/** Physical ticks its CRC took after the VM's release, so far. */
	uint64_t crc_ticks;
};

/** Per-VM counters (`vm info`, the control channel). */
struct ckpt_stats {
	uint64_t checkpoints, restores;
	uint64_t incremental;  /**< restores that copied dirty pages only */
	uint64_t pages_copied; /**< by the last restore */
	uint64_t last_ticks;   /**< physical ticks the last operation took */
};

/** Set up the slots from the configuration (boot CPU, before VMs run). */
void ckpt_init(const struct sys_config *cfg);

/** Number of slots (0 without a checkpoint-store). */
unsigned int ckpt_nr_slots(void);

/** What slot @slot holds. False when there is no such slot. */
bool ckpt_slot_info(unsigned int slot, struct ckpt_slot_info *out);

/**
 * Checkpoint @vm into @slot: hold it, capture its state and copy its RAM
 * into the slot, then let it go on in the state it was in (running or
 * paused). The image's memory CRC is computed after the release, by a
 * task on the boot CPU a step at a time between vCPU runs
 * (ckpt_seal_step()): until it is done the slot is "sealing", holds no
 * image a reader would take (its header is not written), and a restore
 * from it first finishes the CRC. A checkpoint into a slot still sealing
 * overwrites it. On failure returns false with the reason in @why and
 * the VM and slot as they were, except that a slot being written is left
 * empty. The statistics' last_ticks is the time the VM was held.
 */
bool ckpt_checkpoint(struct vm *vm, unsigned int slot, char *why,
		     size_t why_len);

/**
 * Restore @vm from @slot with @policy: validate everything first; on any
 * failure returns false with the failed check in @why and the VM exactly
 * as it was. On success the VM runs from the image (or stays paused if
 * it was paused when checkpointed).
 */
bool ckpt_restore(struct vm *vm, unsigned int slot, enum ckpt_policy policy,
		  char *why, size_t why_len);

/**
 * Fold up to @bytes more of a sealing slot's copied memory into its CRC
 * (the lowest-numbered such slot); the slot becomes usable when that was
 * the last of it. True while any slot is still sealing.
 */
bool ckpt_seal_step(uint64_t bytes);

/** Finish every slot's CRC now (listings and tools wait for them). */
void ckpt_seal_all(void);

/** Counters of @vm. */
void ckpt_stats(const struct vm *vm, struct ckpt_stats *out);

/**
 * At boot, VMs whose node has resume-from: restore each from its slot, or
 * print why not and leave it booting cold. Called after vm_create_all(),
 * before the vCPUs first run.
 */
void ckpt_resume_at_boot(void);

/** The parts of a restore whose order T13 says cannot matter. */
enum ckpt_part {
	CKPT_PART_CNTVOFF, /**< the VM's counter offset */
	CKPT_PART_CTL,     /**< both timers' CTL, every vCPU */
	CKPT_PART_CVAL,    /**< both timers' CVAL, every vCPU */
	CKPT_PART_DIST,    /**< the distributor */
	CKPT_PART_REDIST,  /**< SGIs and PPIs of every vCPU */
	CKPT_PART_CPUIF,   /**< VMCR and active priorities of every vCPU */
	CKPT_NR_PARTS
};

/**
 * Restore the parts in @order from now on (a permutation of enum
 * ckpt_part). The order never changes the result (T13); the simulation
 * of tests/unit/test_ckpt.c proves it on all 720 orders.
 */
void ckpt_set_restore_order(const unsigned int order[CKPT_NR_PARTS]);

/*
 * Moving images in and out of the store (the control channel's export
 * and import, docs/control.md). Boot CPU only, as the rest of this file.
 */

/**
 * The image @slot holds, for reading (a CRC still being computed is
 * finished first): its bytes, size and generation (bumped whenever the
 * slot is written, so a reader can tell the image changed between two
 * reads). False when the slot holds none (or there is no such slot).
 */
bool ckpt_slot_read(unsigned int slot, const uint8_t **image, uint64_t *size,
		    uint32_t *gen);

/** Generation of @slot (see ckpt_slot_read()); 0 for no such slot. */
uint32_t ckpt_slot_gen(unsigned int slot);

/**
 * Where @slot's generation lives, for a check that cannot call here (a
 * VM's loaded kernel, core/vm_image.c): it is bumped before any byte of
 * the slot changes. NULL for no such slot.
 */
const uint32_t *ckpt_slot_gen_at(unsigned int slot);

/**
 * Empty @slot to write an image into it from outside (a checkpoint of it
 * still being sealed is dropped). Returns its memory, with its capacity
 * and new generation; the slot holds no image (its header is clear)
 * until ckpt_slot_commit() accepts one. NULL for no such slot.
 */
uint8_t *ckpt_slot_open(unsigned int slot, uint64_t *capacity, uint32_t *gen);

/**
 * The image written into @slot after ckpt_slot_open(): @size bytes, of
 * which the header (the first sizeof(struct ckpt_header) bytes, kept out
 * of the slot until now so that nothing takes a half-written slot for an
 * image) is @hdr. Validated in full with ckpt_parse(), as a restore
 * validates, before the slot becomes usable; on failure the slot is left
 * empty and @why says which check failed.
 */
bool ckpt_slot_commit(unsigned int slot, const void *hdr, uint64_t size,
		      char *why, size_t why_len);

#endif
