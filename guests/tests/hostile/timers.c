// SPDX-License-Identifier: MIT
/*
 * Timers: CVAL = 0 storms of both EL1 timers, CVALs in the past and far in
 * the future, garbage in CTL, TVAL extremes, and the EL2 timers and
 * counter-offset registers, which EL1 cannot reach (UNDEF).
 */
#include "hostile.h"

#define STORM_V 5000U
#define STORM_P 2000U

struct storm {
	bool phys;
	uint32_t left;
	volatile uint32_t taken;
};

static struct storm storm;

/* Re-arms the storm's timer in the past until it has fired enough. */
static void storm_irq(struct gic_irq *irq, void *arg)
{
	struct storm *s = arg;

	(void)irq;
	s->taken++;
	if (--s->left == 0) {
		if (s->phys)
			timer_phys_set_ctl(TIMER_CTL_IMASK);
		else
			timer_virt_set_ctl(TIMER_CTL_IMASK);
		return;
	}
	if (s->phys)
		timer_phys_set_cval(0);
	else
		timer_virt_set_cval(0);
}

static void timer_storm(bool phys, uint32_t n)
{
	unsigned int intid = phys ? timer_phys_intid() : timer_virt_intid();
	uint64_t t0;

	irq_mask();
	gic_init();
	storm = (struct storm){ .phys = phys, .left = n };
	gic_set_handler(intid, storm_irq, &storm);
	gic_set_enable(intid, true);
	if (phys) {
		timer_phys_set_cval(0);
		timer_phys_set_ctl(TIMER_CTL_ENABLE);
	} else {
		timer_virt_set_cval(0);
		timer_virt_set_ctl(TIMER_CTL_ENABLE);
	}
	t0 = time_us();
	irq_unmask();
	while (storm.taken < n && time_us() - t0 < 200000)
		;
	time_delay_us(2000);
	irq_mask();
	if (phys)
		timer_phys_set_ctl(0);
	else
		timer_virt_set_ctl(0);
	gic_set_enable(intid, false);
	gic_set_handler(intid, NULL, NULL);
	printf("# %s storm: %u of %u interrupts in %llu us\n",
	       phys ? "physical" : "virtual", storm.taken, n,
	       (unsigned long long)(time_us() - t0));
	EXPECT(storm.taken == n,
	       "%s timer with CVAL = 0: %u interrupts taken within 200 ms, want exactly %u",
	       phys ? "physical" : "virtual", storm.taken, n);
}

TEST(tmr_vcval_zero_storm)
{
	outcome("the virtual timer re-armed with CVAL = 0 by its handler 5000 times: exactly 5000 interrupts within 200 ms, then silence");
	timer_storm(false, STORM_V);
}

TEST(tmr_pcval_zero_storm)
{
	outcome("the (emulated) physical timer re-armed with CVAL = 0 2000 times: exactly 2000 interrupts within 200 ms, then silence");
	timer_storm(true, STORM_P);
}

static volatile uint32_t fired;

static void fired_irq(struct gic_irq *irq, void *arg)
{
	(void)irq;
	fired++;
	if (arg)
		timer_phys_set_ctl(TIMER_CTL_IMASK);
	else
		timer_virt_set_ctl(TIMER_CTL_IMASK);
}

/* Arms a timer at @cval, waits @us with IRQs unmasked; interrupts taken. */
static uint32_t arm_and_wait(bool phys, uint64_t cval, uint64_t us,
			     uint64_t *ctl)
{
	unsigned int intid = phys ? timer_phys_intid() : timer_virt_intid();

	irq_mask();
	gic_init();
	fired = 0;
	gic_set_handler(intid, fired_irq, phys ? (void *)1 : NULL);
	gic_set_enable(intid, true);
	if (phys) {
		timer_phys_set_cval(cval);
		timer_phys_set_ctl(TIMER_CTL_ENABLE);
		*ctl = timer_phys_ctl();
	} else {
		timer_virt_set_cval(cval);
		timer_virt_set_ctl(TIMER_CTL_ENABLE);
		*ctl = timer_virt_ctl();
	}
	irq_unmask();
	time_delay_us(us);
	irq_mask();
	if (phys)
		timer_phys_set_ctl(0);
	else
		timer_virt_set_ctl(0);
	gic_set_enable(intid, false);
	gic_set_handler(intid, NULL, NULL);
	return fired;
}

TEST(tmr_cval_past)
{
	uint64_t ctl;
	uint32_t n;

	outcome("CVAL = 1 and CVAL = count - 1 (the past) on both timers: ISTATUS at once, one interrupt each");
	for (unsigned int phys = 0; phys < 2; phys++) {
		n = arm_and_wait(phys, 1, 5000, &ctl);
		EXPECT(n == 1 && (ctl & TIMER_CTL_ISTATUS),
		       "%s timer, CVAL 1: CTL 0x%llx, %u interrupts",
		       phys ? "physical" : "virtual", (unsigned long long)ctl,
		       n);
		n = arm_and_wait(phys, time_ticks() - 1, 5000, &ctl);
		EXPECT(n == 1, "%s timer, CVAL count - 1: %u interrupts",
		       phys ? "physical" : "virtual", n);
	}
}

TEST(tmr_cval_far)
{
	static const uint64_t cvals[] = { ~0UL, ~0UL - 1, 1UL << 63,
					  (1UL << 63) - 1 };
	uint64_t ctl;
	uint32_t n;

	outcome("CVAL far in the future (2^64-1, 2^63, ...) on both timers: not due, no interrupt within 3 ms");
	for (unsigned int phys = 0; phys < 2; phys++) {
		for (unsigned int i = 0; i < ARRAY_SIZE(cvals); i++) {
			n = arm_and_wait(phys, cvals[i], 3000, &ctl);
			EXPECT(n == 0 && !(ctl & TIMER_CTL_ISTATUS),
			       "%s timer, CVAL 0x%llx: CTL 0x%llx, %u interrupts",
			       phys ? "physical" : "virtual",
			       (unsigned long long)cvals[i],
			       (unsigned long long)ctl, n);
		}
	}
}

TEST(tmr_tval_extremes)
{
	static const int32_t tvals[] = { INT32_MIN, INT32_MAX, -1, 0 };

	outcome("TVAL of INT32_MIN, INT32_MAX, -1, 0 on the physical timer: CVAL = count + TVAL (signed), read back within the counter's movement");
	for (unsigned int i = 0; i < ARRAY_SIZE(tvals); i++) {
		uint64_t before = time_ticks(), cval, after;

		timer_phys_set_tval(tvals[i]);
		cval = timer_phys_cval();
		after = time_ticks();
		EXPECT(cval - (uint64_t)(int64_t)tvals[i] >= before &&
			       cval - (uint64_t)(int64_t)tvals[i] <= after,
		       "TVAL %d: CVAL 0x%llx, count was 0x%llx..0x%llx",
		       (int)tvals[i], (unsigned long long)cval,
		       (unsigned long long)before, (unsigned long long)after);
	}
}

TEST(tmr_ctl_garbage)
{
	uint64_t v, p;

	outcome("all ones written to CNTV_CTL and CNTP_CTL: only ENABLE and IMASK stick (ISTATUS is read-only), no interrupt");
	irq_mask();
	timer_virt_set_cval(~0UL);
	timer_phys_set_cval(~0UL);
	timer_virt_set_ctl(~0UL);
	timer_phys_set_ctl(~0UL);
	v = timer_virt_ctl();
	p = timer_phys_ctl();
	timer_virt_set_ctl(0);
	timer_phys_set_ctl(0);
	EXPECT(v == 3 && p == 3,
	       "CTL reads virtual 0x%llx, physical 0x%llx, want 0x3",
	       (unsigned long long)v, (unsigned long long)p);
}

TEST(tmr_el2_read)
{
	outcome("reads of the EL2 timer (CNTHP_CTL/CVAL/TVAL_EL2), CNTHCTL_EL2 and CNTVOFF_EL2 from EL1: UNDEF");
	UNDEF_MRS(cnthp_ctl_el2);
	UNDEF_MRS(cnthp_cval_el2);
	UNDEF_MRS(cnthp_tval_el2);
	UNDEF_MRS(cnthctl_el2);
	UNDEF_MRS(cntvoff_el2);
}

TEST(tmr_el2_write)
{
	uint64_t cnt = time_ticks();

	outcome("writes to the EL2 timer, CNTHCTL_EL2 and CNTVOFF_EL2 from EL1: UNDEF, the virtual counter does not jump");
	UNDEF_MSR(cnthp_ctl_el2, 1);
	UNDEF_MSR(cnthp_cval_el2, 0);
	UNDEF_MSR(cnthp_tval_el2, 0);
	UNDEF_MSR(cnthctl_el2, ~0UL);
	UNDEF_MSR(cntvoff_el2, 0x1000000000UL);
	EXPECT(time_ticks() - cnt < time_freq(),
	       "the virtual counter moved 0x%llx ticks",
	       (unsigned long long)(time_ticks() - cnt));
}

TEST(tmr_cntfrq_write)
{
	uint64_t f = read_sysreg(cntfrq_el0);

	outcome("a write to CNTFRQ_EL0 from EL1 (only the highest EL may): UNDEF, the frequency unchanged");
	UNDEF_MSR(cntfrq_el0, 1000);
	EXPECT(read_sysreg(cntfrq_el0) == f, "CNTFRQ_EL0 0x%llx, was 0x%llx",
	       (unsigned long long)read_sysreg(cntfrq_el0),
	       (unsigned long long)f);
}
