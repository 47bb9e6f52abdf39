// SPDX-License-Identifier: MIT
/*
 * GICv2 without the Security Extensions, as QEMU virt and Kairos show it
 * to an EL1 guest (GIC architecture spec IHI 0048B): the distributor and
 * the memory-mapped CPU interface. Every interrupt stays in Group 0,
 * signalled as IRQ since GICC_CTLR.FIQEn is 0 (what Linux does).
 */
#include "gic_priv.h"
#include <lg/cpu.h>
#include <lg/mmio.h>

#define GICC_CTLR 0x00
#define GICC_PMR 0x04
#define GICC_BPR 0x08
#define GICC_IAR 0x0c
#define GICC_EOIR 0x10
#define GICC_RPR 0x14
#define GICC_DIR 0x1000

#define GICD_CTLR_ENABLE (3U << 0) /* EnableGrp0 | EnableGrp1 */
#define GICC_CTLR_ENABLE (3U << 0) /* EnableGrp0 | EnableGrp1 */
/* Bit 9: EOImodeS without the Security Extensions (IHI 0048B, 4.4.1),
 * which covers Group 0; EOImode in GICV_CTLR. */
#define GICC_CTLR_EOIMODE (1U << 9)

/* This CPU's interface number: GICD_ITARGETSR0-7 read as its own mask. */
static unsigned int gic_v2_own_if(void)
{
	uint8_t mask = mmio_read8(gic.dist + GICD_ITARGETSR);

	return mask ? (unsigned int)__builtin_ctz(mask) : 0;
}

void gic_v2_dist_init(void)
{
	uint8_t self = (uint8_t)(1U << gic_v2_own_if());

	mmio_write32(gic.dist + GICD_CTLR, 0);
	gic_reset_range(gic.dist, GIC_SPI_BASE, gic.nr_intids, false);
	for (unsigned int i = GIC_SPI_BASE; i < gic.nr_intids; i++)
		mmio_write8(gic.dist + GICD_ITARGETSR + i, self);
	mmio_write32(gic.dist + GICD_CTLR, GICD_CTLR_ENABLE);
}

void gic_v2_cpu_init(void)
{
	gic.cpu_if[cpu_index()] = (uint8_t)gic_v2_own_if();
	gic_reset_range(gic.dist, 0, GIC_SPI_BASE, false);
	mmio_write32(gic.cpuif + GICC_PMR, GIC_PRIO_IDLE);
	/* The smallest binary point: every priority bit preempts (clamped
	 * to the implementation's minimum). */
	mmio_write32(gic.cpuif + GICC_BPR, 0);
	mmio_write32(gic.cpuif + GICC_CTLR, GICC_CTLR_ENABLE);
}

uint32_t gic_v2_ack(void)
{
	return mmio_read32(gic.cpuif + GICC_IAR);
}

void gic_v2_eoi(uint32_t iar)
{
	mmio_write32(gic.cpuif + GICC_EOIR, iar);
}

void gic_v2_dir(uint32_t iar)
{
	mmio_write32(gic.cpuif + GICC_DIR, iar);
}

void gic_v2_set_pmr(uint8_t prio)
{
	mmio_write32(gic.cpuif + GICC_PMR, prio);
}

uint8_t gic_v2_pmr(void)
{
	return (uint8_t)mmio_read32(gic.cpuif + GICC_PMR);
}

uint8_t gic_v2_rpr(void)
{
	return (uint8_t)mmio_read32(gic.cpuif + GICC_RPR);
}

void gic_v2_set_eoimode(bool split)
{
	uint32_t ctlr = mmio_read32(gic.cpuif + GICC_CTLR);

	ctlr = split ? ctlr | GICC_CTLR_EOIMODE : ctlr & ~GICC_CTLR_EOIMODE;
	mmio_write32(gic.cpuif + GICC_CTLR, ctlr);
}

void gic_v2_sgir(uint32_t filter, uint32_t targets, unsigned int intid)
{
	mmio_write32(gic.dist + GICD_SGIR,
		     filter << 24 | (targets & 0xff) << 16 | (intid & 0xf));
}

void gic_v2_route_spi(unsigned int intid, unsigned int cpu)
{
	mmio_write8(gic.dist + GICD_ITARGETSR + intid,
		    (uint8_t)(1U << gic.cpu_if[cpu]));
}
