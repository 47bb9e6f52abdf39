// SPDX-License-Identifier: MIT
/*
 * core/ptimer.c, the emulated EL1 physical timer, as trapped guest
 * accesses and the scheduler see it, on VMs made by vm_create_all()
 * (tests/unit/util.c), judged against the Arm ARM's generic timer (D11.2)
 * and the invariants of docs/time-invariants.md (tests named tN_ after them):
 *
 * - the guest's physical count is the physical count minus its VM's
 *   cntvoff (its virtual count);
 * - CTL keeps ENABLE and IMASK; ISTATUS is derived (count >= CVAL, and
 *   only while enabled) and never written;
 * - TVAL reads the low 32 bits of CVAL - count (bits 63:32 RES0) and a
 *   write sets CVAL to count + the sign-extended low 32 bits;
 * - the line of PPI 30 is derived, never stored; a deadline on the
 *   pCPU's timerq exists while the timer can still fire, its expiry only
 *   wakes (or re-arms when early), and a vCPU blocked in WFI is woken.
 */
#include <kairos/cpu.h>
#include <kairos/irq.h>
#include <kairos/profile_virt.h>
#include <kairos/ptimer.h>
#include <kairos/run.h>
#include <kairos/sched.h>
#include <kairos/vdev.h>
#include <kairos/vgic.h>
#include <kairos/vmmio.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

/* cmocka.h needs <setjmp.h>, <stdarg.h> and <stddef.h> first. */
#include <cmocka.h>

#include "fake.h"
#include "util.h"

#define CTL_ENABLE 1UL
#define CTL_IMASK 2UL
#define CTL_ISTATUS 4UL
#define CPU_ON 0x84000003U
#define GICD_CTLR 0x0000
#define GICR_ISENABLER0 (0x10000 + 0x0100)
#define GICR_ICENABLER0 (0x10000 + 0x0180)
#define GICR_ISPENDR0 (0x10000 + 0x0200)
#define PPI_BIT (1U << PTIMER_INTID)

_Static_assert(PTIMER_INTID == VIRT_TIMER_PHYS_INTID, "the DTB's PPI 14");

static struct vm *vm;

static struct vcpu *vc(unsigned int i)
{
	return &vm->vcpus[i];
}

/* The EL2 timer interrupt, as boot/main.c installs it. */
static void timer_irq(void *arg)
{
	(void)arg;
	timerq_expire(&cpu_current()->timerq);
}

static int setup(void **state)
{
	(void)state;
	util_setup(1);
	fake_set_timer_irq(timer_irq, NULL);
	util_vm_add("g", 2, NULL, 1);
	util_create();
	vm = &vms[0];
	return 0;
}

/* VMs "a" and "b", one vCPU each, both on pCPU0. */
static int setup_two(void **state)
{
	(void)state;
	util_setup(1);
	fake_set_timer_irq(timer_irq, NULL);
	util_vm_add("a", 1, NULL, 1);
	util_vm_add("b", 1, NULL, 1);
	util_create();
	vm = NULL;
	return 0;
}

/* ---- Guest view ---- */

static uint64_t rd(struct vcpu *v, enum ptimer_reg r)
{
	uint64_t val = 0xdeadbeefdeadbeefULL;

	assert_true(ptimer_read(v, r, &val));
	return val;
}

static void wr(struct vcpu *v, enum ptimer_reg r, uint64_t val)
{
	assert_true(ptimer_write(v, r, val));
}

/* The guest's count as the architecture defines it for this VM. */
static uint64_t guest_count(const struct vcpu *v)
{
	return fake_counter_peek() - v->vm->cntvoff;
}

static void gicr_w(struct vcpu *v, uint64_t off, uint32_t val)
{
	uint64_t x = val;
	uint64_t ipa = VIRT_GICR + (uint64_t)v->id * VIRT_GICR_STRIDE + off;

	assert_int_equal(vmmio_access(v, ipa, true, 4, &x), MMIO_OK);
}

static bool ppi_pending(struct vcpu *v)
{
	uint64_t x = 0;
	uint64_t ipa =
		VIRT_GICR + (uint64_t)v->id * VIRT_GICR_STRIDE + GICR_ISPENDR0;

	assert_int_equal(vmmio_access(v, ipa, false, 4, &x), MMIO_OK);
	return (x & PPI_BIT) != 0;
}

/* The distributor on, PPI 30 enabled at @v's redistributor. */
static void enable_ppi(struct vcpu *v)
{
	uint64_t ctlr = 3;

	assert_int_equal(vmmio_access(v, VIRT_GICD + GICD_CTLR, true, 4, &ctlr),
			 MMIO_OK);
	gicr_w(v, GICR_ISENABLER0, PPI_BIT);
}

static bool line(const struct vcpu *v)
{
	return (v->st.vgic.priv[PTIMER_INTID].flags & VGIC_LINE) != 0;
}

/* ---- A run through the fake world switch ---- */

struct seen {
	unsigned int timer_irqs; /* PPI 30 acknowledged */
	unsigned int others;
};

/* The guest takes and EOIs everything listed. */
static void guest_take_all(struct vcpu *v, void *arg)
{
	struct seen *s = arg;
	uint32_t id;

	(void)v;
	while ((id = fake_vgic_guest_ack()) != IRQ_SPURIOUS) {
		if (id == PTIMER_INTID)
			s->timer_irqs++;
		else
			s->others++;
		fake_vgic_guest_eoi(id);
	}
}

/* One guest run of the loaded @v, which acks and EOIs what is listed. */
static void run_take(struct vcpu *v, struct seen *s)
{
	memset(s, 0, sizeof(*s));
	cpus[v->pcpu].resched = 0; /* a line's rise kicked: no bounce */
	fake_vcpu_push_guest(FAKE_EXIT_YIELD, 10, guest_take_all, NULL, s);
	assert_int_equal(run_vcpu(v), VEXIT_YIELD);
}

/* ---- The counter ---- */

/*
 * T19: CNTPCT (and CNTPCTSS) read as the physical count minus the VM's
 * cntvoff, the guest's virtual count; a new cntvoff (a restore) moves it
 * with the virtual one. Writing it is refused (UNDEF).
 */
static void test_t19_cntpct_is_virtual_count(void **state)
{
	uint64_t off = vm->cntvoff;

	(void)state;
	assert_true(off != 0); /* set at boot from a non-zero counter */
	fake_counter_advance(12345);
	assert_int_equal(rd(vc(0), PTIMER_COUNT), fake_counter_peek() - off);
	assert_int_equal(rd(vc(1), PTIMER_COUNT), fake_counter_peek() - off);
	vm->cntvoff = off - 1000000; /* restored after a pause */
	assert_int_equal(rd(vc(0), PTIMER_COUNT),
			 fake_counter_peek() - off + 1000000);
	assert_false(ptimer_write(vc(0), PTIMER_COUNT, 5));
	assert_int_equal(vc(0)->st.ptimer.ctl, 0);
	assert_int_equal(vc(0)->st.ptimer.cval, 0);
}

/* ---- CTL ---- */

/*
 * ISTATUS is read-only and derived: a write of it (and of RES0 bits) is
 * dropped; it reads set exactly from count == CVAL on, and clear while
 * the timer is disabled. IMASK does not hide it.
 */
static void test_ctl_istatus_read_only_and_derived(void **state)
{
	uint64_t cval;

	(void)state;
	cval = guest_count(vc(0)) + 100;
	wr(vc(0), PTIMER_CVAL, cval);
	wr(vc(0), PTIMER_CTL, CTL_ENABLE | CTL_ISTATUS | 0xfff0UL);
	assert_int_equal(vc(0)->st.ptimer.ctl, CTL_ENABLE);
	assert_int_equal(rd(vc(0), PTIMER_CTL), CTL_ENABLE);
	fake_counter_advance(99);
	assert_int_equal(rd(vc(0), PTIMER_CTL), CTL_ENABLE);
	fake_counter_advance(1);
	assert_int_equal(guest_count(vc(0)), cval);
	assert_int_equal(rd(vc(0), PTIMER_CTL), CTL_ENABLE | CTL_ISTATUS);
	wr(vc(0), PTIMER_CTL, CTL_ENABLE | CTL_IMASK);
	assert_int_equal(rd(vc(0), PTIMER_CTL),
			 CTL_ENABLE | CTL_IMASK | CTL_ISTATUS);
	wr(vc(0), PTIMER_CTL, CTL_IMASK | CTL_ISTATUS);
	assert_int_equal(rd(vc(0), PTIMER_CTL), CTL_IMASK);
	assert_int_equal(rd(vc(0), PTIMER_CVAL), cval);
}

/* ---- TVAL ---- */

/* TVAL reads the low 32 bits of CVAL - count; bits 63:32 are RES0. */
static void test_tval_read_is_low_32_bits(void **state)
{
	uint64_t now;

	(void)state;
	wr(vc(0), PTIMER_CTL, CTL_ENABLE);
	now = guest_count(vc(0));
	wr(vc(0), PTIMER_CVAL, now + 100);
	assert_int_equal(rd(vc(0), PTIMER_TVAL), 100);
	wr(vc(0), PTIMER_CVAL, now - 5); /* passed: negative, not extended */
	assert_int_equal(rd(vc(0), PTIMER_TVAL), 0xfffffffbUL);
	wr(vc(0), PTIMER_CVAL, now + (1UL << 32) + 7); /* beyond 32 bits */
	assert_int_equal(rd(vc(0), PTIMER_TVAL), 7);
	fake_counter_advance(3);
	assert_int_equal(rd(vc(0), PTIMER_TVAL), 4);
}

/* A TVAL write sets CVAL to count + SignExtend(value[31:0]). */
static void test_tval_write_sign_extends_low_32_bits(void **state)
{
	static const struct {
		uint64_t written;
		int64_t delta;
	} cases[] = {
		{ 1000, 1000 },
		{ 0xffffffffUL, -1 },
		{ 0x7fffffffUL, 0x7fffffff },
		{ 0x80000000UL, -0x80000000L },
		{ 0x123456789UL, 0x23456789 },  /* high bits ignored */
		{ 0xffffffff00000010UL, 0x10 }, /* whatever they hold */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t now = guest_count(vc(0));

		wr(vc(0), PTIMER_TVAL, cases[i].written);
		assert_int_equal(vc(0)->st.ptimer.cval,
				 now + (uint64_t)cases[i].delta);
		assert_int_equal(rd(vc(0), PTIMER_CVAL),
				 now + (uint64_t)cases[i].delta);
	}
}

/* ---- The line ---- */

/*
 * T19/T2: the line of PPI 30 is derived from the state and the count,
 * never taken from a stored ISTATUS: an image with ISTATUS set and CVAL
 * in the future gives no interrupt; CVAL in the past and unmasked gives
 * exactly one, delivered at the next entry.
 */
static void test_t19_ptimer_line_derived(void **state)
{
	struct seen s;

	(void)state;
	enable_ppi(vc(0));
	vc(0)->st.ptimer.ctl = CTL_ENABLE | CTL_ISTATUS;
	vc(0)->st.ptimer.cval = guest_count(vc(0)) + 1000000;
	vcpu_load(vc(0));
	assert_false(line(vc(0)));
	run_take(vc(0), &s);
	assert_int_equal(s.timer_irqs, 0);
	assert_false(ppi_pending(vc(0)));

	/* The state changes behind the emulation (a restore): only the
	 * next entry derives the line, and the guest takes it once. */
	vc(0)->st.ptimer.cval = guest_count(vc(0)) - 1;
	vc(0)->st.ptimer.ctl = CTL_ENABLE;
	assert_false(line(vc(0)));
	run_take(vc(0), &s);
	assert_int_equal(s.timer_irqs, 1);
	assert_int_equal(s.others, 0);
	/* Still expired and unmasked: the level keeps it pending. */
	assert_true(line(vc(0)));
	assert_true(ppi_pending(vc(0)));
}

/*
 * T8 for the ptimer: IMASK or ENABLE=0 lowers the line and removes the
 * pending state at once (the write); unmasking raises it again only
 * while the condition holds.
 */
static void test_t8_ptimer_mask_lowers_line(void **state)
{
	(void)state;
	enable_ppi(vc(0));
	wr(vc(0), PTIMER_CVAL, guest_count(vc(0)));
	wr(vc(0), PTIMER_CTL, CTL_ENABLE);
	assert_true(line(vc(0)));
	assert_true(ppi_pending(vc(0)));
	wr(vc(0), PTIMER_CTL, CTL_ENABLE | CTL_IMASK);
	assert_false(line(vc(0)));
	assert_false(ppi_pending(vc(0)));
	wr(vc(0), PTIMER_CTL, CTL_ENABLE);
	assert_true(line(vc(0)));
	wr(vc(0), PTIMER_CTL, 0);
	assert_false(line(vc(0)));
	assert_false(ppi_pending(vc(0)));
	/* Reprogrammed into the future while unmasked: low. */
	wr(vc(0), PTIMER_CTL, CTL_ENABLE);
	assert_true(line(vc(0)));
	wr(vc(0), PTIMER_TVAL, 500);
	assert_false(line(vc(0)));
	assert_false(ppi_pending(vc(0)));
}

/* ---- The deadline ---- */

/*
 * While the timer can still fire, its deadline is queued on the vCPU's
 * pCPU at the physical time of CVAL, and the EL2 timer holds it; masked,
 * disabled or already fired, there is none.
 */
static void test_ptimer_deadline_follows_state(void **state)
{
	struct vcpu *v = vc(0);
	uint64_t cval;

	(void)state;
	cval = guest_count(v) + 5000;
	wr(v, PTIMER_CVAL, cval);
	assert_false(v->ptimer.armed); /* not enabled yet */
	wr(v, PTIMER_CTL, CTL_ENABLE);
	assert_true(v->ptimer.armed);
	assert_int_equal(v->ptimer.deadline, cval + vm->cntvoff);
	assert_int_equal(timerq_next_deadline(&cpus[0].timerq),
			 cval + vm->cntvoff);
	assert_true(fake_hyp_enabled());
	assert_int_equal(fake_hyp_cval(), cval + vm->cntvoff);
	wr(v, PTIMER_CTL, CTL_ENABLE | CTL_IMASK);
	assert_false(v->ptimer.armed);
	wr(v, PTIMER_CTL, CTL_ENABLE);
	assert_true(v->ptimer.armed);
	wr(v, PTIMER_TVAL, 0); /* fires now: the line, no deadline */
	assert_false(v->ptimer.armed);
	assert_true(line(v));
	wr(v, PTIMER_CTL, 0);
	assert_false(v->ptimer.armed);
	assert_int_equal(timerq_next_deadline(&cpus[0].timerq), UINT64_MAX);
}

/*
 * T5: deltas in the virtual domain. CVAL near 2^64 with a large offset
 * (cval + off overflows) saturates at "never"; cval = 1 with count 2
 * has fired (no deadline); with the physical count below the offset (the
 * virtual count near 2^64, e.g. after a restore) a CVAL a few ticks on
 * is reached a few ticks on, though cval + off overflows.
 */
static void test_t5_ptimer_cval_near_wrap(void **state)
{
	struct vcpu *v = vc(0);

	(void)state;
	wr(v, PTIMER_CTL, CTL_ENABLE);
	wr(v, PTIMER_CVAL, UINT64_MAX - 1);
	assert_true(v->ptimer.armed);
	assert_int_equal(v->ptimer.deadline, UINT64_MAX);
	assert_false(line(v));

	vm->cntvoff = fake_counter_peek() - 2; /* count 2 */
	wr(v, PTIMER_CVAL, 1);
	assert_false(v->ptimer.armed);
	assert_true(line(v));
	assert_int_equal(rd(v, PTIMER_CTL), CTL_ENABLE | CTL_ISTATUS);

	/* The offset is ahead of the physical count by 10 ticks. */
	vm->cntvoff = fake_counter_peek() + 10;
	assert_int_equal(rd(v, PTIMER_COUNT), UINT64_MAX - 9);
	wr(v, PTIMER_CVAL, UINT64_MAX - 4);
	assert_true(v->ptimer.armed);
	assert_int_equal(v->ptimer.deadline, fake_counter_peek() + 5);
	assert_false(line(v));
	/* Comparisons are unsigned: a small CVAL has long been reached. */
	wr(v, PTIMER_CVAL, 5);
	assert_false(v->ptimer.armed);
	assert_true(line(v));
}

/*
 * T4: an expiry before the guest's count reaches CVAL re-arms and does
 * not wake. Here the offset moved on after the deadline was queued (a
 * restore of a paused VM), and the callback is also run one tick early.
 */
static void test_t4_ptimer_early_expiry_rearms(void **state)
{
	struct vcpu *v = vc(0);
	uint64_t cval, first;

	(void)state;
	wr(v, PTIMER_CVAL, guest_count(v) + 1000);
	wr(v, PTIMER_CTL, CTL_ENABLE);
	cval = v->st.ptimer.cval;
	first = v->ptimer.deadline;
	v->run = VCPU_RUN_BLOCKED;
	vm->cntvoff += 500;
	fake_counter_set(first);
	timerq_expire(&cpus[0].timerq);
	assert_int_equal(v->run, VCPU_RUN_BLOCKED);
	assert_true(v->ptimer.armed);
	assert_int_equal(v->ptimer.deadline, first + 500);
	assert_int_equal(fake_hyp_cval(), first + 500);

	/* Run one tick before the deadline: re-armed at it, no wake. */
	v->ptimer.fn(&v->ptimer, first + 499);
	assert_int_equal(v->run, VCPU_RUN_BLOCKED);
	assert_true(v->ptimer.armed);
	assert_int_equal(v->ptimer.deadline, first + 500);

	fake_counter_set(first + 500);
	timerq_expire(&cpus[0].timerq);
	assert_int_equal(v->run, VCPU_RUN_READY);
	assert_false(v->ptimer.armed);
	assert_int_equal(v->st.ptimer.cval, cval);
}

/*
 * T1 for the ptimer: the expiry only wakes. It leaves the guest's CTL and
 * CVAL and the vGIC as they were (no line, nothing pending); the line is
 * derived at the next entry, and the guest takes exactly one interrupt.
 */
static void test_t1_ptimer_expiry_only_wakes(void **state)
{
	struct vcpu *v = vc(0);
	struct vcpu_ptimer before;
	struct vgic_irq irq_before;
	struct seen s;

	(void)state;
	enable_ppi(v);
	vcpu_load(v);
	wr(v, PTIMER_TVAL, 2000);
	wr(v, PTIMER_CTL, CTL_ENABLE);
	before = v->st.ptimer;
	irq_before = v->st.vgic.priv[PTIMER_INTID];
	v->run = VCPU_RUN_BLOCKED;
	fake_counter_set(v->ptimer.deadline);
	timerq_expire(&cpus[0].timerq);
	assert_int_equal(cpus[0].timerq.fired, 1);
	assert_int_equal(v->run, VCPU_RUN_READY);
	assert_memory_equal(&v->st.ptimer, &before, sizeof(before));
	assert_memory_equal(&v->st.vgic.priv[PTIMER_INTID], &irq_before,
			    sizeof(irq_before));
	assert_false(line(v));
	assert_false(v->ptimer.armed);

	run_take(v, &s);
	assert_int_equal(s.timer_irqs, 1);
	assert_true(line(v));
}

/* ---- Through the scheduler ---- */

struct program {
	uint64_t tval;
	uint64_t ctl;
};

/* The trap handler of a run: the guest programs its ptimer. */
static void guest_programs(struct vcpu *v, void *arg)
{
	const struct program *p = arg;

	wr(v, PTIMER_TVAL, p->tval);
	wr(v, PTIMER_CTL, p->ctl);
}

/*
 * T3 for the ptimer: a vCPU that programs its ptimer and waits in WFI
 * blocks, its deadline survives (nothing else wakes it), the pCPU idles
 * until the EL2 timer fires, and the vCPU runs again with the interrupt.
 */
static void test_t3_ptimer_wakes_vcpu_in_wfi(void **state)
{
	static const struct program p = { 100000, CTL_ENABLE };
	struct vcpu *v = vc(0);
	struct seen s = { 0 };

	(void)state;
	enable_ppi(v);
	fake_vcpu_push(FAKE_EXIT_WFI, 10, guest_programs, (void *)&p);
	fake_vcpu_push_guest(FAKE_EXIT_YIELD, 10, guest_take_all, NULL, &s);
	fake_vcpu_run_script(run_loop);
	assert_int_equal(fake_vcpu_runs(), 2);
	assert_int_equal(s.timer_irqs, 1);
	assert_true(guest_count(v) >= v->st.ptimer.cval);
	assert_true(fake_wfi_count() >= 1); /* it did block and idle */
}

/* The guest's WFI with its ptimer line already high does not block. */
static void test_ptimer_line_high_wfi_does_not_block(void **state)
{
	static const struct program p = { 0, CTL_ENABLE };
	struct vcpu *v = vc(0);

	(void)state;
	/* PPI 30 disabled at the vGIC: nothing else would end the WFI. */
	gicr_w(v, GICR_ICENABLER0, PPI_BIT);
	fake_vcpu_push(FAKE_EXIT_WFI, 10, guest_programs, (void *)&p);
	fake_vcpu_push(FAKE_EXIT_YIELD, 10, NULL, NULL);
	fake_vcpu_run_script(run_loop);
	assert_int_equal(fake_vcpu_runs(), 2);
	assert_int_equal(fake_wfi_count(), 0);
	assert_true(line(v));
}

/*
 * A deadline that expires while its vCPU is loaded but out of its guest
 * (after the run loop's settle, before the pass) only wakes, and finds it
 * loaded: no kick, its line not derived yet (T1). Should the pass then
 * put it, the put sees the timer due and boosts it, as if woken then:
 * the interrupt does not wait for its next turn.
 */
static void test_ptimer_due_at_put_boosts(void **state)
{
	struct cpu *c = &cpus[0];
	struct vcpu *x, *y;

	(void)state;
	arch_cpu_set_current(c);
	x = sched_next(c);
	assert_non_null(x);
	enable_ppi(x);
	wr(x, PTIMER_TVAL, 100);
	wr(x, PTIMER_CTL, CTL_ENABLE);
	assert_true(x->ptimer.armed);
	fake_counter_set(x->ptimer.deadline);
	timerq_expire(&c->timerq);
	assert_false(x->ptimer.armed);
	assert_false(line(x));
	/* It yields its turn: the other runs, x is put. */
	sched_exited(c, x, VEXIT_YIELD);
	y = sched_next(c);
	assert_non_null(y);
	assert_ptr_not_equal(y, x);
	assert_true(x->boost != 0);
}

/* ---- Reset, load, cancel ---- */

/*
 * PSCI CPU_ON gives a fresh ptimer: CTL and CVAL zero. A deadline left
 * queued by the old state only wakes (the vCPU is not made runnable by
 * it beyond what CPU_ON did), and loading drops it.
 */
static void test_cpu_on_clears_ptimer(void **state)
{
	struct vcpu *v = vc(1);
	uint64_t deadline;

	(void)state;
	v->st.ptimer.ctl = CTL_ENABLE;
	v->st.ptimer.cval = guest_count(v) + 777;
	ptimer_load(v);
	assert_true(v->ptimer.armed);
	deadline = v->ptimer.deadline;
	vc(0)->st.regs.x[0] = CPU_ON;
	vc(0)->st.regs.x[1] = 1;
	vc(0)->st.regs.x[2] = VIRT_RAM + 0x1000;
	vc(0)->st.regs.x[3] = 0;
	vpsci_call(vc(0));
	assert_int_equal(vc(0)->st.regs.x[0], 0);
	assert_int_equal(v->st.ptimer.ctl, 0);
	assert_int_equal(v->st.ptimer.cval, 0);
	assert_int_equal(rd(v, PTIMER_CTL), 0);
	/* Its old entry is harmless: expiry finds a disabled timer. */
	fake_counter_set(deadline);
	timerq_expire(&cpus[0].timerq);
	assert_false(v->ptimer.armed);
	assert_false(line(v));
	ptimer_load(v);
	assert_false(v->ptimer.armed);
}

/* A VM reset clears every vCPU's ptimer. */
static void test_vm_reset_clears_ptimer(void **state)
{
	(void)state;
	for (unsigned int i = 0; i < 2; i++) {
		vc(i)->st.ptimer.ctl = CTL_ENABLE | CTL_IMASK;
		vc(i)->st.ptimer.cval = 12345;
	}
	vm_reset(vm);
	for (unsigned int i = 0; i < 2; i++) {
		assert_int_equal(vc(i)->st.ptimer.ctl, 0);
		assert_int_equal(vc(i)->st.ptimer.cval, 0);
	}
}

/*
 * ptimer_cancel drops the deadline from this pCPU (as before a
 * migration) without touching the state; ptimer_load queues it again at
 * the same physical time.
 */
static void test_ptimer_cancel_then_load(void **state)
{
	struct vcpu *v = vc(0);
	uint64_t deadline;

	(void)state;
	wr(v, PTIMER_TVAL, 4321);
	wr(v, PTIMER_CTL, CTL_ENABLE);
	deadline = v->ptimer.deadline;
	ptimer_cancel(v);
	assert_false(v->ptimer.armed);
	assert_int_equal(timerq_next_deadline(&cpus[0].timerq), UINT64_MAX);
	assert_int_equal(v->st.ptimer.ctl, CTL_ENABLE);
	ptimer_cancel(v); /* twice: nothing to do */
	ptimer_load(v);
	assert_true(v->ptimer.armed);
	assert_int_equal(v->ptimer.deadline, deadline);
}

/* ---- Isolation ---- */

/*
 * T19: two VMs' ptimers do not interfere: each counts from its own
 * offset, each fires on its own deadline, and one firing raises only its
 * own vCPU's line.
 */
static void test_t19_two_vms_ptimers_independent(void **state)
{
	struct vcpu *a, *b;

	(void)state;
	a = &vms[0].vcpus[0];
	b = &vms[1].vcpus[0];
	vms[1].cntvoff = vms[0].cntvoff - 1000000; /* b's clock is ahead */
	assert_int_equal(rd(b, PTIMER_COUNT) - rd(a, PTIMER_COUNT), 1000000);
	wr(a, PTIMER_TVAL, 300);
	wr(a, PTIMER_CTL, CTL_ENABLE);
	wr(b, PTIMER_TVAL, 600);
	wr(b, PTIMER_CTL, CTL_ENABLE);
	assert_int_equal(b->ptimer.deadline - a->ptimer.deadline, 300);
	a->run = VCPU_RUN_BLOCKED;
	b->run = VCPU_RUN_BLOCKED;
	fake_counter_set(a->ptimer.deadline);
	timerq_expire(&cpus[0].timerq);
	assert_int_equal(a->run, VCPU_RUN_READY);
	assert_int_equal(b->run, VCPU_RUN_BLOCKED);
	ptimer_sync(a);
	ptimer_sync(b);
	assert_true(line(a));
	assert_false(line(b));
	assert_int_equal(rd(b, PTIMER_CTL), CTL_ENABLE);
	fake_counter_advance(300);
	timerq_expire(&cpus[0].timerq);
	assert_int_equal(b->run, VCPU_RUN_READY);
	ptimer_sync(b);
	assert_true(line(b));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, util_teardown)
#define T2(fn) cmocka_unit_test_setup_teardown(fn, setup_two, util_teardown)
		T(test_t19_cntpct_is_virtual_count),
		T(test_ctl_istatus_read_only_and_derived),
		T(test_tval_read_is_low_32_bits),
		T(test_tval_write_sign_extends_low_32_bits),
		T(test_t19_ptimer_line_derived),
		T(test_t8_ptimer_mask_lowers_line),
		T(test_ptimer_deadline_follows_state),
		T(test_t5_ptimer_cval_near_wrap),
		T(test_t4_ptimer_early_expiry_rearms),
		T(test_t1_ptimer_expiry_only_wakes),
		T(test_t3_ptimer_wakes_vcpu_in_wfi),
		T(test_ptimer_line_high_wfi_does_not_block),
		T(test_cpu_on_clears_ptimer),
		T(test_vm_reset_clears_ptimer),
		T(test_ptimer_cancel_then_load),
		T2(test_t19_two_vms_ptimers_independent),
		T2(test_ptimer_due_at_put_boosts),
#undef T2
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
