// SPDX-License-Identifier: MIT
/*
 * core/vgic/vgic.c and core/vgic/vgic_mmio.c as a guest and the world switch see
 * them, on VMs made by vm_create_all() (tests/unit/util.c), judged against
 * the GIC architecture (GICv3: IHI 0069, GICv2: IHI 0048B) and the
 * invariants of docs/time-invariants.md (tests named tN_ after them):
 *
 * - pending is the latch OR the line of a level-sensitive interrupt;
 * - list registers: filled active first, then by priority, each INTID
 *   once, never more than exist, underflow asked when some were left out;
 *   folded back as the guest left them, an injection meanwhile kept;
 *   EOIs that matched no list register deactivate the highest-priority
 *   active interrupt not listed;
 * - SGIs: GICv3 ICC_SGI1R routing, GICv2 GICD_SGIR filters and one
 *   pending instance per source;
 * - distributor and redistributor registers;
 * - the hardware-mapped timer PPI keeps its physical INTID active while
 *   the guest owns it, and gives it back when the vCPU is put.
 *
 * Runs go through the fake world switch (arch/fake/fake_vcpu.c), which
 * fills and folds the fake list registers as arch/aarch64 does; the
 * guest acknowledges and EOIs them in between.
 */
#include <arch/cpu.h>
#include <kairos/cpu.h>
#include <kairos/irq.h>
#include <kairos/profile_virt.h>
#include <kairos/run.h>
#include <kairos/vgic.h>
#include <kairos/vmmio.h>
#include <kairos/vtimer.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

/* cmocka.h needs <setjmp.h>, <stdarg.h> and <stddef.h> first. */
#include <cmocka.h>

#include "../../core/vgic/vgic_priv.h"
#include "fake.h"
#include "util.h"

/* Distributor (both versions) */
#define CTLR 0x0000
#define TYPER 0x0004
#define IIDR 0x0008
#define IGROUPR 0x0080
#define ISENABLER 0x0100
#define ICENABLER 0x0180
#define ISPENDR 0x0200
#define ICPENDR 0x0280
#define ISACTIVER 0x0300
#define ICACTIVER 0x0380
#define IPRIORITYR 0x0400
#define ITARGETSR 0x0800
#define ICFGR 0x0c00
#define SGIR 0x0f00
#define CPENDSGIR 0x0f10
#define SPENDSGIR 0x0f20
#define IROUTER 0x6000
#define PIDR2_V3 0xffe8
/* Redistributor: RD_base, then SGI_base 64 KiB on; 128 KiB per vCPU */
#define R_CTLR 0x0000
#define R_IIDR 0x0004
#define R_TYPER 0x0008
#define R_WAKER 0x0014
#define R_SGI 0x10000

#define TIMER VTIMER_INTID
#define CTL_ENABLE 1UL
#define CTL_IMASK 2UL

static struct vm *vm;

static struct vcpu *vc(unsigned int i)
{
	return &vm->vcpus[i];
}

static void make_vm(unsigned int version, unsigned int nr)
{
	vm = util_gic_vm("g", version, nr);
}

static int setup_v3(void **state)
{
	(void)state;
	make_vm(3, 4);
	return 0;
}

static int setup_v2(void **state)
{
	(void)state;
	make_vm(2, 4);
	return 0;
}

/* ---- Guest accesses ---- */

static uint32_t gicd(struct vcpu *v, uint64_t off)
{
	return (uint32_t)util_rd(v, VIRT_GICD + off, 4);
}

static void gicd_w(struct vcpu *v, uint64_t off, uint32_t val)
{
	util_wr(v, VIRT_GICD + off, 4, val);
}

/* A register of vCPU @t's redistributor, accessed by vCPU0. */
static uint64_t gicr_at(unsigned int t, uint64_t off)
{
	return VIRT_GICR + (uint64_t)t * VIRT_GICR_STRIDE + off;
}

static uint32_t gicr(unsigned int t, uint64_t off)
{
	return (uint32_t)util_rd(vc(0), gicr_at(t, off), 4);
}

static void gicr_w(unsigned int t, uint64_t off, uint32_t val)
{
	util_wr(vc(0), gicr_at(t, off), 4, val);
}

/* Bit of @intid in a bit-per-interrupt register (SPIs: distributor). */
static bool dist_bit(uint64_t base, uint32_t intid)
{
	return (gicd(vc(0), base + intid / 32 * 4UL) >> (intid % 32)) & 1;
}

static void dist_set(uint64_t base, uint32_t intid)
{
	gicd_w(vc(0), base + intid / 32 * 4UL, 1U << (intid % 32));
}

/* Private @intid of vCPU @t, through its redistributor (GICv3). */
static bool priv_bit(unsigned int t, uint64_t base, uint32_t intid)
{
	return (gicr(t, R_SGI + base) >> intid) & 1;
}

/* Both groups on at the distributor. */
static void dist_enable(void)
{
	gicd_w(vc(0), CTLR, 3);
}

/* SPI @intid enabled, priority @prio, delivered to vCPU0. */
static void spi(uint32_t intid, uint8_t prio)
{
	dist_set(ISENABLER, intid);
	util_wr(vc(0), VIRT_GICD + IPRIORITYR + intid, 1, prio);
}

/* ---- Runs through the fake world switch ---- */

/* What a guest callback saw and did. */
struct seen {
	uint32_t acked[16];
	uint8_t source[16];
	unsigned int nr;
	unsigned int eoi; /* EOI what it acknowledges */
	unsigned int lrs; /* LRs filled at entry */
	bool underflow, maint_after_eoi, phys_active_at_entry;
	void (*also)(struct vcpu *v);
};

/* Acknowledge everything listed, EOI it too if asked. */
static void guest_take_all(struct vcpu *v, void *arg)
{
	struct seen *s = arg;
	uint32_t id;

	s->lrs = fake_vgic_written();
	s->underflow = fake_vgic_underflow();
	s->phys_active_at_entry = fake_irq_active(0, FAKE_VTIMER_PPI);
	while ((id = fake_vgic_guest_ack()) != IRQ_SPURIOUS) {
		int k = fake_vgic_find(id);

		assert_true(k >= 0 && s->nr < 16);
		s->source[s->nr] = fake_vgic_lr((unsigned int)k)->source;
		s->acked[s->nr++] = id;
		if (s->eoi)
			fake_vgic_guest_eoi(id);
	}
	if (s->also)
		s->also(v);
}

/* One guest run of the loaded @v doing @guest; the exit is a YIELD. */
static void run(struct vcpu *v, fake_guest_fn guest, void *arg)
{
	/* Injections kicked this pCPU: that would bounce the entry. */
	cpus[v->pcpu].resched = 0;
	fake_vcpu_push_guest(FAKE_EXIT_YIELD, 100, guest, NULL, arg);
	assert_int_equal(run_vcpu(v), VEXIT_YIELD);
	assert_int_equal(fake_vcpu_pending(), 0);
}

static void run_take(struct vcpu *v, struct seen *s, bool eoi)
{
	memset(s, 0, sizeof(*s));
	s->eoi = eoi;
	run(v, guest_take_all, s);
}

/* ---- Passthrough level SPIs follow the line (docs/design.md §5) ---- */

#define PT_SPI 34U

/* What one guest run saw of the passthrough SPI. */
struct pt_seen {
	bool armed[2];  /* the acknowledge trap, at each run */
	bool listed[2]; /* PT_SPI in a list register, at each run */
	uint32_t ack;   /* what the second run's acknowledge read */
	bool line_high; /* the device's line when Kairos samples it */
};

static void pt_look(struct vcpu *v, struct pt_seen *s, unsigned int k)
{
	s->armed[k] = fake_ack_trap_armed(v->pcpu);
	s->listed[k] = fake_vgic_find(PT_SPI) >= 0;
}

static void pt_first(struct vcpu *v, void *arg)
{
	pt_look(v, arg, 0); /* the guest has IRQs masked: no acknowledge */
}

static void pt_second(struct vcpu *v, void *arg)
{
	struct pt_seen *s = arg;

	pt_look(v, s, 1);
	s->ack = fake_vgic_guest_ack();
	if (s->ack != IRQ_SPURIOUS)
		fake_vgic_guest_eoi(s->ack);
}

/* The guest reached for its acknowledge: trapped. */
static void pt_trapped(struct vcpu *v, void *arg)
{
	struct pt_seen *s = arg;

	/* Deactivated by Kairos, the GIC finds the line high again. */
	if (s->line_high)
		fake_irq_raise(0, PT_SPI);
	assert_int_equal(run_ack_trapped(v), VEXIT_RESUME);
	/* Its rise kicked this pCPU: that would bounce the entry. */
	cpus[v->pcpu].resched = 0;
}

/* EL2 took the physical SPI: as core/vm.c's passthrough handler. */
static bool pt_irq(uint32_t intid, void *arg)
{
	vgic_set_line(arg, intid, true);
	return false;
}

static void pt_run(struct pt_seen *s)
{
	spi(PT_SPI, 0x80);
	dist_enable();
	vgic_map_hw(vc(0), PT_SPI, PT_SPI);
	irq_set_handler(PT_SPI, pt_irq, vc(0));
	/* EL2 took it once: physically active, its line high. */
	fake_irq_set_active(0, PT_SPI, true);
	vgic_set_line(vc(0), PT_SPI, true);
	vcpu_load(vc(0));
	cpus[0].resched = 0;
	fake_vcpu_push_guest(FAKE_EXIT_RESUME, 100, pt_first, pt_trapped, s);
	fake_vcpu_push_guest(FAKE_EXIT_YIELD, 100, pt_second, NULL, s);
	assert_int_equal(run_vcpu(vc(0)), VEXIT_YIELD);
	irq_set_handler(PT_SPI, NULL, NULL);
}

/*
 * The device dropped its line while the guest had IRQs masked: the
 * pending interrupt is withdrawn before the guest acknowledges it, which
 * reads 1023, and its physical interrupt is inactive for the next event.
 */
static void test_passthrough_dropped_line_withdrawn(void **state)
{
	struct pt_seen s = { .line_high = false };

	(void)state;
	pt_run(&s);
	assert_true(s.listed[0] && s.armed[0]);
	assert_false(s.listed[1] || s.armed[1]);
	assert_int_equal(s.ack, IRQ_SPURIOUS);
	assert_false(fake_irq_active(0, PT_SPI));
	assert_false(dist_bit(ISPENDR, PT_SPI));
}

/*
 * The line is still high when sampled: taken again at EL2 at once and
 * listed without the trap (no second sampling), and the guest takes it.
 */
static void test_passthrough_high_line_taken_once(void **state)
{
	struct pt_seen s = { .line_high = true };

	(void)state;
	pt_run(&s);
	assert_true(s.listed[0] && s.armed[0]);
	assert_true(s.listed[1]);
	assert_false(s.armed[1]);
	assert_int_equal(s.ack, PT_SPI);
}

/* Edge-triggered ones keep their latch: no trap, nothing withdrawn. */
static void test_passthrough_edge_not_trapped(void **state)
{
	struct seen s;

	(void)state;
	spi(PT_SPI, 0x80);
	dist_enable();
	gicd_w(vc(0), ICFGR + PT_SPI / 16 * 4, 2U << (PT_SPI % 16 * 2));
	vgic_map_hw(vc(0), PT_SPI, PT_SPI);
	fake_irq_set_active(0, PT_SPI, true);
	vgic_set_line(vc(0), PT_SPI, true);
	vcpu_load(vc(0));
	memset(&s, 0, sizeof(s));
	s.eoi = 1;
	run(vc(0), guest_take_all, &s);
	assert_false(fake_ack_trap_armed(0));
	assert_int_equal(s.nr, 1);
	assert_int_equal(s.acked[0], PT_SPI);
}

/* ---- Pending = latch OR line ---- */

static void test_level_pending_is_latch_or_line(void **state)
{
	(void)state;
	spi(40, 0x80);
	assert_false(dist_bit(ISPENDR, 40));
	vgic_set_line(vc(0), 40, true);
	assert_true(dist_bit(ISPENDR, 40));
	/* ICPENDR clears the latch only: the line still asserts it. */
	dist_set(ICPENDR, 40);
	assert_true(dist_bit(ISPENDR, 40));
	vgic_set_line(vc(0), 40, false);
	assert_false(dist_bit(ISPENDR, 40));
	/* A latch set through ISPENDR outlives the line. */
	dist_set(ISPENDR, 40);
	vgic_set_line(vc(0), 40, true);
	vgic_set_line(vc(0), 40, false);
	assert_true(dist_bit(ISPENDR, 40));
	dist_set(ICPENDR, 40);
	assert_false(dist_bit(ISPENDR, 40));
}

/*
 * An edge-configured interrupt becomes pending on the rising edge of its
 * line and stays pending when the line falls (GICv3 §4.1.1).
 */
static void test_edge_rising_line_latches(void **state)
{
	(void)state;
	spi(41, 0x80);
	gicd_w(vc(0), ICFGR + 41 / 16 * 4, 2U << (41 % 16 * 2));
	vgic_set_line(vc(0), 41, true);
	assert_true(dist_bit(ISPENDR, 41));
	vgic_set_line(vc(0), 41, false);
	assert_true(dist_bit(ISPENDR, 41));
	dist_set(ICPENDR, 41);
	assert_false(dist_bit(ISPENDR, 41));
	/* A line that stays high is no new edge. */
	vgic_set_line(vc(0), 41, true);
	dist_set(ICPENDR, 41);
	vgic_set_line(vc(0), 41, true);
	assert_false(dist_bit(ISPENDR, 41));
}

/* GICv3 §4.1.2: pending reads true while disabled; it is not taken. */
static void test_level_ppi_pending_while_disabled(void **state)
{
	struct vgic_lr lrs[VGIC_MAX_LRS];
	bool uf;

	(void)state;
	dist_enable();
	vgic_set_line(vc(0), TIMER, true);
	assert_true(priv_bit(0, ISPENDR, TIMER));
	assert_false(priv_bit(0, ISENABLER, TIMER));
	assert_false(priv_bit(1, ISPENDR, TIMER)); /* banked per vCPU */
	assert_false(vgic_has_pending(vc(0)));
	assert_int_equal(vgic_fill_lrs(vc(0), lrs, 4, &uf, NULL), 0);
	assert_false(uf);
	vgic_fold_lrs(vc(0), lrs, 0, 0);
	gicr_w(0, R_SGI + ISENABLER, 1U << TIMER);
	assert_true(vgic_has_pending(vc(0)));
	assert_int_equal(vgic_fill_lrs(vc(0), lrs, 4, &uf, NULL), 1);
	assert_int_equal(lrs[0].intid, TIMER);
	assert_true(lrs[0].pending);
	assert_true(lrs[0].hw);
	assert_int_equal(lrs[0].hw_intid, FAKE_VTIMER_PPI);
	vgic_fold_lrs(vc(0), lrs, 1, 0);
}

static void test_has_pending(void **state)
{
	(void)state;
	spi(40, 0x80);
	vgic_inject(vc(0), 40);
	/* The distributor's groups are off. */
	assert_false(vgic_has_pending(vc(0)));
	dist_enable();
	assert_true(vgic_has_pending(vc(0)));
	dist_set(ICENABLER, 40);
	assert_false(vgic_has_pending(vc(0)));
	dist_set(ISENABLER, 40);
	/* Routed to vCPU1 (IROUTER Aff0 = 1): no longer vCPU0's. */
	util_wr(vc(0), VIRT_GICD + IROUTER + 8UL * 40, 8, 1);
	assert_false(vgic_has_pending(vc(0)));
	assert_true(vgic_has_pending(vc(1)));
	/* Active, not pending: nothing to take. */
	dist_set(ICPENDR, 40);
	dist_set(ISACTIVER, 40);
	assert_false(vgic_has_pending(vc(1)));
}

/*
 * Marking an interrupt for the entry path requires the VM's vGIC lock
 * (docs/design.md, "Locks"): without it, a CHECK stops Kairos.
 */
static void test_mark_requires_vgic_lock(void **state)
{
	(void)state;
	expect_assert_failure(vgic_mark(vc(0), 40));
	spin_lock(&vm->vgic.lock);
	vgic_mark(vc(0), 40);
	spin_unlock(&vm->vgic.lock);
	assert_true(vm->vgic.spi_cand_words & 1U);
}

/* ---- Filling list registers ---- */

static void assert_unique(const struct vgic_lr *lrs, unsigned int n)
{
	for (unsigned int a = 0; a < n; a++)
		for (unsigned int b = a + 1; b < n; b++)
			assert_int_not_equal(lrs[a].intid, lrs[b].intid);
}

static void test_t16_fill_active_first_then_priority(void **state)
{
	struct vgic_lr lrs[VGIC_MAX_LRS];
	bool uf;
	unsigned int n;

	(void)state;
	dist_enable();
	spi(40, 0x80);
	spi(41, 0x20);
	spi(42, 0xa0);
	spi(43, 0x20);
	spi(44, 0x10);
	spi(45, 0x40);
	for (uint32_t id = 40; id <= 45; id++)
		if (id != 42)
			vgic_inject(vc(0), id);
	dist_set(ISACTIVER, 42);
	dist_set(ICENABLER, 44); /* pending but disabled: never listed */

	n = vgic_fill_lrs(vc(0), lrs, 4, &uf, NULL);
	assert_int_equal(n, 4);
	assert_true(uf); /* 40 left out */
	assert_unique(lrs, n);
	assert_int_equal(lrs[0].intid, 42);
	assert_true(lrs[0].active);
	assert_false(lrs[0].pending);
	assert_int_equal(lrs[1].intid, 41);
	assert_int_equal(lrs[2].intid, 43);
	assert_int_equal(lrs[3].intid, 45);
	for (unsigned int k = 1; k < 4; k++) {
		assert_true(lrs[k].pending);
		assert_false(lrs[k].active);
	}
	assert_int_equal(lrs[1].priority, 0x20);
	/* Untouched by the guest: everything as before. */
	vgic_fold_lrs(vc(0), lrs, n, 0);
	for (uint32_t id = 40; id <= 45; id++)
		assert_int_equal(dist_bit(ISPENDR, id), id != 42);
	assert_true(dist_bit(ISACTIVER, 42));

	/* Room for all: none left out, still no more than asked. */
	n = vgic_fill_lrs(vc(0), lrs, 8, &uf, NULL);
	assert_int_equal(n, 5);
	assert_false(uf);
	assert_unique(lrs, n);
	assert_int_equal(lrs[4].intid, 40);
	vgic_fold_lrs(vc(0), lrs, n, 0);

	/* One list register: the active one. */
	n = vgic_fill_lrs(vc(0), lrs, 1, &uf, NULL);
	assert_int_equal(n, 1);
	assert_true(uf);
	assert_int_equal(lrs[0].intid, 42);
	vgic_fold_lrs(vc(0), lrs, n, 0);
}

/*
 * T16: six pending, four list registers: the four of highest priority
 * first, then the rest; the guest takes every one exactly once in
 * priority order.
 */
static void test_t16_overflow_highest_first(void **state)
{
	static const uint8_t prio[6] = { 0x60, 0x10, 0x50, 0x20, 0x40, 0x30 };
	static const uint32_t order[6] = { 41, 43, 45, 44, 42, 40 };
	struct seen a, b;

	(void)state;
	dist_enable();
	for (uint32_t k = 0; k < 6; k++) {
		spi(40 + k, prio[k]);
		vgic_inject(vc(0), 40 + k);
	}
	vcpu_load(vc(0));
	run_take(vc(0), &a, true);
	assert_int_equal(a.lrs, FAKE_NR_LRS);
	assert_true(a.underflow);
	assert_int_equal(a.nr, 4);
	run_take(vc(0), &b, true);
	assert_int_equal(b.lrs, 2);
	assert_false(b.underflow);
	assert_int_equal(b.nr, 2);
	for (unsigned int k = 0; k < 6; k++)
		assert_int_equal(k < 4 ? a.acked[k] : b.acked[k - 4], order[k]);
	assert_false(vgic_has_pending(vc(0)));
	run_take(vc(0), &a, true);
	assert_int_equal(a.lrs, 0);
	assert_false(a.underflow);
}

/* ---- Folding ---- */

static void test_fold_acked_becomes_active(void **state)
{
	struct seen s;

	(void)state;
	dist_enable();
	spi(40, 0x80);
	vgic_inject(vc(0), 40);
	vcpu_load(vc(0));
	run_take(vc(0), &s, false);
	assert_int_equal(s.nr, 1);
	assert_true(dist_bit(ISACTIVER, 40));
	assert_false(dist_bit(ISPENDR, 40));
	assert_false(vgic_has_pending(vc(0)));
	/* Listed again, active, so the guest's EOI finds it. */
	run_take(vc(0), &s, false);
	assert_int_equal(s.lrs, 1);
	assert_int_equal(s.nr, 0);
	assert_true(dist_bit(ISACTIVER, 40));
}

static void guest_nothing(struct vcpu *v, void *arg)
{
	struct seen *s = arg;

	(void)v;
	s->lrs = fake_vgic_written();
}

static void test_fold_untaken_stays_pending(void **state)
{
	struct seen s = { 0 };

	(void)state;
	dist_enable();
	spi(40, 0x80);
	vgic_inject(vc(0), 40);
	vcpu_load(vc(0));
	run(vc(0), guest_nothing, &s);
	assert_int_equal(s.lrs, 1);
	assert_true(dist_bit(ISPENDR, 40));
	assert_false(dist_bit(ISACTIVER, 40));
	assert_true(vgic_has_pending(vc(0)));
	run_take(vc(0), &s, true);
	assert_int_equal(s.nr, 1);
	assert_int_equal(s.acked[0], 40);
	assert_false(dist_bit(ISPENDR, 40));
	assert_false(dist_bit(ISACTIVER, 40));
}

static void test_fold_eoied_is_gone(void **state)
{
	struct seen s;

	(void)state;
	dist_enable();
	spi(40, 0x80);
	vgic_inject(vc(0), 40);
	vcpu_load(vc(0));
	run_take(vc(0), &s, true);
	assert_int_equal(s.nr, 1);
	assert_false(dist_bit(ISPENDR, 40));
	assert_false(dist_bit(ISACTIVER, 40));
	run_take(vc(0), &s, true);
	assert_int_equal(s.lrs, 0);
}

static void inject_40(struct vcpu *v)
{
	(void)v;
	vgic_inject(vc(0), 40); /* the device fires again meanwhile */
}

/* EOI 40 (listed active), then take what is pending. */
static void eoi_then_take(struct vcpu *v, void *arg)
{
	struct seen *s = arg;
	int k = fake_vgic_find(40);

	assert_true(k >= 0);
	assert_true(fake_vgic_lr((unsigned int)k)->active);
	assert_true(fake_vgic_lr((unsigned int)k)->pending);
	fake_vgic_guest_eoi(40);
	s->eoi = 1;
	guest_take_all(v, s);
}

/* An edge injected while its first instance is in the guest is kept. */
static void test_fold_injection_during_run_kept(void **state)
{
	struct seen s;

	(void)state;
	dist_enable();
	spi(40, 0x80);
	vgic_inject(vc(0), 40);
	vcpu_load(vc(0));
	memset(&s, 0, sizeof(s));
	s.also = inject_40; /* after the ack */
	run(vc(0), guest_take_all, &s);
	assert_int_equal(s.nr, 1);
	assert_true(dist_bit(ISACTIVER, 40));
	assert_true(dist_bit(ISPENDR, 40));
	/* The second instance is taken after the first one's EOI. */
	run_take(vc(0), &s, true);
	assert_int_equal(s.nr, 0); /* listed pending and active: no ack */
	assert_int_equal(s.lrs, 1);
	assert_true(dist_bit(ISPENDR, 40));
	fake_vgic_set_nr_lrs(FAKE_NR_LRS);
	memset(&s, 0, sizeof(s));
	run(vc(0), eoi_then_take, &s);
	assert_int_equal(s.nr, 1);
	assert_false(dist_bit(ISPENDR, 40));
	assert_false(dist_bit(ISACTIVER, 40));
}

static void guest_inject(struct vcpu *v, void *arg)
{
	struct seen *s = arg;

	s->lrs = fake_vgic_written();
	inject_40(v);
}

/* Injected again before the guest took it: one edge, taken once. */
static void test_fold_injection_while_pending_coalesces(void **state)
{
	struct seen s = { 0 };

	(void)state;
	dist_enable();
	spi(40, 0x80);
	vgic_inject(vc(0), 40);
	vcpu_load(vc(0));
	run(vc(0), guest_inject, &s);
	assert_int_equal(s.lrs, 1);
	assert_true(dist_bit(ISPENDR, 40));
	run_take(vc(0), &s, true);
	assert_int_equal(s.nr, 1);
	assert_false(dist_bit(ISPENDR, 40));
	run_take(vc(0), &s, true);
	assert_int_equal(s.nr, 0);
	assert_int_equal(s.lrs, 0);
}

static void eoi_42_then_41(struct vcpu *v, void *arg)
{
	unsigned int *eoi_count = arg;

	(void)v;
	assert_int_equal(fake_vgic_written(), 1);
	assert_int_equal(fake_vgic_lr(0)->intid, 42);
	fake_vgic_guest_eoi(42); /* listed */
	fake_vgic_guest_eoi(41); /* not listed: EOIcount */
	*eoi_count = fake_vgic_eoi_count();
}

/*
 * T16 / GICv3 §4.4.5: an EOI that matched no list register is for the
 * highest-priority active interrupt not listed.
 */
static void test_t16_eoicount_deactivates_highest_unlisted(void **state)
{
	unsigned int eoi_count = 0;

	(void)state;
	dist_enable();
	spi(40, 0x30);
	spi(41, 0x20);
	spi(42, 0x10);
	for (uint32_t id = 40; id <= 42; id++)
		dist_set(ISACTIVER, id);
	fake_vgic_set_nr_lrs(1);
	vcpu_load(vc(0));
	run(vc(0), eoi_42_then_41, &eoi_count);
	assert_int_equal(eoi_count, 1);
	assert_false(dist_bit(ISACTIVER, 42));
	assert_false(dist_bit(ISACTIVER, 41));
	assert_true(dist_bit(ISACTIVER, 40));
}

/* T16: DIR works for interrupts in no list register. */
static void test_t16_deactivate_unlisted(void **state)
{
	(void)state;
	spi(40, 0x30);
	dist_set(ISACTIVER, 40);
	vgic_deactivate(vc(0), 40);
	assert_false(dist_bit(ISACTIVER, 40));
	/* Private ones of the caller. */
	gicr_w(1, R_SGI + ISACTIVER, 1U << 5);
	vgic_deactivate(vc(1), 5);
	assert_false(priv_bit(1, ISACTIVER, 5));
}

/* T11: a level interrupt is re-sampled at exit, never injected twice. */
static void test_t11_level_resampled(void **state)
{
	struct seen s;

	(void)state;
	dist_enable();
	spi(40, 0x80);
	vgic_set_line(vc(0), 40, true);
	vcpu_load(vc(0));
	/* Handled, but the device still asserts: pending again. */
	run_take(vc(0), &s, true);
	assert_int_equal(s.nr, 1);
	assert_true(dist_bit(ISPENDR, 40));
	run_take(vc(0), &s, true);
	assert_int_equal(s.nr, 1);
	/* Deasserted while listed and not yet taken: gone at exit. */
	vgic_set_line(vc(0), 40, false);
	vgic_set_line(vc(0), 40, true);
	memset(&s, 0, sizeof(s));
	run(vc(0), guest_nothing, &s);
	assert_int_equal(s.lrs, 1);
	vgic_set_line(vc(0), 40, false);
	assert_false(dist_bit(ISPENDR, 40));
	run_take(vc(0), &s, true);
	assert_int_equal(s.lrs, 0);
	assert_int_equal(s.nr, 0);
}

/* ---- SGIs ---- */

/* GICv3 SGI pending bits of vCPUs 0..3 for @sgi, as a mask; then clear. */
static unsigned int sgi_targets_v3(uint32_t sgi)
{
	unsigned int m = 0;

	for (unsigned int t = 0; t < 4; t++) {
		if (priv_bit(t, ISPENDR, sgi))
			m |= 1U << t;
		gicr_w(t, R_SGI + ICPENDR, 0xffff);
	}
	return m;
}

static void test_sgi1r_routing(void **state)
{
	(void)state;
	/* IRM: everyone but the sender. */
	vgic_sgi1r(vc(1), 1UL << 40 | 3UL << 24);
	assert_int_equal(sgi_targets_v3(3), 0xd);
	/* Target list (Aff0 bits), RS 0. */
	vgic_sgi1r(vc(0), 4UL << 24 | 0xa);
	assert_int_equal(sgi_targets_v3(4), 0xa);
	/* A list may name the sender itself. */
	vgic_sgi1r(vc(2), 15UL << 24 | 0x4);
	assert_int_equal(sgi_targets_v3(15), 0x4);
	/* RS 1 names Aff0 16..31: nobody here. */
	vgic_sgi1r(vc(0), 1UL << 44 | 5UL << 24 | 0xffff);
	assert_int_equal(sgi_targets_v3(5), 0);
	/* Aff1 1: another cluster, nobody here. */
	vgic_sgi1r(vc(0), 1UL << 16 | 6UL << 24 | 0xf);
	assert_int_equal(sgi_targets_v3(6), 0);
	/* Absent vCPU 7 in the list: the others still get it. */
	vgic_sgi1r(vc(0), 7UL << 24 | 0x81);
	assert_int_equal(sgi_targets_v3(7), 0x1);
}

/*
 * Every target list of RS 0 and 1 (10 bits: past the 4 vCPUs too) from
 * every sender reaches exactly the vCPUs it names that exist, whatever
 * the path (the list's bits are walked, not every vCPU).
 */
static void test_sgi1r_every_list(void **state)
{
	(void)state;
	for (unsigned int from = 0; from < 4; from++)
		for (uint64_t list = 0; list < 0x400; list++) {
			vgic_sgi1r(vc(from), 2UL << 24 | list);
			assert_int_equal(sgi_targets_v3(2), list & 0xf);
			vgic_sgi1r(vc(from), 1UL << 44 | 2UL << 24 | list);
			assert_int_equal(sgi_targets_v3(2), 0);
		}
}

/* GICv2 sources of @sgi pending at each vCPU (byte per vCPU); cleared. */
static uint32_t sgi_sources_v2(uint32_t sgi)
{
	uint32_t m = 0;

	for (unsigned int t = 0; t < 4; t++) {
		uint64_t off = SPENDSGIR + sgi / 4 * 4;
		uint32_t b = (gicd(vc(t), off) >> (sgi % 4 * 8)) & 0xff;

		m |= b << (8 * t);
		gicd_w(vc(t), CPENDSGIR + sgi / 4 * 4, 0xffU << (sgi % 4 * 8));
	}
	return m;
}

/* IHI 0048B §4.3.15 GICD_SGIR: TargetListFilter 0, 1, 2 (3 reserved). */
static void test_sgir_filters_v2(void **state)
{
	(void)state;
	gicd_w(vc(1), SGIR, 0U << 24 | 0x09U << 16 | 3);
	assert_int_equal(sgi_sources_v2(3), 0x02000002);
	gicd_w(vc(2), SGIR, 1U << 24 | 0xffU << 16 | 7);
	assert_int_equal(sgi_sources_v2(7), 0x04000404);
	gicd_w(vc(3), SGIR, 2U << 24 | 15);
	assert_int_equal(sgi_sources_v2(15), 0x08000000);
	gicd_w(vc(0), SGIR, 3U << 24 | 0xffU << 16 | 1);
	assert_int_equal(sgi_sources_v2(1), 0);
	/* Through the API as through the register. */
	vgic_sgir(vc(0), 0U << 24 | 0x02U << 16 | 9);
	assert_int_equal(sgi_sources_v2(9), 0x0100);
}

/* GICD_SGIR filter 0, every list from every sender: the vCPUs it names. */
static void test_sgir_every_list_v2(void **state)
{
	(void)state;
	for (unsigned int from = 0; from < 4; from++)
		for (uint32_t list = 0; list < 0x100; list++) {
			uint32_t want = 0;

			for (unsigned int t = 0; t < 4; t++)
				if (list & (1U << t))
					want |= (1U << from) << (8 * t);
			vgic_sgir(vc(from), list << 16 | 5);
			assert_int_equal(sgi_sources_v2(5), want);
		}
}

static void eoi_check_maint(struct vcpu *v, void *arg)
{
	struct seen *s = arg;
	int k = fake_vgic_find(3);

	(void)v;
	s->lrs = fake_vgic_written();
	assert_true(k >= 0);
	assert_true(fake_vgic_lr((unsigned int)k)->active);
	assert_false(fake_vgic_lr((unsigned int)k)->pending);
	fake_vgic_guest_eoi(3);
	s->maint_after_eoi = fake_vgic_maintenance();
}

/*
 * GICv2: an SGI from several sources is one pending instance per source;
 * the guest sees each source once, and while one is active the next
 * waits for its EOI (which exits, by maintenance).
 */
static void test_sgi_v2_several_sources(void **state)
{
	struct seen s;
	unsigned int seen_src = 0;

	(void)state;
	dist_enable();
	for (unsigned int t = 1; t < 4; t++)
		gicd_w(vc(t), SGIR, 0x01U << 16 | 3);
	assert_int_equal((gicd(vc(0), SPENDSGIR) >> 24) & 0xff, 0x0e);
	assert_true((gicd(vc(0), ISPENDR) >> 3) & 1);
	vcpu_load(vc(0));
	/* Acknowledged, not EOIed. */
	run_take(vc(0), &s, false);
	assert_int_equal(s.nr, 1);
	assert_int_equal(s.acked[0], 3);
	seen_src |= 1U << s.source[0];
	/* Still two sources pending; the active one is listed alone. */
	assert_int_equal(__builtin_popcount((gicd(vc(0), SPENDSGIR) >> 24) &
					    0xff),
			 2);
	memset(&s, 0, sizeof(s));
	run(vc(0), eoi_check_maint, &s);
	assert_true(s.maint_after_eoi);
	for (unsigned int k = 0; k < 2; k++) {
		run_take(vc(0), &s, true);
		assert_int_equal(s.nr, 1);
		assert_int_equal(s.acked[0], 3);
		seen_src |= 1U << s.source[0];
	}
	assert_int_equal(seen_src, 0x0e);
	assert_int_equal((gicd(vc(0), SPENDSGIR) >> 24) & 0xff, 0);
	run_take(vc(0), &s, true);
	assert_int_equal(s.nr, 0);
}

/* ---- Registers ---- */

static void test_regs_read_only_ignore_writes(void **state)
{
	static const uint64_t dist_ro[] = { TYPER, IIDR, PIDR2_V3 };
	static const uint64_t rd_ro[] = { R_IIDR, R_TYPER, R_TYPER + 4 };

	(void)state;
	for (unsigned int k = 0; k < 3; k++) {
		uint32_t before = gicd(vc(0), dist_ro[k]);

		gicd_w(vc(0), dist_ro[k], ~before);
		assert_int_equal(gicd(vc(0), dist_ro[k]), before);
	}
	for (unsigned int k = 0; k < 3; k++) {
		uint32_t before = gicr(1, rd_ro[k]);

		gicr_w(1, rd_ro[k], ~before);
		assert_int_equal(gicr(1, rd_ro[k]), before);
	}
	/* SGIs are edge-triggered, read-only (ICFGR0: 0b10 each). */
	gicr_w(1, R_SGI + ICFGR, 0);
	assert_int_equal(gicr(1, R_SGI + ICFGR), 0xaaaaaaaa);
	/* GICv3: ARE and DS read one whatever is written. */
	gicd_w(vc(0), CTLR, 0);
	assert_int_equal(gicd(vc(0), CTLR) & 0x50, 0x50);
	/* Private interrupts are not the distributor's with ARE: RAZ/WI. */
	gicd_w(vc(0), ISENABLER, 0xffffffff);
	assert_int_equal(gicd(vc(0), ISENABLER), 0);
	assert_false(priv_bit(0, ISENABLER, 0));
	/* TYPER: ITLinesNumber covers the 288 INTIDs; 10 ID bits. */
	assert_int_equal(gicd(vc(0), TYPER) & 0x1f, VGIC_NR_IRQS / 32 - 1);
	assert_int_equal((gicd(vc(0), TYPER) >> 19) & 0x1f, 9);
}

static void test_regs_ipriorityr_bytes(void **state)
{
	(void)state;
	gicd_w(vc(0), IPRIORITYR + 40, 0x40302010);
	util_wr(vc(0), VIRT_GICD + IPRIORITYR + 41, 1, 0xa5);
	/* Five implemented bits: the low three read zero. */
	assert_int_equal(gicd(vc(0), IPRIORITYR + 40), 0x4030a010);
	assert_int_equal(util_rd(vc(0), VIRT_GICD + IPRIORITYR + 42, 1), 0x30);
	assert_int_equal(util_rd(vc(0), VIRT_GICD + IPRIORITYR + 41, 1), 0xa0);
	/* The redistributor's, for a PPI, banked. */
	util_wr(vc(0), gicr_at(2, R_SGI + IPRIORITYR + TIMER), 1, 0x88);
	assert_int_equal(util_rd(vc(0), gicr_at(2, R_SGI + IPRIORITYR + TIMER),
				 1),
			 0x88);
	assert_int_equal(util_rd(vc(0), gicr_at(1, R_SGI + IPRIORITYR + TIMER),
				 1),
			 0);
	/* The distributor's for private INTIDs: RAZ/WI with ARE. */
	gicd_w(vc(0), IPRIORITYR + 24, 0xffffffff);
	assert_int_equal(gicd(vc(0), IPRIORITYR + 24), 0);
}

static void test_regs_irouter(void **state)
{
	uint64_t r = VIRT_GICD + IROUTER + 8UL * 40;

	(void)state;
	/* Aff3 [39:32], IRM [31], Aff2..Aff0 [23:0]; the rest RES0. */
	util_wr(vc(0), r, 8, ~0ULL);
	assert_int_equal(util_rd(vc(0), r, 8), 0xff80ffffffULL);
	util_wr(vc(0), r, 8, 0);
	util_wr(vc(0), r, 4, 0x00000002);
	util_wr(vc(0), r + 4, 4, 0x00000005);
	assert_int_equal(util_rd(vc(0), r, 8), 0x0500000002ULL);
	assert_int_equal(util_rd(vc(0), r, 4), 2);
	assert_int_equal(util_rd(vc(0), r + 4, 4), 5);
	/* The low half alone leaves the high half. */
	util_wr(vc(0), r, 4, 0x80000001);
	assert_int_equal(util_rd(vc(0), r, 8), 0x0580000001ULL);
	/* IROUTER<n> for n < 32 is reserved. */
	util_wr(vc(0), VIRT_GICD + IROUTER + 8UL * 27, 8, 1);
	assert_int_equal(util_rd(vc(0), VIRT_GICD + IROUTER + 8UL * 27, 8), 0);
}

static void test_regs_redist_typer(void **state)
{
	(void)state;
	for (unsigned int t = 0; t < 4; t++) {
		uint64_t ty = util_rd(vc(0), gicr_at(t, R_TYPER), 8);

		/* Affinity = the vCPU's MPIDR (Aff0 = its index). */
		assert_int_equal(ty >> 32, t);
		assert_int_equal((ty >> 8) & 0xffff, t); /* Processor_Number */
		assert_int_equal((ty >> 4) & 1, t == 3); /* Last */
		assert_int_equal(gicr(t, R_TYPER), (uint32_t)ty);
		assert_int_equal(gicr(t, R_TYPER + 4), t);
		assert_int_equal(vc(t)->st.sys.vmpidr & 0xff, t);
	}
}

static void test_regs_waker(void **state)
{
	(void)state;
	/* Out of reset: ProcessorSleep and ChildrenAsleep set. */
	assert_int_equal(gicr(1, R_WAKER) & 6, 6);
	gicr_w(1, R_WAKER, 0);
	assert_int_equal(gicr(1, R_WAKER) & 6, 0);
	assert_int_equal(gicr(2, R_WAKER) & 6, 6); /* per redistributor */
	gicr_w(1, R_WAKER, 2);
	assert_int_equal(gicr(1, R_WAKER) & 6, 6);
}

static void test_regs_itargetsr_v2(void **state)
{
	(void)state;
	/* 4 vCPUs: bits 4..7 name absent CPUs and read zero. */
	util_wr(vc(0), VIRT_GICD + ITARGETSR + 40, 1, 0xff);
	assert_int_equal(util_rd(vc(0), VIRT_GICD + ITARGETSR + 40, 1), 0x0f);
	gicd_w(vc(0), ITARGETSR + 44, 0xffffffff);
	assert_int_equal(gicd(vc(0), ITARGETSR + 44), 0x0f0f0f0f);
	/* SGIs and PPIs: read-only, the reading CPU's own bit. */
	gicd_w(vc(2), ITARGETSR + 24, 0);
	assert_int_equal(gicd(vc(2), ITARGETSR + 24), 0x04040404);
	assert_int_equal(gicd(vc(1), ITARGETSR), 0x02020202);
	/* TYPER.CPUNumber: 4 CPUs. */
	assert_int_equal((gicd(vc(0), TYPER) >> 5) & 7, 3);
	/* v2 SGIs: always enabled (RAO/WI). */
	gicd_w(vc(0), ICENABLER, 0xffff);
	assert_int_equal(gicd(vc(0), ISENABLER) & 0xffff, 0xffff);
}

static void test_regs_itargetsr_absent_v2_small(void **state)
{
	(void)state;
	make_vm(2, 2);
	util_wr(vc(0), VIRT_GICD + ITARGETSR + 40, 1, 0xff);
	assert_int_equal(util_rd(vc(0), VIRT_GICD + ITARGETSR + 40, 1), 0x03);
	/* Delivered to the lowest target. */
	dist_enable();
	spi(40, 0x80);
	util_wr(vc(0), VIRT_GICD + ITARGETSR + 40, 1, 0x02);
	vgic_inject(vc(0), 40);
	assert_false(vgic_has_pending(vc(0)));
	assert_true(vgic_has_pending(vc(1)));
}

/* ---- The hardware-mapped timer PPI (T9) ---- */

static void test_t9_sync_hw_follows_line(void **state)
{
	(void)state;
	vcpu_load(vc(0));
	assert_false(fake_irq_active(0, FAKE_VTIMER_PPI));
	/* Line high, PPI disabled and not listed: still the guest's. */
	vgic_set_line(vc(0), TIMER, true);
	vgic_sync_hw(vc(0));
	assert_true(fake_irq_active(0, FAKE_VTIMER_PPI));
	vgic_set_line(vc(0), TIMER, false);
	vgic_sync_hw(vc(0));
	assert_false(fake_irq_active(0, FAKE_VTIMER_PPI));
	/* Active in the model (guest ISACTIVER) with the line low. */
	gicr_w(0, R_SGI + ISACTIVER, 1U << TIMER);
	vgic_sync_hw(vc(0));
	assert_true(fake_irq_active(0, FAKE_VTIMER_PPI));
	vgic_release_hw(vc(0));
	assert_false(fake_irq_active(0, FAKE_VTIMER_PPI));
	assert_true(priv_bit(0, ISACTIVER, TIMER)); /* virtual unchanged */
}

static void timer_mask(struct vcpu *v)
{
	(void)v;
	fake_vtimer_set(CTL_ENABLE | CTL_IMASK, 0);
}

static void eoi_timer(struct vcpu *v, void *arg)
{
	struct seen *s = arg;
	int k = fake_vgic_find(TIMER);

	(void)v;
	assert_true(k >= 0);
	s->lrs = fake_vgic_written();
	assert_true(fake_vgic_lr((unsigned int)k)->active);
	assert_false(fake_vgic_lr((unsigned int)k)->pending);
	assert_true(fake_vgic_lr((unsigned int)k)->hw);
	assert_true(fake_irq_active(0, FAKE_VTIMER_PPI));
	fake_vgic_guest_eoi(TIMER);
	assert_false(fake_irq_active(0, FAKE_VTIMER_PPI));
}

/*
 * T9: an HW list register pending or active has its physical INTID
 * active; never pending and active together (the fake fails on that);
 * the guest's EOI deactivates the physical one; put releases it.
 */
static void test_t9_hw_lr_physical_active(void **state)
{
	struct seen s;

	(void)state;
	dist_enable();
	gicr_w(0, R_SGI + ISENABLER, 1U << TIMER);
	/* The guest's timer has fired: CVAL 0 is in the past. */
	vc(0)->st.vtimer.ctl = CTL_ENABLE;
	vc(0)->st.vtimer.cval = 0;
	vcpu_load(vc(0));
	assert_true(fake_vtimer_line());
	assert_true(priv_bit(0, ISPENDR, TIMER));

	/* Acked, not EOIed: active; the line stays high. */
	run_take(vc(0), &s, false);
	assert_true(s.phys_active_at_entry);
	assert_int_equal(s.nr, 1);
	assert_int_equal(s.acked[0], TIMER);
	assert_true(priv_bit(0, ISACTIVER, TIMER));
	assert_true(fake_irq_active(0, FAKE_VTIMER_PPI));

	/* Listed active only, hw; the EOI deactivates the physical one. */
	run(vc(0), eoi_timer, &s);
	assert_int_equal(s.lrs, 1);
	assert_false(priv_bit(0, ISACTIVER, TIMER));

	/* Still expired, so taken again; the handler masks its timer. */
	memset(&s, 0, sizeof(s));
	s.eoi = 1;
	s.also = timer_mask;
	run(vc(0), guest_take_all, &s);
	assert_int_equal(s.nr, 1);
	assert_false(priv_bit(0, ISPENDR, TIMER));
	assert_false(priv_bit(0, ISACTIVER, TIMER));
	vgic_sync_hw(vc(0));
	assert_false(fake_irq_active(0, FAKE_VTIMER_PPI));
	vcpu_put(vc(0));
	assert_false(fake_irq_active(0, FAKE_VTIMER_PPI));
	assert_false(fake_vgic_loaded());
}

/*
 * T9/T11: after the guest's EOI of the HW timer interrupt with its timer
 * still expired, the line is high again: the next entry lists it pending
 * and holds the physical INTID active again.
 */
static void test_t9_eoi_line_still_high(void **state)
{
	struct seen s = { 0 };

	(void)state;
	dist_enable();
	gicr_w(0, R_SGI + ISENABLER, 1U << TIMER);
	vc(0)->st.vtimer.ctl = CTL_ENABLE;
	vcpu_load(vc(0));
	run_take(vc(0), &s, false);
	assert_int_equal(s.nr, 1);
	run(vc(0), eoi_timer, &s);
	assert_false(priv_bit(0, ISACTIVER, TIMER));
	assert_true(priv_bit(0, ISPENDR, TIMER));
	vgic_sync_hw(vc(0));
	assert_true(fake_irq_active(0, FAKE_VTIMER_PPI));
	run_take(vc(0), &s, true);
	assert_int_equal(s.nr, 1);
	assert_true(s.phys_active_at_entry);
}

/*
 * T9: the guest deactivates the HW timer interrupt through DIR while
 * its timer is still expired: the physical INTID is
 * deactivated, and the next sync_hw must make it active again (the line
 * is high), or EL2 takes the guest's timer interrupt in a loop.
 */
static void test_t9_dir_line_high_reactivates(void **state)
{
	struct seen s;

	(void)state;
	dist_enable();
	gicr_w(0, R_SGI + ISENABLER, 1U << TIMER);
	vc(0)->st.vtimer.ctl = CTL_ENABLE;
	vcpu_load(vc(0));
	run_take(vc(0), &s, false);
	assert_true(fake_irq_active(0, FAKE_VTIMER_PPI));
	vgic_deactivate(vc(0), TIMER); /* trapped DIR */
	assert_false(priv_bit(0, ISACTIVER, TIMER));
	vgic_sync_hw(vc(0));
	assert_true(fake_irq_active(0, FAKE_VTIMER_PPI));
}

/* The same through the guest's ICACTIVER write. */
static void test_t9_icactiver_line_high_reactivates(void **state)
{
	struct seen s;

	(void)state;
	dist_enable();
	gicr_w(0, R_SGI + ISENABLER, 1U << TIMER);
	vc(0)->st.vtimer.ctl = CTL_ENABLE;
	vcpu_load(vc(0));
	run_take(vc(0), &s, false);
	assert_true(priv_bit(0, ISACTIVER, TIMER));
	assert_true(fake_irq_active(0, FAKE_VTIMER_PPI));
	gicr_w(0, R_SGI + ICACTIVER, 1U << TIMER);
	assert_false(priv_bit(0, ISACTIVER, TIMER));
	vgic_sync_hw(vc(0));
	assert_true(fake_irq_active(0, FAKE_VTIMER_PPI));
}

/*
 * T9: ISACTIVER of another vCPU's mapped PPI (through its
 * redistributor) concerns that vCPU's timer, not the physical PPI of the
 * pCPU the writer runs on (which belongs to the writer's own timer).
 */
static void test_t9_isactiver_other_vcpu(void **state)
{
	(void)state;
	vcpu_load(vc(0));
	gicr_w(1, R_SGI + ISACTIVER, 1U << TIMER);
	assert_true(priv_bit(1, ISACTIVER, TIMER));
	assert_false(priv_bit(0, ISACTIVER, TIMER));
	assert_false(fake_irq_active(0, FAKE_VTIMER_PPI));
	gicr_w(1, R_SGI + ICACTIVER, 1U << TIMER);
	vgic_sync_hw(vc(0));
	assert_false(fake_irq_active(0, FAKE_VTIMER_PPI));
}

static void test_t9_release_hw(void **state)
{
	unsigned int calls;

	(void)state;
	vcpu_load(vc(0));
	vgic_set_line(vc(0), TIMER, true);
	vgic_sync_hw(vc(0));
	assert_true(fake_irq_active(0, FAKE_VTIMER_PPI));
	calls = fake_set_active_calls();
	vgic_sync_hw(vc(0)); /* no change: no hardware write */
	assert_int_equal(fake_set_active_calls(), calls);
	vgic_release_hw(vc(0));
	assert_false(fake_irq_active(0, FAKE_VTIMER_PPI));
	/* Loaded again with the line still high: taken again. */
	vgic_sync_hw(vc(0));
	assert_true(fake_irq_active(0, FAKE_VTIMER_PPI));
	vgic_release_hw(vc(0));
	assert_false(fake_irq_active(0, FAKE_VTIMER_PPI));
}

/* ---- QEMU's GICv2 model: mapped PPIs listed without the HW bit ---- */

static int setup_v2_qemu(void **state)
{
	(void)state;
	make_vm(2, 4);
	/* The VM's vGIC learns it from the chip when it is made. */
	irq_chip_register(&fake_irqchip_v2_qemu);
	assert_false(vm->vgic.ppi_sw_deact);
	vgic_vm_init(vm, 2);
	assert_true(vm->vgic.ppi_sw_deact);
	return 0;
}

/*
 * The guest takes the timer interrupt, listed pending without the HW bit
 * and with a maintenance interrupt at its EOI, and EOIs it: the physical
 * PPI stays active (Kairos's to deactivate) and the EOI asks for the exit.
 */
static void eoi_demoted_timer(struct vcpu *v, void *arg)
{
	struct seen *s = arg;
	int k = fake_vgic_find(TIMER);

	assert_true(k >= 0);
	assert_false(fake_vgic_lr((unsigned int)k)->hw);
	assert_true(fake_vgic_lr((unsigned int)k)->eoi_maint);
	assert_true(fake_vgic_lr((unsigned int)k)->pending);
	s->phys_active_at_entry = fake_irq_active(0, FAKE_VTIMER_PPI);
	assert_int_equal(fake_vgic_guest_ack(), TIMER);
	s->nr++;
	if (s->also)
		s->also(v);
	fake_vgic_guest_eoi(TIMER);
	assert_true(fake_irq_active(0, FAKE_VTIMER_PPI));
	s->maint_after_eoi = fake_vgic_maintenance();
}

/*
 * With irqchip.ppi_eoi_unsignalled, a timer whose line stays high through
 * the guest's EOI is taken again at the entry after the EOI's exit, once
 * per EOI; when its line drops, Kairos deactivates the physical PPI.
 */
static void test_unsignalled_eoi_mapped_ppi(void **state)
{
	struct seen s = { 0 };

	(void)state;
	dist_enable();
	gicd_w(vc(0), ISENABLER, 1U << TIMER);
	vc(0)->st.vtimer.ctl = CTL_ENABLE;
	vc(0)->st.vtimer.cval = 0;
	vcpu_load(vc(0));
	for (unsigned int r = 1; r <= 3; r++) {
		run(vc(0), eoi_demoted_timer, &s);
		assert_int_equal(s.nr, r);
		assert_true(s.phys_active_at_entry);
		assert_true(s.maint_after_eoi);
		vgic_sync_hw(vc(0));
		assert_true(fake_irq_active(0, FAKE_VTIMER_PPI));
	}
	/* The handler masks its timer: the line drops, nothing more. */
	s.also = timer_mask;
	run(vc(0), eoi_demoted_timer, &s);
	assert_int_equal(s.nr, 4);
	vgic_sync_hw(vc(0));
	assert_false(fake_irq_active(0, FAKE_VTIMER_PPI));
	s.also = NULL;
	run_take(vc(0), &s, true);
	assert_int_equal(s.nr, 0);
	vcpu_put(vc(0));
	assert_false(fake_irq_active(0, FAKE_VTIMER_PPI));
}

#define T(fn, s) cmocka_unit_test_setup_teardown(fn, s, util_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_level_pending_is_latch_or_line, setup_v3),
		T(test_edge_rising_line_latches, setup_v3),
		T(test_level_ppi_pending_while_disabled, setup_v3),
		T(test_has_pending, setup_v3),
		T(test_mark_requires_vgic_lock, setup_v3),
		T(test_t16_fill_active_first_then_priority, setup_v3),
		T(test_t16_overflow_highest_first, setup_v3),
		T(test_fold_acked_becomes_active, setup_v3),
		T(test_fold_untaken_stays_pending, setup_v3),
		T(test_fold_eoied_is_gone, setup_v3),
		T(test_fold_injection_during_run_kept, setup_v3),
		T(test_fold_injection_while_pending_coalesces, setup_v3),
		T(test_t16_eoicount_deactivates_highest_unlisted, setup_v3),
		T(test_t16_deactivate_unlisted, setup_v3),
		T(test_t11_level_resampled, setup_v3),
		T(test_sgi1r_routing, setup_v3),
		T(test_sgi1r_every_list, setup_v3),
		T(test_sgir_filters_v2, setup_v2),
		T(test_sgir_every_list_v2, setup_v2),
		T(test_sgi_v2_several_sources, setup_v2),
		T(test_regs_read_only_ignore_writes, setup_v3),
		T(test_regs_ipriorityr_bytes, setup_v3),
		T(test_regs_irouter, setup_v3),
		T(test_regs_redist_typer, setup_v3),
		T(test_regs_waker, setup_v3),
		T(test_regs_itargetsr_v2, setup_v2),
		T(test_regs_itargetsr_absent_v2_small, NULL),
		T(test_t9_sync_hw_follows_line, setup_v3),
		T(test_t9_hw_lr_physical_active, setup_v3),
		T(test_t9_eoi_line_still_high, setup_v3),
		T(test_t9_dir_line_high_reactivates, setup_v3),
		T(test_t9_icactiver_line_high_reactivates, setup_v3),
		T(test_t9_isactiver_other_vcpu, setup_v3),
		T(test_t9_release_hw, setup_v3),
		T(test_unsignalled_eoi_mapped_ppi, setup_v2_qemu),
		T(test_passthrough_dropped_line_withdrawn, setup_v3),
		T(test_passthrough_dropped_line_withdrawn, setup_v2),
		T(test_passthrough_high_line_taken_once, setup_v3),
		T(test_passthrough_high_line_taken_once, setup_v2),
		T(test_passthrough_edge_not_trapped, setup_v3),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
