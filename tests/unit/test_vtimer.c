// SPDX-License-Identifier: MIT
/*
 * core/vtimer.c against the timer invariants of docs/time-invariants.md that a
 * host simulation can check (tests named tN_ after them), on VMs made by
 * vm_create_all() (tests/unit/util.c) and the fake hardware: a simulated
 * counter, one EL1 virtual timer per fake pCPU whose ISTATUS follows the
 * counter and CNTVOFF, the EL2 timer multiplexed by core/timerq, the fake
 * GIC with list registers, and scripted guest runs.
 *
 * The guest's view of an interrupt is what it acknowledges from the list
 * registers during a run (fake_vgic_guest_ack()); "exactly one" is counted
 * over every run until the guest has handled it and reprogrammed its
 * timer, so a second copy (a latch left behind) shows too.
 */
#include <arch/cpu.h>
#include <arch/timer.h>
#include <kairos/cpu.h>
#include <kairos/irq.h>
#include <kairos/profile_virt.h>
#include <kairos/run.h>
#include <kairos/sched.h>
#include <kairos/time.h>
#include <kairos/vdev.h>
#include <kairos/vgic.h>
#include <kairos/vmmio.h>
#include <kairos/vtimer.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

/* cmocka.h needs <setjmp.h>, <stdarg.h> and <stddef.h> first. */
#include <cmocka.h>

#include "fake.h"
#include "util.h"

/* CNTV_CTL_EL0 (Arm ARM D13.8.x): ENABLE, IMASK, ISTATUS (read-only). */
#define CTL_ENABLE (1UL << 0)
#define CTL_IMASK (1UL << 1)
#define CTL_ISTATUS (1UL << 2)

#define TIMER VTIMER_INTID
#define CPU_OFF 0x84000002U
#define CPU_ON 0x84000003U
#define ENTRY1 0x40200000UL
/* Guest runs last this long unless a test says otherwise. */
#define RUN_TICKS 100U
/* Where a guest programs its timer: this far ahead of its virtual count. */
#define AHEAD 5000U
/* GICR_ISENABLER0 of vCPU @t (SGI_base page, 128 KiB per vCPU). */
#define GICR_ISENABLER0(t) \
	(VIRT_GICR + (uint64_t)(t)*VIRT_GICR_STRIDE + 0x10000 + 0x100)

/* ---- The system ---- */

/* The EL2 timer interrupt, as boot/main.c installs it. */
static void hyp_timer_irq(void *arg)
{
	(void)arg;
	timerq_expire(&cpu_current()->timerq);
}

/* Interrupts of the GIC: the IRQ vector (arch/aarch64/exception.c). */
static void gic_irq(void *arg)
{
	(void)arg;
	irq_handle();
}

/* @nr_cpus pCPUs; the vtimer PPI handled as boot does. */
static void sys_setup(unsigned int nr_cpus)
{
	util_setup(nr_cpus);
	vtimer_init(FAKE_VTIMER_PPI);
	fake_set_timer_irq(hyp_timer_irq, NULL);
	fake_set_gic_irq(gic_irq, NULL);
}

static int setup(void **state)
{
	(void)state;
	sys_setup(2);
	return 0;
}

/* What a guest writes: distributor groups on, its timer PPI enabled. */
static void guest_gic_on(struct vcpu *v)
{
	uint64_t val = 3;

	assert_int_equal(vmmio_access(v, VIRT_GICD, true, 4, &val), MMIO_OK);
	val = 1U << TIMER;
	assert_int_equal(vmmio_access(v, GICR_ISENABLER0(v->id), true, 4, &val),
			 MMIO_OK);
}

/* VMs made as boot makes them; every vCPU's GIC set up by its guest. */
static void create(void)
{
	util_create();
	for (unsigned int i = 0; i < vm_count; i++)
		for (unsigned int k = 0; k < vms[i].nr_vcpus; k++)
			guest_gic_on(&vms[i].vcpus[k]);
	/* Their virtual counts have moved off zero: "past" exists. */
	fake_counter_advance(AHEAD);
}

/* One VM "a" of @nr vCPUs on pCPUs @pcpu (NULL: all on CPU0). */
static struct vm *one_vm(unsigned int nr, const unsigned int *pcpu)
{
	util_vm_add("a", nr, pcpu, 1);
	create();
	return &vms[0];
}

/* The virtual count @v's guest reads now. */
static uint64_t vct(const struct vcpu *v)
{
	return fake_counter_peek() - v->vm->cntvoff;
}

/* Switch this pCPU to @v, as the scheduler's switch_to() does. */
static void load(struct vcpu *v)
{
	arch_cpu_set_current(&cpus[v->pcpu]);
	vcpu_load(v);
	cpus[v->pcpu].loaded = v;
}

static void put(struct vcpu *v)
{
	arch_cpu_set_current(&cpus[v->pcpu]);
	/* A script may end with it in its guest: folded, as the loop would. */
	run_settle(v);
	vcpu_put(v);
	cpus[v->pcpu].loaded = NULL;
}

/* The guest's timer PPI is pending or its line high in the vGIC model. */
static bool ppi_asserted(const struct vcpu *v)
{
	return v->st.vgic.priv[TIMER].flags & (VGIC_LINE | VGIC_LATCH);
}

/* ---- Guests ---- */

/*
 * What the guest of one vCPU saw: timer interrupts acknowledged, other
 * interrupts, and whether the timer was loaded in the hardware of the pCPU
 * it ran on (CNTVOFF, CVAL, CTL as saved) when it ran.
 */
struct seen {
	unsigned int timer_irqs, other_irqs, runs;
	bool hw_ok; /* every run */
	bool hw_lr; /* the timer's LR was hardware-mapped to the PPI */
	uint64_t ctl_at_irq;
};

static struct seen seen[KAIROS_MAX_VMS][KAIROS_MAX_VCPUS];

static struct seen *seen_of(const struct vcpu *v)
{
	return &seen[v->vm->id][v->id];
}

/*
 * A guest's timer handler: acknowledge everything listed; for its timer,
 * check that the timer condition holds (ISTATUS, unmasked, as a Linux
 * handler would find it), then move the timer far ahead and EOI.
 */
static void guest_handle(struct vcpu *v, void *arg)
{
	struct seen *s = seen_of(v);
	uint32_t id;

	(void)arg;
	s->runs++;
	s->hw_ok = s->hw_ok && fake_vtimer_cntvoff() == v->vm->cntvoff;
	while ((id = fake_vgic_guest_ack()) != IRQ_SPURIOUS) {
		if (id != TIMER) {
			s->other_irqs++;
			fake_vgic_guest_eoi(id);
			continue;
		}
		int k = fake_vgic_find(TIMER);

		assert_true(k >= 0);
		s->hw_lr = fake_vgic_lr((unsigned int)k)->hw &&
			   fake_vgic_lr((unsigned int)k)->hw_intid ==
				   FAKE_VTIMER_PPI;
		s->timer_irqs++;
		s->ctl_at_irq = fake_vtimer_ctl();
		fake_vtimer_set(CTL_ENABLE, UINT64_MAX);
		fake_vgic_guest_eoi(TIMER);
	}
}

/* A guest that programs its timer AHEAD ticks ahead (CVAL). */
static void guest_arm(struct vcpu *v, void *arg)
{
	(void)arg;
	guest_handle(v, NULL);
	fake_vtimer_set(CTL_ENABLE, vct(v) + AHEAD);
}

static void clear_seen(void)
{
	memset(seen, 0, sizeof(seen));
	for (unsigned int i = 0; i < KAIROS_MAX_VMS; i++)
		for (unsigned int k = 0; k < KAIROS_MAX_VCPUS; k++)
			seen[i][k].hw_ok = true;
}

/* One guest run of the loaded @v doing @guest; the exit is a YIELD. */
static void run(struct vcpu *v, fake_guest_fn guest)
{
	arch_cpu_set_current(&cpus[v->pcpu]);
	/* An injection kicked this pCPU: that would bounce the entry. */
	cpus[v->pcpu].resched = 0;
	fake_vcpu_push_guest(FAKE_EXIT_YIELD, RUN_TICKS, guest, NULL, NULL);
	assert_int_equal(run_vcpu(v), VEXIT_YIELD);
	assert_int_equal(fake_vcpu_pending(), 0);
}

/* Run @v twice: the interrupts it takes, until handled, are all it gets. */
static unsigned int timer_irqs_over_two_runs(struct vcpu *v)
{
	clear_seen();
	run(v, guest_handle);
	run(v, guest_handle);
	return seen_of(v)->timer_irqs;
}

/* ---- T1: the backup deadline only wakes ---- */

/* Everything the backup expiry must leave alone, of every vCPU and pCPU. */
struct snapshot {
	struct vcpu_vtimer vt[KAIROS_MAX_VMS][KAIROS_MAX_VCPUS];
	struct vgic_cpu vgic[KAIROS_MAX_VMS][KAIROS_MAX_VCPUS];
	struct vgic_irq spi[KAIROS_MAX_VMS][VGIC_NR_SPIS];
	struct vgic_lr lr[KAIROS_MAX_CPUS][FAKE_NR_LRS];
	uint64_t hw_ctl[KAIROS_MAX_CPUS];
};

static void snap(struct snapshot *s)
{
	struct cpu *here = cpu_current();

	memset(s, 0, sizeof(*s));
	for (unsigned int i = 0; i < vm_count; i++) {
		for (unsigned int k = 0; k < vms[i].nr_vcpus; k++) {
			s->vt[i][k] = vms[i].vcpus[k].st.vtimer;
			s->vgic[i][k] = vms[i].vcpus[k].st.vgic;
		}
		memcpy(s->spi[i], vms[i].vgic.spi, sizeof(s->spi[i]));
	}
	for (unsigned int c = 0; c < cpu_count; c++) {
		arch_cpu_set_current(&cpus[c]);
		for (unsigned int k = 0; k < FAKE_NR_LRS; k++)
			s->lr[c][k] = *fake_vgic_lr(k);
		s->hw_ctl[c] = fake_vtimer_ctl_on(c) & (CTL_ENABLE | CTL_IMASK);
	}
	arch_cpu_set_current(here);
}

static bool irq_same(const struct vgic_irq *x, const struct vgic_irq *y)
{
	return x->flags == y->flags && x->priority == y->priority &&
	       x->lr_owner == y->lr_owner && x->targets == y->targets &&
	       x->sgi_sources == y->sgi_sources &&
	       x->active_source == y->active_source && x->lr == y->lr &&
	       x->hw_intid == y->hw_intid && x->route == y->route;
}

static bool lr_same(const struct vgic_lr *x, const struct vgic_lr *y)
{
	return x->intid == y->intid && x->hw_intid == y->hw_intid &&
	       x->priority == y->priority && x->source == y->source &&
	       x->pending == y->pending && x->active == y->active &&
	       x->group1 == y->group1 && x->hw == y->hw &&
	       x->eoi_maint == y->eoi_maint;
}

static bool vgic_cpu_same(const struct vgic_cpu *x, const struct vgic_cpu *y)
{
	for (unsigned int i = 0; i < VGIC_NR_PRIVATE; i++)
		if (!irq_same(&x->priv[i], &y->priv[i]))
			return false;
	return x->hw_active == y->hw_active && x->lr_latched == y->lr_latched &&
	       x->nr_lrs_used == y->nr_lrs_used;
}

/* Which part of the state differs, or NULL. */
static const char *snap_diff(const struct snapshot *x, const struct snapshot *y)
{
	for (unsigned int i = 0; i < vm_count; i++) {
		for (unsigned int k = 0; k < vms[i].nr_vcpus; k++) {
			if (x->vt[i][k].ctl != y->vt[i][k].ctl ||
			    x->vt[i][k].cval != y->vt[i][k].cval)
				return "a saved guest timer";
			if (!vgic_cpu_same(&x->vgic[i][k], &y->vgic[i][k]))
				return "a vCPU's vGIC state";
		}
		for (unsigned int n = 0; n < VGIC_NR_SPIS; n++)
			if (!irq_same(&x->spi[i][n], &y->spi[i][n]))
				return "an SPI";
	}
	for (unsigned int c = 0; c < cpu_count; c++) {
		for (unsigned int k = 0; k < FAKE_NR_LRS; k++)
			if (!lr_same(&x->lr[c][k], &y->lr[c][k]))
				return "a list register";
		if (x->hw_ctl[c] != y->hw_ctl[c])
			return "a hardware timer CTL";
	}
	return NULL;
}

static unsigned int backup_wakes;

/*
 * The EL2 timer interrupt, checked: what it runs (the backup expiry among
 * them) changes no guest timer, vGIC state or list register; it may only
 * make a vCPU ready.
 */
static void checked_hyp_timer_irq(void *arg)
{
	static struct snapshot before, after;
	enum vcpu_run was[KAIROS_MAX_VMS][KAIROS_MAX_VCPUS] = { 0 };
	const char *what;

	(void)arg;
	for (unsigned int i = 0; i < vm_count; i++)
		for (unsigned int k = 0; k < vms[i].nr_vcpus; k++)
			was[i][k] = vms[i].vcpus[k].run;
	snap(&before);
	timerq_expire(&cpu_current()->timerq);
	snap(&after);
	what = snap_diff(&before, &after);
	if (what)
		fail_msg("T1: the EL2 timer's expiry path wrote %s", what);
	for (unsigned int i = 0; i < vm_count; i++)
		for (unsigned int k = 0; k < vms[i].nr_vcpus; k++)
			backup_wakes += was[i][k] == VCPU_RUN_BLOCKED &&
					vms[i].vcpus[k].run == VCPU_RUN_READY;
}

static int setup_t1(void **state)
{
	(void)state;
	sys_setup(1);
	fake_set_timer_irq(checked_hyp_timer_irq, NULL);
	backup_wakes = 0;
	return 0;
}

/* VMs "a" and "b", one vCPU each on pCPU0, of equal priority. */
static void two_vms(struct vcpu **a, struct vcpu **b)
{
	util_vm_add("a", 1, NULL, 1);
	util_vm_add("b", 1, NULL, 1);
	create();
	*a = &vms[0].vcpus[0];
	*b = &vms[1].vcpus[0];
}

/*
 * While a's vCPU waits in WFI, put (b runs), its timer's deadline passes
 * and the backup wakes it; the expiry writes nothing (checked in the
 * interrupt), and a's first run shows its interrupt exactly once.
 */
static void test_t1_backup_only_wakes_put_vcpu(void **state)
{
	struct vcpu *a, *b;

	(void)state;
	two_vms(&a, &b);
	clear_seen();
	fake_vcpu_push_guest(FAKE_EXIT_WFI, RUN_TICKS, guest_arm, NULL, NULL);
	/* b runs past a's deadline, then waits for ever (no timer). */
	fake_vcpu_push_guest(FAKE_EXIT_YIELD, AHEAD / 2, guest_handle, NULL,
			     NULL);
	fake_vcpu_push_guest(FAKE_EXIT_WFI, AHEAD / 2, guest_handle, NULL,
			     NULL);
	fake_vcpu_push_guest(FAKE_EXIT_YIELD, RUN_TICKS, guest_handle, NULL,
			     NULL);
	fake_vcpu_push_guest(FAKE_EXIT_YIELD, RUN_TICKS, guest_handle, NULL,
			     NULL);
	fake_vcpu_run_script(run_loop);
	assert_int_equal(fake_vcpu_runs(), 5);
	assert_ptr_equal(fake_vcpu_ran(0), a);
	assert_ptr_equal(fake_vcpu_ran(1), b);
	assert_ptr_equal(fake_vcpu_ran(2), b);
	assert_ptr_equal(fake_vcpu_ran(3), a);
	assert_ptr_equal(fake_vcpu_ran(4), a);
	assert_int_equal(backup_wakes, 1);
	assert_int_equal(seen_of(a)->timer_irqs, 1);
	assert_true(seen_of(a)->hw_lr);
	assert_int_equal(seen_of(b)->timer_irqs, 0);
	assert_int_equal(seen_of(a)->other_irqs + seen_of(b)->other_irqs, 0);
	assert_true(seen_of(a)->hw_ok && seen_of(b)->hw_ok);
}

/*
 * As above, but a's VM is paused while a waits: the backup fires, a
 * stays unrun and its state untouched (no pending PPI in the model); on
 * resume a's first run shows exactly one interrupt.
 */
static void test_t1_backup_only_wakes_paused_vm(void **state)
{
	struct vcpu *a, *b;
	struct vcpu_vtimer saved;

	(void)state;
	two_vms(&a, &b);
	clear_seen();
	fake_vcpu_push_guest(FAKE_EXIT_WFI, RUN_TICKS, guest_arm, NULL, NULL);
	fake_vcpu_push_guest(FAKE_EXIT_YIELD, RUN_TICKS, guest_handle, NULL,
			     NULL);
	fake_vcpu_run_script(run_loop);
	assert_int_equal(a->run, VCPU_RUN_BLOCKED);
	assert_true(a->backup.armed);
	vm_pause(a->vm, true);
	saved = a->st.vtimer;
	assert_int_equal(saved.ctl & (CTL_ENABLE | CTL_IMASK), CTL_ENABLE);
	/* b runs on past a's deadline. */
	for (unsigned int i = 0; i < 3; i++)
		fake_vcpu_push_guest(FAKE_EXIT_YIELD, AHEAD, guest_handle, NULL,
				     NULL);
	fake_vcpu_run_script(run_loop);
	assert_int_equal(fake_vcpu_runs(), 5);
	for (unsigned int i = 1; i < 5; i++)
		assert_ptr_equal(fake_vcpu_ran(i), b);
	assert_int_equal(backup_wakes, 1);
	assert_memory_equal(&a->st.vtimer, &saved, sizeof(saved));
	assert_false(ppi_asserted(a));
	assert_false(vgic_has_pending(a));
	assert_int_equal(seen_of(a)->timer_irqs, 0);
	/* Resumed: one interrupt at a's first entry, then none. */
	vm_pause(a->vm, false);
	put(b);
	load(a);
	assert_int_equal(timer_irqs_over_two_runs(a), 1);
}

/*
 * Direct: a put vCPU's backup expiry (deadline reached, interrupts taken
 * as the hardware would) writes nothing; the vGIC has nothing pending for
 * it until it is loaded; then exactly one interrupt.
 */
static void test_t1_backup_expiry_writes_nothing(void **state)
{
	struct vcpu *a, *b;
	struct vcpu_vtimer saved;

	(void)state;
	two_vms(&a, &b);
	load(a);
	fake_vtimer_set(CTL_ENABLE, vct(a) + AHEAD);
	a->run = VCPU_RUN_BLOCKED;
	assert_true(vtimer_arm_backup(a));
	put(a);
	saved = a->st.vtimer;
	load(b);
	fake_counter_advance(AHEAD);
	arch_irq_enable();
	arch_irq_disable();
	assert_int_equal(backup_wakes, 1);
	assert_int_equal(a->run, VCPU_RUN_READY);
	assert_memory_equal(&a->st.vtimer, &saved, sizeof(saved));
	assert_false(ppi_asserted(a));
	assert_false(vgic_has_pending(a));
	assert_int_equal(fake_vgic_find(TIMER), -1); /* b's LRs: not a's */
	put(b);
	load(a);
	assert_int_equal(timer_irqs_over_two_runs(a), 1);
}

/* ---- T2: the line is derived, never restored ---- */

/* @v's saved timer is @ctl/@cval; load it and count what two runs see. */
static unsigned int irqs_after_restore(struct vcpu *v, uint64_t ctl,
				       uint64_t cval)
{
	unsigned int n;

	v->st.vtimer.ctl = ctl;
	v->st.vtimer.cval = cval;
	load(v);
	n = timer_irqs_over_two_runs(v);
	/* Kairos never writes the guest's IMASK (the guest did not either). */
	if (!n)
		assert_int_equal(fake_vtimer_ctl() & CTL_IMASK,
				 ctl & CTL_IMASK);
	return n;
}

static void test_t2_line_derived_not_restored(void **state)
{
	struct vcpu *v;

	(void)state;
	v = &one_vm(1, NULL)->vcpus[0];
	/* A stored ISTATUS with CVAL in the future: ignored. */
	assert_int_equal(irqs_after_restore(v, CTL_ENABLE | CTL_ISTATUS,
					    vct(v) + AHEAD),
			 0);
	assert_false(ppi_asserted(v));
	put(v);
	/* CVAL in the past, unmasked, ISTATUS stored clear: one. */
	assert_int_equal(irqs_after_restore(v, CTL_ENABLE, vct(v) - 1), 1);
	put(v);
	/* Past but masked, or disabled (ISTATUS stored set): none. */
	assert_int_equal(irqs_after_restore(v,
					    CTL_ENABLE | CTL_IMASK |
						    CTL_ISTATUS,
					    vct(v) - 1),
			 0);
	put(v);
	assert_int_equal(irqs_after_restore(v, CTL_ISTATUS, 0), 0);
	put(v);
}

/*
 * The line is derived before every entry, not only at load: a vCPU still
 * loaded when its timer expires (it waited in WFI, alone on its pCPU)
 * sees the interrupt at its next run, once.
 */
static void test_t2_line_derived_before_every_entry(void **state)
{
	struct vcpu *v;

	(void)state;
	v = &one_vm(1, NULL)->vcpus[0];
	load(v);
	clear_seen();
	run(v, guest_arm);
	assert_false(ppi_asserted(v));
	fake_counter_advance(AHEAD);
	/* No interrupt is taken meanwhile: only the entry can see it. */
	clear_seen();
	run(v, guest_handle);
	assert_int_equal(seen_of(v)->timer_irqs, 1);
	assert_false(seen_of(v)->ctl_at_irq & CTL_IMASK);
	assert_true(seen_of(v)->ctl_at_irq & CTL_ISTATUS);
	run(v, guest_handle);
	assert_int_equal(seen_of(v)->timer_irqs, 1);
}

/* ---- T4: early backup expiry re-arms ---- */

/*
 * @v blocks in WFI with its timer AHEAD ticks ahead (loaded or put);
 * returns the physical count of its deadline.
 */
static uint64_t block_with_timer(struct vcpu *v, bool then_put)
{
	uint64_t deadline;

	load(v);
	fake_vtimer_set(CTL_ENABLE, vct(v) + AHEAD);
	deadline = fake_counter_peek() + AHEAD;
	v->run = VCPU_RUN_BLOCKED;
	assert_true(vtimer_arm_backup(v));
	assert_true(v->backup.armed);
	assert_int_equal(v->backup.deadline, deadline);
	if (then_put)
		put(v);
	return deadline;
}

/*
 * The backup entry is found due @early ticks before the deadline (a
 * coarse timer, or a deadline computed from a stale CNTVOFF): it must not
 * wake @v, and must be armed again at @deadline.
 */
static void fire_early(struct vcpu *v, uint64_t deadline, uint64_t early)
{
	struct timerq *q = &cpus[v->pcpu].timerq;

	timerq_arm(q, &v->backup, deadline - early);
	cpus[v->pcpu].resched = 0;
	fake_counter_set(deadline - early);
	timerq_expire(q);
	assert_int_equal(v->run, VCPU_RUN_BLOCKED);
	assert_int_equal(cpus[v->pcpu].resched, 0);
	assert_true(v->backup.armed);
	assert_int_equal(v->backup.deadline, deadline);
	assert_true(fake_hyp_enabled());
	assert_int_equal(fake_hyp_cval(), deadline);
	/* At the deadline it wakes. */
	fake_counter_set(deadline);
	timerq_expire(q);
	assert_int_equal(v->run, VCPU_RUN_READY);
	assert_false(v->backup.armed);
}

static void test_t4_early_backup_expiry_rearms_put(void **state)
{
	struct vcpu *v;
	uint64_t deadline;

	(void)state;
	v = &one_vm(1, NULL)->vcpus[0];
	deadline = block_with_timer(v, true);
	fire_early(v, deadline, 1);
	load(v);
	assert_int_equal(timer_irqs_over_two_runs(v), 1);
}

/* The same while @v is still the loaded vCPU of its pCPU. */
static void test_t4_early_backup_expiry_rearms_loaded(void **state)
{
	struct vcpu *v;
	uint64_t deadline;

	(void)state;
	v = &one_vm(1, NULL)->vcpus[0];
	deadline = block_with_timer(v, false);
	fire_early(v, deadline, 1);
	assert_int_equal(timer_irqs_over_two_runs(v), 1);
}

/* Much too early (the EL2 timer's interrupt taken long before CVAL). */
static void test_t4_early_backup_expiry_far_ahead(void **state)
{
	struct vcpu *v;
	uint64_t deadline;

	(void)state;
	v = &one_vm(1, NULL)->vcpus[0];
	deadline = block_with_timer(v, true);
	fire_early(v, deadline, AHEAD - 1);
}

/*
 * A backup whose vCPU's timer cannot fire any more (its state was reset
 * by CPU_ON meanwhile: ENABLE clear) wakes nothing and is not re-armed.
 */
static void test_t4_backup_of_disabled_timer_is_dropped(void **state)
{
	struct vcpu *v;
	uint64_t deadline;

	(void)state;
	v = &one_vm(1, NULL)->vcpus[0];
	deadline = block_with_timer(v, true);
	v->st.vtimer.ctl = 0;
	cpus[0].resched = 0;
	fake_counter_set(deadline);
	timerq_expire(&cpus[0].timerq);
	assert_int_equal(v->run, VCPU_RUN_BLOCKED);
	assert_false(v->backup.armed);
	assert_int_equal(cpus[0].resched, 0);
}

/* ---- T5: modular arithmetic ---- */

/* @v blocks with its timer at @cval; true if a backup was armed. */
static bool block_at(struct vcpu *v, uint64_t cval)
{
	load(v);
	fake_vtimer_set(CTL_ENABLE, cval);
	v->run = VCPU_RUN_BLOCKED;
	return vtimer_arm_backup(v);
}

/* CVAL near 2^64: the deadline saturates at "never", it does not wrap. */
static void test_t5_cval_near_2_64_saturates(void **state)
{
	static const uint64_t cvals[] = { UINT64_MAX, UINT64_MAX - 1,
					  UINT64_MAX - FAKE_COUNTER_START };
	struct vcpu *v;

	(void)state;
	v = &one_vm(1, NULL)->vcpus[0];
	for (unsigned int i = 0; i < 3; i++) {
		assert_true(block_at(v, cvals[i]));
		assert_true(v->backup.armed);
		/* The count reaches it only after 2^64: never. */
		assert_int_equal(v->backup.deadline, UINT64_MAX);
		fake_counter_advance(1ULL << 40);
		timerq_expire(&cpus[0].timerq);
		assert_int_equal(v->run, VCPU_RUN_BLOCKED);
		put(v);
	}
}

/* cval = 1 with the virtual count at 2: expired, no backup, one IRQ. */
static void test_t5_cval_1_count_2(void **state)
{
	struct vcpu *v;

	(void)state;
	v = &one_vm(1, NULL)->vcpus[0];
	v->vm->cntvoff = fake_counter_peek() - 2;
	assert_false(block_at(v, 1));
	assert_false(v->backup.armed);
	assert_int_equal(timer_irqs_over_two_runs(v), 1);
}

/*
 * CNTVOFF above the physical count (the guest's virtual time ahead of the
 * host's physical time, as after resuming a checkpoint on a host booted
 * since): the virtual count is CNTPCT - CNTVOFF modulo 2^64, and a timer
 * 1000 ticks ahead is due 1000 ticks from now, not "never".
 */
static void test_t5_cntvoff_large(void **state)
{
	static const uint64_t fixed[] = { 1ULL << 63, UINT64_MAX - 5000 };
	struct vcpu *v;

	(void)state;
	v = &one_vm(1, NULL)->vcpus[0];
	for (unsigned int i = 0; i < 3; i++) {
		uint64_t now = fake_counter_peek();
		/* The last: virtual time just ahead of physical time. */
		uint64_t vnow = i < 2 ? fixed[i] : now + 12345;

		v->vm->cntvoff = now - vnow;
		assert_true(v->vm->cntvoff > now);
		assert_true(block_at(v, vnow + 1000));
		assert_int_equal(v->backup.deadline, now + 1000);
		fake_counter_advance(999);
		timerq_expire(&cpus[0].timerq);
		assert_int_equal(v->run, VCPU_RUN_BLOCKED);
		fake_counter_advance(1);
		timerq_expire(&cpus[0].timerq);
		assert_int_equal(v->run, VCPU_RUN_READY);
		assert_int_equal(timer_irqs_over_two_runs(v), 1);
		put(v);
	}
}

/*
 * The counter moved behind CVAL while the vCPU was put (its VM's
 * CNTVOFF raised, as a restore with paused time does): the old backup is
 * early, re-arms at the new deadline and wakes nothing; at load there is
 * no interrupt. Moved ahead past CVAL: one interrupt at load.
 */
static void test_t5_counter_moved_behind_cval(void **state)
{
	struct vcpu *v;
	uint64_t deadline;

	(void)state;
	v = &one_vm(1, NULL)->vcpus[0];
	deadline = block_with_timer(v, true);
	v->vm->cntvoff += 3000;
	fake_counter_set(deadline);
	timerq_expire(&cpus[0].timerq);
	assert_int_equal(v->run, VCPU_RUN_BLOCKED);
	assert_true(v->backup.armed);
	assert_int_equal(v->backup.deadline, deadline + 3000);
	load(v);
	assert_false(v->backup.armed);
	assert_int_equal(timer_irqs_over_two_runs(v), 0);
	/* Its timer is still there: the counter moved ahead, it fires. */
	put(v);
	v->st.vtimer.cval = vct(v) + 10;
	v->vm->cntvoff -= 20;
	load(v);
	assert_int_equal(timer_irqs_over_two_runs(v), 1);
}

/* ---- T6: one CNTVOFF per VM ---- */

static void hvc(struct vcpu *v, uint64_t x0, uint64_t x1, uint64_t x2)
{
	v->st.regs.x[0] = x0;
	v->st.regs.x[1] = x1;
	v->st.regs.x[2] = x2;
	vpsci_call(v);
}

/*
 * A VM's vCPUs on two pCPUs load the same CNTVOFF, the VM's; another VM
 * booted later has its own. PSCI CPU_ON, CPU_OFF and the vCPU resets they
 * make do not change it, nor what each pCPU loads.
 */
static void test_t6_one_cntvoff_per_vm(void **state)
{
	static const unsigned int pcpu[2] = { 0, 1 };
	struct vm *vm;
	uint64_t off;

	(void)state;
	fake_counter_set_step(7); /* every read moves the counter on */
	util_vm_add("a", 2, pcpu, 1);
	util_vm_add("b", 1, NULL, 1);
	create();
	vm = &vms[0];
	off = vm->cntvoff;
	assert_int_not_equal(vms[1].cntvoff, off);
	clear_seen();
	load(&vm->vcpus[0]);
	run(&vm->vcpus[0], guest_handle);
	hvc(&vm->vcpus[0], CPU_ON, 1, ENTRY1);
	assert_int_equal(vm->cntvoff, off);
	load(&vm->vcpus[1]);
	run(&vm->vcpus[1], guest_handle);
	assert_int_equal(fake_vtimer_cntvoff(), off);
	arch_cpu_set_current(&cpus[0]);
	assert_int_equal(fake_vtimer_cntvoff(), off);
	/* CPU_OFF and CPU_ON again: vCPU1 reset, the VM's time is not. */
	hvc(&vm->vcpus[1], CPU_OFF, 0, 0);
	arch_cpu_set_current(&cpus[1]);
	vcpu_discard(&vm->vcpus[1]);
	cpus[1].loaded = NULL;
	hvc(&vm->vcpus[0], CPU_ON, 1, ENTRY1);
	assert_int_equal(vm->cntvoff, off);
	load(&vm->vcpus[1]);
	run(&vm->vcpus[1], guest_handle);
	assert_int_equal(fake_vtimer_cntvoff(), off);
	/* Another VM's vCPU on pCPU0: its own offset while it runs there. */
	put(&vm->vcpus[0]);
	load(&vms[1].vcpus[0]);
	run(&vms[1].vcpus[0], guest_handle);
	assert_int_equal(fake_vtimer_cntvoff(), vms[1].cntvoff);
	put(&vms[1].vcpus[0]);
	load(&vm->vcpus[0]);
	run(&vm->vcpus[0], guest_handle);
	for (unsigned int i = 0; i < vm_count; i++)
		for (unsigned int k = 0; k < vms[i].nr_vcpus; k++)
			assert_true(seen[i][k].hw_ok);
	assert_int_equal(seen[0][0].runs + seen[0][1].runs + seen[1][0].runs,
			 5);
}

/* ---- T7: migration ---- */

/* A stray vtimer PPI at pCPU @cpu, taken as the hardware would. */
static void stray_ppi(unsigned int cpu)
{
	arch_cpu_set_current(&cpus[cpu]);
	fake_irq_raise(cpu, FAKE_VTIMER_PPI);
	arch_irq_enable();
	arch_irq_disable();
	/* Taken, dropped: deactivated, so the next one is taken too. */
	assert_false(fake_irq_active(cpu, FAKE_VTIMER_PPI));
}

/*
 * Put on pCPU0 (CTL 0 in its hardware, which can no longer fire), its
 * deadline passes, stray PPIs reach pCPU0 with nothing loaded and with
 * another VM's vCPU loaded: dropped. Loaded on pCPU1: CNTVOFF, CVAL, CTL
 * written there before anything reads them or the guest runs; exactly
 * one interrupt; IMASK never set by Kairos.
 */
static void test_t7_migrate_between_save_and_restore(void **state)
{
	struct vcpu *a, *b;
	struct vcpu_vtimer saved;

	(void)state;
	two_vms(&a, &b);
	load(a);
	clear_seen();
	run(a, guest_arm);
	put(a);
	saved = a->st.vtimer;
	assert_int_equal(saved.ctl & (CTL_ENABLE | CTL_IMASK), CTL_ENABLE);
	assert_false(fake_vtimer_ctl_on(0) & CTL_ENABLE);
	fake_counter_advance(AHEAD);
	assert_false(fake_vtimer_line());

	stray_ppi(0);
	load(b);
	stray_ppi(0);
	assert_false(fake_vtimer_ctl() & CTL_IMASK);
	assert_false(ppi_asserted(a));
	assert_false(ppi_asserted(b));
	assert_int_equal(a->run, VCPU_RUN_READY);
	assert_memory_equal(&a->st.vtimer, &saved, sizeof(saved));
	put(b);

	fake_vtimer_log_clear();
	fake_vcpu_log_clear();
	a->pcpu = 1;
	load(a);
	assert_int_equal(fake_vtimer_cntvoff(), a->vm->cntvoff);
	assert_int_equal(fake_vtimer_cval(), saved.cval);
	assert_int_equal(fake_vtimer_ctl() & (CTL_ENABLE | CTL_IMASK),
			 CTL_ENABLE);
	assert_int_equal(timer_irqs_over_two_runs(a), 1);
	assert_true(seen_of(a)->hw_ok);
	/* The timer hooks on pCPU1: load first, in order; nothing on 0. */
	assert_true(strncmp(fake_vtimer_log(), "cntvoff 1 cval 1 ctl 1 read 1",
			    29) == 0);
	assert_null(strstr(fake_vtimer_log(), " 0"));
	assert_true(strncmp(fake_vcpu_log(), "load 0.0 run 0.0", 16) == 0);
}

/*
 * The timer's PPI, taken at EL2 while its vCPU is loaded but not running
 * (waiting in WFI), stays active for the guest to deactivate. If that
 * vCPU is then put instead (another is switched in first), put must give
 * it back: else it stays active on the pCPU and the next vCPU's timer
 * interrupt is never taken (T7: nothing leaks to the next guest).
 */
static void test_t7_put_releases_ppi_taken_at_el2(void **state)
{
	struct vcpu *a, *b;

	(void)state;
	two_vms(&a, &b);
	load(a);
	clear_seen();
	run(a, guest_arm);
	a->run = VCPU_RUN_BLOCKED;
	assert_true(vtimer_arm_backup(a));
	fake_counter_advance(AHEAD);
	arch_irq_enable(); /* the PPI and the backup are taken */
	arch_irq_disable();
	assert_int_equal(a->run, VCPU_RUN_READY);
	assert_true(ppi_asserted(a));
	put(a);
	assert_false(fake_irq_active(0, FAKE_VTIMER_PPI));
	/* b's timer fires while b runs: taken at EL2 and injected into b. */
	load(b);
	run(b, guest_arm);
	fake_counter_advance(AHEAD);
	assert_true(fake_vtimer_line());
	arch_irq_enable();
	arch_irq_disable();
	assert_true(ppi_asserted(b));
	assert_int_equal(timer_irqs_over_two_runs(b), 1);
	put(b);
	/* a: exactly one, at its next entry. */
	load(a);
	assert_int_equal(timer_irqs_over_two_runs(a), 1);
}

/* ---- T11: a line lowered by a guest with IRQs masked ---- */

/* What the guest of the T11 tests found during its last run. */
static struct {
	bool trapping;      /* its timer accesses trapped */
	bool listed;        /* its timer interrupt was listed pending */
	unsigned int taken; /* timer interrupts it acknowledged, in all */
	uint64_t ctl;       /* CTL it read when it took one */
} t11;

static void t11_look(void)
{
	int k = fake_vgic_find(TIMER);

	t11.trapping = fake_vtimer_trapping();
	t11.listed = k >= 0 && fake_vgic_lr((unsigned int)k)->pending;
}

/*
 * Masked, it re-arms its timer ahead (the write traps where the hardware
 * can: the run ends there).
 */
static void guest_masked_rearm(struct vcpu *v, void *arg)
{
	uint64_t cval = vct(v) + AHEAD;

	(void)arg;
	t11_look();
	arch_vtimer_access(VTIMER_REG_CVAL, true, &cval);
}

/* Masked, it reads its timer's CTL (a poll; it traps too). */
static void guest_masked_poll(struct vcpu *v, void *arg)
{
	uint64_t ctl;

	(void)v;
	(void)arg;
	t11_look();
	arch_vtimer_access(VTIMER_REG_CTL, false, &ctl);
}

/* It unmasks IRQs and handles what it is given, as guest_handle(). */
static void guest_unmask(struct vcpu *v, void *arg)
{
	uint32_t id;

	(void)arg;
	t11_look();
	v->st.regs.pstate &= ~PSR_I;
	while ((id = fake_vgic_guest_ack()) != IRQ_SPURIOUS) {
		assert_int_equal(id, TIMER);
		t11.taken++;
		t11.ctl = fake_vtimer_ctl();
		fake_vtimer_set(CTL_ENABLE, UINT64_MAX);
		fake_vgic_guest_eoi(TIMER);
	}
}

/* One VM of one vCPU, loaded, IRQs masked, its timer expired. */
static struct vcpu *t11_setup(bool can_trap)
{
	struct vcpu *v;

	fake_vtimer_set_can_trap(can_trap);
	vtimer_init(FAKE_VTIMER_PPI);
	v = &one_vm(1, NULL)->vcpus[0];
	load(v);
	v->st.regs.pstate |= PSR_I;
	fake_vtimer_set(CTL_ENABLE, vct(v));
	memset(&t11, 0, sizeof(t11));
	return v;
}

/*
 * The guest's handler EOIs while the line is up (the physical interrupt
 * is taken again at EL2 and its virtual one listed pending) and only then
 * re-arms, all with IRQs masked. Natively the GIC withdraws the pending
 * state when the line drops. Kairos traps the re-arming write (FEAT_ECV)
 * and the next entry no longer lists it: after the guest unmasks, no
 * interrupt, and the physical INTID is inactive.
 */
static void test_t11_masked_rearm_withdraws_pending(void **state)
{
	struct vcpu *v;

	(void)state;
	v = t11_setup(true);
	run(v, guest_masked_rearm);
	assert_true(t11.listed);
	assert_true(t11.trapping);
	run(v, guest_unmask);
	assert_false(t11.listed);
	assert_false(t11.trapping);
	assert_int_equal(t11.taken, 0);
	assert_false(fake_irq_active(v->pcpu, FAKE_VTIMER_PPI));
	assert_false(ppi_asserted(v));
}

/*
 * The trap lasts while the interrupt waits for a masked guest, not
 * longer: a guest that polls (line still up), then unmasks, takes it
 * exactly once with ISTATUS set; at its next entry nothing traps.
 */
static void test_t11_masked_poll_then_taken_once(void **state)
{
	struct vcpu *v;

	(void)state;
	v = t11_setup(true);
	run(v, guest_masked_poll);
	assert_true(t11.listed && t11.trapping);
	run(v, guest_unmask);
	assert_true(t11.listed && t11.trapping);
	assert_int_equal(t11.taken, 1);
	assert_true(t11.ctl & CTL_ISTATUS);
	run(v, guest_unmask);
	assert_false(t11.listed || t11.trapping);
	assert_int_equal(t11.taken, 1);
}

/*
 * No trap when the guest has IRQs unmasked (it takes the interrupt before
 * any instruction of its own), nor where the hardware cannot trap (the
 * fake fails arch_vtimer_trap(true) there).
 */
static void test_t11_no_trap_unmasked_or_without_ecv(void **state)
{
	struct vcpu *v;

	(void)state;
	v = t11_setup(true);
	v->st.regs.pstate &= ~PSR_I;
	run(v, guest_unmask);
	assert_true(t11.listed);
	assert_false(t11.trapping);
	assert_int_equal(t11.taken, 1);
	util_teardown(NULL);
	sys_setup(2);
	v = t11_setup(false);
	run(v, guest_masked_rearm);
	assert_true(t11.listed);
	assert_false(t11.trapping);
}

/* ---- T12: timer before vGIC ---- */

/*
 * A vCPU's timer state written (restored) before its VM's vGIC is
 * initialised: nothing reaches the vGIC before; at the first run after
 * the vGIC is set up, exactly one interrupt, hardware-mapped.
 */
static void test_t12_timer_before_vgic(void **state)
{
	struct vm *vm;
	struct vcpu *v;

	(void)state;
	vm = one_vm(1, NULL);
	v = &vm->vcpus[0];
	v->st.vtimer.ctl = CTL_ENABLE;
	v->st.vtimer.cval = vct(v) - 1;
	assert_false(ppi_asserted(v));
	/* The vGIC initialised as vm_boot() does, then set up by the guest. */
	vgic_vm_init(vm, vm->vgic.version);
	vgic_vcpu_reset(v);
	vgic_map_hw(v, TIMER, FAKE_VTIMER_PPI);
	guest_gic_on(v);
	assert_false(ppi_asserted(v));
	load(v);
	assert_int_equal(timer_irqs_over_two_runs(v), 1);
	assert_true(seen_of(v)->hw_lr);
}

/* The same when the vCPU was loaded before (a stale line wiped). */
static void test_t12_vgic_reinit_while_loaded(void **state)
{
	struct vm *vm;
	struct vcpu *v;

	(void)state;
	vm = one_vm(1, NULL);
	v = &vm->vcpus[0];
	v->st.vtimer.ctl = CTL_ENABLE;
	v->st.vtimer.cval = vct(v) - 1;
	load(v);
	assert_true(ppi_asserted(v));
	vgic_vm_init(vm, vm->vgic.version);
	vgic_vcpu_reset(v);
	vgic_map_hw(v, TIMER, FAKE_VTIMER_PPI);
	guest_gic_on(v);
	assert_false(ppi_asserted(v));
	assert_int_equal(timer_irqs_over_two_runs(v), 1);
	assert_true(seen_of(v)->hw_lr);
}

#define T(fn, s) cmocka_unit_test_setup_teardown(fn, s, util_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_t1_backup_only_wakes_put_vcpu, setup_t1),
		T(test_t1_backup_only_wakes_paused_vm, setup_t1),
		T(test_t1_backup_expiry_writes_nothing, setup_t1),
		T(test_t2_line_derived_not_restored, setup),
		T(test_t2_line_derived_before_every_entry, setup),
		T(test_t4_early_backup_expiry_rearms_put, setup),
		T(test_t4_early_backup_expiry_rearms_loaded, setup),
		T(test_t4_early_backup_expiry_far_ahead, setup),
		T(test_t4_backup_of_disabled_timer_is_dropped, setup),
		T(test_t5_cval_near_2_64_saturates, setup),
		T(test_t5_cval_1_count_2, setup),
		T(test_t5_cntvoff_large, setup),
		T(test_t5_counter_moved_behind_cval, setup),
		T(test_t6_one_cntvoff_per_vm, setup),
		T(test_t7_migrate_between_save_and_restore, setup),
		T(test_t7_put_releases_ppi_taken_at_el2, setup),
		T(test_t11_masked_rearm_withdraws_pending, setup),
		T(test_t11_masked_poll_then_taken_once, setup),
		T(test_t11_no_trap_unmasked_or_without_ecv, setup),
		T(test_t12_timer_before_vgic, setup),
		T(test_t12_vgic_reinit_while_loaded, setup),
	};

	return cmocka_run_group_tests_name("vtimer", tests, NULL, NULL);
}
