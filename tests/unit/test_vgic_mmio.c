// SPDX-License-Identifier: MIT
/*
 * core/vgic/vgic_mmio.c register by register, as a guest driver sees the
 * virtual distributor (GICv3 IHI 0069 §12.9, GICv2 IHI 0048B §4.3), the
 * GICv3 redistributors (§12.10, §12.11) and the trapped GICv2 GICC_DIR,
 * on VMs made by vm_create_all() (tests/unit/util.c): set and clear pairs
 * of the bit-per-interrupt registers, the byte-per-interrupt ones at each
 * access width, interrupt configuration, the SGI registers, and reserved
 * space, which reads as zero and ignores writes. test_vgic.c has the
 * interrupt model behind them and the remaining registers (IROUTER,
 * GICR_TYPER, GICR_WAKER).
 */
#include <kairos/profile_virt.h>
#include <kairos/vgic.h>
#include <kairos/vm.h>
#include <kairos/vmmio.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

/* cmocka.h needs <setjmp.h>, <stdarg.h> and <stddef.h> first. */
#include <cmocka.h>

#include "fake.h"
#include "util.h"

/* Distributor (both versions) */
#define CTLR 0x0000
#define TYPER 0x0004
#define IIDR 0x0008
#define IGROUPR 0x0080
#define ISENABLER 0x0100
#define ICENABLER 0x0180
#define ISPENDR 0x0200
#define ICPENDR 0x0280
#define ISACTIVER 0x0300
#define ICACTIVER 0x0380
#define IPRIORITYR 0x0400
#define ITARGETSR 0x0800
#define ICFGR 0x0c00
#define SGIR 0x0f00
#define CPENDSGIR 0x0f10
#define SPENDSGIR 0x0f20
#define IROUTER 0x6000
/* Redistributor: RD_base, then SGI_base 64 KiB on */
#define R_CTLR 0x0000
#define R_WAKER 0x0014
#define R_SGI 0x10000
/* GICv2: GICC_DIR, the second page of the GICC frame */
#define GICC_DIR (VIRT_GICC + 0x1000)

/* Word and bit of @intid in a bit-per-interrupt register. */
#define WORD(intid) ((intid) / 32 * 4UL)
#define IBIT(intid) (1U << ((intid) % 32))

static struct vm *vm;

static struct vcpu *vc(unsigned int i)
{
	return &vm->vcpus[i];
}

static void make_vm(unsigned int version, unsigned int nr)
{
	vm = util_gic_vm("m", version, nr);
}

static int setup_v3(void **state)
{
	(void)state;
	make_vm(3, 4);
	return 0;
}

static int setup_v2(void **state)
{
	(void)state;
	make_vm(2, 4);
	return 0;
}

static uint32_t gicd(uint64_t off)
{
	return (uint32_t)util_rd(vc(0), VIRT_GICD + off, 4);
}

static void gicd_w(uint64_t off, uint32_t val)
{
	util_wr(vc(0), VIRT_GICD + off, 4, val);
}

static uint64_t gicr_at(unsigned int t, uint64_t off)
{
	return VIRT_GICR + (uint64_t)t * VIRT_GICR_STRIDE + off;
}

static struct vgic_irq *spi(uint32_t intid)
{
	return &vm->vgic.spi[intid - VGIC_NR_PRIVATE];
}

/* The whole vGIC state of the VM, to see that an access changed none. */
struct vgic_copy {
	struct vgic_irq spi[VGIC_NR_SPIS];
	uint32_t ctlr;
	struct vgic_cpu cpu[4];
};

static void copy_vgic(struct vgic_copy *c)
{
	memset(c, 0, sizeof(*c));
	memcpy(c->spi, vm->vgic.spi, sizeof(c->spi));
	c->ctlr = vm->vgic.ctlr;
	for (unsigned int k = 0; k < vm->nr_vcpus; k++)
		memcpy(&c->cpu[k], &vc(k)->st.vgic, sizeof(c->cpu[k]));
}

static bool same(const void *a, const void *b, size_t n)
{
	return memcmp(a, b, n) == 0;
}

static void assert_vgic_unchanged(const struct vgic_copy *before,
				  const char *what)
{
	struct vgic_copy now;

	copy_vgic(&now);
	/* Candidate sets are hints a write may widen: not state. */
	for (unsigned int k = 0; k < 4; k++)
		now.cpu[k].priv_cand = before->cpu[k].priv_cand;
	/* Byte copies (copy_vgic()): padding compares equal too. */
	if (!same(&now, before, sizeof(now)))
		fail_msg("%s changed the vGIC state", what);
}

/* ---- Bit-per-interrupt registers: set and clear pairs ---- */

static void test_spi_enable_set_and_clear(void **state)
{
	(void)state;
	gicd_w(ISENABLER + WORD(40), IBIT(40) | IBIT(42));
	assert_true(spi(40)->flags & VGIC_ENABLED);
	assert_true(spi(42)->flags & VGIC_ENABLED);
	assert_false(spi(41)->flags & VGIC_ENABLED);
	/* Both registers of the pair read the enable bits. */
	assert_int_equal(gicd(ISENABLER + WORD(40)), IBIT(40) | IBIT(42));
	assert_int_equal(gicd(ICENABLER + WORD(40)), IBIT(40) | IBIT(42));
	/* Zeros written to a set or clear register change nothing. */
	gicd_w(ISENABLER + WORD(40), 0);
	gicd_w(ICENABLER + WORD(40), 0);
	assert_int_equal(gicd(ISENABLER + WORD(40)), IBIT(40) | IBIT(42));
	gicd_w(ICENABLER + WORD(40), IBIT(40));
	assert_false(spi(40)->flags & VGIC_ENABLED);
	assert_int_equal(gicd(ISENABLER + WORD(40)), IBIT(42));
	/* The top SPI, in the last word. */
	gicd_w(ISENABLER + WORD(VGIC_NR_IRQS - 1), IBIT(VGIC_NR_IRQS - 1));
	assert_true(spi(VGIC_NR_IRQS - 1)->flags & VGIC_ENABLED);
}

/* GICv3: SGIs and PPIs are enabled at each vCPU's redistributor. */
static void test_private_enable_is_per_redistributor(void **state)
{
	(void)state;
	util_wr(vc(0), gicr_at(2, R_SGI + ISENABLER), 4, IBIT(27) | IBIT(5));
	assert_true(vc(2)->st.vgic.priv[27].flags & VGIC_ENABLED);
	assert_true(vc(2)->st.vgic.priv[5].flags & VGIC_ENABLED);
	assert_false(vc(1)->st.vgic.priv[27].flags & VGIC_ENABLED);
	assert_int_equal(util_rd(vc(3), gicr_at(2, R_SGI + ISENABLER), 4),
			 IBIT(27) | IBIT(5));
	assert_int_equal(util_rd(vc(0), gicr_at(1, R_SGI + ISENABLER), 4), 0);
	util_wr(vc(0), gicr_at(2, R_SGI + ICENABLER), 4, IBIT(5));
	assert_int_equal(util_rd(vc(0), gicr_at(2, R_SGI + ICENABLER), 4),
			 IBIT(27));
}

/* GICv2: the distributor banks private interrupts per accessing CPU. */
static void test_v2_private_enable_banked_per_cpu(void **state)
{
	(void)state;
	util_wr(vc(1), VIRT_GICD + ISENABLER, 4, IBIT(27));
	assert_true(vc(1)->st.vgic.priv[27].flags & VGIC_ENABLED);
	assert_false(vc(0)->st.vgic.priv[27].flags & VGIC_ENABLED);
	assert_true(util_rd(vc(1), VIRT_GICD + ISENABLER, 4) & IBIT(27));
	assert_false(util_rd(vc(0), VIRT_GICD + ISENABLER, 4) & IBIT(27));
}

static void test_pending_set_and_clear(void **state)
{
	(void)state;
	/* Enabled, group 1, routed to vCPU0 (IROUTER 0), groups on. */
	gicd_w(CTLR, 3);
	gicd_w(IGROUPR + WORD(40), IBIT(40));
	gicd_w(ISENABLER + WORD(40), IBIT(40));
	assert_false(vgic_has_pending(vc(0)));
	gicd_w(ISPENDR + WORD(40), IBIT(40));
	assert_int_equal(gicd(ISPENDR + WORD(40)), IBIT(40));
	assert_int_equal(gicd(ICPENDR + WORD(40)), IBIT(40));
	assert_true(vgic_has_pending(vc(0)));
	assert_false(vgic_has_pending(vc(1)));
	gicd_w(ICPENDR + WORD(40), IBIT(40));
	assert_int_equal(gicd(ISPENDR + WORD(40)), 0);
	assert_false(vgic_has_pending(vc(0)));
}

/*
 * A level-sensitive interrupt whose line is high stays pending through
 * GICD_ICPENDR: the write clears the latch, not the line (IHI 0069
 * §4.1.2); made edge-triggered, it is pending only while latched.
 */
static void test_clear_pending_keeps_a_high_level_line(void **state)
{
	(void)state;
	vgic_set_line(vc(0), 41, true);
	assert_true(gicd(ISPENDR + WORD(41)) & IBIT(41));
	gicd_w(ICPENDR + WORD(41), IBIT(41));
	assert_true(gicd(ISPENDR + WORD(41)) & IBIT(41));
	vgic_set_line(vc(0), 41, false);
	assert_false(gicd(ISPENDR + WORD(41)) & IBIT(41));
	/* Set pending by the register: latched, whatever the line. */
	gicd_w(ISPENDR + WORD(41), IBIT(41));
	assert_true(gicd(ISPENDR + WORD(41)) & IBIT(41));
	gicd_w(ICPENDR + WORD(41), IBIT(41));
	assert_false(gicd(ISPENDR + WORD(41)) & IBIT(41));
}

static void test_active_set_and_clear(void **state)
{
	(void)state;
	gicd_w(ISACTIVER + WORD(42), IBIT(42));
	assert_true(spi(42)->flags & VGIC_ACTIVE);
	assert_int_equal(gicd(ISACTIVER + WORD(42)), IBIT(42));
	assert_int_equal(gicd(ICACTIVER + WORD(42)), IBIT(42));
	/* Active is not pending. */
	assert_int_equal(gicd(ISPENDR + WORD(42)), 0);
	gicd_w(ICACTIVER + WORD(42), IBIT(42));
	assert_false(spi(42)->flags & VGIC_ACTIVE);
	assert_int_equal(gicd(ISACTIVER + WORD(42)), 0);
	/* A PPI, at its redistributor. */
	util_wr(vc(0), gicr_at(3, R_SGI + ISACTIVER), 4, IBIT(20));
	assert_true(vc(3)->st.vgic.priv[20].flags & VGIC_ACTIVE);
	util_wr(vc(0), gicr_at(3, R_SGI + ICACTIVER), 4, IBIT(20));
	assert_false(vc(3)->st.vgic.priv[20].flags & VGIC_ACTIVE);
}

/* IGROUPR is written whole, not set or cleared bit by bit. */
static void test_igroupr_is_assigned(void **state)
{
	(void)state;
	gicd_w(IGROUPR + WORD(40), 0xffff0000);
	assert_int_equal(gicd(IGROUPR + WORD(40)), 0xffff0000);
	assert_true(spi(48)->flags & VGIC_GROUP1);
	assert_false(spi(47)->flags & VGIC_GROUP1);
	gicd_w(IGROUPR + WORD(40), 0x0000ffff);
	assert_int_equal(gicd(IGROUPR + WORD(40)), 0x0000ffff);
	assert_false(spi(48)->flags & VGIC_GROUP1);
}

/* GICD_ICFGR: Int_config[1] per interrupt (odd bits); bit 0 RES0. */
static void test_icfgr_edge_or_level(void **state)
{
	uint64_t word = ICFGR + 40 / 16 * 4;

	(void)state;
	gicd_w(word, 2U << (2 * (40 % 16)));
	assert_true(spi(40)->flags & VGIC_EDGE);
	assert_false(spi(41)->flags & VGIC_EDGE);
	gicd_w(word, 0xffffffff);
	assert_int_equal(gicd(word), 0xaaaaaaaa);
	gicd_w(word, 0x55555555);
	assert_int_equal(gicd(word), 0);
	assert_false(spi(40)->flags & VGIC_EDGE);
	/* PPIs are configurable at the redistributor (ICFGR1). */
	util_wr(vc(0), gicr_at(1, R_SGI + ICFGR + 4), 4, 2U << (2 * (27 - 16)));
	assert_true(vc(1)->st.vgic.priv[27].flags & VGIC_EDGE);
	assert_false(vc(0)->st.vgic.priv[27].flags & VGIC_EDGE);
}

/*
 * The bit-per-interrupt registers and ICFGR are 32-bit registers: other
 * widths read zero and change nothing.
 */
static void test_word_registers_ignore_other_widths(void **state)
{
	static const uint64_t regs[] = { IGROUPR,   ISENABLER, ICENABLER,
					 ISPENDR,   ICPENDR,   ISACTIVER,
					 ICACTIVER, ICFGR + 8 };
	static const unsigned int widths[] = { 1, 2, 8 };
	struct vgic_copy before;

	(void)state;
	gicd_w(ISENABLER + 4, 0x00ff00ff);
	copy_vgic(&before);
	for (unsigned int r = 0; r < ARRAY_SIZE(regs); r++) {
		for (unsigned int w = 0; w < ARRAY_SIZE(widths); w++) {
			uint64_t ipa = VIRT_GICD + regs[r] + 4;

			if (regs[r] == ICFGR + 8)
				ipa = VIRT_GICD + regs[r];
			util_wr(vc(0), ipa, widths[w], ~0ULL);
			assert_vgic_unchanged(&before, "a narrow write");
			assert_int_equal(util_rd(vc(0), ipa, widths[w]), 0);
		}
	}
	assert_int_equal(gicd(ISENABLER + 4), 0x00ff00ff);
}

/* Words past the last implemented INTID: RAZ/WI. */
static void test_words_past_the_last_intid(void **state)
{
	struct vgic_copy before;
	uint64_t past = WORD(VGIC_NR_IRQS);

	(void)state;
	copy_vgic(&before);
	gicd_w(ISENABLER + past, 0xffffffff);
	gicd_w(ISPENDR + past, 0xffffffff);
	gicd_w(ISACTIVER + 0x7c, 0xffffffff);
	gicd_w(ICFGR + 0xfc, 0xffffffff);
	util_wr(vc(0), VIRT_GICD + IPRIORITYR + VGIC_NR_IRQS, 4, 0xffffffff);
	util_wr(vc(0), VIRT_GICD + IPRIORITYR + 0x3fc, 4, 0xffffffff);
	assert_vgic_unchanged(&before, "a write past the last INTID");
	assert_int_equal(gicd(ISENABLER + past), 0);
	assert_int_equal(gicd(ISACTIVER + 0x7c), 0);
	assert_int_equal(gicd(ICFGR + 0xfc), 0);
	assert_int_equal(gicd(IPRIORITYR + VGIC_NR_IRQS), 0);
}

/* ---- Byte-per-interrupt registers ---- */

static void test_priority_at_every_width(void **state)
{
	(void)state;
	/* Bytes, halfwords and words; five priority bits implemented. */
	util_wr(vc(0), VIRT_GICD + IPRIORITYR + 48, 1, 0xff);
	assert_int_equal(spi(48)->priority, 0xf8);
	util_wr(vc(0), VIRT_GICD + IPRIORITYR + 50, 2, 0x9088);
	assert_int_equal(spi(50)->priority, 0x88);
	assert_int_equal(spi(51)->priority, 0x90);
	assert_int_equal(util_rd(vc(0), VIRT_GICD + IPRIORITYR + 50, 2),
			 0x9088);
	assert_int_equal(gicd(IPRIORITYR + 48), 0x908800f8);
	assert_int_equal(util_rd(vc(0), VIRT_GICD + IPRIORITYR + 51, 1), 0x90);
	/* A doubleword is no access IPRIORITYR has: RAZ/WI. */
	util_wr(vc(0), VIRT_GICD + IPRIORITYR + 48, 8, ~0ULL);
	assert_int_equal(gicd(IPRIORITYR + 48), 0x908800f8);
	assert_int_equal(util_rd(vc(0), VIRT_GICD + IPRIORITYR + 48, 8), 0);
}

/* GICv2: ITARGETSR at byte and word width; the SPI goes where it says. */
static void test_v2_targets_route_spis(void **state)
{
	(void)state;
	gicd_w(CTLR, 3);
	gicd_w(ISENABLER + WORD(44), IBIT(44));
	util_wr(vc(0), VIRT_GICD + ITARGETSR + 44, 1, 0x04);
	assert_int_equal(spi(44)->targets, 0x04);
	assert_int_equal(gicd(ITARGETSR + 44) & 0xff, 0x04);
	gicd_w(ISPENDR + WORD(44), IBIT(44));
	assert_true(vgic_has_pending(vc(2)));
	assert_false(vgic_has_pending(vc(0)));
	gicd_w(ICPENDR + WORD(44), IBIT(44));
	/* A halfword sets two. */
	util_wr(vc(0), VIRT_GICD + ITARGETSR + 46, 2, 0x0201);
	assert_int_equal(spi(46)->targets, 0x01);
	assert_int_equal(spi(47)->targets, 0x02);
}

/* ---- The rest of the distributor ---- */

static void test_ctlr_keeps_the_group_enables(void **state)
{
	(void)state;
	gicd_w(CTLR, 0xffffffff);
	assert_int_equal(vm->vgic.ctlr, 3);
	/* GICv3 with one security state: ARE_NS (bit 4) and DS (bit 6). */
	assert_int_equal(gicd(CTLR), 0x53);
	gicd_w(CTLR, 2);
	assert_int_equal(gicd(CTLR), 0x52);
}

static void test_v2_ctlr_and_typer(void **state)
{
	(void)state;
	gicd_w(CTLR, 0xffffffff);
	assert_int_equal(gicd(CTLR), 3);
	/* ITLinesNumber: 32 * (N + 1) INTIDs; CPUNumber: CPUs - 1. */
	assert_int_equal((gicd(TYPER) & 0x1f) + 1, VGIC_NR_IRQS / 32);
	assert_int_equal((gicd(TYPER) >> 5) & 7, 3);
}

/*
 * The CoreLink ID registers a driver probes: PIDR2.ArchRev names the
 * version, CIDR0-3 the component class (0xb105f00d, byte per register).
 */
static void id_registers(unsigned int version)
{
	uint64_t base = version == 3 ? 0xffd0 : 0xfd0;
	static const uint32_t cidr[] = { 0x0d, 0xf0, 0x05, 0xb1 };

	assert_int_equal((gicd(base + 0x18) >> 4) & 0xf, version);
	for (unsigned int k = 0; k < 4; k++)
		assert_int_equal(gicd(base + 0x20 + 4UL * k), cidr[k]);
	/* Same IIDR whatever the version; it does not change by writes. */
	gicd_w(IIDR, 0);
	assert_int_not_equal(gicd(IIDR), 0);
}

static void test_id_registers_v3(void **state)
{
	(void)state;
	id_registers(3);
}

static void test_id_registers_v2(void **state)
{
	(void)state;
	id_registers(2);
}

/* Reserved offsets of the distributor: zero, writes change nothing. */
static void reserved_dist(const uint64_t *offs, unsigned int n)
{
	struct vgic_copy before;

	gicd_w(CTLR, 1);
	gicd_w(ISENABLER + WORD(40), IBIT(40));
	copy_vgic(&before);
	for (unsigned int k = 0; k < n; k++) {
		gicd_w(offs[k], 0xffffffff);
		util_wr(vc(0), VIRT_GICD + offs[k], 1, 0xff);
		assert_vgic_unchanged(&before, "a reserved write");
		if (gicd(offs[k]) != 0)
			fail_msg("reserved GICD offset 0x%llx reads 0x%x",
				 (unsigned long long)offs[k], gicd(offs[k]));
	}
}

static void test_reserved_dist_v3(void **state)
{
	/* v3 has no GICv2 SGI registers nor ITARGETSR (with ARE). */
	static const uint64_t offs[] = { 0x000c,    0x0010,         0x0040,
					 0x007c,    ITARGETSR + 40, CPENDSGIR,
					 SPENDSGIR, 0x0f30,         0x5ffc,
					 0x8000,    0xc000,         0xffcc };

	(void)state;
	reserved_dist(offs, ARRAY_SIZE(offs));
}

static void test_reserved_dist_v2(void **state)
{
	/* v2 has no IROUTER; its ID registers sit at 0xfd0. */
	static const uint64_t offs[] = { 0x000c,           0x0010,
					 0x0040,           0x0f04,
					 IROUTER + 8 * 40, 0x0f30,
					 0x8000,           0xffe8 };

	(void)state;
	reserved_dist(offs, ARRAY_SIZE(offs));
}

/* GICD_SGIR is write-only; GICv3 has none (it uses ICC_SGI1R_EL1). */
static void test_sgir_write_only_and_v3_ignores_it(void **state)
{
	struct vgic_copy before;

	(void)state;
	copy_vgic(&before);
	gicd_w(SGIR, 0U << 24 | 0x0fU << 16 | 3);
	assert_vgic_unchanged(&before, "GICv3 GICD_SGIR");
	assert_int_equal(gicd(SGIR), 0);
}

static void test_v2_sgir_word_only(void **state)
{
	(void)state;
	/* A halfword or byte write to GICD_SGIR sends nothing. */
	util_wr(vc(0), VIRT_GICD + SGIR, 2, 0x0003);
	util_wr(vc(0), VIRT_GICD + SGIR + 2, 2, 0x0002);
	util_wr(vc(0), VIRT_GICD + SGIR, 1, 3);
	assert_int_equal(vc(1)->st.vgic.priv[3].sgi_sources, 0);
	assert_int_equal(gicd(SGIR), 0);
	/* vCPU0 sends SGI 3 to vCPU1 (filter 0, target list 0b10). */
	gicd_w(SGIR, 0x02U << 16 | 3);
	assert_int_equal(vc(1)->st.vgic.priv[3].sgi_sources, 0x01);
	assert_int_equal(vc(0)->st.vgic.priv[3].sgi_sources, 0);
}

/*
 * GICv2 GICD_SPENDSGIR/CPENDSGIR: one byte of source bits per SGI, at
 * any byte of the word; ISPENDR shows such an SGI pending but cannot set
 * one, ICPENDR clears every source.
 */
static void test_v2_sgi_pending_by_source(void **state)
{
	struct vcpu *v = vc(1);

	(void)state;
	util_wr(v, VIRT_GICD + SPENDSGIR + 5, 1, 0x09); /* SGI 5 from 0 and 3 */
	assert_int_equal(v->st.vgic.priv[5].sgi_sources, 0x09);
	assert_int_equal(util_rd(v, VIRT_GICD + SPENDSGIR + 4, 4), 0x0900);
	assert_int_equal(util_rd(v, VIRT_GICD + CPENDSGIR + 4, 4), 0x0900);
	assert_int_equal(util_rd(vc(0), VIRT_GICD + SPENDSGIR + 4, 4), 0);
	assert_true(util_rd(v, VIRT_GICD + ISPENDR, 4) & IBIT(5));
	util_wr(v, VIRT_GICD + CPENDSGIR + 4, 4, 0x0100);
	assert_int_equal(v->st.vgic.priv[5].sgi_sources, 0x08);
	util_wr(v, VIRT_GICD + ICPENDR, 4, IBIT(5));
	assert_int_equal(v->st.vgic.priv[5].sgi_sources, 0);
	util_wr(v, VIRT_GICD + ISPENDR, 4, IBIT(6));
	assert_false(util_rd(v, VIRT_GICD + ISPENDR, 4) & IBIT(6));
}

/* ---- Redistributors and GICC_DIR ---- */

static void test_redistributor_reserved_space(void **state)
{
	static const uint64_t offs[] = { R_CTLR,
					 0x0040,
					 0x1000,
					 R_SGI + 0x0004,
					 R_SGI + SGIR,
					 R_SGI + ITARGETSR,
					 R_SGI + IPRIORITYR + 32,
					 R_SGI + ISENABLER + 4 };
	struct vgic_copy before;
	uint64_t val = 0;

	(void)state;
	copy_vgic(&before);
	for (unsigned int k = 0; k < ARRAY_SIZE(offs); k++) {
		util_wr(vc(0), gicr_at(1, offs[k]), 4, 0xffffffff);
		assert_vgic_unchanged(&before, "a reserved GICR write");
		assert_int_equal(util_rd(vc(0), gicr_at(1, offs[k]), 4), 0);
	}
	/* Past the last vCPU's frames: no redistributor there. */
	assert_int_not_equal(vmmio_access(vc(0), gicr_at(4, R_WAKER), false, 4,
					  &val),
			     MMIO_OK);
}

static void test_v2_gicc_dir_deactivates(void **state)
{
	(void)state;
	gicd_w(ISACTIVER + WORD(43), IBIT(43));
	assert_true(spi(43)->flags & VGIC_ACTIVE);
	/* Write-only: reads zero. */
	assert_int_equal(util_rd(vc(0), GICC_DIR, 4), 0);
	/* Other widths and offsets of the page do nothing. */
	util_wr(vc(0), GICC_DIR, 2, 43);
	util_wr(vc(0), GICC_DIR + 4, 4, 43);
	assert_true(spi(43)->flags & VGIC_ACTIVE);
	/* The CPU ID field (bits 12:10) is not part of the INTID. */
	util_wr(vc(0), GICC_DIR, 4, 1U << 10 | 43);
	assert_false(spi(43)->flags & VGIC_ACTIVE);
}

#define V3(fn) cmocka_unit_test_setup_teardown(fn, setup_v3, util_teardown)
#define V2(fn) cmocka_unit_test_setup_teardown(fn, setup_v2, util_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		V3(test_spi_enable_set_and_clear),
		V3(test_private_enable_is_per_redistributor),
		V2(test_v2_private_enable_banked_per_cpu),
		V3(test_pending_set_and_clear),
		V3(test_clear_pending_keeps_a_high_level_line),
		V3(test_active_set_and_clear),
		V3(test_igroupr_is_assigned),
		V3(test_icfgr_edge_or_level),
		V3(test_word_registers_ignore_other_widths),
		V3(test_words_past_the_last_intid),
		V3(test_priority_at_every_width),
		V2(test_v2_targets_route_spis),
		V3(test_ctlr_keeps_the_group_enables),
		V2(test_v2_ctlr_and_typer),
		V3(test_id_registers_v3),
		V2(test_id_registers_v2),
		V3(test_reserved_dist_v3),
		V2(test_reserved_dist_v2),
		V3(test_sgir_write_only_and_v3_ignores_it),
		V2(test_v2_sgir_word_only),
		V2(test_v2_sgi_pending_by_source),
		V3(test_redistributor_reserved_space),
		V2(test_v2_gicc_dir_deactivates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
