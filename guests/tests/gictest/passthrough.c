// SPDX-License-Identifier: MIT
/*
 * A device's level-sensitive SPI end to end: the PL031 RTC's alarm (ARM
 * DDI 0224). Natively it is QEMU's; under Kairos it is the real device
 * passed through to the VM, its line injected by the vGIC. The handler
 * clears the alarm (RTCICR) before the EOI, so the line drops: each alarm
 * must be taken exactly once, and the SPI must not stay pending.
 */
#include "gictest.h"

#include <libfdt.h>

#define RTC_DR 0x000   /* data (seconds), read-only */
#define RTC_MR 0x004   /* match */
#define RTC_LR 0x008   /* load */
#define RTC_CR 0x00c   /* control; bit 0 starts the counter */
#define RTC_IMSC 0x010 /* interrupt mask set/clear */
#define RTC_RIS 0x014  /* raw interrupt status */
#define RTC_MIS 0x018  /* masked interrupt status */
#define RTC_ICR 0x01c  /* interrupt clear */
#define RTC_INT 1U     /* the alarm's bit in IMSC/RIS/MIS/ICR */
#define RTC_CR_START 1U

/* The GIC binding's interrupt specifier: <type number flags>. */
#define GIC_SPEC_CELLS 3
#define GIC_SPEC_SPI 0
#define GIC_SPEC_PPI 1
#define GIC_SPEC_EDGE_MASK 0x3 /* IRQ_TYPE_EDGE_RISING | _FALLING */

/* An alarm is MR = DR + 1: one to two seconds away. */
#define RTC_ALARM_TIMEOUT_US 3000000
/* How long to watch for a second interrupt from one alarm. */
#define RTC_QUIET_US 20000
#define RTC_ITERS_DEFAULT 3

static struct {
	uintptr_t base;
	unsigned int intid;
	bool edge;
	uint32_t count;
	uint32_t want;    /* interrupts expected so far: more is a storm */
	uint32_t mis_bad; /* handler runs that found RTCMIS bit 0 clear */
	uint32_t mis_seen;
	bool clear_after; /* the handler clears the RTC after EOI and DIR */
} rtc;

/* The interrupt controller a node's interrupts go to: its own or an
 * ancestor's interrupt-parent. */
static int rtc_irq_parent(const void *fdt, int node)
{
	for (int n = node; n >= 0; n = fdt_parent_offset(fdt, n)) {
		const fdt32_t *p =
			fdt_getprop(fdt, n, "interrupt-parent", NULL);

		if (p)
			return fdt_node_offset_by_phandle(fdt, fdt32_ld(p));
	}
	return -FDT_ERR_NOTFOUND;
}

/*
 * Fills rtc.base, rtc.intid and rtc.edge from the DTB's arm,pl031 node.
 * Returns 0 when found, 1 when there is none (SKIP), -1 on a node this
 * cannot use (test_fail called).
 */
static int rtc_find(void)
{
	const void *fdt = board_dtb();
	int node = fdt_node_offset_by_compatible(fdt, -1, "arm,pl031");
	int parent, ic, ac, len;
	const fdt32_t *reg, *irq, *cells;
	uint32_t type, num, flags;

	if (node < 0)
		return 1;
	parent = fdt_parent_offset(fdt, node);
	ac = fdt_address_cells(fdt, parent);
	reg = fdt_getprop(fdt, node, "reg", &len);
	if (!reg || ac < 1 || ac > 2 || len < ac * 4) {
		test_fail(
			"pl031 node: unusable reg (%d bytes, %d address cells)",
			reg ? len : -1, ac);
		return -1;
	}
	rtc.base = fdt32_ld(&reg[0]);
	if (ac == 2)
		rtc.base = (rtc.base << 32) | fdt32_ld(&reg[1]);

	ic = rtc_irq_parent(fdt, node);
	cells = ic >= 0 ? fdt_getprop(fdt, ic, "#interrupt-cells", NULL) : NULL;
	irq = fdt_getprop(fdt, node, "interrupts", &len);
	if (!cells || fdt32_ld(cells) != GIC_SPEC_CELLS || !irq ||
	    len < GIC_SPEC_CELLS * 4) {
		test_fail("pl031 node: no 3-cell GIC interrupt specifier");
		return -1;
	}
	type = fdt32_ld(&irq[0]);
	num = fdt32_ld(&irq[1]);
	flags = fdt32_ld(&irq[2]);
	if (type != GIC_SPEC_SPI) {
		test_fail("pl031 interrupt <%u %u 0x%x>: not an SPI", type, num,
			  flags);
		return -1;
	}
	rtc.intid = GIC_SPI_BASE + num;
	rtc.edge = (flags & GIC_SPEC_EDGE_MASK) != 0;
	return 0;
}

static uint32_t rtc_read(unsigned int reg)
{
	return mmio_read32(rtc.base + reg);
}

static void rtc_write(unsigned int reg, uint32_t val)
{
	mmio_write32(rtc.base + reg, val);
}

static void rtc_handler(struct gic_irq *irq, void *arg)
{
	uint32_t mis = rtc_read(RTC_MIS);

	(void)arg;
	rtc.mis_seen = mis;
	if (!(mis & RTC_INT))
		gt_inc(&rtc.mis_bad);
	/*
	 * Before the dispatcher's EOI the line drops with it. After EOI and
	 * DIR the GIC finds the line still high and the interrupt pending
	 * again, while this CPU has IRQs masked: the write below drops it,
	 * and a GIC then forgets it (level-sensitive), so it is never taken.
	 */
	if (rtc.clear_after) {
		gic_irq_eoi(irq);
		gic_irq_dir(irq);
	}
	rtc_write(RTC_ICR, RTC_INT);
	gt_inc(&rtc.count);
	/* A storm (the line did not drop) would starve the test: stop it
	 * at the GIC, the test sees the count. */
	if (gt_load(&rtc.count) > gt_load(&rtc.want))
		gic_set_enable(rtc.intid, false);
}

/* Quiet RTC: alarm masked and cleared. */
static void rtc_quiesce(void)
{
	rtc_write(RTC_IMSC, 0);
	rtc_write(RTC_ICR, RTC_INT);
}

static void rtc_alarms(unsigned int iters)
{
	for (unsigned int i = 0; i < iters; i++) {
		uint32_t dr, ris;
		uint64_t t0;

		EXPECT(!gic_is_pending(rtc.intid) && !gic_is_active(rtc.intid),
		       "alarm %u: SPI %u pending %d, active %d before it was set",
		       i, rtc.intid, gic_is_pending(rtc.intid),
		       gic_is_active(rtc.intid));
		gt_store(&rtc.want, i + 1);
		t0 = time_us();
		dr = rtc_read(RTC_DR);
		rtc_write(RTC_MR, dr + 1);
		rtc_write(RTC_IMSC, RTC_INT);
		EXPECT(gt_wait_ge(&rtc.count, i + 1, RTC_ALARM_TIMEOUT_US),
		       "alarm %u (MR %u): SPI %u not taken in %u ms (RIS 0x%x, "
		       "MIS 0x%x, DR %u, GIC pending %d)",
		       i, dr + 1, rtc.intid, RTC_ALARM_TIMEOUT_US / 1000,
		       rtc_read(RTC_RIS), rtc_read(RTC_MIS), rtc_read(RTC_DR),
		       gic_is_pending(rtc.intid));
		printf("# alarm %u: taken after %llu ms\n", i,
		       (unsigned long long)((time_us() - t0) / 1000));
		EXPECT(rtc.mis_bad == 0,
		       "alarm %u: RTCMIS 0x%x in the handler, bit 0 clear", i,
		       rtc.mis_seen);
		time_delay_us(RTC_QUIET_US);
		EXPECT(rtc.count == i + 1,
		       "alarm %u: SPI %u taken %u times after the handler "
		       "cleared it, want %u",
		       i, rtc.intid, rtc.count, i + 1);
		ris = rtc_read(RTC_RIS);
		EXPECT(!(ris & RTC_INT), "alarm %u: RTCRIS 0x%x after RTCICR",
		       i, ris);
		EXPECT(!gic_is_pending(rtc.intid) && !gic_is_active(rtc.intid),
		       "alarm %u: SPI %u pending %d, active %d after the handler "
		       "cleared the line",
		       i, rtc.intid, gic_is_pending(rtc.intid),
		       gic_is_active(rtc.intid));
	}
}

/* Takes seconds of wall-clock time, and under Kairos needs the RTC passed
 * through: only when named. */
TEST_FLAGS(passthrough_rtc, TEST_NAMED_ONLY)
{
	uint64_t iters = RTC_ITERS_DEFAULT;
	int found;

	board_arg_u64("iters", &iters);
	found = rtc_find();
	if (found > 0)
		SKIP("no pl031 in the DTB");
	if (found < 0)
		return;
	GT_SETUP();
	EXPECT(rtc.intid < gic_nr_intids(),
	       "pl031 INTID %u: the distributor has %u", rtc.intid,
	       gic_nr_intids());
	printf("# pl031 at 0x%lx, INTID %u (%s), %llu alarms\n",
	       (unsigned long)rtc.base, rtc.intid, rtc.edge ? "edge" : "level",
	       (unsigned long long)iters);
	if (!(rtc_read(RTC_CR) & RTC_CR_START))
		rtc_write(RTC_CR, RTC_CR_START);
	rtc_quiesce();
	rtc.count = 0;
	rtc.mis_bad = 0;
	rtc.want = 0;
	gic_set_handler(rtc.intid, rtc_handler, NULL);
	gic_set_edge(rtc.intid, rtc.edge);
	gic_route_spi(rtc.intid, cpu_index());
	gic_set_enable(rtc.intid, true);
	irq_unmask();
	rtc_alarms((unsigned int)iters);
	irq_mask();
	rtc_quiesce();
	gic_set_enable(rtc.intid, false);
	gic_set_pending(rtc.intid, false);
	gic_set_handler(rtc.intid, NULL, NULL);
}

/* The alarm at once: MR = DR raises RTCRIS when written (the match is
 * now). A second that ticks between the two makes it a day away: again. */
static void rtc_fire_now(uint32_t before)
{
	for (unsigned int tries = 0; tries < 4; tries++) {
		rtc_write(RTC_MR, rtc_read(RTC_DR));
		if (gt_load(&rtc.count) != before ||
		    (rtc_read(RTC_RIS) & RTC_INT))
			return;
	}
}

/*
 * Events one after the other, each raised at once and waited for: every
 * one must be taken exactly once, and none found the RTC quiet.
 */
static void rtc_storm(unsigned int events)
{
	for (unsigned int i = 0; i < events; i++) {
		gt_store(&rtc.want, i + 1);
		rtc_fire_now(i);
		if (!gt_wait_ge(&rtc.count, i + 1, RTC_ALARM_TIMEOUT_US)) {
			test_fail("event %u: SPI %u not taken (RIS 0x%x, MIS "
				  "0x%x, GIC pending %d, active %d)",
				  i, rtc.intid, rtc_read(RTC_RIS),
				  rtc_read(RTC_MIS), gic_is_pending(rtc.intid),
				  gic_is_active(rtc.intid));
			return;
		}
		if (gt_load(&rtc.count) != i + 1 || rtc.mis_bad) {
			test_fail("event %u: taken %u times in all, %u of them "
				  "with RTCMIS clear",
				  i, gt_load(&rtc.count),
				  gt_load(&rtc.mis_bad));
			return;
		}
	}
	time_delay_us(RTC_QUIET_US);
	EXPECT(rtc.count == events && rtc.mis_bad == 0,
	       "%u events: taken %u times, %u with RTCMIS clear", events,
	       rtc.count, rtc.mis_bad);
	EXPECT(!gic_is_pending(rtc.intid) && !gic_is_active(rtc.intid),
	       "after %u events: SPI %u pending %d, active %d", events,
	       rtc.intid, gic_is_pending(rtc.intid), gic_is_active(rtc.intid));
}

/*
 * Level-sensitive fidelity: `events=N` RTC interrupts back to back, the
 * handler clearing the RTC before its EOI or, with `after=1`, after EOI
 * and DIR (`eoimode=1`: split), so that the line is still high when the
 * interrupt is deactivated. A GIC drops a level interrupt whose line
 * drops before it is acknowledged: one interrupt per event.
 */
TEST_FLAGS(passthrough_rtc_storm, TEST_NAMED_ONLY)
{
	uint64_t events = 1000, after = 0, split = 0;
	int found;

	board_arg_u64("events", &events);
	board_arg_u64("after", &after);
	board_arg_u64("eoimode", &split);
	found = rtc_find();
	if (found > 0)
		SKIP("no pl031 in the DTB");
	if (found < 0)
		return;
	if (rtc.edge)
		SKIP("pl031 interrupt is edge-triggered");
	GT_SETUP();
	gic_set_eoimode(split != 0);
	printf("# pl031 storm: %llu events, clear %s EOI, EOImode %d\n",
	       (unsigned long long)events, after ? "after" : "before",
	       split != 0);
	rtc_write(RTC_CR, RTC_CR_START);
	rtc_quiesce();
	rtc.count = 0;
	rtc.mis_bad = 0;
	rtc.want = 0;
	rtc.clear_after = after != 0;
	gic_set_handler(rtc.intid, rtc_handler, NULL);
	gic_set_edge(rtc.intid, false);
	gic_route_spi(rtc.intid, cpu_index());
	gic_set_enable(rtc.intid, true);
	rtc_write(RTC_IMSC, RTC_INT);
	irq_unmask();
	rtc_storm((unsigned int)events);
	irq_mask();
	rtc_quiesce();
	rtc.clear_after = false;
	gic_set_enable(rtc.intid, false);
	gic_set_pending(rtc.intid, false);
	gic_set_handler(rtc.intid, NULL, NULL);
	gic_set_eoimode(false);
	printf("# pl031 storm: %u interrupts for %llu events\n", rtc.count,
	       (unsigned long long)events);
}
