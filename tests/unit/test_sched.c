// SPDX-License-Identifier: MIT
/*
 * core/sched.c through run_loop() on a scripted fake: which vCPU runs
 * (priority first, round robin among equals, none of a paused VM, none in
 * WFI until woken), the time slice armed only while vCPUs compete, and a
 * vCPU's state reset in memory (CPU_ON, VM reset) never overwritten by the
 * stale copy still in hardware, while a live one is saved when switched;
 * migration between pCPUs.
 */
#include <kairos/cpu.h>
#include <kairos/irq.h>
#include <kairos/run.h>
#include <kairos/sched.h>
#include <kairos/time.h>
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

#define CPU_OFF 0x84000002U
#define CPU_ON 0x84000003U
#define SYSTEM_RESET 0x84000009U
#define ENTRY1 0x40200000UL
#define ENTRY2 0x40300000UL
#define RUN_TICKS 1000U

static uint64_t slice_ticks;
/* Checks right after the EL2 timer's deadlines ran (NULL: none). */
static void (*after_timer)(void *arg);
static void *after_timer_arg;

/* The EL2 timer interrupt, as boot/main.c installs it. */
static void timer_irq(void *arg)
{
	(void)arg;
	timerq_expire(&cpu_current()->timerq);
	if (after_timer)
		after_timer(after_timer_arg);
}

static int setup(void **state)
{
	(void)state;
	util_setup(2);
	fake_set_timer_irq(timer_irq, NULL);
	after_timer = NULL;
	slice_ticks = time_us_to_ticks(SCHED_SLICE_US);
	return 0;
}

static void hvc(struct vcpu *v, uint64_t x0, uint64_t x1, uint64_t x2)
{
	v->st.regs.x[0] = x0;
	v->st.regs.x[1] = x1;
	v->st.regs.x[2] = x2;
	vpsci_call(v);
}

static void push(unsigned int n, enum fake_exit e)
{
	for (unsigned int i = 0; i < n; i++)
		fake_vcpu_push(e, RUN_TICKS, NULL, NULL);
}

static void assert_ran(const struct vcpu *const *want, unsigned int n)
{
	assert_int_equal(fake_vcpu_runs(), n);
	for (unsigned int i = 0; i < n; i++)
		if (fake_vcpu_ran(i) != want[i])
			fail_msg("run %u: vCPU %u.%u ran, not %u.%u", i,
				 fake_vcpu_ran(i)->vm->id, fake_vcpu_ran(i)->id,
				 want[i]->vm->id, want[i]->id);
}

/* VMs "a" and "b", one vCPU each on pCPU0, of equal priority. */
static void two_vms(struct vcpu **a, struct vcpu **b)
{
	util_vm_add("a", 1, NULL, 1);
	util_vm_add("b", 1, NULL, 1);
	util_create();
	*a = &vms[0].vcpus[0];
	*b = &vms[1].vcpus[0];
}

/* A guest run during which the slice must be off. */
static void no_slice(struct vcpu *v, void *arg)
{
	(void)v;
	(void)arg;
	assert_false(cpus[0].slice.armed);
}

/* A guest run during which a full slice, in hardware, must be armed. */
static void full_slice(struct vcpu *v, void *arg)
{
	uint64_t started = fake_counter_peek() - RUN_TICKS;

	(void)v;
	(void)arg;
	assert_true(cpus[0].slice.armed);
	assert_int_equal(cpus[0].slice.deadline, started + slice_ticks);
	assert_true(fake_hyp_enabled());
	assert_int_equal(fake_hyp_cval(), cpus[0].slice.deadline);
}

/* As full_slice(), for a run that lasted the whole slice. */
static void full_slice_at_start(struct vcpu *v, void *arg)
{
	(void)v;
	(void)arg;
	assert_true(cpus[0].slice.armed);
	assert_int_equal(cpus[0].slice.deadline, fake_counter_peek());
	assert_true(fake_hyp_line()); /* the guest is interrupted */
}

static void test_higher_priority_runs_first(void **state)
{
	struct vcpu *lo, *hi;

	(void)state;
	util_vm_add("lo", 1, NULL, 1);
	util_vm_add("hi", 1, NULL, 5);
	util_create();
	lo = &vms[0].vcpus[0];
	hi = &vms[1].vcpus[0];
	for (unsigned int i = 0; i < 2; i++)
		fake_vcpu_push(FAKE_EXIT_YIELD, RUN_TICKS, no_slice, NULL);
	fake_vcpu_push(FAKE_EXIT_WFI, RUN_TICKS, no_slice, NULL);
	for (unsigned int i = 0; i < 2; i++)
		fake_vcpu_push(FAKE_EXIT_YIELD, RUN_TICKS, no_slice, NULL);
	fake_vcpu_run_script(run_loop);
	/* Only once the higher one waits does the lower one run. */
	assert_ran((const struct vcpu *const[]){ hi, hi, hi, lo, lo }, 5);
	assert_int_equal(hi->run, VCPU_RUN_BLOCKED);
}

static void test_round_robin_among_equals(void **state)
{
	struct vcpu *a, *b, *c;

	(void)state;
	util_vm_add("a", 1, NULL, 2);
	util_vm_add("b", 1, NULL, 2);
	util_vm_add("low", 1, NULL, 1);
	util_vm_add("c", 1, NULL, 2);
	util_create();
	a = &vms[0].vcpus[0];
	b = &vms[1].vcpus[0];
	c = &vms[3].vcpus[0];
	for (unsigned int i = 0; i < 7; i++)
		fake_vcpu_push(FAKE_EXIT_YIELD, RUN_TICKS, full_slice, NULL);
	fake_vcpu_run_script(run_loop);
	assert_ran((const struct vcpu *const[]){ a, b, c, a, b, c, a }, 7);
}

static void test_slice_ends_and_next_gets_full_slice(void **state)
{
	struct vcpu *a, *b;
	unsigned int irqs;

	(void)state;
	two_vms(&a, &b);
	/* a runs until its slice ends: the timer fires in the guest. */
	fake_vcpu_push(FAKE_EXIT_IRQ, slice_ticks, full_slice_at_start, NULL);
	/* b gets a whole slice of its own, then waits. */
	fake_vcpu_push(FAKE_EXIT_WFI, RUN_TICKS, full_slice, NULL);
	/* a alone: no slice, the timer off. */
	fake_vcpu_push(FAKE_EXIT_YIELD, RUN_TICKS, no_slice, NULL);
	irqs = fake_timer_irqs();
	fake_vcpu_run_script(run_loop);
	assert_ran((const struct vcpu *const[]){ a, b, a }, 3);
	/* The slice's end was taken (after the stale reset-time one). */
	assert_true(fake_timer_irqs() >= irqs + 1);
	assert_int_equal(cpus[0].timerq.fired, 1);
	assert_false(cpus[0].slice.armed);
	assert_false(fake_hyp_enabled());
}

static void wake(void *arg)
{
	struct vcpu *v = arg;

	/* Waiting for an interrupt, off the run queue, until woken. */
	assert_int_equal(v->run, VCPU_RUN_BLOCKED);
	assert_int_equal(fake_vcpu_runs(), 1);
	sched_wake(v);
	assert_int_equal(v->run, VCPU_RUN_READY);
}

static void test_wfi_blocks_until_woken(void **state)
{
	struct vcpu *a;

	(void)state;
	util_vm_add("a", 1, NULL, 1);
	util_create();
	a = &vms[0].vcpus[0];
	push(1, FAKE_EXIT_WFI);
	push(1, FAKE_EXIT_YIELD);
	fake_on_idle(3, wake, a);
	fake_vcpu_run_script(run_loop);
	assert_ran((const struct vcpu *const[]){ a, a }, 2);
	assert_true(fake_wfi_count() >= 3);
	/* Nothing else ran meanwhile: its state stayed in hardware. */
	assert_string_equal(fake_vcpu_log(), "load 0.0 run 0.0 run 0.0");
}

static void test_paused_vm_does_not_run(void **state)
{
	struct vcpu *a, *b;

	(void)state;
	two_vms(&a, &b);
	vm_pause(&vms[0], true);
	push(3, FAKE_EXIT_YIELD);
	fake_vcpu_run_script(run_loop);
	assert_ran((const struct vcpu *const[]){ b, b, b }, 3);
	vm_pause(&vms[0], false);
	push(3, FAKE_EXIT_YIELD);
	timerq_cancel(&cpus[0].timerq, &cpus[0].slice);
	fake_vcpu_run_script(run_loop);
	/* b's turn goes on until it yields; then they alternate. */
	assert_ran((const struct vcpu *const[]){ b, b, b, b, a, b }, 6);
}

/* Guest actions of the stale-state tests. */
static void guest_cpu_off(struct vcpu *v, void *arg)
{
	(void)arg;
	hvc(v, CPU_OFF, 0, 0);
}

static void cpu_on_1(void *arg)
{
	hvc(arg, CPU_ON, 1, ENTRY2);
}

static void fresh_at(struct vcpu *v, void *arg)
{
	/* The state CPU_ON/reset made, not what was in hardware before. */
	assert_int_equal(v->st.regs.pc, *(const uint64_t *)arg);
	assert_int_equal(v->st.sys.sctlr, SCTLR_EL1_RESET);
}

static void test_cpu_on_while_loaded_discards_stale_state(void **state)
{
	static const unsigned int pcpu[2] = { 1, 0 };
	static const uint64_t entry2 = ENTRY2;
	struct vcpu *v0, *v1;

	(void)state;
	util_vm_add("a", 2, pcpu, 1);
	util_create();
	v0 = &vms[0].vcpus[0]; /* on pCPU1, which this test does not run */
	v1 = &vms[0].vcpus[1];
	hvc(v0, CPU_ON, 1, ENTRY1);
	push(1, FAKE_EXIT_YIELD); /* the guest turns its MMU on */
	fake_vcpu_push(FAKE_EXIT_RESCHED, RUN_TICKS, guest_cpu_off, NULL);
	fake_vcpu_push(FAKE_EXIT_YIELD, RUN_TICKS, fresh_at, (void *)&entry2);
	/* While pCPU0 idles with v1 still in hardware, v0 turns it on. */
	fake_on_idle(1, cpu_on_1, v0);
	fake_vcpu_run_script(run_loop);
	assert_ran((const struct vcpu *const[]){ v1, v1, v1 }, 3);
	assert_string_equal(fake_vcpu_log(),
			    "load 0.1 run 0.1 run 0.1 discard 0.1 load 0.1 "
			    "run 0.1");
}

static void guest_system_reset(struct vcpu *v, void *arg)
{
	(void)arg;
	hvc(v, SYSTEM_RESET, 0, 0);
}

static void test_vm_reset_discards_and_switch_saves(void **state)
{
	static const uint64_t entry = 0x40080000UL;
	struct vcpu *a, *b;

	(void)state;
	two_vms(&a, &b);
	/* The reset VM's vCPU ends its turn (WFE): b runs in between. */
	fake_vcpu_push(FAKE_EXIT_YIELD, RUN_TICKS, guest_system_reset, NULL);
	push(1, FAKE_EXIT_YIELD);
	fake_vcpu_push(FAKE_EXIT_YIELD, RUN_TICKS, fresh_at, (void *)&entry);
	fake_vcpu_run_script(run_loop);
	assert_ran((const struct vcpu *const[]){ a, b, a }, 3);
	/*
	 * a's vCPU, loaded again with its stale state, zeroes a's RAM (its
	 * RAM is not 2 MiB aligned) without entering the guest, then boots
	 * it: the state it was loaded with is discarded, the fresh one
	 * loaded.
	 */
	assert_string_equal(fake_vcpu_log(),
			    "load 0.0 run 0.0 discard 0.0 load 1.0 run 1.0 "
			    "put 1.0 load 0.0 discard 0.0 load 0.0 run 0.0 "
			    "put 0.0 load 1.0");
	/* b's guest state survived the switch: its MMU stays on. */
	assert_true(b->st.sys.sctlr & FAKE_SCTLR_M);
}

static void test_cpu_off_then_other_vcpu_discards(void **state)
{
	struct vcpu *v0, *v1;

	(void)state;
	util_vm_add("a", 2, NULL, 1);
	util_create();
	v0 = &vms[0].vcpus[0];
	v1 = &vms[0].vcpus[1];
	hvc(v0, CPU_ON, 1, ENTRY1);
	push(1, FAKE_EXIT_YIELD);
	fake_vcpu_push(FAKE_EXIT_RESCHED, RUN_TICKS, guest_cpu_off, NULL);
	push(1, FAKE_EXIT_YIELD);
	fake_vcpu_run_script(run_loop);
	assert_ran((const struct vcpu *const[]){ v0, v1, v0 }, 3);
	/* An off vCPU's registers are of no use to anyone. */
	assert_string_equal(fake_vcpu_log(),
			    "load 0.0 run 0.0 put 0.0 load 0.1 run 0.1 "
			    "discard 0.1 load 0.0 run 0.0");
}

static void test_wake_kicks_the_other_pcpu(void **state)
{
	static const unsigned int pcpu[2] = { 0, 1 };

	(void)state;
	util_vm_add("a", 2, pcpu, 1);
	util_create();
	vms[0].vcpus[1].run = VCPU_RUN_BLOCKED;
	sched_wake(&vms[0].vcpus[1]);
	assert_int_equal(vms[0].vcpus[1].run, VCPU_RUN_READY);
	assert_int_equal(cpus[1].resched, 1);
	assert_int_equal(fake_sgis(1, 0), 1);
	/* An off vCPU is not made ready by a wake. */
	vms[0].vcpus[1].run = VCPU_RUN_OFF;
	sched_wake(&vms[0].vcpus[1]);
	assert_int_equal(vms[0].vcpus[1].run, VCPU_RUN_OFF);
}

static void test_loaded_keeps_its_turn_until_it_ends(void **state)
{
	struct vcpu *a, *b;

	(void)state;
	two_vms(&a, &b);
	/* Exits inside the slice (interrupts, traps) do not end a's turn. */
	push(3, FAKE_EXIT_IRQ);
	push(1, FAKE_EXIT_RESCHED);
	/* Its WFE does: b's turn, then a's again. */
	push(1, FAKE_EXIT_YIELD);
	push(2, FAKE_EXIT_YIELD);
	fake_vcpu_run_script(run_loop);
	assert_ran((const struct vcpu *const[]){ a, a, a, a, a, b, a }, 7);
}

#define CTL_ENABLE 1UL

/* The guest arms its timer 1 s ahead, then waits for it. */
static void arm_far(struct vcpu *v, void *arg)
{
	(void)v;
	(void)arg;
	fake_vtimer_set(CTL_ENABLE, fake_counter_peek() + slice_ticks * 100);
}

static void migrate_to_1(void *arg)
{
	struct vcpu *v = arg;

	/* Blocked in WFI, its backup deadline on CPU0. */
	assert_int_equal(v->run, VCPU_RUN_BLOCKED);
	assert_true(v->backup.armed);
	assert_ptr_equal(cpus[0].timerq.head, &v->backup);
	assert_null(sched_migrate(v, 1));
}

static void test_t7_migrate_blocked_vcpu_moves_backup(void **state)
{
	struct vcpu *v;

	(void)state;
	util_vm_add("a", 1, NULL, 1);
	util_create();
	v = &vms[0].vcpus[0];
	fake_vcpu_push(FAKE_EXIT_WFI, RUN_TICKS, arm_far, NULL);
	fake_on_idle(1, migrate_to_1, v);
	fake_vcpu_run_script(run_loop);
	/* Nothing of it is left on CPU0: not its state, not its deadline. */
	assert_false(v->backup.armed);
	assert_null(cpus[0].timerq.head);
	assert_null(cpus[0].loaded);
	assert_int_equal(cpus[0].nr_runq, 0);
	assert_false(fake_vtimer_line());
	assert_int_equal(fake_vtimer_ctl() & CTL_ENABLE, 0);
	assert_string_equal(fake_vcpu_log(), "load 0.0 run 0.0 put 0.0");
	/* Its timer went with it, saved; CPU1 has it, ready, kicked. */
	assert_int_equal(v->st.vtimer.ctl & CTL_ENABLE, CTL_ENABLE);
	assert_int_equal(v->pcpu, 1);
	assert_int_equal(cpus[1].nr_runq, 1);
	assert_ptr_equal(cpus[1].runq[0], v);
	assert_int_equal(v->run, VCPU_RUN_READY);
	assert_int_equal(cpus[1].resched, 1);
	assert_int_equal(fake_sgis(1, IRQ_SGI_KICK), 1);
	assert_int_equal(v->migrate_to, 0);
	assert_int_equal(v->migrations, 1);
}

static void test_migrate_refuses_offline_cpu(void **state)
{
	struct vcpu *v;

	(void)state;
	util_vm_add("a", 1, NULL, 1);
	util_create();
	v = &vms[0].vcpus[0];
	assert_non_null(sched_migrate(v, 2));
	cpus[1].online = false;
	assert_non_null(sched_migrate(v, 1));
	assert_int_equal(v->migrate_to, 0);
}

static void test_affinity_moves_a_waiting_vcpu_to_an_idle_pcpu(void **state)
{
	static const unsigned int pcpu[2] = { 0, 0 };
	struct vm_config *cfg;
	struct vcpu *v0, *v1;

	(void)state;
	cfg = util_vm_add("a", 2, pcpu, 1);
	cfg->cpu_affinity = 0x3;
	util_create();
	v0 = &vms[0].vcpus[0];
	v1 = &vms[0].vcpus[1];
	hvc(v0, CPU_ON, 1, ENTRY1);
	cpus[1].idle = true; /* CPU1 waits for work */
	push(1, FAKE_EXIT_YIELD);
	fake_vcpu_run_script(run_loop);
	/* v1 waited on CPU0 while CPU1 idled: it went there, unrun. */
	assert_ran((const struct vcpu *const[]){ v0 }, 1);
	assert_int_equal(v1->pcpu, 1);
	assert_int_equal(v1->migrations, 1);
	assert_int_equal(cpus[0].nr_runq, 1);
	assert_ptr_equal(cpus[1].runq[0], v1);
	assert_int_equal(fake_sgis(1, IRQ_SGI_KICK), 1);
	/* Without affinity nothing moves. */
	assert_int_equal(v0->pcpu, 0);
}

static void test_no_affinity_no_move(void **state)
{
	static const unsigned int pcpu[2] = { 0, 0 };
	struct vcpu *v0, *v1;

	(void)state;
	util_vm_add("a", 2, pcpu, 1);
	util_create();
	v0 = &vms[0].vcpus[0];
	v1 = &vms[0].vcpus[1];
	hvc(v0, CPU_ON, 1, ENTRY1);
	cpus[1].idle = true;
	push(2, FAKE_EXIT_YIELD);
	fake_vcpu_run_script(run_loop);
	assert_ran((const struct vcpu *const[]){ v0, v1 }, 2);
	assert_int_equal(v1->pcpu, 0);
	assert_int_equal(v1->migrations, 0);
}

/* ---- Interrupts of vCPUs that are not running (wake-up boost) ---- */

#define VTIMER_PPI 27U

static uint64_t us(uint64_t n)
{
	return time_us_to_ticks(n);
}

/* The physical count at which a's timer, armed by arm_2ms(), is due. */
static uint64_t a_due;

/* The guest arms its virtual timer 2 ms ahead (then yields its turn). */
static void arm_2ms(struct vcpu *v, void *arg)
{
	(void)arg;
	a_due = fake_counter_peek() + us(2000);
	fake_vtimer_set(CTL_ENABLE, a_due - v->vm->cntvoff);
}

/* b runs while a, put but runnable, has its deadline on the timerq. */
static void b_runs_to_a_deadline(struct vcpu *v, void *arg)
{
	struct vcpu *a = arg;

	(void)v;
	assert_int_equal(a->run, VCPU_RUN_READY);
	assert_true(a->backup.armed);
	assert_int_equal(a->backup.deadline, a_due);
	/* The hardware timer is due at a's deadline, before b's turn ends. */
	assert_true(fake_hyp_enabled());
	assert_int_equal(fake_hyp_cval(), a_due);
	assert_false(a->boost);
}

/* The backup deadline fired: it only woke a (T1). */
static void backup_only_woke(void *arg)
{
	struct vcpu *a = arg;
	uint16_t flags = a->st.vgic.priv[VTIMER_PPI].flags;

	if (a->backup.armed || !a->boost)
		return; /* not yet due */
	after_timer = NULL;
	assert_int_equal(a->run, VCPU_RUN_READY);
	assert_int_equal(cpus[0].resched, 1);
	/* Nothing of its timer or vGIC state was written. */
	assert_int_equal(flags & (VGIC_LINE | VGIC_LATCH), 0);
	assert_int_equal(a->st.vtimer.ctl, CTL_ENABLE);
	assert_int_equal(a->st.vtimer.cval, a_due - a->vm->cntvoff);
	assert_ptr_equal(cpus[0].loaded, &vms[1].vcpus[0]);
}

/* a runs on a boost: its interrupt is presented, for 1 ms at most. */
static void a_boosted(struct vcpu *v, void *arg)
{
	(void)arg;
	assert_true(cpus[0].slice.armed);
	assert_int_equal(cpus[0].slice.deadline, a_due + us(SCHED_BOOST_US));
	assert_int_equal(cpus[0].boost_end, cpus[0].slice.deadline);
	assert_false(v->backup.armed);
	assert_false(v->boost);
}

static void test_put_runnable_vcpu_rescheduled_at_its_deadline(void **state)
{
	struct vcpu *a, *b;

	(void)state;
	two_vms(&a, &b);
	/* a arms its timer 2 ms ahead and yields: b's turn (10 ms). */
	fake_vcpu_push(FAKE_EXIT_YIELD, RUN_TICKS, arm_2ms, NULL);
	/* b busy, interrupted at a's deadline by the EL2 timer. */
	fake_vcpu_push(FAKE_EXIT_IRQ, us(2000), b_runs_to_a_deadline, a);
	fake_vcpu_push(FAKE_EXIT_YIELD, RUN_TICKS, a_boosted, NULL);
	push(1, FAKE_EXIT_YIELD);
	after_timer = backup_only_woke;
	after_timer_arg = a;
	fake_vcpu_run_script(run_loop);
	assert_null(after_timer); /* the backup fired */
	/* a was not made to wait for b's turn to end. */
	assert_ran((const struct vcpu *const[]){ a, b, a, b }, 4);
	assert_int_equal(cpus[0].boosts, 1);
}

static uint64_t t0;

static void boost_b(struct vcpu *v, void *arg)
{
	struct vcpu *b = arg;

	(void)v;
	t0 = fake_counter_peek() - RUN_TICKS;
	sched_wake_irq(b);
	assert_true(b->boost);
	/* No pass asked: the decision is armed for a's min run's end. */
	assert_int_equal(cpus[0].resched, 0);
	assert_true(cpus[0].slice.armed);
	assert_int_equal(cpus[0].slice.deadline, t0 + us(SCHED_MIN_RUN_US));
}

/* a was switched to less than the min run ago: it goes on till then. */
static void a_min_run(struct vcpu *v, void *arg)
{
	struct vcpu *b = arg;

	(void)v;
	assert_true(b->boost);
	assert_int_equal(cpus[0].slice.deadline, t0 + us(SCHED_MIN_RUN_US));
}

static void b_on_boost(struct vcpu *v, void *arg)
{
	(void)arg;
	assert_false(v->boost);
	assert_int_equal(cpus[0].slice.deadline,
			 t0 + us(SCHED_MIN_RUN_US) + us(SCHED_BOOST_US));
}

/* The turn holder goes on: the boost was not charged to it. */
static void a_turn_resumes(struct vcpu *v, void *arg)
{
	struct vcpu *b = arg;

	(void)v;
	assert_int_equal(cpus[0].boost_end, 0);
	assert_int_equal(cpus[0].slice.deadline,
			 t0 + slice_ticks + us(SCHED_BOOST_US));
	assert_int_equal(b->credit, -(int64_t)us(SCHED_BOOST_US));
}

static void test_boost_preempts_an_equal_after_its_min_run(void **state)
{
	struct vcpu *a, *b;

	(void)state;
	two_vms(&a, &b);
	fake_vcpu_push(FAKE_EXIT_RESCHED, RUN_TICKS, boost_b, b);
	fake_vcpu_push(FAKE_EXIT_IRQ, us(SCHED_MIN_RUN_US) - RUN_TICKS,
		       a_min_run, b);
	fake_vcpu_push(FAKE_EXIT_IRQ, us(SCHED_BOOST_US), b_on_boost, NULL);
	fake_vcpu_push(FAKE_EXIT_YIELD, RUN_TICKS, a_turn_resumes, b);
	push(1, FAKE_EXIT_YIELD);
	fake_vcpu_run_script(run_loop);
	assert_ran((const struct vcpu *const[]){ a, a, b, a, b }, 5);
	assert_int_equal(cpus[0].boosts, 1);
}

/* ---- A boost ends once the vCPU has taken what it was boosted for ---- */

#define GICD 0x08000000UL
#define SPI 40U

/* SPI 40 of @v's VM enabled, as its guest would. */
static void enable_spi(struct vcpu *v)
{
	uint64_t ctlr = 3, en = 1U << (SPI % 32), prio = 0x80;

	assert_int_equal(vmmio_access(v, GICD, true, 4, &ctlr), MMIO_OK);
	assert_int_equal(vmmio_access(v, GICD + 0x100 + SPI / 32 * 4UL, true, 4,
				      &en),
			 MMIO_OK);
	assert_int_equal(vmmio_access(v, GICD + 0x400 + SPI, true, 1, &prio),
			 MMIO_OK);
	/* Enabling the distributor woke it: the scripts start with a. */
	v->boost = 0;
}

/* a runs; its device raises b's SPI (b is boosted, after a's min run). */
static void spi_for_b(struct vcpu *v, void *arg)
{
	(void)v;
	t0 = fake_counter_peek() - RUN_TICKS;
	vgic_inject(arg, SPI);
	assert_true(((struct vcpu *)arg)->boost);
}

/* b on its boost: the fill asks for an exit once nothing is pending. */
static void b_takes_spi(struct vcpu *v, void *arg)
{
	(void)v;
	(void)arg;
	assert_true(cpus[0].boost_untaken);
	assert_true(fake_vgic_no_pending_asked());
	assert_false(fake_vgic_maintenance());
	assert_int_equal(fake_vgic_guest_ack(), SPI);
	/* Taken: the maintenance interrupt is what ends this run. */
	assert_true(fake_vgic_maintenance());
	fake_vgic_guest_eoi(SPI);
}

/* Its handler's grace: a min run from when it took it, not the 1 ms. */
static void b_grace(struct vcpu *v, void *arg)
{
	uint64_t taken = t0 + us(SCHED_MIN_RUN_US) + RUN_TICKS;

	(void)v;
	(void)arg;
	assert_false(cpus[0].boost_untaken);
	assert_false(fake_vgic_no_pending_asked());
	assert_int_equal(cpus[0].boost_end, taken + us(SCHED_MIN_RUN_US));
	assert_int_equal(cpus[0].slice.deadline, cpus[0].boost_end);
}

/* The turn holder resumes; b paid for its run and its grace only. */
static void a_after_short_boost(struct vcpu *v, void *arg)
{
	struct vcpu *b = arg;

	(void)v;
	assert_int_equal(cpus[0].boost_end, 0);
	assert_int_equal(b->credit,
			 -(int64_t)(RUN_TICKS + us(SCHED_MIN_RUN_US)));
}

/* a runs, its device raises b's SPI; b is boosted after a's min run. */
static void b_boosted_by_an_spi(struct vcpu **a, struct vcpu **b)
{
	two_vms(a, b);
	enable_spi(*b);
	fake_vcpu_push(FAKE_EXIT_RESCHED, RUN_TICKS, spi_for_b, *b);
	fake_vcpu_push(FAKE_EXIT_IRQ, us(SCHED_MIN_RUN_US) - RUN_TICKS, NULL,
		       NULL);
}

static void test_boost_ends_a_min_run_after_the_interrupt_is_taken(void **state)
{
	struct vcpu *a, *b;

	(void)state;
	b_boosted_by_an_spi(&a, &b);
	fake_vcpu_push_guest(FAKE_EXIT_IRQ, RUN_TICKS, b_takes_spi, NULL, NULL);
	fake_vcpu_push(FAKE_EXIT_IRQ, us(SCHED_MIN_RUN_US), b_grace, NULL);
	fake_vcpu_push(FAKE_EXIT_YIELD, RUN_TICKS, a_after_short_boost, b);
	push(1, FAKE_EXIT_YIELD);
	fake_vcpu_run_script(run_loop);
	assert_ran((const struct vcpu *const[]){ a, a, b, b, a, b }, 6);
	assert_int_equal(cpus[0].boosts, 1);
}

/* b's guest has its interrupts masked: the SPI stays pending. */
static void b_exits_untaken(struct vcpu *v, void *arg)
{
	(void)v;
	(void)arg;
	assert_true(fake_vgic_no_pending_asked());
	assert_false(fake_vgic_maintenance());
}

/* Not taken: the boost still runs to its full length, still asking. */
static void b_still_boosted(struct vcpu *v, void *arg)
{
	(void)v;
	(void)arg;
	assert_true(cpus[0].boost_untaken);
	assert_true(fake_vgic_no_pending_asked());
	assert_int_equal(cpus[0].boost_end,
			 t0 + us(SCHED_MIN_RUN_US) + us(SCHED_BOOST_US));
}

static void test_boost_untaken_lasts_its_full_length(void **state)
{
	struct vcpu *a, *b;

	(void)state;
	b_boosted_by_an_spi(&a, &b);
	/* An exit that settles (the vGIC touched), the SPI still pending. */
	fake_vcpu_push_guest(FAKE_EXIT_RESCHED, RUN_TICKS, b_exits_untaken,
			     NULL, NULL);
	fake_vcpu_push(FAKE_EXIT_IRQ, us(SCHED_BOOST_US) - RUN_TICKS,
		       b_still_boosted, NULL);
	push(2, FAKE_EXIT_YIELD);
	fake_vcpu_run_script(run_loop);
	assert_ran((const struct vcpu *const[]){ a, a, b, b, a, b }, 6);
}

static void boost_lo(struct vcpu *v, void *arg)
{
	(void)v;
	sched_wake_irq(arg);
}

static void test_boost_never_preempts_a_higher_priority(void **state)
{
	struct vcpu *lo, *hi;

	(void)state;
	util_vm_add("lo", 1, NULL, 1);
	util_vm_add("hi", 1, NULL, 2);
	util_create();
	lo = &vms[0].vcpus[0];
	hi = &vms[1].vcpus[0];
	fake_vcpu_push(FAKE_EXIT_RESCHED, us(SCHED_SLICE_US), boost_lo, lo);
	fake_vcpu_push(FAKE_EXIT_WFI, RUN_TICKS, NULL, NULL);
	push(1, FAKE_EXIT_YIELD);
	fake_vcpu_run_script(run_loop);
	assert_ran((const struct vcpu *const[]){ hi, hi, lo }, 3);
	assert_int_equal(cpus[0].boosts, 0);
}

/* An interrupt for the running vCPU: it takes it at its next entry. */
static void boost_self(struct vcpu *v, void *arg)
{
	(void)arg;
	sched_wake_irq(v);
	assert_true(v->boost);
	assert_int_equal(cpus[0].resched, 0); /* no kick for itself */
}

static void boost_c_later(struct vcpu *v, void *arg)
{
	struct vcpu *a = arg;

	(void)v;
	/* a's boost did not outlive its run: it cannot go before c. */
	assert_false(a->boost);
	fake_counter_advance(us(SCHED_MIN_RUN_US));
	sched_wake_irq(&vms[2].vcpus[0]);
}

static void test_boost_of_the_running_vcpu_ends_when_it_is_put(void **state)
{
	struct vcpu *a, *b, *c;

	(void)state;
	util_vm_add("a", 1, NULL, 1);
	util_vm_add("b", 1, NULL, 1);
	util_vm_add("c", 1, NULL, 1);
	util_create();
	a = &vms[0].vcpus[0];
	b = &vms[1].vcpus[0];
	c = &vms[2].vcpus[0];
	fake_vcpu_push(FAKE_EXIT_YIELD, RUN_TICKS, boost_self, NULL);
	fake_vcpu_push(FAKE_EXIT_RESCHED, RUN_TICKS, boost_c_later, a);
	push(2, FAKE_EXIT_YIELD);
	fake_vcpu_run_script(run_loop);
	/* c, woken last, goes first: the boosts are first come first served
	 * and a's was over. */
	assert_ran((const struct vcpu *const[]){ a, b, c, b }, 4);
}

#define WAITER_ROUNDS 150U

static void wake_waiter(struct vcpu *v, void *arg)
{
	struct vcpu *w = arg;

	(void)v;
	assert_int_equal(w->run, VCPU_RUN_BLOCKED);
	sched_wake_irq(w);
}

static void test_a_mostly_waiting_vcpu_keeps_its_boosts(void **state)
{
	struct vcpu *b, *w;

	(void)state;
	util_vm_add("waiter", 1, NULL, 1);
	util_vm_add("busy", 1, NULL, 1);
	util_create();
	w = &vms[0].vcpus[0];
	b = &vms[1].vcpus[0];
	/* The waiter runs first and waits. */
	fake_vcpu_push(FAKE_EXIT_WFI, us(200), NULL, NULL);
	/*
	 * Then, over and over: the busy vCPU runs 1 ms until the waiter's
	 * interrupt comes, the waiter preempts it, handles it in 200 us and
	 * waits again: 30 ms of boosts in all, more than the guard allows
	 * in debt, but the waiter was away 4/5 of the time.
	 */
	for (unsigned int i = 0; i < WAITER_ROUNDS; i++) {
		fake_vcpu_push(FAKE_EXIT_IRQ, us(1000), wake_waiter, w);
		fake_vcpu_push(FAKE_EXIT_WFI, us(200), NULL, NULL);
	}
	push(1, FAKE_EXIT_YIELD);
	fake_vcpu_run_script(run_loop);
	for (unsigned int i = 0; i < 2 * WAITER_ROUNDS + 1; i++)
		if (fake_vcpu_ran(i) != (i % 2 ? b : w))
			fail_msg("run %u: the %s ran", i,
				 fake_vcpu_ran(i)->vm->cfg->name);
	assert_int_equal(cpus[0].boosts, WAITER_ROUNDS);
	assert_int_equal(cpus[0].guarded, 0);
	assert_true(w->credit > 0);
}

#define STORM_STEPS 1000U
#define STORM_STEP_US 250U

static uint64_t storm_ran[2];

/* b's timer is always due: every time a runs, b is woken again. */
static void storm_step(struct vcpu *v, void *arg)
{
	struct vcpu *b = arg;

	storm_ran[v == b] += STORM_STEP_US;
	if (v != b)
		sched_wake_irq(b);
	/* What b may owe stays bounded by the guard and one boost. */
	assert_true(b->credit >=
		    -(int64_t)us(SCHED_GUARD_US) - (int64_t)us(STORM_STEP_US));
}

static void test_guard_caps_a_storming_vcpu_to_its_share(void **state)
{
	uint64_t total = (uint64_t)STORM_STEPS * STORM_STEP_US, late;
	struct vcpu *a, *b;

	(void)state;
	two_vms(&a, &b);
	storm_ran[0] = storm_ran[1] = 0;
	for (unsigned int i = 0; i < STORM_STEPS; i++)
		fake_vcpu_push(FAKE_EXIT_IRQ, us(STORM_STEP_US), storm_step, b);
	fake_vcpu_run_script(run_loop);
	assert_int_equal(storm_ran[0] + storm_ran[1], total);
	/* b preempted a time and again, until the guard stopped it. */
	assert_true(cpus[0].boosts > 10);
	assert_true(cpus[0].guarded > 0);
	/*
	 * Over the window, b got its half, plus at most what the guard lets
	 * it owe and one boost (docs/user-guide.md, "Scheduling").
	 */
	late = SCHED_GUARD_US + SCHED_BOOST_US + STORM_STEP_US;
	if (storm_ran[1] > total / 2 + late)
		fail_msg("storm: b ran %llu us of %llu (a %llu)",
			 (unsigned long long)storm_ran[1],
			 (unsigned long long)total,
			 (unsigned long long)storm_ran[0]);
	/* And a was not starved of its own half either. */
	assert_true(storm_ran[0] + late >= total / 2);
}

/* ---- The hand-off takes the full pick's decision (sched_next()) ---- */

/* One scripted state of pCPU0 with vCPUs a0, a1 (VM a) and b0 (VM b). */
struct ho_state {
	unsigned int ready;   /* bit k: vCPU k runnable, else blocked */
	unsigned int boosted; /* bit k: vCPU k boosted (woken) */
	int running;          /* vCPU that ran last, -1: none */
	int turn;             /* the turn holder, -1: none */
	unsigned int credit;  /* credit of each: 0 full, 1 owing, 2 guarded */
	bool waited;          /* all but running blocked 2 ms ago */
	bool prio_b;          /* VM b of a higher priority */
	bool idle_cpu1;       /* pCPU1 idles, VM a may move there */
	bool moves;           /* a move was asked (cpu.migrate_req) */
	bool boost_on;        /* running is on a boost */
};

/* What a pass leaves: its pick and all scheduling state. */
struct ho_result {
	struct vcpu *picked, *running, *turn, *loaded;
	uint64_t run_start, boost_end, charged_at, slice_at, boosts, guarded;
	bool boost_untaken, charge, slice_armed, slice_over, alone;
	unsigned int rr_next, resched;
	int64_t credit[3];
	uint64_t boost[3], blocked_at[3];
	unsigned int run[3], pcpu[3], nr_runq;
};

/* The configurations of VMs a and b (what vms[].cfg points to). */
static struct vm_config *ho_cfg[2];

static struct vcpu *ho_vcpu(int k)
{
	if (k < 0)
		return NULL;
	return k < 2 ? &vms[0].vcpus[k] : &vms[1].vcpus[0];
}

/* Put pCPU0 and the three vCPUs in state @st at @now. */
static void ho_apply(const struct ho_state *st, uint64_t now)
{
	static const int64_t credits[3] = { 1000, -2000, 0 };
	struct cpu *c = &cpus[0];

	timerq_cancel(&c->timerq, &c->slice);
	for (int k = 0; k < 3; k++) {
		struct vcpu *v = ho_vcpu(k);

		v->run = (st->ready >> k) & 1 ? VCPU_RUN_READY :
						VCPU_RUN_BLOCKED;
		v->boost = (st->boosted >> k) & 1 ?
				   (now - 500 - 10UL * (unsigned int)k) | 1 :
				   0;
		v->credit = credits[(st->credit >> (2 * k)) & 3];
		if (((st->credit >> (2 * k)) & 3) == 2)
			v->credit = -(int64_t)us(SCHED_GUARD_US) - 1;
		/* Woken from WFI keeps it until a pass refunds it. */
		v->blocked_at = st->waited && k != st->running ?
					(now - us(2000) + (unsigned int)k) | 1 :
					0;
		v->pcpu = 0;
		v->migrate_to = 0;
	}
	ho_cfg[1]->priority = st->prio_b ? 2 : 1;
	ho_cfg[0]->cpu_affinity = st->idle_cpu1 ? 0x3 : 0x1;
	cpus[1].idle = st->idle_cpu1;
	c->migrate_req = st->moves;
	c->running = ho_vcpu(st->running);
	/* The one that ran last is in the hardware, as after its exit. */
	if (c->loaded != c->running) {
		if (c->loaded)
			vcpu_discard(c->loaded);
		c->loaded = NULL;
		if (c->running) {
			vcpu_load(c->running);
			c->running->loaded_gen = c->running->gen;
			c->loaded = c->running;
		}
	}
	c->turn = ho_vcpu(st->turn);
	c->run_start = now - us(SCHED_MIN_RUN_US) / 2;
	c->charged_at = now - 300;
	c->charge = true;
	c->boost_end = st->boost_on ? now + 1000 : 0;
	c->boost_untaken = st->boost_on;
	c->slice_over = false;
	c->alone = false;
	c->rr_next = 0;
	c->resched = 0;
	c->boosts = c->guarded = 0;
	fake_counter_set(now);
}

static void ho_capture(struct ho_result *r, struct vcpu *picked)
{
	const struct cpu *c = &cpus[0];

	memset(r, 0, sizeof(*r));
	r->picked = picked;
	r->running = c->running;
	r->turn = c->turn;
	r->loaded = c->loaded;
	r->run_start = c->run_start;
	r->boost_end = c->boost_end;
	r->charged_at = c->charged_at;
	r->slice_armed = c->slice.armed;
	r->slice_at = c->slice.armed ? c->slice.deadline : 0;
	r->boosts = c->boosts;
	r->guarded = c->guarded;
	r->boost_untaken = c->boost_untaken;
	r->charge = c->charge;
	r->slice_over = c->slice_over;
	r->alone = c->alone;
	r->rr_next = c->rr_next;
	r->resched = c->resched;
	r->nr_runq = c->nr_runq;
	for (int k = 0; k < 3; k++) {
		const struct vcpu *v = ho_vcpu(k);

		r->credit[k] = v->credit;
		r->boost[k] = v->boost;
		r->blocked_at[k] = v->blocked_at;
		r->run[k] = v->run;
		r->pcpu[k] = v->pcpu;
	}
}

/* Put back on pCPU0, in their order, what a pass moved (balance()). */
static void ho_unmigrate(void)
{
	cpus[1].nr_runq = 0;
	cpus[0].nr_runq = 3;
	for (int k = 0; k < 3; k++)
		cpus[0].runq[k] = ho_vcpu(k);
}

/* One pass from @st, with the hand-off allowed or not. */
static void ho_pass(const struct ho_state *st, bool handoff,
		    struct ho_result *r)
{
	const uint64_t now = 0x100000000ULL;
	struct vcpu *v;

	ho_unmigrate();
	ho_apply(st, now);
	sched_no_handoff = !handoff;
	v = sched_next(&cpus[0]);
	sched_no_handoff = false;
	ho_capture(r, v);
}

static void ho_compare(const struct ho_state *st, const struct ho_result *h,
		       const struct ho_result *f)
{
	bool same =
		h->picked == f->picked && h->running == f->running &&
		h->turn == f->turn && h->loaded == f->loaded &&
		h->run_start == f->run_start && h->boost_end == f->boost_end &&
		h->charged_at == f->charged_at && h->slice_at == f->slice_at &&
		h->boosts == f->boosts && h->guarded == f->guarded &&
		h->boost_untaken == f->boost_untaken &&
		h->charge == f->charge && h->slice_armed == f->slice_armed &&
		h->slice_over == f->slice_over && h->alone == f->alone &&
		h->rr_next == f->rr_next && h->resched == f->resched &&
		h->nr_runq == f->nr_runq;

	for (int k = 0; k < 3; k++)
		same = same && h->credit[k] == f->credit[k] &&
		       h->boost[k] == f->boost[k] &&
		       h->blocked_at[k] == f->blocked_at[k] &&
		       h->run[k] == f->run[k] && h->pcpu[k] == f->pcpu[k];
	if (same)
		return;
	fail_msg("ready %x boosted %x running %d turn %d credit %x waited %d "
		 "prio_b %d idle_cpu1 %d moves %d boost_on %d: the hand-off "
		 "picked %p (boost_end %llu, slice %d at %llu, credit %lld), "
		 "the full pick %p (boost_end %llu, slice %d at %llu, credit "
		 "%lld)",
		 st->ready, st->boosted, st->running, st->turn, st->credit,
		 st->waited, st->prio_b, st->idle_cpu1, st->moves, st->boost_on,
		 (void *)h->picked, (unsigned long long)h->boost_end,
		 h->slice_armed, (unsigned long long)h->slice_at,
		 h->picked ? (long long)h->credit[0] : 0, (void *)f->picked,
		 (unsigned long long)f->boost_end, f->slice_armed,
		 (unsigned long long)f->slice_at,
		 f->picked ? (long long)f->credit[0] : 0);
}

/* Scripted states: ready, boosted (8 each), running, turn (4), credit, flags. */
#define HO_STATES (8U * 8U * 4U * 4U * 64U * 32U)

/* The @n-th scripted state; false for an unused encoding of it. */
static bool ho_state_of(unsigned int n, struct ho_state *st)
{
	unsigned int flags = n % 32, credit = n / 32 % 64;
	unsigned int rest = n / 32 / 64;

	/* Credits of 3 per vCPU are no credit level: skip. */
	if ((credit & 3) == 3 || (credit & 12) == 12 || (credit & 48) == 48)
		return false;
	*st = (struct ho_state){
		.ready = rest % 8,
		.boosted = rest / 8 % 8,
		.running = (int)(rest / 64 % 4) - 1,
		.turn = (int)(rest / 256 % 4) - 1,
		.credit = credit,
		.waited = flags & 1,
		.prio_b = flags & 2,
		.idle_cpu1 = flags & 4,
		.moves = flags & 8,
	};
	/* A boost going on is the running one's. */
	if ((flags & 16) && st->running < 0)
		return false;
	st->boost_on = flags & 16;
	return true;
}

/*
 * Every state of three vCPUs on pCPU0 (runnable or blocked, boosted or
 * not, which ran last and whose turn it is, their credit against the
 * guard, priorities, an idle pCPU the waiting ones may move to, a move
 * asked, a boost going on): the pass with the hand-off allowed leaves
 * exactly what the full pick leaves, and the hand-off is taken where it
 * applies (the switch of the SGI ping-pong among them).
 */
static void test_handoff_decides_as_the_full_pick(void **state)
{
	static const unsigned int pcpu[2] = { 0, 0 };
	struct ho_result h, f;
	unsigned int states = 0;

	(void)state;
	ho_cfg[0] = util_vm_add("a", 2, pcpu, 1);
	ho_cfg[1] = util_vm_add("b", 1, NULL, 1);
	util_create();
	assert_ptr_equal(vms[0].cfg, ho_cfg[0]);
	assert_ptr_equal(vms[1].cfg, ho_cfg[1]);
	for (int k = 0; k < 3; k++)
		ho_vcpu(k)->st.power = VCPU_POWER_ON;
	cpus[0].handoffs = 0;
	for (unsigned int n = 0; n < HO_STATES; n++) {
		struct ho_state st;

		if (!ho_state_of(n, &st))
			continue;
		ho_pass(&st, false, &f);
		ho_pass(&st, true, &h);
		ho_compare(&st, &h, &f);
		states++;
	}
	assert_int_equal(states, 774144);
	assert_true(cpus[0].handoffs > 1000);
}

static void test_too_many_vcpus_on_one_pcpu(void **state)
{
	(void)state;
	util_vm_add("a", 8, NULL, 1);
	util_vm_add("b", 8, NULL, 1);
	util_vm_add("c", 1, NULL, 1);
	assert_false(vm_create_all(&util_sys, &util_hw));
	util_out_has("/hypervisor/c: property cpus: CPU0 hosts too many vCPUs "
		     "(at most 16)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_higher_priority_runs_first,
						setup, util_teardown),
		cmocka_unit_test_setup_teardown(test_round_robin_among_equals,
						setup, util_teardown),
		cmocka_unit_test_setup_teardown(
			test_loaded_keeps_its_turn_until_it_ends, setup,
			util_teardown),
		cmocka_unit_test_setup_teardown(
			test_t7_migrate_blocked_vcpu_moves_backup, setup,
			util_teardown),
		cmocka_unit_test_setup_teardown(test_migrate_refuses_offline_cpu,
						setup, util_teardown),
		cmocka_unit_test_setup_teardown(
			test_affinity_moves_a_waiting_vcpu_to_an_idle_pcpu,
			setup, util_teardown),
		cmocka_unit_test_setup_teardown(test_no_affinity_no_move, setup,
						util_teardown),
		cmocka_unit_test_setup_teardown(
			test_slice_ends_and_next_gets_full_slice, setup,
			util_teardown),
		cmocka_unit_test_setup_teardown(test_wfi_blocks_until_woken,
						setup, util_teardown),
		cmocka_unit_test_setup_teardown(test_paused_vm_does_not_run,
						setup, util_teardown),
		cmocka_unit_test_setup_teardown(
			test_cpu_on_while_loaded_discards_stale_state, setup,
			util_teardown),
		cmocka_unit_test_setup_teardown(
			test_vm_reset_discards_and_switch_saves, setup,
			util_teardown),
		cmocka_unit_test_setup_teardown(
			test_cpu_off_then_other_vcpu_discards, setup,
			util_teardown),
		cmocka_unit_test_setup_teardown(test_wake_kicks_the_other_pcpu,
						setup, util_teardown),
		cmocka_unit_test_setup_teardown(
			test_put_runnable_vcpu_rescheduled_at_its_deadline,
			setup, util_teardown),
		cmocka_unit_test_setup_teardown(
			test_boost_preempts_an_equal_after_its_min_run, setup,
			util_teardown),
		cmocka_unit_test_setup_teardown(
			test_boost_never_preempts_a_higher_priority, setup,
			util_teardown),
		cmocka_unit_test_setup_teardown(
			test_guard_caps_a_storming_vcpu_to_its_share, setup,
			util_teardown),
		cmocka_unit_test_setup_teardown(
			test_boost_of_the_running_vcpu_ends_when_it_is_put,
			setup, util_teardown),
		cmocka_unit_test_setup_teardown(
			test_a_mostly_waiting_vcpu_keeps_its_boosts, setup,
			util_teardown),
		cmocka_unit_test_setup_teardown(
			test_boost_ends_a_min_run_after_the_interrupt_is_taken,
			setup, util_teardown),
		cmocka_unit_test_setup_teardown(
			test_boost_untaken_lasts_its_full_length, setup,
			util_teardown),
		cmocka_unit_test_setup_teardown(
			test_handoff_decides_as_the_full_pick, setup,
			util_teardown),
		cmocka_unit_test_setup_teardown(test_too_many_vcpus_on_one_pcpu,
						setup, util_teardown),
	};

	return cmocka_run_group_tests_name("sched", tests, NULL, NULL);
}
