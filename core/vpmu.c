// SPDX-License-Identifier: MIT
/*
 * The overflow interrupt of each vCPU's PMU (see vpmu.h, docs/design.md
 * §6). The PMU is the loaded vCPU's own (arch/aarch64/pmu_debug.c): its
 * output is the physical PMU PPI, high exactly when the guest's
 * architectural condition holds (PMCR_EL0.E, a PMOVSSET bit whose
 * PMINTENSET bit is set). Kairos takes that PPI at EL2 and raises the
 * guest's PPI 23 as a level line mapped to it, as it does the virtual
 * timer's: the physical interrupt stays active while the virtual one is
 * pending or active, so it cannot fire again meanwhile (no storm), and
 * the guest's EOI of the virtual one deactivates it through the list
 * register. An overflow flag the guest has cleared by then leaves the
 * line low; one still set fires again, as the hardware line would.
 * Nothing is masked in the PMU itself: the guest's PMINTENSET, PMOVSSET
 * and PMCR are always its own.
 */
#include <arch/vcpu.h>
#include <kairos/cpu.h>
#include <kairos/irq.h>
#include <kairos/spinlock.h>
#include <kairos/vcpu_state.h>
#include <kairos/vgic.h>
#include <kairos/vpmu.h>

static uint32_t phys_intid;

/*
 * The physical PMU interrupt: the loaded vCPU's line is high. Kept
 * active (the guest deactivates it, as for the virtual timer); with no
 * loaded vCPU whose line is up it is stray (raised before a put stopped
 * that vCPU's PMU, or latched by the GIC): deactivated and dropped.
 */
static bool vpmu_irq(uint32_t intid, void *arg)
{
	struct vcpu *v = cpu_current()->loaded;

	(void)intid;
	(void)arg;
	if (!v || !v->st.pmu_dbg_live || !arch_vcpu_pmu_line(v))
		return true;
	vpmu_sync(v);
	/* Held from here: a put before @v runs again releases it. */
	vgic_sync_hw(v);
	return false;
}

void vpmu_init(uint32_t intid)
{
	phys_intid = intid;
	if (intid)
		irq_set_handler(intid, vpmu_irq, NULL);
}

uint32_t vpmu_phys_intid(void)
{
	return phys_intid;
}

bool vpmu_signals(const struct vcpu *v)
{
	return phys_intid || !v->st.pmu_dbg_live;
}

/* Mapped lazily: a reset or a restore drops the mapping. */
static void map(struct vcpu *v)
{
	struct vgic_irq *i = &v->st.vgic.priv[VCPU_PMU_INTID];

	if (!phys_intid ||
	    (__atomic_load_n(&i->flags, __ATOMIC_RELAXED) & VGIC_HW))
		return;
	spin_lock(&v->vm->vgic.lock);
	vgic_map_hw(v, VCPU_PMU_INTID, phys_intid);
	spin_unlock(&v->vm->vgic.lock);
}

void vpmu_sync(struct vcpu *v)
{
	if (!v->st.pmu_dbg_live)
		return; /* never claimed: no overflow line */
	map(v);
	vgic_set_line(v, VCPU_PMU_INTID, arch_vcpu_pmu_line(v));
}
