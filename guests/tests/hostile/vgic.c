// SPDX-License-Identifier: MIT
/*
 * The virtual GIC: reserved offsets, every register written with all ones,
 * SGIs to vCPUs the VM does not have, EOI and DIR of what was never
 * acknowledged (and of 1023), storms. Each case ends with the GIC reset
 * (gic_init) and a working SGI round trip.
 */
#include "hostile.h"

#define SGI_TEST 5
#define SPI_TEST 40
#define QUIET_US 3000

static volatile uint32_t irq_count[1024];

static void count_irq(struct gic_irq *irq, void *arg)
{
	(void)arg;
	__atomic_add_fetch(&irq_count[irq->intid & 1023], 1, __ATOMIC_RELEASE);
}

static void counts_clear(void)
{
	for (unsigned int i = 0; i < 1024; i++)
		irq_count[i] = 0;
}

/* IRQs unmasked for @us, then masked again. */
static void irq_window(uint64_t us)
{
	irq_unmask();
	time_delay_us(us);
	irq_mask();
}

/* A fresh GIC, and SGI_TEST to self taken exactly once. */
static bool sgi_round_trip(const char *after)
{
	irq_mask();
	if (!gic_init()) {
		test_fail("after %s: gic_init failed", after);
		return false;
	}
	counts_clear();
	gic_set_handler(SGI_TEST, count_irq, NULL);
	gic_set_enable(SGI_TEST, true);
	gic_send_sgi_self(SGI_TEST);
	irq_window(QUIET_US);
	gic_set_handler(SGI_TEST, NULL, NULL);
	if (irq_count[SGI_TEST] != 1) {
		test_fail("after %s: an SGI to self was taken %u times, want 1",
			  after, irq_count[SGI_TEST]);
		return false;
	}
	return true;
}

TEST(gic_dist_reserved)
{
	static const uint32_t offs[] = { 0x00c,  0x020,  0x03c,  0x0e00,
					 0x0efc, 0x0f04, 0x5000, 0x7ff8,
					 0xc100, 0xe000, 0xfe00, 0xffcc };
	uint32_t typer;

	outcome("reserved GICD offsets read as zero and ignore writes of all ones");
	irq_mask();
	gic_init();
	typer = mmio_read32(VIRT_GICD + 4);
	for (unsigned int i = 0; i < ARRAY_SIZE(offs); i++) {
		uintptr_t a = VIRT_GICD + offs[i];

		EXPECT(mmio_read32(a) == 0, "GICD+0x%x reads 0x%x, want 0",
		       offs[i], mmio_read32(a));
		mmio_write32(a, ~0U);
		EXPECT(mmio_read32(a) == 0,
		       "GICD+0x%x reads 0x%x after a write of all ones",
		       offs[i], mmio_read32(a));
	}
	EXPECT(mmio_read32(VIRT_GICD + 4) == typer, "GICD_TYPER changed");
	sgi_round_trip("reserved GICD writes");
}

/* Every word of [@base + @from, @base + @to) written with all ones. */
static void all_ones(uintptr_t base, uint64_t from, uint64_t to)
{
	for (uint64_t off = from; off < to; off += 4)
		mmio_write32(base + off, ~0U);
}

TEST(gic_dist_all_ones)
{
	uint32_t typer, iidr, pidr2;

	outcome("every distributor register written with all ones (every word of 0x0-0xfff, IROUTER 0x6000-0x7fff on GICv3, the ID registers; SGIR, CTLR and routing included): ID registers unchanged, the GIC resets and works after");
	irq_mask();
	gic_init();
	typer = mmio_read32(VIRT_GICD + 4);
	iidr = mmio_read32(VIRT_GICD + 8);
	pidr2 = mmio_read32(VIRT_GICD + (gic_version() == 3 ? GICD_PIDR2_V3 :
							      GICD_PIDR2_V2));
	all_ones(VIRT_GICD, 0, 0x1000);
	if (gic_version() == 3)
		all_ones(VIRT_GICD, 0x6000, 0x8000);
	all_ones(VIRT_GICD, 0xffd0, 0x10000);
	EXPECT(mmio_read32(VIRT_GICD + 4) == typer &&
		       mmio_read32(VIRT_GICD + 8) == iidr &&
		       mmio_read32(VIRT_GICD + (gic_version() == 3 ?
							GICD_PIDR2_V3 :
							GICD_PIDR2_V2)) ==
			       pidr2,
	       "TYPER/IIDR/PIDR2 changed after writes of all ones");
	EXPECT(mmio_read8(VIRT_GICD + GICD_IPRIORITYR + GIC_SPI_BASE) != 0,
	       "SPI %u's priority reads 0 after a write of all ones",
	       GIC_SPI_BASE);
	sgi_round_trip("all ones in every GICD word");
}

TEST(gic_redist_all_ones)
{
	irq_mask();
	gic_init();
	if (gic_version() == 3) {
		uint64_t typer = mmio_read64(gic_redist_base(0) + GICR_TYPER);

		outcome("GICv3: every register of every redistributor of the VM (RD_base 0x0-0xff and ID registers, SGI frame 0x0-0xfff; the other vCPU's too) written with all ones: TYPER unchanged, the GIC works after");
		for (unsigned int c = 0; c < board_cpu_count(); c++) {
			uintptr_t rd = VIRT_GICR + c * VIRT_GICR_FRAME;

			all_ones(rd, 0, 0x100);
			all_ones(rd, 0xffd0, 0x10000);
			all_ones(rd + GICR_SGI_OFFSET, 0, 0x1000);
		}
		EXPECT(mmio_read64(gic_redist_base(0) + GICR_TYPER) == typer,
		       "GICR_TYPER changed");
	} else {
		outcome("GICv2: every word of the virtual CPU interface (GICV at GICC, and the trapped DIR page) written with all ones: the VM blocks only itself (active priorities all set); cleared again, the GIC works");
		all_ones(VIRT_GICC, 0, 0x2000);
		/* GICC_APRn, GICC_NSAPRn: the guest's own to clear. */
		for (unsigned int off = 0xd0; off < 0xf0; off += 4)
			mmio_write32(VIRT_GICC + off, 0);
	}
	sgi_round_trip("all ones in the redistributors / CPU interface");
}

TEST(gic_sgi_absent_targets)
{
	outcome("SGIs to vCPUs the VM does not have (target lists, Aff1-3, RS, reserved filters) reach nobody; the VM's own SGIs still work");
	irq_mask();
	gic_init();
	counts_clear();
	gic_set_handler(SGI_TEST, count_irq, NULL);
	gic_set_enable(SGI_TEST, true);
	if (gic_version() == 3) {
		static const uint64_t vals[] = {
			0xfffcUL,
			1UL << 16 | 0xffff,
			1UL << 32 | 0xffff,
			1UL << 48 | 0xffff,
			1UL << 44 | 0xffff,
			0xffUL << 16 | 0xffUL << 32 | 0xffUL << 48 | 0xffff,
			0xfUL << 44 | 0xffff,
		};

		for (unsigned int i = 0; i < ARRAY_SIZE(vals); i++)
			write_sysreg(vals[i] | (uint64_t)SGI_TEST << 24,
				     icc_sgi1r_el1);
		isb();
	} else {
		mmio_write32(VIRT_GICD + GICD_SGIR, 0xfcU << 16 | SGI_TEST);
		mmio_write32(VIRT_GICD + GICD_SGIR,
			     3U << 24 | 0xffU << 16 | SGI_TEST);
		mmio_write32(VIRT_GICD + GICD_SGIR, 0);
	}
	irq_window(QUIET_US);
	gic_set_handler(SGI_TEST, NULL, NULL);
	EXPECT(irq_count[SGI_TEST] == 0,
	       "SGI %u taken %u times on CPU0, sent only to absent vCPUs",
	       SGI_TEST, irq_count[SGI_TEST]);
	sgi_round_trip("SGIs to absent vCPUs");
}

static volatile uint32_t storm_ready, storm_done;

static void storm_secondary(void *arg)
{
	(void)arg;
	gic_cpu_init();
	gic_set_enable(SGI_TEST, true);
	__atomic_store_n(&storm_ready, 1, __ATOMIC_RELEASE);
	irq_unmask();
	while (!__atomic_load_n(&storm_done, __ATOMIC_ACQUIRE))
		;
	irq_mask();
}

TEST(gic_sgi_storm)
{
	const unsigned int n = 5000;

	outcome("5000 SGIs to self with IRQs masked, then 5000 to the other vCPU: each side takes at least one and at most 5000, Kairos up");
	if (!need_two_cpus())
		return;
	irq_mask();
	gic_init();
	counts_clear();
	storm_ready = storm_done = 0;
	gic_set_handler(SGI_TEST, count_irq, NULL);
	gic_set_enable(SGI_TEST, true);
	for (unsigned int i = 0; i < n; i++)
		gic_send_sgi_self(SGI_TEST);
	irq_window(QUIET_US);
	EXPECT(irq_count[SGI_TEST] >= 1 && irq_count[SGI_TEST] <= n,
	       "self: %u SGIs taken", irq_count[SGI_TEST]);
	counts_clear();
	EXPECT(cpu_start(1, storm_secondary, NULL) == PSCI_RET_SUCCESS,
	       "CPU_ON of CPU1 failed");
	EXPECT(wait_u32(&storm_ready, 1, 2000000), "CPU1 never came up");
	for (unsigned int i = 0; i < n; i++)
		gic_send_sgi(1, SGI_TEST);
	time_delay_us(QUIET_US);
	__atomic_store_n(&storm_done, 1, __ATOMIC_RELEASE);
	while (psci_affinity_info(board_cpu_mpidr(1)) != PSCI_AFF_OFF)
		time_delay_us(100);
	gic_set_handler(SGI_TEST, NULL, NULL);
	printf("# CPU1 took %u of %u SGIs\n", irq_count[SGI_TEST], n);
	EXPECT(irq_count[SGI_TEST] >= 1 && irq_count[SGI_TEST] <= n,
	       "CPU1: %u SGIs taken", irq_count[SGI_TEST]);
	sgi_round_trip("an SGI storm");
}

TEST(gic_eoi_never_acked)
{
	static const uint32_t ids[] = { SGI_TEST, 27,   SPI_TEST, 1020,
					1021,     1022, 1023,     0xffffffffU };

	outcome("EOI of INTIDs never acknowledged (an SGI, the timer PPI, an SPI, 1020-1023, all ones) changes nothing: running priority idle, SGIs work");
	irq_mask();
	gic_init();
	for (unsigned int i = 0; i < ARRAY_SIZE(ids); i++)
		gic_eoi(ids[i]);
	EXPECT(gic_running_priority() == GIC_PRIO_IDLE,
	       "running priority 0x%x after EOIs of nothing",
	       gic_running_priority());
	sgi_round_trip("EOIs of never-acknowledged INTIDs");
}

TEST(gic_dir_never_acked)
{
	static const uint32_t ids[] = { SGI_TEST, 27,         SPI_TEST,   1020,
					1023,     0x3ffffffU, 0xffffffffU };

	outcome("EOImode 1, DIR (trapped) of INTIDs never acknowledged, of 1023 and out of range: ignored, SGIs work");
	irq_mask();
	gic_init();
	gic_set_eoimode(true);
	for (unsigned int i = 0; i < ARRAY_SIZE(ids); i++)
		gic_dir(ids[i]);
	gic_set_eoimode(false);
	EXPECT(gic_running_priority() == GIC_PRIO_IDLE,
	       "running priority 0x%x after DIRs of nothing",
	       gic_running_priority());
	sgi_round_trip("DIRs of never-acknowledged INTIDs");
}

TEST(gic_dir_storm)
{
	uint64_t t0 = time_us();

	outcome("a storm of 10000 trapped DIRs (of 1023 and of an idle SPI): each ignored, the VM goes on");
	irq_mask();
	gic_init();
	gic_set_eoimode(true);
	for (unsigned int i = 0; i < 5000; i++) {
		gic_dir(1023);
		gic_dir(SPI_TEST);
	}
	gic_set_eoimode(false);
	printf("# 10000 DIRs in %llu us\n",
	       (unsigned long long)(time_us() - t0));
	sgi_round_trip("a DIR storm");
}

TEST(gic_icc_sgi_forms)
{
	struct exc_record rec;
	uint64_t at;

	irq_mask();
	gic_init();
	counts_clear();
	gic_set_handler(SGI_TEST, count_irq, NULL);
	gic_set_enable(SGI_TEST, true);
	if (gic_version() == 3) {
		outcome("GICv3: Group 0 and alternate-group SGIs (ICC_SGI0R_EL1, ICC_ASGI1R_EL1) to self are ignored; a read of ICC_SGI1R_EL1 is an UNDEF");
		write_sysreg((uint64_t)SGI_TEST << 24 | 1, icc_sgi0r_el1);
		write_sysreg((uint64_t)SGI_TEST << 24 | 1, icc_asgi1r_el1);
		isb();
		exc_catch_begin();
		__asm__ volatile("adr %0, 1f\n1:\tmrs x9, icc_sgi1r_el1"
				 : "=&r"(at)
				 :
				 : "x9", "memory");
		want_undef("MRS ICC_SGI1R_EL1", exc_catch_end(&rec), &rec, at);
	} else {
		outcome("GICv2: the GICv3 system register CPU interface does not exist: ICC_SGI1R_EL1 and ICC_SGI0R_EL1 writes are UNDEFs");
		exc_catch_begin();
		__asm__ volatile("adr %0, 1f\n1:\tmsr icc_sgi1r_el1, %1"
				 : "=&r"(at)
				 : "r"((uint64_t)SGI_TEST << 24 | 1)
				 : "memory");
		want_undef("MSR ICC_SGI1R_EL1", exc_catch_end(&rec), &rec, at);
		exc_catch_begin();
		__asm__ volatile("adr %0, 1f\n1:\tmsr icc_sgi0r_el1, %1"
				 : "=&r"(at)
				 : "r"((uint64_t)SGI_TEST << 24 | 1)
				 : "memory");
		want_undef("MSR ICC_SGI0R_EL1", exc_catch_end(&rec), &rec, at);
	}
	irq_window(QUIET_US);
	gic_set_handler(SGI_TEST, NULL, NULL);
	EXPECT(irq_count[SGI_TEST] == 0, "SGI %u taken %u times", SGI_TEST,
	       irq_count[SGI_TEST]);
	sgi_round_trip("other SGI forms");
}

TEST(gic_spi_flood)
{
	unsigned int nr, missing = 0, twice = 0;

	outcome("every SPI of the VM pended at once (ISPENDR all ones, more than the list registers hold): each taken exactly once");
	irq_mask();
	gic_init();
	counts_clear();
	nr = gic_nr_intids();
	for (unsigned int i = GIC_SPI_BASE; i < nr; i++) {
		gic_set_handler(i, count_irq, NULL);
		gic_set_enable(i, true);
	}
	for (unsigned int i = GIC_SPI_BASE; i < nr; i += 32)
		mmio_write32(VIRT_GICD + GICD_ISPENDR + i / 8, ~0U);
	irq_window(20000);
	for (unsigned int i = GIC_SPI_BASE; i < nr; i++) {
		gic_set_handler(i, NULL, NULL);
		missing += irq_count[i] == 0;
		twice += irq_count[i] > 1;
	}
	printf("# %u SPIs: %u never taken, %u more than once\n",
	       nr - GIC_SPI_BASE, missing, twice);
	EXPECT(!missing && !twice,
	       "%u of %u SPIs never taken, %u more than once", missing,
	       nr - GIC_SPI_BASE, twice);
	sgi_round_trip("an SPI flood");
}

TEST(gic_spi_route_absent)
{
	outcome("an SPI routed to a vCPU the VM does not have is not taken; routed back here it is, once");
	irq_mask();
	gic_init();
	counts_clear();
	gic_set_handler(SPI_TEST, count_irq, NULL);
	gic_set_enable(SPI_TEST, true);
	if (gic_version() == 3)
		mmio_write64(VIRT_GICD + GICD_IROUTER + 8 * SPI_TEST, 0x7);
	else
		mmio_write8(VIRT_GICD + GICD_ITARGETSR + SPI_TEST, 0x80);
	gic_set_pending(SPI_TEST, true);
	irq_window(QUIET_US);
	EXPECT(irq_count[SPI_TEST] == 0,
	       "SPI %u routed to an absent vCPU was taken %u times", SPI_TEST,
	       irq_count[SPI_TEST]);
	gic_route_spi(SPI_TEST, 0);
	irq_window(QUIET_US);
	gic_set_handler(SPI_TEST, NULL, NULL);
	EXPECT(irq_count[SPI_TEST] == 1,
	       "SPI %u routed back here taken %u times, want 1", SPI_TEST,
	       irq_count[SPI_TEST]);
	sgi_round_trip("an SPI routed to an absent vCPU");
}
