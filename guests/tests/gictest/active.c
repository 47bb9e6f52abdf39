// SPDX-License-Identifier: MIT
/*
 * The active state: split priority drop and deactivation (EOImode 1) with
 * the deactivation on another CPU, disabling or deactivating an interrupt
 * from inside its own handler.
 */
#include "gictest.h"

#define EOI_SGI 5

/* One interrupt under test, and what its handler saw. */
static struct {
	unsigned int intid;
	uint32_t count;
	uint32_t iar;
	bool active_in_handler;
	bool enabled_in_handler;
	/* What the handler does the first time: */
	bool split;      /* EOI only, leave it active (EOImode 1) */
	bool disable;    /* ICENABLER it */
	bool deactivate; /* ICACTIVER it */
} one;

static void one_handler(struct gic_irq *irq, void *arg)
{
	(void)arg;
	one.iar = irq->iar;
	if (gt_load(&one.count) == 0) {
		if (one.disable) {
			gic_set_enable(one.intid, false);
			one.enabled_in_handler = gic_is_enabled(one.intid);
		}
		if (one.deactivate)
			gic_set_active(one.intid, false);
		one.active_in_handler = gic_is_active(one.intid);
		if (one.split) {
			gic_irq_eoi(irq);
			irq->keep_active = true;
		}
	}
	gt_inc(&one.count);
}

static void one_setup(unsigned int intid)
{
	one = (typeof(one)){ .intid = intid };
	gic_set_handler(intid, one_handler, NULL);
	if (intid >= GIC_SPI_BASE) {
		gic_set_edge(intid, true);
		gic_route_spi(intid, 0);
	}
	gic_set_enable(intid, true);
}

/* Pends the interrupt (SGI to self or ISPENDR) and waits for @want. */
static bool one_fire(uint32_t want, const char *what)
{
	if (one.intid < GIC_NR_SGIS)
		gic_send_sgi_self(one.intid);
	else
		gic_set_pending(one.intid, true);
	if (gt_wait_ge(&one.count, want, GT_TIMEOUT_US))
		return true;
	test_fail("%s: INTID %u not taken (count %u, want %u)", what, one.intid,
		  one.count, want);
	return false;
}

/* Checks nothing more arrives and the interrupt is idle. */
static bool one_settled(uint32_t want, const char *what)
{
	time_delay_us(GT_QUIET_US);
	if (gt_load(&one.count) != want)
		test_fail("%s: INTID %u taken %u times, want %u", what,
			  one.intid, one.count, want);
	else if (gic_is_active(one.intid))
		test_fail("%s: INTID %u still active", what, one.intid);
	else if (gic_is_pending(one.intid))
		test_fail("%s: INTID %u still pending", what, one.intid);
	else if (gic_running_priority() != GIC_PRIO_IDLE)
		test_fail("%s: running priority 0x%x, want idle", what,
			  gic_running_priority());
	return !test_failed();
}

/* eoimode1_dir_other_cpu: CPU1 deactivates what CPU0 took. */
static uint32_t dir_iar;

static void dir_on_cpu1(void)
{
	gic_set_eoimode(true);
	gic_dir(dir_iar);
}

static void eoimode1_spi(void)
{
	one_setup(gt_spi(0));
	one.split = true;
	gic_set_eoimode(true);
	irq_unmask();
	if (!one_fire(1, "SPI"))
		goto out;
	/* Priority dropped, still active (IHI 0069 4.1.1; IHI 0048B 3.2.1). */
	if (!gic_is_active(one.intid) ||
	    gic_running_priority() != GIC_PRIO_IDLE) {
		test_fail(
			"SPI %u after EOIR in EOImode 1: active %d, running priority 0x%x; want active, idle (0xff)",
			one.intid, gic_is_active(one.intid),
			gic_running_priority());
		goto out;
	}
	/* Pending again while active: held until deactivated. */
	gic_set_pending(one.intid, true);
	time_delay_us(GT_QUIET_US);
	if (gt_load(&one.count) != 1 || !gic_is_pending(one.intid)) {
		test_fail(
			"SPI %u made pending while active: taken %u times, pending %d; want 1, pending",
			one.intid, one.count, gic_is_pending(one.intid));
		goto out;
	}
	dir_iar = one.iar;
	gt_call(1, dir_on_cpu1);
	if (!gt_call_wait(1))
		goto out;
	/* Deactivated by CPU1: the pending one is taken (and completed by
	 * CPU0 itself, EOIR then DIR). */
	if (!gt_wait_ge(&one.count, 2, GT_TIMEOUT_US)) {
		test_fail(
			"SPI %u not taken again after CPU1's DIR (active %d, pending %d)",
			one.intid, gic_is_active(one.intid),
			gic_is_pending(one.intid));
		goto out;
	}
	one_settled(2, "SPI after CPU1's DIR");
out:
	irq_mask();
	gic_set_enable(one.intid, false);
}

/* DIR of an SGI: per CPU, by the CPU that took it. */
static void eoimode1_sgi(void)
{
	one_setup(EOI_SGI);
	one.split = true;
	irq_unmask();
	if (!one_fire(1, "SGI"))
		goto out;
	if (!gic_is_active(EOI_SGI) ||
	    gic_running_priority() != GIC_PRIO_IDLE) {
		test_fail(
			"SGI %u after EOIR in EOImode 1: active %d, running priority 0x%x; want active, idle (0xff)",
			EOI_SGI, gic_is_active(EOI_SGI),
			gic_running_priority());
		goto out;
	}
	gic_dir(one.iar);
	if (gic_is_active(EOI_SGI)) {
		test_fail("SGI %u still active after DIR", EOI_SGI);
		goto out;
	}
	if (one_fire(2, "SGI after DIR"))
		one_settled(2, "SGI after DIR");
out:
	irq_mask();
}

TEST(eoimode1_dir_other_cpu)
{
	unsigned int n;

	GT_SETUP();
	n = gt_ncpus(2);
	if (n < 2)
		SKIP("needs 2 CPUs, has %u", n);
	if (!gt_start(2, 0, gt_serve))
		goto out;
	eoimode1_spi();
	if (!test_failed())
		eoimode1_sgi();
	gic_set_eoimode(false);
out:
	gt_finish(2);
}

TEST(disable_while_active)
{
	GT_SETUP();
	one_setup(gt_spi(1));
	one.disable = true;
	irq_unmask();
	if (!one_fire(1, "first"))
		goto out;
	if (!one.active_in_handler || one.enabled_in_handler) {
		test_fail(
			"in its handler, after ICENABLER: SPI %u active %d, enabled %d; want active, disabled",
			one.intid, one.active_in_handler,
			one.enabled_in_handler);
		goto out;
	}
	if (!one_settled(1, "after EOI while disabled"))
		goto out;
	gic_set_pending(one.intid, true);
	time_delay_us(GT_QUIET_US);
	if (gt_load(&one.count) != 1 || !gic_is_pending(one.intid)) {
		test_fail(
			"disabled SPI %u made pending: taken %u times, pending %d; want 1, pending",
			one.intid, one.count, gic_is_pending(one.intid));
		goto out;
	}
	gic_set_enable(one.intid, true);
	if (!gt_wait_ge(&one.count, 2, GT_TIMEOUT_US)) {
		test_fail("SPI %u pending while disabled not taken once enabled",
			  one.intid);
		goto out;
	}
	one_settled(2, "re-enabled");
out:
	irq_mask();
}

TEST(icactiver_in_handler)
{
	GT_SETUP();
	one_setup(gt_spi(2));
	one.deactivate = true;
	irq_unmask();
	if (!one_fire(1, "first"))
		goto out;
	if (one.active_in_handler) {
		test_fail("in its handler, after ICACTIVER: SPI %u still active",
			  one.intid);
		goto out;
	}
	if (!one_settled(1, "after ICACTIVER and EOI"))
		goto out;
	if (one_fire(2, "again"))
		one_settled(2, "again");
out:
	irq_mask();
}
