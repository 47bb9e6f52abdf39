// SPDX-License-Identifier: MIT
/*
 * The virtual CPU interface in software, for boards without a GIC (the
 * BCM2836/BCM2837 of the Raspberry Pi 2 and 3; docs/rpi3.md). The guest
 * keeps the GICv2 of the virt profile: its distributor is emulated by
 * core/vgic as on every board, and its CPU interface page (VIRT_GICC) is
 * left unmapped, so every access traps and is emulated here over a set of
 * list registers kept in memory, one set per pCPU as a GICH has. An
 * interrupt is presented to the guest through HCR_EL2.VI (the virtual IRQ
 * line), set at each entry while a listed interrupt could be taken.
 *
 * The list registers mean what GICH's do (IHI 0048B §5.3), so core/vgic
 * fills and folds them unchanged. What a GICH would signal by its
 * maintenance interrupt is seen here, at the trapped access that causes
 * it: after an EOI (and after an acknowledge when a maintenance condition
 * was asked for) the vCPU's list registers are marked stale, and the run
 * loop folds and refills them before the next entry. A hardware-mapped
 * list register (the virtual timer) deactivates its physical INTID at the
 * guest's EOI, as GICH would: the interrupt controller then looks at the
 * line again (drivers/bcm2836_intc.c keeps the source masked while it is
 * active).
 *
 * Simplifications of the GICv2 virtual CPU interface: group 0
 * interrupts are always signalled as IRQs (GICV_CTLR.FIQEn is kept but not
 * acted on), and GICV_CTLR.AckCtl is kept but both groups are acknowledged
 * through GICV_IAR; preemption compares priority bits [7:3] (32 levels, as
 * GICH_APR has), whatever the binary point.
 */
#include "vgic_hw_ops.h"

#include <asm/sysreg.h>
#include <kairos/cpu.h>
#include <kairos/irq.h>
#include <kairos/profile_virt.h>
#include <kairos/vm.h>

#define SW_NR_LRS 8U

/* The guest's GICV registers (IHI 0048B §5.6 / §4.4). */
#define GICV_CTLR 0x00
#define GICV_PMR 0x04
#define GICV_BPR 0x08
#define GICV_IAR 0x0c
#define GICV_EOIR 0x10
#define GICV_RPR 0x14
#define GICV_HPPIR 0x18
#define GICV_ABPR 0x1c
#define GICV_AIAR 0x20
#define GICV_AEOIR 0x24
#define GICV_AHPPIR 0x28
#define GICV_APR0 0xd0
#define GICV_IIDR 0xfc

/* GICH_VMCR layout, which struct vgic_cpu.vmcr holds (§5.3.4). */
#define VMCR_CTLR_MASK 0x21fU /* EnableGrp0/1, AckCtl, FIQEn, CBPR, EOImode */
#define VMCR_GRP0 (1U << 0)
#define VMCR_GRP1 (1U << 1)
#define VMCR_EOIMODE (1U << 9)
#define VMCR_ABPR_SHIFT 18
#define VMCR_BPR_SHIFT 21
#define VMCR_PMR_SHIFT 27

#define SPURIOUS 1023U
#define IIDR_KAIROS 0x0002043bU /* GICv2, Arm's implementer code */

struct sw_cpuif {
	struct vgic_lr lr[SW_NR_LRS];
	unsigned int maint;     /* enum vgic_maint bits of the last fill */
	unsigned int eoi_count; /* EOIs that matched no list register */
	uint32_t vmcr, apr;
	bool enabled;  /* a vCPU is loaded (GICH_HCR.En) */
	bool ack_trap; /* arch_vgic_trap_ack(): the next IAR retries */
};

static struct sw_cpuif sw_cpus[KAIROS_MAX_CPUS];
bool vgic_sw_in_use;

static struct sw_cpuif *sw_here(void)
{
	return &sw_cpus[cpu_id()];
}

/* The preemption level of the highest active priority; 32 when idle. */
static unsigned int running_level(const struct sw_cpuif *s)
{
	return s->apr ? (unsigned int)__builtin_ctz(s->apr) : 32U;
}

/* The pending list register the guest would take now, or -1. */
static int highest_pending(const struct sw_cpuif *s, bool check_mask)
{
	unsigned int pmr = (s->vmcr >> VMCR_PMR_SHIFT) << 3;
	int best = -1;

	for (unsigned int k = 0; k < SW_NR_LRS; k++) {
		const struct vgic_lr *l = &s->lr[k];

		if (!l->pending || l->active)
			continue;
		if (!(s->vmcr & (l->group1 ? VMCR_GRP1 : VMCR_GRP0)))
			continue;
		if (check_mask &&
		    (l->priority >= pmr ||
		     (unsigned int)(l->priority >> 3) >= running_level(s)))
			continue;
		if (best < 0 || l->priority < s->lr[best].priority)
			best = (int)k;
	}
	return best;
}

/* HCR_EL2.VI as this pCPU's interface wants it, written if it changed. */
static void sw_update_vi(const struct sw_cpuif *s)
{
	uint64_t hcr = read_sysreg(hcr_el2);
	bool vi = s->enabled && highest_pending(s, true) >= 0;
	uint64_t want = vi ? hcr | HCR_VI : hcr & ~HCR_VI;

	if (want != hcr) {
		write_sysreg(hcr_el2, want);
		isb();
	}
}

static unsigned int sw_nr_lrs(void)
{
	return SW_NR_LRS;
}

static void sw_clear_lrs(unsigned int nr)
{
	struct sw_cpuif *s = sw_here();

	for (unsigned int k = 0; k < nr && k < SW_NR_LRS; k++)
		s->lr[k] = (struct vgic_lr){ 0 };
}

static void sw_load(const struct vgic_cpu *c)
{
	struct sw_cpuif *s = sw_here();

	s->vmcr = (uint32_t)c->vmcr;
	s->apr = (uint32_t)c->apr[0];
	s->enabled = true;
	s->eoi_count = 0;
	sw_update_vi(s);
}

static void sw_put(struct vgic_cpu *c, unsigned int nr)
{
	struct sw_cpuif *s = sw_here();

	c->vmcr = s->vmcr;
	c->apr[0] = s->apr;
	sw_clear_lrs(nr);
	s->enabled = false;
	s->ack_trap = false;
	sw_update_vi(s);
}

static void sw_write_lrs(const struct vgic_lr *lrs, unsigned int n,
			 unsigned int maint, unsigned int nr)
{
	struct sw_cpuif *s = sw_here();

	sw_clear_lrs(nr);
	for (unsigned int k = 0; k < n && k < SW_NR_LRS; k++)
		s->lr[k] = lrs[k];
	s->maint = maint;
	sw_update_vi(s);
}

static unsigned int sw_read_lrs(struct vgic_lr *lrs, unsigned int n)
{
	struct sw_cpuif *s = sw_here();
	unsigned int eoi = s->eoi_count;

	for (unsigned int k = 0; k < n && k < SW_NR_LRS; k++) {
		lrs[k].pending = s->lr[k].pending;
		lrs[k].active = s->lr[k].active;
		lrs[k].source = s->lr[k].source;
		s->lr[k] = (struct vgic_lr){ 0 };
	}
	s->eoi_count = 0;
	s->maint = 0;
	sw_update_vi(s);
	return eoi;
}

/* Every acknowledge traps already: the next one retries once. */
static void sw_trap_ack(struct vcpu *v, bool on)
{
	(void)v;
	sw_here()->ack_trap = on;
}

static bool sw_ack_trap_hit(struct vcpu *v, uint64_t ipa)
{
	struct sw_cpuif *s = sw_here();

	(void)v;
	if (!s->ack_trap ||
	    (ipa != VIRT_GICC + GICV_IAR && ipa != VIRT_GICC + GICV_AIAR))
		return false;
	s->ack_trap = false;
	return true;
}

/* The vCPU's list registers are to be folded and filled again. */
static void sw_maintenance(struct vcpu *v)
{
	__atomic_store_n(&v->lrs_stale, true, __ATOMIC_RELEASE);
}

static uint32_t sw_ack(struct vcpu *v, struct sw_cpuif *s)
{
	int k = highest_pending(s, true);

	if (k < 0)
		return SPURIOUS;
	struct vgic_lr *l = &s->lr[k];

	l->pending = false;
	l->active = true;
	s->apr |= 1U << (l->priority >> 3);
	if (s->maint)
		sw_maintenance(v);
	sw_update_vi(s);
	return l->intid < 16 ? l->intid | ((uint32_t)(l->source & 7) << 10) :
			       l->intid;
}

static void sw_eoi(struct vcpu *v, struct sw_cpuif *s, uint32_t val)
{
	uint32_t intid = val & 0x3ff, source = (val >> 10) & 7;

	/* Priority drop: the highest active priority (§5.3.8). */
	if (s->apr)
		s->apr &= s->apr - 1;
	if (!(s->vmcr & VMCR_EOIMODE)) {
		bool found = false;

		for (unsigned int k = 0; k < SW_NR_LRS && !found; k++) {
			struct vgic_lr *l = &s->lr[k];

			if (!l->active || l->intid != intid ||
			    (intid < 16 && !l->hw && l->source != source))
				continue;
			found = true;
			l->active = false;
			if (l->hw)
				irq_chip()->set_active(l->hw_intid, false);
		}
		if (!found && intid < SPURIOUS - 3)
			s->eoi_count++;
	}
	sw_maintenance(v);
	sw_update_vi(s);
}

static uint32_t sw_read(struct vcpu *v, struct sw_cpuif *s, uint64_t off)
{
	int k;

	switch (off) {
	case GICV_CTLR: return s->vmcr & VMCR_CTLR_MASK;
	case GICV_PMR: return (s->vmcr >> VMCR_PMR_SHIFT) << 3;
	case GICV_BPR: return (s->vmcr >> VMCR_BPR_SHIFT) & 7;
	case GICV_ABPR: return (s->vmcr >> VMCR_ABPR_SHIFT) & 7;
	case GICV_IAR:
	case GICV_AIAR: return sw_ack(v, s);
	case GICV_RPR: return s->apr ? running_level(s) << 3 : 0xffU;
	case GICV_HPPIR:
	case GICV_AHPPIR:
		k = highest_pending(s, false);
		return k < 0 ? SPURIOUS : s->lr[k].intid;
	case GICV_APR0: return s->apr;
	case GICV_IIDR: return IIDR_KAIROS;
	default: return 0;
	}
}

static void sw_write(struct vcpu *v, struct sw_cpuif *s, uint64_t off,
		     uint32_t val)
{
	switch (off) {
	case GICV_CTLR:
		s->vmcr = (s->vmcr & ~VMCR_CTLR_MASK) | (val & VMCR_CTLR_MASK);
		break;
	case GICV_PMR:
		s->vmcr = (s->vmcr & ~(0x1fU << VMCR_PMR_SHIFT)) |
			  ((val >> 3) & 0x1f) << VMCR_PMR_SHIFT;
		break;
	case GICV_BPR:
		s->vmcr = (s->vmcr & ~(7U << VMCR_BPR_SHIFT)) |
			  (val & 7) << VMCR_BPR_SHIFT;
		break;
	case GICV_ABPR:
		s->vmcr = (s->vmcr & ~(7U << VMCR_ABPR_SHIFT)) |
			  (val & 7) << VMCR_ABPR_SHIFT;
		break;
	case GICV_EOIR:
	case GICV_AEOIR: sw_eoi(v, s, val); break;
	case GICV_APR0: s->apr = val; break;
	default: break; /* read-only or reserved: ignored */
	}
	sw_update_vi(s);
}

static bool sw_cpuif_access(struct vcpu *v, uint64_t off, unsigned int len,
			    uint64_t *val, bool write)
{
	struct sw_cpuif *s = sw_here();

	if (len != 4 || (off & 3))
		return false; /* word accesses only (§4.1.4) */
	if (write)
		sw_write(v, s, off, (uint32_t)*val);
	else
		*val = sw_read(v, s, off);
	return true;
}

const struct vgic_hw_ops vgic_sw_ops = {
	.nr_lrs = sw_nr_lrs,
	.clear_lrs = sw_clear_lrs,
	.load = sw_load,
	.put = sw_put,
	.write_lrs = sw_write_lrs,
	.read_lrs = sw_read_lrs,
	.trap_ack = sw_trap_ack,
	.ack_trap_hit = sw_ack_trap_hit,
	.cpuif_access = sw_cpuif_access,
};
