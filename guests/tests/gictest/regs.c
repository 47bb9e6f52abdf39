// SPDX-License-Identifier: MIT
/* Register-level behaviour of the distributor and redistributors. */
#include "gictest.h"

#define GICD_RESERVED_A 0x014 /* 0x014-0x01c reserved in GICv2 and v3 */
#define GICD_RESERVED_B 0x060 /* 0x060-0x07c reserved in GICv2 and v3 */
#define GICD_TYPER_CPUS(t) ((((t) >> 5) & 7) + 1)
#define PIDR2_ARCHREV(v) (((v) >> 4) & 0xf)
#define REG_PPI 20

/* A read-only register: writing its complement changes nothing. */
static bool regs_read_only(uintptr_t base, uintptr_t off, const char *name)
{
	uint32_t v = mmio_read32(base + off);
	uint32_t after;

	mmio_write32(base + off, ~v);
	after = mmio_read32(base + off);
	if (after != v)
		test_fail("%s (0x%lx) read 0x%x, 0x%x after writing 0x%x", name,
			  (unsigned long)off, v, after, ~v);
	return after == v;
}

static bool regs_reserved(uintptr_t base, uintptr_t from, uintptr_t to)
{
	for (uintptr_t off = from; off < to; off += 4) {
		uint32_t v;

		mmio_write32(base + off, ~0U);
		v = mmio_read32(base + off);
		if (v != 0) {
			test_fail("reserved GICD+0x%lx reads 0x%x, want 0",
				  (unsigned long)off, v);
			return false;
		}
	}
	return true;
}

static void regs_ids(uintptr_t d)
{
	uint32_t typer = mmio_read32(d + GICD_TYPER);
	uint32_t pidr2 = mmio_read32(
		d + (gic_version() == 3 ? GICD_PIDR2_V3 : GICD_PIDR2_V2));
	unsigned int rev = PIDR2_ARCHREV(pidr2);

	printf("# GICD_TYPER 0x%x (%u INTIDs), IIDR 0x%x, PIDR2 0x%x\n", typer,
	       gic_nr_intids(), mmio_read32(d + GICD_IIDR), pidr2);
	EXPECT(gic_nr_intids() >= 64,
	       "GICD_TYPER.ITLinesNumber %u: %u INTIDs, want at least 64",
	       typer & 0x1f, gic_nr_intids());
	if (gic_version() == 2) {
		EXPECT(GICD_TYPER_CPUS(typer) == board_cpu_count(),
		       "GICD_TYPER.CPUNumber says %u CPUs, the DTB %u",
		       GICD_TYPER_CPUS(typer), board_cpu_count());
		EXPECT(rev == 2, "GICD_ICPIDR2.ArchRev %u, want 2", rev);
	} else {
		EXPECT(rev == 3 || rev == 4,
		       "GICD_PIDR2.ArchRev %u, want 3 or 4", rev);
	}
	if (!regs_read_only(d, GICD_TYPER, "GICD_TYPER") ||
	    !regs_read_only(d, GICD_IIDR, "GICD_IIDR"))
		return;
	if (!regs_reserved(d, GICD_RESERVED_A, GICD_RESERVED_A + 12))
		return;
	regs_reserved(d, GICD_RESERVED_B, GICD_RESERVED_B + 0x20);
}

/* IPRIORITYR of one word of 4 INTIDs (@frame: GICD or an SGI frame). */
static void regs_priority(uintptr_t frame, unsigned int first)
{
	uintptr_t word = frame + GICD_IPRIORITYR + first;
	uint8_t mask, b;
	uint32_t w, want;

	mmio_write8(word, 0xff);
	mask = mmio_read8(word);
	printf("# IPRIORITYR implemented bits 0x%02x\n", mask);
	EXPECT((mask & 0xf0) == 0xf0 &&
		       (uint8_t)(mask & (mask - 1)) == (uint8_t)(mask << 1),
	       "INTID %u: priority 0xff reads 0x%x, want at least 4 top bits",
	       first, mask);
	mmio_write32(word, 0x87654321);
	want = 0x87654321 & (mask * 0x01010101U);
	w = mmio_read32(word);
	EXPECT(w == want,
	       "IPRIORITYR INTIDs %u-%u: wrote 0x87654321, read 0x%x, want 0x%x",
	       first, first + 3, w, want);
	for (unsigned int i = 0; i < 4; i++) {
		b = mmio_read8(word + i);
		EXPECT(b == (uint8_t)(want >> (8 * i)),
		       "IPRIORITYR byte of INTID %u reads 0x%x, word has 0x%x",
		       first + i, b, (uint8_t)(want >> (8 * i)));
	}
	mmio_write8(word + 2, 0x40);
	want = (want & ~0xff0000U) | 0x400000U;
	w = mmio_read32(word);
	EXPECT(w == want,
	       "IPRIORITYR INTIDs %u-%u: after a byte write 0x40 to INTID %u, read 0x%x, want 0x%x",
	       first, first + 3, first + 2, w, want);
}

/* ISENABLER/ICENABLER write-1-to-set/clear on one word. */
static void regs_enables(uintptr_t frame, unsigned int a, unsigned int b)
{
	uintptr_t set = frame + GICD_ISENABLER + a / 32 * 4;
	uintptr_t clr = frame + GICD_ICENABLER + a / 32 * 4;
	uint32_t ba = 1U << (a % 32), bb = 1U << (b % 32), v;

	mmio_write32(clr, ba | bb);
	mmio_write32(set, ba);
	mmio_write32(set, bb);
	v = mmio_read32(set) & (ba | bb);
	EXPECT(v == (ba | bb),
	       "ISENABLER: set INTID %u then %u, read 0x%x (the second write cleared the first?)",
	       a, b, v);
	mmio_write32(clr, ba);
	v = mmio_read32(clr) & (ba | bb);
	EXPECT(v == bb, "ICENABLER INTID %u: enables read 0x%x, want 0x%x", a,
	       v, bb);
	mmio_write32(clr, bb);
	v = mmio_read32(set) & (ba | bb);
	EXPECT(v == 0, "ICENABLER INTID %u: enables read 0x%x, want 0", b, v);
}

/* SGI enables: programmable, or (GICv2 allows it) RAO/WI. */
static void regs_sgi_enables(uintptr_t frame)
{
	uint32_t v = mmio_read32(frame + GICD_ISENABLER) & 0xffff;

	if (v == 0xffff) {
		mmio_write32(frame + GICD_ICENABLER, 0xffff);
		v = mmio_read32(frame + GICD_ISENABLER) & 0xffff;
		printf("# SGI enables: RAO/WI\n");
		EXPECT(v == 0xffff,
		       "SGI enables read as all set but ICENABLER cleared some: 0x%x",
		       v);
		EXPECT(gic_version() == 2,
		       "SGI enables read 0xffff after gic_cpu_init cleared them");
		return;
	}
	printf("# SGI enables: programmable\n");
	regs_enables(frame, 3, 12);
}

static void regs_icfgr(uintptr_t frame)
{
	uint32_t v = mmio_read32(frame + GICD_ICFGR);

	printf("# ICFGR0 (SGIs) 0x%x\n", v);
	if (!regs_read_only(frame, GICD_ICFGR, "ICFGR0 (SGIs)"))
		return;
	EXPECT((v & 0xaaaaaaaa) == 0xaaaaaaaa,
	       "ICFGR0 0x%x: SGIs not all edge-triggered", v);
}

static unsigned int regs_if_seen;

static void regs_read_own_if(void)
{
	regs_if_seen = mmio_read8(gic_dist_base() + GICD_ITARGETSR + 5);
}

static void regs_itargetsr(uintptr_t d)
{
	unsigned int cpus = GICD_TYPER_CPUS(mmio_read32(d + GICD_TYPER));
	uint8_t all = (uint8_t)((1U << cpus) - 1), self, v;
	unsigned int spi = gt_spi(8);
	uint32_t w;

	self = mmio_read8(d + GICD_ITARGETSR);
	if (cpus == 1) {
		/* Uniprocessor: every ITARGETSR is RAZ/WI (IHI 0048B 4.3.12). */
		mmio_write8(d + GICD_ITARGETSR + spi, 0xff);
		v = mmio_read8(d + GICD_ITARGETSR + spi);
		EXPECT(self == 0 && v == 0,
		       "one CPU interface: ITARGETSR of INTID 0 reads 0x%x, of SPI %u 0x%x after writing 0xff; want RAZ/WI",
		       self, spi, v);
		return;
	}
	for (unsigned int i = 0; i < GIC_SPI_BASE; i++) {
		v = mmio_read8(d + GICD_ITARGETSR + i);
		EXPECT(v == self && v == 1U << gic_cpu_if(0),
		       "ITARGETSR of private INTID %u reads 0x%x, INTID 0 0x%x, want CPU0's mask 0x%x",
		       i, v, self, 1U << gic_cpu_if(0));
	}
	if (!regs_read_only(d, GICD_ITARGETSR + 4, "ITARGETSR1"))
		return;
	mmio_write8(d + GICD_ITARGETSR + spi, 0xff);
	v = mmio_read8(d + GICD_ITARGETSR + spi);
	/* Bits of CPU interfaces that do not exist are RAZ/WI (IHI 0048B
	 * 4.3.12); QEMU keeps all 8. */
	if (v == 0xff && all != 0xff && gt_native()) {
		printf("# QEMU deviation tolerated: ITARGETSR keeps bits of absent CPU interfaces (0xff, want 0x%x)\n",
		       all);
		all = 0xff;
	}
	EXPECT(v == all,
	       "ITARGETSR of SPI %u: wrote 0xff, read 0x%x, want 0x%x (%u CPU interfaces)",
	       spi, v, all, cpus);
	mmio_write32(d + GICD_ITARGETSR + spi,
		     0x01020401U & (all * 0x01010101U));
	w = mmio_read32(d + GICD_ITARGETSR + spi);
	EXPECT(w == (0x01020401U & (all * 0x01010101U)),
	       "ITARGETSR of SPIs %u-%u: word write 0x%x read 0x%x", spi,
	       spi + 3, 0x01020401U & (all * 0x01010101U), w);
	v = mmio_read8(d + GICD_ITARGETSR + spi + 2);
	EXPECT(v == (0x02 & all), "ITARGETSR byte of SPI %u: 0x%x, want 0x%x",
	       spi + 2, v, 0x02 & all);
	if (board_cpu_count() < 2)
		return;
	if (!gt_start(2, 0, gt_serve))
		return;
	gt_call(1, regs_read_own_if);
	if (gt_call_wait(1))
		EXPECT(regs_if_seen == 1U << gic_cpu_if(1) &&
			       regs_if_seen != self,
		       "CPU1 reads ITARGETSR of INTID 5 as 0x%x (CPU0 0x%x)",
		       regs_if_seen, self);
	gt_finish(2);
}

static void regs_irouter(uintptr_t d)
{
	unsigned int spi = gt_spi(8);
	uintptr_t r = d + GICD_IROUTER + spi * 8UL;
	uint64_t aff = board_cpu_mpidr(board_cpu_count() - 1) & MPIDR_AFF_MASK;
	uint64_t v;

	mmio_write64(r, aff | 0x0100000000UL);
	v = mmio_read64(r);
	EXPECT(v == (aff | 0x0100000000UL),
	       "IROUTER of SPI %u: 64-bit write 0x%llx, read 0x%llx", spi,
	       (unsigned long long)(aff | 0x0100000000UL),
	       (unsigned long long)v);
	EXPECT(mmio_read32(r) == (uint32_t)v && mmio_read32(r + 4) == v >> 32,
	       "IROUTER of SPI %u: 32-bit halves 0x%x 0x%x, 64-bit 0x%llx", spi,
	       mmio_read32(r), mmio_read32(r + 4), (unsigned long long)v);
	mmio_write32(r + 4, 0);
	mmio_write32(r, (uint32_t)aff);
	v = mmio_read64(r);
	EXPECT(v == aff, "IROUTER of SPI %u: 32-bit writes 0x%llx, read 0x%llx",
	       spi, (unsigned long long)aff, (unsigned long long)v);
}

TEST(dist_regs)
{
	uintptr_t d;
	uintptr_t priv;

	GT_SETUP();
	d = gic_dist_base();
	priv = gic_intid_frame(0);
	regs_ids(d);
	if (test_failed())
		return;
	regs_priority(d, gt_spi(4));
	regs_priority(priv, 8);
	if (test_failed())
		return;
	regs_enables(d, gt_spi(1), gt_spi(30));
	regs_sgi_enables(priv);
	regs_icfgr(priv);
	if (test_failed())
		return;
	if (gic_version() == 2)
		regs_itargetsr(d);
	else
		regs_irouter(d);
}

/* GICR_TYPER.Affinity_Value packs Aff3.Aff2.Aff1.Aff0. */
static uint32_t regs_aff32(uint64_t mpidr)
{
	return (uint32_t)((mpidr >> 8 & 0xff000000) | (mpidr & 0xffffff));
}

static void regs_redist_one(unsigned int c, unsigned int n, uint32_t *procs)
{
	uintptr_t rd = gic_redist_base(c);
	uint64_t typer = mmio_read64(rd + GICR_TYPER);
	uint32_t waker = mmio_read32(rd + GICR_WAKER);
	uint32_t ctlr = mmio_read32(rd + GICR_CTLR);
	unsigned int rev = PIDR2_ARCHREV(mmio_read32(rd + GICR_PIDR2));
	unsigned int proc = (unsigned int)(typer >> 8 & 0xffff);
	bool last = typer & GICR_TYPER_LAST;

	printf("# CPU%u: GICR at 0x%lx TYPER 0x%llx WAKER 0x%x CTLR 0x%x IIDR 0x%x\n",
	       c, (unsigned long)rd, (unsigned long long)typer, waker, ctlr,
	       mmio_read32(rd + GICR_IIDR));
	EXPECT((uint32_t)(typer >> 32) == regs_aff32(board_cpu_mpidr(c)),
	       "CPU%u: GICR_TYPER affinity 0x%x, MPIDR 0x%llx", c,
	       (uint32_t)(typer >> 32), (unsigned long long)board_cpu_mpidr(c));
	EXPECT(mmio_read32(rd + GICR_TYPER) == (uint32_t)typer &&
		       mmio_read32(rd + GICR_TYPER + 4) == typer >> 32,
	       "CPU%u: GICR_TYPER 32-bit halves differ from 0x%llx", c,
	       (unsigned long long)typer);
	EXPECT(last == (c == n - 1),
	       "CPU%u (frame %u of %u): GICR_TYPER.Last = %d", c, c + 1, n,
	       last);
	EXPECT(proc < 32 && !(*procs & (1U << proc)),
	       "CPU%u: GICR_TYPER.Processor_Number %u repeated or too big", c,
	       proc);
	*procs |= 1U << proc;
	EXPECT(!(waker &
		 (GICR_WAKER_PROCESSOR_SLEEP | GICR_WAKER_CHILDREN_ASLEEP)),
	       "CPU%u: GICR_WAKER 0x%x after waking", c, waker);
	EXPECT(!(ctlr & 1), "CPU%u: GICR_CTLR 0x%x: LPIs enabled", c, ctlr);
	EXPECT(rev == 3 || rev == 4, "CPU%u: GICR_PIDR2.ArchRev %u", c, rev);
	if (regs_read_only(rd, GICR_TYPER, "GICR_TYPER"))
		regs_read_only(rd, GICR_IIDR, "GICR_IIDR");
}

/* CPU @c's SGI frame, written from CPU0, and CPU0's untouched. */
static void regs_redist_sgi(unsigned int c)
{
	uintptr_t sgi = gic_redist_base(c) + GICR_SGI_OFFSET;
	uintptr_t own = gic_redist_base(0) + GICR_SGI_OFFSET;
	uint8_t p;

	regs_enables(sgi, REG_PPI, REG_PPI + 3);
	mmio_write32(sgi + GICD_ISENABLER, 1U << REG_PPI);
	EXPECT(!(mmio_read32(own + GICD_ISENABLER) & (1U << REG_PPI)),
	       "enabling PPI %u in CPU%u's redistributor enabled CPU0's",
	       REG_PPI, c);
	mmio_write32(sgi + GICD_ICENABLER, 1U << REG_PPI);
	mmio_write8(sgi + GICD_IPRIORITYR + REG_PPI, 0x50);
	p = mmio_read8(sgi + GICD_IPRIORITYR + REG_PPI);
	EXPECT(p == 0x50, "CPU%u: PPI %u priority 0x50 reads 0x%x", c, REG_PPI,
	       p);
	p = mmio_read8(own + GICD_IPRIORITYR + REG_PPI);
	EXPECT(p == GIC_PRIO_DEFAULT,
	       "CPU%u's PPI %u priority changed CPU0's: 0x%x", c, REG_PPI, p);
}

TEST(redist_regs)
{
	unsigned int n = board_cpu_count();
	uint32_t procs = 0;

	GT_SETUP();
	if (gic_version() != 3)
		SKIP("GICv%u: no redistributors (GICv3 only)", gic_version());
	if (!gt_start(n, 0, gt_serve))
		goto out;
	for (unsigned int c = 0; c < n && !test_failed(); c++) {
		if (!gic_redist_base(c)) {
			test_fail("CPU%u (MPIDR 0x%llx): no redistributor", c,
				  (unsigned long long)board_cpu_mpidr(c));
			break;
		}
		regs_redist_one(c, n, &procs);
	}
	if (n > 1 && !test_failed())
		regs_redist_sgi(n - 1);
out:
	gt_finish(n);
}
