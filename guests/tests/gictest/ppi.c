// SPDX-License-Identifier: MIT
/*
 * A level-sensitive PPI: the virtual timer's. Its line is high while the
 * timer is enabled, unmasked and CVAL has passed (Arm ARM D11.2.4); the GIC
 * shows it pending whatever its enable, and the line dropping (IMASK)
 * withdraws it.
 */
#include "gictest.h"

static struct {
	unsigned int intid;
	uint32_t count;
	uint64_t ctl_in_handler;
} ppi;

static void ppi_handler(struct gic_irq *irq, void *arg)
{
	(void)irq;
	(void)arg;
	ppi.ctl_in_handler = timer_virt_ctl();
	/* Mask the timer's output: the line drops before the EOI. */
	timer_virt_set_ctl(CNTV_CTL_ENABLE | CNTV_CTL_IMASK);
	gt_inc(&ppi.count);
}

static bool ppi_pending(void *arg)
{
	(void)arg;
	return gic_is_pending(ppi.intid);
}

static void ppi_run(void)
{
	uint64_t ctl;

	timer_virt_set_cval(time_ticks() - 1);
	timer_virt_set_ctl(CNTV_CTL_ENABLE);
	ctl = timer_virt_ctl();
	EXPECT(ctl & CNTV_CTL_ISTATUS,
	       "CNTV_CTL_EL0 0x%llx: ISTATUS clear with CVAL in the past",
	       (unsigned long long)ctl);
	irq_unmask();
	EXPECT(time_wait_for(ppi_pending, NULL, GT_TIMEOUT_US),
	       "PPI %u (disabled, timer line high) not pending in ISPENDR0",
	       ppi.intid);
	time_delay_us(GT_QUIET_US);
	EXPECT(ppi.count == 0 && gic_is_pending(ppi.intid),
	       "disabled PPI %u: taken %u times, pending %d; want 0, pending",
	       ppi.intid, ppi.count, gic_is_pending(ppi.intid));
	gic_set_enable(ppi.intid, true);
	EXPECT(gt_wait_ge(&ppi.count, 1, GT_TIMEOUT_US),
	       "PPI %u not taken once enabled", ppi.intid);
	EXPECT(ppi.ctl_in_handler & CNTV_CTL_ISTATUS,
	       "in the handler CNTV_CTL_EL0 0x%llx: ISTATUS clear",
	       (unsigned long long)ppi.ctl_in_handler);
	time_delay_us(GT_QUIET_US);
	EXPECT(ppi.count == 1,
	       "PPI %u taken %u times after the handler masked the timer, want 1",
	       ppi.intid, ppi.count);
	EXPECT(!gic_is_pending(ppi.intid) && !gic_is_active(ppi.intid),
	       "PPI %u after the timer was masked: pending %d, active %d",
	       ppi.intid, gic_is_pending(ppi.intid), gic_is_active(ppi.intid));
	/* Unmasked again, the line rises again: level, not a latched edge. */
	timer_virt_set_ctl(CNTV_CTL_ENABLE);
	EXPECT(gt_wait_ge(&ppi.count, 2, GT_TIMEOUT_US),
	       "PPI %u not taken again when the timer was unmasked", ppi.intid);
	time_delay_us(GT_QUIET_US);
	EXPECT(ppi.count == 2, "PPI %u taken %u times, want 2", ppi.intid,
	       ppi.count);
}

TEST(ppi_pending_level)
{
	GT_SETUP();
	ppi.intid = timer_virt_intid();
	ppi.count = 0;
	printf("# virtual timer PPI: INTID %u\n", ppi.intid);
	gic_set_handler(ppi.intid, ppi_handler, NULL);
	gic_set_edge(ppi.intid, false);
	ppi_run();
	irq_mask();
	timer_virt_set_ctl(0);
	gic_set_enable(ppi.intid, false);
}
