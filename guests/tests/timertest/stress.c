// SPDX-License-Identifier: MIT
/*
 * stress (named only): every CPU (2) arms its timers (timers=v or vp)
 * with random deltas from a PRNG seeded per CPU (seed=): in the past,
 * TVAL 0, near (TVAL or CVAL), far (CVAL + 1 s .. 2^40), the maximum
 * (CVAL UINT64_MAX or TVAL INT32_MAX), for iterations= rounds. Every
 * arming is answered by exactly one interrupt; a far or maximum arming is
 * cancelled by reprogramming it near and must never fire itself. Along
 * the way the CPUs publish CNTVCT samples to each other (and send SGIs):
 * a CPU's counter is never behind a sample another CPU published before
 * (T6), and never goes back. iterations=0 runs until the VM is stopped
 * (make soak); report_s=N prints a progress line every N s of guest time.
 */
#include "timertest.h"

#define EN TIMER_CTL_ENABLE
#define ST_SGI 2
#define ST_NEAR_US 200
#define ST_FAR_US 1000000

enum st_arming { A_PAST, A_ZERO, A_NEAR, A_NEAR_CVAL, A_FAR, A_MAX, A_NR };

static const char *const st_names[A_NR] = { "past",      "zero", "near",
					    "near-cval", "far",  "max" };

static struct {
	uint64_t iters;
	uint32_t kinds;
	uint64_t seed;
	uint64_t report_ticks, next_report;
	uint64_t rounds[2];
	uint64_t max_late[2]; /* ticks from due to the handler, worst */
	uint64_t sample[2];
	uint64_t last[2];
	uint32_t checks[2];
	uint32_t armed[2][A_NR];
} st;

static void st_check(unsigned int me, const char *where)
{
	unsigned int other = 1 - me;
	uint64_t theirs = tt_load64(&st.sample[other]);
	uint64_t mine = time_ticks();

	if (mine < theirs)
		test_fail(
			"CPU%u (%s): CNTVCT 0x%llx behind CPU%u's earlier sample 0x%llx",
			me, where, (unsigned long long)mine, other,
			(unsigned long long)theirs);
	if (mine < st.last[me])
		test_fail("CPU%u: CNTVCT went back from 0x%llx to 0x%llx", me,
			  (unsigned long long)st.last[me],
			  (unsigned long long)mine);
	st.last[me] = mine;
	st.checks[me]++;
}

static void st_sgi(unsigned int intid, unsigned int source)
{
	(void)source;
	if (intid == ST_SGI && cpu_index() < 2)
		st_check(cpu_index(), "SGI handler");
}

static void st_arm(enum tt_kind k, enum st_arming a, uint64_t r)
{
	uint64_t now = tt_now(k);

	switch (a) {
	case A_PAST: tt_set_cval(k, now - 1 - r % tt_ticks(1000)); break;
	case A_ZERO: tt_set_tval(k, 0); break;
	case A_NEAR: tt_set_tval(k, (int32_t)(r % tt_ticks(ST_NEAR_US))); break;
	case A_NEAR_CVAL: tt_set_cval(k, now + r % tt_ticks(ST_NEAR_US)); break;
	case A_FAR:
		tt_set_cval(k, now + tt_ticks(ST_FAR_US) + r % (1ULL << 40));
		break;
	case A_MAX:
	default:
		if (r & 1)
			tt_set_cval(k, UINT64_MAX);
		else
			tt_set_tval(k, INT32_MAX);
		break;
	}
	tt_set_ctl(k, EN);
}

/* One round on this CPU; false after test_fail. */
static bool st_round(unsigned int me, uint64_t *rng, uint64_t it,
		     uint32_t *base)
{
	enum st_arming a[TT_NR] = { A_PAST, A_PAST };
	uint64_t cval[TT_NR] = { 0, 0 };
	uint64_t due[TT_NR] = { 0, 0 }; /* when it was due: CVAL or arming */
	struct tt_cpu *c = tt_self();
	enum tt_mode mode;

	irq_mask();
	for (unsigned int k = 0; k < TT_NR; k++) {
		if (!(st.kinds & (1U << k)))
			continue;
		a[k] = (enum st_arming)(tt_rand(rng) % A_NR);
		st_arm((enum tt_kind)k, a[k], tt_rand(rng));
		cval[k] = tt_cval((enum tt_kind)k);
		due[k] = tt_now((enum tt_kind)k);
		if (cval[k] > due[k])
			due[k] = cval[k];
		st.armed[me][a[k]]++;
	}
	irq_unmask();
	for (uint64_t n = tt_rand(rng) % 64; n; n--)
		(void)time_ticks();
	/*
	 * IRQs masked: the SGI handler checks too, and one taken between
	 * this check's counter read and its store of the last value would
	 * make the older read look like the counter went back.
	 */
	irq_mask();
	st_check(me, "loop");
	tt_store64(&st.sample[me], time_ticks());
	irq_unmask();
	if (it % 8 == 0)
		gic_send_sgi(1 - me, ST_SGI);
	irq_mask();
	for (unsigned int k = 0; k < TT_NR; k++) {
		if (!(st.kinds & (1U << k)) || a[k] < A_FAR)
			continue;
		if (tt_load(&c->t[k].count) != base[k]) {
			test_fail(
				"CPU%u round %llu: %s armed %s (CVAL 0x%llx) fired",
				me, (unsigned long long)it,
				tt_name((enum tt_kind)k), st_names[a[k]],
				(unsigned long long)cval[k]);
			return false;
		}
		/* Cancelled by reprogramming: the near one answers instead. */
		st_arm((enum tt_kind)k, A_NEAR, tt_rand(rng));
		cval[k] = tt_cval((enum tt_kind)k);
		due[k] = tt_now((enum tt_kind)k);
		if (cval[k] > due[k])
			due[k] = cval[k];
	}
	/* Mostly WFI: polling CPUs sharing a pCPU would hold it a slice. */
	mode = tt_rand(rng) % 8 ? TT_WFI : TT_POLL;
	for (unsigned int k = 0; k < TT_NR; k++) {
		if (!(st.kinds & (1U << k)))
			continue;
		if (!tt_wait(&c->t[k].count, base[k] + 1, mode,
			     TT_TIMEOUT_US)) {
			test_fail(
				"CPU%u round %llu: %s armed %s (CVAL 0x%llx) never answered",
				me, (unsigned long long)it,
				tt_name((enum tt_kind)k), st_names[a[k]],
				(unsigned long long)cval[k]);
			return false;
		}
		irq_mask();
	}
	for (unsigned int k = 0; k < TT_NR; k++) {
		uint64_t late;

		if (!(st.kinds & (1U << k)))
			continue;
		late = c->t[k].last_now - due[k];
		if (c->t[k].last_now >= due[k] && late > st.max_late[me])
			st.max_late[me] = late;
		base[k]++;
		if (tt_load(&c->t[k].count) != base[k] ||
		    c->t[k].last_cval != cval[k]) {
			test_fail(
				"CPU%u round %llu: %s %u interrupts (want %u), last CVAL 0x%llx (want 0x%llx)",
				me, (unsigned long long)it,
				tt_name((enum tt_kind)k),
				tt_load(&c->t[k].count), base[k],
				(unsigned long long)c->t[k].last_cval,
				(unsigned long long)cval[k]);
			return false;
		}
	}
	if (tt_load(&c->spurious))
		test_fail("CPU%u: %u spurious (1023) acknowledges", me,
			  tt_load(&c->spurious));
	return !test_failed();
}

/* What both CPUs did so far, on one line (make soak reads it). */
static void st_report(const char *what)
{
	uint64_t armed = 0;

	for (unsigned int a = 0; a < A_NR; a++)
		armed += st.armed[0][a] + st.armed[1][a];
	printf("# stress %s: rounds %llu + %llu, armed %llu, answered once each, spurious %u + %u, max late %llu + %llu us\n",
	       what, (unsigned long long)tt_load64(&st.rounds[0]),
	       (unsigned long long)tt_load64(&st.rounds[1]),
	       (unsigned long long)armed, tt_load(&tt_cpus[0].spurious),
	       tt_load(&tt_cpus[1].spurious),
	       (unsigned long long)(st.max_late[0] * 1000000 / time_freq()),
	       (unsigned long long)(st.max_late[1] * 1000000 / time_freq()));
}

static void st_run(void)
{
	unsigned int me = cpu_index();
	uint64_t rng = st.seed * 0x9e3779b97f4a7c15ULL + me + 1;
	uint32_t base[TT_NR] = { 0, 0 };

	for (unsigned int k = 0; k < TT_NR; k++) {
		if (!(st.kinds & (1U << k)))
			continue;
		gic_set_edge(tt_intid((enum tt_kind)k), false);
		gic_set_enable(tt_intid((enum tt_kind)k), true);
	}
	for (uint64_t it = 0; !st.iters || it < st.iters; it++) {
		if (!st_round(me, &rng, it, base))
			break;
		tt_store64(&st.rounds[me], it + 1);
		if (me == 0 && st.report_ticks &&
		    time_ticks() >= st.next_report) {
			st.next_report += st.report_ticks;
			st_report("progress");
		}
	}
	irq_mask();
	for (unsigned int k = 0; k < TT_NR; k++)
		if (st.kinds & (1U << k))
			tt_set_ctl((enum tt_kind)k, 0);
}

TEST_FLAGS(stress, TEST_NAMED_ONLY)
{
	char timers[8] = "vp";
	uint64_t sum[A_NR] = { 0 };

	st = (typeof(st)){ .iters = 1000, .seed = 1 };
	board_arg_u64("iterations", &st.iters);
	board_arg_u64("seed", &st.seed);
	if (board_arg_u64("report_s", &st.report_ticks))
		st.report_ticks *= time_freq();
	st.next_report = time_ticks() + st.report_ticks;
	board_arg("timers", timers, sizeof(timers));
	st.kinds = (strchr(timers, 'v') ? 1U << TT_VIRT : 0) |
		   (strchr(timers, 'p') ? 1U << TT_PHYS : 0);
	if (!st.kinds)
		FAIL("timers=%s: want v, p or vp", timers);
	if (!tt_setup(st.kinds, false))
		return;
	tt_set_sgi_hook(st_sgi);
	if (!tt_start_cpu1(st_run))
		return;
	irq_unmask();
	st_run();
	if (!tt_wait_cpu1(60 * TT_TIMEOUT_US))
		test_fail("CPU1 did not finish its %llu rounds",
			  (unsigned long long)st.iters);
	tt_set_sgi_hook(NULL);
	tt_teardown(st.kinds);
	for (unsigned int a = 0; a < A_NR; a++)
		sum[a] = st.armed[0][a] + st.armed[1][a];
	printf("# stress: %llu rounds x 2 CPUs, timers %s, seed %llu: armed past %llu, zero %llu, near %llu, near-cval %llu, far %llu, max %llu; counter checks %u + %u; SGIs %u + %u\n",
	       (unsigned long long)st.iters, timers,
	       (unsigned long long)st.seed, (unsigned long long)sum[A_PAST],
	       (unsigned long long)sum[A_ZERO], (unsigned long long)sum[A_NEAR],
	       (unsigned long long)sum[A_NEAR_CVAL],
	       (unsigned long long)sum[A_FAR], (unsigned long long)sum[A_MAX],
	       st.checks[0], st.checks[1], tt_cpus[0].sgis, tt_cpus[1].sgis);
}
