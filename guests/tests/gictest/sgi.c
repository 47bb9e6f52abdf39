// SPDX-License-Identifier: MIT
/* SGIs: ping-pong between CPUs, broadcast and self, GICv2 sources. */
#include "gictest.h"

#define PP_SGI 1
#define PP_ITERS 2000
#define PP_TIMEOUT_US 60000000
#define BC_SGI_OTHERS 2
#define BC_SGI_SELF 3
#define BC_ROUNDS_PER_CPU 4
#define SRC_SGI 4

/* sgi_pingpong: message k (1..iters) goes from CPU (k-1) % n to k % n. */
static struct {
	unsigned int n;
	uint32_t iters;
	uint32_t seq;
	uint32_t done;
	uint32_t recv[LG_MAX_CPUS];
	uint32_t last[LG_MAX_CPUS];
	uint32_t bad; /* first bad sequence number seen, + 1 */
	unsigned int bad_cpu;
} pp;

static void pp_handler(struct gic_irq *irq, void *arg)
{
	unsigned int me = cpu_index();
	uint32_t s = gt_load(&pp.seq);

	(void)irq;
	(void)arg;
	if (s % pp.n != me || s <= pp.last[me] || s > pp.iters) {
		if (!gt_load(&pp.bad)) {
			pp.bad_cpu = me;
			gt_store(&pp.bad, s + 1);
		}
		return;
	}
	pp.last[me] = s;
	gt_inc(&pp.recv[me]);
	if (s == pp.iters) {
		gt_store(&pp.done, 1);
		sev(); /* CPU0 may be waiting in WFE */
		return;
	}
	gt_store(&pp.seq, s + 1);
	gic_send_sgi((me + 1) % pp.n, PP_SGI);
}

static bool pp_is_done(void *arg)
{
	(void)arg;
	return gt_load(&pp.done) != 0;
}

static void pp_body(unsigned int cpu)
{
	(void)cpu;
	gt_idle_until(NULL, NULL);
}

TEST(sgi_pingpong)
{
	uint64_t iters = PP_ITERS;
	uint64_t t0;

	GT_SETUP();
	board_arg_u64("iters", &iters);
	pp.n = gt_ncpus(2);
	if (pp.n < 2)
		SKIP("needs 2 CPUs, has %u", pp.n);
	EXPECT(iters >= 1 && iters < 0x10000000, "bad iters=%llu",
	       (unsigned long long)iters);
	pp.iters = (uint32_t)iters;
	pp.seq = pp.done = pp.bad = 0;
	for (unsigned int i = 0; i < LG_MAX_CPUS; i++)
		pp.recv[i] = pp.last[i] = 0;
	gic_set_handler(PP_SGI, pp_handler, NULL);
	/* SGIs are banked: each CPU enables its own. */
	gic_set_enable(PP_SGI, true);
	if (!gt_start(pp.n, 1U << PP_SGI, pp_body))
		goto out;
	printf("# %u CPUs, %u SGIs\n", pp.n, pp.iters);
	t0 = time_us();
	gt_store(&pp.seq, 1);
	gic_send_sgi(1, PP_SGI);
	irq_unmask();
	while (!pp_is_done(NULL) && !gt_load(&pp.bad) &&
	       time_us() - t0 < PP_TIMEOUT_US)
		wfe(); /* not WFI: a lost SGI must not hang it */
	time_delay_us(GT_QUIET_US);
	irq_mask();
	printf("# %llu us\n", (unsigned long long)(time_us() - t0));
	if (gt_load(&pp.bad)) {
		test_fail(
			"CPU%u got SGI %u with sequence number %u (last it saw %u)",
			pp.bad_cpu, PP_SGI, pp.bad - 1, pp.last[pp.bad_cpu]);
		goto out;
	}
	if (!pp_is_done(NULL)) {
		test_fail("lost: stuck at message %u of %u (CPU%u to CPU%u)",
			  pp.seq, pp.iters, (pp.seq - 1) % pp.n, pp.seq % pp.n);
		goto out;
	}
	for (unsigned int c = 0; c < pp.n; c++) {
		uint32_t want = pp.iters / pp.n + (c && c <= pp.iters % pp.n);

		if (pp.recv[c] != want) {
			test_fail("CPU%u took %u SGIs, want %u", c, pp.recv[c],
				  want);
			break;
		}
	}
out:
	gt_finish(pp.n);
}

/* sgi_broadcast: per CPU, SGIs taken of each kind. */
static struct {
	unsigned int n;
	uint32_t others[LG_MAX_CPUS];
	uint32_t self[LG_MAX_CPUS];
} bc;

static void bc_handler(struct gic_irq *irq, void *arg)
{
	(void)arg;
	if (irq->intid == BC_SGI_OTHERS)
		gt_inc(&bc.others[cpu_index()]);
	else
		gt_inc(&bc.self[cpu_index()]);
}

static void bc_send_others(void)
{
	gic_send_sgi_others(BC_SGI_OTHERS);
}

static void bc_send_self(void)
{
	gic_send_sgi_self(BC_SGI_SELF);
}

/* One round: @sender sends, every CPU in @want_mask takes one. */
static bool bc_round(unsigned int sender, bool self, unsigned int round)
{
	uint32_t *count = self ? bc.self : bc.others;
	uint32_t snap[LG_MAX_CPUS] = { 0 };
	const char *what = self ? "to itself" : "to all but itself";

	for (unsigned int c = 0; c < bc.n; c++)
		snap[c] = gt_load(&count[c]);
	if (sender == 0) {
		(self ? bc_send_self : bc_send_others)();
	} else {
		gt_call(sender, self ? bc_send_self : bc_send_others);
		if (!gt_call_wait(sender))
			return false;
	}
	for (unsigned int c = 0; c < bc.n; c++) {
		bool gets = self == (c == sender);

		if (gets &&
		    !gt_wait_ge(&count[c], snap[c] + 1, GT_TIMEOUT_US)) {
			test_fail(
				"round %u: CPU%u sent SGI %s, CPU%u did not take it",
				round, sender, what, c);
			return false;
		}
	}
	time_delay_us(GT_QUIET_US / 5);
	for (unsigned int c = 0; c < bc.n; c++) {
		uint32_t want = snap[c] + (self == (c == sender));

		if (gt_load(&count[c]) != want) {
			test_fail(
				"round %u: CPU%u sent SGI %s, CPU%u took %u, want %u",
				round, sender, what, c,
				gt_load(&count[c]) - snap[c], want - snap[c]);
			return false;
		}
	}
	return true;
}

TEST(sgi_broadcast)
{
	uint32_t private = 1U << BC_SGI_OTHERS | 1U << BC_SGI_SELF;

	GT_SETUP();
	bc.n = gt_ncpus(LG_MAX_CPUS);
	if (bc.n < 2)
		SKIP("needs 2 CPUs, has %u", bc.n);
	for (unsigned int i = 0; i < LG_MAX_CPUS; i++)
		bc.others[i] = bc.self[i] = 0;
	gic_set_handler(BC_SGI_OTHERS, bc_handler, NULL);
	gic_set_handler(BC_SGI_SELF, bc_handler, NULL);
	gt_enable_private(private);
	if (!gt_start(bc.n, private, gt_serve))
		goto out;
	printf("# %u CPUs, %u rounds\n", bc.n, bc.n * BC_ROUNDS_PER_CPU);
	irq_unmask();
	for (unsigned int r = 0; r < bc.n * BC_ROUNDS_PER_CPU; r++) {
		if (!bc_round(r % bc.n, false, r) ||
		    !bc_round(r % bc.n, true, r))
			break;
	}
	irq_mask();
out:
	gt_finish(bc.n);
}

/* sgi_source: the sources CPU0 saw, in order. */
#define SRC_MAX 32
#define GICD_SPENDSGIR 0xf20

static struct {
	uint32_t count;
	unsigned int src[SRC_MAX];
} src;

static void src_handler(struct gic_irq *irq, void *arg)
{
	uint32_t n = gt_load(&src.count);

	(void)arg;
	if (n < SRC_MAX)
		src.src[n] = irq->source;
	gt_store(&src.count, n + 1);
}

static void src_send_to_cpu0(void)
{
	gic_send_sgi(0, SRC_SGI);
}

/* Waits for CPU0 to have taken @want SGIs in all, and no more. */
static bool src_expect(uint32_t want, const char *what)
{
	if (!gt_wait_ge(&src.count, want, GT_TIMEOUT_US)) {
		test_fail("%s: CPU0 took %u SGIs, want %u", what,
			  gt_load(&src.count), want);
		return false;
	}
	time_delay_us(GT_QUIET_US / 5);
	if (gt_load(&src.count) != want) {
		test_fail("%s: CPU0 took %u SGIs, want %u", what,
			  gt_load(&src.count), want);
		return false;
	}
	return true;
}

/* Every other CPU sends while CPU0 has IRQs masked: one pending state per
 * source (GICD_SPENDSGIR), each delivered once with its source. */
static void src_concurrent(unsigned int n)
{
	uint32_t base = gt_load(&src.count);
	uint8_t want = 0, seen = 0, pend;

	irq_mask();
	for (unsigned int c = 1; c < n; c++) {
		want |= (uint8_t)(1U << gic_cpu_if(c));
		gt_call(c, src_send_to_cpu0);
	}
	for (unsigned int c = 1; c < n; c++) {
		if (!gt_call_wait(c))
			return;
	}
	time_delay_us(GT_QUIET_US / 5);
	pend = mmio_read8(gic_dist_base() + GICD_SPENDSGIR + SRC_SGI);
	irq_unmask();
	if (!src_expect(base + n - 1, "all at once"))
		return;
	for (uint32_t i = base; i < base + n - 1; i++) {
		uint8_t bit = (uint8_t)(1U << src.src[i]);

		if (!(want & bit) || (seen & bit))
			FAIL("all at once: sources taken in order: %u (this one twice or unexpected), want each of 0x%x once",
			     src.src[i], want);
		seen |= bit;
	}
	EXPECT(pend == want,
	       "all at once: GICD_SPENDSGIR for SGI %u read 0x%x, want sources 0x%x",
	       SRC_SGI, pend, want);
}

TEST(sgi_source)
{
	unsigned int n;

	GT_SETUP();
	if (gic_version() != 2)
		SKIP("GICv%u: IAR has no SGI source (GICv2 only)",
		     gic_version());
	n = gt_ncpus(LG_MAX_CPUS);
	if (n < 2)
		SKIP("needs 2 CPUs, has %u", n);
	src.count = 0;
	gic_set_handler(SRC_SGI, src_handler, NULL);
	gic_set_enable(SRC_SGI, true);
	if (!gt_start(n, 0, gt_serve))
		goto out;
	irq_unmask();
	for (unsigned int c = 1; c < n; c++) {
		gt_call(c, src_send_to_cpu0);
		if (!src_expect(c, "one by one"))
			goto out;
		if (src.src[c - 1] != gic_cpu_if(c)) {
			test_fail(
				"SGI from CPU%u: IAR source %u, want its CPU interface %u",
				c, src.src[c - 1], gic_cpu_if(c));
			goto out;
		}
	}
	gic_send_sgi_self(SRC_SGI);
	if (!src_expect(n, "to itself"))
		goto out;
	if (src.src[n - 1] != gic_cpu_if(0)) {
		test_fail(
			"SGI to itself (filter 2): IAR source %u, want CPU0's interface %u",
			src.src[n - 1], gic_cpu_if(0));
		goto out;
	}
	src_concurrent(n);
out:
	irq_mask();
	gt_finish(n);
}
