// SPDX-License-Identifier: MIT
/*
 * Exceptions: illegal exception returns, stacks in MMIO, a misaligned
 * PC, instruction fetches from devices, WFI/WFE storms; and (run only when
 * named, each stops its VM) double faults through a broken VBAR, a stack
 * in MMIO under the exception vectors, page tables in MMIO.
 */
#include "hostile.h"

#define SPSR_IL (1UL << 20)
#define SPSR_DAIF 0x3c0UL
#define DAIF_I (1UL << 7)

void hs_eret_landing(void);
void hs_sp_loop(uint64_t sp) __attribute__((noreturn));

static uint64_t daif_read(void)
{
	return read_sysreg(daif);
}

/*
 * Fix-ups before the catch records an exception (it then skips 4 bytes):
 * an illegal state exception has SPSR.IL set, which would fault again;
 * a fetch abort or PC alignment fault returns to the caller (LR).
 */
static volatile bool fixup_il;

static bool fixup(struct exc_frame *frame, unsigned int kind)
{
	uint64_t ec = ESR_EC(frame->esr);

	(void)kind;
	if (ec == EC_ILLEGAL_STATE) {
		fixup_il = (frame->spsr & SPSR_IL) != 0;
		frame->spsr &= ~SPSR_IL;
	}
	if (ec == EC_IABT_CUR || ec == EC_IABT_LOW || ec == EC_PC_ALIGN)
		frame->elr = frame->x[30] - 4;
	return false;
}

static void illegal_eret(const char *what, uint64_t spsr)
{
	uint64_t daif = daif_read();
	struct exc_record rec;
	bool caught;

	fixup_il = false;
	exc_set_sync_handler(fixup);
	exc_catch_begin();
	hs_eret_to(spsr, (uint64_t)(uintptr_t)hs_eret_landing);
	caught = exc_catch_end(&rec);
	exc_set_sync_handler(NULL);
	write_sysreg(daif, daif);
	EXPECT(caught, "%s: ERET with SPSR 0x%llx did not fault", what,
	       (unsigned long long)spsr);
	EXPECT(ESR_EC(rec.esr) == EC_ILLEGAL_STATE &&
		       rec.elr == (uint64_t)(uintptr_t)hs_eret_landing &&
		       rec.kind == EXC_SYNC_EL1,
	       "%s: ESR 0x%llx (EC 0x%llx %s) at ELR 0x%llx, slot %u, want an illegal execution state exception (EC 0x0e) at EL1 at 0x%llx",
	       what, (unsigned long long)rec.esr,
	       (unsigned long long)ESR_EC(rec.esr),
	       exc_ec_name(ESR_EC(rec.esr)), (unsigned long long)rec.elr,
	       rec.kind, (unsigned long long)(uintptr_t)hs_eret_landing);
	EXPECT(fixup_il, "%s: SPSR_EL1 0x%llx had IL clear", what,
	       (unsigned long long)rec.spsr);
}

TEST(exc_illegal_eret_el2)
{
	outcome("ERET from EL1 to EL2h is an illegal return: an illegal execution state exception (EC 0x0e) at EL1, never EL2");
	illegal_eret("to EL2h", SPSR_DAIF | 0x9);
	illegal_eret("to EL2t", SPSR_DAIF | 0x8);
}

TEST(exc_illegal_eret_el3)
{
	outcome("ERET from EL1 to EL3h: illegal return, EC 0x0e at EL1");
	illegal_eret("to EL3h", SPSR_DAIF | 0xd);
}

TEST(exc_illegal_eret_aarch32_el1)
{
	outcome("ERET to AArch32 EL1 (SVC mode; EL1 is AArch64 only) or a reserved mode: illegal return, EC 0x0e at EL1");
	illegal_eret("to AArch32 SVC", SPSR_DAIF | 0x13);
	illegal_eret("to reserved mode 0x2", SPSR_DAIF | 0x2);
}

static volatile uint64_t el0_pc;

/* At EL0: SP = arg, a pre-indexed store through it. */
static uint64_t el0_sp_mmio(void *arg)
{
	uint64_t at;

	__asm__ volatile("mov x9, sp\n\tmov sp, %1\n\t"
			 "adr %0, 1f\n1:\tstr x9, [sp, #-16]!\n\t"
			 "mov sp, x9"
			 : "=&r"(at)
			 : "r"((uint64_t)(uintptr_t)arg)
			 : "x9", "memory");
	el0_pc = at;
	return 0;
}

TEST(exc_sp_el0_mmio)
{
	struct exc_record rec;
	uint64_t sp = VIRT_UART + 0x100;

	outcome("EL0 with its SP in the PL011: a pre-indexed store (no syndrome) takes a synchronous external abort from EL0 (EC 0x24), SP unchanged");
	exc_catch_begin();
	run_at_el0(el0_sp_mmio, (void *)(uintptr_t)sp);
	EXPECT(exc_catch_end(&rec), "the store through SP 0x%llx completed",
	       (unsigned long long)sp);
	EXPECT(rec.kind == EXC_SYNC_EL0 && ESR_EC(rec.esr) == ESR_EC_DABT_LOW &&
		       ESR_ISS_DFSC(rec.esr) == DFSC_SEA && rec.elr == el0_pc,
	       "slot %u ESR 0x%llx ELR 0x%llx, want a synchronous external abort from EL0 at 0x%llx",
	       rec.kind, (unsigned long long)rec.esr,
	       (unsigned long long)rec.elr, (unsigned long long)el0_pc);
}

/* At EL0: SP = arg, a post-indexed store pair through it. */
static uint64_t el0_sp_pair(void *arg)
{
	uint64_t at;

	__asm__ volatile("mov x9, sp\n\tmov sp, %1\n\t"
			 "adr %0, 1f\n1:\tstp x9, x9, [sp], #16\n\t"
			 "mov sp, x9"
			 : "=&r"(at)
			 : "r"((uint64_t)(uintptr_t)arg)
			 : "x9", "memory");
	el0_pc = at;
	return 0;
}

TEST(exc_sp_el0_gicd)
{
	struct exc_record rec;
	uint64_t sp = VIRT_GICD + 0x100;
	uint32_t before;

	outcome("EL0 with its SP in the GIC distributor (ISENABLER): a post-indexed store pair takes a synchronous external abort from EL0, nothing enabled");
	gic_init();
	before = mmio_read32(VIRT_GICD + 0x104);
	exc_catch_begin();
	run_at_el0(el0_sp_pair, (void *)(uintptr_t)sp);
	EXPECT(exc_catch_end(&rec),
	       "the store pair through SP 0x%llx completed",
	       (unsigned long long)sp);
	EXPECT(rec.kind == EXC_SYNC_EL0 && ESR_EC(rec.esr) == ESR_EC_DABT_LOW &&
		       ESR_ISS_DFSC(rec.esr) == DFSC_SEA && rec.elr == el0_pc,
	       "slot %u ESR 0x%llx ELR 0x%llx, want a synchronous external abort from EL0 at 0x%llx",
	       rec.kind, (unsigned long long)rec.esr,
	       (unsigned long long)rec.elr, (unsigned long long)el0_pc);
	EXPECT(mmio_read32(VIRT_GICD + 0x104) == before,
	       "GICD_ISENABLER1 changed: 0x%x, was 0x%x",
	       mmio_read32(VIRT_GICD + 0x104), before);
}

TEST(exc_pc_misaligned)
{
	struct exc_record rec;
	uint64_t target = (uint64_t)(uintptr_t)hs_eret_landing + 2;

	outcome("a branch to a misaligned address: a PC alignment fault (EC 0x22) at EL1");
	exc_set_sync_handler(fixup);
	exc_catch_begin();
	__asm__ volatile("blr %0" : : "r"(target) : "x30", "memory");
	EXPECT(exc_catch_end(&rec), "the branch to 0x%llx did not fault",
	       (unsigned long long)target);
	exc_set_sync_handler(NULL);
	EXPECT(ESR_EC(rec.esr) == EC_PC_ALIGN,
	       "ESR 0x%llx (EC 0x%llx %s), want a PC alignment fault",
	       (unsigned long long)rec.esr, (unsigned long long)ESR_EC(rec.esr),
	       exc_ec_name(ESR_EC(rec.esr)));
	exc_set_sync_handler(NULL);
}

TEST(exc_fetch_mmio)
{
	static const uint64_t where[] = { VIRT_UART, VIRT_GICD, VIRT_RTC };
	struct exc_record rec;

	outcome("MMU off, a branch into the PL011, the GIC distributor, an absent device: an instruction abort (EC 0x21, external abort) at EL1");
	exc_set_sync_handler(fixup);
	for (unsigned int i = 0; i < ARRAY_SIZE(where); i++) {
		exc_catch_begin();
		hs_mmuoff_call(where[i]);
		if (!exc_catch_end(&rec)) {
			exc_set_sync_handler(NULL);
			FAIL("the branch to 0x%llx came back without a fault",
			     (unsigned long long)where[i]);
		}
		if (ESR_EC(rec.esr) != EC_IABT_CUR ||
		    ESR_ISS_DFSC(rec.esr) != DFSC_SEA || rec.far != where[i]) {
			exc_set_sync_handler(NULL);
			FAIL("fetch at 0x%llx: ESR 0x%llx (EC 0x%llx %s) FAR 0x%llx, want an instruction abort, external",
			     (unsigned long long)where[i],
			     (unsigned long long)rec.esr,
			     (unsigned long long)ESR_EC(rec.esr),
			     exc_ec_name(ESR_EC(rec.esr)),
			     (unsigned long long)rec.far);
		}
	}
	exc_set_sync_handler(NULL);
}

TEST(exc_wfx_storm)
{
	uint64_t t0 = time_us(), n_wfi = 2000, n_wfe = 5000;

	outcome("5000 WFE and 2000 WFI with a masked interrupt pending (a due virtual timer): each returns, the VM goes on");
	irq_mask();
	timer_virt_set_cval(0);
	timer_virt_set_ctl(TIMER_CTL_ENABLE);
	for (uint64_t i = 0; i < n_wfe; i++)
		wfe();
	for (uint64_t i = 0; i < n_wfi; i++)
		__asm__ volatile("wfi" ::: "memory");
	timer_virt_set_ctl(0);
	printf("# %llu WFE + %llu WFI in %llu us\n", (unsigned long long)n_wfe,
	       (unsigned long long)n_wfi, (unsigned long long)(time_us() - t0));
}

/* Each of these stops its VM: run only when named, one per VM. */

TEST_FLAGS(exc_vbar_device_loop, TEST_NAMED_ONLY)
{
	uint64_t sctlr = read_sysreg(sctlr_el1) & ~1UL;

	outcome("stopped: MMU off, VBAR_EL1 in the PL011, an UNDEF: every vector fetch faults at 0x9000200 and Kairos stops the VM (fault-loop)");
	fflush(stdout);
	__asm__ volatile("msr sctlr_el1, %0\n\tisb\n\t"
			 "msr vbar_el1, %1\n\tisb\n\tudf #0"
			 :
			 : "r"(sctlr), "r"(VIRT_UART)
			 : "memory");
	FAIL("the UDF came back with VBAR_EL1 in the PL011");
}

TEST_FLAGS(exc_sp_mmio_loop, TEST_NAMED_ONLY)
{
	outcome("stopped: SP_EL1 in the PL011 and vectors that save below SP: the save faults for ever and Kairos stops the VM (fault-loop)");
	fflush(stdout);
	hs_sp_loop(VIRT_UART + 0x800);
}

TEST_FLAGS(exc_ttbr_mmio_loop, TEST_NAMED_ONLY)
{
	outcome("stopped: TTBR0_EL1 pointing at the PL011: every walk faults at stage 2 and Kairos stops the VM (fault-loop)");
	fflush(stdout);
	__asm__ volatile("msr ttbr0_el1, %0\n\tisb\n\ttlbi vmalle1\n\t"
			 "dsb nsh\n\tisb\n\tnop"
			 :
			 : "r"(VIRT_UART)
			 : "memory");
	FAIL("the MMU walked page tables in the PL011");
}
