/* SPDX-License-Identifier: MIT */
/* The two virtual CPU interface back ends behind include/arch/vgic_hw.h. */
#ifndef AARCH64_VGIC_HW_OPS_H
#define AARCH64_VGIC_HW_OPS_H

#include <arch/vgic_hw.h>

struct vgic_hw_ops {
	unsigned int (*nr_lrs)(void);
	void (*clear_lrs)(unsigned int nr); /**< empty list registers 0..nr-1 */
	void (*load)(const struct vgic_cpu *c);
	/** save; empty list registers 0..nr-1 and disable the interface */
	void (*put)(struct vgic_cpu *c, unsigned int nr);
	void (*write_lrs)(const struct vgic_lr *lrs, unsigned int n,
			  unsigned int maint, unsigned int nr);
	unsigned int (*read_lrs)(struct vgic_lr *lrs, unsigned int n);
	/** The register value of @l, for the EL2 fast path; NULL: none. */
	uint64_t (*encode_lr)(const struct vgic_lr *l);
	/** Trap the guest's acknowledge (see arch_vgic_trap_ack()). */
	void (*trap_ack)(struct vcpu *v, bool on);
	/** See arch_vgic_ack_trap_hit(). */
	bool (*ack_trap_hit)(struct vcpu *v, uint64_t ipa);
	/** Software interface only: see arch_vgic_cpuif_access(). */
	bool (*cpuif_access)(struct vcpu *v, uint64_t off, unsigned int len,
			     uint64_t *val, bool write);
};

extern const struct vgic_hw_ops vgic_v3_ops, vgic_v2_ops, vgic_sw_ops;

/** The software back end is the one in use (arch_vgic_hw_init_sw()). */
extern bool vgic_sw_in_use;

void vgic_v3_init(void);
void vgic_v2_init(paddr_t gich);

#endif
