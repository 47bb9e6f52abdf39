// SPDX-License-Identifier: MIT
/*
 * Shared memory between VMs (docs/shmem.md), one side per VM, driven by
 * tests/integration/test_shmem.py:
 *
 *   pingpong n=N [window=W]: the VM with doorbell index 0 sends N
 *     sequence numbers to index 1 through a ring in the region, keeping
 *     up to W in flight, ringing index 1 after each; index 1 answers each
 *     through a second ring, ringing index 0. Each side waits for its
 *     doorbell interrupt (WFI) before it looks at its ring, so a lost
 *     doorbell stalls the run; each checks every number it receives is
 *     the next one (none lost, duplicated or reordered), and that the
 *     doorbell counted each of its rings as delivered or coalesced.
 *   ro_write: a read-only participant reads the region, and its write
 *     takes a data abort.
 *   bad_index: rings to indexes without a participant pend nothing and
 *     are counted as bad.
 *   echo n=N: for N requests, wait for the doorbell, read the 32-bit
 *     request at the region's offset 0 when it changed, write request + 1
 *     at offset 4 and ring index 0 (a Linux peer polls it with devmem, or
 *     waits for its interrupt through uio_pci_generic); quiet=1 prints
 *     only the last answer.
 *   tick n=N: the region's writer counts from 1 to N, one a 100 ms, in
 *     its own RAM and at the region's offset 0; before each count it
 *     checks the region still holds the last one, so a restore that
 *     brought back its RAM without the region (or the region without
 *     its RAM) fails it.
 *   watch n=N: a reader prints the region's offset 0 every 100 ms when
 *     it changed, until it reads N.
 *   not_given ipa=ADDR: a VM without a region finds none in its DTB, and
 *     reading the region's address in another VM (ADDR) or the first
 *     doorbell page aborts.
 */
#include <lg/shmem.h>
#include <libguest.h>
#include <stdio.h>
#include <string.h>

#define RING_SLOTS 64U

/* A ring to one participant: its producer writes head, its consumer tail. */
struct ring {
	volatile uint64_t head;
	uint64_t pad0[7];
	volatile uint64_t tail;
	uint64_t pad1[7];
	volatile uint64_t slot[RING_SLOTS];
};

/* The region: who is set up, and a ring to each of index 0 and 1. */
struct chan {
	volatile uint64_t ready[2];
	uint64_t pad[6];
	struct ring to[2];
};

static struct lg_shmem shm;
static volatile uint64_t irqs;

static void bell_irq(struct gic_irq *irq, void *arg)
{
	(void)irq;
	(void)arg;
	irqs++;
}

static void dmb(void)
{
	__asm__ volatile("dmb ish" ::: "memory");
}

static void push(struct ring *r, uint64_t v)
{
	r->slot[r->head % RING_SLOTS] = v;
	dmb(); /* the slot before the head that publishes it */
	r->head = r->head + 1;
}

static bool pop(struct ring *r, uint64_t *v)
{
	uint64_t t = r->tail;

	if (r->head == t)
		return false;
	dmb(); /* the head before the slot it covers */
	*v = r->slot[t % RING_SLOTS];
	dmb(); /* the slot read before it is given back */
	r->tail = t + 1;
	return true;
}

/* Sleep until @r has something; only a doorbell wakes this vCPU. */
static void wait_for(struct ring *r)
{
	for (;;) {
		irq_mask();
		if (r->head != r->tail) {
			irq_unmask();
			return;
		}
		__asm__ volatile("wfi" ::: "memory");
		irq_unmask(); /* the doorbell's handler runs here */
	}
}

static bool setup(void)
{
	if (!shmem_find(0, &shm)) {
		test_fail("no shared-memory region in the DTB");
		return false;
	}
	if (!gic_init()) {
		test_fail("no GIC");
		return false;
	}
	gic_set_handler(shm.intid, bell_irq, NULL);
	gic_set_edge(shm.intid, true);
	gic_set_enable(shm.intid, true);
	return true;
}

/* Mark this side ready, and wait until the peer is. */
static void handshake(struct chan *c, unsigned int self)
{
	c->ready[self] = 1;
	__asm__ volatile("dsb ish" ::: "memory");
	while (!c->ready[!self])
		time_delay_us(200);
}

/* Each ring of this side counted as delivered or coalesced, none lost. */
static void check_counts(uint64_t rings)
{
	uint32_t rung = shmem_bell_read(&shm, SHMEM_BELL_RUNG);
	uint32_t coal = shmem_bell_read(&shm, SHMEM_BELL_COALESCED);
	uint32_t bad = shmem_bell_read(&shm, SHMEM_BELL_BAD);
	uint32_t dropped = shmem_bell_read(&shm, SHMEM_BELL_DROPPED);

	printf("# rings %llu: rung %u, coalesced %u, bad %u, dropped %u; "
	       "doorbell IRQs taken %llu, received %u\n",
	       (unsigned long long)rings, rung, coal, bad, dropped,
	       (unsigned long long)irqs,
	       shmem_bell_read(&shm, SHMEM_BELL_RECEIVED));
	if ((uint64_t)rung + coal != rings || bad || dropped)
		test_fail("rings %llu != rung %u + coalesced %u (bad %u, "
			  "dropped %u)",
			  (unsigned long long)rings, rung, coal, bad, dropped);
	if (!irqs)
		test_fail("no doorbell interrupt was taken");
}

static void ping(struct chan *c, uint64_t n, uint64_t window)
{
	uint64_t sent = 0, got = 0, v, t0 = time_us();

	while (got < n && !test_failed()) {
		while (sent < n && sent - got < window) {
			push(&c->to[1], ++sent);
			shmem_ring(&shm, 1);
		}
		wait_for(&c->to[0]);
		while (pop(&c->to[0], &v))
			if (v != ++got) {
				test_fail("answer %llu where %llu was due",
					  (unsigned long long)v,
					  (unsigned long long)got);
				return;
			}
	}
	printf("# %llu messages there and back in %llu us\n",
	       (unsigned long long)n, (unsigned long long)(time_us() - t0));
	check_counts(sent);
}

static void pong(struct chan *c, uint64_t n)
{
	uint64_t got = 0, v;

	while (got < n && !test_failed()) {
		wait_for(&c->to[1]);
		while (pop(&c->to[1], &v)) {
			if (v != ++got) {
				test_fail("message %llu where %llu was due",
					  (unsigned long long)v,
					  (unsigned long long)got);
				return;
			}
			push(&c->to[0], v);
			shmem_ring(&shm, 0);
		}
	}
	check_counts(got);
}

TEST_FLAGS(pingpong, TEST_NAMED_ONLY)
{
	uint64_t n = 1000, window = 1;
	struct chan *c;

	board_arg_u64("n", &n);
	board_arg_u64("window", &window);
	if (!window || window > RING_SLOTS)
		FAIL("window %llu not in 1..%u", (unsigned long long)window,
		     RING_SLOTS);
	if (!setup())
		return;
	if (shm.index > 1 || shm.size < sizeof(struct chan))
		FAIL("index %u, size 0x%llx: want index 0 or 1 and %zu bytes",
		     shm.index, (unsigned long long)shm.size,
		     sizeof(struct chan));
	if (shmem_bell_read(&shm, SHMEM_BELL_SELF) != shm.index ||
	    shmem_bell_read(&shm, SHMEM_BELL_PEERS) != 3)
		FAIL("doorbell says index %u, peers 0x%x; the DTB index %u",
		     shmem_bell_read(&shm, SHMEM_BELL_SELF),
		     shmem_bell_read(&shm, SHMEM_BELL_PEERS), shm.index);
	c = (struct chan *)(uintptr_t)shm.base;
	irq_unmask();
	handshake(c, shm.index);
	if (shm.index == 0)
		ping(c, n, window);
	else
		pong(c, n);
	irq_mask();
}

TEST_FLAGS(ro_write, TEST_NAMED_ONLY)
{
	volatile uint64_t *p;
	struct exc_record rec;
	uint64_t v;

	if (!shmem_find(0, &shm))
		FAIL("no shared-memory region in the DTB");
	if (!shm.ro)
		FAIL("the region is not read-only here");
	p = (volatile uint64_t *)(uintptr_t)(shm.base + 0x100);
	v = *p; /* reads work */
	exc_catch_begin();
	*p = v + 1;
	if (!exc_catch_end(&rec))
		FAIL("a write to the read-only region completed");
	EXPECT(ESR_EC(rec.esr) == ESR_EC_DABT_CUR,
	       "a write took exception class 0x%llx, not a data abort",
	       (unsigned long long)ESR_EC(rec.esr));
	EXPECT(*p == v, "the region changed under a refused write");
	printf("# the write took a data abort (ESR 0x%llx)\n",
	       (unsigned long long)rec.esr);
}

TEST_FLAGS(bad_index, TEST_NAMED_ONLY)
{
	uint32_t peers, bad0, rung0, free_idx = 0;

	if (!setup())
		return;
	peers = shmem_bell_read(&shm, SHMEM_BELL_PEERS);
	while (free_idx < 32 && (peers >> free_idx) & 1)
		free_idx++;
	bad0 = shmem_bell_read(&shm, SHMEM_BELL_BAD);
	rung0 = shmem_bell_read(&shm, SHMEM_BELL_RUNG);
	irq_unmask();
	shmem_ring(&shm, free_idx);
	shmem_ring(&shm, 1000);
	shmem_ring(&shm, 0xffffffffU);
	time_delay_us(10000);
	irq_mask();
	EXPECT(shmem_bell_read(&shm, SHMEM_BELL_BAD) == bad0 + 3,
	       "bad count %u, want %u", shmem_bell_read(&shm, SHMEM_BELL_BAD),
	       bad0 + 3);
	EXPECT(shmem_bell_read(&shm, SHMEM_BELL_RUNG) == rung0,
	       "a bad ring was delivered");
	EXPECT(!irqs, "a bad ring raised this VM's doorbell");
	printf("# rings to index %u, 1000 and 0xffffffff counted as bad\n",
	       free_idx);
}

TEST_FLAGS(echo, TEST_NAMED_ONLY)
{
	volatile uint32_t *req, *ans;
	uint64_t n = 1, quiet = 0;
	uint32_t last = 0;

	board_arg_u64("n", &n);
	board_arg_u64("quiet", &quiet);
	if (!setup())
		return;
	req = (volatile uint32_t *)(uintptr_t)shm.base;
	ans = req + 1;
	irq_unmask();
	printf("# echo ready, index %u\n", shm.index);
	for (uint64_t i = 0; i < n; i++) {
		for (;;) {
			irq_mask();
			if (*req != last)
				break;
			__asm__ volatile("wfi" ::: "memory");
			irq_unmask();
		}
		irq_unmask();
		last = *req;
		*ans = last + 1;
		shmem_ring(&shm, 0);
		if (!quiet || i + 1 == n)
			printf("# echo %u -> %u\n", last, last + 1);
	}
	irq_mask();
	EXPECT(irqs >= n, "%llu doorbell interrupts for %llu requests",
	       (unsigned long long)irqs, (unsigned long long)n);
}

TEST_FLAGS(not_given, TEST_NAMED_ONLY)
{
	uint64_t ipa = 0;
	struct exc_record rec;

	if (shmem_find(0, &shm))
		FAIL("a region is in the DTB of a VM that was not given one");
	if (!board_arg_u64("ipa", &ipa))
		FAIL("no ipa= argument");
	exc_catch_begin();
	(void)mmio_read64((uintptr_t)ipa);
	EXPECT(exc_catch_end(&rec), "reading 0x%llx completed",
	       (unsigned long long)ipa);
	exc_catch_begin();
	(void)mmio_read32(0x0b000000);
	EXPECT(exc_catch_end(&rec), "reading the doorbell page completed");
}

TEST_FLAGS(tick, TEST_NAMED_ONLY)
{
	volatile uint64_t *shared;
	uint64_t n = 20;

	board_arg_u64("n", &n);
	if (!shmem_find(0, &shm))
		FAIL("no shared-memory region in the DTB");
	shared = (volatile uint64_t *)(uintptr_t)shm.base;
	for (volatile uint64_t mine = 0; mine < n;) {
		if (*shared != mine)
			FAIL("the region holds %llu, this VM counted %llu",
			     (unsigned long long)*shared,
			     (unsigned long long)mine);
		mine = mine + 1;
		*shared = mine;
		printf("# tick %llu\n", (unsigned long long)mine);
		time_delay_us(100000);
	}
}

TEST_FLAGS(watch, TEST_NAMED_ONLY)
{
	volatile uint64_t *shared;
	uint64_t n = 20, last = 0, v;

	board_arg_u64("n", &n);
	if (!shmem_find(0, &shm))
		FAIL("no shared-memory region in the DTB");
	shared = (volatile uint64_t *)(uintptr_t)shm.base;
	do {
		v = *shared;
		if (v != last)
			printf("# sees %llu\n", (unsigned long long)v);
		last = v;
		time_delay_us(100000);
	} while (v != n);
}
