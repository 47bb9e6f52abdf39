// SPDX-License-Identifier: MIT
/*
 * SGIs between CPU0 and CPU1: one-way latency to the receiver (CPU1
 * asleep in WFI), and the ping-pong round trip that, with both vCPUs on
 * one pCPU, is two vCPU switches.
 */
#include "bench.h"

static struct {
	uint64_t ping_sgi1r;                    /**< to CPU1 */
	uint64_t pong_sgi1r;                    /**< to CPU0 */
	uint64_t t_ping_vector, t_ping_handler; /**< on CPU1 */
	uint64_t t_pong_handler;                /**< on CPU0 */
	uint32_t ponged;
	uint32_t bad;
} pp;

/* CPU1: timestamps, answers. */
static void ping_handler(struct gic_irq *irq, void *arg)
{
	uint64_t t = bench_now();

	(void)irq;
	(void)arg;
	pp.t_ping_handler = t;
	pp.t_ping_vector = bench_t_vector();
	if (cpu_index() != 1)
		bench_store(&pp.bad, 1);
	bench_sgi_send(pp.pong_sgi1r);
}

/* CPU0: the answer came. */
static void pong_handler(struct gic_irq *irq, void *arg)
{
	uint64_t t = bench_now();

	(void)irq;
	(void)arg;
	pp.t_pong_handler = t;
	if (cpu_index() != 0)
		bench_store(&pp.bad, 1);
	bench_store(&pp.ponged, 1);
}

/* One ping-pong: CPU0 sends at *t0 (returned), sleeps until the pong. */
static uint64_t pp_round(void)
{
	uint64_t t0;

	bench_store(&pp.ponged, 0);
	bench_settle();
	t0 = bench_sgi_send(pp.ping_sgi1r);
	bench_wait(&pp.ponged, 1);
	return t0;
}

static bool pp_setup(void)
{
	if (!bench_setup(false))
		return false;
	pp.ping_sgi1r = bench_sgi1r(1, BENCH_SGI_PING);
	pp.pong_sgi1r = bench_sgi1r(0, BENCH_SGI_PONG);
	pp.bad = 0;
	gic_set_handler(BENCH_SGI_PING, ping_handler, NULL);
	gic_set_handler(BENCH_SGI_PONG, pong_handler, NULL);
	gic_set_enable(BENCH_SGI_PONG, true);
	return bench_start_cpu1();
}

/* Sent by CPU0 to the IRQ vector and the handler of CPU1. */
TEST(sgi)
{
	static struct bench_samples vec, hnd;
	unsigned int n = bench_nsamples();

	if (!pp_setup())
		return;
	vec.n = hnd.n = 0;
	for (unsigned int i = 0; i <= n; i++) {
		uint64_t t0 = pp_round();

		if (pp.t_ping_vector < t0 || pp.t_ping_handler < t0) {
			test_fail("ping seen before it was sent");
			break;
		}
		if (i > 0) {
			bench_record(&vec, pp.t_ping_vector - t0);
			bench_record(&hnd, pp.t_ping_handler - t0);
		}
	}
	bench_stop_cpu1();
	EXPECT(!pp.bad, "an SGI reached the wrong CPU");
	if (test_failed())
		return;
	bench_report("sgi_vector", &vec);
	bench_report("sgi_handler", &hnd);
}

/* Half the ping-pong round trip, sender's send to sender's pong handler. */
TEST(switch)
{
	static struct bench_samples half;
	unsigned int n = bench_nsamples();

	if (!pp_setup())
		return;
	half.n = 0;
	for (unsigned int i = 0; i <= n; i++) {
		uint64_t t0 = pp_round();

		if (pp.t_pong_handler < pp.t_ping_handler ||
		    pp.t_ping_handler < t0) {
			test_fail("pong before ping");
			break;
		}
		if (i > 0)
			bench_record(&half, (pp.t_pong_handler - t0) / 2);
	}
	bench_stop_cpu1();
	EXPECT(!pp.bad, "an SGI reached the wrong CPU");
	if (test_failed())
		return;
	bench_report("vcpu_switch", &half);
}
