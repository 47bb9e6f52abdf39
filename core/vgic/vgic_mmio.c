// SPDX-License-Identifier: MIT
/*
 * Guest accesses to the virtual distributor (GICv3 IHI 0069 §12.9, GICv2
 * IHI 0048B §4.3) and GICv3 redistributors (§12.10, §12.11). Everything a
 * guest may touch is emulated from the model; read-only registers ignore
 * writes and reserved space reads as zero.
 */
#include "vgic_priv.h"

#include <arch/vgic_hw.h>
#include <kairos/run.h>

#include <kairos/profile_virt.h>
#include <kairos/vm.h>

#define GICD_CTLR 0x0000
#define GICD_TYPER 0x0004
#define GICD_IIDR 0x0008
#define GICD_IGROUPR 0x0080
#define GICD_ISENABLER 0x0100
#define GICD_ICENABLER 0x0180
#define GICD_ISPENDR 0x0200
#define GICD_ICPENDR 0x0280
#define GICD_ISACTIVER 0x0300
#define GICD_ICACTIVER 0x0380
#define GICD_IPRIORITYR 0x0400
#define GICD_ITARGETSR 0x0800
#define GICD_ICFGR 0x0c00
#define GICD_SGIR 0x0f00
#define GICD_CPENDSGIR 0x0f10
#define GICD_SPENDSGIR 0x0f20
#define GICD_IROUTER 0x6000
#define GICR_CTLR 0x0000
#define GICR_IIDR 0x0004
#define GICR_TYPER 0x0008
#define GICR_WAKER 0x0014
#define GICR_SGI 0x10000
#define GICR_FRAME 0x20000

/* Kairos's IIDR: ProductID 'K', implementer Arm (JEP106 0x43b). */
#define VGIC_IIDR 0x4b00043bU
/* Implemented priority bits: 5, as the list registers carry. */
#define PRIO_MASK 0xf8U

enum bitreg { R_GROUP, R_ENABLE, R_PENDING, R_ACTIVE };

static bool bit_of(const struct vgic_irq *i, enum bitreg r)
{
	switch (r) {
	case R_GROUP: return i->flags & VGIC_GROUP1;
	case R_ENABLE: return i->flags & VGIC_ENABLED;
	case R_PENDING: return vgic_irq_pending(i);
	default: return i->flags & VGIC_ACTIVE;
	}
}

static void set_bit_of(struct vgic_irq *i, uint32_t intid, enum bitreg r,
		       bool set, unsigned int version)
{
	uint16_t f;

	switch (r) {
	case R_GROUP: f = VGIC_GROUP1; break;
	case R_ENABLE: f = VGIC_ENABLED; break;
	case R_PENDING:
		/* GICv2 SGIs are made pending through SPENDSGIR only. */
		if (version == 2 && intid < 16) {
			if (!set)
				i->sgi_sources = 0;
			return;
		}
		f = VGIC_LATCH;
		break;
	default:
		/* Mapped: the physical state follows in vgic_sync_hw(). */
		f = VGIC_ACTIVE;
		break;
	}
	i->flags = (uint16_t)(set ? i->flags | f : i->flags & ~f);
}

/* Bit-per-interrupt register at word @word (INTIDs 32*word...). */
static uint32_t bits_read(struct vcpu *v, uint32_t word, enum bitreg r)
{
	uint32_t val = 0;

	for (uint32_t b = 0; b < 32; b++) {
		struct vgic_irq *i = vgic_irq_of(v, word * 32 + b);

		if (i && bit_of(i, r))
			val |= 1U << b;
	}
	return val;
}

static void bits_write(struct vcpu *v, uint32_t word, enum bitreg r, bool set,
		       uint32_t val, bool assign)
{
	for (uint32_t b = 0; b < 32; b++) {
		uint32_t id = word * 32 + b;
		struct vgic_irq *i = vgic_irq_of(v, id);

		if (!i ||
		    (r == R_ENABLE && id < 16 && v->vm->vgic.version == 2))
			continue; /* v2 SGIs: enable bits RAO/WI */
		if (assign)
			set_bit_of(i, id, r, (val >> b) & 1,
				   v->vm->vgic.version);
		else if ((val >> b) & 1)
			set_bit_of(i, id, r, set, v->vm->vgic.version);
		if (vgic_wants_lr(i))
			vgic_mark(v, id);
	}
}

/* Byte-per-interrupt registers: IPRIORITYR, ITARGETSR. */
static uint32_t bytes_read(struct vcpu *v, uint64_t first, unsigned int len,
			   bool targets)
{
	uint32_t val = 0;

	for (unsigned int b = 0; b < len; b++) {
		struct vgic_irq *i = vgic_irq_of(v, (uint32_t)first + b);
		uint32_t x = 0;

		if (i && !targets)
			x = i->priority;
		else if (i && v->vm->nr_vcpus == 1)
			x = 0; /* uniprocessor: RAZ/WI (IHI 0048B 4.3.12) */
		else if (i && first + b < VGIC_NR_PRIVATE)
			x = 1U << v->id; /* banked: this CPU's own bit */
		else if (i)
			x = i->targets;
		val |= x << (8 * b);
	}
	return val;
}

static void bytes_write(struct vcpu *v, uint64_t first, unsigned int len,
			uint32_t val, bool targets)
{
	uint32_t present = (1U << v->vm->nr_vcpus) - 1;

	for (unsigned int b = 0; b < len; b++) {
		struct vgic_irq *i = vgic_irq_of(v, (uint32_t)first + b);
		uint8_t x = (uint8_t)(val >> (8 * b));

		if (!i)
			continue;
		if (!targets)
			i->priority = x & PRIO_MASK;
		else if (first + b >= VGIC_NR_PRIVATE)
			i->targets = x &
				     (uint8_t)present; /* absent CPUs: RAZ */
	}
}

static uint32_t cfg_read(struct vcpu *v, uint32_t word)
{
	uint32_t val = 0;

	for (uint32_t k = 0; k < 16; k++) {
		struct vgic_irq *i = vgic_irq_of(v, word * 16 + k);

		if (i && (i->flags & VGIC_EDGE))
			val |= 2U << (2 * k);
	}
	return val;
}

static void cfg_write(struct vcpu *v, uint32_t word, uint32_t val)
{
	for (uint32_t k = 0; k < 16; k++) {
		uint32_t id = word * 16 + k;
		struct vgic_irq *i = vgic_irq_of(v, id);

		if (!i || id < 16)
			continue; /* SGIs are always edge: read-only */
		i->flags = (uint16_t)((val >> (2 * k + 1)) & 1 ?
					      i->flags | VGIC_EDGE :
					      i->flags & ~VGIC_EDGE);
	}
}

/* The ID registers of the CoreLink GICs: PIDR2.ArchRev, CIDR0-3. */
static uint32_t id_reg(uint64_t off, unsigned int version)
{
	static const uint8_t cidr[4] = { 0x0d, 0xf0, 0x05, 0xb1 };
	uint64_t base = version == 3 ? 0xffd0 : 0xfd0;

	if (off == base + 0x18) /* PIDR2 */
		return (version << 4) | 0xb;
	if (off >= base + 0x20 && off < base + 0x30)
		return cidr[(off - base - 0x20) / 4];
	return 0;
}

/*
 * The registers with one bit or one byte per interrupt, shared by the
 * distributor and the redistributors' SGI frames. @first_ok: lowest INTID
 * this frame serves (32 for a distributor with affinity routing).
 */
static bool irq_regs(struct vcpu *v, uint64_t off, unsigned int len,
		     uint64_t *val, bool write, uint32_t lo, uint32_t hi)
{
	static const struct {
		uint64_t base;
		enum bitreg r;
		int op; /* 0: assign, 1: set, -1: clear */
	} banks[] = {
		{ GICD_IGROUPR, R_GROUP, 0 },
		{ GICD_ISENABLER, R_ENABLE, 1 },
		{ GICD_ICENABLER, R_ENABLE, -1 },
		{ GICD_ISPENDR, R_PENDING, 1 },
		{ GICD_ICPENDR, R_PENDING, -1 },
		{ GICD_ISACTIVER, R_ACTIVE, 1 },
		{ GICD_ICACTIVER, R_ACTIVE, -1 },
	};
	uint32_t w = (uint32_t)*val;

	for (unsigned int k = 0; k < sizeof(banks) / sizeof(banks[0]); k++) {
		uint32_t word;

		if (off < banks[k].base || off >= banks[k].base + 0x80)
			continue;
		word = (uint32_t)(off - banks[k].base) / 4;
		if (len != 4 || word * 32 < lo || word * 32 >= hi)
			*val = 0;
		else if (write)
			bits_write(v, word, banks[k].r, banks[k].op > 0, w,
				   banks[k].op == 0);
		else
			*val = bits_read(v, word, banks[k].r);
		return true;
	}
	if (off >= GICD_IPRIORITYR && off < GICD_IPRIORITYR + 0x400) {
		uint64_t id = off - GICD_IPRIORITYR;

		if (len == 8 || id < lo || id + len > hi)
			*val = 0;
		else if (write)
			bytes_write(v, id, len, w, false);
		else
			*val = bytes_read(v, id, len, false);
		return true;
	}
	if (off >= GICD_ICFGR && off < GICD_ICFGR + 0x100) {
		uint32_t word = (uint32_t)(off - GICD_ICFGR) / 4;

		if (len != 4 || word * 16 < lo || word * 16 >= hi)
			*val = 0;
		else if (write)
			cfg_write(v, word, w);
		else
			*val = cfg_read(v, word);
		return true;
	}
	return false;
}

static uint32_t typer(const struct vm *vm)
{
	uint32_t lines = VGIC_NR_IRQS / 32 - 1;

	if (vm->vgic.version == 3)
		return lines | (9U << 19); /* IDbits: 10-bit INTIDs */
	return lines | ((vm->nr_vcpus - 1) << 5);
}

static bool dist_misc(struct vcpu *v, uint64_t off, uint64_t *val, bool write)
{
	struct vgic_dist *d = &v->vm->vgic;

	switch (off) {
	case GICD_CTLR:
		if (write)
			d->ctlr = (uint32_t)*val & 3;
		else /* v3: ARE and DS read as one (one security state) */
			*val = d->ctlr | (d->version == 3 ? 0x50 : 0);
		return true;
	case GICD_TYPER:
		if (!write)
			*val = typer(v->vm);
		return true;
	case GICD_IIDR:
		if (!write)
			*val = VGIC_IIDR;
		return true;
	case GICD_SGIR: /* writes are taken before the lock (dist_access) */
		if (!write)
			*val = 0;
		return true;
	default: return false;
	}
}

/* GICv2 CPENDSGIR/SPENDSGIR: one byte of source bits per SGI. */
static bool sgi_pending_regs(struct vcpu *v, uint64_t off, unsigned int len,
			     uint64_t *val, bool write)
{
	bool set = off >= GICD_SPENDSGIR;
	uint64_t sgi = off - (set ? GICD_SPENDSGIR : GICD_CPENDSGIR);

	if (off < GICD_CPENDSGIR || off >= GICD_SPENDSGIR + 0x10)
		return false;
	for (unsigned int b = 0; b < len && sgi + b < 16; b++) {
		struct vgic_irq *i = &v->st.vgic.priv[sgi + b];
		uint8_t x = (uint8_t)(*val >> (8 * b));

		if (!write)
			continue;
		i->sgi_sources = (uint8_t)(set ? i->sgi_sources | x :
						 i->sgi_sources & ~x);
		if (i->sgi_sources)
			vgic_mark(v, (uint32_t)(sgi + b));
	}
	if (!write) {
		uint64_t r = 0;

		for (unsigned int b = 0; b < len && sgi + b < 16; b++)
			r |= (uint64_t)v->st.vgic.priv[sgi + b].sgi_sources
			     << (8 * b);
		*val = r;
	}
	return true;
}

/* GICv3 IROUTER<n>: 64-bit, or either 32-bit half. */
static bool irouter(struct vcpu *v, uint64_t off, unsigned int len,
		    uint64_t *val, bool write)
{
	uint64_t id = (off - GICD_IROUTER) / 8, shift = (off & 4) * 8;
	uint64_t mask = 0xff80ffffffUL;
	struct vgic_irq *i;

	if (off < GICD_IROUTER + 8 * VGIC_NR_PRIVATE ||
	    off >= GICD_IROUTER + 8 * VGIC_NR_IRQS) {
		if (!write)
			*val = 0;
		return off >= GICD_IROUTER && off < GICD_IROUTER + 0x2000;
	}
	i = &v->vm->vgic.spi[id - VGIC_NR_PRIVATE];
	if (!write) {
		*val = len == 8 ? i->route : (i->route >> shift) & 0xffffffffU;
	} else if (len == 8) {
		i->route = *val & mask;
	} else {
		uint64_t part = 0xffffffffUL << shift;

		i->route = ((i->route & ~part) | ((*val << shift) & part)) &
			   mask;
	}
	return true;
}

/*
 * Pending and active state (and GICv2's SGI pending state) is what list
 * registers hold: accessing it needs them folded first; writes change
 * what they must hold. The rest (IDs, configuration, enables,
 * priorities, routing) reads the same either way.
 */
static bool lr_state(uint64_t off)
{
	return (off >= GICD_ISPENDR && off < GICD_IPRIORITYR) ||
	       (off >= GICD_CPENDSGIR && off < GICD_SPENDSGIR + 0x10);
}

static bool dist_access(struct vcpu *v, void *dev, uint64_t off,
			unsigned int len, uint64_t *val, bool write)
{
	struct vm *vm = dev;
	struct vgic_dist *d = &vm->vgic;
	uint32_t lo = d->version == 3 ? VGIC_NR_PRIVATE : 0;
	bool done;

	/* Identification reads (probed at boot and by drivers): no lock. */
	if (!write && (off == GICD_TYPER || off == GICD_IIDR)) {
		*val = off == GICD_TYPER ? typer(vm) : VGIC_IIDR;
		return true;
	}
	if (write || lr_state(off))
		run_settle(v);
	/* Sending SGIs takes the lock itself. */
	if (write && off == GICD_SGIR) {
		if (d->version == 2 && len == 4)
			vgic_sgir(v, (uint32_t)*val);
		return true;
	}
	spin_lock(&d->lock);
	done = dist_misc(v, off, val, write) ||
	       irq_regs(v, off, len, val, write, lo, VGIC_NR_IRQS);
	if (!done && d->version == 2 && off >= GICD_ITARGETSR &&
	    off < GICD_ITARGETSR + 0x400) {
		if (write)
			bytes_write(v, off - GICD_ITARGETSR, len,
				    (uint32_t)*val, true);
		else
			*val = bytes_read(v, off - GICD_ITARGETSR, len, true);
		done = true;
	}
	if (!done && d->version == 2)
		done = sgi_pending_regs(v, off, len, val, write);
	if (!done && d->version == 3)
		done = irouter(v, off, len, val, write);
	if (!done && !write)
		*val = id_reg(off, d->version); /* reserved: zero */
	spin_unlock(&d->lock);
	if (write)
		vgic_notify_all(vm);
	return true;
}

static bool dist_read(struct vcpu *v, void *dev, uint64_t off, unsigned int len,
		      uint64_t *val)
{
	return dist_access(v, dev, off, len, val, false);
}

static bool dist_write(struct vcpu *v, void *dev, uint64_t off,
		       unsigned int len, uint64_t val)
{
	return dist_access(v, dev, off, len, &val, true);
}

/* A redistributor's RD_base frame (@t: the vCPU it belongs to). */
static void rd_frame(struct vcpu *t, uint64_t off, unsigned int len,
		     uint64_t *val, bool write)
{
	struct vm *vm = t->vm;
	uint64_t ty = ((uint64_t)t->id << 32) | ((uint64_t)t->id << 8) |
		      (t->id + 1 == vm->nr_vcpus ? 1UL << 4 : 0);

	if (write) {
		if (off == GICR_WAKER)
			t->st.vgic.waker = (uint32_t)*val & 2;
		return;
	}
	switch (off) {
	case GICR_IIDR: *val = VGIC_IIDR; break;
	case GICR_TYPER: *val = len == 8 ? ty : ty & 0xffffffffU; break;
	case GICR_TYPER + 4: *val = ty >> 32; break;
	case GICR_WAKER: /* ChildrenAsleep follows ProcessorSleep */
		*val = t->st.vgic.waker | (t->st.vgic.waker << 1);
		break;
	default: *val = id_reg(off, 3); break; /* CTLR etc: zero */
	}
}

static bool redist_access(struct vcpu *v, void *dev, uint64_t off,
			  unsigned int len, uint64_t *val, bool write)
{
	struct vm *vm = dev;
	struct vcpu *t = &vm->vcpus[off / GICR_FRAME];
	uint64_t in = off % GICR_FRAME;

	if (write || (in >= GICR_SGI && lr_state(in - GICR_SGI)))
		run_settle(v);
	spin_lock(&vm->vgic.lock);
	if (in < GICR_SGI)
		rd_frame(t, in, len, val, write);
	else if (!irq_regs(t, in - GICR_SGI, len, val, write, 0,
			   VGIC_NR_PRIVATE) &&
		 !write)
		*val = 0;
	spin_unlock(&vm->vgic.lock);
	if (write)
		vgic_notify_all(vm);
	return true;
}

static bool redist_read(struct vcpu *v, void *dev, uint64_t off,
			unsigned int len, uint64_t *val)
{
	return redist_access(v, dev, off, len, val, false);
}

static bool redist_write(struct vcpu *v, void *dev, uint64_t off,
			 unsigned int len, uint64_t val)
{
	return redist_access(v, dev, off, len, &val, true);
}

/* GICv2: GICC_DIR (the second page of the GICC frame) is trapped. */
static bool dir_read(struct vcpu *v, void *dev, uint64_t off, unsigned int len,
		     uint64_t *val)
{
	(void)v;
	(void)dev;
	(void)off;
	(void)len;
	*val = 0; /* write-only */
	return true;
}

static bool dir_write(struct vcpu *v, void *dev, uint64_t off, unsigned int len,
		      uint64_t val)
{
	(void)dev;
	run_settle(v);
	if (off == 0 && len == 4)
		vgic_deactivate(v, (uint32_t)val & 0x3ff);
	return true;
}

/* GICv2 without a GIC: the first page of the GICC frame is emulated. */
static bool cpuif_read(struct vcpu *v, void *dev, uint64_t off,
		       unsigned int len, uint64_t *val)
{
	(void)dev;
	return arch_vgic_cpuif_access(v, off, len, val, false);
}

static bool cpuif_write(struct vcpu *v, void *dev, uint64_t off,
			unsigned int len, uint64_t val)
{
	(void)dev;
	return arch_vgic_cpuif_access(v, off, len, &val, true);
}

bool vgic_mmio_attach(struct vm *vm)
{
	struct mmio_region cpuif = { VIRT_GICC, 0x1000, cpuif_read, cpuif_write,
				     vm };
	struct mmio_region dist = { VIRT_GICD, VIRT_GICD_SIZE, dist_read,
				    dist_write, vm };
	struct mmio_region redist = { VIRT_GICR,
				      (uint64_t)vm->nr_vcpus * GICR_FRAME,
				      redist_read, redist_write, vm };
	struct mmio_region dir = { VIRT_GICC + 0x1000, 0x1000, dir_read,
				   dir_write, vm };

	if (!vm_add_mmio(vm, &dist))
		return false;
	if (vm->vgic.version == 2 && arch_vgic_cpuif_emulated() &&
	    !vm_add_mmio(vm, &cpuif))
		return false;
	return vm_add_mmio(vm, vm->vgic.version == 3 ? &redist : &dir);
}
