// SPDX-License-Identifier: MIT
/*
 * Doorbells of a shared-memory region between two VMs (docs/shmem.md):
 * the VM with doorbell index 0 rings index 1, whose handler rings back;
 * the metric is half the round trip, from the ring to index 0's handler,
 * on index 0's clock. Run in two VMs of one vCPU each
 * (tools/kairos-bench: on two pCPUs, and on one).
 */
#include <string.h>

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

/*
 * stream: index 0 streams STREAM_BYTES through a ring that fills the
 * region after its first page (whose second half holds the ring's
 * indexes), 4 KiB at a time, each chunk copied in from
 * its RAM; index 1 copies each chunk out to its RAM and checks its
 * sequence number. A side rings the other only when that one said it
 * waits (empty or full ring), so doorbells cost nothing while both keep
 * up. The metric: ticks from the first chunk until the consumer has taken
 * the last, on index 0's clock (tools/kairos-bench turns it into bytes
 * per second).
 */
#define STREAM_CHUNK 4096U
#define STREAM_BYTES (4ULL << 20)

struct st_chan {
	volatile uint64_t head; /* bytes produced */
	uint64_t pad0[7];
	volatile uint64_t tail; /* bytes consumed */
	uint64_t pad1[7];
	volatile uint32_t waiting[2]; /* index k sleeps until rung */
	volatile uint32_t done;
	volatile uint32_t bad; /* a chunk out of sequence */
};

static struct {
	struct lg_shmem s;
	struct st_chan *c;
	uint8_t *data;
	uint64_t ring;
	uint32_t bell;
	uint64_t buf[STREAM_CHUNK / 8];
} st;

static void st_handler(struct gic_irq *irq, void *arg)
{
	(void)irq;
	(void)arg;
	bench_store(&st.bell, 1);
}

static void st_fence(void)
{
	__asm__ volatile("dmb ish" ::: "memory");
}

/* Until @ready() holds, asleep between doorbells (no wake-up lost). */
static void st_wait(bool (*ready)(void))
{
	unsigned int me = st.s.index;

	while (!ready()) {
		bench_store(&st.bell, 0);
		st.c->waiting[me] = 1;
		st_fence();
		if (!ready())
			bench_wait(&st.bell, 1);
		st.c->waiting[me] = 0;
	}
}

/* After publishing: ring the other side if it sleeps. */
static void st_kick(void)
{
	unsigned int other = !st.s.index;

	st_fence();
	if (st.c->waiting[other]) {
		st.c->waiting[other] = 0;
		shmem_ring(&st.s, other);
	}
}

static bool st_room(void)
{
	return st.c->head - st.c->tail <= st.ring - STREAM_CHUNK;
}

static bool st_data(void)
{
	return st.c->head != st.c->tail || st.c->done;
}

static uint64_t st_target;

static bool st_taken(void)
{
	return st.c->tail >= st_target;
}

static void st_consume(void)
{
	uint64_t seq = 0;

	for (;;) {
		st_wait(st_data);
		if (st.c->head == st.c->tail)
			break; /* done */
		memcpy(st.buf, st.data + st.c->tail % st.ring, STREAM_CHUNK);
		if (st.buf[0] != seq++)
			st.c->bad = 1;
		st_fence();
		st.c->tail = st.c->tail + STREAM_CHUNK;
		st_kick();
	}
}

static uint64_t st_produce(uint64_t seq)
{
	uint64_t t0 = bench_now();

	for (uint64_t sent = 0; sent < STREAM_BYTES; sent += STREAM_CHUNK) {
		st.buf[0] = seq++;
		st_wait(st_room);
		memcpy(st.data + st.c->head % st.ring, st.buf, STREAM_CHUNK);
		st_fence();
		st.c->head = st.c->head + STREAM_CHUNK;
		st_kick();
	}
	st_target = st.c->head;
	st_wait(st_taken);
	return bench_now() - t0;
}

TEST_FLAGS(stream, TEST_NAMED_ONLY)
{
	static struct bench_samples s;
	unsigned int n = bench_nsamples();
	uint64_t seq = 0;

	if (n > 10)
		n = 10; /* 4 MiB each: enough for a median */
	if (!bench_setup(false))
		return;
	if (!shmem_find(0, &st.s) || st.s.index > 1 ||
	    st.s.size < 2 * STREAM_CHUNK + sizeof(struct st_chan)) {
		test_fail(
			"no shared-memory region of 8 KiB or more with index 0 or 1");
		return;
	}
	/* Past the doorbell test's db_chan, in the first page. */
	st.c = (struct st_chan *)(uintptr_t)(st.s.base + STREAM_CHUNK / 2);
	st.data = (uint8_t *)(uintptr_t)st.s.base + STREAM_CHUNK;
	st.ring = (st.s.size - STREAM_CHUNK) / STREAM_CHUNK * STREAM_CHUNK;
	gic_set_handler(st.s.intid, st_handler, NULL);
	gic_set_edge(st.s.intid, true);
	gic_set_enable(st.s.intid, true);
	/* The doorbell test's handshake went before: both are set up. */
	if (st.s.index == 1) {
		st_consume();
		return;
	}
	s.n = 0;
	for (unsigned int i = 0; i <= n; i++) {
		uint64_t t = st_produce(seq);

		seq += STREAM_BYTES / STREAM_CHUNK;
		if (i > 0)
			bench_record(&s, t);
	}
	st.c->done = 1;
	st_kick();
	if (st.c->bad) {
		test_fail("the consumer found a chunk out of sequence");
		return;
	}
	printf("# bench: stream of %llu bytes through a ring of %llu\n",
	       (unsigned long long)STREAM_BYTES, (unsigned long long)st.ring);
	bench_report("stream", &s);
}
