// SPDX-License-Identifier: MIT
/*
 * GICv3 virtual CPU interface (IHI 0069 §12.4 ICH_*_EL2). The guest talks
 * to ICV_* through its ICC_* accesses; ICH_HCR_EL2.TDIR traps its DIR so
 * Kairos can deactivate interrupts not in this vCPU's list registers.
 */
#include "vgic_hw_ops.h"

#include <asm/sysreg.h>

#define ICH_HCR_EN (1UL << 0)
#define ICH_HCR_UIE (1UL << 1)
#define ICH_HCR_LRENPIE (1UL << 2)
#define ICH_HCR_NPIE (1UL << 3)
#define ICH_HCR_TALL1 (1UL << 12)
#define ICH_HCR_TDIR (1UL << 14)
#define ICH_LR_HW (1UL << 61)
#define ICH_LR_GROUP (1UL << 60)

static unsigned int nr_apr;

#define LR_CASE(n, crm, op2)                                      \
	case n:                                                   \
		if (write)                                        \
			write_sysreg(s3_4_c12_##crm##_##op2, *v); \
		else                                              \
			*v = read_sysreg(s3_4_c12_##crm##_##op2); \
		break;

/* ICH_LR<n>_EL2 are separate registers: one case each. */
// clang-format off
static void lr_access(unsigned int n, uint64_t *v, bool write)
{
	switch (n) {
	LR_CASE(0, c12, 0)
	LR_CASE(1, c12, 1)
	LR_CASE(2, c12, 2)
	LR_CASE(3, c12, 3)
	LR_CASE(4, c12, 4)
	LR_CASE(5, c12, 5)
	LR_CASE(6, c12, 6)
	LR_CASE(7, c12, 7)
	LR_CASE(8, c13, 0)
	LR_CASE(9, c13, 1)
	LR_CASE(10, c13, 2)
	LR_CASE(11, c13, 3)
	LR_CASE(12, c13, 4)
	LR_CASE(13, c13, 5)
	LR_CASE(14, c13, 6)
	LR_CASE(15, c13, 7)
	default: break;
	}
}
// clang-format on

static unsigned int v3_nr_lrs(void)
{
	return (unsigned int)(read_sysreg(ich_vtr_el2) & 0xf) + 1;
}

static void v3_clear_lrs(unsigned int nr)
{
	uint64_t zero = 0;

	for (unsigned int n = 0; n < nr; n++)
		lr_access(n, &zero, true);
}

/* The list registers are empty here (vgic_hw.c: cleared once, then by
 * every put): fills write only what they list. */
static void v3_load(const struct vgic_cpu *c)
{
	write_sysreg(ich_vmcr_el2, c->vmcr);
	write_sysreg(ich_ap1r0_el2, c->apr[0]);
	write_sysreg(ich_ap0r0_el2, c->apr0[0]);
	if (nr_apr > 1) {
		write_sysreg(ich_ap1r1_el2, c->apr[1]);
		write_sysreg(ich_ap0r1_el2, c->apr0[1]);
	}
	write_sysreg(ich_hcr_el2, ICH_HCR_EN | ICH_HCR_TDIR);
	isb();
}

/*
 * The list registers were read back and emptied by the fold before the
 * put (core/run.c settles a vCPU before it leaves the loop): nothing to
 * clear, as the load expects.
 */
static void v3_put(struct vgic_cpu *c, unsigned int nr)
{
	(void)nr;
	c->vmcr = read_sysreg(ich_vmcr_el2);
	c->apr[0] = read_sysreg(ich_ap1r0_el2);
	c->apr0[0] = read_sysreg(ich_ap0r0_el2);
	if (nr_apr > 1) {
		c->apr[1] = read_sysreg(ich_ap1r1_el2);
		c->apr0[1] = read_sysreg(ich_ap0r1_el2);
	}
	write_sysreg(ich_hcr_el2, 0);
	isb();
}

static uint64_t v3_encode_lr(const struct vgic_lr *l)
{
	uint64_t v = l->intid | ((uint64_t)l->priority << 48) |
		     ((uint64_t)l->pending << 62) | ((uint64_t)l->active << 63);

	if (l->group1)
		v |= ICH_LR_GROUP;
	if (l->hw)
		v |= ICH_LR_HW | ((uint64_t)l->hw_intid << 32);
	else if (l->eoi_maint)
		v |= 1UL << 41; /* EOI: maintenance on EOI */
	return v;
}

/*
 * The list registers are empty here (emptied at load, and by each read
 * back): only the @n listed are written. @nr: how many exist.
 */
static void v3_write_lrs(const struct vgic_lr *lrs, unsigned int n,
			 unsigned int maint, unsigned int nr)
{
	(void)nr;
	for (unsigned int k = 0; k < n; k++) {
		uint64_t v = v3_encode_lr(&lrs[k]);

		lr_access(k, &v, true);
	}
	write_sysreg(ich_hcr_el2,
		     ICH_HCR_EN | ICH_HCR_TDIR | ICH_HCR_LRENPIE |
			     (maint & VGIC_MAINT_UNDERFLOW ? ICH_HCR_UIE : 0) |
			     (maint & VGIC_MAINT_NO_PENDING ? ICH_HCR_NPIE :
							      0));
	isb();
}

static unsigned int v3_read_lrs(struct vgic_lr *lrs, unsigned int n)
{
	uint64_t hcr = read_sysreg(ich_hcr_el2);

	for (unsigned int k = 0; k < n; k++) {
		uint64_t v, zero = 0;

		lr_access(k, &v, false);
		lrs[k].pending = (v >> 62) & 1;
		lrs[k].active = (v >> 63) & 1;
		lrs[k].source = 0;
		/* Emptied: an EOI-maintenance LR would keep asserting it. */
		lr_access(k, &zero, true);
	}
	/*
	 * The maintenance interrupt is a level: with the list registers
	 * folded, switch its sources off (and clear EOIcount) until the next
	 * fill asks again, or EL2 would take it for ever.
	 */
	write_sysreg(ich_hcr_el2, ICH_HCR_EN | ICH_HCR_TDIR);
	isb();
	return (unsigned int)(hcr >> 27) & 0x1f;
}

/*
 * TALL1 traps the guest's Group 1 ICC_* accesses (IAR1, EOIR1, HPPIR1,
 * BPR1, AP1Rn, IGRPEN1: IHI 0069 §12.4.4). Cleared with the rest of
 * ICH_HCR_EL2 when the list registers are read back.
 */
static void v3_trap_ack(struct vcpu *v, bool on)
{
	uint64_t hcr = read_sysreg(ich_hcr_el2);

	(void)v;
	write_sysreg(ich_hcr_el2,
		     on ? hcr | ICH_HCR_TALL1 : hcr & ~ICH_HCR_TALL1);
	isb();
}

const struct vgic_hw_ops vgic_v3_ops = {
	.nr_lrs = v3_nr_lrs,
	.clear_lrs = v3_clear_lrs,
	.load = v3_load,
	.put = v3_put,
	.write_lrs = v3_write_lrs,
	.read_lrs = v3_read_lrs,
	.encode_lr = v3_encode_lr,
	.trap_ack = v3_trap_ack,
};

void vgic_v3_init(void)
{
	/* ICH_VTR_EL2.PREbits + 1 preemption bits: 32 levels per APR. */
	unsigned int pre =
		(unsigned int)((read_sysreg(ich_vtr_el2) >> 26) & 7) + 1;

	nr_apr = pre > 5 ? 1U << (pre - 5) : 1;
	if (nr_apr > 2)
		nr_apr = 2; /* Kairos implements 5 priority bits for guests */
}
