// SPDX-License-Identifier: MIT
/*
 * core/run.c, the run loop that ships, driven through the fake: an exit
 * whose handler resumes without touching interrupt state re-enters with
 * the list registers as the guest left them (no fold, no refill); any
 * other settles; and an interrupt made pending in any phase of the loop
 * (before load, between the fill and the entry, while the guest runs, in
 * an exit's handler, during a fold, during a migration), locally or from
 * another pCPU, is taken by the guest exactly once, at the latest at the
 * entry after the one it was raised before.
 */
#include <kairos/cpu.h>
#include <kairos/irq.h>
#include <kairos/run.h>
#include <kairos/sched.h>
#include <kairos/time.h>
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

#define GICD 0x08000000UL
#define CTLR 0x0000
#define ISENABLER 0x0100
#define IPRIORITYR 0x0400
#define SPI 40U
#define RUN_TICKS 1000U
#define MAX_RUNS 16

static struct vm *vm;

/* What the guest took, run by run (the fake counts entries from 0). */
static struct {
	unsigned int acks[MAX_RUNS];
	unsigned int others;
	unsigned int runs;
	unsigned int raised_before; /* the next entry when it was raised */
	unsigned int slack;         /* entries it may miss after that */
	bool raised;
} g;

static struct vcpu *vc(unsigned int i)
{
	return &vm->vcpus[i];
}

static void gicd_w(uint64_t off, unsigned int len, uint64_t val)
{
	assert_int_equal(vmmio_access(vc(0), GICD + off, true, len, &val),
			 MMIO_OK);
}

/* One VM of one vCPU with SPI 40 enabled; @pcpus pCPUs online. */
static void make_vm(unsigned int pcpus)
{
	util_setup(pcpus);
	util_vm_add("g", 1, NULL, 1);
	util_create();
	vm = &vms[0];
	gicd_w(CTLR, 4, 3);
	gicd_w(ISENABLER + SPI / 32 * 4UL, 4, 1U << (SPI % 32));
	gicd_w(IPRIORITYR + SPI, 1, 0x80);
	memset(&g, 0, sizeof(g));
}

static int setup(void **state)
{
	(void)state;
	make_vm(2);
	return 0;
}

/* The guest: take and finish whatever is listed. */
static void guest_takes(struct vcpu *v, void *arg)
{
	uint32_t id;

	(void)v;
	(void)arg;
	assert_true(g.runs < MAX_RUNS);
	while ((id = fake_vgic_guest_ack()) != IRQ_SPURIOUS) {
		if (id == SPI)
			g.acks[g.runs]++;
		else
			g.others++;
		fake_vgic_guest_eoi(id);
	}
	g.runs++;
}

/* Raise the SPI from this pCPU (an emulated device of the VM). */
static void raise_here(struct vcpu *v, void *arg)
{
	(void)v;
	(void)arg;
	g.raised = true;
	g.raised_before = g.runs;
	vgic_inject(vc(0), SPI);
}

/* Raise it from pCPU 1 (a device interrupt or SGI handled there). */
static void raise_remote(struct vcpu *v, void *arg)
{
	struct cpu *here = cpu_current();

	arch_cpu_set_current(&cpus[1]);
	raise_here(v, arg);
	arch_cpu_set_current(here);
}

/*
 * The SPI was taken exactly once, by the entry after it was raised (or
 * the one after that, with slack 1: raised after that entry's fill, or
 * while the guest ran), and nothing else was.
 */
static void assert_taken_once(void)
{
	unsigned int total = 0, first = MAX_RUNS;

	assert_true(g.raised);
	for (unsigned int r = 0; r < g.runs; r++) {
		total += g.acks[r];
		if (g.acks[r] && first == MAX_RUNS)
			first = r;
	}
	if (total != 1)
		fail_msg("SPI %u taken %u times over %u runs", SPI, total,
			 g.runs);
	if (first > g.raised_before + g.slack)
		fail_msg("raised before entry %u, taken at entry %u",
			 g.raised_before, first);
	assert_int_equal(g.others, 0);
}

/* @n guest runs that exit with @e, each taking what is listed. */
static void push_runs(unsigned int n, enum fake_exit e)
{
	for (unsigned int i = 0; i < n; i++)
		fake_vcpu_push_guest(e, RUN_TICKS, guest_takes, NULL, NULL);
}

static void run_script(void)
{
	arch_cpu_set_current(&cpus[0]);
	fake_vcpu_run_script(run_loop);
}

/* ---- Fast exits ---- */

static void test_resume_exit_keeps_list_registers(void **state)
{
	unsigned int writes, reads;

	(void)state;
	vgic_inject(vc(0), SPI);
	/* Three exits handled without the vGIC, the guest taking nothing
	 * until the last run: the SPI stays listed, pending, in place. */
	for (unsigned int i = 0; i < 3; i++)
		fake_vcpu_push(FAKE_EXIT_RESUME, RUN_TICKS, NULL, NULL);
	fake_vcpu_push_guest(FAKE_EXIT_YIELD, RUN_TICKS, guest_takes, NULL,
			     NULL);
	writes = fake_vgic_lr_writes();
	reads = fake_vgic_lr_reads();
	run_script();
	/*
	 * One fill for the four entries (and one for the entry after, which
	 * ends the script); one fold, at the exit that yields.
	 */
	assert_int_equal(fake_vgic_lr_writes() - writes, 1 + 1);
	assert_int_equal(fake_vgic_lr_reads() - reads, 1);
	assert_int_equal(g.acks[0], 1);
	assert_int_equal(vc(0)->exits, 4);
}

/*
 * A storm of exits resumed at once (a guest hammering an emulated
 * register) has the interrupt controller refresh what it signals every
 * RUN_REFRESH_RESUMES of them, and still neither folds nor refills.
 */
static void test_resume_storm_refreshes_the_controller(void **state)
{
	unsigned int writes, before;

	(void)state;
	irq_chip_register(&fake_irqchip_v2); /* the one with a refresh */
	for (unsigned int i = 0; i < 2 * RUN_REFRESH_RESUMES + 1; i++)
		fake_vcpu_push(FAKE_EXIT_RESUME, RUN_TICKS, NULL, NULL);
	fake_vcpu_push(FAKE_EXIT_YIELD, RUN_TICKS, NULL, NULL);
	writes = fake_vgic_lr_writes();
	before = fake_refreshes();
	run_script();
	assert_int_equal(fake_refreshes() - before, 2);
	assert_int_equal(fake_vgic_lr_writes() - writes, 1 + 1);
}

/* A handler that reads the vGIC's pending state settles first. */
static void read_ispendr(struct vcpu *v, void *arg)
{
	uint64_t val = 0;

	(void)arg;
	assert_true(v->lrs_live);
	assert_int_equal(vmmio_access(v, GICD + 0x200 + SPI / 32 * 4UL, false,
				      4, &val),
			 MMIO_OK);
	assert_false(v->lrs_live);
	/* Listed, not taken: still pending in the model once folded. */
	assert_true(val & (1U << (SPI % 32)));
}

static void test_handler_reading_pending_state_settles(void **state)
{
	unsigned int writes;

	(void)state;
	vgic_inject(vc(0), SPI);
	fake_vcpu_push(FAKE_EXIT_RESUME, RUN_TICKS, read_ispendr, NULL);
	push_runs(1, FAKE_EXIT_YIELD);
	writes = fake_vgic_lr_writes();
	run_script();
	/* Settled by the read: the next entry fills again (+1: the entry
	 * that ends the script). */
	assert_int_equal(fake_vgic_lr_writes() - writes, 2 + 1);
	assert_int_equal(g.acks[0], 1);
}

/* A level line that drops while listed is withdrawn at the next entry. */
static void line_drops(struct vcpu *v, void *arg)
{
	(void)arg;
	vgic_set_line(v, SPI, false);
}

static void test_dropped_line_withdrawn_after_fast_exit(void **state)
{
	(void)state;
	vgic_set_line(vc(0), SPI, true);
	fake_vcpu_push(FAKE_EXIT_RESUME, RUN_TICKS, line_drops, NULL);
	push_runs(1, FAKE_EXIT_YIELD);
	run_script();
	assert_int_equal(g.runs, 1);
	assert_int_equal(g.acks[0], 0);
	assert_int_equal(g.others, 0);
}

/*
 * The same, the line dropped on pCPU 1 (an emulated device served
 * there) while the vCPU runs its guest on pCPU 0: its pCPU is kicked, so
 * the guest does not take it late, and it is withdrawn.
 */
static unsigned int kicks_at_drop;

static void line_drops_remote(struct vcpu *v, void *arg)
{
	struct cpu *here = cpu_current();
	unsigned int before = fake_sgis(0, IRQ_SGI_KICK);

	(void)arg;
	arch_cpu_set_current(&cpus[1]);
	vgic_set_line(v, SPI, false);
	arch_cpu_set_current(here);
	kicks_at_drop = fake_sgis(0, IRQ_SGI_KICK) - before;
}

static void test_dropped_line_remote_kicks(void **state)
{
	(void)state;
	vgic_set_line(vc(0), SPI, true);
	fake_vcpu_push(FAKE_EXIT_RESUME, RUN_TICKS, line_drops_remote, NULL);
	push_runs(1, FAKE_EXIT_YIELD);
	run_script();
	assert_int_equal(kicks_at_drop, 1);
	assert_int_equal(g.runs, 1);
	assert_int_equal(g.acks[0], 0);
}

/* WFI with the interrupt already pending completes without blocking. */
static void test_wfi_with_pending_resumes_at_once(void **state)
{
	(void)state;
	vgic_inject(vc(0), SPI);
	fake_vcpu_push(FAKE_EXIT_WFI, RUN_TICKS, NULL, NULL);
	push_runs(1, FAKE_EXIT_YIELD);
	run_script();
	assert_int_equal(vc(0)->run, VCPU_RUN_READY);
	assert_int_equal(g.acks[0], 1);
	assert_string_equal(fake_vcpu_log(), "load 0.0 run 0.0 run 0.0");
}

/*
 * An interrupt at EL2 folds the list registers and leaves the timer lines
 * to the next entry, which derives them anyway (T2). Should the loop stop
 * there instead (a reschedule asked meanwhile), the vCPU is left with its
 * lines re-sampled all the same: a put or a scheduling pass that looks at
 * its pending state must not see the line as it was at the entry.
 */
static void timer_masked_and_kick(struct vcpu *v, void *arg)
{
	(void)v;
	(void)arg;
	fake_vtimer_set(TIMER_CTL_ENABLE | TIMER_CTL_IMASK, 0);
	sched_kick(0); /* this pCPU: the request, no SGI */
}

static bool line_at_return;
static unsigned int ran_at_return;
static enum vexit_result exit_at_return;

/* run_loop(), its first run_vcpu() observed on the way. */
static void loop_watching_first_run(void)
{
	struct cpu *c = cpu_current();

	sched_cpu_init(c);
	arch_irq_disable();
	/* Its boot steps first (its RAM cleared), then the one guest run. */
	for (unsigned int i = 0; i < 100 && !fake_vcpu_runs(); i++) {
		c->resched = 0; /* as run_loop() does before its pass */
		struct vcpu *v = sched_next(c);

		assert_non_null(v);
		exit_at_return = run_vcpu(v);
	}
	ran_at_return = fake_vcpu_runs();
	line_at_return = vc(0)->st.vgic.priv[VTIMER_INTID].flags & VGIC_LINE;
	run_loop();
}

static void test_irq_exit_then_resched_settles_timer_lines(void **state)
{
	(void)state;
	/* Due and unmasked when loaded: its line is high at the entry. */
	vc(0)->st.vtimer.ctl = TIMER_CTL_ENABLE;
	vc(0)->st.vtimer.cval = 0;
	fake_vcpu_push(FAKE_EXIT_IRQ, RUN_TICKS, timer_masked_and_kick, NULL);
	arch_cpu_set_current(&cpus[0]);
	fake_vcpu_run_script(loop_watching_first_run);
	assert_int_equal(ran_at_return, 1);
	assert_int_equal(exit_at_return, VEXIT_RESCHED);
	assert_false(line_at_return);
	/* And the next entry derived it low as well. */
	assert_false(vc(0)->st.vgic.priv[VTIMER_INTID].flags & VGIC_LINE);
}

/* ---- An interrupt raised in every phase ---- */

/*
 * Guest runs exiting with @e (RESUME: the loop's fast path), with the SPI
 * raised by @fn at the @nth time the loop reaches @phase; it may be taken
 * @slack entries late.
 */
static void phase_case(enum fake_phase phase, unsigned int nth,
		       fake_guest_fn fn, enum fake_exit e, unsigned int slack)
{
	g.slack = slack;
	push_runs(5, e);
	push_runs(1, FAKE_EXIT_YIELD);
	fake_vcpu_on(phase, nth, fn, NULL);
	run_script();
	assert_taken_once();
}

static void test_raised_before_load(void **state)
{
	(void)state;
	phase_case(FAKE_AT_LOAD, 1, raise_here, FAKE_EXIT_RESUME, 0);
}

static void test_raised_between_fill_and_entry_local(void **state)
{
	(void)state;
	phase_case(FAKE_AT_LRS_WRITE, 1, raise_here, FAKE_EXIT_RESUME, 1);
}

static void test_raised_between_fill_and_entry_remote(void **state)
{
	(void)state;
	phase_case(FAKE_AT_LRS_WRITE, 1, raise_remote, FAKE_EXIT_RESUME, 1);
}

static void test_raised_at_entry_remote(void **state)
{
	(void)state;
	phase_case(FAKE_AT_ENTER, 2, raise_remote, FAKE_EXIT_RESUME, 1);
}

static void test_raised_in_fast_handler_local(void **state)
{
	(void)state;
	phase_case(FAKE_AT_TRAP, 2, raise_here, FAKE_EXIT_RESUME, 0);
}

static void test_raised_in_fast_handler_remote(void **state)
{
	(void)state;
	phase_case(FAKE_AT_TRAP, 2, raise_remote, FAKE_EXIT_RESUME, 0);
}

static void test_raised_in_rescheduling_handler(void **state)
{
	(void)state;
	phase_case(FAKE_AT_TRAP, 2, raise_here, FAKE_EXIT_RESCHED, 0);
}

static void test_raised_during_fold_local(void **state)
{
	(void)state;
	phase_case(FAKE_AT_LRS_READ, 1, raise_here, FAKE_EXIT_RESCHED, 0);
}

static void test_raised_during_fold_remote(void **state)
{
	(void)state;
	phase_case(FAKE_AT_LRS_READ, 1, raise_remote, FAKE_EXIT_RESCHED, 0);
}

/* ---- During a migration ---- */

static void migrate_and_raise(struct vcpu *v, void *arg)
{
	assert_null(sched_migrate(v, 1));
	raise_here(v, arg);
}

static void test_raised_during_migration(void **state)
{
	(void)state;
	/* On CPU0 it asks to move and the SPI comes in the same exit. */
	push_runs(1, FAKE_EXIT_RESCHED);
	g.slack = 0;
	fake_vcpu_on(FAKE_AT_TRAP, 1, migrate_and_raise, NULL);
	run_script();
	assert_int_equal(vc(0)->pcpu, 1);
	assert_int_equal(g.runs, 1);
	assert_null(cpus[0].loaded);
	/* CPU1 takes it over and presents the SPI at its first entry. */
	push_runs(2, FAKE_EXIT_YIELD);
	arch_cpu_set_current(&cpus[1]);
	fake_vcpu_run_script(run_loop);
	assert_ptr_equal(cpus[1].loaded, vc(0));
	assert_taken_once();
	assert_int_equal(g.acks[1], 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_resume_exit_keeps_list_registers, setup,
			util_teardown),
		cmocka_unit_test_setup_teardown(
			test_handler_reading_pending_state_settles, setup,
			util_teardown),
		cmocka_unit_test_setup_teardown(
			test_dropped_line_withdrawn_after_fast_exit, setup,
			util_teardown),
		cmocka_unit_test_setup_teardown(test_dropped_line_remote_kicks,
						setup, util_teardown),
		cmocka_unit_test_setup_teardown(
			test_wfi_with_pending_resumes_at_once, setup,
			util_teardown),
		cmocka_unit_test_setup_teardown(
			test_resume_storm_refreshes_the_controller, setup,
			util_teardown),
		cmocka_unit_test_setup_teardown(
			test_irq_exit_then_resched_settles_timer_lines, setup,
			util_teardown),
		cmocka_unit_test_setup_teardown(test_raised_before_load, setup,
						util_teardown),
		cmocka_unit_test_setup_teardown(
			test_raised_between_fill_and_entry_local, setup,
			util_teardown),
		cmocka_unit_test_setup_teardown(
			test_raised_between_fill_and_entry_remote, setup,
			util_teardown),
		cmocka_unit_test_setup_teardown(test_raised_at_entry_remote,
						setup, util_teardown),
		cmocka_unit_test_setup_teardown(
			test_raised_in_fast_handler_local, setup,
			util_teardown),
		cmocka_unit_test_setup_teardown(
			test_raised_in_fast_handler_remote, setup,
			util_teardown),
		cmocka_unit_test_setup_teardown(
			test_raised_in_rescheduling_handler, setup,
			util_teardown),
		cmocka_unit_test_setup_teardown(test_raised_during_fold_local,
						setup, util_teardown),
		cmocka_unit_test_setup_teardown(test_raised_during_fold_remote,
						setup, util_teardown),
		cmocka_unit_test_setup_teardown(test_raised_during_migration,
						setup, util_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
