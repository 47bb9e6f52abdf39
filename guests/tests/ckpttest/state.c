// SPDX-License-Identifier: MIT
/*
 * The rest of a VM's state across checkpoints (all named only).
 *
 * sync: both CPUs publish CNTVCT samples for ms=; each checks its own
 *   counter is never behind a sample the other published before, nor
 *   behind its own last one.
 * nested: CPU0 takes SGI 1 (priority 0xa0), whose handler unmasks IRQs
 *   and sends itself SGI 2 (0x80), whose handler spins spin_ms= with IRQs
 *   unmasked: both active, nested. eoimode=1 completes with EOI then DIR.
 *   After both handlers, the running priority is idle, no active priority
 *   bit is left and neither SGI is pending or active.
 * pingpong: each CPU sends the other SGI 3 and waits for SGI 4 back,
 *   again and again for ms=: per direction, pings sent, received and
 *   answered must be equal.
 * dirty: CPU0 fills fill_kb= of RAM at 32 MiB with a pattern, then writes
 *   a counter into pages= pages at 48 MiB round and round for ms=; at the
 *   end the pattern must be intact and each page hold a count.
 */
#include "ckpttest.h"

/* ---- sync ---- */

static struct {
	uint64_t ms;
	uint64_t sample[2];
	uint64_t last[2];
	uint32_t checks[2];
	uint32_t behind[2];
} syn;

static void sync_run(void)
{
	unsigned int me = cpu_index(), other = 1 - me;
	uint64_t end = time_us() + syn.ms * 1000;

	while (time_us() < end) {
		uint64_t theirs = ck_load64(&syn.sample[other]);
		uint64_t mine = time_ticks();

		if (mine < theirs || mine < syn.last[me]) {
			if (!syn.behind[me]++)
				test_fail(
					"CPU%u: CNTVCT 0x%llx behind CPU%u's sample 0x%llx or its own last 0x%llx",
					me, (unsigned long long)mine, other,
					(unsigned long long)theirs,
					(unsigned long long)syn.last[me]);
		}
		syn.last[me] = mine;
		syn.checks[me]++;
		ck_store64(&syn.sample[me], time_ticks());
	}
}

TEST_FLAGS(sync, TEST_NAMED_ONLY)
{
	memset(&syn, 0, sizeof(syn));
	syn.ms = ck_arg("ms", 3000);
	if (!ck_setup(0) || !ck_start_cpu1(sync_run, 0))
		return;
	printf("# ckpt sync: start, %llu ms\n", (unsigned long long)syn.ms);
	sync_run();
	ck_join_cpu1(syn.ms * 1000 + CK_TIMEOUT_US);
	printf("# ckpt sync: checks %u %u behind %u %u\n", syn.checks[0],
	       syn.checks[1], syn.behind[0], syn.behind[1]);
}

/* ---- nested ---- */

#define NEST_OUTER 1
#define NEST_INNER 2
#define NEST_OUTER_PRIO 0xa0
#define NEST_INNER_PRIO 0x80

static struct {
	uint64_t spin_us;
	uint32_t count[GIC_NR_SGIS];
	uint32_t bad_rpr;
	uint8_t rpr_outer, rpr_inner;
	uint64_t apr_inner; /* active priorities inside both */
	uint32_t spins;
} nst;

/* Active priorities: ICC_AP1R0_EL1 (GICv3, Group 1) or GICC_APR0 (GICv2,
 * Group 0, as libguest configures it). */
static uint64_t nested_apr(void)
{
	if (gic_version() == 3)
		return read_sysreg(S3_0_C12_C9_0);
	return mmio_read32(gic_cpuif_base() + 0xd0);
}

static void nested_sgi(unsigned int intid, uint32_t iar)
{
	(void)iar;
	ck_store(&nst.count[intid], nst.count[intid] + 1);
	if (intid == NEST_OUTER) {
		nst.rpr_outer = gic_running_priority();
		irq_unmask();
		gic_send_sgi_self(NEST_INNER);
		/* The inner one preempts before this goes on. */
		for (unsigned int i = 0; i < 1000 && !ck_load(&nst.count[2]);
		     i++)
			isb();
		irq_mask();
		if (gic_running_priority() != NEST_OUTER_PRIO)
			nst.bad_rpr++;
	} else if (intid == NEST_INNER) {
		uint64_t end = time_us() + nst.spin_us;

		nst.rpr_inner = gic_running_priority();
		nst.apr_inner = nested_apr();
		printf("# ckpt nested: inside, RPR 0x%x (outer 0x%x), APR 0x%llx\n",
		       nst.rpr_inner, nst.rpr_outer,
		       (unsigned long long)nst.apr_inner);
		irq_unmask();
		while (time_us() < end) {
			if (gic_running_priority() != NEST_INNER_PRIO ||
			    nested_apr() != nst.apr_inner)
				nst.bad_rpr++;
			nst.spins++;
		}
		irq_mask();
	}
}

TEST_FLAGS(nested, TEST_NAMED_ONLY)
{
	uint64_t apr_after;
	uint8_t rpr_after;

	memset(&nst, 0, sizeof(nst));
	nst.spin_us = ck_arg("spin_ms", 1500) * 1000;
	if (!ck_setup(0))
		return;
	gic_set_eoimode(ck_arg("eoimode", 0) != 0);
	gic_set_priority(NEST_OUTER, NEST_OUTER_PRIO);
	gic_set_priority(NEST_INNER, NEST_INNER_PRIO);
	ck_set_sgi_hook(nested_sgi);
	gic_send_sgi_self(NEST_OUTER);
	irq_unmask();
	ck_wait(&nst.count[NEST_OUTER], 1, CK_TIMEOUT_US);
	/* The handler ran to its end: let anything duplicated come. */
	irq_unmask();
	time_delay_us(20000);
	irq_mask();
	rpr_after = gic_running_priority();
	apr_after = nested_apr();
	ck_set_sgi_hook(NULL);
	printf("# ckpt nested: SGI%u %u SGI%u %u RPR inside 0x%x/0x%x after 0x%x APR inside 0x%llx after 0x%llx spins %u bad %u eoimode %u\n",
	       NEST_OUTER, nst.count[NEST_OUTER], NEST_INNER,
	       nst.count[NEST_INNER], nst.rpr_outer, nst.rpr_inner, rpr_after,
	       (unsigned long long)nst.apr_inner, (unsigned long long)apr_after,
	       nst.spins, nst.bad_rpr, gic_eoimode() ? 1U : 0U);
	EXPECT(nst.count[NEST_OUTER] == 1 && nst.count[NEST_INNER] == 1,
	       "SGI%u taken %u times, SGI%u %u (want 1 each)", NEST_OUTER,
	       nst.count[NEST_OUTER], NEST_INNER, nst.count[NEST_INNER]);
	EXPECT(nst.rpr_outer == NEST_OUTER_PRIO &&
		       nst.rpr_inner == NEST_INNER_PRIO,
	       "running priority 0x%x in the outer handler, 0x%x in the inner (want 0x%x, 0x%x)",
	       nst.rpr_outer, nst.rpr_inner, NEST_OUTER_PRIO, NEST_INNER_PRIO);
	EXPECT(!nst.bad_rpr,
	       "%u times the running or active priorities changed inside the handlers",
	       nst.bad_rpr);
	EXPECT(nst.apr_inner != 0,
	       "no active priority bit inside the handlers");
	EXPECT(rpr_after == GIC_PRIO_IDLE && apr_after == 0,
	       "after both handlers: RPR 0x%x, APR 0x%llx (want 0xff, 0)",
	       rpr_after, (unsigned long long)apr_after);
	for (unsigned int i = NEST_OUTER; i <= NEST_INNER; i++)
		EXPECT(!gic_is_active(i) && !gic_is_pending(i),
		       "SGI%u still %s", i,
		       gic_is_active(i) ? "active" : "pending");
}

/* ---- pingpong ---- */

#define PP_PING 3
#define PP_PONG 4

static struct {
	uint64_t ms;
	uint32_t sent[2];  /* pings CPU i sent */
	uint32_t recv[2];  /* pings CPU i received */
	uint32_t acked[2]; /* pongs CPU i received */
	uint32_t pongs[2]; /* pongs CPU i sent */
} pp;

static void pp_sgi(unsigned int intid, uint32_t iar)
{
	unsigned int me = cpu_index();

	(void)iar;
	if (intid == PP_PING) {
		ck_store(&pp.recv[me], pp.recv[me] + 1);
		ck_store(&pp.pongs[me], pp.pongs[me] + 1);
		gic_send_sgi(1 - me, PP_PONG);
	} else if (intid == PP_PONG) {
		ck_store(&pp.acked[me], pp.acked[me] + 1);
	}
}

static void pp_run(void)
{
	unsigned int me = cpu_index();
	uint64_t end = time_us() + pp.ms * 1000;

	while (time_us() < end) {
		irq_mask();
		ck_store(&pp.sent[me], pp.sent[me] + 1);
		gic_send_sgi(1 - me, PP_PING);
		if (!ck_wait(&pp.acked[me], pp.sent[me], CK_TIMEOUT_US)) {
			test_fail(
				"CPU%u: ping %u not answered (CPU%u received %u)",
				me, pp.sent[me], 1 - me,
				ck_load(&pp.recv[1 - me]));
			break;
		}
	}
	irq_mask();
	/* The other CPU may still wait for a pong: keep answering. */
	irq_unmask();
	time_delay_us(20000);
	irq_mask();
}

TEST_FLAGS(pingpong, TEST_NAMED_ONLY)
{
	memset(&pp, 0, sizeof(pp));
	pp.ms = ck_arg("ms", 3000);
	if (!ck_setup(0))
		return;
	ck_set_sgi_hook(pp_sgi);
	if (!ck_start_cpu1(pp_run, 0))
		return;
	printf("# ckpt pingpong: start, %llu ms\n", (unsigned long long)pp.ms);
	pp_run();
	ck_join_cpu1(pp.ms * 1000 + CK_TIMEOUT_US);
	ck_set_sgi_hook(NULL);
	for (unsigned int i = 0; i < 2; i++) {
		unsigned int o = 1 - i;

		printf("# ckpt pingpong: CPU%u->CPU%u pings sent %u received %u answered %u acked %u\n",
		       i, o, pp.sent[i], pp.recv[o], pp.pongs[o], pp.acked[i]);
		if (pp.sent[i] != pp.recv[o] || pp.recv[o] != pp.pongs[o] ||
		    pp.pongs[o] != pp.acked[i])
			test_fail(
				"CPU%u->CPU%u: %u pings sent, %u received, %u answered, %u answers received",
				i, o, pp.sent[i], pp.recv[o], pp.pongs[o],
				pp.acked[i]);
	}
	for (unsigned int i = 0; i < 2; i++)
		ck_check_counts(i, 0);
}

/* ---- dirty ---- */

#define DIRTY_FILL_AT (32UL << 20)
#define DIRTY_PAGES_AT (48UL << 20)

static uint64_t dirty_word(uint64_t i)
{
	return (i + 1) * 0x9e3779b97f4a7c15ULL;
}

TEST_FLAGS(dirty, TEST_NAMED_ONLY)
{
	uint64_t ram = board_mem(0)->base;
	uint64_t fill = ck_arg("fill_kb", 4096) * 1024 / 8;
	uint64_t pages = ck_arg("pages", 16), ms = ck_arg("ms", 3000);
	volatile uint64_t *f =
		(volatile uint64_t *)(uintptr_t)(ram + DIRTY_FILL_AT);
	volatile uint64_t *d =
		(volatile uint64_t *)(uintptr_t)(ram + DIRTY_PAGES_AT);
	uint64_t end, rounds = 0, bad = 0;

	EXPECT(board_is_ram(ram + DIRTY_FILL_AT, fill * 8) &&
		       board_is_ram(ram + DIRTY_PAGES_AT, pages * 4096),
	       "needs 64 MiB of RAM");
	for (uint64_t i = 0; i < fill; i++)
		f[i] = dirty_word(i);
	printf("# ckpt dirty: filled %llu KiB, dirtying %llu pages for %llu ms\n",
	       (unsigned long long)(fill * 8 / 1024), (unsigned long long)pages,
	       (unsigned long long)ms);
	end = time_us() + ms * 1000;
	while (time_us() < end) {
		for (uint64_t p = 0; p < pages; p++)
			d[p * 512 + rounds % 512] = rounds + 1;
		rounds++;
		time_delay_us(200);
	}
	for (uint64_t i = 0; i < fill; i++)
		if (f[i] != dirty_word(i) && !bad++)
			test_fail(
				"filled word %llu at 0x%llx is 0x%llx, want 0x%llx",
				(unsigned long long)i,
				(unsigned long long)(uintptr_t)&f[i],
				(unsigned long long)f[i],
				(unsigned long long)dirty_word(i));
	for (uint64_t p = 0; p < pages; p++)
		for (uint64_t r = 0; r < rounds && r < 512; r++)
			if (d[p * 512 + (rounds - 1 - r) % 512] != rounds - r &&
			    !bad++)
				test_fail(
					"dirtied page %llu word %llu is %llu, want %llu",
					(unsigned long long)p,
					(unsigned long long)((rounds - 1 - r) %
							     512),
					(unsigned long long)
						d[p * 512 +
						  (rounds - 1 - r) % 512],
					(unsigned long long)(rounds - r));
	printf("# ckpt dirty: %llu rounds, %llu bad words\n",
	       (unsigned long long)rounds, (unsigned long long)bad);
}
