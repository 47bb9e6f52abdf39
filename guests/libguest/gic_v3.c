// SPDX-License-Identifier: MIT
/*
 * GICv3 as QEMU virt and Kairos show it to an EL1 guest (GIC architecture
 * spec IHI 0069): affinity routing, one redistributor per CPU, and the
 * system register CPU interface. Every interrupt is Group 1 (with
 * GICD_CTLR.DS = 1, Group 0 would be FIQs).
 */
#include "gic_priv.h"
#include <lg/board.h>
#include <lg/cpu.h>
#include <lg/mmio.h>
#include <lg/test.h>

#define GICD_CTLR_RWP (1U << 31)
/* ARE (ARE_NS when DS = 0), EnableGrp1 (EnableGrp1A), EnableGrp0
 * (EnableGrp1NS): the same bits Linux sets, whichever view this is. */
#define GICD_CTLR_ENABLE 0x13U
#define GICR_CTLR_RWP (1U << 3)
#define GICR_FRAME 0x20000UL
#define ICC_SRE_ENABLE 7UL /* SRE, DFB, DIB */
#define ICC_CTLR_EOIMODE (1UL << 1)
#define ICC_SGI1R_IRM (1UL << 40)
/* Polls of a status bit before giving up (each is one MMIO read). */
#define GIC_POLLS 1000000

static void gic_v3_wait(uintptr_t reg, uint32_t bit, const char *what)
{
	for (unsigned int i = 0; i < GIC_POLLS; i++) {
		if (!(mmio_read32(reg) & bit))
			return;
	}
	test_fail("CPU%u: %s stuck at 1", cpu_index(), what);
}

void gic_v3_wait_rwp(unsigned int intid)
{
	if (intid < GIC_SPI_BASE)
		gic_v3_wait(gic.rd[cpu_index()] + GICR_CTLR, GICR_CTLR_RWP,
			    "GICR_CTLR.RWP");
	else
		gic_v3_wait(gic.dist + GICD_CTLR, GICD_CTLR_RWP,
			    "GICD_CTLR.RWP");
}

/* GICR_TYPER.Affinity_Value packs Aff3.Aff2.Aff1.Aff0 (IHI 0069, 12.11.35). */
static uint32_t gic_v3_aff32(uint64_t mpidr)
{
	return (uint32_t)((mpidr >> 8 & 0xff000000) | (mpidr & 0xffffff));
}

/* Finds every CPU's redistributor frame (RD_base). */
static void gic_v3_map_redists(void)
{
	for (unsigned int c = 0; c < LG_MAX_CPUS; c++)
		gic.rd[c] = 0;
	for (unsigned int r = 0; r < gic.nr_redist; r++) {
		for (uint64_t off = 0; off < gic.redist_size[r];) {
			uintptr_t rd = gic.redist[r] + off;
			uint64_t typer = mmio_read64(rd + GICR_TYPER);

			for (unsigned int c = 0; c < board_cpu_count(); c++) {
				if ((uint32_t)(typer >> 32) ==
				    gic_v3_aff32(board_cpu_mpidr(c)))
					gic.rd[c] = rd;
			}
			if (typer & GICR_TYPER_LAST)
				break;
			off += typer & GICR_TYPER_VLPIS ? 2 * GICR_FRAME :
							  GICR_FRAME;
		}
	}
}

void gic_v3_dist_init(void)
{
	uint64_t self = board_cpu_mpidr(cpu_index());

	gic_v3_map_redists();
	mmio_write32(gic.dist + GICD_CTLR, 0);
	gic_v3_wait_rwp(GIC_SPI_BASE);
	gic_reset_range(gic.dist, GIC_SPI_BASE, gic.nr_intids, true);
	for (unsigned int i = GIC_SPI_BASE; i < gic.nr_intids; i++)
		mmio_write64(gic.dist + GICD_IROUTER + i * 8UL,
			     self & MPIDR_AFF_MASK);
	gic_v3_wait_rwp(GIC_SPI_BASE);
	mmio_write32(gic.dist + GICD_CTLR, GICD_CTLR_ENABLE);
	gic_v3_wait_rwp(GIC_SPI_BASE);
}

void gic_v3_cpu_init(void)
{
	uintptr_t rd = gic.rd[cpu_index()];
	uint32_t waker;

	if (!rd)
		test_abort("no GICv3 redistributor for this CPU's MPIDR");
	waker = mmio_read32(rd + GICR_WAKER);
	mmio_write32(rd + GICR_WAKER, waker & ~GICR_WAKER_PROCESSOR_SLEEP);
	gic_v3_wait(rd + GICR_WAKER, GICR_WAKER_CHILDREN_ASLEEP,
		    "GICR_WAKER.ChildrenAsleep");
	gic_reset_range(rd + GICR_SGI_OFFSET, 0, GIC_SPI_BASE, true);
	gic_v3_wait_rwp(0);
	write_sysreg(read_sysreg(icc_sre_el1) | ICC_SRE_ENABLE, icc_sre_el1);
	isb();
	write_sysreg(GIC_PRIO_IDLE, icc_pmr_el1);
	/* The smallest binary point: every priority bit preempts (clamped
	 * to the implementation's minimum). */
	write_sysreg(0, icc_bpr1_el1);
	write_sysreg(read_sysreg(icc_ctlr_el1) & ~ICC_CTLR_EOIMODE,
		     icc_ctlr_el1);
	write_sysreg(1, icc_igrpen1_el1);
	isb();
}

uint32_t gic_v3_ack(void)
{
	uint64_t iar = read_sysreg(icc_iar1_el1);

	/* Reads of the interrupt's source must follow the acknowledge. */
	__asm__ volatile("dsb sy" ::: "memory");
	return (uint32_t)iar;
}

void gic_v3_eoi(uint32_t iar)
{
	write_sysreg(iar, icc_eoir1_el1);
	isb();
}

void gic_v3_dir(uint32_t iar)
{
	write_sysreg(iar, icc_dir_el1);
	isb();
}

void gic_v3_set_pmr(uint8_t prio)
{
	write_sysreg(prio, icc_pmr_el1);
	isb();
}

uint8_t gic_v3_pmr(void)
{
	return (uint8_t)read_sysreg(icc_pmr_el1);
}

uint8_t gic_v3_rpr(void)
{
	return (uint8_t)read_sysreg(icc_rpr_el1);
}

void gic_v3_set_eoimode(bool split)
{
	uint64_t ctlr = read_sysreg(icc_ctlr_el1);

	ctlr = split ? ctlr | ICC_CTLR_EOIMODE : ctlr & ~ICC_CTLR_EOIMODE;
	write_sysreg(ctlr, icc_ctlr_el1);
	isb();
}

/* ICC_SGI1R_EL1 (IHI 0069, 12.2.23): Aff3.Aff2.Aff1 and RS (Aff0 / 16)
 * name a group of 16 PEs, TargetList the Aff0 % 16 bits within it. */
static uint64_t gic_v3_sgi_cluster(uint64_t mpidr)
{
	return (mpidr >> 32 & 0xff) << 48 | (mpidr >> 16 & 0xff) << 32 |
	       (mpidr >> 8 & 0xff) << 16 | (mpidr >> 4 & 0xf) << 44;
}

void gic_v3_send_sgi_mask(uint32_t cpus, unsigned int intid)
{
	uint32_t left = cpus;

	while (left) {
		unsigned int first = (unsigned int)__builtin_ctz(left);
		uint64_t cluster = gic_v3_sgi_cluster(board_cpu_mpidr(first));
		uint64_t list = 0;

		for (unsigned int c = first; c < LG_MAX_CPUS; c++) {
			uint64_t mpidr = board_cpu_mpidr(c);

			if (!(left & (1U << c)) ||
			    gic_v3_sgi_cluster(mpidr) != cluster)
				continue;
			list |= 1UL << (mpidr & 0xf);
			left &= ~(1U << c);
		}
		write_sysreg(cluster | (uint64_t)(intid & 0xf) << 24 | list,
			     icc_sgi1r_el1);
	}
	isb();
}

void gic_v3_send_sgi_others(unsigned int intid)
{
	write_sysreg(ICC_SGI1R_IRM | (uint64_t)(intid & 0xf) << 24,
		     icc_sgi1r_el1);
	isb();
}

void gic_v3_route_spi(unsigned int intid, unsigned int cpu)
{
	mmio_write64(gic.dist + GICD_IROUTER + intid * 8UL,
		     board_cpu_mpidr(cpu) & MPIDR_AFF_MASK);
}
