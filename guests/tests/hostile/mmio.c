// SPDX-License-Identifier: MIT
/*
 * Access forms on emulated devices (the PL011, the GIC distributor, the
 * flash): what has no syndrome (ISV = 0: pairs, writeback, exclusives,
 * atomics, cache maintenance) is never performed and aborts
 * (docs/user-guide.md, "Architecture conformance"); unaligned accesses
 * fault in the guest's own stage 1 (Device memory); odd widths and
 * read-only registers get a defined result.
 */
#include "hostile.h"

#define PERIPHID0 (VIRT_UART + UART_PERIPHID0)
#define ISENABLER1 (VIRT_GICD + 0x104)
#define ISPENDR1 (VIRT_GICD + 0x204)

static bool sea_at(const struct probe *p)
{
	return !p->completed && ESR_EC(p->rec.esr) == ESR_EC_DABT_CUR &&
	       ESR_ISS_DFSC(p->rec.esr) == DFSC_SEA && p->rec.elr == p->pc;
}

/* GICD_ISENABLER1 must still read @was: nothing written. */
static bool gicd_unchanged(const char *what, uint32_t was)
{
	uint32_t now = mmio_read32(ISENABLER1);

	if (now == was)
		return true;
	test_fail(
		"%s: GICD_ISENABLER1 is 0x%x, was 0x%x: the device was written",
		what, now, was);
	return false;
}

TEST(mmio_ldp_uart)
{
	struct probe p = { 0 };
	uint64_t a = 0x1111, b = 0x2222, at;

	outcome("LDP of the PL011's ID registers (ISV = 0): a synchronous external abort, destinations unchanged");
	exc_catch_begin();
	__asm__ volatile("adr %2, 1f\n1:\tldp %w0, %w1, [%3]"
			 : "+r"(a), "+r"(b), "=&r"(at)
			 : "r"(PERIPHID0)
			 : "memory");
	p.completed = !exc_catch_end(&p.rec);
	p.pc = at;
	EXPECT(sea_at(&p), "LDP: %s, ESR 0x%llx",
	       p.completed ? "completed" : "aborted",
	       (unsigned long long)p.rec.esr);
	EXPECT(a == 0x1111 && b == 0x2222, "LDP wrote 0x%llx, 0x%llx",
	       (unsigned long long)a, (unsigned long long)b);
}

TEST(mmio_stp_gicd)
{
	struct probe p = { 0 };
	uint32_t was;
	uint64_t at;

	outcome("STP of all ones to GICD_ISENABLER1/2: a synchronous external abort, no SPI enabled");
	gic_init();
	was = mmio_read32(ISENABLER1);
	exc_catch_begin();
	__asm__ volatile("adr %0, 1f\n1:\tstp %w1, %w1, [%2]"
			 : "=&r"(at)
			 : "r"(~0U), "r"(ISENABLER1)
			 : "memory");
	p.completed = !exc_catch_end(&p.rec);
	p.pc = at;
	EXPECT(sea_at(&p), "STP: %s, ESR 0x%llx",
	       p.completed ? "completed" : "aborted",
	       (unsigned long long)p.rec.esr);
	gicd_unchanged("STP", was);
}

TEST(mmio_ldr_postindex)
{
	struct probe p = { 0 };
	uint64_t base = PERIPHID0, v = 0x77, at;

	outcome("LDR with post-index writeback from the PL011 (ISV = 0): a synchronous external abort, base and destination unchanged");
	exc_catch_begin();
	__asm__ volatile("adr %2, 1f\n1:\tldr %w0, [%1], #4"
			 : "+r"(v), "+r"(base), "=&r"(at)
			 :
			 : "memory");
	p.completed = !exc_catch_end(&p.rec);
	p.pc = at;
	EXPECT(sea_at(&p), "LDR post-index: %s, ESR 0x%llx",
	       p.completed ? "completed" : "aborted",
	       (unsigned long long)p.rec.esr);
	EXPECT(base == PERIPHID0 && v == 0x77,
	       "base 0x%llx (was 0x%llx), destination 0x%llx (was 0x77)",
	       (unsigned long long)base, (unsigned long long)PERIPHID0,
	       (unsigned long long)v);
}

TEST(mmio_str_preindex)
{
	struct probe p = { 0 };
	uint64_t base = ISENABLER1 - 4, at;
	uint32_t was;

	outcome("STR with pre-index writeback to GICD_ISENABLER1 (ISV = 0): a synchronous external abort, base unchanged, nothing enabled");
	gic_init();
	was = mmio_read32(ISENABLER1);
	exc_catch_begin();
	__asm__ volatile("adr %1, 1f\n1:\tstr %w2, [%0, #4]!"
			 : "+r"(base), "=&r"(at)
			 : "r"(~0U)
			 : "memory");
	p.completed = !exc_catch_end(&p.rec);
	p.pc = at;
	EXPECT(sea_at(&p), "STR pre-index: %s, ESR 0x%llx",
	       p.completed ? "completed" : "aborted",
	       (unsigned long long)p.rec.esr);
	EXPECT(base == ISENABLER1 - 4, "base 0x%llx after the abort",
	       (unsigned long long)base);
	gicd_unchanged("STR pre-index", was);
}

TEST(mmio_exclusive_gicd)
{
	struct probe p = { 0 };
	uint64_t v = 0, status = ~0UL, at;
	uint32_t was;

	outcome("LDAXR of GICD_TYPER: a synchronous external abort; STLXR to GICD_ISENABLER1: status 1 or an abort, nothing enabled");
	gic_init();
	was = mmio_read32(ISENABLER1);
	exc_catch_begin();
	__asm__ volatile("adr %1, 1f\n1:\tldaxr %w0, [%2]\n\tclrex"
			 : "+r"(v), "=&r"(at)
			 : "r"(VIRT_GICD + 4)
			 : "memory");
	p.completed = !exc_catch_end(&p.rec);
	p.pc = at;
	EXPECT(sea_at(&p), "LDAXR: %s, ESR 0x%llx",
	       p.completed ? "completed" : "aborted",
	       (unsigned long long)p.rec.esr);
	exc_catch_begin();
	__asm__ volatile("adr %1, 1f\n1:\tstlxr %w0, %w2, [%3]"
			 : "+r"(status), "=&r"(at)
			 : "r"(~0U), "r"(ISENABLER1)
			 : "memory");
	p.completed = !exc_catch_end(&p.rec);
	p.pc = at;
	EXPECT(p.completed ? (uint32_t)status == 1 : sea_at(&p),
	       "STLXR: %s, status 0x%llx, ESR 0x%llx",
	       p.completed ? "completed" : "aborted",
	       (unsigned long long)status, (unsigned long long)p.rec.esr);
	gicd_unchanged("STLXR", was);
}

TEST(mmio_exclusive_pair_uart)
{
	struct probe p = { 0 };
	uint64_t a = 0, b = 0, status = ~0UL, at;
	uint32_t ibrd = mmio_read32(VIRT_UART + UART_IBRD);

	outcome("LDXP of the PL011: a synchronous external abort; STXP to IBRD: status 1 or an abort, IBRD unchanged");
	exc_catch_begin();
	__asm__ volatile("adr %2, 1f\n1:\tldxp %w0, %w1, [%3]\n\tclrex"
			 : "+r"(a), "+r"(b), "=&r"(at)
			 : "r"(PERIPHID0)
			 : "memory");
	p.completed = !exc_catch_end(&p.rec);
	p.pc = at;
	EXPECT(sea_at(&p), "LDXP: %s, ESR 0x%llx",
	       p.completed ? "completed" : "aborted",
	       (unsigned long long)p.rec.esr);
	exc_catch_begin();
	__asm__ volatile("adr %1, 1f\n1:\tstxp %w0, %w2, %w2, [%3]"
			 : "+r"(status), "=&r"(at)
			 : "r"(0x5U), "r"(VIRT_UART + UART_IBRD)
			 : "memory");
	p.completed = !exc_catch_end(&p.rec);
	p.pc = at;
	EXPECT(p.completed ? (uint32_t)status == 1 : sea_at(&p),
	       "STXP: %s, status 0x%llx, ESR 0x%llx",
	       p.completed ? "completed" : "aborted",
	       (unsigned long long)status, (unsigned long long)p.rec.esr);
	EXPECT(mmio_read32(VIRT_UART + UART_IBRD) == ibrd,
	       "IBRD is 0x%x, was 0x%x", mmio_read32(VIRT_UART + UART_IBRD),
	       ibrd);
}

TEST(mmio_atomic_gicd)
{
	uint64_t atomic = (read_sysreg(id_aa64isar0_el1) >> 20) & 0xf;
	register uint64_t x1 __asm__("x1") = ~0UL;
	register uint64_t x0 __asm__("x0") = 0x33;
	register uint64_t x2 __asm__("x2") = ISENABLER1;
	struct probe p = { 0 };
	uint64_t at;
	uint32_t was;

	outcome("LDADD on GICD_ISENABLER1: a synchronous external abort with FEAT_LSE, an UNDEF without; nothing enabled");
	gic_init();
	was = mmio_read32(ISENABLER1);
	exc_catch_begin();
	/* LDADD w1, w0, [x2] */
	__asm__ volatile("adr %3, 1f\n1:\t.inst 0xb8210040"
			 : "+r"(x0), "+r"(x1), "+r"(x2), "=&r"(at)
			 :
			 : "memory");
	p.completed = !exc_catch_end(&p.rec);
	p.pc = at;
	printf("# FEAT_LSE %s: LDADD %s, ESR 0x%llx\n", atomic ? "yes" : "no",
	       p.completed ? "completed" : "aborted",
	       (unsigned long long)p.rec.esr);
	if (atomic)
		EXPECT(sea_at(&p), "LDADD: ESR 0x%llx, want an external abort",
		       (unsigned long long)p.rec.esr);
	else
		EXPECT(want_undef("LDADD without FEAT_LSE", !p.completed,
				  &p.rec, at),
		       "UNDEF");
	gicd_unchanged("LDADD", was);
}

TEST(mmio_acquire_release)
{
	uint64_t v = 0, at;
	struct probe p = { 0 };

	outcome("LDAR of PL011 PeriphID0 and STLR to PL011 IBRD have a syndrome: emulated (0x11 read, IBRD written and restored)");
	exc_catch_begin();
	__asm__ volatile("adr %1, 1f\n1:\tldar %w0, [%2]"
			 : "+r"(v), "=&r"(at)
			 : "r"(PERIPHID0)
			 : "memory");
	p.completed = !exc_catch_end(&p.rec);
	EXPECT(p.completed && v == 0x11,
	       "LDAR: %s (ESR 0x%llx), value 0x%llx, want 0x11",
	       p.completed ? "completed" : "aborted",
	       (unsigned long long)p.rec.esr, (unsigned long long)v);
	v = mmio_read32(VIRT_UART + UART_IBRD);
	exc_catch_begin();
	__asm__ volatile("stlr %w0, [%1]"
			 :
			 : "r"((uint32_t)v ^ 1U), "r"(VIRT_UART + UART_IBRD)
			 : "memory");
	p.completed = !exc_catch_end(&p.rec);
	EXPECT(p.completed, "STLR aborted: ESR 0x%llx",
	       (unsigned long long)p.rec.esr);
	EXPECT(mmio_read32(VIRT_UART + UART_IBRD) == ((uint32_t)v ^ 1U),
	       "IBRD 0x%x after STLR of 0x%x",
	       mmio_read32(VIRT_UART + UART_IBRD), (uint32_t)v ^ 1U);
	mmio_write32(VIRT_UART + UART_IBRD, (uint32_t)v);
}

TEST(mmio_dc_zva)
{
	struct probe p = { 0 };
	uint64_t at;
	uint32_t was;

	outcome("DC ZVA on the GIC distributor (Device memory): a data abort (alignment fault, EC 0x25) in the guest, nothing zeroed");
	gic_init();
	mmio_write32(ISENABLER1, 1U << 3);
	was = mmio_read32(ISENABLER1);
	exc_catch_begin();
	__asm__ volatile("adr %0, 1f\n1:\tdc zva, %1"
			 : "=&r"(at)
			 : "r"(ISENABLER1 & ~63UL)
			 : "memory");
	p.completed = !exc_catch_end(&p.rec);
	p.pc = at;
	want_dabt("DC ZVA", ISENABLER1 & ~63UL, &p, ESR_EC_DABT_CUR, ~0UL);
	gicd_unchanged("DC ZVA", was);
	gic_init();
}

TEST(mmio_dc_maintenance)
{
	static const uint64_t where[] = { VIRT_GICD, VIRT_UART, VIRT_RTC };
	struct exc_record rec;

	outcome("DC CIVAC/CVAC/IVAC on emulated and absent devices: completes or a data abort, the device unchanged, Kairos up");
	for (unsigned int i = 0; i < ARRAY_SIZE(where); i++) {
		exc_catch_begin();
		__asm__ volatile("dc civac, %0" : : "r"(where[i]) : "memory");
		if (exc_catch_end(&rec) && ESR_EC(rec.esr) != ESR_EC_DABT_CUR)
			FAIL("DC CIVAC 0x%llx: EC 0x%llx",
			     (unsigned long long)where[i],
			     (unsigned long long)ESR_EC(rec.esr));
		exc_catch_begin();
		__asm__ volatile("dc cvac, %0" : : "r"(where[i]) : "memory");
		if (exc_catch_end(&rec) && ESR_EC(rec.esr) != ESR_EC_DABT_CUR)
			FAIL("DC CVAC 0x%llx: EC 0x%llx",
			     (unsigned long long)where[i],
			     (unsigned long long)ESR_EC(rec.esr));
		exc_catch_begin();
		__asm__ volatile("dc ivac, %0" : : "r"(where[i]) : "memory");
		if (exc_catch_end(&rec) && ESR_EC(rec.esr) != ESR_EC_DABT_CUR)
			FAIL("DC IVAC 0x%llx: EC 0x%llx",
			     (unsigned long long)where[i],
			     (unsigned long long)ESR_EC(rec.esr));
	}
	EXPECT(mmio_read32(PERIPHID0) == 0x11, "PL011 PeriphID0 0x%x",
	       mmio_read32(PERIPHID0));
}

/* An alignment fault in the guest's stage 1, or emulated by Kairos. */
static bool unaligned_ok(const char *what, uint64_t addr, const struct probe *p)
{
	printf("# %s at 0x%llx: %s, ESR 0x%llx\n", what,
	       (unsigned long long)addr, p->completed ? "completed" : "aborted",
	       (unsigned long long)p->rec.esr);
	if (p->completed)
		return true;
	return want_dabt(what, addr, p, ESR_EC_DABT_CUR, DFSC_ALIGN);
}

TEST(mmio_unaligned)
{
	uint32_t typer = mmio_read32(VIRT_GICD + 4);
	struct probe p;

	outcome("unaligned loads and stores on the PL011 and the GICD: an alignment fault (Device memory) or, where the CPU lets them through (QEMU), emulated within this VM's device; one straddling the end of the PL011 aborts, never reads the next page");
	gic_init();
	probe_ldr32(PERIPHID0 + 2, &p);
	if (!unaligned_ok("ldr w", PERIPHID0 + 2, &p))
		return;
	probe_ldrh(PERIPHID0 + 1, &p);
	if (!unaligned_ok("ldrh", PERIPHID0 + 1, &p))
		return;
	probe_str32(ISENABLER1 + 1, ~0UL, &p);
	if (!unaligned_ok("str w", ISENABLER1 + 1, &p))
		return;
	probe_ldr64(VIRT_UART + 0xffc, &p);
	EXPECT(!p.completed && ESR_EC(p.rec.esr) == ESR_EC_DABT_CUR &&
		       (ESR_ISS_DFSC(p.rec.esr) == DFSC_SEA ||
			ESR_ISS_DFSC(p.rec.esr) == DFSC_ALIGN),
	       "ldr x at 0x%llx (straddling the PL011's end): %s 0x%llx, ESR 0x%llx",
	       (unsigned long long)(VIRT_UART + 0xffc),
	       p.completed ? "read" : "aborted", (unsigned long long)p.val,
	       (unsigned long long)p.rec.esr);
	EXPECT(mmio_read32(VIRT_GICD + 4) == typer, "GICD_TYPER changed");
	EXPECT(gic_init(), "gic_init failed after unaligned accesses");
}

TEST(mmio_odd_widths_gicd)
{
	uint32_t ctlr, typer = mmio_read32(VIRT_GICD + 4);
	struct probe p;

	outcome("GICD: 8-bit and 64-bit accesses to 32-bit-only registers (CONSTRAINED UNPREDICTABLE) complete or abort, within this VM's distributor only: ID registers intact, the GIC works after a reset");
	gic_init();
	ctlr = mmio_read32(VIRT_GICD);
	probe_strb(VIRT_GICD, 0, &p);
	EXPECT(p.completed || sea_at(&p), "strb GICD_CTLR: ESR 0x%llx",
	       (unsigned long long)p.rec.esr);
	probe_str64(VIRT_GICD, 0, &p);
	EXPECT(p.completed || sea_at(&p), "str x GICD_CTLR: ESR 0x%llx",
	       (unsigned long long)p.rec.esr);
	printf("# GICD_CTLR 0x%x after sub- and over-sized writes of 0, was 0x%x\n",
	       mmio_read32(VIRT_GICD), ctlr);
	probe_ldrb(VIRT_GICD + 4, &p);
	EXPECT(p.completed ? (p.val == 0 || p.val == (typer & 0xff)) :
			     sea_at(&p),
	       "ldrb GICD_TYPER: 0x%llx", (unsigned long long)p.val);
	probe_ldr64(VIRT_GICD, &p);
	EXPECT(p.completed || sea_at(&p), "ldr x GICD_CTLR: ESR 0x%llx",
	       (unsigned long long)p.rec.esr);
	EXPECT(mmio_read32(VIRT_GICD + 4) == typer, "GICD_TYPER changed");
	EXPECT(gic_init(), "gic_init failed after odd-width accesses");
	EXPECT(mmio_read32(VIRT_GICD) == ctlr, "GICD_CTLR 0x%x after a reset",
	       mmio_read32(VIRT_GICD));
}

TEST(mmio_readonly_uart)
{
	static const unsigned int ro[] = { UART_FR, UART_PERIPHID0, 0xfe4,
					   0xff0, 0xffc };
	uint32_t before[ARRAY_SIZE(ro)];

	outcome("writes to the PL011's read-only registers (FR, ID registers) are ignored");
	for (unsigned int i = 0; i < ARRAY_SIZE(ro); i++)
		before[i] = mmio_read32(VIRT_UART + ro[i]);
	for (unsigned int i = 0; i < ARRAY_SIZE(ro); i++)
		mmio_write32(VIRT_UART + ro[i], ~0U);
	for (unsigned int i = 0; i < ARRAY_SIZE(ro); i++)
		EXPECT(mmio_read32(VIRT_UART + ro[i]) == before[i] ||
			       ro[i] == UART_FR,
		       "PL011 0x%x reads 0x%x after a write, was 0x%x", ro[i],
		       mmio_read32(VIRT_UART + ro[i]), before[i]);
}

TEST(mmio_flash_pair_writeback)
{
	struct probe p = { 0 };
	uint64_t base = VIRT_FLASH1 + 0x100, at;

	outcome("STP with post-index writeback to the erased flash (no valid syndrome): a synchronous external abort, nothing written, the base register not written back; a plain STR there is ignored");
	exc_catch_begin();
	__asm__ volatile("adr %1, 1f\n1:\tstp xzr, xzr, [%0], #16"
			 : "+r"(base), "=&r"(at)
			 :
			 : "memory");
	p.completed = !exc_catch_end(&p.rec);
	EXPECT(!p.completed, "STP with writeback to flash completed");
	EXPECT(p.completed || (p.rec.esr >> 26) == 0x25,
	       "STP to flash: ESR 0x%llx, want a data abort from EL1",
	       (unsigned long long)p.rec.esr);
	EXPECT(p.completed || (p.rec.esr & 0x3f) == 0x10,
	       "STP to flash: DFSC 0x%llx, want an external abort",
	       (unsigned long long)(p.rec.esr & 0x3f));
	EXPECT(base == VIRT_FLASH1 + 0x100,
	       "base register 0x%llx after the aborted STP, want 0x%llx",
	       (unsigned long long)base,
	       (unsigned long long)(VIRT_FLASH1 + 0x100));
	mmio_write64(VIRT_FLASH1 + 0x100, 0);
	EXPECT(mmio_read64(VIRT_FLASH1 + 0x100) == ~0UL,
	       "flash reads 0x%llx after the stores",
	       (unsigned long long)mmio_read64(VIRT_FLASH1 + 0x100));
}

TEST(mmio_zero_register)
{
	uint64_t v;

	outcome("loads into XZR and stores of WZR on emulated devices are emulated: nothing breaks, the zero register stays zero");
	gic_init();
	__asm__ volatile("ldr wzr, [%0]" : : "r"(PERIPHID0) : "memory");
	__asm__ volatile("str wzr, [%0]" : : "r"(ISENABLER1) : "memory");
	__asm__ volatile("mov %0, xzr" : "=r"(v));
	EXPECT(v == 0, "XZR reads 0x%llx", (unsigned long long)v);
	EXPECT(mmio_read32(ISENABLER1) == 0, "GICD_ISENABLER1 0x%x",
	       mmio_read32(ISENABLER1));
}
