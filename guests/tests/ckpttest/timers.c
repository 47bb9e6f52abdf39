// SPDX-License-Identifier: MIT
/*
 * Timers across checkpoints (all named only: the host drives them).
 *
 * storm: both CPUs arm their timers (timers=v or vp) again and again,
 *   each arming min_us..max_us ahead (random, seed=), and wait in WFI for
 *   its answer, for ms= of guest time. Every arming must be answered by
 *   exactly one interrupt. late_us= counts answers later than that.
 * late: CPU0 arms the virtual timer delay_us= ahead (default 50 ms),
 *   waits, again, for ms=; answers later than late_us= are counted (a
 *   restore with catch-up puts a deadline in the past).
 * wait: CPU0 arms the virtual timer delay_us= ahead once, prints its
 *   CVAL and waits; exactly one interrupt, never before CVAL, then none
 *   for quiet_us=.
 */
#include "ckpttest.h"

static struct {
	uint64_t ms, min_us, max_us, seed;
	uint32_t kinds;
} sto;

static void storm_run(void)
{
	unsigned int me = cpu_index();
	uint64_t rng = sto.seed * 0x9e3779b97f4a7c15ULL + me + 1;
	uint64_t end = time_us() + sto.ms * 1000;
	uint64_t span = sto.max_us - sto.min_us + 1;

	while (time_us() < end && !test_failed()) {
		irq_mask();
		for (unsigned int k = 0; k < CK_NR; k++)
			if (sto.kinds & (1U << k))
				ck_arm((enum ck_kind)k,
				       sto.min_us + ck_rand(&rng) % span);
		for (unsigned int k = 0; k < CK_NR; k++)
			if (sto.kinds & (1U << k) &&
			    !ck_wait_timer((enum ck_kind)k))
				return;
	}
	irq_mask();
}

TEST_FLAGS(storm, TEST_NAMED_ONLY)
{
	char timers[8] = "v";

	sto.ms = ck_arg("ms", 3000);
	sto.min_us = ck_arg("min_us", 100);
	sto.max_us = ck_arg("max_us", 2000);
	sto.seed = ck_arg("seed", 1);
	board_arg("timers", timers, sizeof(timers));
	sto.kinds = (strchr(timers, 'v') ? 1U << CK_VIRT : 0) |
		    (strchr(timers, 'p') ? 1U << CK_PHYS : 0);
	if (!sto.kinds || sto.max_us < sto.min_us)
		FAIL("timers=%s min_us=%llu max_us=%llu: want v, p or vp and min <= max",
		     timers, (unsigned long long)sto.min_us,
		     (unsigned long long)sto.max_us);
	if (!ck_setup(sto.kinds))
		return;
	ck_late_ticks = ck_ticks(ck_arg("late_us", 0));
	if (!ck_start_cpu1(storm_run, sto.kinds))
		return;
	printf("# ckpt storm: start, %llu ms, deltas %llu..%llu us\n",
	       (unsigned long long)sto.ms, (unsigned long long)sto.min_us,
	       (unsigned long long)sto.max_us);
	storm_run();
	ck_join_cpu1(sto.ms * 1000 + CK_TIMEOUT_US);
	for (unsigned int cpu = 0; cpu < 2; cpu++) {
		for (unsigned int k = 0; k < CK_NR; k++)
			if (sto.kinds & (1U << k))
				ck_report_timer("storm", cpu, (enum ck_kind)k);
		ck_check_counts(cpu, sto.kinds);
	}
}

TEST_FLAGS(late, TEST_NAMED_ONLY)
{
	uint64_t ms = ck_arg("ms", 3000), delay = ck_arg("delay_us", 50000);
	uint64_t end;

	if (!ck_setup(1U << CK_VIRT))
		return;
	ck_late_ticks = ck_ticks(ck_arg("late_us", 100000));
	printf("# ckpt late: start, %llu ms, delay %llu us\n",
	       (unsigned long long)ms, (unsigned long long)delay);
	end = time_us() + ms * 1000;
	while (time_us() < end && !test_failed()) {
		irq_mask();
		ck_arm(CK_VIRT, delay);
		if (!ck_wait_timer(CK_VIRT))
			break;
	}
	irq_mask();
	ck_report_timer("late", 0, CK_VIRT);
	ck_check_counts(0, 1U << CK_VIRT);
}

TEST_FLAGS(wait, TEST_NAMED_ONLY)
{
	uint64_t delay = ck_arg("delay_us", 3000000);
	uint64_t quiet = ck_arg("quiet_us", 200000);
	const struct ck_timer *t = &ck_cpus[0].t[CK_VIRT];
	uint64_t cval, fired_at;

	if (!ck_setup(1U << CK_VIRT))
		return;
	ck_arm(CK_VIRT, delay);
	cval = timer_virt_cval();
	printf("# ckpt wait: armed CVAL 0x%llx at 0x%llx\n",
	       (unsigned long long)cval, (unsigned long long)time_ticks());
	if (!ck_wait_timer(CK_VIRT))
		return;
	fired_at = time_ticks();
	irq_unmask();
	time_delay_us(quiet);
	irq_mask();
	printf("# ckpt wait: answered at 0x%llx, %llu us after CVAL\n",
	       (unsigned long long)fired_at,
	       (unsigned long long)ck_us(fired_at - cval));
	ck_report_timer("wait", 0, CK_VIRT);
	EXPECT(fired_at >= cval, "answered at 0x%llx before CVAL 0x%llx",
	       (unsigned long long)fired_at, (unsigned long long)cval);
	ck_check_counts(0, 1U << CK_VIRT);
	EXPECT(t->fired == 1, "%u interrupts, want 1", t->fired);
}
