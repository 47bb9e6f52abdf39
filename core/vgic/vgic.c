// SPDX-License-Identifier: MIT
/*
 * The virtual GIC model and its list-register cache (see vgic.h). All
 * state of a VM's vGIC is under vm->vgic.lock. Before each entry the
 * loaded vCPU's list registers are rebuilt from the model; after each
 * exit they are folded back, so between runs the model is the whole
 * truth and emulated register accesses need no list-register juggling.
 */
#include "vgic_priv.h"

#include <kairos/cpu.h>
#include <kairos/irq.h>
#include <kairos/sched.h>
#include <kairos/vgic.h>
#include <kairos/vm.h>
#include <string.h>

#define irq_of vgic_irq_of
#define irq_pending vgic_irq_pending

/* The vCPU an SPI is delivered to: IROUTER (v3) or ITARGETSR (v2). */
static struct vcpu *spi_target(struct vm *vm, const struct vgic_irq *i)
{
	unsigned int t;

	if (vm->vgic.version == 3) {
		/* IRM (bit 31): any PE; Kairos picks vCPU0. Aff0 = vCPU. */
		t = (i->route & (1UL << 31)) ? 0 :
					       (unsigned int)(i->route & 0xff);
		if (i->route & 0xff00ff0000UL)
			return NULL;
	} else if (vm->nr_vcpus == 1) {
		t = 0; /* uniprocessor: ITARGETSR is RAZ/WI (IHI 0048B 4.3.12) */
	} else {
		if (!i->targets)
			return NULL;
		t = (unsigned int)__builtin_ctz(i->targets);
	}
	return t < vm->nr_vcpus ? &vm->vcpus[t] : NULL;
}

/* Group enabled at the distributor (CTLR bit 0: Group 0, bit 1: 1). */
static bool group_enabled(const struct vgic_dist *d, const struct vgic_irq *i)
{
	return d->ctlr & ((i->flags & VGIC_GROUP1) ? 2U : 1U);
}

static inline __attribute__((always_inline)) bool
deliverable(const struct vgic_dist *d, const struct vgic_irq *i)
{
	return (i->flags & VGIC_ENABLED) && irq_pending(i) &&
	       group_enabled(d, i);
}

void vgic_vm_init(struct vm *vm, unsigned int version)
{
	struct vgic_dist *d = &vm->vgic;

	memset(d->spi, 0, sizeof(d->spi));
	memset(d->spi_cand, 0, sizeof(d->spi_cand));
	d->spi_cand_words = 0;
	d->ctlr = 0;
	d->version = version;
	d->ppi_sw_deact = irq_chip() && irq_chip()->ppi_eoi_unsignalled;
	for (unsigned int i = 0; i < VGIC_NR_SPIS; i++)
		d->spi[i].targets = 1;
}

void vgic_vcpu_reset(struct vcpu *v)
{
	struct vgic_cpu *c = &v->st.vgic;

	memset(c, 0, sizeof(*c));
	c->waker = 2; /* GICR_WAKER.ProcessorSleep set at reset */
	for (unsigned int i = 0; i < 16; i++)
		c->priv[i].flags = VGIC_EDGE |
				   VGIC_ENABLED * (v->vm->vgic.version == 2);
}

/*
 * Someone must notice: wake @t if it waits in WFI, else kick its pCPU;
 * either way it is boosted (sched_wake_irq()).
 */
static void notify(struct vcpu *t)
{
	if (t)
		sched_wake_irq(t);
}

void vgic_notify_all(struct vm *vm)
{
	for (unsigned int k = 0; k < vm->nr_vcpus; k++)
		if (vm->vcpus[k].run != VCPU_RUN_OFF)
			notify(&vm->vcpus[k]);
}

bool vgic_inject(struct vcpu *v, uint32_t intid)
{
	struct vgic_dist *d = &v->vm->vgic;
	struct vgic_irq *i = irq_of(v, intid);
	struct vcpu *t = v;
	bool fresh;

	if (!i)
		return false;
	spin_lock(&d->lock);
	fresh = !(i->flags & VGIC_LATCH);
	i->flags |= VGIC_LATCH;
	vgic_mark(v, intid);
	if (intid >= VGIC_NR_PRIVATE)
		t = spi_target(v->vm, i);
	spin_unlock(&d->lock);
	notify(t);
	return fresh;
}

void vgic_set_line(struct vcpu *v, uint32_t intid, bool level)
{
	struct vgic_dist *d = &v->vm->vgic;
	struct vgic_irq *i = irq_of(v, intid);
	struct vcpu *t = v, *owner = NULL;
	bool rose;

	if (!i)
		return;
	/*
	 * A private line is only ever set by its own vCPU's pCPU: unchanged,
	 * there is nothing to do (and no lock to take, at every entry).
	 */
	if (intid < VGIC_NR_PRIVATE &&
	    !(__atomic_load_n(&i->flags, __ATOMIC_RELAXED) & VGIC_LINE) ==
		    !level)
		return;
	spin_lock(&d->lock);
	rose = level && !(i->flags & VGIC_LINE);
	/* An edge-configured input latches on its rising edge (§4.1.1). */
	if (rose && (i->flags & VGIC_EDGE))
		i->flags |= VGIC_LATCH;
	i->flags = (uint16_t)(level ? i->flags | VGIC_LINE :
				      i->flags & ~VGIC_LINE);
	if (level)
		vgic_mark(v, intid);
	/*
	 * A listed one whose line dropped is withdrawn at the next entry,
	 * as a GIC drops the pending state of a level interrupt whose line
	 * drops (GICv3 spec §4.1.2); a vCPU in its guest is kicked out for
	 * that, so it is not taken late.
	 */
	else if (i->flags & VGIC_IN_LR)
		owner = &v->vm->vcpus[i->lr_owner];
	if (intid >= VGIC_NR_PRIVATE)
		t = spi_target(v->vm, i);
	spin_unlock(&d->lock);
	if (owner) {
		__atomic_store_n(&owner->lrs_stale, true, __ATOMIC_RELEASE);
		if (owner != cpu_current()->loaded)
			sched_kick(__atomic_load_n(&owner->pcpu,
						   __ATOMIC_ACQUIRE));
	}
	if (rose)
		notify(t);
}

void vgic_map_hw(struct vcpu *v, uint32_t intid, uint32_t hw_intid)
{
	struct vgic_irq *i = irq_of(v, intid);

	i->flags |= VGIC_HW;
	i->hw_intid = (uint16_t)hw_intid;
}

/*
 * The next interrupt @v may hold, from *@id on, of those marked (see
 * vgic_mark()): its SGIs and PPIs, and the SPIs routed to it. Marks of
 * interrupts with nothing left are dropped on the way. NULL at the end.
 */
static inline __attribute__((always_inline)) struct vgic_irq *
next_irq(struct vcpu *v, uint32_t *id)
{
	struct vgic_cpu *c = &v->st.vgic;
	struct vgic_dist *d = &v->vm->vgic;

	while (*id < VGIC_NR_IRQS) {
		uint32_t w = *id / 32;
		uint32_t *cand, bits;
		struct vgic_irq *i;

		if (w > 0) {
			/* Words of SPIs with no candidate are skipped whole. */
			uint32_t words = d->spi_cand_words & (~0U << (w - 1));

			if (!words)
				break;
			if (!(words & (1U << (w - 1)))) {
				w = (uint32_t)__builtin_ctz(words) + 1;
				*id = w * 32;
			}
		}
		cand = w ? &d->spi_cand[w - 1] : &c->priv_cand;
		bits = *cand & (~0U << (*id % 32));
		if (!bits) {
			*id = (w + 1) * 32;
			continue;
		}
		*id = w * 32 + (uint32_t)__builtin_ctz(bits);
		i = irq_of(v, *id);
		if (!vgic_wants_lr(i)) {
			*cand &= ~(1U << (*id % 32));
			if (w > 0 && !*cand)
				d->spi_cand_words &= ~(1U << (w - 1));
		} else if (*id < VGIC_NR_PRIVATE || spi_target(v->vm, i) == v)
			return i;
		(*id)++;
	}
	return NULL;
}

void vgic_rescan_all(struct vm *vm)
{
	memset(vm->vgic.spi_cand, 0xff, sizeof(vm->vgic.spi_cand));
	vm->vgic.spi_cand_words = (1U << (VGIC_NR_SPIS / 32)) - 1;
	for (unsigned int k = 0; k < vm->nr_vcpus; k++)
		vm->vcpus[k].st.vgic.priv_cand = ~0U;
}

bool vgic_has_pending(struct vcpu *v)
{
	struct vgic_dist *d = &v->vm->vgic;
	bool any = false;

	struct vgic_irq *i;

	spin_lock(&d->lock);
	for (uint32_t id = 0; !any && (i = next_irq(v, &id)) != NULL; id++)
		any = deliverable(d, i);
	spin_unlock(&d->lock);
	return any;
}

/* Is @a to be listed before @b? Active first, then priority, then ID. */
static bool lr_before(const struct vgic_irq *a, uint32_t ia,
		      const struct vgic_irq *b, uint32_t ib)
{
	bool aa = a->flags & VGIC_ACTIVE, ba = b->flags & VGIC_ACTIVE;

	if (aa != ba)
		return aa;
	if (a->priority != b->priority)
		return a->priority < b->priority;
	return ia < ib;
}

/*
 * The (at most @nr) interrupts to list, in list order; *@left_out when
 * more wanted a list register.
 */
static unsigned int choose(struct vcpu *v, uint32_t *ids, unsigned int nr,
			   bool *left_out)
{
	struct vgic_dist *d = &v->vm->vgic;
	unsigned int n = 0;
	struct vgic_irq *i;

	*left_out = false;
	for (uint32_t id = 0; (i = next_irq(v, &id)) != NULL; id++) {
		unsigned int k = n;

		if (!(i->flags & VGIC_ACTIVE) && !deliverable(d, i))
			continue;
		while (k > 0 &&
		       lr_before(i, id, irq_of(v, ids[k - 1]), ids[k - 1]))
			k--;
		if (k >= nr) {
			*left_out = true;
			continue;
		}
		if (n == nr) {
			*left_out = true; /* the last one makes room */
			n--;
		}
		/* A few at most: no library call. */
		for (unsigned int m = n; m > k; m--)
			ids[m] = ids[m - 1];
		ids[k] = id;
		n++;
	}
	return n;
}

/* vgic_fill_lrs()'s @fast, with @n filled (the VM's vGIC lock held). */
static void fast_lr(struct vcpu *v, unsigned int n, struct vgic_fast *f)
{
	struct vgic_dist *d = &v->vm->vgic;
	struct vgic_cpu *c = &v->st.vgic;
	struct vgic_irq *i = &c->priv[f->intid % VGIC_NR_PRIVATE];

	f->ok = false;
	if ((i->flags & (VGIC_HW | VGIC_ENABLED)) != (VGIC_HW | VGIC_ENABLED) ||
	    !group_enabled(d, i) || d->ppi_sw_deact) {
		/* Its vCPU does not take it now: EL2 must see it (T10). */
		return;
	} else if (i->flags & VGIC_IN_LR) {
		/*
		 * Listed by this fill: once the guest is done with it, its
		 * list register may present the next one. Not if the fill
		 * moved a latch into it (folding would give it back: T11).
		 */
		f->k = i->lr;
		f->ok = !(c->lr_latched & (1U << i->lr));
	} else if (!(i->flags & (VGIC_ACTIVE | VGIC_LATCH | VGIC_LINE))) {
		f->k = n;
		f->ok = true;
	}
	if (f->ok)
		f->lr = (struct vgic_lr){ .intid = f->intid,
					  .hw_intid = i->hw_intid,
					  .priority = i->priority,
					  .group1 = (i->flags & VGIC_GROUP1) !=
						    0,
					  .pending = true,
					  .hw = true };
}

/*
 * A passthrough level SPI listed pending, not yet taken: the device may
 * drop its line before the guest acknowledges it. Not one listed again
 * right after its line was re-sampled (VGIC_SAMPLED).
 */
static bool needs_ack_trap(uint32_t intid, const struct vgic_irq *i,
			   const struct vgic_lr *lr)
{
	return intid >= VGIC_NR_PRIVATE && lr->hw && lr->pending &&
	       !lr->active && !(i->flags & (VGIC_EDGE | VGIC_SAMPLED));
}

unsigned int vgic_fill_lrs(struct vcpu *v, struct vgic_lr *lrs, unsigned int nr,
			   bool *underflow, struct vgic_fast *fast)
{
	struct vgic_dist *d = &v->vm->vgic;
	struct vgic_cpu *c = &v->st.vgic;
	uint32_t ids[VGIC_MAX_LRS];
	unsigned int n;

	if (nr > VGIC_MAX_LRS)
		nr = VGIC_MAX_LRS;
	spin_lock(&d->lock);
	n = choose(v, ids, nr, underflow);
	c->lr_latched = 0;
	v->ack_trap = false;
	for (unsigned int k = 0; k < n; k++) {
		struct vgic_irq *i = irq_of(v, ids[k]);
		struct vgic_lr *lr = &lrs[k];

		*lr = (struct vgic_lr){
			.intid = ids[k],
			.priority = i->priority,
			.group1 = (i->flags & VGIC_GROUP1) != 0,
			.active = (i->flags & VGIC_ACTIVE) != 0,
			.hw = (i->flags & VGIC_HW) != 0,
			.hw_intid = i->hw_intid,
			.source = i->active_source,
		};
		/* See irqchip.ppi_eoi_unsignalled: Kairos deactivates it. */
		if (lr->hw && d->ppi_sw_deact && ids[k] < VGIC_NR_PRIVATE) {
			lr->hw = false;
			lr->eoi_maint = true;
		}
		/*
		 * A GICv2 SGI instance is (INTID, source): while one is active
		 * another source cannot share its list register, so it waits
		 * for the EOI, which exits (maintenance on EOI).
		 */
		if (d->version == 2 && ids[k] < 16 && lr->active) {
			uint8_t same = (uint8_t)(1U << i->active_source);

			/* The same source again: pending and active in one LR. */
			if (i->sgi_sources & same) {
				lr->pending = true;
				i->sgi_sources &= (uint8_t)~same;
			}
			lr->eoi_maint = i->sgi_sources != 0;
		} else if (deliverable(d, i) &&
			   !(lr->active && (i->flags & VGIC_HW))) {
			lr->pending = true;
			/* The latch moves into the LR; folded back if unused. */
			if (i->sgi_sources) {
				lr->source =
					(uint8_t)__builtin_ctz(i->sgi_sources);
				i->sgi_sources &= (uint8_t) ~(1U << lr->source);
				/* More sources wait: their turn comes at the EOI. */
				lr->eoi_maint = i->sgi_sources != 0;
			} else if (i->flags & VGIC_LATCH) {
				i->flags &= (uint16_t)~VGIC_LATCH;
				c->lr_latched |= (uint16_t)(1U << k);
			}
		}
		if (needs_ack_trap(ids[k], i, lr))
			v->ack_trap = true;
		i->flags &= (uint16_t)~VGIC_SAMPLED;
		i->flags |= VGIC_IN_LR;
		i->lr = (uint8_t)k;
		i->lr_owner = (uint8_t)v->id;
		c->lr_intid[k] = (uint16_t)ids[k];
	}
	c->nr_lrs_used = n;
	if (fast)
		fast_lr(v, n, fast);
	spin_unlock(&d->lock);
	return n;
}

/* A passthrough level SPI of @v to re-sample at the acknowledge? */
static bool resample_candidate(struct vcpu *v, const struct vgic_irq *i)
{
	return (i->flags & (VGIC_HW | VGIC_LINE | VGIC_EDGE | VGIC_ACTIVE |
			    VGIC_IN_LR)) == (VGIC_HW | VGIC_LINE) &&
	       spi_target(v->vm, i) == v;
}

unsigned int vgic_resample(struct vcpu *v)
{
	struct vgic_dist *d = &v->vm->vgic;
	uint16_t hw[VM_MAX_IRQS];
	unsigned int n = 0;

	spin_lock(&d->lock);
	for (unsigned int k = 0; k < VGIC_NR_SPIS && n < VM_MAX_IRQS; k++) {
		struct vgic_irq *i = &d->spi[k];

		if (!resample_candidate(v, i))
			continue;
		/*
		 * Its physical interrupt is active, held by Kairos since EL2
		 * took it: no longer pending for the guest until the GIC,
		 * deactivated, finds the line high again.
		 */
		i->flags &= (uint16_t)~VGIC_LINE;
		i->flags |= VGIC_SAMPLED;
		hw[n++] = i->hw_intid;
	}
	spin_unlock(&d->lock);
	if (!n)
		return 0;
	v->resampled = true;
	for (unsigned int k = 0; k < n; k++)
		irq_chip()->set_active(hw[k], false);
	/* A line still high is pending again: take it now (routed here). */
	irq_handle();
	return n;
}

void vgic_resample_expire(struct vcpu *v)
{
	struct vgic_dist *d = &v->vm->vgic;

	v->resampled = false;
	spin_lock(&d->lock);
	for (unsigned int k = 0; k < VGIC_NR_SPIS; k++)
		if ((d->spi[k].flags & (VGIC_SAMPLED | VGIC_LINE)) ==
			    VGIC_SAMPLED &&
		    spi_target(v->vm, &d->spi[k]) == v)
			d->spi[k].flags &= (uint16_t)~VGIC_SAMPLED;
	spin_unlock(&d->lock);
}

/*
 * An EOI that matched no list register (EOImode 0): it is for the
 * highest-priority active interrupt not listed (GICv3 spec §4.4.5).
 */
static void eoi_unlisted(struct vcpu *v)
{
	struct vgic_irq *best = NULL, *i;

	for (uint32_t id = 0; (i = next_irq(v, &id)) != NULL; id++)
		if ((i->flags & VGIC_ACTIVE) && !(i->flags & VGIC_IN_LR) &&
		    (!best || i->priority < best->priority))
			best = i;
	if (best)
		best->flags &= (uint16_t)~VGIC_ACTIVE;
}

/*
 * The guest deactivated passthrough SPI @i with a trapped DIR: the list
 * register could not, so its physical interrupt is deactivated here and
 * the GIC samples the line again (taken again at EL2 if still high).
 */
static void finish_hw_spi(uint32_t intid, struct vgic_irq *i)
{
	if (intid < VGIC_NR_PRIVATE || !(i->flags & VGIC_HW))
		return;
	i->flags &= (uint16_t)~VGIC_LINE;
	irq_chip()->set_active(i->hw_intid, false);
}

void vgic_fold_lrs(struct vcpu *v, const struct vgic_lr *lrs, unsigned int n,
		   unsigned int eoi_count)
{
	struct vgic_dist *d = &v->vm->vgic;
	struct vgic_cpu *c = &v->st.vgic;

	spin_lock(&d->lock);
	/* Before the listed ones lose VGIC_IN_LR. */
	while (eoi_count--)
		eoi_unlisted(v);
	for (unsigned int k = 0; k < n && k < c->nr_lrs_used; k++) {
		struct vgic_irq *i = irq_of(v, c->lr_intid[k]);
		const struct vgic_lr *lr = &lrs[k];

		i->flags &= (uint16_t) ~(VGIC_IN_LR | VGIC_ACTIVE);
		/*
		 * A mapped one the guest finished: the GIC deactivated it. A
		 * passthrough SPI's line is re-sampled by the hardware: if
		 * still high it is taken again at EL2 (T11).
		 */
		if ((i->flags & VGIC_HW) && !lr->active && !lr->pending) {
			/*
			 * Listed without the HW bit (ppi_eoi_unsignalled): the
			 * physical one is still active, held by Kairos.
			 */
			if (c->lr_intid[k] >= VGIC_NR_PRIVATE)
				i->flags &= (uint16_t)~VGIC_LINE;
			else if (!d->ppi_sw_deact)
				c->hw_active &= ~(1U << c->lr_intid[k]);
		}
		if (lr->active && !(i->flags & VGIC_DEACT_REQ)) {
			i->flags |= VGIC_ACTIVE;
			i->active_source = lr->source;
		} else if (lr->active)
			finish_hw_spi(c->lr_intid[k], i);
		i->flags &= (uint16_t)~VGIC_DEACT_REQ;
		if (!lr->pending)
			continue;
		/* Not taken yet: give back what the fill moved into it. */
		if (c->lr_intid[k] < 16 && d->version == 2)
			i->sgi_sources |= (uint8_t)(1U << lr->source);
		else if (c->lr_latched & (1U << k))
			i->flags |= VGIC_LATCH;
	}
	c->nr_lrs_used = 0;
	spin_unlock(&d->lock);
}

void vgic_fast_listed(struct vcpu *v, unsigned int k, uint32_t intid)
{
	struct vgic_dist *d = &v->vm->vgic;
	struct vgic_cpu *c = &v->st.vgic;
	struct vgic_irq *i = &c->priv[intid % VGIC_NR_PRIVATE];

	spin_lock(&d->lock);
	i->flags |= VGIC_IN_LR;
	i->lr = (uint8_t)k;
	i->lr_owner = (uint8_t)v->id;
	c->lr_intid[k] = (uint16_t)intid;
	c->lr_latched &= (uint16_t) ~(1U << k);
	c->nr_lrs_used = k + 1;
	/* Acknowledged at EL2: physically active until the guest is done. */
	c->hw_active |= 1U << (intid % VGIC_NR_PRIVATE);
	vgic_mark(v, intid);
	spin_unlock(&d->lock);
}

void vgic_deactivate(struct vcpu *v, uint32_t intid)
{
	struct vgic_dist *d = &v->vm->vgic;
	struct vgic_irq *i = irq_of(v, intid);
	struct vcpu *owner = NULL;

	if (!i)
		return;
	spin_lock(&d->lock);
	if ((i->flags & VGIC_IN_LR) && i->lr_owner != v->id) {
		/* Live in another vCPU's list register: it folds it. */
		i->flags |= VGIC_DEACT_REQ;
		owner = &v->vm->vcpus[i->lr_owner];
	} else {
		if (i->flags & VGIC_ACTIVE)
			finish_hw_spi(intid, i);
		i->flags &= (uint16_t)~VGIC_ACTIVE;
		/* A pending one is deliverable now: its vCPU may be in WFI. */
		if (irq_pending(i))
			owner = intid < VGIC_NR_PRIVATE ? v :
							  spi_target(v->vm, i);
	}
	spin_unlock(&d->lock);
	/* A mapped one's physical state follows at its vCPU's next entry. */
	notify(owner);
}

static void send_sgi(struct vcpu *from, struct vcpu *to, uint32_t sgi)
{
	struct vgic_dist *d = &from->vm->vgic;
	struct vgic_irq *i = &to->st.vgic.priv[sgi];

	spin_lock(&d->lock);
	if (d->version == 2)
		i->sgi_sources |= (uint8_t)(1U << from->id);
	else
		i->flags |= VGIC_LATCH;
	vgic_mark(to, sgi);
	spin_unlock(&d->lock);
	notify(to);
}

/* @sgi from @from to vCPU @base + k for each bit k of @list that exists. */
static void send_sgi_list(struct vcpu *from, unsigned int base, uint32_t list,
			  uint32_t sgi)
{
	struct vm *vm = from->vm;

	for (; list; list &= list - 1) {
		unsigned int t = base + (unsigned int)__builtin_ctz(list);

		if (t >= vm->nr_vcpus)
			return;
		send_sgi(from, &vm->vcpus[t], sgi);
	}
}

void vgic_sgi1r(struct vcpu *v, uint64_t val)
{
	struct vm *vm = v->vm;
	uint32_t sgi = (uint32_t)(val >> 24) & 0xf;
	unsigned int rs = (unsigned int)(val >> 44) & 0xf;
	bool irm = (val >> 40) & 1;

	/* vCPU MPIDRs have Aff3..Aff1 = 0 (vm.c): other targets don't exist. */
	if (!irm && (val & (0xffUL << 48 | 0xffUL << 32 | 0xffUL << 16)))
		return;
	if (irm) {
		for (unsigned int t = 0; t < vm->nr_vcpus; t++)
			if (t != v->id)
				send_sgi(v, &vm->vcpus[t], sgi);
		return;
	}
	/* A target list: its bits, not every vCPU (one, typically). */
	send_sgi_list(v, rs * 16, (uint32_t)val & 0xffff, sgi);
}

/** GICv2 GICD_SGIR (IHI 0048B §4.3.15). */
void vgic_sgir(struct vcpu *v, uint32_t val)
{
	struct vm *vm = v->vm;
	uint32_t filter = (val >> 24) & 3, list = (val >> 16) & 0xff;

	switch (filter) {
	case 0: send_sgi_list(v, 0, list, val & 0xf); break;
	case 1:
		for (unsigned int t = 0; t < vm->nr_vcpus; t++)
			if (t != v->id)
				send_sgi(v, &vm->vcpus[t], val & 0xf);
		break;
	case 2: send_sgi(v, v, val & 0xf); break;
	default: break; /* reserved */
	}
}

void vgic_sync_hw(struct vcpu *v)
{
	struct vgic_cpu *c = &v->st.vgic;
	/*
	 * Only PPIs with something to hold can want it held (priv_cand is a
	 * superset of those), and only those held may need releasing.
	 */
	uint32_t look = (c->priv_cand | c->hw_active) & ~0xffffU;

	while (look) {
		uint32_t id = (uint32_t)__builtin_ctz(look);
		struct vgic_irq *i = &c->priv[id];
		uint32_t bit = 1U << id;
		bool want = i->flags & (VGIC_LINE | VGIC_ACTIVE | VGIC_IN_LR);

		look &= ~bit;
		if (!(i->flags & VGIC_HW) || want == !!(c->hw_active & bit))
			continue;
		irq_chip()->set_active(i->hw_intid, want);
		c->hw_active ^= bit;
	}
}

void vgic_release_hw(struct vcpu *v)
{
	struct vgic_cpu *c = &v->st.vgic;

	for (uint32_t held = c->hw_active & ~0xffffU; held; held &= held - 1)
		irq_chip()->set_active(c->priv[__builtin_ctz(held)].hw_intid,
				       false);
	c->hw_active = 0;
}
