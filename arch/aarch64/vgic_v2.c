// SPDX-License-Identifier: MIT
/*
 * GICv2 virtual interface control (IHI 0048B §5.3, GICH_*). The guest
 * reaches GICV through its GICC mapping; GICC_DIR is trapped (core).
 */
#include "vgic_hw_ops.h"

#include <arch/stage2.h>
#include <kairos/mmio.h>
#include <kairos/profile_virt.h>
#include <kairos/vm.h>

#define GICH_HCR 0x000
#define GICH_VTR 0x004
#define GICH_VMCR 0x008
#define GICH_APR 0x0f0
#define GICH_LR 0x100
#define GICH_HCR_EN (1U << 0)
#define GICH_HCR_UIE (1U << 1)
#define GICH_HCR_LRENPIE (1U << 2)
#define GICH_HCR_NPIE (1U << 3)
#define GICH_LR_HW (1U << 31)
#define GICH_LR_GROUP1 (1U << 30)

static void *gich;

static unsigned int v2_nr_lrs(void)
{
	return (mmio_read32(gich, GICH_VTR) & 0x3f) + 1;
}

static void v2_clear_lrs(unsigned int nr)
{
	for (unsigned int n = 0; n < nr; n++)
		mmio_write32(gich, GICH_LR + 4UL * n, 0);
}

/* The list registers are empty here (vgic_hw.c: cleared once, then by
 * every put): fills write only what they list. */
static void v2_load(const struct vgic_cpu *c)
{
	mmio_write32(gich, GICH_VMCR, (uint32_t)c->vmcr);
	mmio_write32(gich, GICH_APR, (uint32_t)c->apr[0]);
	mmio_write32(gich, GICH_HCR, GICH_HCR_EN);
}

static void v2_put(struct vgic_cpu *c, unsigned int nr)
{
	c->vmcr = mmio_read32(gich, GICH_VMCR);
	c->apr[0] = mmio_read32(gich, GICH_APR);
	v2_clear_lrs(nr);
	mmio_write32(gich, GICH_HCR, 0);
}

/*
 * The list registers are empty here (emptied at load, and by each read
 * back): only the @n listed are written. @nr: how many exist.
 */
static void v2_write_lrs(const struct vgic_lr *lrs, unsigned int n,
			 unsigned int maint, unsigned int nr)
{
	(void)nr;
	for (unsigned int k = 0; k < n; k++) {
		const struct vgic_lr *l = &lrs[k];
		uint32_t v = (l->intid & 0x3ff) |
			     ((uint32_t)(l->priority >> 3) << 23) |
			     ((uint32_t)l->pending << 28) |
			     ((uint32_t)l->active << 29);

		if (l->group1)
			v |= GICH_LR_GROUP1;
		if (l->hw)
			v |= GICH_LR_HW | ((l->hw_intid & 0x3ff) << 10);
		else if (l->intid < 16)
			v |= (uint32_t)(l->source & 7) << 10;
		if (!l->hw && l->eoi_maint)
			v |= 1U << 19; /* EOI: maintenance on EOI */
		mmio_write32(gich, GICH_LR + 4UL * k, v);
	}
	mmio_write32(gich, GICH_HCR,
		     GICH_HCR_EN | GICH_HCR_LRENPIE |
			     (maint & VGIC_MAINT_UNDERFLOW ? GICH_HCR_UIE : 0) |
			     (maint & VGIC_MAINT_NO_PENDING ? GICH_HCR_NPIE :
							      0));
}

static unsigned int v2_read_lrs(struct vgic_lr *lrs, unsigned int n)
{
	uint32_t hcr = mmio_read32(gich, GICH_HCR);

	for (unsigned int k = 0; k < n; k++) {
		uint32_t v = mmio_read32(gich, GICH_LR + 4UL * k);

		lrs[k].pending = (v >> 28) & 1;
		lrs[k].active = (v >> 29) & 1;
		lrs[k].source = (uint8_t)((v >> 10) & 7);
		/* Emptied: an EOI-maintenance LR would keep asserting it. */
		mmio_write32(gich, GICH_LR + 4UL * k, 0);
	}
	/* As for GICv3: the maintenance level drops until the next fill. */
	mmio_write32(gich, GICH_HCR, GICH_HCR_EN);
	return (hcr >> 27) & 0x1f;
}

/*
 * GICH has no trap for the guest's GICC_IAR: the page that holds it is
 * unmapped in the VM's stage 2 while one of its vCPUs asks for the trap
 * (the VM is the loaded one: the flush is by its VMID).
 */
static void v2_trap_ack(struct vcpu *v, bool on)
{
	struct vm *vm = v->vm;
	uint32_t bit = 1U << v->id, old;

	spin_lock(&vm->ack_trap_lock);
	old = vm->ack_trap_vcpus;
	vm->ack_trap_vcpus = on ? old | bit : old & ~bit;
	if (!old != !vm->ack_trap_vcpus)
		(void)arch_s2_page_set_valid(vm->s2_root, VIRT_GICC, !on);
	spin_unlock(&vm->ack_trap_lock);
}

/*
 * A fault on the unmapped GICC page. When @v did not ask for the trap
 * (another vCPU of its VM did), the page is given back to all at once:
 * @v must make progress, and the other vCPU's acknowledge goes
 * unchecked this time (docs/design.md §5).
 */
static bool v2_ack_trap_hit(struct vcpu *v, uint64_t ipa)
{
	struct vm *vm = v->vm;

	if (ipa < VIRT_GICC || ipa >= VIRT_GICC + 0x1000)
		return false;
	spin_lock(&vm->ack_trap_lock);
	if (vm->ack_trap_vcpus && !(vm->ack_trap_vcpus & (1U << v->id))) {
		vm->ack_trap_vcpus = 0;
		(void)arch_s2_page_set_valid(vm->s2_root, VIRT_GICC, true);
	}
	spin_unlock(&vm->ack_trap_lock);
	return true;
}

const struct vgic_hw_ops vgic_v2_ops = {
	.nr_lrs = v2_nr_lrs,
	.clear_lrs = v2_clear_lrs,
	.load = v2_load,
	.put = v2_put,
	.write_lrs = v2_write_lrs,
	.read_lrs = v2_read_lrs,
	.trap_ack = v2_trap_ack,
	.ack_trap_hit = v2_ack_trap_hit,
};

void vgic_v2_init(paddr_t base)
{
	gich = pa_to_ptr(base);
}
