/* SPDX-License-Identifier: MIT */
/* Helpers shared by core/vgic/vgic.c and core/vgic/vgic_mmio.c. */
#ifndef CORE_VGIC_PRIV_H
#define CORE_VGIC_PRIV_H

#include <kairos/panic.h>
#include <kairos/vgic.h>
#include <kairos/vm.h>

/* NULL only for an INTID beyond the model (never for a valid @v). */
__attribute__((nonnull)) static inline struct vgic_irq *
vgic_irq_of(struct vcpu *v, uint32_t intid)
{
	if (intid < VGIC_NR_PRIVATE)
		return &v->st.vgic.priv[intid];
	if (intid < VGIC_NR_IRQS)
		return &v->vm->vgic.spi[intid - VGIC_NR_PRIVATE];
	return NULL;
}

static inline bool vgic_irq_pending(const struct vgic_irq *i)
{
	return (i->flags & VGIC_LATCH) || i->sgi_sources ||
	       (!(i->flags & VGIC_EDGE) && (i->flags & VGIC_LINE));
}

/* Anything left of @i for a list register? */
static inline bool vgic_wants_lr(const struct vgic_irq *i)
{
	return (i->flags &
		(VGIC_LATCH | VGIC_LINE | VGIC_ACTIVE | VGIC_IN_LR)) ||
	       i->sgi_sources;
}

/*
 * @intid of @v may have become pending or active: the entry path must
 * look at it (VM's vGIC lock held). Cleared lazily by that path once the
 * interrupt has nothing left for a list register.
 */
__attribute__((nonnull)) static inline void vgic_mark(struct vcpu *v,
						      uint32_t intid)
{
	spin_assert_held(&v->vm->vgic.lock);
	if (intid < VGIC_NR_PRIVATE)
		v->st.vgic.priv_cand |= 1U << intid;
	else if (intid < VGIC_NR_IRQS) {
		uint32_t w = (intid - VGIC_NR_PRIVATE) / 32;

		v->vm->vgic.spi_cand[w] |= 1U << (intid % 32);
		v->vm->vgic.spi_cand_words |= 1U << w;
	}
}

/** Wake or kick every vCPU of @vm: an emulated write may have made
 *  something deliverable anywhere. */
void vgic_notify_all(struct vm *vm);

#endif
