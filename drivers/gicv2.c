// SPDX-License-Identifier: MIT
/*
 * GICv2 with virtualization extensions (Arm IHI 0048B), e.g. the GIC-400
 * of the Raspberry Pi 4. EOImode=1 splits priority drop (GICC_EOIR) from
 * deactivation (GICC_DIR, §4.4.15), which hardware-mapped virtual
 * interrupts need. GICH is mapped here for the virtual GIC back end.
 */
#include <arch/timer.h>
#include <drivers/gic.h>
#include <kairos/console.h>
#include <kairos/cpu.h>
#include <kairos/irq.h>
#include <kairos/mmio.h>

#define GICD_CTLR 0x000
#define GICD_TYPER 0x004
#define GICD_IIDR 0x008
#define GICD_ISENABLER 0x100
#define GICD_ICENABLER 0x180
#define GICD_ICPENDR 0x280
#define GICD_ISACTIVER 0x300
#define GICD_ICACTIVER 0x380
#define GICD_IPRIORITYR 0x400
#define GICD_ITARGETSR 0x800
#define GICD_SGIR 0xf00
#define GICD_TYPER_SECEXT (1U << 10)
/* GICD_IIDR of QEMU's GICv2 model: implementer Arm (0x43b), all else 0. */
#define GICD_IIDR_QEMU 0x43bU

#define GICC_CTLR 0x0000
#define GICC_PMR 0x0004
#define GICC_BPR 0x0008
#define GICC_IAR 0x000c
#define GICC_EOIR 0x0010
#define GICC_DIR 0x1000

#define GICH_VTR 0x004

/*
 * GICC_CTLR bits. Without Security Extensions (QEMU virt) the register
 * has its Secure layout: EnableGrp0 (0), EnableGrp1 (1), EOImodeS (9),
 * EOImodeNS (10), and Kairos's interrupts stay in Group 0. Seen from
 * Non-secure on a GIC with them (GIC-400), bit 0 enables Group 1 and bit
 * 9 is EOImodeNS (§4.4.1).
 */
#define GICC_CTLR_NOSEC 0x603U
#define GICC_CTLR_NS 0x201U

static void *gicd, *gicc;
static unsigned int nr_irqs;
/* Each CPU's CPU interface mask (ITARGETSR), by board CPU number. */
static uint32_t gic_target[KAIROS_MAX_CPUS];
static bool secext;

static bool gicv2_cpu_init(void)
{
	unsigned int me = cpu_id();
	uint32_t mask = mmio_read8(gicd, GICD_ITARGETSR);

	/* A uniprocessor GIC reads ITARGETSR as zero (§4.3.12). */
	gic_target[me] = mask ? mask : 1;
	mmio_write32(gicd, GICD_ICENABLER, 0xffff0000U);
	mmio_write32(gicd, GICD_ICPENDR, ~0U);
	mmio_write32(gicd, GICD_ICACTIVER, ~0U);
	for (unsigned int i = 0; i < 32; i += 4)
		mmio_write32(gicd, GICD_IPRIORITYR + i,
			     GIC_PRIO_DEFAULT * 0x01010101U);
	mmio_write32(gicc, GICC_PMR, 0xff);
	mmio_write32(gicc, GICC_BPR, 0);
	mmio_write32(gicc, GICC_CTLR, secext ? GICC_CTLR_NS : GICC_CTLR_NOSEC);
	return true;
}

static struct irq_ack gicv2_ack(void)
{
	uint32_t iar = mmio_read32(gicc, GICC_IAR);

	return (struct irq_ack){ .intid = iar & 0x3ff, .raw = iar };
}

static void gicv2_eoi(struct irq_ack a)
{
	mmio_write32(gicc, GICC_EOIR, a.raw);
}

static void gicv2_deactivate(struct irq_ack a)
{
	mmio_write32(gicc, GICC_DIR, a.raw);
}

static void gicv2_enable(uint32_t intid, bool on)
{
	if (intid < nr_irqs)
		mmio_write32(gicd,
			     (on ? GICD_ISENABLER : GICD_ICENABLER) +
				     (intid / 32) * 4,
			     1U << (intid % 32));
}

static void gicv2_route(uint32_t intid, unsigned int cpu)
{
	if (intid >= 32 && intid < nr_irqs && cpu < cpu_count)
		mmio_write8(gicd, GICD_ITARGETSR + intid,
			    (uint8_t)gic_target[cpu]);
}

static void gicv2_send_sgi(unsigned int cpu, uint32_t sgi)
{
	__asm__ volatile("dsb ishst" : : : "memory");
	mmio_write32(gicd, GICD_SGIR, (gic_target[cpu] << 16) | (sgi & 0xf));
}

static bool gicv2_is_active(uint32_t intid)
{
	if (intid >= nr_irqs)
		return false;
	/* Banked for SGIs and PPIs: this CPU's state (§4.3.6). */
	return (mmio_read32(gicd, GICD_ISACTIVER + (intid / 32) * 4) >>
		(intid % 32)) &
	       1;
}

static void gicv2_set_active(uint32_t intid, bool active)
{
	if (intid < nr_irqs)
		mmio_write32(gicd,
			     (active ? GICD_ISACTIVER : GICD_ICACTIVER) +
				     (intid / 32) * 4,
			     1U << (intid % 32));
}

/* GICD_CTLR as set at init. */
static uint32_t dist_ctlr;

/* The same value again: QEMU's model evaluates its outputs after a write. */
static void gicv2_refresh(void)
{
	mmio_write32(gicd, GICD_CTLR, dist_ctlr);
}

static struct irqchip gicv2_chip = {
	.name = "GICv2",
	.version = 2,
	.cpu_init = gicv2_cpu_init,
	.ack = gicv2_ack,
	.eoi = gicv2_eoi,
	.deactivate = gicv2_deactivate,
	.enable = gicv2_enable,
	.route = gicv2_route,
	.send_sgi = gicv2_send_sgi,
	.is_active = gicv2_is_active,
	.set_active = gicv2_set_active,
	.refresh = gicv2_refresh,
};

enum kairos_err gicv2_init(const struct board *b)
{
	void *gich = pa_to_ptr(b->gic.hyp.base);
	uint32_t boot_mask;

	gicd = pa_to_ptr(b->gic.dist.base);
	gicc = pa_to_ptr(b->gic.cpu.base);
	if (b->gic.cpu.size < 0x2000) {
		kprintf("kairos: %s: property reg: the GICC region is 0x%llx bytes; GICC_DIR needs 8 KiB\n",
			b->gic.path, (unsigned long long)b->gic.cpu.size);
		return KAIROS_ERR_MALFORMED;
	}
	secext = (mmio_read32(gicd, GICD_TYPER) & GICD_TYPER_SECEXT) != 0;
	nr_irqs = 32 * ((mmio_read32(gicd, GICD_TYPER) & 0x1f) + 1);
	if (nr_irqs > 1020)
		nr_irqs = 1020;
	boot_mask = mmio_read8(gicd, GICD_ITARGETSR);
	if (!boot_mask)
		boot_mask = 1;
	mmio_write32(gicd, GICD_CTLR, 0);
	for (unsigned int i = 32; i < nr_irqs; i += 32) {
		mmio_write32(gicd, GICD_ICENABLER + i / 8, ~0U);
		mmio_write32(gicd, GICD_ICPENDR + i / 8, ~0U);
		mmio_write32(gicd, GICD_ICACTIVER + i / 8, ~0U);
	}
	for (unsigned int i = 32; i < nr_irqs; i += 4) {
		mmio_write32(gicd, GICD_IPRIORITYR + i,
			     GIC_PRIO_DEFAULT * 0x01010101U);
		mmio_write32(gicd, GICD_ITARGETSR + i, boot_mask * 0x01010101U);
	}
	dist_ctlr = secext ? 1U : 3U;
	mmio_write32(gicd, GICD_CTLR, dist_ctlr);
	gicv2_chip.list_regs = (mmio_read32(gich, GICH_VTR) & 0x3f) + 1;
	/*
	 * Implementer Arm, product 0, revision 0: QEMU's model (a GIC-400
	 * is 0x0200143b), whose EOI of a mapped PPI is not signalled again.
	 */
	gicv2_chip.ppi_eoi_unsignalled = mmio_read32(gicd, GICD_IIDR) ==
					 GICD_IIDR_QEMU;
	if (gicv2_chip.ppi_eoi_unsignalled)
		kprintf("kairos: GICv2 IIDR 0x%x (QEMU's model): timer interrupts listed without the HW bit, deactivated at EL2\n",
			GICD_IIDR_QEMU);
	irq_chip_register(&gicv2_chip);
	return KAIROS_OK;
}
