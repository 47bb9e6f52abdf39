// SPDX-License-Identifier: MIT
/*
 * Kairos's timer invariants (docs/time-invariants.md), one test each,
 * named after the invariant: t3 (no lost wakeup with a busy sibling), t6
 * (one counter for all vCPUs), t9 (ISPENDR/ICACTIVER on the hardware-
 * mapped timer PPI), t10 (a disabled timer PPI does not wedge), t11 (no
 * double injection), t19 (the physical timer beside the virtual one).
 * t8 is in cases.c (it reuses the mask cases).
 */
#include "timertest.h"

#define EN TIMER_CTL_ENABLE
#define ISTATUS TIMER_CTL_ISTATUS

static struct tt_stat *stat(enum tt_kind k)
{
	return &tt_self()->t[k];
}

/* T3: TVAL + WFI while CPU1 busy-loops (under Kairos on the same pCPU). */
#define T3_ROUNDS 20

TEST(t3_wfi_busy_sibling)
{
	const enum tt_kind k = TT_VIRT;
	unsigned int progressed = 0;

	if (!tt_setup(1U << k, true))
		return;
	for (uint32_t i = 0; i < T3_ROUNDS; i++) {
		uint64_t busy = tt_load64(&tt_cpus[1].busy);

		irq_mask();
		tt_set_tval(k, (int32_t)tt_ticks(200 + 50 * i));
		tt_set_ctl(k, EN);
		if (!tt_wait(&stat(k)->count, i + 1, TT_WFI, TT_TIMEOUT_US)) {
			test_fail(
				"round %u: TVAL %u us in WFI, CPU1 busy: no interrupt",
				i, 200 + 50 * i);
			goto out;
		}
		progressed += tt_load64(&tt_cpus[1].busy) != busy;
	}
	if (!tt_expect_none(k, T3_ROUNDS, TT_QUIET_US, "TVAL + WFI rounds"))
		goto out;
	printf("# CPU1 made progress during %u of %u waits\n", progressed,
	       T3_ROUNDS);
	TT_CHECK(progressed > 0, "CPU1 never ran while CPU0 waited in WFI");
out:
	tt_teardown(1U << k);
}

/*
 * T6: CNTVCT is one counter for every vCPU. CPU0 and CPU1 take turns:
 * each reads its counter, publishes the sample and sends an SGI; the
 * other, having seen it (in the SGI handler and again in its loop), reads
 * its own counter, which must not be behind. Each CPU's samples must be
 * monotonic. Between two phases CPU1 goes through PSCI CPU_OFF and CPU_ON.
 *
 * The loop sees every round; the handler need not. A CPU can see the
 * other's published round in memory before that round's SGI reaches it
 * and go on, and the other's next SGI may then find the first still
 * pending: the GIC keeps one pending state per SGI (and source), so the
 * two are taken as one, natively too once delivery is slow. What must
 * hold is that no SGI is lost: every round's SGI is followed by a take
 * that sees that round (x6.covered), and there are never more takes than
 * sends.
 */
#define T6_SGI 1
#define T6_ROUNDS 300

static struct {
	uint64_t sample[2];
	uint32_t seq[2];
	uint64_t last[2];
	uint32_t checks[2];
	/* SGIs taken by each CPU, and the other's round the last one saw. */
	uint32_t taken[2];
	uint32_t covered[2];
	uint32_t rounds;
} x6;

static void t6_check(unsigned int me, const char *where)
{
	unsigned int other = 1 - me;
	uint64_t theirs = tt_load64(&x6.sample[other]);
	uint64_t mine = time_ticks();

	if (mine < theirs)
		test_fail(
			"CPU%u (%s): CNTVCT 0x%llx behind CPU%u's earlier sample 0x%llx",
			me, where, (unsigned long long)mine, other,
			(unsigned long long)theirs);
	if (mine < x6.last[me])
		test_fail("CPU%u: CNTVCT went back from 0x%llx to 0x%llx", me,
			  (unsigned long long)x6.last[me],
			  (unsigned long long)mine);
	x6.last[me] = mine;
	x6.checks[me]++;
}

static void t6_sgi(unsigned int intid, unsigned int source)
{
	unsigned int me = cpu_index();

	(void)source;
	if (intid != T6_SGI || me >= 2)
		return;
	t6_check(me, "SGI handler");
	x6.taken[me]++;
	tt_store(&x6.covered[me], tt_load(&x6.seq[1 - me]));
}

/* The other CPU's last round @r: its SGI must come (taken, or merged). */
static void t6_expect_covered(unsigned int me, uint32_t r)
{
	if (!tt_wait(&x6.covered[me], r, TT_WFI, TT_TIMEOUT_US))
		test_fail("CPU%u: the SGI of CPU%u's round %u never came", me,
			  1 - me, r);
}

/* One side of the ping-pong: publish, then wait for the other's turn. */
static bool t6_turn(unsigned int me, uint32_t r)
{
	unsigned int other = 1 - me;

	if (me == 1 && !tt_wait(&x6.seq[0], r, TT_WFI, TT_TIMEOUT_US))
		return false;
	t6_check(me, "loop");
	tt_store64(&x6.sample[me], time_ticks());
	tt_store(&x6.seq[me], r);
	gic_send_sgi(other, T6_SGI);
	return me == 1 || tt_wait(&x6.seq[1], r, TT_WFI, TT_TIMEOUT_US);
}

static void t6_cpu1(void)
{
	uint32_t first = tt_load(&x6.seq[1]) + 1;

	for (uint32_t r = first; r < first + x6.rounds && !test_failed(); r++) {
		if (!t6_turn(1, r)) {
			test_fail("CPU1: round %u: CPU0's sample never came",
				  r);
			return;
		}
	}
	t6_expect_covered(1, first + x6.rounds - 1);
}

TEST(t6_counter_exchange)
{
	uint64_t rounds = T6_ROUNDS;

	board_arg_u64("rounds", &rounds);
	if (!tt_setup(0, false))
		return;
	memset(&x6, 0, sizeof(x6));
	x6.rounds = (uint32_t)rounds;
	tt_set_sgi_hook(t6_sgi);
	for (unsigned int phase = 0; phase < 2 && !test_failed(); phase++) {
		uint32_t first = tt_load(&x6.seq[0]) + 1;

		/* Phase 2: CPU1 back from CPU_OFF, its first look is checked
		 * against CPU0's last sample of phase 1. */
		if (!tt_start_cpu1(t6_cpu1))
			return;
		irq_unmask();
		for (uint32_t r = first; r < first + x6.rounds; r++) {
			if (!t6_turn(0, r)) {
				test_fail(
					"CPU0: phase %u round %u: CPU1's sample never came",
					phase, r);
				break;
			}
			if (test_failed())
				break;
		}
		if (!test_failed())
			t6_expect_covered(0, first + x6.rounds - 1);
		irq_mask();
		if (!tt_wait_cpu1(TT_TIMEOUT_US))
			test_fail("CPU1 did not finish phase %u", phase);
		tt_stop_cpu1();
	}
	tt_set_sgi_hook(NULL);
	printf("# %u rounds x 2 phases: %u checks on CPU0, %u on CPU1; "
	       "SGIs taken %u and %u of %u each\n",
	       x6.rounds, x6.checks[0], x6.checks[1], x6.taken[0], x6.taken[1],
	       2 * x6.rounds);
	for (unsigned int c = 0; c < 2 && !test_failed(); c++) {
		EXPECT(x6.checks[c] == x6.taken[c] + 2 * x6.rounds,
		       "CPU%u: %u checks, want %u (one per round in its loop, "
		       "one per SGI taken)",
		       c, x6.checks[c], x6.taken[c] + 2 * x6.rounds);
		EXPECT(x6.taken[c] >= 1 && x6.taken[c] <= 2 * x6.rounds,
		       "CPU%u took %u SGIs for the other's %u", c, x6.taken[c],
		       2 * x6.rounds);
	}
}

/*
 * T9: the hardware-mapped timer PPI under the guest's ISPENDR and
 * ICACTIVER. Pended by ISPENDR with the timer off, it is taken once;
 * deactivated by ICACTIVER inside its handler (timer then turned off), the
 * next expiry is still delivered (the physical interrupt was not left
 * active); deactivated inside the handler with the line still up, it is
 * taken exactly once more after the EOI.
 */
TEST(t9_ispendr_icactiver)
{
	const enum tt_kind k = TT_VIRT;
	unsigned int intid;
	struct tt_stat *s;

	if (!tt_setup(1U << k, false))
		return;
	intid = tt_intid(k);
	s = stat(k);
	irq_mask();
	s->soft = true;
	gic_set_pending(intid, true);
	if (!gic_is_pending(intid)) {
		test_fail("ISPENDR of PPI %u (timer off): not pending", intid);
		goto out;
	}
	if (!tt_expect(k, 1, TT_WFI, TT_TIMEOUT_US, "pended by ISPENDR"))
		goto out;
	s->soft = false;
	irq_mask();
	s->deactivate = true;
	tt_set_cval(k, tt_now(k) - 1);
	tt_set_ctl(k, EN);
	if (!tt_expect(k, 2, TT_WFI, TT_TIMEOUT_US, "ICACTIVER in the handler"))
		goto out;
	if (s->active_after) {
		test_fail("PPI %u active in its handler after ICACTIVER",
			  intid);
		goto out;
	}
	irq_mask();
	s->deactivate = false;
	tt_set_cval(k, tt_now(k) - 1);
	tt_set_ctl(k, EN);
	if (!tt_expect(k, 3, TT_WFI, TT_TIMEOUT_US,
		       "expiry after an ICACTIVER in the handler"))
		goto out;
	irq_mask();
	s->deactivate = true;
	s->keep_once = true;
	s->count = 0;
	tt_set_cval(k, tt_now(k) - 1);
	tt_set_ctl(k, EN);
	tt_expect(k, 2, TT_WFI, TT_TIMEOUT_US,
		  "ICACTIVER in the handler, line still up");
out:
	tt_teardown(1U << k);
}

/*
 * T10: the guest disables the timer PPI at its GIC with the timer expired
 * and unmasked (what an OS does on CPU_OFF). The CPU must keep its pace:
 * loop iterations in a fixed counter window against a baseline. Then CPU1
 * does the same and turns itself off; CPU0 keeps its pace, and CPU1 comes
 * back with a working timer.
 */
#define T10_WINDOW_US 20000

static uint64_t t10_spin(void)
{
	uint64_t end = time_ticks() + tt_ticks(T10_WINDOW_US), n = 0;

	while (time_ticks() < end)
		n++;
	return n;
}

static void t10_off_with_expired_timer(void)
{
	gic_set_enable(tt_intid(TT_VIRT), false);
	timer_virt_set_cval(time_ticks() - 1);
	timer_virt_set_ctl(EN);
	irq_unmask();
}

static void t10_timer_works(void)
{
	struct tt_stat *s = stat(TT_VIRT);

	gic_set_edge(tt_intid(TT_VIRT), false);
	gic_set_enable(tt_intid(TT_VIRT), true);
	timer_virt_set_tval((int32_t)tt_ticks(300));
	timer_virt_set_ctl(EN);
	if (!tt_wait(&s->count, 1, TT_WFI, TT_TIMEOUT_US))
		test_fail("CPU1 after CPU_OFF/ON: its timer never fired");
	irq_mask();
	timer_virt_set_ctl(0);
}

static bool t10_pace(uint64_t base, const char *what)
{
	uint64_t got = t10_spin();

	printf("# %s: %llu iterations in %u us (baseline %llu)\n", what,
	       (unsigned long long)got, T10_WINDOW_US,
	       (unsigned long long)base);
	if (got * 4 < base)
		test_fail("%s: %llu iterations in %u us, baseline %llu", what,
			  (unsigned long long)got, T10_WINDOW_US,
			  (unsigned long long)base);
	return !test_failed();
}

TEST(t10_disabled_ppi_progress)
{
	const enum tt_kind k = TT_VIRT;
	uint64_t base;

	if (!tt_setup(1U << k, false))
		return;
	irq_unmask();
	base = t10_spin();
	irq_mask();
	gic_set_enable(tt_intid(k), false);
	tt_set_cval(k, tt_now(k) - 1);
	tt_set_ctl(k, EN);
	irq_unmask();
	if (!t10_pace(base, "timer expired, PPI disabled"))
		goto out;
	TT_CHECK(stat(k)->count == 0 && gic_is_pending(tt_intid(k)),
		 "disabled PPI %u: %u interrupts, pending %d; want 0, pending",
		 tt_intid(k), stat(k)->count, gic_is_pending(tt_intid(k)));
	irq_mask();
	tt_set_ctl(k, 0);
	if (board_cpu_count() < 2)
		goto out;
	if (!tt_start_cpu1(t10_off_with_expired_timer) ||
	    !tt_wait_cpu1(TT_TIMEOUT_US))
		goto out;
	tt_stop_cpu1();
	irq_unmask();
	if (!t10_pace(base, "CPU1 off with its timer expired, PPI disabled"))
		goto out;
	if (tt_start_cpu1(t10_timer_works) && !tt_wait_cpu1(TT_TIMEOUT_US))
		test_fail("CPU1 did not finish after CPU_ON");
out:
	tt_teardown(1U << k);
}

/*
 * T11: no double injection. Periodic interrupts re-armed in the handler
 * (before its EOI), and one arming at a time answered and masked by the
 * handler: exactly one interrupt per period or arming, no spurious
 * acknowledges.
 */
#define T11_N 50
#define T11_PERIOD_US 200

static bool t11_periodic(enum tt_kind k, enum tt_mode m, bool eoi_first)
{
	struct tt_stat *s = stat(k);
	uint64_t p = tt_ticks(T11_PERIOD_US), first;

	irq_mask();
	memset(s, 0, sizeof(*s));
	s->policy = TT_PERIODIC;
	s->eoi_first = eoi_first;
	s->period = p;
	s->periods = T11_N;
	first = tt_now(k) + p;
	tt_set_cval(k, first);
	tt_set_ctl(k, EN);
	if (!tt_expect(k, T11_N, m, TT_TIMEOUT_US,
		       eoi_first ? "periodic, EOI first" : "periodic"))
		return false;
	if (s->last_cval != first + (T11_N - 1) * p)
		test_fail("last period's CVAL 0x%llx, want 0x%llx",
			  (unsigned long long)s->last_cval,
			  (unsigned long long)(first + (T11_N - 1) * p));
	return !test_failed();
}

TEST(t11_no_double_injection)
{
	const enum tt_kind k = tt_arg_kind();
	enum tt_mode m = tt_arg_mode();
	struct tt_stat *s;

	if (!tt_setup(1U << k, m == TT_BUSY))
		return;
	s = stat(k);
	if (!t11_periodic(k, m, false))
		goto out;
	memset(s, 0, sizeof(*s));
	s->policy = TT_MASK;
	for (uint32_t i = 0; i < T11_N; i++) {
		irq_mask();
		tt_set_tval(k, (int32_t)tt_ticks(T11_PERIOD_US / 2 * (i % 3)));
		tt_set_ctl(k, EN);
		if (!tt_wait(&s->count, i + 1, m, TT_TIMEOUT_US)) {
			test_fail("arming %u: no interrupt", i);
			goto out;
		}
		if (tt_load(&s->count) != i + 1) {
			test_fail("arming %u: %u interrupts in all, want %u", i,
				  tt_load(&s->count), i + 1);
			goto out;
		}
	}
	tt_expect_none(k, T11_N, TT_QUIET_US, "one arming at a time");
out:
	tt_teardown(1U << k);
}

/*
 * T11, the hard case: the handler writes EOIR while the line is still up
 * and only then re-arms (lowering the line) before it returns. Natively
 * the GIC makes the interrupt pending again at the EOI and withdraws it
 * when the line drops (level-sensitive), so exactly one interrupt per
 * period is taken. A hypervisor that takes the physical interrupt the EOI
 * re-raised and lists it pending before the guest lowers the line injects
 * an interrupt whose condition no longer holds (the handler sees ISTATUS
 * clear).
 */
TEST(t11_eoi_before_rearm)
{
	const enum tt_kind k = tt_arg_kind();
	enum tt_mode m = tt_arg_mode();

	if (!tt_setup(1U << k, m == TT_BUSY))
		return;
	t11_periodic(k, m, true);
	tt_teardown(1U << k);
}

/*
 * T19: the physical timer beside the virtual one: both periodic at once
 * with different periods, each counting exactly its own interrupts (two
 * VMs running this on one pCPU must not disturb each other).
 */
#define T19_NP 40
#define T19_NV 30
#define T19_PP_US 300
#define T19_PV_US 450

static void t19_arm(enum tt_kind k, uint32_t n, uint64_t us, uint64_t *first)
{
	struct tt_stat *s = stat(k);

	s->policy = TT_PERIODIC;
	s->period = tt_ticks(us);
	s->periods = n;
	*first = tt_now(k) + s->period;
	tt_set_cval(k, *first);
	tt_set_ctl(k, EN);
}

TEST(t19_ptimer_beside_vtimer)
{
	const uint32_t both = (1U << TT_VIRT) | (1U << TT_PHYS);
	enum tt_mode m = tt_arg_mode();
	uint64_t first_p, first_v;

	if (!tt_setup(both, false))
		return;
	irq_mask();
	t19_arm(TT_PHYS, T19_NP, T19_PP_US, &first_p);
	t19_arm(TT_VIRT, T19_NV, T19_PV_US, &first_v);
	if (!tt_wait(&stat(TT_PHYS)->count, T19_NP, m, TT_TIMEOUT_US) ||
	    !tt_wait(&stat(TT_VIRT)->count, T19_NV, m, TT_TIMEOUT_US)) {
		test_fail("ptimer %u of %u, vtimer %u of %u interrupts",
			  stat(TT_PHYS)->count, T19_NP, stat(TT_VIRT)->count,
			  T19_NV);
		goto out;
	}
	if (!tt_expect_none(TT_PHYS, T19_NP, TT_QUIET_US, "periodic") ||
	    !tt_expect_none(TT_VIRT, T19_NV, 0, "periodic"))
		goto out;
	TT_CHECK(stat(TT_PHYS)->last_cval ==
				 first_p + (T19_NP - 1) * tt_ticks(T19_PP_US) &&
			 stat(TT_VIRT)->last_cval ==
				 first_v + (T19_NV - 1) * tt_ticks(T19_PV_US),
		 "last CVALs: ptimer 0x%llx, vtimer 0x%llx (want +%u and +%u periods)",
		 (unsigned long long)stat(TT_PHYS)->last_cval,
		 (unsigned long long)stat(TT_VIRT)->last_cval, T19_NP - 1,
		 T19_NV - 1);
out:
	tt_teardown(both);
}
