// SPDX-License-Identifier: MIT
/*
 * AArch32 at EL0 (where the CPU has it; EL1 stays AArch64): what has no
 * syndrome (LDM, a load to the PC) aborts, a 16-bit Thumb store to an
 * absent device aborts at that instruction, HVC and SMC are UNDEFINED.
 * Every exception is taken through the lower-EL AArch32 vector.
 */
#include "hostile.h"

#define SPSR_USR 0x10UL /* M[4] = 1: AArch32, User mode */
#define SPSR_T (1UL << 5)
#define SPSR_AIF (7UL << 6)
#define SLOT_A32_SYNC 12

extern const uint32_t hs_a32_ldm[], hs_a32_ldr_pc[], hs_a32_hvc[], hs_a32_smc[];
extern const uint16_t hs_t32_str[];

static bool a32_supported(void)
{
	return (read_sysreg(id_aa64pfr0_el1) & 0xf) == 2;
}

/* Runs @code; it must leave through slot 12 with @ec at its first insn. */
static bool a32_expect(const char *what, const void *code, bool thumb,
		       uint64_t ec, uint64_t r1)
{
	uint64_t r[7] = { 0x1111, r1, 0x2222, 0 };

	a32_run((uintptr_t)code, SPSR_USR | SPSR_AIF | (thumb ? SPSR_T : 0), r);
	if (r[6] != SLOT_A32_SYNC || ESR_EC(r[4]) != ec ||
	    r[5] != (uintptr_t)code) {
		test_fail(
			"%s: slot %llu, ESR 0x%llx (EC 0x%llx %s), ELR 0x%llx; want EC 0x%llx through slot 12 at 0x%llx",
			what, (unsigned long long)r[6],
			(unsigned long long)r[4],
			(unsigned long long)ESR_EC(r[4]),
			exc_ec_name(ESR_EC(r[4])), (unsigned long long)r[5],
			(unsigned long long)ec,
			(unsigned long long)(uintptr_t)code);
		return false;
	}
	if (ec == ESR_EC_DABT_LOW && ESR_ISS_DFSC(r[4]) != DFSC_SEA) {
		test_fail("%s: DFSC 0x%llx, want a synchronous external abort",
			  what, (unsigned long long)ESR_ISS_DFSC(r[4]));
		return false;
	}
	if ((uint32_t)r[0] != 0x1111 || (uint32_t)r[2] != 0x2222) {
		test_fail("%s: R0 0x%llx R2 0x%llx changed by an aborted load",
			  what, (unsigned long long)r[0],
			  (unsigned long long)r[2]);
		return false;
	}
	return true;
}

TEST(exc_aarch32_no_syndrome)
{
	outcome("AArch32 EL0: LDM and LDR PC from the PL011 (no syndrome, or a load to the PC) take a synchronous external abort through the AArch32 vector, registers unchanged");
	if (!a32_supported())
		SKIP("no AArch32 at EL0 (ID_AA64PFR0_EL1.EL0)");
	if (!a32_expect("LDM r1, {r0, r2}", hs_a32_ldm, false, ESR_EC_DABT_LOW,
			VIRT_UART + UART_PERIPHID0))
		return;
	a32_expect("LDR pc, [r1]", hs_a32_ldr_pc, false, ESR_EC_DABT_LOW,
		   VIRT_UART + UART_PERIPHID0);
}

TEST(exc_aarch32_thumb_absent)
{
	outcome("AArch32 EL0 Thumb: a 16-bit store to an absent device (the RTC) takes a synchronous external abort at that instruction");
	if (!a32_supported())
		SKIP("no AArch32 at EL0 (ID_AA64PFR0_EL1.EL0)");
	a32_expect("Thumb STR r0, [r1]", hs_t32_str, true, ESR_EC_DABT_LOW,
		   VIRT_RTC);
}

TEST(exc_aarch32_hvc_smc)
{
	outcome("AArch32 EL0: HVC #0 and SMC #0 are UNDEFINED (EC 0x00 through the AArch32 vector), nothing reaches Kairos's PSCI");
	if (!a32_supported())
		SKIP("no AArch32 at EL0 (ID_AA64PFR0_EL1.EL0)");
	if (!a32_expect("HVC #0", hs_a32_hvc, false, ESR_EC_UNKNOWN, 0))
		return;
	a32_expect("SMC #0", hs_a32_smc, false, ESR_EC_UNKNOWN, 0);
}
