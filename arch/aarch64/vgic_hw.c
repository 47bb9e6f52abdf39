// SPDX-License-Identifier: MIT
/* Dispatch of include/arch/vgic_hw.h to the GICv3 or GICv2 back end. */
#include "vgic_hw_ops.h"

#include <kairos/cpu.h>

static const struct vgic_hw_ops *ops;
static unsigned int nr_lrs; /* those Kairos uses */
static unsigned int hw_lrs; /* those the hardware has */

void arch_vgic_hw_init(unsigned int version, paddr_t gich)
{
	if (version == 3) {
		vgic_v3_init();
		ops = &vgic_v3_ops;
	} else {
		vgic_v2_init(gich);
		ops = &vgic_v2_ops;
	}
	hw_lrs = nr_lrs = ops->nr_lrs();
	if (nr_lrs > VGIC_MAX_LRS)
		nr_lrs = VGIC_MAX_LRS;
}

void arch_vgic_hw_init_sw(void)
{
	ops = &vgic_sw_ops;
	vgic_sw_in_use = true;
	hw_lrs = nr_lrs = ops->nr_lrs();
	if (nr_lrs > VGIC_MAX_LRS)
		nr_lrs = VGIC_MAX_LRS;
}

bool arch_vgic_cpuif_emulated(void)
{
	return ops && ops->cpuif_access;
}

bool arch_vgic_cpuif_access(struct vcpu *v, uint64_t off, unsigned int len,
			    uint64_t *val, bool write)
{
	return ops->cpuif_access && ops->cpuif_access(v, off, len, val, write);
}

unsigned int arch_vgic_nr_lrs(void)
{
	return nr_lrs;
}

/*
 * The list registers are UNKNOWN out of reset: each CPU's are emptied at
 * its first load, and every put leaves those Kairos writes empty, so that
 * a load has nothing to clear and a fill writes only what it lists.
 */
void arch_vgic_load(const struct vgic_cpu *c)
{
	struct arch_cpu *a = &cpu_current()->arch;

	if (!a->lrs_cleared) {
		ops->clear_lrs(hw_lrs);
		a->lrs_cleared = true;
	}
	ops->load(c);
}

void arch_vgic_put(struct vgic_cpu *c)
{
	ops->put(c, nr_lrs);
}

void arch_vgic_write_lrs(const struct vgic_lr *lrs, unsigned int n,
			 unsigned int maint)
{
	ops->write_lrs(lrs, n, maint, nr_lrs);
}

unsigned int arch_vgic_read_lrs(struct vgic_lr *lrs, unsigned int n)
{
	return ops->read_lrs(lrs, n);
}

uint64_t arch_vgic_encode_lr(const struct vgic_lr *l)
{
	return ops->encode_lr ? ops->encode_lr(l) : 0;
}

void arch_vgic_trap_ack(struct vcpu *v, bool on)
{
	ops->trap_ack(v, on);
}

bool arch_vgic_ack_trap_hit(struct vcpu *v, uint64_t ipa)
{
	return ops->ack_trap_hit && ops->ack_trap_hit(v, ipa);
}
