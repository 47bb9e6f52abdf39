// SPDX-License-Identifier: MIT
/*
 * GICv3 (Arm IHI 0069): distributor and redistributors in MMIO, the CPU
 * interface through ICC_* system registers. Affinity routing is on; all
 * interrupts are Non-secure Group 1; EOImode=1 splits priority drop from
 * deactivation (§4.1.1) so hardware-mapped virtual interrupts can later be
 * deactivated by their guest.
 */
#include <arch/timer.h>
#include <asm/sysreg.h>
#include <drivers/gic.h>
#include <kairos/console.h>
#include <kairos/cpu.h>
#include <kairos/irq.h>
#include <kairos/mmio.h>

#define GICD_CTLR 0x0000
#define GICD_TYPER 0x0004
#define GICD_IGROUPR 0x0080
#define GICD_ISENABLER 0x0100
#define GICD_ICENABLER 0x0180
#define GICD_ICPENDR 0x0280
#define GICD_ISACTIVER 0x0300
#define GICD_ICACTIVER 0x0380
#define GICD_IPRIORITYR 0x0400
#define GICD_IROUTER 0x6000

#define GICD_CTLR_RWP (1U << 31)
/*
 * With DS=1 (one security state, QEMU virt) bits 0/1 enable Group 0/1 and
 * bit 4 is ARE; seen Non-secure with DS=0 they are EnableGrp1,
 * EnableGrp1A and ARE_NS. Either way 0x13 enables what Kairos uses.
 */
#define GICD_CTLR_ENABLE 0x13U

#define GICR_CTLR 0x0000
#define GICR_TYPER 0x0008
#define GICR_WAKER 0x0014
#define GICR_SGI 0x10000
#define GICR_CTLR_RWP (1U << 3)
#define GICR_TYPER_LAST (1UL << 4)
#define GICR_TYPER_VLPIS (1UL << 1)
#define GICR_WAKER_SLEEP (1U << 1)
#define GICR_WAKER_ASLEEP (1U << 2)

#define ICC_SRE_SRE (1UL << 0)
#define ICC_SRE_ENABLE (1UL << 3)
#define ICC_CTLR_EOIMODE (1UL << 1)

static void *gicd;
static const struct board_gic *gic;
static unsigned int nr_irqs;
/* Each CPU's redistributor RD_base, by board CPU number. */
static void *gicr_of[KAIROS_MAX_CPUS];

static bool wait_clear(const void *base, uint64_t off, uint32_t bit)
{
	uint64_t start = arch_timer_now();
	uint64_t limit = arch_timer_hw_freq(); /* one second */

	while (mmio_read32(base, off) & bit)
		if (arch_timer_now() - start > limit)
			return false;
	return true;
}

/* The RD_base frame whose GICR_TYPER affinity matches this CPU (§9.11). */
static void *find_redist(uint64_t mpidr)
{
	uint64_t aff = ((mpidr >> 8) & 0xff000000UL) | (mpidr & 0xffffffUL);

	for (unsigned int r = 0; r < gic->nr_redist; r++) {
		uint64_t base = pa_addr(gic->redist[r].base);
		uint64_t end = base + gic->redist[r].size;

		while (base < end) {
			void *rd = (void *)(uintptr_t)base;
			uint64_t typer = mmio_read64(rd, GICR_TYPER);

			if ((typer >> 32) == aff)
				return rd;
			if (typer & GICR_TYPER_LAST)
				break;
			if (gic->redist_stride)
				base += gic->redist_stride;
			else if (typer & GICR_TYPER_VLPIS)
				base += 0x40000;
			else
				base += 0x20000;
		}
	}
	return NULL;
}

static bool gicv3_cpu_init(void)
{
	unsigned int me = cpu_id();
	void *rd = find_redist(cpu_mpidr(me)), *sgi;

	if (!rd) {
		kprintf("kairos: CPU%u: no GICv3 redistributor with affinity 0x%llx in %s\n",
			me, (unsigned long long)cpu_mpidr(me), gic->path);
		return false;
	}
	gicr_of[me] = rd;
	sgi = (char *)rd + GICR_SGI;
	mmio_write32(rd, GICR_WAKER,
		     mmio_read32(rd, GICR_WAKER) & ~GICR_WAKER_SLEEP);
	if (!wait_clear(rd, GICR_WAKER, GICR_WAKER_ASLEEP))
		return false;
	mmio_write32(sgi, GICD_IGROUPR, ~0U);
	mmio_write32(sgi, GICD_ICENABLER, ~0U);
	mmio_write32(sgi, GICD_ICPENDR, ~0U);
	mmio_write32(sgi, GICD_ICACTIVER, ~0U);
	for (unsigned int i = 0; i < 32; i += 4)
		mmio_write32(sgi, GICD_IPRIORITYR + i,
			     GIC_PRIO_DEFAULT * 0x01010101U);
	if (!wait_clear(rd, GICR_CTLR, GICR_CTLR_RWP))
		return false;

	write_sysreg(icc_sre_el2,
		     read_sysreg(icc_sre_el2) | ICC_SRE_SRE | ICC_SRE_ENABLE);
	isb();
	if (!(read_sysreg(icc_sre_el2) & ICC_SRE_SRE)) {
		kprintf("kairos: CPU%u: GICv3 system register interface cannot be enabled (ICC_SRE_EL2.SRE)\n",
			me);
		return false;
	}
	write_sysreg(icc_pmr_el1, 0xff);
	write_sysreg(icc_bpr1_el1, 0);
	write_sysreg(icc_ctlr_el1, ICC_CTLR_EOIMODE);
	write_sysreg(icc_igrpen1_el1, 1);
	isb();
	return true;
}

static struct irq_ack gicv3_ack(void)
{
	uint32_t iar;

	/* The guest timer's fast path may have taken it already. */
	if (!arch_irq_take_stashed(&iar))
		iar = (uint32_t)read_sysreg(icc_iar1_el1);

	return (struct irq_ack){ .intid = iar & 0xffffff, .raw = iar };
}

static void gicv3_eoi(struct irq_ack a)
{
	write_sysreg(icc_eoir1_el1, a.raw);
	isb();
}

static void gicv3_deactivate(struct irq_ack a)
{
	write_sysreg(icc_dir_el1, a.raw);
	isb();
}

static void gicv3_enable(uint32_t intid, bool on)
{
	uint32_t off =
		(on ? GICD_ISENABLER : GICD_ICENABLER) + (intid / 32) * 4;

	if (intid < 32)
		mmio_write32((char *)gicr_of[cpu_id()] + GICR_SGI, off,
			     1U << (intid % 32));
	else if (intid < nr_irqs)
		mmio_write32(gicd, off, 1U << (intid % 32));
}

static void gicv3_route(uint32_t intid, unsigned int cpu)
{
	if (intid >= 32 && intid < nr_irqs && cpu < cpu_count)
		mmio_write64(gicd, GICD_IROUTER + 8UL * intid, cpu_mpidr(cpu));
}

static void gicv3_send_sgi(unsigned int cpu, uint32_t sgi)
{
	uint64_t m = cpu_mpidr(cpu);
	uint64_t v = (((m >> 32) & 0xff) << 48) | (((m >> 16) & 0xff) << 32) |
		     (((m >> 8) & 0xff) << 16) | ((uint64_t)(sgi & 0xf) << 24) |
		     (1UL << (m & 0xf));

	/* ICC_SGI1R_EL1 (§12.2.23); target list covers Aff0 0..15. */
	__asm__ volatile("dsb ishst" : : : "memory");
	write_sysreg(icc_sgi1r_el1, v);
	isb();
}

static bool gicv3_is_active(uint32_t intid)
{
	uint64_t off = GICD_ISACTIVER + (intid / 32) * 4;
	const void *base = gicd;

	if (intid < 32)
		base = (const char *)gicr_of[cpu_id()] + GICR_SGI;
	else if (intid >= nr_irqs)
		return false;
	return (mmio_read32(base, off) >> (intid % 32)) & 1;
}

static void gicv3_set_active(uint32_t intid, bool active)
{
	uint64_t off =
		(active ? GICD_ISACTIVER : GICD_ICACTIVER) + (intid / 32) * 4;

	if (intid < 32)
		mmio_write32((char *)gicr_of[cpu_id()] + GICR_SGI, off,
			     1U << (intid % 32));
	else if (intid < nr_irqs)
		mmio_write32(gicd, off, 1U << (intid % 32));
}

static struct irqchip gicv3_chip = {
	.name = "GICv3",
	.version = 3,
	.cpu_init = gicv3_cpu_init,
	.ack = gicv3_ack,
	.eoi = gicv3_eoi,
	.deactivate = gicv3_deactivate,
	.enable = gicv3_enable,
	.route = gicv3_route,
	.send_sgi = gicv3_send_sgi,
	.is_active = gicv3_is_active,
	.set_active = gicv3_set_active,
};

enum kairos_err gicv3_init(const struct board *b)
{
	/* ID_AA64PFR0_EL1.GIC (bits 27:24): system register interface. */
	if (!((read_sysreg(id_aa64pfr0_el1) >> 24) & 0xf)) {
		kprintf("kairos: %s: compatible arm,gic-v3, but this CPU has no GICv3 system register interface\n",
			b->gic.path);
		return KAIROS_ERR_UNSUPPORTED;
	}
	gic = &b->gic;
	gicd = pa_to_ptr(gic->dist.base);
	nr_irqs = 32 * ((mmio_read32(gicd, GICD_TYPER) & 0x1f) + 1);
	if (nr_irqs > 1020)
		nr_irqs = 1020;
	mmio_write32(gicd, GICD_CTLR, 0);
	if (!wait_clear(gicd, GICD_CTLR, GICD_CTLR_RWP))
		return KAIROS_ERR_TIMEOUT;
	for (unsigned int i = 32; i < nr_irqs; i += 32) {
		mmio_write32(gicd, GICD_IGROUPR + i / 8, ~0U);
		mmio_write32(gicd, GICD_ICENABLER + i / 8, ~0U);
		mmio_write32(gicd, GICD_ICPENDR + i / 8, ~0U);
		mmio_write32(gicd, GICD_ICACTIVER + i / 8, ~0U);
	}
	for (unsigned int i = 32; i < nr_irqs; i += 4)
		mmio_write32(gicd, GICD_IPRIORITYR + i,
			     GIC_PRIO_DEFAULT * 0x01010101U);
	for (unsigned int i = 32; i < nr_irqs; i++)
		mmio_write64(gicd, GICD_IROUTER + 8UL * i, b->cpus[0].mpidr);
	mmio_write32(gicd, GICD_CTLR, GICD_CTLR_ENABLE);
	if (!wait_clear(gicd, GICD_CTLR, GICD_CTLR_RWP))
		return KAIROS_ERR_TIMEOUT;
	gicv3_chip.list_regs =
		(unsigned int)(read_sysreg(ich_vtr_el2) & 0x1f) + 1;
	irq_chip_register(&gicv3_chip);
	return KAIROS_OK;
}
