// SPDX-License-Identifier: MIT
/*
 * Virtual timer latency: from the deadline (CNTV_CVAL) to the IRQ vector
 * and to the first line of the C handler, with the CPU spinning or asleep
 * in WFI; and the count at the guest's first instruction.
 */
#include "bench.h"

/* How far ahead the deadline is set: spinning, and asleep (long enough
 * for a hypervisor to trap the WFI and idle before it passes). */
#define VT_SPIN_DELAY 2000
#define VT_SLEEP_DELAY 100000

static struct {
	uint32_t fired;
	uint64_t t_vector;
	uint64_t t_handler;
} vt;

static struct bench_samples vt_vec, vt_hnd;

static void vt_handler(struct gic_irq *irq, void *arg)
{
	uint64_t t = bench_now();

	(void)irq;
	(void)arg;
	vt.t_handler = t;
	vt.t_vector = bench_t_vector();
	/* Disabled: the level drops before the EOI. */
	timer_virt_set_ctl(0);
	bench_store(&vt.fired, 1);
}

/* One deadline; false (test failed) if it fired early. */
static bool vt_sample(uint64_t delay, bool sleep, bool keep)
{
	uint64_t cval;

	bench_store(&vt.fired, 0);
	cval = bench_now() + delay;
	timer_virt_set_cval(cval);
	timer_virt_set_ctl(CNTV_CTL_ENABLE);
	bench_wait(&vt.fired, sleep);
	if (vt.t_vector < cval || vt.t_handler < vt.t_vector) {
		test_fail(
			"timer IRQ before its deadline: cval %llu, vector %llu, handler %llu",
			(unsigned long long)cval,
			(unsigned long long)vt.t_vector,
			(unsigned long long)vt.t_handler);
		return false;
	}
	if (keep) {
		bench_record(&vt_vec, vt.t_vector - cval);
		bench_record(&vt_hnd, vt.t_handler - cval);
	}
	return true;
}

/* Measures and reports <prefix>_vector and <prefix>_handler. */
static void vt_run(const char *prefix, uint64_t delay, bool sleep)
{
	unsigned int intid = timer_virt_intid();
	unsigned int n = bench_nsamples();
	char name[48];

	vt_vec.n = vt_hnd.n = 0;
	timer_virt_set_ctl(0);
	gic_set_handler(intid, vt_handler, NULL);
	gic_set_enable(intid, true);
	/* The first deadline warms up, unrecorded. */
	for (unsigned int i = 0; i <= n; i++) {
		if (!vt_sample(delay, sleep, i > 0))
			break;
	}
	gic_set_enable(intid, false);
	timer_virt_set_ctl(0);
	if (test_failed())
		return;
	snprintf(name, sizeof(name), "%s_vector", prefix);
	bench_report(name, &vt_vec);
	snprintf(name, sizeof(name), "%s_handler", prefix);
	bench_report(name, &vt_hnd);
}

/* The deadline passes while CPU0 spins; nothing else runs. */
TEST(vtimer)
{
	if (!bench_setup(false))
		return;
	vt_run("vtimer", VT_SPIN_DELAY, false);
}

/* As vtimer, with CPU1 started and asleep in WFI (under Kairos: a second
 * vCPU on the same pCPU when the VM says cpus=0:0). */
TEST(vtimer_2vcpu)
{
	if (!bench_setup(false) || !bench_start_cpu1())
		return;
	vt_run("vtimer_2vcpu", VT_SPIN_DELAY, false);
	bench_stop_cpu1();
}

/* The deadline passes while CPU0 sleeps in WFI. */
TEST(wfi_wakeup)
{
	if (!bench_setup(false))
		return;
	vt_run("wfi_wakeup", VT_SLEEP_DELAY, true);
}

/*
 * vtimer_shared_busy: CPU1 spins; CPU0 sets CNTV_CVAL = now + SB_DELAY,
 * sends CPU1 an SGI and spins too. Under Kairos (`shared`: both vCPUs on
 * pCPU 0) the SGI makes vCPU1 preempt vCPU0 (a wake-up boost, once vCPU0
 * has run its minimum), so the deadline passes while vCPU0 is runnable
 * but not running and the busy vCPU1 is: ticks from CVAL to CPU0's C
 * handler. A sample counts only if CPU1 took the SGI before the deadline
 * (it did run in between); others (the guard refused CPU1's boost) are
 * retried, at most SB_TRIES times the samples.
 */
#define SB_DELAY 500000
#define SB_TRIES 10

static uint64_t sb_t_nudge;

static void sb_nudge(struct gic_irq *irq, void *arg)
{
	(void)irq;
	(void)arg;
	__atomic_store_n(&sb_t_nudge, bench_t_vector(), __ATOMIC_RELEASE);
}

TEST(vtimer_shared_busy)
{
	unsigned int intid = timer_virt_intid(), n = bench_nsamples();
	struct bench_samples s = { .n = 0 };
	uint64_t sgi1r;
	unsigned int tries = 0;

	if (!bench_setup(false))
		return;
	sgi1r = bench_sgi1r(1, BENCH_SGI_NUDGE);
	gic_set_handler(BENCH_SGI_NUDGE, sb_nudge, NULL);
	if (!bench_start_cpu1_busy())
		return;
	timer_virt_set_ctl(0);
	gic_set_handler(intid, vt_handler, NULL);
	gic_set_enable(intid, true);
	/* One more than kept: the first warms up. */
	while (s.n < n && tries++ < SB_TRIES * (n + 1)) {
		uint64_t cval;
		bool ran;

		__atomic_store_n(&sb_t_nudge, 0, __ATOMIC_RELEASE);
		bench_store(&vt.fired, 0);
		cval = bench_now() + SB_DELAY;
		timer_virt_set_cval(cval);
		timer_virt_set_ctl(CNTV_CTL_ENABLE);
		(void)bench_sgi_send(sgi1r);
		bench_wait(&vt.fired, false);
		if (vt.t_vector < cval || vt.t_handler < vt.t_vector) {
			test_fail(
				"timer IRQ before its deadline: cval %llu, vector %llu",
				(unsigned long long)cval,
				(unsigned long long)vt.t_vector);
			break;
		}
		ran = __atomic_load_n(&sb_t_nudge, __ATOMIC_ACQUIRE) != 0 &&
		      __atomic_load_n(&sb_t_nudge, __ATOMIC_ACQUIRE) < cval;
		if (ran && tries > 1)
			bench_record(&s, vt.t_handler - cval);
	}
	gic_set_enable(intid, false);
	timer_virt_set_ctl(0);
	bench_stop_cpu1();
	if (test_failed())
		return;
	if (!s.n)
		FAIL("CPU1 never ran before CPU0's deadline in %u tries",
		     tries - 1);
	printf("# bench: vtimer_shared_busy %u of %u tries had CPU1 running\n",
	       s.n, tries - 1);
	bench_report("vtimer_shared_busy", &s);
}

/* The virtual count at the guest's first instructions (head.S). */
TEST(boot)
{
	struct bench_samples s = { .n = 0 };

	if (!bench_setup(false))
		return;
	EXPECT(bench_t_first != 0 && bench_t_first < bench_now(),
	       "first-instruction count %llu not before now",
	       (unsigned long long)bench_t_first);
	bench_record(&s, bench_t_first);
	bench_report("boot_first_insn", &s);
}
