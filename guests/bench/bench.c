// SPDX-License-Identifier: MIT
/* The bench guest's shared helpers: setup, samples, CPU1. */
#include "bench.h"

#include <string.h>

#define BENCH_TIMEOUT_US 5000000
#define BENCH_SETTLE_ROUNDS 16

static struct {
	uint32_t up;
	uint32_t stop;
	uint32_t busy; /* CPU1 spins rather than sleeps */
	bool freq_printed;
} bench;

uintptr_t bench_gicd_sgir;

void bench_stray_irq(uint64_t elr)
{
	static char detail[96];

	snprintf(detail, sizeof(detail),
		 "IRQ taken outside bench_wait at 0x%llx (x16/x17 lost)",
		 (unsigned long long)elr);
	test_abort(detail);
}

static void bench_kick_handler(struct gic_irq *irq, void *arg)
{
	(void)irq;
	(void)arg;
}

bool bench_setup(bool need_v3)
{
	if (!gic_init()) {
		test_fail("no GIC in the DTB");
		return false;
	}
	if (need_v3 && gic_version() != 3) {
		test_skip("needs GICv3, has GICv%u", gic_version());
		return false;
	}
	bench_gicd_sgir = gic_dist_base() + GICD_SGIR;
	write_sysreg((uintptr_t)bench_vectors, vbar_el1);
	isb();
	gic_set_handler(BENCH_SGI_KICK, bench_kick_handler, NULL);
	gic_set_enable(BENCH_SGI_KICK, true);
	if (!bench.freq_printed) {
		printf("# bench: counter %llu Hz, GICv%u, %u CPUs\n",
		       (unsigned long long)time_freq(), gic_version(),
		       board_cpu_count());
		bench.freq_printed = true;
	}
	return true;
}

unsigned int bench_nsamples(void)
{
	uint64_t n = BENCH_DEFAULT_SAMPLES;

	board_arg_u64("samples", &n);
	if (n < 1)
		n = 1;
	if (n > BENCH_MAX_SAMPLES)
		n = BENCH_MAX_SAMPLES;
	return (unsigned int)n;
}

void bench_record(struct bench_samples *s, uint64_t v)
{
	if (s->n < BENCH_MAX_SAMPLES)
		s->v[s->n++] = v;
}

void bench_report(const char *metric, const struct bench_samples *s)
{
	static uint64_t sorted[BENCH_MAX_SAMPLES];
	unsigned int n = s->n;

	if (!n) {
		test_fail("%s: no samples", metric);
		return;
	}
	memcpy(sorted, s->v, n * sizeof(sorted[0]));
	for (unsigned int i = 1; i < n; i++) {
		uint64_t x = sorted[i];
		unsigned int j = i;

		for (; j > 0 && sorted[j - 1] > x; j--)
			sorted[j] = sorted[j - 1];
		sorted[j] = x;
	}
	/* Even n: the lower of the two middle samples. */
	printf("BENCH %s n=%u min=%llu median=%llu max=%llu\n", metric, n,
	       (unsigned long long)sorted[0],
	       (unsigned long long)sorted[(n - 1) / 2],
	       (unsigned long long)sorted[n - 1]);
}

uint64_t bench_sgi1r(unsigned int cpu, unsigned int intid)
{
	uint64_t mpidr = board_cpu_mpidr(cpu);

	if (gic_version() != 3)
		return BENCH_SGI_V2 | 1UL << (16 + cpu) | (intid & 0xf);
	/* IHI 0069 12.2.23: Aff3.Aff2.Aff1, RS = Aff0 / 16, TargetList. */
	return (mpidr >> 32 & 0xff) << 48 | (mpidr >> 16 & 0xff) << 32 |
	       (mpidr >> 8 & 0xff) << 16 | (mpidr >> 4 & 0xf) << 44 |
	       (uint64_t)(intid & 0xf) << 24 | 1UL << (mpidr & 0xf);
}

void bench_yield(void)
{
	wfe();
	(void)psci_version();
}

void bench_settle(void)
{
	for (unsigned int i = 0; i < BENCH_SETTLE_ROUNDS; i++)
		bench_yield();
}

static void bench_cpu1_main(void *arg)
{
	(void)arg;
	write_sysreg((uintptr_t)bench_vectors, vbar_el1);
	isb();
	gic_cpu_init();
	gic_set_enable(BENCH_SGI_KICK, true);
	gic_set_enable(BENCH_SGI_PING, true);
	gic_set_enable(BENCH_SGI_PONG, true);
	gic_set_enable(BENCH_SGI_NUDGE, true);
	bench_store(&bench.up, 1);
	bench_wait(&bench.stop, !bench_load(&bench.busy));
}

bool bench_start_cpu1_busy(void)
{
	bench_store(&bench.busy, 1);
	return bench_start_cpu1();
}

bool bench_start_cpu1(void)
{
	uint64_t end;
	int32_t ret;

	if (board_cpu_count() < 2) {
		test_skip("needs 2 CPUs, has %u", board_cpu_count());
		return false;
	}
	bench_store(&bench.up, 0);
	bench_store(&bench.stop, 0);
	ret = cpu_start(1, bench_cpu1_main, NULL);
	if (ret != PSCI_RET_SUCCESS) {
		test_fail("CPU_ON of CPU1: %d", (int)ret);
		return false;
	}
	end = time_us() + BENCH_TIMEOUT_US;
	while (!bench_load(&bench.up)) {
		if (time_us() >= end) {
			test_fail("CPU1 did not come up");
			return false;
		}
		bench_yield();
	}
	bench_settle();
	bench_store(&bench.busy, 0); /* the next start: asleep */
	return true;
}

static bool bench_cpu1_off(void *arg)
{
	(void)arg;
	return psci_affinity_info(board_cpu_mpidr(1)) == PSCI_AFF_OFF;
}

void bench_stop_cpu1(void)
{
	bench_store(&bench.stop, 1);
	gic_send_sgi(1, BENCH_SGI_KICK);
	if (!time_wait_for(bench_cpu1_off, NULL, BENCH_TIMEOUT_US))
		test_abort("CPU1 did not stop");
}
