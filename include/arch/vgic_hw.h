/* SPDX-License-Identifier: MIT */
/*
 * The virtual CPU interface hardware: GICv3 ICH_*_EL2 system registers or
 * the GICv2 GICH frame. core/vgic owns the model; these hooks only move
 * list registers and the interface state in and out.
 */
#ifndef ARCH_VGIC_HW_H
#define ARCH_VGIC_HW_H

#include <kairos/types.h>
#include <kairos/vgic.h>

/** Pick the back end (2 or 3); @gich is the GICv2 GICH frame. */
void arch_vgic_hw_init(unsigned int version, paddr_t gich);

/**
 * Pick the software back end instead (a board without a GIC, docs/rpi3.md):
 * list registers in memory, the guest's GICv2 CPU interface emulated
 * (arch_vgic_cpuif_access()), delivery through HCR_EL2.VI.
 */
void arch_vgic_hw_init_sw(void);

struct vcpu;

/**
 * True with the software back end: the guest's GICv2 CPU interface page
 * (VIRT_GICC) is not mapped but emulated through arch_vgic_cpuif_access().
 */
bool arch_vgic_cpuif_emulated(void);

/**
 * A guest access of @len bytes at offset @off of its GICC page (the first
 * 4 KiB; GICC_DIR is core's). False when the access is to fault.
 */
bool arch_vgic_cpuif_access(struct vcpu *v, uint64_t off, unsigned int len,
			    uint64_t *val, bool write);

/** Number of list registers (ICH_VTR_EL2.ListRegs + 1, GICH_VTR). */
unsigned int arch_vgic_nr_lrs(void);

/** Restore @c's VMCR and active priorities and enable the interface. */
void arch_vgic_load(const struct vgic_cpu *c);

/** Save them, empty the list registers and disable the interface. */
void arch_vgic_put(struct vgic_cpu *c);

/** Maintenance interrupt sources arch_vgic_write_lrs() can enable. */
enum vgic_maint {
	/** At most one list register in use (more are waiting). */
	VGIC_MAINT_UNDERFLOW = 1U << 0,
	/** No list register pending any more: the guest took them all. */
	VGIC_MAINT_NO_PENDING = 1U << 1,
};

/**
 * Write @n list registers (the others empty); @maint (enum vgic_maint
 * bits) enables the maintenance interrupt for those conditions, until
 * arch_vgic_read_lrs().
 */
void arch_vgic_write_lrs(const struct vgic_lr *lrs, unsigned int n,
			 unsigned int maint);

/** Read back @n list registers; returns and clears the EOI count. */
unsigned int arch_vgic_read_lrs(struct vgic_lr *lrs, unsigned int n);

/**
 * @l as the back end's list register value, for presenting it straight
 * from the EL2 vectors; 0 when the back end has no such path (GICv2).
 */
uint64_t arch_vgic_encode_lr(const struct vgic_lr *l);

struct vcpu;

/**
 * Make the guest's acknowledge of the loaded @v trap (@on) so Kairos can
 * re-sample a passthrough line first (struct vcpu's ack_trap), or no
 * longer for @v. GICv3: ICH_HCR_EL2.TALL1, until the list registers are
 * read back. GICv2: the first page of the VM's GICC frame unmapped in
 * stage 2 while any of its vCPUs asks for it.
 */
void arch_vgic_trap_ack(struct vcpu *v, bool on);

/**
 * GICv2: a guest access to IPA @ipa of @v faulted. True when it was to
 * its GICC page that arch_vgic_trap_ack() unmapped: the page is then
 * accessible again, and the access is to be retried after Kairos has
 * re-sampled the lines. Always false on GICv3.
 */
bool arch_vgic_ack_trap_hit(struct vcpu *v, uint64_t ipa);

#endif
