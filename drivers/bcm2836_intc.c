// SPDX-License-Identifier: MIT
/*
 * The interrupt controllers of the BCM2836/BCM2837 (Raspberry Pi 2 and 3),
 * which have no GIC: the ARM local controller (brcm,bcm2836-l1-intc; the
 * "QA7" block at 0x40000000), which gives each core its four generic-timer
 * interrupts, four 32-bit mailboxes and the PMU, and raises on one chosen
 * core the interrupt of the peripheral controller (brcm,bcm2836-armctrl-ic,
 * at 0x3f00b200): 64 GPU interrupts and 8 "basic" ARM ones.
 *
 * They are driven behind the irqchip interface as if they were a GIC, with
 * the INTIDs of include/kairos/board.h (BCM2836_INTID_*):
 *
 * - SGIs are bits of mailbox 0: send_sgi sets bit n in the target core's
 *   mailbox, acknowledging clears it.
 * - Active state is kept in software, as a GIC keeps it: an acknowledged
 *   interrupt stays active, its source masked at the controller, until it
 *   is deactivated. A level source (a timer, a peripheral) still high at
 *   deactivation is taken again, as on a GIC.
 * - An SGI that arrives while it is disabled or active is taken off the
 *   mailbox (its one line would otherwise stay high) and kept pending in
 *   software; it is posted to the mailbox again when it becomes
 *   deliverable.
 *
 * What has no equivalent: priorities, so eoi (the priority drop) does
 * nothing and there is no preemption among Kairos's interrupts; the
 * virtual CPU interface (no list registers: list_regs is 0 and the
 * maintenance INTID is never raised); and per-interrupt targets for
 * peripherals: the controller sends all of them to one core, so route()
 * moves them all.
 */
#include <arch/cpu.h>
#include <drivers/bcm2836_intc.h>
#include <kairos/console.h>
#include <kairos/cpu.h>
#include <kairos/irq.h>
#include <kairos/mmio.h>

/* Local controller (QA7 rev 3.4 §4): per-core registers by core number. */
#define LOCAL_GPU_ROUTE 0x0c
#define LOCAL_PMU_ROUTE_SET 0x10
#define LOCAL_PMU_ROUTE_CLR 0x14
#define LOCAL_TIMER_CTL(core) (0x40 + 4 * (core))
#define LOCAL_MBOX_CTL(core) (0x50 + 4 * (core))
#define LOCAL_IRQ_SRC(core) (0x60 + 4 * (core))
#define LOCAL_MBOX0_SET(core) (0x80 + 16 * (core))
#define LOCAL_MBOX0_CLR(core) (0xc0 + 16 * (core))

/* LOCAL_IRQ_SRC bits: the four timers (bits 0..3, in the order of
 * LOCAL_TIMER_CTL), mailbox 0, the GPU (peripheral) line, the PMU. */
#define SRC_TIMERS 0xfU
#define SRC_MBOX0 (1U << 4)
#define SRC_GPU (1U << 8)
#define SRC_PMU (1U << 9)
#define MBOX_CTL_MBOX0_IRQ 1U

/* Peripheral controller (BCM2835 ARM Peripherals §7.5). */
#define ARM_PEND_BASIC 0x00
#define ARM_PEND_GPU(bank) (0x04 + 4 * (bank))
#define ARM_ENABLE_GPU(bank) (0x10 + 4 * (bank))
#define ARM_ENABLE_BASIC 0x18
#define ARM_DISABLE_GPU(bank) (0x1c + 4 * (bank))
#define ARM_DISABLE_BASIC 0x24
#define ARM_BASIC_MASK 0xffU

#define NR_SGIS 16U
#define NR_PRIVATE 32U
#define NR_SHARED_WORDS 3U /* INTIDs 32..127 */

static void *local, *periph;

/* What Kairos set, per CPU (INTIDs 0..31) and for all (32..103). */
struct bcm_cpu {
	uint32_t core;         /* the local controller's core number */
	uint32_t enabled;      /* bit = INTID */
	uint32_t active;       /* bit = INTID */
	uint32_t sgi_pending;  /* taken off the mailbox, not yet delivered */
	uint32_t timer_hw_ctl; /* LOCAL_TIMER_CTL as last written */
	bool pmu_hw;           /* routed to this core at the controller */
};

static struct bcm_cpu bcm_cpus[KAIROS_MAX_CPUS];
static uint32_t shared_enabled[NR_SHARED_WORDS], shared_active[NR_SHARED_WORDS];
static int gpu_route_cpu = -1; /* the CPU peripheral INTIDs go to */

/* LOCAL_TIMER_CTL bit of each timer INTID (its LOCAL_IRQ_SRC bit too). */
static int timer_bit(uint32_t intid)
{
	switch (intid) {
	case BCM2836_INTID_CNTPS: return 0;
	case BCM2836_INTID_CNTPNS: return 1;
	case BCM2836_INTID_CNTHP: return 2;
	case BCM2836_INTID_CNTV: return 3;
	default: return -1;
	}
}

static const uint32_t timer_intid[4] = {
	BCM2836_INTID_CNTPS,
	BCM2836_INTID_CNTPNS,
	BCM2836_INTID_CNTHP,
	BCM2836_INTID_CNTV,
};

static bool shared_bit(const uint32_t *words, uint32_t intid)
{
	uint32_t i = intid - BCM2836_INTID_GPU0;

	return (__atomic_load_n(&words[i / 32], __ATOMIC_ACQUIRE) >> (i % 32)) &
	       1U;
}

/* Set or clear @intid in shared_active (@active) or shared_enabled. */
static void shared_set(bool active, uint32_t intid, bool on)
{
	uint32_t *words = active ? shared_active : shared_enabled;
	uint32_t i = intid - BCM2836_INTID_GPU0, m = 1U << (i % 32);

	if (on)
		__atomic_fetch_or(&words[i / 32], m, __ATOMIC_ACQ_REL);
	else
		__atomic_fetch_and(&words[i / 32], ~m, __ATOMIC_ACQ_REL);
}

/* Unmask (@on) or mask peripheral @intid at the peripheral controller. */
static void periph_hw_enable(uint32_t intid, bool on)
{
	if (intid >= BCM2836_INTID_BASIC) {
		mmio_write32(periph, on ? ARM_ENABLE_BASIC : ARM_DISABLE_BASIC,
			     1U << (intid - BCM2836_INTID_BASIC));
		return;
	}
	uint32_t n = intid - BCM2836_INTID_GPU0;

	mmio_write32(periph,
		     on ? ARM_ENABLE_GPU(n / 32) : ARM_DISABLE_GPU(n / 32),
		     1U << (n % 32));
}

/* The controller's masks follow enabled & ~active for this CPU's sources. */
static void private_sync(struct bcm_cpu *c)
{
	uint32_t live = c->enabled & ~c->active, ctl = 0;

	for (unsigned int b = 0; b < 4; b++)
		if ((live >> timer_intid[b]) & 1U)
			ctl |= 1U << b;
	if (ctl != c->timer_hw_ctl) {
		mmio_write32(local, LOCAL_TIMER_CTL(c->core), ctl);
		c->timer_hw_ctl = ctl;
	}
	bool pmu = (live >> BCM2836_INTID_PMU) & 1U;

	if (pmu != c->pmu_hw) {
		mmio_write32(local,
			     pmu ? LOCAL_PMU_ROUTE_SET : LOCAL_PMU_ROUTE_CLR,
			     1U << c->core);
		c->pmu_hw = pmu;
	}
	/* SGIs held in software that may go now: post them again. */
	uint32_t go = c->sgi_pending & live & ((1U << NR_SGIS) - 1);

	if (go) {
		c->sgi_pending &= ~go;
		mmio_write32(local, LOCAL_MBOX0_SET(c->core), go);
	}
}

static bool bcm_cpu_init(void)
{
	struct bcm_cpu *c = &bcm_cpus[cpu_id()];

	c->core = (uint32_t)(cpu_current()->mpidr & 0x3);
	c->enabled = c->active = c->sgi_pending = 0;
	c->timer_hw_ctl = 0;
	c->pmu_hw = false;
	mmio_write32(local, LOCAL_TIMER_CTL(c->core), 0);
	mmio_write32(local, LOCAL_PMU_ROUTE_CLR, 1U << c->core);
	mmio_write32(local, LOCAL_MBOX0_CLR(c->core), ~0U);
	mmio_write32(local, LOCAL_MBOX_CTL(c->core), MBOX_CTL_MBOX0_IRQ);
	return true;
}

/* The lowest deliverable SGI in mailbox 0, or IRQ_SPURIOUS. */
static uint32_t ack_sgi(struct bcm_cpu *c)
{
	uint32_t box = mmio_read32(local, LOCAL_MBOX0_CLR(c->core));
	uint32_t live = c->enabled & ~c->active & ((1U << NR_SGIS) - 1);
	uint32_t held = box & ~live;

	if (held) {
		/* Off the mailbox, so its line drops; posted again later. */
		mmio_write32(local, LOCAL_MBOX0_CLR(c->core), held);
		c->sgi_pending |= held & ((1U << NR_SGIS) - 1);
	}
	box &= live;
	if (!box)
		return IRQ_SPURIOUS;
	uint32_t sgi = (uint32_t)__builtin_ctz(box);

	mmio_write32(local, LOCAL_MBOX0_CLR(c->core), 1U << sgi);
	c->active |= 1U << sgi;
	return sgi;
}

/* The lowest deliverable peripheral interrupt, or IRQ_SPURIOUS. */
static uint32_t ack_periph(void)
{
	uint32_t pend[NR_SHARED_WORDS] = {
		mmio_read32(periph, ARM_PEND_GPU(0)),
		mmio_read32(periph, ARM_PEND_GPU(1)),
		mmio_read32(periph, ARM_PEND_BASIC) & ARM_BASIC_MASK,
	};

	for (unsigned int w = 0; w < NR_SHARED_WORDS; w++) {
		uint32_t live =
			pend[w] &
			__atomic_load_n(&shared_enabled[w], __ATOMIC_ACQUIRE) &
			~__atomic_load_n(&shared_active[w], __ATOMIC_ACQUIRE);

		if (!live)
			continue;
		uint32_t intid = BCM2836_INTID_GPU0 + 32 * w +
				 (uint32_t)__builtin_ctz(live);

		shared_set(true, intid, true);
		periph_hw_enable(intid, false);
		return intid;
	}
	return IRQ_SPURIOUS;
}

static struct irq_ack bcm_ack(void)
{
	struct bcm_cpu *c = &bcm_cpus[cpu_id()];
	uint32_t src = mmio_read32(local, LOCAL_IRQ_SRC(c->core));
	uint32_t intid = IRQ_SPURIOUS;

	if (src & SRC_MBOX0)
		intid = ack_sgi(c);
	for (unsigned int b = 0; b < 4 && intid == IRQ_SPURIOUS; b++) {
		uint32_t t = timer_intid[b];

		if ((src >> b) & 1U && ((c->enabled & ~c->active) >> t) & 1U) {
			c->active |= 1U << t;
			private_sync(c);
			intid = t;
		}
	}
	if (intid == IRQ_SPURIOUS && (src & SRC_PMU) &&
	    ((c->enabled & ~c->active) >> BCM2836_INTID_PMU) & 1U) {
		c->active |= 1U << BCM2836_INTID_PMU;
		private_sync(c);
		intid = BCM2836_INTID_PMU;
	}
	if (intid == IRQ_SPURIOUS && (src & SRC_GPU))
		intid = ack_periph();
	return (struct irq_ack){ .intid = intid, .raw = intid };
}

/* No priorities, so no priority drop. */
static void bcm_eoi(struct irq_ack a)
{
	(void)a;
}

static void bcm_set_active(uint32_t intid, bool on)
{
	if (intid >= BCM2836_NR_INTIDS)
		return;
	if (intid >= NR_PRIVATE) {
		shared_set(true, intid, on);
		if (shared_bit(shared_enabled, intid))
			periph_hw_enable(intid, !on);
		return;
	}
	unsigned long flags = arch_irq_save();
	struct bcm_cpu *c = &bcm_cpus[cpu_id()];

	if (on)
		c->active |= 1U << intid;
	else
		c->active &= ~(1U << intid);
	private_sync(c);
	arch_irq_restore(flags);
}

static void bcm_deactivate(struct irq_ack a)
{
	bcm_set_active(a.intid, false);
}

static void bcm_enable(uint32_t intid, bool on)
{
	if (intid >= BCM2836_NR_INTIDS)
		return;
	if (intid >= NR_PRIVATE) {
		shared_set(false, intid, on);
		periph_hw_enable(intid,
				 on && !shared_bit(shared_active, intid));
		return;
	}
	/* The timers, mailbox SGIs and PMU; any other PPI does not exist. */
	if (intid >= NR_SGIS && timer_bit(intid) < 0 &&
	    intid != BCM2836_INTID_PMU)
		return;
	unsigned long flags = arch_irq_save();
	struct bcm_cpu *c = &bcm_cpus[cpu_id()];

	if (on)
		c->enabled |= 1U << intid;
	else
		c->enabled &= ~(1U << intid);
	private_sync(c);
	arch_irq_restore(flags);
}

/* Every peripheral interrupt goes to one core: the last one asked for. */
static void bcm_route(uint32_t intid, unsigned int cpu)
{
	if (intid < NR_PRIVATE || intid >= BCM2836_NR_INTIDS ||
	    cpu >= cpu_count)
		return;
	if (gpu_route_cpu >= 0 && gpu_route_cpu != (int)cpu)
		kprintf("kairos: BCM2836: peripheral interrupts all go to one core: INTID %u moves them from CPU%d to CPU%u\n",
			intid, gpu_route_cpu, cpu);
	gpu_route_cpu = (int)cpu;
	mmio_write32(local, LOCAL_GPU_ROUTE, (uint32_t)(cpus[cpu].mpidr & 3));
}

static void bcm_send_sgi(unsigned int cpu, uint32_t sgi)
{
	if (cpu >= cpu_count || sgi >= NR_SGIS)
		return;
	__asm__ volatile("dsb ishst" : : : "memory");
	mmio_write32(local, LOCAL_MBOX0_SET(cpus[cpu].mpidr & 3), 1U << sgi);
}

static bool bcm_is_active(uint32_t intid)
{
	if (intid >= BCM2836_NR_INTIDS)
		return false;
	if (intid >= NR_PRIVATE)
		return shared_bit(shared_active, intid);
	return (bcm_cpus[cpu_id()].active >> intid) & 1U;
}

static const struct irqchip bcm2836_chip = {
	.name = "BCM2836",
	.version = 2, /* the guests' GIC, emulated in software */
	.list_regs = 0,
	.cpu_init = bcm_cpu_init,
	.ack = bcm_ack,
	.eoi = bcm_eoi,
	.deactivate = bcm_deactivate,
	.enable = bcm_enable,
	.route = bcm_route,
	.send_sgi = bcm_send_sgi,
	.is_active = bcm_is_active,
	.set_active = bcm_set_active,
};

enum kairos_err bcm2836_intc_init(const struct board *b)
{
	local = pa_to_ptr(b->gic.local.base);
	periph = pa_to_ptr(b->gic.periph.base);
	mmio_write32(periph, ARM_DISABLE_GPU(0), ~0U);
	mmio_write32(periph, ARM_DISABLE_GPU(1), ~0U);
	mmio_write32(periph, ARM_DISABLE_BASIC, ARM_BASIC_MASK);
	gpu_route_cpu = -1;
	mmio_write32(local, LOCAL_GPU_ROUTE,
		     (uint32_t)(cpu_current()->mpidr & 3));
	irq_chip_register(&bcm2836_chip);
	return KAIROS_OK;
}
