// SPDX-License-Identifier: MIT
/*
 * The timer case list (the checklist of KVM's arch_timer_edge_cases and
 * kvm-unit-tests' timer): CVAL and TVAL programming, timers in the past,
 * above the TVAL maximum and in the far future, the counter moved ahead of
 * or behind an armed timer, reprogramming, firing repeatedly, masking,
 * the GIC's view of a disabled PPI, a long delay. Each case is a test for
 * both timers: vt_<case> (CNTV_*) and pt_<case> (CNTP_*); mode= says how
 * it waits.
 */
#include "timertest.h"

#define EN TIMER_CTL_ENABLE
#define IMASK TIMER_CTL_IMASK
#define ISTATUS TIMER_CTL_ISTATUS
/** A timer this far ahead must stay silent during a test. */
#define FAR_US 1000000
#define LONG_DELAY_US 150000
#define PERIODS 20
#define PERIOD_US 500

typedef void (*tt_case_fn)(enum tt_kind k, enum tt_mode m);

static void tt_case(enum tt_kind k, tt_case_fn fn)
{
	enum tt_mode m = tt_arg_mode();
	uint64_t busy;

	if (!tt_setup(1U << k, m == TT_BUSY))
		return;
	fn(k, m);
	busy = tt_load64(&tt_cpus[1].busy);
	tt_teardown(1U << k);
	if (m == TT_BUSY && !test_failed() && busy == 0)
		test_fail("the busy CPU1 never ran");
}

/* A case for both timers: TEST(vt_NAME) and TEST(pt_NAME). */
#define TT_CASE(cname)                                            \
	static void case_##cname(enum tt_kind k, enum tt_mode m); \
	TEST(vt_##cname)                                          \
	{                                                         \
		tt_case(TT_VIRT, case_##cname);                   \
	}                                                         \
	TEST(pt_##cname)                                          \
	{                                                         \
		tt_case(TT_PHYS, case_##cname);                   \
	}                                                         \
	static void case_##cname(enum tt_kind k, enum tt_mode m)

static struct tt_stat *stat(enum tt_kind k)
{
	return &tt_self()->t[k];
}

/* Waits (bounded) until the GIC shows the PPI of @k pending or not. */
static bool pending_becomes(enum tt_kind k, bool want)
{
	uint64_t end = time_us() + TT_TIMEOUT_US;

	while (gic_is_pending(tt_intid(k)) != want) {
		if (time_us() >= end)
			return false;
	}
	return true;
}

/* After an arming in the past: ISTATUS at once, one interrupt. */
static void expect_past(enum tt_kind k, enum tt_mode m, const char *what)
{
	uint64_t ctl = tt_ctl(k);

	EXPECT(ctl & ISTATUS, "%s %s: CTL 0x%llx, ISTATUS clear", tt_name(k),
	       what, (unsigned long long)ctl);
	tt_expect(k, 1, m, TT_TIMEOUT_US, what);
}

TT_CASE(cval)
{
	uint64_t d = tt_ticks(1000), cval, ctl;

	irq_mask();
	cval = tt_now(k) + d;
	tt_set_cval(k, cval);
	tt_set_ctl(k, EN);
	ctl = tt_ctl(k);
	EXPECT(!(ctl & ISTATUS) || tt_now(k) >= cval,
	       "CVAL now+1ms: CTL 0x%llx, ISTATUS set before CVAL",
	       (unsigned long long)ctl);
	if (!tt_expect(k, 1, m, TT_TIMEOUT_US, "CVAL now+1ms"))
		return;
	EXPECT(stat(k)->last_cval == cval,
	       "the handler saw CVAL 0x%llx, programmed 0x%llx",
	       (unsigned long long)stat(k)->last_cval,
	       (unsigned long long)cval);
}

TT_CASE(tval)
{
	uint64_t d = tt_ticks(1000), before, after, cval;
	int32_t tval;

	irq_mask();
	before = tt_now(k);
	tt_set_tval(k, (int32_t)d);
	after = tt_now(k);
	tt_set_ctl(k, EN);
	cval = tt_cval(k);
	tval = tt_tval(k);
	EXPECT(cval >= before + d && cval <= after + d,
	       "TVAL %llu: CVAL 0x%llx, want count + TVAL in [0x%llx, 0x%llx]",
	       (unsigned long long)d, (unsigned long long)cval,
	       (unsigned long long)(before + d),
	       (unsigned long long)(after + d));
	EXPECT(tval > 0 && (uint64_t)tval <= d,
	       "TVAL read back %d right after writing %llu", (int)tval,
	       (unsigned long long)d);
	if (!tt_expect(k, 1, m, TT_TIMEOUT_US, "TVAL 1ms"))
		return;
	EXPECT(stat(k)->last_cval == cval,
	       "the handler saw CVAL 0x%llx, TVAL gave 0x%llx",
	       (unsigned long long)stat(k)->last_cval,
	       (unsigned long long)cval);
}

TT_CASE(past_cval0)
{
	irq_mask();
	tt_set_cval(k, 0);
	tt_set_ctl(k, EN);
	expect_past(k, m, "CVAL 0");
	EXPECT(test_failed() || stat(k)->last_cval == 0,
	       "the handler saw CVAL 0x%llx, want 0",
	       (unsigned long long)stat(k)->last_cval);
}

TT_CASE(past_tval0)
{
	uint64_t before, after, cval;

	irq_mask();
	before = tt_now(k);
	tt_set_tval(k, 0);
	after = tt_now(k);
	tt_set_ctl(k, EN);
	cval = tt_cval(k);
	EXPECT(cval >= before && cval <= after,
	       "TVAL 0: CVAL 0x%llx, want the count [0x%llx, 0x%llx]",
	       (unsigned long long)cval, (unsigned long long)before,
	       (unsigned long long)after);
	expect_past(k, m, "TVAL 0");
}

TT_CASE(past_tval_neg)
{
	uint64_t d = tt_ticks(1000), before, after, cval;

	irq_mask();
	before = tt_now(k);
	EXPECT(before > d, "count 0x%llx: less than 1 ms since it started",
	       (unsigned long long)before);
	tt_set_tval(k, -(int32_t)d);
	after = tt_now(k);
	tt_set_ctl(k, EN);
	cval = tt_cval(k);
	EXPECT(cval >= before - d && cval <= after - d,
	       "TVAL -%llu: CVAL 0x%llx, want in [0x%llx, 0x%llx]",
	       (unsigned long long)d, (unsigned long long)cval,
	       (unsigned long long)(before - d),
	       (unsigned long long)(after - d));
	expect_past(k, m, "TVAL -1ms");
}

/*
 * TVAL = INT32_MIN: CVAL = count - 2^31, modulo 2^64 (D11.2.4). With the
 * count below 2^31 that wraps to near 2^64: far in the future, silent (a
 * hypervisor adding its offset unguarded would fire it); otherwise it is
 * in the past and fires once.
 */
TT_CASE(past_tval_min)
{
	const uint64_t span = 1ULL << 31;
	uint64_t before, after, cval, ctl;

	irq_mask();
	before = tt_now(k);
	tt_set_tval(k, INT32_MIN);
	after = tt_now(k);
	tt_set_ctl(k, EN);
	cval = tt_cval(k);
	ctl = tt_ctl(k);
	EXPECT(cval - (before - span) <= after - before,
	       "TVAL INT32_MIN: CVAL 0x%llx, want count - 2^31 from 0x%llx..0x%llx",
	       (unsigned long long)cval, (unsigned long long)before,
	       (unsigned long long)after);
	if (cval <= after) {
		printf("# count 0x%llx >= 2^31: CVAL 0x%llx is in the past\n",
		       (unsigned long long)after, (unsigned long long)cval);
		expect_past(k, m, "TVAL INT32_MIN");
		return;
	}
	printf("# count 0x%llx < 2^31: CVAL wrapped to 0x%llx, must stay silent\n",
	       (unsigned long long)after, (unsigned long long)cval);
	EXPECT(!(ctl & ISTATUS), "wrapped CVAL 0x%llx: ISTATUS set",
	       (unsigned long long)cval);
	if (!tt_expect_none(k, 0, 4 * TT_QUIET_US, "TVAL INT32_MIN (wrapped)"))
		return;
	/* Not wedged: moved into the past it fires. */
	irq_mask();
	tt_set_cval(k, tt_now(k) - 1);
	expect_past(k, m, "then CVAL count-1");
}

/* The largest TVAL (2^31 - 1 ticks ahead): silent, then cancelled. */
TT_CASE(tval_max)
{
	uint64_t before, after, cval, ctl;
	int32_t tval;

	irq_mask();
	before = tt_now(k);
	tt_set_tval(k, INT32_MAX);
	after = tt_now(k);
	tt_set_ctl(k, EN);
	cval = tt_cval(k);
	tval = tt_tval(k);
	ctl = tt_ctl(k);
	EXPECT(cval >= before + INT32_MAX && cval <= after + INT32_MAX,
	       "TVAL INT32_MAX: CVAL 0x%llx, want in [0x%llx, 0x%llx]",
	       (unsigned long long)cval,
	       (unsigned long long)(before + INT32_MAX),
	       (unsigned long long)(after + INT32_MAX));
	EXPECT(tval > 0, "TVAL INT32_MAX read back %d", (int)tval);
	EXPECT(!(ctl & ISTATUS), "TVAL INT32_MAX: ISTATUS set");
	if (!tt_expect_none(k, 0, 4 * TT_QUIET_US, "TVAL INT32_MAX"))
		return;
	tval = tt_tval(k);
	EXPECT(tval > 0 && tval < INT32_MAX,
	       "TVAL INT32_MAX: reads %d later, want it counting down",
	       (int)tval);
	/* Reprogrammed into the past, the same arming fires once. */
	irq_mask();
	tt_set_tval(k, 0);
	expect_past(k, m, "then TVAL 0");
}

/* CVAL beyond anything TVAL reaches: UINT64_MAX, then count + 2^40. */
TT_CASE(cval_far)
{
	uint64_t ctl;

	irq_mask();
	tt_set_cval(k, UINT64_MAX);
	tt_set_ctl(k, EN);
	ctl = tt_ctl(k);
	EXPECT(!(ctl & ISTATUS), "CVAL UINT64_MAX: ISTATUS set");
	if (!tt_expect_none(k, 0, 2 * TT_QUIET_US, "CVAL UINT64_MAX"))
		return;
	irq_mask();
	tt_set_cval(k, tt_now(k) + (1ULL << 40));
	EXPECT(!(tt_ctl(k) & ISTATUS), "CVAL count+2^40: ISTATUS set");
	if (!tt_expect_none(k, 0, 2 * TT_QUIET_US, "CVAL count+2^40"))
		return;
	irq_mask();
	tt_set_cval(k, tt_now(k) - 1);
	expect_past(k, m, "then CVAL count-1");
}

/* The counter ahead of the timer: CVAL moved back below it while armed. */
TT_CASE(cval_backwards)
{
	uint64_t cval;

	irq_mask();
	tt_set_cval(k, tt_now(k) + tt_ticks(FAR_US));
	tt_set_ctl(k, EN);
	if (!tt_expect_none(k, 0, 2 * TT_QUIET_US, "CVAL count+1s"))
		return;
	irq_mask();
	cval = tt_now(k) - tt_ticks(1000);
	tt_set_cval(k, cval);
	expect_past(k, m, "CVAL moved back to count-1ms");
	EXPECT(test_failed() || stat(k)->last_cval == cval,
	       "the handler saw CVAL 0x%llx, want 0x%llx",
	       (unsigned long long)stat(k)->last_cval,
	       (unsigned long long)cval);
}

/* The counter behind the timer: CVAL moved forward while armed, before
 * it expired and after (with the line up). */
TT_CASE(cval_forwards)
{
	uint64_t d = tt_ticks(1000), cval;

	irq_mask();
	tt_set_cval(k, tt_now(k) + d);
	tt_set_ctl(k, EN);
	tt_set_cval(k, tt_now(k) + tt_ticks(FAR_US));
	if (!tt_expect_none(k, 0, 2000 + TT_QUIET_US,
			    "CVAL count+1ms moved to count+1s"))
		return;
	irq_mask();
	tt_set_cval(k, tt_now(k) - 1);
	EXPECT(pending_becomes(k, true),
	       "expired (IRQs masked): PPI %u not pending", tt_intid(k));
	tt_set_cval(k, tt_now(k) + tt_ticks(FAR_US));
	EXPECT(!(tt_ctl(k) & ISTATUS),
	       "expired then moved to count+1s: ISTATUS set");
	EXPECT(pending_becomes(k, false),
	       "expired then moved to count+1s: PPI %u still pending",
	       tt_intid(k));
	if (!tt_expect_none(k, 0, TT_QUIET_US, "expired then moved forward"))
		return;
	irq_mask();
	cval = tt_now(k) + d;
	tt_set_cval(k, cval);
	if (!tt_expect(k, 1, m, TT_TIMEOUT_US, "then CVAL count+1ms"))
		return;
	EXPECT(stat(k)->last_cval == cval,
	       "the handler saw CVAL 0x%llx, want 0x%llx",
	       (unsigned long long)stat(k)->last_cval,
	       (unsigned long long)cval);
}

/* Three programmings of an armed timer: only the last one fires. */
TT_CASE(reprogram)
{
	uint64_t d = tt_ticks(1000), now, last;

	irq_mask();
	now = tt_now(k);
	tt_set_cval(k, now + 5 * d);
	tt_set_ctl(k, EN);
	tt_set_cval(k, now + 2 * d);
	tt_set_tval(k, (int32_t)(3 * d));
	last = tt_cval(k);
	/* The handler fails if it runs before CVAL (at the 2 ms one). */
	if (!tt_expect(k, 1, m, TT_TIMEOUT_US, "reprogrammed 5, 2, 3 ms"))
		return;
	EXPECT(stat(k)->last_cval == last,
	       "the handler saw CVAL 0x%llx, last programmed 0x%llx",
	       (unsigned long long)stat(k)->last_cval,
	       (unsigned long long)last);
	/* The 5 ms programming is long gone: nothing more. */
	tt_expect_none(k, 1, 3000, "after the 5 ms mark");
}

/* Firing repeatedly: PERIODS periods, exactly PERIODS interrupts. */
TT_CASE(periodic)
{
	uint64_t p = tt_ticks(PERIOD_US), first;
	struct tt_stat *s = stat(k);

	irq_mask();
	s->policy = TT_PERIODIC;
	s->period = p;
	s->periods = PERIODS;
	first = tt_now(k) + p;
	tt_set_cval(k, first);
	tt_set_ctl(k, EN);
	if (!tt_expect(k, PERIODS, m, TT_TIMEOUT_US, "periodic"))
		return;
	EXPECT(s->last_cval == first + (PERIODS - 1) * p,
	       "last period's CVAL 0x%llx, want 0x%llx",
	       (unsigned long long)s->last_cval,
	       (unsigned long long)(first + (PERIODS - 1) * p));
}

/* IMASK while expired: ISTATUS stays, the GIC drops it; unmasked, the
 * still-true condition fires once; unmasked after CVAL moved ahead, not. */
TT_CASE(mask_unmask)
{
	uint64_t ctl;

	irq_mask();
	tt_set_cval(k, tt_now(k) - 1);
	tt_set_ctl(k, EN);
	EXPECT(pending_becomes(k, true), "expired: PPI %u not pending",
	       tt_intid(k));
	tt_set_ctl(k, EN | IMASK);
	ctl = tt_ctl(k);
	EXPECT(ctl == (EN | IMASK | ISTATUS),
	       "expired and masked: CTL 0x%llx, want 0x7",
	       (unsigned long long)ctl);
	EXPECT(!gic_is_pending(tt_intid(k)),
	       "expired and masked: PPI %u still pending", tt_intid(k));
	if (!tt_expect_none(k, 0, TT_QUIET_US, "expired and masked"))
		return;
	ctl = tt_ctl(k);
	EXPECT(ctl == (EN | IMASK | ISTATUS),
	       "expired and masked, later: CTL 0x%llx, want 0x7",
	       (unsigned long long)ctl);
	irq_mask();
	tt_set_ctl(k, EN);
	EXPECT(pending_becomes(k, true),
	       "unmasked while expired: PPI %u not pending", tt_intid(k));
	if (!tt_expect(k, 1, m, TT_TIMEOUT_US, "unmasked while expired"))
		return;
	irq_mask();
	tt_set_ctl(k, EN | IMASK);
	tt_set_cval(k, tt_now(k) - 1);
	tt_set_cval(k, tt_now(k) + tt_ticks(FAR_US));
	tt_set_ctl(k, EN);
	EXPECT(!(tt_ctl(k) & ISTATUS) && !gic_is_pending(tt_intid(k)),
	       "unmasked after CVAL moved ahead: CTL 0x%llx, pending %d",
	       (unsigned long long)tt_ctl(k), gic_is_pending(tt_intid(k)));
	tt_expect_none(k, 1, TT_QUIET_US, "unmasked after CVAL moved ahead");
}

/* Masked or disabled timers with CVAL in the past raise nothing. */
TT_CASE(masked_disabled)
{
	static const uint64_t ctls[] = { EN | IMASK, 0, IMASK };
	char what[32];

	(void)m;
	for (unsigned int i = 0; i < sizeof(ctls) / sizeof(ctls[0]); i++) {
		irq_mask();
		tt_set_ctl(k, ctls[i]);
		tt_set_cval(k, tt_now(k) - 1);
		snprintf(what, sizeof(what), "CTL 0x%llx, CVAL past",
			 (unsigned long long)ctls[i]);
		EXPECT(!(ctls[i] & EN) || (tt_ctl(k) & ISTATUS),
		       "%s: ISTATUS clear", what);
		EXPECT(!gic_is_pending(tt_intid(k)), "%s: PPI %u pending", what,
		       tt_intid(k));
		if (!tt_expect_none(k, 0, TT_QUIET_US, what))
			return;
	}
}

/* With the PPI disabled at the GIC, ISPENDR still shows the line. */
TT_CASE(ispendr_disabled_ppi)
{
	unsigned int intid = tt_intid(k);

	irq_mask();
	gic_set_enable(intid, false);
	tt_set_cval(k, tt_now(k) - 1);
	tt_set_ctl(k, EN);
	EXPECT(pending_becomes(k, true),
	       "PPI %u disabled, timer expired: not pending in ISPENDR", intid);
	tt_quiet(TT_QUIET_US);
	EXPECT(stat(k)->count == 0 && gic_is_pending(intid),
	       "disabled PPI %u: %u interrupts, pending %d; want 0, pending",
	       intid, stat(k)->count, gic_is_pending(intid));
	irq_mask();
	tt_set_ctl(k, EN | IMASK);
	EXPECT(pending_becomes(k, false),
	       "disabled PPI %u, timer masked: still pending", intid);
	tt_set_ctl(k, EN);
	EXPECT(pending_becomes(k, true),
	       "disabled PPI %u, timer unmasked again: not pending", intid);
	gic_set_enable(intid, true);
	tt_expect(k, 1, m, TT_TIMEOUT_US, "PPI enabled");
}

TT_CASE(long_delay)
{
	uint64_t cval;

	irq_mask();
	cval = tt_now(k) + tt_ticks(LONG_DELAY_US);
	tt_set_cval(k, cval);
	tt_set_ctl(k, EN);
	if (!tt_expect(k, 1, m, LONG_DELAY_US + TT_TIMEOUT_US, "150 ms"))
		return;
	printf("# %s: 150 ms timer taken %llu ticks after CVAL\n", tt_name(k),
	       (unsigned long long)(stat(k)->last_now - cval));
	EXPECT(stat(k)->last_cval == cval,
	       "the handler saw CVAL 0x%llx, want 0x%llx",
	       (unsigned long long)stat(k)->last_cval,
	       (unsigned long long)cval);
}

/*
 * T8: masking is level-sensitive, and only the guest writes IMASK. The
 * mask/unmask and masked/disabled cases on the virtual timer, then an
 * expired, unmasked timer held with PSTATE.I set across many exits (GIC
 * reads trap to a hypervisor): CTL stays ENABLE|ISTATUS, the PPI stays
 * pending, and once PSTATE.I is cleared exactly one interrupt comes.
 */
TEST(t8_mask_level)
{
	const enum tt_kind k = TT_VIRT;
	uint64_t ctl = 0;
	unsigned int i;

	if (!tt_setup(1U << k, false))
		return;
	case_mask_unmask(k, TT_WFI);
	if (test_failed())
		goto out;
	memset(stat(k), 0, sizeof(*stat(k)));
	case_masked_disabled(k, TT_WFI);
	if (test_failed())
		goto out;
	irq_mask();
	tt_set_cval(k, tt_now(k) - 1);
	tt_set_ctl(k, EN);
	for (i = 0; i < 200; i++) {
		ctl = tt_ctl(k);
		if (ctl != (EN | ISTATUS) || !pending_becomes(k, true))
			break;
	}
	if (i < 200) {
		test_fail(
			"expired, unmasked, PSTATE.I set: after %u exits CTL 0x%llx, pending %d",
			i, (unsigned long long)ctl,
			gic_is_pending(tt_intid(k)));
		goto out;
	}
	/* WFI ends at once: the interrupt is pending (masked by PSTATE.I). */
	__asm__ volatile("wfi" ::: "memory");
	TT_CHECK(tt_ctl(k) == (EN | ISTATUS) && stat(k)->count == 0,
		 "after WFI with PSTATE.I set: CTL 0x%llx, %u interrupts",
		 (unsigned long long)tt_ctl(k), stat(k)->count);
	tt_expect(k, 1, TT_WFI, TT_TIMEOUT_US, "PSTATE.I cleared");
out:
	tt_teardown(1U << k);
}
