// SPDX-License-Identifier: MIT
/*
 * GICv2 virtual interface control (IHI 0048B §5.3, GICH_*). The guest
 * reaches GICV through its GICC mapping; GICC_DIR is trapped (core).
 */
#include "vgic_hw_ops.h"

#include <kairos/mmio.h>

#define GICH_HCR 0x000
#define GICH_VTR 0x004
#define GICH_VMCR 0x008
#define GICH_APR 0x0f0
#define GICH_LR 0x100
#define GICH_HCR_EN (1U << 0)
#define GICH_HCR_UIE (1U << 1)
#define GICH_HCR_LRENPIE (1U << 2)
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
			 bool underflow, unsigned int nr)
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
			     (underflow ? GICH_HCR_UIE : 0));
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

const struct vgic_hw_ops vgic_v2_ops = {
	.nr_lrs = v2_nr_lrs,
	.clear_lrs = v2_clear_lrs,
	.load = v2_load,
	.put = v2_put,
	.write_lrs = v2_write_lrs,
	.read_lrs = v2_read_lrs,
};

void vgic_v2_init(paddr_t base)
{
	gich = pa_to_ptr(base);
}
