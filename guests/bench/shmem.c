// SPDX-License-Identifier: MIT
/*
 * Doorbells of a shared-memory region between two VMs (docs/shmem.md):
 * the VM with doorbell index 0 rings index 1, whose handler rings back;
 * the metric is half the round trip, from the ring to index 0's handler,
 * on index 0's clock. Run in two VMs of one vCPU each
 * (tools/kairos-bench: on two pCPUs, and on one).
 */
#include "bench.h"

/* In the region: who is set up, and the end of the run. */
struct db_chan {
	volatile uint32_t ready[2];
	volatile uint32_t done;
};

static struct {
	struct lg_shmem s;
	struct db_chan *c;
	uint64_t t_handler;
	uint32_t got, stop;
} db;

static void db_handler(struct gic_irq *irq, void *arg)
{
	uint64_t t = bench_now();

	(void)irq;
	(void)arg;
	db.t_handler = t;
	if (db.s.index == 0) {
		bench_store(&db.got, 1);
	} else if (db.c->done) {
		bench_store(&db.stop, 1);
	} else {
		shmem_ring(&db.s, 0);
	}
}

static bool db_setup(void)
{
	if (!bench_setup(false))
		return false;
	if (!shmem_find(0, &db.s) || db.s.index > 1) {
		test_fail("no shared-memory region with index 0 or 1");
		return false;
	}
	db.c = (struct db_chan *)(uintptr_t)db.s.base;
	db.got = db.stop = 0;
	gic_set_handler(db.s.intid, db_handler, NULL);
	gic_set_edge(db.s.intid, true);
	gic_set_enable(db.s.intid, true);
	db.c->ready[db.s.index] = 1;
	__asm__ volatile("dsb ish" ::: "memory");
	while (!db.c->ready[!db.s.index])
		bench_yield();
	return true;
}

TEST_FLAGS(doorbell, TEST_NAMED_ONLY)
{
	static struct bench_samples half;
	unsigned int n = bench_nsamples();

	if (!db_setup())
		return;
	if (db.s.index == 1) {
		bench_wait(&db.stop, 1);
		return;
	}
	half.n = 0;
	for (unsigned int i = 0; i <= n; i++) {
		uint64_t t0;

		bench_store(&db.got, 0);
		bench_settle();
		t0 = bench_now();
		shmem_ring(&db.s, 1);
		bench_wait(&db.got, 1);
		if (db.t_handler < t0) {
			test_fail("answer before the ring");
			break;
		}
		if (i > 0)
			bench_record(&half, (db.t_handler - t0) / 2);
	}
	db.c->done = 1;
	shmem_ring(&db.s, 1);
	if (test_failed())
		return;
	bench_report("doorbell", &half);
}
