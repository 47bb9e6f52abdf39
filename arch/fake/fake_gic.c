// SPDX-License-Identifier: MIT
/*
 * The fake GIC (physical irqchip, virtual CPU interface with list
 * registers) and the EL1 virtual timer whose output is its PPI
 * FAKE_VTIMER_PPI; see fake.h for what is simulated and how it
 * misbehaves on purpose.
 */
#include <arch/cpu.h>
#include <arch/timer.h>
#include <arch/vgic_hw.h>
#include <kairos/cpu.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* cmocka.h needs <setjmp.h>, <stdarg.h> and <stddef.h> first. */
#include <cmocka.h>

#include "fake_priv.h"

/* More acknowledges of one INTID than any test makes. */
#define FAKE_ACK_STORM 100000U

#define CTL_ENABLE (1UL << 0)
#define CTL_IMASK (1UL << 1)
#define CTL_ISTATUS (1UL << 2)

/* One pCPU's virtual CPU interface (ICH_*_EL2 / GICH). */
struct fake_vif {
	bool loaded;             /* between arch_vgic_load() and _put() */
	bool uie, lrenpie, npie; /* maintenance sources enabled by the fill */
	bool eoi_maint;          /* an EOI-maintenance LR was EOIed */
	unsigned int written;
	unsigned int eoi_count; /* 5 bits, as ICH_HCR_EL2.EOIcount */
	struct vgic_lr lr[VGIC_MAX_LRS];
	uint64_t vmcr, apr[4], apr0[4];
};

/* One pCPU's EL1 virtual timer. */
struct fake_vt {
	uint64_t cntvoff, cval, ctl; /* ctl: ENABLE and IMASK only */
	unsigned int loads;
	bool loaded; /* between arch_vtimer_load() and _save() */
	bool trap;   /* the guest's accesses trap (arch_vtimer_trap()) */
};

static struct {
	unsigned int version, nr_lrs, inits;
	struct fake_vif vif[KAIROS_MAX_CPUS];
	struct fake_vt vt[KAIROS_MAX_CPUS];
	bool vt_can_trap;
	bool npie_asked; /* the last write asked VGIC_MAINT_NO_PENDING */
	/* Physical state: SGIs and PPIs banked per CPU, SPIs in [0]. */
	bool active[KAIROS_MAX_CPUS][IRQ_NR_HANDLED];
	bool pending[KAIROS_MAX_CPUS][IRQ_NR_HANDLED];
	unsigned int acks[KAIROS_MAX_CPUS][IRQ_NR_HANDLED];
	unsigned int set_active_calls;
	unsigned int lr_writes, lr_reads;
	unsigned int refreshes;
	uint32_t last_set_intid;
	bool last_set_active;
	unsigned int sgis[KAIROS_MAX_CPUS][16];
	char vtlog[4096];
	bool cpuif_emulated; /* fake_vgic_set_cpuif_emulated() */
} g;

static unsigned int here(void)
{
	struct cpu *c = arch_cpu_current();

	if (!c || c->id >= KAIROS_MAX_CPUS) {
		fail_msg(
			"fake: GIC or vtimer hook without arch_cpu_set_current()");
		abort(); /* not reached: fail_msg() longjmps out */
	}
	return c->id;
}

void fake_gic_reset(void)
{
	memset(&g, 0, sizeof(g));
	g.version = 3;
	g.nr_lrs = FAKE_NR_LRS;
	/*
	 * Out of reset the list registers hold stale state (their content is
	 * UNKNOWN): whatever core forgets to write, the guest would see.
	 */
	for (unsigned int c = 0; c < KAIROS_MAX_CPUS; c++)
		for (unsigned int k = 0; k < VGIC_MAX_LRS; k++)
			g.vif[c].lr[k] = (struct vgic_lr){ .intid = 32 + k,
							   .priority = 0,
							   .pending = true,
							   .group1 = true };
}

void fake_vgic_set_cpuif_emulated(bool on)
{
	g.cpuif_emulated = on;
}

bool fake_vgic_cpuif_emulated(void)
{
	return g.cpuif_emulated;
}

/* ---- Physical interrupt controller ---- */

static bool *active_of(unsigned int cpu, uint32_t intid)
{
	if (cpu >= KAIROS_MAX_CPUS || intid >= IRQ_NR_HANDLED) {
		fail_msg("fake: INTID %u of CPU%u", intid, cpu);
		abort();
	}
	return &g.active[intid < 32 ? cpu : 0][intid];
}

static bool vt_line(unsigned int cpu);

bool fake_gic_signalled(void)
{
	unsigned int cpu = here();

	if (vt_line(cpu) && !g.active[cpu][FAKE_VTIMER_PPI])
		return true;
	if (fake_pmu_line_on(cpu) && !g.active[cpu][FAKE_PMU_PPI])
		return true;
	for (uint32_t id = 0; id < IRQ_NR_HANDLED; id++) {
		unsigned int bank = id < 32 ? cpu : 0;

		if (g.pending[bank][id] && !g.active[bank][id])
			return true;
	}
	return false;
}

static bool chip_cpu_init(void)
{
	return true;
}

/*
 * The highest-priority (here: lowest-numbered) pending interrupt of this
 * CPU that is not active: the virtual timer's level output first.
 */
static struct irq_ack chip_ack(void)
{
	unsigned int cpu = here();

	if (vt_line(cpu) && !g.active[cpu][FAKE_VTIMER_PPI]) {
		g.active[cpu][FAKE_VTIMER_PPI] = true;
		g.acks[cpu][FAKE_VTIMER_PPI]++;
		return (struct irq_ack){ FAKE_VTIMER_PPI, FAKE_VTIMER_PPI };
	}
	for (uint32_t id = 0; id < IRQ_NR_HANDLED; id++) {
		unsigned int bank = id < 32 ? cpu : 0;
		bool level = id == FAKE_PMU_PPI && fake_pmu_line_on(cpu);

		if ((g.pending[bank][id] || level) && !g.active[bank][id]) {
			g.pending[bank][id] = false;
			g.active[bank][id] = true;
			/* A level line deactivated while high: a storm. */
			if (++g.acks[bank][id] > FAKE_ACK_STORM)
				fail_msg("fake: INTID %u acknowledged %u times",
					 id, FAKE_ACK_STORM);
			return (struct irq_ack){ id, id };
		}
	}
	return (struct irq_ack){ IRQ_SPURIOUS, IRQ_SPURIOUS };
}

unsigned int fake_irq_acks(unsigned int cpu, uint32_t intid)
{
	(void)active_of(cpu, intid); /* checks the arguments */
	return g.acks[intid < 32 ? cpu : 0][intid];
}

static void chip_eoi(struct irq_ack a)
{
	if (a.intid >= IRQ_NR_HANDLED || !*active_of(here(), a.intid))
		fail_msg("fake: EOI of %u, which was never acknowledged",
			 a.intid);
}

static void chip_deactivate(struct irq_ack a)
{
	bool *act;

	if (a.intid >= IRQ_NR_HANDLED)
		fail_msg("fake: deactivation of INTID %u", a.intid);
	act = active_of(here(), a.intid);
	if (!*act)
		fail_msg("fake: deactivation of %u, which is not active",
			 a.intid);
	*act = false;
}

static void chip_enable(uint32_t intid, bool on)
{
	(void)intid;
	(void)on;
}

static void chip_route(uint32_t intid, unsigned int cpu)
{
	(void)intid;
	(void)cpu;
}

static void chip_send_sgi(unsigned int cpu, uint32_t sgi)
{
	if (cpu >= KAIROS_MAX_CPUS || sgi >= 16)
		fail_msg("fake: SGI %u to CPU%u", sgi, cpu);
	g.sgis[cpu][sgi]++;
}

static bool chip_is_active(uint32_t intid)
{
	return *active_of(here(), intid);
}

static void chip_set_active(uint32_t intid, bool active)
{
	*active_of(here(), intid) = active;
	g.set_active_calls++;
	g.last_set_intid = intid;
	g.last_set_active = active;
}

#define FAKE_CHIP_OPS                                                          \
	.list_regs = FAKE_NR_LRS, .cpu_init = chip_cpu_init, .ack = chip_ack,  \
	.eoi = chip_eoi, .deactivate = chip_deactivate, .enable = chip_enable, \
	.route = chip_route, .send_sgi = chip_send_sgi,                        \
	.is_active = chip_is_active, .set_active = chip_set_active

/* GICv2's: counted (fake_refreshes()). */
static void chip_refresh(void)
{
	g.refreshes++;
}

const struct irqchip fake_irqchip = { .name = "fake",
				      .version = 3,
				      FAKE_CHIP_OPS };
const struct irqchip fake_irqchip_v2 = { .name = "fake-v2",
					 .version = 2,
					 FAKE_CHIP_OPS,
					 .refresh = chip_refresh };

/* QEMU's GICv2 model: a mapped PPI's EOI is not signalled again. */
const struct irqchip fake_irqchip_v2_qemu = { .name = "fake-v2-qemu",
					      .version = 2,
					      FAKE_CHIP_OPS,
					      .refresh = chip_refresh,
					      .ppi_eoi_unsignalled = true };

unsigned int fake_refreshes(void)
{
	return g.refreshes;
}

unsigned int fake_sgis(unsigned int cpu, uint32_t sgi)
{
	return cpu < KAIROS_MAX_CPUS && sgi < 16 ? g.sgis[cpu][sgi] : 0;
}

void fake_irq_raise(unsigned int cpu, uint32_t intid)
{
	if (cpu >= KAIROS_MAX_CPUS || intid >= IRQ_NR_HANDLED)
		fail_msg("fake: raise INTID %u on CPU%u", intid, cpu);
	g.pending[intid < 32 ? cpu : 0][intid] = true;
}

bool fake_irq_active(unsigned int cpu, uint32_t intid)
{
	return *active_of(cpu, intid);
}

void fake_irq_set_active(unsigned int cpu, uint32_t intid, bool active)
{
	*active_of(cpu, intid) = active;
}

unsigned int fake_set_active_calls(void)
{
	return g.set_active_calls;
}

/* ---- Virtual CPU interface ---- */

static struct fake_vif *vif_here(const char *what, bool loaded)
{
	struct fake_vif *f = &g.vif[here()];

	if (f->loaded != loaded)
		fail_msg("fake: %s with the virtual CPU interface %s", what,
			 f->loaded ? "loaded" : "not loaded");
	return f;
}

void arch_vgic_hw_init(unsigned int version, paddr_t gich)
{
	(void)gich;
	if (version != 2 && version != 3)
		fail_msg("fake: arch_vgic_hw_init(%u)", version);
	g.version = version;
	g.inits++;
}

unsigned int arch_vgic_nr_lrs(void)
{
	return g.nr_lrs;
}

void arch_vgic_load(const struct vgic_cpu *c)
{
	struct fake_vif *f = vif_here("arch_vgic_load()", false);

	f->vmcr = c->vmcr;
	memcpy(f->apr, c->apr, sizeof(f->apr));
	memcpy(f->apr0, c->apr0, sizeof(f->apr0));
	f->loaded = true;
}

void arch_vgic_put(struct vgic_cpu *c)
{
	struct fake_vif *f = vif_here("arch_vgic_put()", true);

	c->vmcr = f->vmcr;
	memcpy(c->apr, f->apr, sizeof(f->apr));
	memcpy(c->apr0, f->apr0, sizeof(f->apr0));
	memset(f->lr, 0, sizeof(f->lr));
	f->loaded = f->uie = f->lrenpie = f->npie = f->eoi_maint = false;
	f->written = f->eoi_count = 0;
}

void arch_vgic_write_lrs(const struct vgic_lr *lrs, unsigned int n,
			 unsigned int maint)
{
	struct fake_vif *f = vif_here("arch_vgic_write_lrs()", true);

	g.lr_writes++;
	if (n > g.nr_lrs)
		fail_msg("fake: %u list registers written, the hardware has %u",
			 n, g.nr_lrs);
	for (unsigned int k = 0; k < g.nr_lrs; k++) {
		if (k < n && lrs[k].pending && lrs[k].active && lrs[k].hw)
			fail_msg("fake: LR%u: hardware INTID %u pending and active (T9)",
				 k, lrs[k].intid);
		f->lr[k] = k < n ? lrs[k] : (struct vgic_lr){ 0 };
	}
	for (unsigned int a = 0; a < n; a++)
		for (unsigned int b = a + 1; b < n; b++)
			if (lrs[a].intid == lrs[b].intid &&
			    (g.version == 3 || lrs[a].intid >= 16 ||
			     lrs[a].source == lrs[b].source))
				fail_msg("fake: INTID %u in LR%u and LR%u (T16)",
					 lrs[a].intid, a, b);
	f->written = n;
	f->uie = maint & VGIC_MAINT_UNDERFLOW;
	f->npie = maint & VGIC_MAINT_NO_PENDING;
	g.npie_asked = f->npie;
	f->lrenpie = true;
	f->eoi_maint = false;
	fake_phase(FAKE_AT_LRS_WRITE);
}

unsigned int fake_vgic_lr_writes(void)
{
	return g.lr_writes;
}

unsigned int fake_vgic_lr_reads(void)
{
	return g.lr_reads;
}

unsigned int arch_vgic_read_lrs(struct vgic_lr *lrs, unsigned int n)
{
	struct fake_vif *f = vif_here("arch_vgic_read_lrs()", true);
	unsigned int eoi;

	g.lr_reads++;
	fake_phase(FAKE_AT_LRS_READ);
	eoi = f->eoi_count;
	if (n > f->written)
		fail_msg("fake: %u list registers read back, %u were written",
			 n, f->written);
	for (unsigned int k = 0; k < n; k++) {
		lrs[k].pending = f->lr[k].pending;
		lrs[k].active = f->lr[k].active;
		/* Only GICv2 LRs carry a source (ICH_LR_EL2 has none). */
		lrs[k].source = g.version == 2 ? f->lr[k].source : 0;
		f->lr[k] = (struct vgic_lr){ 0 };
	}
	f->eoi_count = 0;
	f->uie = f->lrenpie = f->npie = f->eoi_maint = false;
	return eoi;
}

unsigned int fake_vgic_hw_version(void)
{
	return g.version;
}

void fake_vgic_set_nr_lrs(unsigned int n)
{
	if (n == 0 || n > VGIC_MAX_LRS)
		fail_msg("fake: %u list registers", n);
	g.nr_lrs = n;
}

bool fake_vgic_loaded(void)
{
	return g.vif[here()].loaded;
}

unsigned int fake_vgic_written(void)
{
	return g.vif[here()].written;
}

bool fake_vgic_underflow(void)
{
	return g.vif[here()].uie;
}

bool fake_vgic_no_pending_asked(void)
{
	return g.npie_asked;
}

struct vgic_lr *fake_vgic_lr(unsigned int k)
{
	if (k >= VGIC_MAX_LRS)
		fail_msg("fake: LR%u", k);
	return &g.vif[here()].lr[k];
}

int fake_vgic_find(uint32_t intid)
{
	struct fake_vif *f = &g.vif[here()];

	for (unsigned int k = 0; k < g.nr_lrs; k++)
		if (f->lr[k].intid == intid &&
		    (f->lr[k].pending || f->lr[k].active))
			return (int)k;
	return -1;
}

uint32_t fake_vgic_guest_ack(void)
{
	struct fake_vif *f = vif_here("the guest's IAR read", true);
	struct vgic_lr *best = NULL;

	for (unsigned int k = 0; k < g.nr_lrs; k++) {
		struct vgic_lr *l = &f->lr[k];

		if (l->pending && !l->active &&
		    (!best || l->priority < best->priority))
			best = l;
	}
	if (!best)
		return IRQ_SPURIOUS;
	best->pending = false;
	best->active = true;
	return best->intid;
}

void fake_vgic_guest_eoi(uint32_t intid)
{
	struct fake_vif *f = vif_here("the guest's EOIR write", true);

	for (unsigned int k = 0; k < g.nr_lrs; k++) {
		struct vgic_lr *l = &f->lr[k];

		if (l->intid != intid || !l->active)
			continue;
		l->active = false;
		/* A hardware LR deactivates the physical INTID (§4.4.6). */
		if (l->hw)
			*active_of(here(), l->hw_intid) = false;
		else if (l->eoi_maint)
			f->eoi_maint = true;
		return;
	}
	f->eoi_count = (f->eoi_count + 1) & 0x1f;
}

unsigned int fake_vgic_eoi_count(void)
{
	return g.vif[here()].eoi_count;
}

bool fake_vgic_maintenance(void)
{
	struct fake_vif *f = &g.vif[here()];
	unsigned int valid = 0, pending = 0;

	for (unsigned int k = 0; k < g.nr_lrs; k++) {
		valid += f->lr[k].pending || f->lr[k].active;
		pending += f->lr[k].pending;
	}
	return f->loaded &&
	       ((f->uie && valid <= 1) || f->eoi_maint ||
		(f->lrenpie && f->eoi_count) || (f->npie && !pending));
}

uint64_t fake_vgic_vmcr(void)
{
	return g.vif[here()].vmcr;
}

void fake_vgic_set_vmcr(uint64_t vmcr)
{
	g.vif[here()].vmcr = vmcr;
}

/* ---- EL1 virtual timer ---- */

/*
 * ISTATUS from the counter: the virtual count (CNTPCT - CNTVOFF) has
 * reached CVAL. With ENABLE clear, ISTATUS is UNKNOWN (Arm ARM D11.2.4):
 * the fake reads it as set.
 */
static uint64_t vt_ctl(unsigned int cpu)
{
	const struct fake_vt *t = &g.vt[cpu];

	if (!(t->ctl & CTL_ENABLE))
		return t->ctl | CTL_ISTATUS;
	if (fake_counter_peek() - t->cntvoff >= t->cval)
		return t->ctl | CTL_ISTATUS;
	return t->ctl;
}

static bool vt_line(unsigned int cpu)
{
	return (vt_ctl(cpu) & (CTL_ENABLE | CTL_IMASK | CTL_ISTATUS)) ==
	       (CTL_ENABLE | CTL_ISTATUS);
}

static void vtlog(const char *what, unsigned int cpu)
{
	size_t n = strlen(g.vtlog);

	snprintf(g.vtlog + n, sizeof(g.vtlog) - n, "%s%s %u", n ? " " : "",
		 what, cpu);
}

void arch_vtimer_load(uint64_t cntvoff, uint64_t cval, uint64_t ctl)
{
	unsigned int cpu = here();
	struct fake_vt *t = &g.vt[cpu];

	/* The hook writes CNTVOFF, CVAL, CTL in this order: so is the log. */
	t->cntvoff = cntvoff;
	vtlog("cntvoff", cpu);
	t->cval = cval;
	vtlog("cval", cpu);
	t->ctl = ctl & (CTL_ENABLE | CTL_IMASK); /* ISTATUS is read-only */
	vtlog("ctl", cpu);
	t->loads++;
	t->loaded = true;
}

void arch_vtimer_save(uint64_t *cval, uint64_t *ctl)
{
	unsigned int cpu = here();

	*cval = g.vt[cpu].cval;
	*ctl = vt_ctl(cpu);
	g.vt[cpu].ctl = 0;
	g.vt[cpu].loaded = false;
	vtlog("save", cpu);
}

void arch_vtimer_refresh(uint64_t cntvoff)
{
	unsigned int cpu = here();

	g.vt[cpu].cntvoff = cntvoff;
	vtlog("refresh", cpu);
}

void arch_vtimer_read(uint64_t *cval, uint64_t *ctl)
{
	unsigned int cpu = here();

	/* After a save the registers are nobody's: CTL 0, a stale CVAL. */
	if (!g.vt[cpu].loaded)
		fail_msg("fake: arch_vtimer_read() on CPU%u, where no timer is loaded",
			 cpu);
	*cval = g.vt[cpu].cval;
	*ctl = vt_ctl(cpu);
	vtlog("read", cpu);
}

void fake_vtimer_set(uint64_t ctl, uint64_t cval)
{
	struct fake_vt *t = &g.vt[here()];

	t->ctl = ctl & (CTL_ENABLE | CTL_IMASK);
	t->cval = cval;
}

uint64_t fake_vtimer_ctl(void)
{
	return vt_ctl(here());
}

uint64_t fake_vtimer_cval(void)
{
	return g.vt[here()].cval;
}

uint64_t fake_vtimer_cntvoff(void)
{
	return g.vt[here()].cntvoff;
}

bool fake_vtimer_line(void)
{
	return vt_line(here());
}

unsigned int fake_vtimer_loads(void)
{
	return g.vt[here()].loads;
}

const char *fake_vtimer_log(void)
{
	return g.vtlog;
}

void fake_vtimer_log_clear(void)
{
	g.vtlog[0] = '\0';
}

bool arch_vtimer_can_trap(void)
{
	return g.vt_can_trap;
}

void arch_vtimer_trap(bool on)
{
	if (on && !g.vt_can_trap)
		fail_msg("fake: arch_vtimer_trap(true) without FEAT_ECV");
	g.vt[here()].trap = on;
}

void arch_vtimer_access(enum arch_vtimer_reg r, bool write, uint64_t *val)
{
	unsigned int cpu = here();
	struct fake_vt *t = &g.vt[cpu];
	uint64_t vct = fake_counter_peek() - t->cntvoff;

	if (!t->loaded)
		fail_msg("fake: arch_vtimer_access() on CPU%u, where no timer is loaded",
			 cpu);
	switch (r) {
	case VTIMER_REG_TVAL:
		if (write)
			t->cval = vct + (uint64_t)(int64_t)(int32_t)*val;
		else
			*val = (t->cval - vct) & 0xffffffffUL;
		break;
	case VTIMER_REG_CTL:
		if (write)
			t->ctl = *val & (CTL_ENABLE | CTL_IMASK);
		else
			*val = vt_ctl(cpu);
		break;
	case VTIMER_REG_CVAL:
		if (write)
			t->cval = *val;
		else
			*val = t->cval;
		break;
	}
	vtlog(write ? "access-write" : "access-read", cpu);
}

void fake_vtimer_set_can_trap(bool can)
{
	g.vt_can_trap = can;
}

bool fake_vtimer_trapping(void)
{
	return g.vt[here()].trap;
}

uint64_t fake_vtimer_ctl_on(unsigned int cpu)
{
	if (cpu >= KAIROS_MAX_CPUS)
		fail_msg("fake: vtimer of CPU%u", cpu);
	return vt_ctl(cpu);
}
