// SPDX-License-Identifier: MIT
/*
 * Busy vCPUs sharing a pCPU (named only; one CPU; under Kairos one VM per
 * busy vCPU, all on one pCPU):
 *
 * - shared: arms its timer (timer=v|p) iterations= times (seed=), CVAL in
 *   the past, TVAL 0, or 50 us .. 20 ms ahead (log-uniform), and each
 *   time spins with IRQs unmasked until the interrupt comes: every arming
 *   is answered exactly once, never early, and within 1 ms of its
 *   deadline as the guest measures it (the count in the handler minus
 *   CVAL).
 * - fair: spins ms= milliseconds of guest time reading the counter; a gap
 *   of more than FAIR_GAP_US between two reads is time the vCPU did not
 *   run. Prints the share it ran, then spins FAIR_TAIL_MS more so that a
 *   VM that started later still measures while this one competes. With
 *   storm=1 it measures nothing and instead keeps its virtual timer
 *   firing: CVAL in the past, re-armed in the past by its handler. With
 *   storm=2 the handler never re-arms: CVAL stays in the past, the line
 *   stays up, and each EOI is followed by the next interrupt, until the
 *   tail ends (the handler then turns the timer off: the loop here may
 *   never run between two interrupts).
 */
#include "timertest.h"

#define SH_MIN_US 50
#define SH_MAX_US 20000
/* Later than this after the deadline is a failure. */
#define SH_LATE_US 1000
/* Two counter reads around the enabling write further apart: switched out. */
#define SH_WINDOW_US 20
/* No answer this long after the deadline: it never comes. */
#define SH_LOST_US 200000
#define FAIR_GAP_US 20
#define FAIR_TAIL_MS 300

/* A delta from @r: 50 us .. 20 ms, each octave equally likely. */
static uint64_t sh_delta(uint64_t r)
{
	uint64_t lo = tt_ticks(SH_MIN_US), hi = tt_ticks(SH_MAX_US);
	unsigned int octaves = 0, o;
	uint64_t base;

	while ((lo << (octaves + 1)) <= hi)
		octaves++;
	o = (unsigned int)(r % (octaves + 1));
	base = lo << o;
	base += (r >> 16) % base;
	return base > hi ? hi : base;
}

/*
 * Spins with IRQs unmasked until *@p >= @want or @ticks pass, reading the
 * virtual count (the physical one may trap).
 */
static bool sh_spin(const uint32_t *p, uint32_t want, uint64_t ticks)
{
	uint64_t end = time_ticks() + ticks;

	irq_unmask();
	while (tt_load(p) < want)
		if (time_ticks() > end)
			return false;
	return true;
}

TEST_FLAGS(shared, TEST_NAMED_ONLY)
{
	uint64_t iters = 1000, seed = 1, rng, max_late = 0;
	uint64_t ticks_1ms = tt_ticks(SH_LATE_US),
		 window = tt_ticks(SH_WINDOW_US);
	uint32_t past = 0, zero = 0, ahead = 0, late = 0, switched = 0;
	enum tt_kind k = tt_arg_kind();
	struct tt_stat *s;

	board_arg_u64("iterations", &iters);
	board_arg_u64("seed", &seed);
	rng = seed * 0x9e3779b97f4a7c15ULL + 1;
	if (!tt_setup(1U << k, false))
		return;
	s = &tt_self()->t[k];
	for (uint64_t it = 0; it < iters && !test_failed(); it++) {
		uint64_t r = tt_rand(&rng), now, cval, due, armed;
		uint32_t base = tt_load(&s->count);

		irq_mask();
		now = tt_now(k);
		switch (r % 8) {
		case 0:
			cval = now - 1 - (r >> 8) % tt_ticks(1000);
			tt_set_cval(k, cval);
			past++;
			break;
		case 1:
			tt_set_tval(k, 0);
			cval = tt_cval(k);
			zero++;
			break;
		default:
			cval = now + sh_delta(r >> 8);
			tt_set_cval(k, cval);
			ahead++;
			break;
		}
		/*
		 * Armed when enabled: a vCPU switched out between reading the
		 * count and this write armed its timer only now (a timer in the
		 * past: due at once). The virtual count is read: it does not
		 * trap, so only an interrupt taken by the hypervisor could
		 * come between it and the write. The count is read again after
		 * the write: reads further apart than a few instructions mean
		 * that the vCPU was switched out around the write, which then
		 * armed the timer somewhere in between (and a CVAL that passed
		 * meanwhile with the timer still off is owed nothing): such an
		 * arming is measured from the second read, and counted.
		 */
		due = time_ticks();
		tt_set_ctl(k, TIMER_CTL_ENABLE);
		armed = time_ticks();
		if (armed - due > window) {
			due = armed;
			switched++;
		}
		if (cval > due)
			due = cval;
		if (!sh_spin(&s->count, base + 1,
			     due - now + tt_ticks(SH_LOST_US))) {
			test_fail("%s arming %llu (CVAL 0x%llx) never answered",
				  tt_name(k), (unsigned long long)it,
				  (unsigned long long)cval);
			break;
		}
		/* A little more spinning: a second answer would show. */
		for (uint64_t n = (r >> 40) % 256; n; n--)
			(void)tt_now(k);
		irq_mask();
		if (tt_load(&s->count) != base + 1 || s->last_cval != cval) {
			test_fail(
				"%s arming %llu: %u interrupts (want 1), CVAL 0x%llx (want 0x%llx)",
				tt_name(k), (unsigned long long)it,
				tt_load(&s->count) - base,
				(unsigned long long)s->last_cval,
				(unsigned long long)cval);
			break;
		}
		/* The handler failed the test if it came before CVAL. */
		if (s->last_now > due && s->last_now - due > max_late)
			max_late = s->last_now - due;
		if (s->last_now > due && s->last_now - due > ticks_1ms)
			late++;
	}
	tt_teardown(1U << k);
	printf("# shared: %s armed %llu answered %u (past %u, zero %u, ahead %u) late %u max_late_us %llu switched_at_arming %u\n",
	       tt_name(k), (unsigned long long)iters, tt_load(&s->count), past,
	       zero, ahead, late,
	       (unsigned long long)(max_late * 1000 / tt_ticks(1000)),
	       switched);
	if (late)
		test_fail(
			"%u of %llu %s armings answered over %u us late (max %llu us)",
			late, (unsigned long long)iters, tt_name(k), SH_LATE_US,
			(unsigned long long)(max_late * 1000 / tt_ticks(1000)));
}

/* Spins until the virtual count reaches @end; returns the ticks it ran. */
static uint64_t fair_spin(uint64_t end)
{
	uint64_t gap = tt_ticks(FAIR_GAP_US), prev = time_ticks(), ran = 0;

	for (;;) {
		uint64_t now = time_ticks();

		if (now - prev <= gap)
			ran += now - prev;
		prev = now;
		if (now >= end)
			return ran;
	}
}

TEST_FLAGS(fair, TEST_NAMED_ONLY)
{
	uint64_t ms = 1000, storm = 0, start, ran;
	struct tt_stat *s;

	board_arg_u64("ms", &ms);
	board_arg_u64("storm", &storm);
	if (!tt_setup(storm ? 1U << TT_VIRT : 0, false))
		return;
	s = &tt_self()->t[TT_VIRT];
	start = time_ticks();
	if (storm) {
		/*
		 * Its handler sets CVAL to CVAL again, still in the past
		 * (storm=2: leaves it), until the tail ends: the loop here
		 * makes no progress meanwhile, but the time it reads runs on.
		 */
		s->policy = storm == 2 ? TT_KEEP : TT_PERIODIC;
		s->periods = UINT32_MAX;
		s->period = 0;
		s->until = start + tt_ticks((ms + FAIR_TAIL_MS) * 1000);
		tt_set_cval(TT_VIRT, start - 1);
		tt_set_ctl(TT_VIRT, TIMER_CTL_ENABLE);
		irq_unmask();
	}
	ran = fair_spin(start + tt_ticks(ms * 1000));
	(void)fair_spin(time_ticks() + tt_ticks(FAIR_TAIL_MS * 1000));
	irq_mask();
	if (storm) {
		tt_teardown(1U << TT_VIRT);
		printf("# fair: storm of %u interrupts%s\n", tt_load(&s->count),
		       storm == 2 ? ", line held" : "");
		TT_CHECK(tt_load(&s->count) > 1000, "storm: only %u interrupts",
			 tt_load(&s->count));
		return;
	}
	/* Permille of the window it ran. */
	printf("# fair: ran %llu of %llu ms: share %llu permille\n",
	       (unsigned long long)(ran / tt_ticks(1000)),
	       (unsigned long long)ms,
	       (unsigned long long)(ran * 1000 / tt_ticks(ms * 1000)));
}

/*
 * sgi_shared (named only; 2 CPUs): CPU1 sends CPU0 an SGI iterations=
 * times, 50 us .. 20 ms apart (log-uniform, seed=); CPU0 spins with IRQs
 * unmasked and answers each with a kick SGI. Under Kairos CPU1 has a
 * pCPU of its own and CPU0 shares its pCPU with a busy VM: every SGI is
 * taken exactly once and within 1 ms of the sender's count before it sent
 * it. CPU1 waits in WFI (for its virtual timer, then for the answer): two
 * CPUs spinning under QEMU would measure QEMU's round robin between them.
 */
#define SG_SGI 3

static struct {
	uint64_t t_send, t_recv;
	uint32_t got, late, done;
	uint64_t max_late, iters, seed;
} sg;

static void sg_sgi(unsigned int intid, unsigned int source)
{
	(void)source;
	if (intid != SG_SGI || cpu_index() != 0)
		return;
	tt_store64(&sg.t_recv, time_ticks());
	tt_store(&sg.got, sg.got + 1);
	gic_send_sgi(1, TT_SGI_KICK);
}

/* CPU1: sleeps @ticks (its virtual timer wakes it). */
static bool sg_sleep(uint64_t ticks)
{
	struct tt_stat *s = &tt_self()->t[TT_VIRT];
	uint32_t base = tt_load(&s->count);

	irq_mask();
	tt_set_cval(TT_VIRT, time_ticks() + ticks);
	tt_set_ctl(TT_VIRT, TIMER_CTL_ENABLE);
	return tt_wait(&s->count, base + 1, TT_WFI, TT_TIMEOUT_US);
}

static void sg_sender(void)
{
	uint64_t rng = sg.seed * 0x9e3779b97f4a7c15ULL + 2;
	unsigned int vt = tt_intid(TT_VIRT);

	gic_set_edge(vt, false);
	gic_set_enable(vt, true);
	for (uint64_t it = 0; it < sg.iters && !test_failed(); it++) {
		uint64_t r = tt_rand(&rng), lat;
		uint32_t base = tt_load(&sg.got);

		if (!sg_sleep(sh_delta(r))) {
			test_fail("CPU1: its timer never woke it");
			break;
		}
		irq_mask();
		tt_store64(&sg.t_send, time_ticks());
		gic_send_sgi(0, SG_SGI);
		if (!tt_wait(&sg.got, base + 1, TT_WFI, SH_LOST_US)) {
			test_fail("SGI %llu never taken",
				  (unsigned long long)it);
			break;
		}
		lat = tt_load64(&sg.t_recv) - tt_load64(&sg.t_send);
		if (lat > sg.max_late)
			sg.max_late = lat;
		if (lat > tt_ticks(SH_LATE_US))
			sg.late++;
	}
	irq_mask();
	tt_set_ctl(TT_VIRT, 0);
	gic_set_enable(vt, false);
	tt_store(&sg.done, 1);
}

TEST_FLAGS(sgi_shared, TEST_NAMED_ONLY)
{
	sg = (typeof(sg)){ .iters = 300, .seed = 1 };
	board_arg_u64("iterations", &sg.iters);
	board_arg_u64("seed", &sg.seed);
	if (!tt_setup(0, false))
		return;
	tt_set_sgi_hook(sg_sgi);
	if (!tt_start_cpu1(sg_sender))
		return;
	/* CPU0 spins, taking the SGIs, until CPU1 is done. */
	irq_unmask();
	while (!tt_load(&sg.done))
		;
	if (!tt_wait_cpu1(TT_TIMEOUT_US))
		test_fail("CPU1 did not finish");
	/* Every SGI once: a second one of an arming would be counted. */
	tt_set_sgi_hook(NULL);
	tt_teardown(0);
	printf("# sgi_shared: sent %llu taken %u late %u max_late_us %llu\n",
	       (unsigned long long)sg.iters, tt_load(&sg.got), sg.late,
	       (unsigned long long)(sg.max_late * 1000 / tt_ticks(1000)));
	TT_CHECK(tt_load(&sg.got) == sg.iters, "%u SGIs taken of %llu",
		 tt_load(&sg.got), (unsigned long long)sg.iters);
	TT_CHECK(!sg.late,
		 "%u of %llu SGIs taken over %u us late (max %llu us)", sg.late,
		 (unsigned long long)sg.iters, SH_LATE_US,
		 (unsigned long long)(sg.max_late * 1000 / tt_ticks(1000)));
}
