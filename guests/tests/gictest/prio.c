// SPDX-License-Identifier: MIT
/*
 * Priorities: nested preemption (priority_chain) and many interrupts
 * pending at once (lr_overflow, more than a hypervisor's list registers).
 * Priorities are multiples of 0x10 so they differ in the group priority
 * with 5 implemented bits and the smallest binary point (GICv3 BPR1 >= 3,
 * IHI 0069 4.8.3).
 */
#include "gictest.h"

/* priority_chain: A0 < A1 < A2 < A3 in priority; E ties A1; L is lowest. */
enum { C_A0, C_A1, C_A2, C_A3, C_E, C_L, C_N };
#define CHAIN_LOG 32
#define CHAIN_HOLD_US 1000

static const uint8_t chain_prio[C_N] = { 0xc0, 0xa0, 0x80, 0x60, 0xa0, 0xe0 };
static const char *const chain_name[C_N] = { "A0", "A1", "A2", "A3", "E", "L" };
/*
 * What must happen: each Ak makes A(k+1) pending and is preempted by it;
 * A1 makes E pending first (same priority: no preemption, E runs as soon
 * as A1 ends, preempting A0); A3 makes L pending (runs last).
 */
#define IN(k) (2 * (k))
#define OUT(k) (2 * (k) + 1)
static const uint8_t chain_want[] = {
	IN(C_A0),  IN(C_A1), IN(C_A2), IN(C_A3),  OUT(C_A3), OUT(C_A2),
	OUT(C_A1), IN(C_E),  OUT(C_E), OUT(C_A0), IN(C_L),   OUT(C_L)
};

static struct {
	bool sgi;
	unsigned int intid[C_N];
	uint32_t done[C_N];
	uint8_t rpr[C_N];
	uint8_t log[CHAIN_LOG];
	uint32_t nlog;
} ch;

static void chain_log(uint8_t ev)
{
	if (ch.nlog < CHAIN_LOG)
		ch.log[ch.nlog] = ev;
	ch.nlog++;
}

static void chain_pend(unsigned int k)
{
	if (ch.sgi)
		gic_send_sgi_self(ch.intid[k]);
	else
		gic_set_pending(ch.intid[k], true);
}

/* In a handler, IRQs unmasked: wait for a nested one to have run. */
static void chain_wait(unsigned int k, unsigned int in)
{
	if (!gt_wait_ge(&ch.done[k], 1, GT_TIMEOUT_US / 10))
		test_fail("%s did not preempt %s (priority 0x%x over 0x%x)",
			  chain_name[k], chain_name[in], chain_prio[k],
			  chain_prio[in]);
}

static void chain_handler(struct gic_irq *irq, void *arg)
{
	unsigned int k = (unsigned int)(uintptr_t)arg;

	(void)irq;
	ch.rpr[k] = gic_running_priority();
	chain_log((uint8_t)IN(k));
	if (k <= C_A3)
		irq_unmask();
	switch (k) {
	case C_A0:
		chain_pend(C_A1);
		chain_wait(C_A1, C_A0);
		chain_wait(C_E, C_A0);
		break;
	case C_A1:
		chain_pend(C_E);
		chain_pend(C_A2);
		chain_wait(C_A2, C_A1);
		break;
	case C_A2:
		chain_pend(C_A3);
		chain_wait(C_A3, C_A2);
		break;
	case C_A3:
		chain_pend(C_L);
		/* L (lower) must wait for everything above it. */
		time_delay_us(CHAIN_HOLD_US);
		break;
	default: break;
	}
	irq_mask();
	chain_log((uint8_t)OUT(k));
	gt_store(&ch.done[k], 1);
}

static void chain_fmt(char *buf, size_t len, const uint8_t *ev, uint32_t n)
{
	size_t off = 0;

	buf[0] = '\0';
	for (uint32_t i = 0; i < n && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s%c",
					i ? " " : "", chain_name[ev[i] / 2],
					ev[i] % 2 ? '-' : '+');
}

static void chain_run(bool sgi, unsigned int first)
{
	char got[160], want[160];
	uint32_t n = sizeof(chain_want);

	ch.sgi = sgi;
	ch.nlog = 0;
	for (unsigned int k = 0; k < C_N; k++) {
		ch.intid[k] = first + k;
		ch.done[k] = 0;
		gic_set_priority(ch.intid[k], chain_prio[k]);
		gic_set_handler(ch.intid[k], chain_handler,
				(void *)(uintptr_t)k);
		gic_set_enable(ch.intid[k], true);
	}
	irq_unmask();
	chain_pend(C_A0);
	gt_wait_ge(&ch.done[C_L], 1, GT_TIMEOUT_US);
	time_delay_us(GT_QUIET_US);
	irq_mask();
	chain_fmt(got, sizeof(got), ch.log, ch.nlog < CHAIN_LOG ? ch.nlog : 0);
	chain_fmt(want, sizeof(want), chain_want, n);
	printf("# %s: %s\n", sgi ? "SGIs" : "SPIs", got);
	if (ch.nlog != n || memcmp(ch.log, chain_want, n) != 0)
		FAIL("%s %u-%u: order %s, want %s", sgi ? "SGIs" : "SPIs",
		     first, first + C_N - 1, got, want);
	for (unsigned int k = 0; k < C_N; k++) {
		if (ch.rpr[k] != chain_prio[k])
			FAIL("%s: running priority 0x%x in %s's handler, want its priority 0x%x",
			     sgi ? "SGIs" : "SPIs", ch.rpr[k], chain_name[k],
			     chain_prio[k]);
	}
	EXPECT(gic_running_priority() == GIC_PRIO_IDLE,
	       "%s: running priority 0x%x after all handlers, want idle (0xff)",
	       sgi ? "SGIs" : "SPIs", gic_running_priority());
}

TEST(priority_chain)
{
	GT_SETUP();
	chain_run(false, gt_spi(0));
	if (test_failed())
		return;
	chain_run(true, 8);
}

/* lr_overflow: LR_N SPIs, pending all at once. */
#define LR_N 20

static struct {
	unsigned int intid[LR_N];
	uint8_t prio[LR_N];
	uint32_t taken[LR_N];
	unsigned int order[LR_N * 2];
	uint32_t norder;
} lr;

static void lr_handler(struct gic_irq *irq, void *arg)
{
	unsigned int i = (unsigned int)(uintptr_t)arg;

	(void)irq;
	if (lr.norder < LR_N * 2)
		lr.order[lr.norder] = i;
	lr.norder++;
	gt_inc(&lr.taken[i]);
}

/* Pends all, in an order unrelated to INTID or priority. */
static void lr_pend_all(void)
{
	for (unsigned int j = 0; j < LR_N; j++)
		gic_set_pending(lr.intid[j * 7 % LR_N], true);
}

/* Waits for @want interrupts in all; checks each ran once and that
 * priorities never rose from @from on. */
static bool lr_check(uint32_t want, uint32_t from, const char *what)
{
	gt_wait_ge(&lr.norder, want, GT_TIMEOUT_US);
	time_delay_us(GT_QUIET_US);
	if (lr.norder != want) {
		test_fail("%s: %u interrupts taken, want %u", what, lr.norder,
			  want);
		return false;
	}
	for (uint32_t j = from + 1; j < want; j++) {
		uint8_t p0 = lr.prio[lr.order[j - 1]];
		uint8_t p1 = lr.prio[lr.order[j]];

		if (p1 < p0) {
			test_fail(
				"%s: INTID %u (priority 0x%x) taken after INTID %u (0x%x)",
				what, lr.intid[lr.order[j]], p1,
				lr.intid[lr.order[j - 1]], p0);
			return false;
		}
	}
	return true;
}

static bool lr_all_once(const char *what)
{
	for (unsigned int i = 0; i < LR_N; i++) {
		if (lr.taken[i] != 1) {
			test_fail("%s: INTID %u (priority 0x%x) taken %u times",
				  what, lr.intid[i], lr.prio[i], lr.taken[i]);
			return false;
		}
		if (gic_is_pending(lr.intid[i]) || gic_is_active(lr.intid[i])) {
			test_fail("%s: INTID %u still pending or active", what,
				  lr.intid[i]);
			return false;
		}
	}
	return true;
}

static void lr_reset(void)
{
	lr.norder = 0;
	for (unsigned int i = 0; i < LR_N; i++)
		lr.taken[i] = 0;
}

/* Masked by PSTATE.I, then unmasked. */
static bool lr_round_daif(void)
{
	lr_reset();
	lr_pend_all();
	for (unsigned int i = 0; i < LR_N; i++) {
		if (!gic_is_pending(lr.intid[i])) {
			test_fail("PSTATE.I: INTID %u not pending after ISPENDR",
				  lr.intid[i]);
			return false;
		}
	}
	irq_unmask();
	lr_check(LR_N, 0, "PSTATE.I");
	irq_mask();
	return !test_failed() && lr_all_once("PSTATE.I");
}

/* Masked by PMR: 0 (all), then 0x80 (the higher half), then 0xff. */
static bool lr_round_pmr(void)
{
	uint32_t high = 0;

	lr_reset();
	gic_set_pmr(0);
	irq_unmask();
	lr_pend_all();
	time_delay_us(GT_QUIET_US);
	if (lr.norder != 0) {
		test_fail("PMR 0: %u interrupts taken, want none", lr.norder);
		goto out;
	}
	for (unsigned int i = 0; i < LR_N; i++)
		high += lr.prio[i] < 0x80;
	gic_set_pmr(0x80);
	if (!lr_check(high, 0, "PMR 0x80"))
		goto out;
	gic_set_pmr(GIC_PRIO_IDLE);
	lr_check(LR_N, high, "PMR 0xff");
out:
	irq_mask();
	gic_set_pmr(GIC_PRIO_IDLE);
	return !test_failed() && lr_all_once("PMR");
}

TEST(lr_overflow)
{
	GT_SETUP();
	for (unsigned int i = 0; i < LR_N; i++) {
		lr.intid[i] = gt_spi(i);
		/* 13 priorities over 20 interrupts: some tie. */
		lr.prio[i] = (uint8_t)(0x10 * (1 + i * 5 % 13));
		gic_set_priority(lr.intid[i], lr.prio[i]);
		gic_set_edge(lr.intid[i], true);
		gic_set_handler(lr.intid[i], lr_handler, (void *)(uintptr_t)i);
		gic_set_enable(lr.intid[i], true);
	}
	printf("# SPIs %u-%u\n", lr.intid[0], lr.intid[LR_N - 1]);
	if (!lr_round_daif())
		return;
	lr_round_pmr();
}
