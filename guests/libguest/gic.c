// SPDX-License-Identifier: MIT
/*
 * The GIC, common part: finding it in the DTB, the per-INTID handler
 * registry and IRQ dispatch, and the distributor registers GICv2 and
 * GICv3 share (GIC architecture spec IHI 0069, 12.9; IHI 0048B, 4.3).
 */
#include "gic_priv.h"
#include <lg/board.h>
#include <lg/cpu.h>
#include <lg/exc.h>
#include <lg/mmio.h>
#include <lg/test.h>
#include <libfdt.h>

/** A registered handler. */
struct gic_slot {
	gic_handler_t fn;
	void *arg;
};

struct gic_state gic;
static struct gic_slot gic_slots[GIC_INTID_SPECIAL];

static uint64_t gic_cells(const fdt32_t *p, int cells)
{
	uint64_t v = 0;

	for (int i = 0; i < cells; i++)
		v = (v << 32) | fdt32_ld(&p[i]);
	return v;
}

/* Fills @base/@size with the node's reg entries; returns how many. */
static unsigned int gic_dt_regs(const void *fdt, int node, uint64_t *base,
				uint64_t *size, unsigned int max)
{
	int parent = fdt_parent_offset(fdt, node);
	int ac = fdt_address_cells(fdt, parent);
	int sc = fdt_size_cells(fdt, parent);
	int len;
	const fdt32_t *reg = fdt_getprop(fdt, node, "reg", &len);
	unsigned int n = 0;

	if (!reg || ac < 1 || ac > 2 || sc < 1 || sc > 2)
		return 0;
	for (int off = 0; off + (ac + sc) * 4 <= len && n < max;
	     off += (ac + sc) * 4, n++) {
		base[n] = gic_cells(reg + off / 4, ac);
		size[n] = gic_cells(reg + off / 4 + ac, sc);
	}
	return n;
}

static bool gic_probe(void)
{
	static const char *const v2_compat[] = { "arm,cortex-a15-gic",
						 "arm,gic-400",
						 "arm,cortex-a9-gic" };
	const void *fdt = board_dtb();
	uint64_t base[2 + GIC_MAX_REDIST_REGIONS],
		size[2 + GIC_MAX_REDIST_REGIONS];
	unsigned int n;
	int node = fdt_node_offset_by_compatible(fdt, -1, "arm,gic-v3");

	if (node >= 0) {
		const fdt32_t *p =
			fdt_getprop(fdt, node, "#redistributor-regions", NULL);
		unsigned int nr = p ? fdt32_ld(p) : 1;

		n = gic_dt_regs(fdt, node, base, size,
				1 + GIC_MAX_REDIST_REGIONS);
		if (nr < 1 || nr > GIC_MAX_REDIST_REGIONS || n < 1 + nr)
			return false;
		gic.version = 3;
		gic.dist = base[0];
		gic.nr_redist = nr;
		for (unsigned int i = 0; i < nr; i++) {
			gic.redist[i] = base[1 + i];
			gic.redist_size[i] = size[1 + i];
		}
		return true;
	}
	for (unsigned int i = 0; i < sizeof(v2_compat) / sizeof(v2_compat[0]);
	     i++) {
		node = fdt_node_offset_by_compatible(fdt, -1, v2_compat[i]);
		if (node < 0)
			continue;
		if (gic_dt_regs(fdt, node, base, size, 2) < 2)
			return false;
		gic.version = 2;
		gic.dist = base[0];
		gic.cpuif = base[1];
		return true;
	}
	return false;
}

bool gic_init(void)
{
	unsigned int lines;

	irq_mask();
	if (!gic.version && !gic_probe())
		return false;
	lines = mmio_read32(gic.dist + GICD_TYPER) & 0x1f;
	gic.nr_intids = 32 * (lines + 1);
	if (gic.nr_intids > GIC_INTID_SPECIAL)
		gic.nr_intids = GIC_INTID_SPECIAL;
	for (unsigned int i = 0; i < GIC_INTID_SPECIAL; i++)
		gic_slots[i] = (struct gic_slot){ 0 };
	if (gic.version == 3)
		gic_v3_dist_init();
	else
		gic_v2_dist_init();
	gic_cpu_init();
	return true;
}

void gic_cpu_init(void)
{
	irq_mask();
	if (gic.version == 3)
		gic_v3_cpu_init();
	else
		gic_v2_cpu_init();
	gic.eoimode[cpu_index()] = false;
	exc_set_irq_handler(gic_irq_entry);
}

unsigned int gic_version(void)
{
	return gic.version;
}

unsigned int gic_nr_intids(void)
{
	return gic.nr_intids;
}

uintptr_t gic_dist_base(void)
{
	return gic.dist;
}

uintptr_t gic_cpuif_base(void)
{
	return gic.cpuif;
}

uintptr_t gic_redist_base(unsigned int cpu)
{
	return cpu < LG_MAX_CPUS ? gic.rd[cpu] : 0;
}

uintptr_t gic_intid_frame(unsigned int intid)
{
	if (gic.version == 3 && intid < GIC_SPI_BASE)
		return gic.rd[cpu_index()] + GICR_SGI_OFFSET;
	return gic.dist;
}

unsigned int gic_cpu_if(unsigned int cpu)
{
	return cpu < LG_MAX_CPUS ? gic.cpu_if[cpu] : 0;
}

void gic_reset_range(uintptr_t base, unsigned int first, unsigned int last,
		     bool group1)
{
	for (unsigned int i = first; i < last; i += 32) {
		uintptr_t off = i / 32 * 4;

		mmio_write32(base + GICD_ICENABLER + off, ~0U);
		mmio_write32(base + GICD_ICPENDR + off, ~0U);
		mmio_write32(base + GICD_ICACTIVER + off, ~0U);
		mmio_write32(base + GICD_IGROUPR + off, group1 ? ~0U : 0);
	}
	for (unsigned int i = first; i < last; i += 4)
		mmio_write32(base + GICD_IPRIORITYR + i,
			     GIC_PRIO_DEFAULT * 0x01010101U);
	/* ICFGR0 (SGIs) is read-only; from 16 on, level-sensitive. */
	for (unsigned int i = first < GIC_PPI_BASE ? GIC_PPI_BASE : first;
	     i < last; i += 16)
		mmio_write32(base + GICD_ICFGR + i / 16 * 4, 0);
}

void gic_set_handler(unsigned int intid, gic_handler_t fn, void *arg)
{
	if (intid >= GIC_INTID_SPECIAL)
		return;
	gic_slots[intid].fn = NULL;
	__asm__ volatile("dmb ish" ::: "memory");
	gic_slots[intid].arg = arg;
	__asm__ volatile("dmb ish" ::: "memory");
	gic_slots[intid].fn = fn;
}

bool gic_irq_entry(struct exc_frame *frame, unsigned int kind)
{
	struct gic_irq irq = { 0 };
	struct gic_slot slot;

	(void)frame;
	(void)kind;
	irq.iar = gic_ack();
	irq.intid = gic_iar_intid(irq.iar);
	if (irq.intid >= GIC_INTID_SPECIAL)
		return true; /* spurious: nothing to complete */
	if (gic.version == 2 && irq.intid < GIC_NR_SGIS)
		irq.source = (irq.iar >> 10) & 7;
	slot = gic_slots[irq.intid];
	if (slot.fn)
		slot.fn(&irq, slot.arg);
	else
		test_fail("CPU%u: IRQ %u with no handler", cpu_index(),
			  irq.intid);
	if (!irq.eoi_done)
		gic_irq_eoi(&irq);
	if (!irq.dir_done && !irq.keep_active)
		gic_irq_dir(&irq);
	return true;
}

void gic_set_pmr(uint8_t prio)
{
	if (gic.version == 3)
		gic_v3_set_pmr(prio);
	else
		gic_v2_set_pmr(prio);
}

uint8_t gic_pmr(void)
{
	return gic.version == 3 ? gic_v3_pmr() : gic_v2_pmr();
}

uint8_t gic_running_priority(void)
{
	return gic.version == 3 ? gic_v3_rpr() : gic_v2_rpr();
}

void gic_set_eoimode(bool split)
{
	if (gic.version == 3)
		gic_v3_set_eoimode(split);
	else
		gic_v2_set_eoimode(split);
	gic.eoimode[cpu_index()] = split;
}

bool gic_eoimode(void)
{
	return gic.eoimode[cpu_index()];
}

uint32_t gic_ack(void)
{
	return gic.version == 3 ? gic_v3_ack() : gic_v2_ack();
}

void gic_eoi(uint32_t iar)
{
	if (gic.version == 3)
		gic_v3_eoi(iar);
	else
		gic_v2_eoi(iar);
}

void gic_dir(uint32_t iar)
{
	if (gic.version == 3)
		gic_v3_dir(iar);
	else
		gic_v2_dir(iar);
}

unsigned int gic_iar_intid(uint32_t iar)
{
	return gic.version == 3 ? iar & 0xffffff : iar & 0x3ff;
}

void gic_irq_eoi(struct gic_irq *irq)
{
	gic_eoi(irq->iar);
	irq->eoi_done = true;
	if (!gic_eoimode())
		irq->dir_done = true;
}

void gic_irq_dir(struct gic_irq *irq)
{
	if (irq->dir_done)
		return;
	gic_dir(irq->iar);
	irq->dir_done = true;
}

void gic_send_sgi(unsigned int cpu, unsigned int intid)
{
	gic_send_sgi_mask(1U << cpu, intid);
}

void gic_send_sgi_mask(uint32_t cpus, unsigned int intid)
{
	uint32_t targets = 0;

	/* The SGI must not overtake the caller's earlier stores. */
	__asm__ volatile("dsb ish" ::: "memory");
	if (gic.version == 3) {
		gic_v3_send_sgi_mask(cpus, intid);
		return;
	}
	for (unsigned int i = 0; i < LG_MAX_CPUS; i++) {
		if (cpus & (1U << i))
			targets |= 1U << gic.cpu_if[i];
	}
	gic_v2_sgir(0, targets, intid);
}

void gic_send_sgi_others(unsigned int intid)
{
	__asm__ volatile("dsb ish" ::: "memory");
	if (gic.version == 3)
		gic_v3_send_sgi_others(intid);
	else
		gic_v2_sgir(1, 0, intid);
}

void gic_send_sgi_self(unsigned int intid)
{
	__asm__ volatile("dsb ish" ::: "memory");
	if (gic.version == 3)
		gic_v3_send_sgi_mask(1U << cpu_index(), intid);
	else
		gic_v2_sgir(2, 0, intid);
}

static uintptr_t gic_bit_reg(unsigned int intid, uintptr_t reg)
{
	return gic_intid_frame(intid) + reg + intid / 32 * 4;
}

static bool gic_test_bit(unsigned int intid, uintptr_t reg)
{
	return mmio_read32(gic_bit_reg(intid, reg)) & (1U << (intid % 32));
}

void gic_set_enable(unsigned int intid, bool on)
{
	mmio_write32(gic_bit_reg(intid, on ? GICD_ISENABLER : GICD_ICENABLER),
		     1U << (intid % 32));
	/* A disable is complete only once RWP clears (IHI 0069, 12.9.4). */
	if (!on && gic.version == 3)
		gic_v3_wait_rwp(intid);
}

bool gic_is_enabled(unsigned int intid)
{
	return gic_test_bit(intid, GICD_ISENABLER);
}

void gic_set_pending(unsigned int intid, bool on)
{
	mmio_write32(gic_bit_reg(intid, on ? GICD_ISPENDR : GICD_ICPENDR),
		     1U << (intid % 32));
}

bool gic_is_pending(unsigned int intid)
{
	return gic_test_bit(intid, GICD_ISPENDR);
}

void gic_set_active(unsigned int intid, bool on)
{
	mmio_write32(gic_bit_reg(intid, on ? GICD_ISACTIVER : GICD_ICACTIVER),
		     1U << (intid % 32));
}

bool gic_is_active(unsigned int intid)
{
	return gic_test_bit(intid, GICD_ISACTIVER);
}

void gic_set_priority(unsigned int intid, uint8_t prio)
{
	mmio_write8(gic_intid_frame(intid) + GICD_IPRIORITYR + intid, prio);
}

uint8_t gic_priority(unsigned int intid)
{
	return mmio_read8(gic_intid_frame(intid) + GICD_IPRIORITYR + intid);
}

void gic_set_edge(unsigned int intid, bool edge)
{
	uintptr_t reg = gic_intid_frame(intid) + GICD_ICFGR + intid / 16 * 4;
	uint32_t bit = 2U << (intid % 16 * 2);
	uint32_t v = mmio_read32(reg);

	if (intid < GIC_NR_SGIS)
		return;
	mmio_write32(reg, edge ? v | bit : v & ~bit);
}

void gic_route_spi(unsigned int intid, unsigned int cpu)
{
	if (intid < GIC_SPI_BASE)
		return;
	if (gic.version == 3)
		gic_v3_route_spi(intid, cpu);
	else
		gic_v2_route_spi(intid, cpu);
}
