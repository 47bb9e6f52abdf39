// SPDX-License-Identifier: MIT
/*
 * Checkpoint and restore of whole VMs (docs/design.md §7, ckpt.h). The
 * boot CPU does everything while the VM is held (sched_hold_vm): no vCPU
 * of it runs, each one's state is in memory, list registers are folded
 * and no deadline of theirs is queued (T14). A checkpoint only copies
 * the VM's RAM while it is held; the CRC of that copy, which nothing
 * writes any more, is computed after its release by the seal task, and
 * the slot's header is written last. A restore validates the
 * whole image before it writes anything (the VM stays as it was on any
 * refusal), derives every timer line after the vGIC is in place and
 * releases all vCPUs together (T13, T18).
 *
 * Incremental restore: after a checkpoint into or a restore from a slot,
 * the VM's RAM is mapped page by page read-only in stage 2; a page's
 * first write makes it writable (arch_s2_track_write). Restoring the
 * same slot again copies only the pages that became writable.
 */
#include <arch/cpu.h>
#include <arch/memops.h>
#include <arch/mmu.h>
#include <arch/stage2.h>
#include <arch/timer.h>
#include <arch/vgic_hw.h>
#include <kairos/ckpt.h>
#include <kairos/ckpt_format.h>
#include <kairos/log.h>
#include <kairos/profile_virt.h>
#include <kairos/sched.h>
#include <kairos/task.h>
#include <kairos/time.h>
#include <kairos/vdev.h>
#include <kairos/vgic.h>
#include <kairos/vm_events.h>
#include <kairos/vm_ram.h>
#include <kairos/vtimer.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define PAGE 4096UL
#define PTIMER_INTID 30U
#define TIMER_ENABLE 1UL
#define TIMER_IMASK 2UL
#define SCTLR_M (1UL << 0)
#define SCTLR_C (1UL << 2)

// NOLINTBEGIN(misc-redundant-expression): equal by design, checked
_Static_assert(VGIC_ENABLED == CKPT_IRQ_ENABLED &&
		       VGIC_GROUP1 == CKPT_IRQ_GROUP1 &&
		       VGIC_EDGE == CKPT_IRQ_EDGE &&
		       VGIC_LATCH == CKPT_IRQ_LATCH &&
		       VGIC_LINE == CKPT_IRQ_LINE &&
		       VGIC_ACTIVE == CKPT_IRQ_ACTIVE && VGIC_HW == CKPT_IRQ_HW,
	       "checkpoint interrupt flags are the vGIC's");
_Static_assert(VGIC_NR_PRIVATE == CKPT_NR_PRIVATE &&
		       VGIC_NR_SPIS == CKPT_NR_SPIS &&
		       KAIROS_MAX_VCPUS <= CKPT_MAX_VCPUS &&
		       VM_NAME_MAX <= CKPT_NAME_MAX,
	       "checkpoint sizes cover the vGIC's and the VM's");
// NOLINTEND(misc-redundant-expression)
_Static_assert(sizeof(struct vcpu_sysregs) == sizeof(struct ckpt_sysregs),
	       "the checkpoint's system registers are the vCPU's");
_Static_assert(VUART_LINE == CKPT_UART_LINE_MAX &&
		       sizeof(((struct vuart *)0)->rx) == CKPT_UART_RX_CAP + 1,
	       "the image's UART limits are the virtual UART's");
_Static_assert(PAGE == CKPT_PAGE_SIZE, "one page size");
_Static_assert(VM_MAX_DEVICES <= CKPT_PT_DEVICES && VM_MAX_IRQS <= CKPT_PT_IRQS,
	       "an image lists every passthrough device and interrupt");

/*
 * A checkpoint whose memory was copied while the VM was held and whose
 * CRC is folded after its release (ckpt_seal_step()): the writer is left
 * with the memory section open and its data reserved, not yet committed.
 */
struct seal {
	struct ckpt_writer w;
	uint64_t left;      /**< data bytes still to fold */
	uint64_t crc_ticks; /**< spent folding so far */
};

struct slot {
	uint8_t *base;
	uint32_t gen;  /**< bumped whenever it is written */
	bool used;     /**< its header parsed */
	bool verified; /**< all CRCs checked since it was written */
	bool sealing;  /**< its CRC is being computed: not usable yet */
	uint64_t size; /**< image bytes */
	uint64_t vcount;
	uint64_t hold_ticks; /**< its VM was held for its capture */
	uint64_t crc_ticks;  /**< its CRC took after the VM's release */
	char vm[CKPT_NAME_MAX];
	struct seal seal;
};

static struct {
	unsigned int nr;
	uint64_t slot_size;
	uint64_t boot_id;
	struct slot s[CKPT_MAX_SLOTS];
} store;

/* Computes the CRCs of checkpoints after their VM's release. */
static struct task seal_task;
static void seal_run(struct task *t);

/* Pages of the VM being checkpointed that hold something. */
static uint64_t scan_bitmap[CKPT_MAX_MEM / PAGE / 64] NOINIT;

static bool fail(char *why, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static bool fail(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return false;
}

/* ---- Slots ---- */

/* Learn what slot @k holds from its header and VM section. */
static void slot_refresh(struct slot *s, bool verified)
{
	struct ckpt_image img;
	char why[8];

	s->used = false;
	s->verified = false;
	if (!ckpt_parse(s->base, store.slot_size,
			verified ? CKPT_PARSE_TRUST_MEM : 0, &img, why,
			sizeof(why)))
		return;
	const struct ckpt_vm *vm =
		ckpt_payload(&img, ckpt_find(&img, CKPT_SEC_VM, 0));

	s->used = true;
	s->verified = true;
	s->size = img.size;
	s->vcount = vm->vcount;
	memcpy(s->vm, vm->name, sizeof(s->vm));
	s->vm[sizeof(s->vm) - 1] = '\0';
}

void ckpt_init(const struct sys_config *cfg)
{
	store.nr = cfg->ckpt_slots;
	store.boot_id = arch_timer_now();
	if (!store.nr)
		return;
	store.slot_size = ALIGN_DOWN(cfg->ckpt_store.size / store.nr, PAGE);
	for (unsigned int k = 0; k < store.nr; k++) {
		struct slot *s = &store.s[k];

		s->base = pa_to_ptr(pa_init(pa_addr(cfg->ckpt_store.base) +
					    k * store.slot_size));
		/* A slot the boot loader filled: checked in full once. */
		if (!memcmp(s->base, CKPT_MAGIC, 8))
			slot_refresh(s, false);
	}
	/* Where the commands that checkpoint run (ckpt.h). */
	task_register(&seal_task, "ckpt-seal", 0, seal_run);
	kprintf("kairos: checkpoint store: %u slots of %llu MiB at 0x%llx\n",
		store.nr, (unsigned long long)(store.slot_size >> 20),
		(unsigned long long)pa_addr(cfg->ckpt_store.base));
	for (unsigned int k = 0; k < store.nr; k++)
		if (store.s[k].used)
			kprintf("kairos: checkpoint slot %u: image of VM %s (%llu bytes)\n",
				k, store.s[k].vm,
				(unsigned long long)store.s[k].size);
}

unsigned int ckpt_nr_slots(void)
{
	return store.nr;
}

bool ckpt_slot_info(unsigned int slot, struct ckpt_slot_info *out)
{
	const struct slot *s;

	memset(out, 0, sizeof(*out));
	if (slot >= store.nr)
		return false;
	s = &store.s[slot];
	out->capacity = store.slot_size;
	out->used = s->used;
	out->verified = s->verified;
	out->sealing = s->sealing;
	if (s->used || s->sealing) {
		memcpy(out->vm, s->vm, sizeof(out->vm));
		out->size = s->size;
		out->vcount = s->vcount;
		out->hold_ticks = s->hold_ticks;
		out->crc_ticks = s->crc_ticks;
	}
	return true;
}

void ckpt_stats(const struct vm *vm, struct ckpt_stats *out)
{
	out->checkpoints = vm->ckpt.checkpoints;
	out->restores = vm->ckpt.restores;
	out->incremental = vm->ckpt.incremental;
	out->pages_copied = vm->ckpt.pages_copied;
	out->last_ticks = vm->ckpt.last_ticks;
}

/* ---- The configuration's fingerprint ---- */

static uint64_t fnv(uint64_t h, const void *p, size_t len)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < len; i++)
		h = (h ^ b[i]) * 0x100000001b3UL;
	return h;
}

static uint64_t fnv_u64(uint64_t h, uint64_t v)
{
	return fnv(h, &v, sizeof(v));
}

/*
 * What a guest's state depends on: its memory map, vCPUs, devices and
 * interrupts. Not its name, images, placement or priority.
 */
static uint64_t fingerprint(const struct vm_config *c)
{
	uint64_t h = 0xcbf29ce484222325UL;

	h = fnv_u64(h, c->profile);
	h = fnv_u64(h, ipa_addr(c->mem_ipa));
	h = fnv_u64(h, c->mem_size);
	h = fnv_u64(h, c->nr_vcpus);
	h = fnv_u64(h, c->nr_devices);
	for (unsigned int k = 0; k < c->nr_devices; k++) {
		h = fnv_u64(h, pa_addr(c->devices[k].reg.base));
		h = fnv_u64(h, c->devices[k].reg.size);
	}
	h = fnv_u64(h, c->nr_irqs);
	for (unsigned int k = 0; k < c->nr_irqs; k++)
		h = fnv_u64(h, c->irqs[k]);
	return h;
}

/* What @c gives the VM of the board, as an image lists it. */
static void passthrough_out(struct ckpt_passthrough *o,
			    const struct vm_config *c)
{
	memset(o, 0, sizeof(*o));
	o->nr_devices = c->nr_devices;
	for (unsigned int k = 0; k < c->nr_devices; k++) {
		const struct vm_device *d = &c->devices[k];
		size_t n = strnlen(d->dt.compat, d->dt.compat_len);

		if (n >= CKPT_PT_COMPAT)
			n = CKPT_PT_COMPAT - 1;
		o->dev[k].base = pa_addr(d->reg.base);
		o->dev[k].size = d->reg.size;
		memcpy(o->dev[k].compat, d->dt.compat, n);
	}
	o->nr_irqs = c->nr_irqs;
	memcpy(o->irq, c->irqs, c->nr_irqs * sizeof(o->irq[0]));
}

/* ---- Capture ---- */

static void irq_out(struct ckpt_irq *o, const struct vgic_irq *i)
{
	memset(o, 0, sizeof(*o));
	o->flags = i->flags & CKPT_IRQ_KNOWN;
	o->priority = i->priority;
	o->targets = i->targets;
	o->sgi_sources = i->sgi_sources;
	o->active_source = i->active_source;
	o->hw_intid = i->hw_intid;
	o->route = i->route;
}

static void vcpu_out(struct ckpt_vcpu *o, const struct vcpu *v)
{
	const struct vcpu_state *st = &v->st;

	memset(o, 0, sizeof(*o));
	memcpy(o->x, st->regs.x, sizeof(o->x));
	o->sp_el0 = st->regs.sp_el0;
	o->pc = st->regs.pc;
	o->pstate = st->regs.pstate;
	memcpy(&o->sys, &st->sys, sizeof(o->sys));
	memcpy(o->fp_v, st->fp.v, sizeof(o->fp_v));
	o->fpsr = st->fp.fpsr;
	o->fpcr = st->fp.fpcr;
	o->vtimer_ctl = st->vtimer.ctl;
	o->vtimer_cval = st->vtimer.cval;
	o->ptimer_ctl = st->ptimer.ctl;
	o->ptimer_cval = st->ptimer.cval;
	o->power = st->power;
	o->waker = st->vgic.waker;
	o->vmcr = st->vgic.vmcr;
	memcpy(o->apr, st->vgic.apr, sizeof(o->apr));
	memcpy(o->apr0, st->vgic.apr0, sizeof(o->apr0));
	for (unsigned int k = 0; k < CKPT_NR_PRIVATE; k++)
		irq_out(&o->priv[k], &st->vgic.priv[k]);
}

static void uart_out(struct ckpt_vuart *o, const struct vuart *u)
{
	memset(o, 0, sizeof(*o));
	o->cr = u->cr;
	o->lcr_h = u->lcr_h;
	o->ibrd = u->ibrd;
	o->fbrd = u->fbrd;
	o->imsc = u->imsc;
	o->ris = u->ris;
	o->ifls = u->ifls;
	/* At most the ring's capacity, whatever head and tail say. */
	for (unsigned int k = u->rx_tail % sizeof(u->rx);
	     k != u->rx_head && o->rx_len < CKPT_UART_RX_CAP;
	     k = (k + 1) % sizeof(u->rx))
		o->rx[o->rx_len++] = u->rx[k];
	o->line_len = u->len < CKPT_UART_LINE_MAX ? u->len : CKPT_UART_LINE_MAX;
	memcpy(o->line, u->line, o->line_len);
}

/* Stops at the first 32 bytes holding something: a data page costs one. */
static bool page_is_zero(const uint8_t *p)
{
	const uint64_t *w = (const uint64_t *)(const void *)p;

	for (unsigned int k = 0; k < PAGE / 8; k += 4)
		if (w[k] | w[k + 1] | w[k + 2] | w[k + 3])
			return false;
	return true;
}

/* Fill scan_bitmap for @vm; the number of pages that hold something. */
static uint64_t scan_memory(const struct vm *vm)
{
	const uint8_t *ram = pa_to_ptr(vm->cfg->mem_host);
	uint64_t pages = vm->cfg->mem_size / PAGE, n = 0;

	memset(scan_bitmap, 0, ckpt_bitmap_bytes(pages));
	for (uint64_t p = 0; p < pages; p++)
		if (!page_is_zero(ram + p * PAGE)) {
			scan_bitmap[p / 64] |= 1UL << (p % 64);
			n++;
		}
	return n;
}

/* Page @p holds something (scan_memory()). */
static bool scanned(uint64_t p)
{
	return (scan_bitmap[p / 64] >> (p % 64)) & 1U;
}

_Static_assert(sizeof(struct vcpu_pmu) + sizeof(struct vcpu_debug) ==
			       sizeof(struct ckpt_pmu_debug) &&
		       VCPU_PMU_COUNTERS == CKPT_PMU_COUNTERS &&
		       VCPU_DBG_POINTS == CKPT_DBG_POINTS,
	       "struct ckpt_pmu_debug is struct vcpu_pmu, then vcpu_debug");

static void pmu_debug_out(struct ckpt_pmu_debug *o, const struct vcpu *v)
{
	memcpy(o, &v->st.pmu, sizeof(v->st.pmu));
	memcpy((uint8_t *)o + sizeof(v->st.pmu), &v->st.dbg, sizeof(v->st.dbg));
}

/* ---- Shared-memory regions (docs/shmem.md) ---- */

/* @vm's checkpoint captures region @m. */
static bool shmem_owns(const struct vm *vm, const struct vm_shmem *m)
{
	return m->owner == (int)vm->id;
}

/*
 * Why @vm's checkpoint cannot hold a region it takes part in (another
 * VM's checkpoint does, or none is named), into @buf; NULL if it can.
 */
static const char *shmem_not_owner(const struct vm *vm, char *buf, size_t len)
{
	for (unsigned int k = 0; k < vm->cfg->nr_shmem; k++) {
		const struct vm_shmem *m = &vm->cfg->shmem[k];

		if (shmem_owns(vm, m))
			continue;
		if (m->owner < 0)
			snprintf(buf, len,
				 "it takes part in shared-memory region %u, which has several writers and no checkpoint-with naming the VM whose checkpoint holds it",
				 m->region);
		else
			snprintf(buf, len,
				 "it takes part in shared-memory region %u, which only a checkpoint of VM %s holds",
				 m->region, vms[m->owner].cfg->name);
		return buf;
	}
	return NULL;
}

/* The other VMs that write regions @vm's checkpoint holds, as a mask. */
static uint32_t shmem_writers(const struct vm *vm)
{
	uint32_t mask = 0;

	for (unsigned int k = 0; k < vm->cfg->nr_shmem; k++) {
		const struct vm_shmem *m = &vm->cfg->shmem[k];

		for (unsigned int q = 0; q < SHMEM_MAX_PEERS; q++)
			if (m->peer_vm[q] >= 0 && !m->peer_ro[q] &&
			    m->peer_vm[q] != (int)vm->id)
				mask |= 1U << m->peer_vm[q];
	}
	return mask;
}

/*
 * Hold (or release) the VMs of @mask, so that a region is copied whole:
 * its other writers wait while its owner's checkpoint or restore copies
 * it.
 */
static void shmem_hold(uint32_t mask, bool hold)
{
	for (unsigned int i = 0; i < vm_count; i++) {
		if (!(mask & 1U << i))
			continue;
		if (hold)
			sched_hold_vm(&vms[i]);
		else
			sched_release_vm(&vms[i]);
	}
}

/* Bytes of a section with @payload bytes. */
static uint64_t sec_bytes(uint64_t payload)
{
	return sizeof(struct ckpt_section) + ALIGN_UP(payload, 8);
}

/* Bytes of the sections of the regions @vm's checkpoint holds. */
static uint64_t shmem_bytes(const struct vm *vm)
{
	uint64_t n = 0;

	for (unsigned int k = 0; k < vm->cfg->nr_shmem; k++)
		n += sec_bytes(sizeof(struct ckpt_shmem) +
			       vm->cfg->shmem[k].size);
	return n;
}

/*
 * The regions @vm's checkpoint holds (all of its own), with its state of
 * each, into @w.
 */
static void shmem_out(struct vm *vm, struct ckpt_writer *w)
{
	for (unsigned int k = 0; k < vm->cfg->nr_shmem; k++) {
		const struct vm_shmem *m = &vm->cfg->shmem[k];
		struct shmem_fn_state st;
		struct ckpt_shmem h;

		shmem_fn_get(vm, k, &st);
		h = (struct ckpt_shmem){
			.region = m->region,
			.pci_command = st.pci_command,
			.flags = st.unacked ? CKPT_SHMEM_UNACKED : 0,
			.size = m->size,
		};

		ckpt_w_begin(w, CKPT_SEC_SHMEM, m->region);
		ckpt_w_append(w, &h, sizeof(h));
		ckpt_w_append(w, pa_to_ptr(m->host), m->size);
		ckpt_w_end(w);
	}
}

static uint64_t image_bytes(const struct vm *vm, uint64_t data_pages)
{
	uint64_t pages = vm->cfg->mem_size / PAGE;

	return sizeof(struct ckpt_header) + sec_bytes(sizeof(struct ckpt_vm)) +
	       vm->nr_vcpus * (sec_bytes(sizeof(struct ckpt_vcpu)) +
			       sec_bytes(sizeof(struct ckpt_pmu_debug))) +
	       sec_bytes(sizeof(struct ckpt_vgic)) +
	       sec_bytes(sizeof(struct ckpt_vuart)) +
	       sec_bytes(sizeof(struct ckpt_passthrough)) + shmem_bytes(vm) +
	       sec_bytes(sizeof(struct ckpt_mem) + ckpt_bitmap_bytes(pages) +
			 data_pages * PAGE) +
	       sizeof(struct ckpt_trailer);
}

/* The guest CPU interface this board gives: the GIC's, or emulated. */
static enum ckpt_vgic_backend ckpt_vgic_backend_here(void)
{
	return arch_vgic_cpuif_emulated() ? CKPT_VGIC_BACKEND_SW :
					    CKPT_VGIC_BACKEND_GIC;
}

static const char *ckpt_vgic_backend_name(uint32_t backend)
{
	return backend == CKPT_VGIC_BACKEND_SW ?
		       "emulated in software (no GIC)" :
		       "the GIC's virtual CPU interface";
}

/*
 * The held @vm into @s's writer: every section, the memory section last
 * and left open, its data pages copied but not yet folded into its CRC
 * (seal_step()). False if the image did not fit.
 */
static bool capture(struct vm *vm, struct slot *s, uint64_t data_pages)
{
	struct ckpt_writer *w = &s->seal.w;
	static struct ckpt_vcpu cv;
	static struct ckpt_pmu_debug cpd;
	static struct ckpt_vgic cg;
	static struct ckpt_vuart cu;
	static struct ckpt_passthrough cp;
	const struct vm_config *cfg = vm->cfg;
	const uint8_t *ram = pa_to_ptr(cfg->mem_host);
	uint64_t now = arch_timer_now(), pages = cfg->mem_size / PAGE;
	uint8_t *dst;
	struct ckpt_vm h = {
		.config_fp = fingerprint(cfg),
		.cntfrq = time_freq(),
		.vcount = now - vm->cntvoff,
		.pcount = now,
		.boot_id = store.boot_id,
		.mem_ipa = ipa_addr(cfg->mem_ipa),
		.mem_size = cfg->mem_size,
		.nr_vcpus = vm->nr_vcpus,
		.gic_version = vm->vgic.version,
		.profile = (uint32_t)cfg->profile,
		.paused = __atomic_load_n(&vm->state, __ATOMIC_ACQUIRE) ==
			  VM_PAUSED,
	};
	struct ckpt_mem m = {
		.ipa = ipa_addr(cfg->mem_ipa),
		.size = cfg->mem_size,
		.page_size = PAGE,
		.nr_pages = pages,
		.nr_data_pages = data_pages,
	};

	memcpy(h.name, cfg->name, sizeof(cfg->name));
	memcpy(s->vm, h.name, sizeof(s->vm));
	s->vm[sizeof(s->vm) - 1] = '\0';
	s->vcount = h.vcount;
	ckpt_w_begin(w, CKPT_SEC_VM, 0);
	ckpt_w_append(w, &h, sizeof(h));
	ckpt_w_end(w);
	for (unsigned int k = 0; k < vm->nr_vcpus; k++) {
		vcpu_out(&cv, &vm->vcpus[k]);
		ckpt_w_begin(w, CKPT_SEC_VCPU, k);
		ckpt_w_append(w, &cv, sizeof(cv));
		ckpt_w_end(w);
		pmu_debug_out(&cpd, &vm->vcpus[k]);
		ckpt_w_begin(w, CKPT_SEC_PMU_DEBUG, k);
		ckpt_w_append(w, &cpd, sizeof(cpd));
		ckpt_w_end(w);
	}
	memset(&cg, 0, sizeof(cg));
	cg.ctlr = vm->vgic.ctlr;
	cg.version = vm->vgic.version;
	cg.nr_spis = CKPT_NR_SPIS;
	cg.backend = ckpt_vgic_backend_here();
	for (unsigned int k = 0; k < CKPT_NR_SPIS; k++)
		irq_out(&cg.spi[k], &vm->vgic.spi[k]);
	ckpt_w_begin(w, CKPT_SEC_VGIC, 0);
	ckpt_w_append(w, &cg, sizeof(cg));
	ckpt_w_end(w);
	uart_out(&cu, &vm->uart);
	ckpt_w_begin(w, CKPT_SEC_VUART, 0);
	ckpt_w_append(w, &cu, sizeof(cu));
	ckpt_w_end(w);
	passthrough_out(&cp, cfg);
	ckpt_w_begin(w, CKPT_SEC_PASSTHROUGH, 0);
	ckpt_w_append(w, &cp, sizeof(cp));
	ckpt_w_end(w);
	shmem_out(vm, w);
	ckpt_w_begin(w, CKPT_SEC_MEM, 0);
	ckpt_w_append(w, &m, sizeof(m));
	ckpt_w_append(w, scan_bitmap, ckpt_bitmap_bytes(pages));
	/*
	 * Runs of data pages, each in one pass: a plain copy whose CRC waits
	 * for the VM's release (the slot's copy cannot change), or the copy
	 * with the CRC fused in (checkpoint-crc = "fused").
	 */
	dst = ckpt_w_reserve(w, data_pages * PAGE);
	if (!dst)
		return false;
	for (uint64_t p = 0, q; p < pages; p = q) {
		bool data = scanned(p);

		for (q = p + 1; q < pages && scanned(q) == data; q++)
			;
		if (!data)
			continue;
		if (vm->cfg->ckpt_crc_fused) {
			ckpt_w_append(w, ram + p * PAGE, (q - p) * PAGE);
		} else {
			arch_mem_copy(dst, ram + p * PAGE, (q - p) * PAGE);
			dst += (q - p) * PAGE;
		}
	}
	return !w->overflow;
}

/* Start or restart tracking @vm's RAM writes against slot @slot. */
static void track_from(struct vm *vm, int slot)
{
	const struct vm_config *cfg = vm->cfg;

	if (arch_s2_track(vm->s2_root, &vm->ckpt.written,
			  ipa_addr(cfg->mem_ipa), cfg->mem_size)) {
		vm->ckpt.tracking = true;
		vm->ckpt.base_slot = slot;
		vm->ckpt.base_gen = store.s[slot].gen;
	} else {
		if (vm->ckpt.tracking || vm->ckpt.base_slot != -2)
			kprintf("kairos: VM %s: out of stage-2 pages to track its writes; restores copy all its memory\n",
				cfg->name);
		vm->ckpt.base_slot = -2; /* said once */
	}
	arch_s2_flush(vm->id + 1, vm->s2_root);
}

/*
 * Anything that makes a checkpoint of @vm meaningless, or NULL (@buf
 * holds a message made for it).
 */
static const char *uncheckpointable(const struct vm *vm, char *buf, size_t len)
{
	if (shmem_not_owner(vm, buf, len))
		return buf;
	if (vm->cfg->nr_devices || vm->cfg->nr_irqs)
		return "it has passthrough devices, whose state Kairos cannot capture";
	if (vm->cfg->mem_size > CKPT_MAX_MEM)
		return "its memory is larger than 2 GiB";
	if (__atomic_load_n(&vm->resetting, __ATOMIC_ACQUIRE) ||
	    vm_ram_clearing(vm))
		return "it is being reset";
	if (__atomic_load_n(&vm->state, __ATOMIC_ACQUIRE) == VM_STOPPED)
		return "it is stopped";
	return NULL;
}

/* Tell the VM's observers what was done with @slot. */
static void notify_slot(struct vm *vm, enum vm_event ev, unsigned int slot)
{
	char detail[16];

	snprintf(detail, sizeof(detail), "slot %u", slot);
	vm_notify(vm, ev, detail);
}

/* ---- Sealing: the CRC of a capture, after the VM's release ---- */

/*
 * Data bytes folded per run of the seal task: some 60 000 instructions
 * (LDP and CRC32CX, 15 per 64 bytes), after which the vCPUs of its pCPU
 * get as long.
 */
#define SEAL_STEP (256UL << 10)

/* The image in slot @k is complete: close it and learn it. */
static void seal_finish(unsigned int k)
{
	struct slot *s = &store.s[k];
	bool ok;

	ckpt_w_end(&s->seal.w);
	ok = ckpt_w_finish(&s->seal.w) != 0;
	s->sealing = false;
	if (ok)
		slot_refresh(s, true);
	if (!s->used)
		kprintf("kairos: checkpoint slot %u: the image written does not parse; the slot is left empty\n",
			k);
}

/* Fold up to @bytes more of slot @k's data into its CRC. */
static void seal_step(unsigned int k, uint64_t bytes)
{
	struct seal *z = &store.s[k].seal;
	uint64_t t0 = arch_timer_now(), n = z->left < bytes ? z->left : bytes;

	ckpt_w_commit(&z->w, n);
	z->left -= n;
	if (!z->left)
		seal_finish(k);
	z->crc_ticks += arch_timer_now() - t0;
	store.s[k].crc_ticks = z->crc_ticks;
}

/* Slot @k's CRC finished now, if it is being computed (a wait). */
static void seal_now(unsigned int k)
{
	while (store.s[k].sealing)
		seal_step(k, UINT64_MAX);
}

bool ckpt_seal_step(uint64_t bytes)
{
	bool more = false;

	for (unsigned int k = 0; k < store.nr; k++)
		if (store.s[k].sealing) {
			if (!more)
				seal_step(k, bytes);
			more |= store.s[k].sealing;
		}
	return more;
}

void ckpt_seal_all(void)
{
	for (unsigned int k = 0; k < store.nr; k++)
		seal_now(k);
}

/*
 * The seal task: a step, then as long for the vCPUs of its pCPU before
 * the next one (a timerq deadline: waking itself at once would leave
 * them no time).
 */
static void seal_run(struct task *t)
{
	uint64_t t0 = arch_timer_now();

	if (ckpt_seal_step(SEAL_STEP))
		task_wake_at(t, 2 * arch_timer_now() - t0);
}

bool ckpt_checkpoint(struct vm *vm, unsigned int slot, char *why,
		     size_t why_len)
{
	uint64_t start = arch_timer_now(), need, data_pages;
	char buf[200];
	const char *no = uncheckpointable(vm, buf, sizeof(buf));
	uint32_t writers = shmem_writers(vm);
	struct slot *s;

	if (no)
		return fail(why, why_len, "%s", no);
	if (slot >= store.nr)
		return fail(why, why_len, "no slot %u (%u slots)", slot,
			    store.nr);
	s = &store.s[slot];
	sched_hold_vm(vm);
	/* The guest may have stopped or reset itself meanwhile. */
	no = uncheckpointable(vm, buf, sizeof(buf));
	if (no) {
		sched_release_vm(vm);
		return fail(why, why_len, "%s", no);
	}
	shmem_hold(writers, true);
	/* Fresh chunks are zero: they are read as such. */
	vm_ram_touch_all(vm);
	data_pages = scan_memory(vm);
	need = image_bytes(vm, data_pages);
	if (need > store.slot_size) {
		shmem_hold(writers, false);
		sched_release_vm(vm);
		return fail(why, why_len,
			    "the image needs %llu bytes, a slot holds %llu",
			    (unsigned long long)need,
			    (unsigned long long)store.slot_size);
	}
	/* A seal of this slot still going on is for an image overwritten. */
	s->gen++;
	/* Before any byte of it changes (vm_image_intact() reads it after). */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	s->used = s->verified = s->sealing = false;
	/* No reader takes the slot for an image until it is sealed. */
	memset(s->base, 0, sizeof(struct ckpt_header));
	ckpt_w_init(&s->seal.w, s->base, store.slot_size);
	if (!capture(vm, s, data_pages)) {
		shmem_hold(writers, false);
		sched_release_vm(vm);
		return fail(why, why_len, "the image did not fit its slot");
	}
	track_from(vm, (int)slot);
	vm->ckpt.checkpoints++;
	vm->ckpt.last_ticks = arch_timer_now() - start;
	shmem_hold(writers, false);
	sched_release_vm(vm);
	s->seal.crc_ticks = 0;
	s->hold_ticks = vm->ckpt.last_ticks;
	s->crc_ticks = 0;
	s->size = need;
	s->sealing = true;
	if (vm->cfg->ckpt_crc_fused) {
		/* Folded in the copy: only the header is left. */
		s->seal.left = 0;
		seal_finish(slot);
		if (!s->used)
			return fail(why, why_len,
				    "the image written does not parse");
	} else {
		/* The VM runs on; the seal task folds the copy into the CRC. */
		s->seal.left = data_pages * PAGE;
		task_wake(&seal_task);
	}
	notify_slot(vm, VM_EVENT_CHECKPOINTED, slot);
	return true;
}

/* ---- Restore ---- */

/*
 * The first difference between the passthrough devices and interrupts
 * @img lists and those of @c, into @buf; false if the lists match or
 * @img has none (an image written before them).
 */
static bool passthrough_differ(const struct ckpt_image *img,
			       const struct vm_config *c, char *buf, size_t len)
{
	static struct ckpt_passthrough mine, theirs;
	const struct ckpt_sec_ref *r = ckpt_find(img, CKPT_SEC_PASSTHROUGH, 0);

	if (!r)
		return false;
	/* ckpt_parse() checked its length and counts. */
	memcpy(&theirs, ckpt_payload(img, r), sizeof(theirs));
	passthrough_out(&mine, c);
	return ckpt_pt_diff(&theirs, "the image", &mine, c->name, buf, len);
}

/* The region @img holds as region @region, or NULL. */
static const struct ckpt_shmem *shmem_sec(const struct ckpt_image *img,
					  unsigned int region)
{
	const struct ckpt_sec_ref *r = ckpt_find(img, CKPT_SEC_SHMEM, region);

	return r ? ckpt_payload(img, r) : NULL;
}

/*
 * @img holds exactly the regions @vm's checkpoint holds, each of the size
 * configured (ckpt_parse() checked each section's own size).
 */
static bool shmem_image_fits(const struct vm *vm, const struct ckpt_image *img,
			     char *why, size_t len)
{
	const struct vm_config *c = vm->cfg;
	unsigned int mine = 0;

	for (unsigned int k = 0; k < c->nr_shmem; k++) {
		const struct ckpt_shmem *h = shmem_sec(img, c->shmem[k].region);

		mine |= 1U << c->shmem[k].region;
		if (!h)
			return fail(
				why, len,
				"configuration mismatch: shared-memory region %u: the image does not hold it, %s takes part in it",
				c->shmem[k].region, c->name);
		if (h->size != c->shmem[k].size)
			return fail(
				why, len,
				"configuration mismatch: shared-memory region %u: the image has %llu KiB, %s has %llu KiB",
				c->shmem[k].region,
				(unsigned long long)(h->size >> 10), c->name,
				(unsigned long long)(c->shmem[k].size >> 10));
	}
	for (unsigned int r = 0; r < CKPT_MAX_SHMEM; r++)
		if (!(mine & 1U << r) && shmem_sec(img, r))
			return fail(
				why, len,
				"configuration mismatch: shared-memory region %u: the image holds it, %s does not take part in it",
				r, c->name);
	return true;
}

/* The regions of @img back into host RAM, seen by every participant. */
static void shmem_in(const struct vm *vm, const struct ckpt_image *img)
{
	for (unsigned int k = 0; k < vm->cfg->nr_shmem; k++) {
		const struct vm_shmem *m = &vm->cfg->shmem[k];
		const struct ckpt_shmem *h = shmem_sec(img, m->region);
		void *p = pa_to_ptr(m->host);

		arch_mem_copy(p, h + 1, m->size);
		/* To the PoC: a participant may map it non-cacheable. */
		arch_dcache_clean(p, m->size);
	}
}

/* @vm's own state of each region, after its vGIC (the INTx line follows). */
static void shmem_fn_in(struct vm *vm, const struct ckpt_image *img)
{
	for (unsigned int k = 0; k < vm->cfg->nr_shmem; k++) {
		const struct ckpt_shmem *h =
			shmem_sec(img, vm->cfg->shmem[k].region);
		const struct shmem_fn_state st = {
			.pci_command = h->pci_command,
			.unacked = h->flags & CKPT_SHMEM_UNACKED,
		};

		shmem_fn_set(vm, k, &st);
	}
}

/*
 * The image's vGIC back end against this board's: the list registers, the
 * active state of the virtual timer's physical interrupt and the CPU
 * interface's registers live in different places on each, so an image
 * moves only between boards of the same kind. Images written before the
 * field existed read as the GIC's (0).
 */
static bool check_vgic_backend(const struct ckpt_image *img, char *why,
			       size_t len)
{
	const struct ckpt_vgic *g =
		ckpt_payload(img, ckpt_find(img, CKPT_SEC_VGIC, 0));
	uint32_t backend = g->backend;

	if (backend == ckpt_vgic_backend_here())
		return true;
	return fail(
		why, len,
		"vGIC back end mismatch: the image's guest CPU interface was %s, this board's is %s",
		ckpt_vgic_backend_name(backend),
		ckpt_vgic_backend_name(ckpt_vgic_backend_here()));
}

/*
 * Whether a valid image (ckpt_parse() checked everything in it that
 * Kairos uses as a bound or an index) is of this VM, on this board.
 */
static bool check_image(const struct vm *vm, const struct ckpt_image *img,
			char *why, size_t len)
{
	const struct ckpt_vm *h =
		ckpt_payload(img, ckpt_find(img, CKPT_SEC_VM, 0));
	const struct vm_config *c = vm->cfg;
	char diff[160];

	/* What the image records is named; the rest only the fingerprint. */
	if (h->nr_vcpus != vm->nr_vcpus)
		return fail(
			why, len,
			"configuration mismatch: property vcpus: the image has %u, %s has %u",
			h->nr_vcpus, c->name, vm->nr_vcpus);
	if (h->mem_size != c->mem_size || h->mem_ipa != ipa_addr(c->mem_ipa))
		return fail(
			why, len,
			"configuration mismatch: property memory: the image has %llu MiB at 0x%llx, %s has %llu MiB at 0x%llx",
			(unsigned long long)(h->mem_size >> 20),
			(unsigned long long)h->mem_ipa, c->name,
			(unsigned long long)(c->mem_size >> 20),
			(unsigned long long)ipa_addr(c->mem_ipa));
	if (h->profile != c->profile)
		return fail(
			why, len,
			"configuration mismatch: property profile: the image has profile %u, %s has %u",
			h->profile, c->name, (unsigned int)c->profile);
	if (passthrough_differ(img, c, diff, sizeof(diff)))
		return fail(why, len,
			    "configuration mismatch: property passthrough: %s",
			    diff);
	/* An image without a passthrough section (written before it). */
	if (h->config_fp != fingerprint(c))
		return fail(
			why, len,
			"configuration mismatch: property devices or interrupts: the image's passthrough devices or interrupts differ from those of %s",
			c->name);
	if (h->cntfrq != time_freq())
		return fail(
			why, len,
			"counter frequency mismatch: the image was taken at %llu Hz, this board counts at %llu Hz",
			(unsigned long long)h->cntfrq,
			(unsigned long long)time_freq());
	if (h->gic_version != vm->vgic.version)
		return fail(
			why, len,
			"GIC version mismatch: the image has a GICv%u, %s has a GICv%u",
			h->gic_version, c->name, vm->vgic.version);
	if (!check_vgic_backend(img, why, len))
		return false;
	return shmem_image_fits(vm, img, why, len);
}

static void irq_in(struct vgic_irq *i, const struct ckpt_irq *o,
		   unsigned int nr_vcpus)
{
	uint8_t vcpus = (uint8_t)((1U << nr_vcpus) - 1);

	/* Mappings are this board's: set again by the caller. */
	*i = (struct vgic_irq){
		.flags = o->flags & (CKPT_IRQ_KNOWN & ~CKPT_IRQ_HW),
		.priority = o->priority,
		.targets = o->targets & vcpus,
		.sgi_sources = o->sgi_sources & vcpus,
		.active_source =
			o->active_source < nr_vcpus ? o->active_source : 0,
		.route = o->route,
	};
}

/* Registers, FP/SIMD and power state: not part of T13's permutations. */
static void vcpu_regs_in(struct vcpu *v, const struct ckpt_vcpu *o)
{
	struct vcpu_state *st = &v->st;

	memcpy(st->regs.x, o->x, sizeof(st->regs.x));
	st->regs.sp_el0 = o->sp_el0;
	st->regs.pc = o->pc;
	st->regs.pstate = o->pstate;
	memcpy(&st->sys, &o->sys, sizeof(st->sys));
	st->sys.vmpidr = (1UL << 31) | v->id; /* as this Kairos numbers it */
	memcpy(st->fp.v, o->fp_v, sizeof(st->fp.v));
	st->fp.fpsr = o->fpsr;
	st->fp.fpcr = o->fpcr;
	st->power = o->power == CKPT_POWER_OFF ? VCPU_POWER_OFF : VCPU_POWER_ON;
	/* A held vCPU lists nothing and holds no physical active state. */
	st->vgic.nr_lrs_used = 0;
	st->vgic.lr_latched = 0;
	st->vgic.hw_active = 0;
	v->gen++; /* whatever a pCPU still had of it is stale */
}

/* Its own, or (an image without it) a reset PMU and no breakpoints. */
static void pmu_debug_in(struct vcpu *v, const struct ckpt_image *img,
			 unsigned int k)
{
	memset(&v->st.pmu, 0, sizeof(v->st.pmu));
	memset(&v->st.dbg, 0, sizeof(v->st.dbg));
	/* ckpt_parse() allowed at most one, of the exact size. */
	for (unsigned int i = 0; i < img->nr; i++) {
		const uint8_t *p = ckpt_payload(img, &img->sec[i]);

		if (img->sec[i].type != CKPT_SEC_PMU_DEBUG ||
		    img->sec[i].index != k)
			continue;
		memcpy(&v->st.pmu, p, sizeof(v->st.pmu));
		memcpy(&v->st.dbg, p + sizeof(v->st.pmu), sizeof(v->st.dbg));
		v->st.dbg.oslk &= 1;
		v->st.pmu_dbg_live = 1; /* switched from its next load on */
	}
}

static const struct ckpt_vcpu *vcpu_sec(const struct ckpt_image *img,
					unsigned int k)
{
	return ckpt_payload(img, ckpt_find(img, CKPT_SEC_VCPU, k));
}

/* The board's INTID of the virtual timer (vm_boot mapped it). */
static uint32_t vtimer_hw_intid(const struct vm *vm)
{
	return vm->vcpus[0].st.vgic.priv[VTIMER_INTID].hw_intid;
}

/*
 * One part of the interrupt and timer state (T13). Each only copies: no
 * line is evaluated, nothing is injected or woken; derive_lines() runs
 * after all of them, so their order cannot matter.
 */
static void load_part(struct vm *vm, const struct ckpt_image *img,
		      unsigned int part, uint64_t cntvoff, uint32_t hw)
{
	const struct ckpt_vgic *g =
		ckpt_payload(img, ckpt_find(img, CKPT_SEC_VGIC, 0));

	if (part == CKPT_PART_CNTVOFF)
		vm->cntvoff = cntvoff;
	if (part == CKPT_PART_DIST) {
		vm->vgic.ctlr = g->ctlr;
		for (unsigned int k = 0; k < CKPT_NR_SPIS; k++)
			irq_in(&vm->vgic.spi[k], &g->spi[k], vm->nr_vcpus);
	}
	for (unsigned int k = 0; k < vm->nr_vcpus; k++) {
		struct vcpu_state *st = &vm->vcpus[k].st;
		const struct ckpt_vcpu *o = vcpu_sec(img, k);

		switch (part) {
		case CKPT_PART_CTL:
			st->vtimer.ctl = o->vtimer_ctl &
					 (TIMER_ENABLE | TIMER_IMASK);
			st->ptimer.ctl = o->ptimer_ctl &
					 (TIMER_ENABLE | TIMER_IMASK);
			break;
		case CKPT_PART_CVAL:
			st->vtimer.cval = o->vtimer_cval;
			st->ptimer.cval = o->ptimer_cval;
			break;
		case CKPT_PART_REDIST:
			st->vgic.waker = o->waker & 2U;
			for (unsigned int i = 0; i < CKPT_NR_PRIVATE; i++)
				irq_in(&st->vgic.priv[i], &o->priv[i],
				       vm->nr_vcpus);
			vgic_map_hw(&vm->vcpus[k], VTIMER_INTID, hw);
			break;
		case CKPT_PART_CPUIF:
			st->vgic.vmcr = o->vmcr;
			memcpy(st->vgic.apr, o->apr, sizeof(st->vgic.apr));
			memcpy(st->vgic.apr0, o->apr0, sizeof(st->vgic.apr0));
			break;
		default: break;
		}
	}
}

static void uart_in(struct vuart *u, const struct ckpt_vuart *o)
{
	vuart_reset(u);
	u->cr = o->cr;
	u->lcr_h = o->lcr_h;
	u->ibrd = o->ibrd;
	u->fbrd = o->fbrd;
	u->imsc = o->imsc;
	u->ris = o->ris;
	u->ifls = o->ifls;
	/* ckpt_parse() bounds both; the clamps keep the copies in bounds
	 * by construction. */
	for (unsigned int k = 0; k < o->rx_len && k < CKPT_UART_RX_CAP; k++)
		u->rx[u->rx_head++] = o->rx[k];
	u->len = o->line_len < CKPT_UART_LINE_MAX ? o->line_len :
						    CKPT_UART_LINE_MAX;
	memcpy(u->line, o->line, u->len);
}

/* A timer's line (Arm ARM D11.2.4) at virtual count @vct. */
static bool timer_line(uint64_t ctl, uint64_t cval, uint64_t vct)
{
	return (ctl & (TIMER_ENABLE | TIMER_IMASK)) == TIMER_ENABLE &&
	       vct >= cval;
}

/* Bits set (no libgcc: its version uses SIMD, which EL2 code must not). */
static uint64_t popcount(uint64_t x)
{
	x -= (x >> 1) & 0x5555555555555555UL;
	x = (x & 0x3333333333333333UL) + ((x >> 2) & 0x3333333333333333UL);
	x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fUL;
	return (x * 0x0101010101010101UL) >> 56;
}

struct mem_load {
	const struct ckpt_mem_view *m;
	const uint32_t *rank; /**< stored pages before each bitmap word */
	uint8_t *ram;
	uint64_t ipa;
	uint64_t copied;
};

static const uint8_t *stored_page(const struct mem_load *l, uint64_t p)
{
	uint64_t word, bits, n;

	if (!ckpt_page_stored(l->m, p))
		return NULL;
	word = ckpt_bitmap_word(l->m->bitmap, p / 64);
	bits = word & ((1UL << (p % 64)) - 1);
	n = l->rank[p / 64] + popcount(bits);
	return l->m->data + n * PAGE;
}

static void load_page(void *arg, uint64_t ipa)
{
	struct mem_load *l = arg;
	uint64_t p = (ipa - l->ipa) / PAGE;
	const uint8_t *src = stored_page(l, p);

	if (src)
		arch_mem_copy(l->ram + p * PAGE, src, PAGE);
	else
		arch_mem_zero(l->ram + p * PAGE, PAGE);
	l->copied++;
}

/* Rank of the image being restored (CKPT_MAX_MEM of RAM at most). */
static uint32_t rank_buf[CKPT_MAX_MEM / PAGE / 64] NOINIT;

/* Stored pages before each word of the bitmap of @m into @rank. */
static void build_rank(const struct ckpt_mem_view *m, uint32_t *rank)
{
	uint64_t n = 0, words = ckpt_bitmap_bytes(m->hdr.nr_pages) / 8;

	/* ckpt_parse() keeps RAM within CKPT_MAX_MEM; so does the bound. */
	if (words > ARRAY_SIZE(rank_buf))
		words = ARRAY_SIZE(rank_buf);
	for (uint64_t w = 0; w < words; w++) {
		rank[w] = (uint32_t)n;
		n += popcount(ckpt_bitmap_word(m->bitmap, w));
	}
}

/*
 * The image rank_buf holds the rank of: a slot's image changes only with
 * its generation, which an incremental restore already requires unchanged
 * since the checkpoint; repeated restores of one slot count it once.
 */
static struct {
	const void *bitmap;
	uint32_t gen;
	bool valid;
} rank_of;

static void rank_for(const struct ckpt_mem_view *m, const struct slot *s)
{
	if (rank_of.valid && rank_of.bitmap == m->bitmap &&
	    rank_of.gen == s->gen)
		return;
	build_rank(m, rank_buf);
	rank_of.bitmap = m->bitmap;
	rank_of.gen = s->gen;
	rank_of.valid = true;
}

/* Every page of RAM from the image: runs of stored pages and of zeros. */
static void load_all(struct mem_load *l)
{
	const struct ckpt_mem_view *m = l->m;
	const uint8_t *src = m->data;
	uint64_t p = 0;

	while (p < m->hdr.nr_pages) {
		bool stored = ckpt_page_stored(m, p);
		uint64_t q = p + 1;

		while (q < m->hdr.nr_pages && ckpt_page_stored(m, q) == stored)
			q++;
		if (stored) {
			arch_mem_copy(l->ram + p * PAGE, src, (q - p) * PAGE);
			src += (q - p) * PAGE;
		} else {
			arch_mem_zero(l->ram + p * PAGE, (q - p) * PAGE);
		}
		p = q;
	}
	l->copied = m->hdr.nr_pages;
}

/* The order of the parts (ckpt_set_restore_order: the T13 simulation). */
static unsigned int part_order[CKPT_NR_PARTS] = {
	CKPT_PART_CNTVOFF, CKPT_PART_CTL,    CKPT_PART_CVAL,
	CKPT_PART_DIST,    CKPT_PART_REDIST, CKPT_PART_CPUIF,
};

void ckpt_set_restore_order(const unsigned int order[CKPT_NR_PARTS])
{
	memcpy(part_order, order, sizeof(part_order));
}

/* Write the validated @img into the held @vm. */
static void load(struct vm *vm, const struct ckpt_image *img, int slot,
		 enum ckpt_policy policy)
{
	const struct vm_config *cfg = vm->cfg;
	const struct ckpt_vm *h =
		ckpt_payload(img, ckpt_find(img, CKPT_SEC_VM, 0));
	struct ckpt_mem_view m;
	struct mem_load l;
	/* The board's INTID of the timer, before the parts overwrite it. */
	uint32_t vtimer_hw = vtimer_hw_intid(vm);
	bool incremental = vm->ckpt.tracking && vm->ckpt.base_slot == slot &&
			   vm->ckpt.base_gen == store.s[slot].gen;
	bool caches_off = false;
	uint64_t now, cntvoff;

	ckpt_mem_view(img, &m);
	l = (struct mem_load){ &m, rank_buf, pa_to_ptr(cfg->mem_host),
			       ipa_addr(cfg->mem_ipa), 0 };
	if (incremental) {
		/* Tracking began with every chunk mapped; none is fresh. */
		rank_for(&m, &store.s[slot]);
		arch_s2_track_collect(vm->s2_root, &vm->ckpt.written, l.ipa,
				      cfg->mem_size, load_page, &l);
		arch_s2_flush(vm->id + 1, vm->s2_root);
		vm->ckpt.incremental++;
	} else {
		/* load_all() writes every byte: no need to zero them first. */
		vm_ram_claim_all(vm);
		load_all(&l);
		track_from(vm, slot);
	}
	vm->ckpt.pages_copied = l.copied;

	now = arch_timer_now();
	/* The clock: paused while stored, or caught up within one boot. */
	if (policy == CKPT_POLICY_CATCHUP && h->boot_id == store.boot_id &&
	    now >= h->pcount)
		cntvoff = h->pcount - h->vcount;
	else
		cntvoff = now - h->vcount;
	spin_lock(&vm->vgic.lock);
	for (unsigned int k = 0; k < vm->nr_vcpus; k++) {
		struct vcpu *v = &vm->vcpus[k];

		vcpu_regs_in(v, vcpu_sec(img, k));
		pmu_debug_in(v, img, k);
		caches_off |= (v->st.sys.sctlr & (SCTLR_M | SCTLR_C)) !=
			      (SCTLR_M | SCTLR_C);
	}
	for (unsigned int i = 0; i < CKPT_NR_PARTS; i++)
		load_part(vm, img, part_order[i], cntvoff, vtimer_hw);
	spin_unlock(&vm->vgic.lock);
	uart_in(&vm->uart,
		ckpt_payload(img, ckpt_find(img, CKPT_SEC_VUART, 0)));

	/* Lines last, from the restored timers and the new offset (T13). */
	spin_lock(&vm->vgic.lock);
	for (unsigned int k = 0; k < vm->nr_vcpus; k++) {
		struct vcpu *v = &vm->vcpus[k];
		struct vgic_irq *t = v->st.vgic.priv;
		uint64_t vct = now - vm->cntvoff;

		t[VTIMER_INTID].flags &= (uint16_t)~VGIC_LINE;
		t[PTIMER_INTID].flags &= (uint16_t)~VGIC_LINE;
		if (timer_line(v->st.vtimer.ctl, v->st.vtimer.cval, vct))
			t[VTIMER_INTID].flags |= VGIC_LINE;
		if (timer_line(v->st.ptimer.ctl, v->st.ptimer.cval, vct))
			t[PTIMER_INTID].flags |= VGIC_LINE;
		__atomic_store_n(&v->run,
				 v->st.power == VCPU_POWER_ON ? VCPU_RUN_READY :
								VCPU_RUN_OFF,
				 __ATOMIC_RELEASE);
	}
	/* The UART's line, from its restored registers and input. */
	vm->vgic.spi[VIRT_UART_INTID - VGIC_NR_PRIVATE].flags &=
		(uint16_t)~VGIC_LINE;
	if (vuart_line_level(&vm->uart))
		vm->vgic.spi[VIRT_UART_INTID - VGIC_NR_PRIVATE].flags |=
			VGIC_LINE;
	vgic_rescan_all(vm);
	spin_unlock(&vm->vgic.lock);

	/* A guest with its MMU or caches off reads RAM at the PoC. */
	if (caches_off)
		arch_dcache_clean(l.ram, cfg->mem_size);
	arch_icache_invalidate_all();
	__atomic_store_n(&vm->state, h->paused ? VM_PAUSED : VM_RUNNING,
			 __ATOMIC_RELEASE);
}

bool ckpt_restore(struct vm *vm, unsigned int slot, enum ckpt_policy policy,
		  char *why, size_t why_len)
{
	uint32_t writers = shmem_writers(vm);
	struct slot *s;
	struct ckpt_image img;
	uint64_t start;
	char msg[200];

	if (shmem_not_owner(vm, msg, sizeof(msg)))
		return fail(why, why_len, "%s: %s", vm->cfg->name, msg);
	if (slot >= store.nr)
		return fail(why, why_len, "no slot %u (%u slots)", slot,
			    store.nr);
	s = &store.s[slot];
	/* A checkpoint's CRC still being computed: wait for it. */
	seal_now(slot);
	start = arch_timer_now();
	if (!ckpt_parse(s->base, store.slot_size,
			s->verified ? CKPT_PARSE_TRUST_MEM : 0, &img, msg,
			sizeof(msg))) {
		s->used = s->verified = false;
		return fail(why, why_len, "slot %u: %s", slot, msg);
	}
	s->verified = true;
	if (!check_image(vm, &img, msg, sizeof(msg)))
		return fail(why, why_len, "slot %u: %s", slot, msg);
	/* After the comparison, which names what differs from the image. */
	if (vm->cfg->nr_devices || vm->cfg->nr_irqs)
		return fail(why, why_len, "%s has passthrough devices",
			    vm->cfg->name);
	sched_hold_vm(vm);
	if (__atomic_load_n(&vm->resetting, __ATOMIC_ACQUIRE)) {
		sched_release_vm(vm);
		return fail(why, why_len, "%s is being reset", vm->cfg->name);
	}
	vuart_flush(vm);
	shmem_hold(writers, true);
	shmem_in(vm, &img);
	shmem_hold(writers, false);
	load(vm, &img, (int)slot, policy);
	shmem_fn_in(vm, &img);
	vm->ckpt.restores++;
	vm->ckpt.last_ticks = arch_timer_now() - start;
	sched_release_vm(vm);
	notify_slot(vm, VM_EVENT_RESTORED, slot);
	return true;
}

void ckpt_resume_at_boot(void)
{
	for (unsigned int i = 0; i < vm_count; i++) {
		struct vm *vm = &vms[i];
		int slot = vm->cfg->resume_from;
		char why[240];

		if (slot < 0)
			continue;
		if (ckpt_restore(vm, (unsigned int)slot, CKPT_POLICY_PAUSE, why,
				 sizeof(why))) {
			kprintf("kairos: VM %s resumes from checkpoint slot %d\n",
				vm->cfg->name, slot);
		} else if (vm->cfg->resume_fallback_cold) {
			kprintf("kairos: VM %s cannot resume from checkpoint slot %d: %s; booting it cold (resume-fallback = \"cold\")\n",
				vm->cfg->name, slot, why);
		} else {
			/* A rig that asked for this state must not get another. */
			kprintf("kairos: VM %s cannot resume from checkpoint slot %d: %s; not starting it (resume-fallback = \"cold\" would boot it cold)\n",
				vm->cfg->name, slot, why);
			vm_fail(vm, "cannot resume from its checkpoint");
		}
	}
}

/* ---- Images in and out of the store (the control channel) ---- */

bool ckpt_slot_read(unsigned int slot, const uint8_t **image, uint64_t *size,
		    uint32_t *gen)
{
	struct slot *s;

	if (slot >= store.nr)
		return false;
	s = &store.s[slot];
	seal_now(slot);
	if (!s->used)
		return false;
	*image = s->base;
	*size = s->size;
	*gen = s->gen;
	return true;
}

uint32_t ckpt_slot_gen(unsigned int slot)
{
	return slot < store.nr ? store.s[slot].gen : 0;
}

const uint32_t *ckpt_slot_gen_at(unsigned int slot)
{
	return slot < store.nr ? &store.s[slot].gen : NULL;
}

uint8_t *ckpt_slot_open(unsigned int slot, uint64_t *capacity, uint32_t *gen)
{
	struct slot *s;

	if (slot >= store.nr)
		return NULL;
	s = &store.s[slot];
	/* A seal going on is for the image being replaced: the task skips it. */
	s->gen++;
	/* Before any byte of it changes (vm_image_intact() reads it after). */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	s->used = s->verified = s->sealing = false;
	s->hold_ticks = s->crc_ticks = 0;
	memset(s->base, 0, sizeof(struct ckpt_header));
	*capacity = store.slot_size;
	*gen = s->gen;
	return s->base;
}

bool ckpt_slot_commit(unsigned int slot, const void *hdr, uint64_t size,
		      char *why, size_t why_len)
{
	struct ckpt_image img;
	struct slot *s;

	if (slot >= store.nr)
		return fail(why, why_len, "no slot %u (%u slots)", slot,
			    store.nr);
	s = &store.s[slot];
	if (size < sizeof(struct ckpt_header) || size > store.slot_size)
		return fail(why, why_len, "%llu bytes cannot be an image here",
			    (unsigned long long)size);
	memcpy(s->base, hdr, sizeof(struct ckpt_header));
	if (!ckpt_parse(s->base, size, 0, &img, why, why_len))
		goto refuse;
	if (img.size != size) {
		fail(why, why_len, "the image says it is %llu bytes, %llu came",
		     (unsigned long long)img.size, (unsigned long long)size);
		goto refuse;
	}
	s->gen++;
	slot_refresh(s, true);
	return true;
refuse:
	memset(s->base, 0, sizeof(struct ckpt_header));
	s->used = s->verified = false;
	return false;
}
