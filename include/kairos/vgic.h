/* SPDX-License-Identifier: MIT */
/*
 * The virtual GIC model (docs/design.md §5): the state of every virtual
 * interrupt of a VM, whatever the hardware back end (GICv3 ICH_*_EL2 or
 * GICv2 GICH). List registers are a cache of this model: filled on entry,
 * folded back on exit.
 *
 * Pending, as a guest reads it, is the latch OR (level-sensitive AND the
 * line level): a level PPI whose line is high reads pending even while
 * disabled (GICv3 spec §4.1.2).
 */
#ifndef KAIROS_VGIC_H
#define KAIROS_VGIC_H

#include <kairos/spinlock.h>
#include <kairos/types.h>

#define VGIC_NR_PRIVATE 32
#define VGIC_NR_SPIS 256
#define VGIC_NR_IRQS (VGIC_NR_PRIVATE + VGIC_NR_SPIS)
#define VGIC_MAX_LRS 16

/* enum vgic_flag bits of struct vgic_irq.flags */
#define VGIC_ENABLED (1U << 0)
#define VGIC_GROUP1 (1U << 1)
#define VGIC_EDGE (1U << 2)  /**< ICFGR: edge-triggered */
#define VGIC_LATCH (1U << 3) /**< pending latch (edge, ISPENDR, SGI) */
#define VGIC_LINE (1U << 4)  /**< level of the input line */
#define VGIC_ACTIVE (1U << 5)
#define VGIC_HW (1U << 6)    /**< mapped to a physical INTID */
#define VGIC_IN_LR (1U << 7) /**< currently cached in a list register */
/** Deactivated (DIR) by another vCPU while in the owner's list register */
#define VGIC_DEACT_REQ (1U << 8)
/**
 * A passthrough level SPI whose line was just re-sampled at the guest's
 * acknowledge (vgic_resample()): listed again without the acknowledge
 * trap, so that a line that is still high is taken, not sampled again.
 */
#define VGIC_SAMPLED (1U << 9)

/** One virtual interrupt. Plain data (checkpointed). */
struct vgic_irq {
	uint16_t flags;
	uint8_t priority;
	uint8_t lr_owner;      /**< vCPU whose list register holds it */
	uint8_t targets;       /**< GICv2 ITARGETSR (SPIs) */
	uint8_t sgi_sources;   /**< GICv2 SGIs: pending per source vCPU */
	uint8_t active_source; /**< GICv2 SGIs: source of the active one */
	uint8_t lr;            /**< list register index while VGIC_IN_LR */
	uint16_t hw_intid;     /**< physical INTID when VGIC_HW */
	uint64_t route;        /**< GICv3 IROUTER (SPIs) */
};

/** Per-vCPU part: SGIs and PPIs, and the virtual CPU interface state. */
struct vgic_cpu {
	struct vgic_irq priv[VGIC_NR_PRIVATE];
	uint64_t vmcr;    /**< ICH_VMCR_EL2 / GICH_VMCR */
	uint64_t apr[4];  /**< active priorities (group 1, or v2 GICH_APR) */
	uint64_t apr0[4]; /**< group 0 active priorities (GICv3) */
	uint32_t waker;   /**< GICR_WAKER.ProcessorSleep */
	uint32_t nr_lrs_used; /**< list registers written at the last entry */
	uint16_t lr_latched;  /**< LRs whose pending state came from a latch */
	uint32_t hw_active;   /**< mapped PPIs Kairos holds active physically */
	uint16_t lr_intid[VGIC_MAX_LRS]; /**< what each used LR holds */
	/**
	 * SGIs/PPIs that may want a list register: a superset of those
	 * latched, with a high line, active, listed or with SGI sources.
	 * Derived: set all-ones after restoring a state.
	 */
	uint32_t priv_cand;
};

/** Per-VM part: the distributor. */
struct vgic_dist {
	uint32_t ctlr;
	unsigned int version; /**< 2 or 3: what the guest sees */
	struct vgic_irq spi[VGIC_NR_SPIS];
	/** SPIs that may want a list register (as vgic_cpu.priv_cand). */
	uint32_t spi_cand[VGIC_NR_SPIS / 32];
	/** Bit w: spi_cand[w] may be non-zero (scans skip the rest). */
	uint32_t spi_cand_words;
	/** Mapped PPIs listed without the HW bit: irqchip.ppi_eoi_unsignalled */
	bool ppi_sw_deact;
	struct spinlock lock; /**< all vgic state of the VM */
};

struct vm;
struct vcpu;

/** A list register's content as the back ends exchange it. */
struct vgic_lr {
	uint32_t intid;
	uint32_t hw_intid; /**< valid with hw */
	uint8_t priority;
	uint8_t source; /**< GICv2 SGI source CPU */
	bool pending, active, group1, hw;
	bool eoi_maint; /**< exit when the guest EOIs it (not with hw) */
};

void vgic_vm_init(struct vm *vm, unsigned int version);
void vgic_vcpu_reset(struct vcpu *v);

/**
 * Make @intid of @v (SGI/PPI) or of the VM (SPI) pending (edge). False
 * when the model held it pending already (the edges merge into one) or
 * there is no such interrupt; one pending in a list register counts as
 * not pending here.
 */
bool vgic_inject(struct vcpu *v, uint32_t intid);

/** Set the input line of a level-sensitive @intid (PPIs: of @v). */
void vgic_set_line(struct vcpu *v, uint32_t intid, bool level);

/** Map private @intid of @v to physical @hw_intid (HW list registers). */
void vgic_map_hw(struct vcpu *v, uint32_t intid, uint32_t hw_intid);

/**
 * State of @vm's vGIC was written wholesale (a restore): forget what the
 * entry path knows of which interrupts are worth looking at.
 */
void vgic_rescan_all(struct vm *vm);

/** True when @v has an interrupt it could take (to end WFI). */
bool vgic_has_pending(struct vcpu *v);

/**
 * The EL2 fast path's list register for a private, hardware-mapped
 * interrupt (the virtual timer's): what vgic_fill_lrs() works out for it
 * under the same lock.
 */
struct vgic_fast {
	uint32_t intid;    /**< in: the interrupt */
	bool ok;           /**< out: EL2 may present it (see below) */
	unsigned int k;    /**< out: in this list register */
	struct vgic_lr lr; /**< out: with this value */
};

/**
 * Before entering @v (loaded, interrupts masked): fill @lrs from the model
 * by priority, active ones first. Returns how many; *@underflow asks for
 * a maintenance interrupt because not everything fit.
 *
 * With @fast (may be NULL): the list register value and index that
 * present @fast->intid when its line rises while the guest runs, so that
 * EL2 can list it without leaving the vectors: its own list register if
 * the fill listed it (used only once the guest is done with it there),
 * else the one after the filled ones. Not ok when a fill would not list
 * it so: not enabled, its group off, pending or active without being
 * listed, or listed with a latch.
 */
unsigned int vgic_fill_lrs(struct vcpu *v, struct vgic_lr *lrs, unsigned int nr,
			   bool *underflow, struct vgic_fast *fast);

/**
 * After an exit of @v: the state of the @n list registers filled last
 * time, and how many EOIs matched no list register.
 */
void vgic_fold_lrs(struct vcpu *v, const struct vgic_lr *lrs, unsigned int n,
		   unsigned int eoi_count);

/**
 * After that run: EL2 listed @intid in list register @k, the one after
 * the filled ones, meanwhile.
 */
void vgic_fast_listed(struct vcpu *v, unsigned int k, uint32_t intid);

/**
 * Before entering the loaded @v: a mapped interrupt whose line is high, or
 * which is listed or active, keeps its physical INTID active, so the
 * hypervisor does not take it while the guest owns it (T9, T10).
 */
void vgic_sync_hw(struct vcpu *v);

/** @v is put: release the physical active states it held. */
void vgic_release_hw(struct vcpu *v);

/**
 * The guest of @v (settled: nothing of it listed) reached for its
 * acknowledge while the trap was armed: withdraw every passthrough
 * level SPI pending for it that it has not taken, and deactivate its
 * physical interrupt, so the GIC samples the device's line again. A line
 * still high is taken again at EL2 (on this pCPU before this returns)
 * and listed once more, without the trap; a line the device dropped
 * stays withdrawn, and the guest's acknowledge reads 1023 as on a real
 * GIC. Returns how many were withdrawn.
 */
unsigned int vgic_resample(struct vcpu *v);

/**
 * An exit of @v that is not a physical interrupt: marks of
 * vgic_resample() whose line was not taken again by now are dropped.
 */
void vgic_resample_expire(struct vcpu *v);

/** Guest deactivation (DIR) of @intid by @v: works for any list register. */
void vgic_deactivate(struct vcpu *v, uint32_t intid);

/** GICv3 ICC_SGI1R_EL1 write by @v. */
void vgic_sgi1r(struct vcpu *v, uint64_t val);

/** GICv2 GICD_SGIR write by @v. */
void vgic_sgir(struct vcpu *v, uint32_t val);

/** Register the distributor (and v3 redistributors) as MMIO of @vm. */
bool vgic_mmio_attach(struct vm *vm);

#endif
