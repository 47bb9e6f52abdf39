// SPDX-License-Identifier: MIT
/*
 * System registers: EL2 and EL3 registers and operations (UNDEF at EL1),
 * IMPLEMENTATION DEFINED registers and ACTLR_EL1 (trapped, UNDEF), writes
 * to ID registers, set/way maintenance (cannot discard data), and the PMU
 * and debug registers, which the guest programs directly
 * (docs/security.md, "What is not defended"): their accesses complete,
 * Kairos stays up; sys_leak_plant leaves values for the innocent VM to
 * look for.
 */
#include "hostile.h"

TEST(sys_el2_read)
{
	outcome("MRS of EL2 registers (HCR, VTTBR, VTCR, VBAR, SCTLR, ELR, SPSR, ESR, FAR, HPFAR, TPIDR, MDCR, CPTR, HSTR_EL2) and SP_EL1 from EL1: UNDEF each");
	UNDEF_MRS(hcr_el2);
	UNDEF_MRS(vttbr_el2);
	UNDEF_MRS(vtcr_el2);
	UNDEF_MRS(vbar_el2);
	UNDEF_MRS(sctlr_el2);
	UNDEF_MRS(elr_el2);
	UNDEF_MRS(spsr_el2);
	UNDEF_MRS(esr_el2);
	UNDEF_MRS(far_el2);
	UNDEF_MRS(hpfar_el2);
	UNDEF_MRS(tpidr_el2);
	UNDEF_MRS(mdcr_el2);
	UNDEF_MRS(cptr_el2);
	UNDEF_MRS(hstr_el2);
	UNDEF_MRS(sp_el1);
}

TEST(sys_el2_write)
{
	outcome("MSR of all ones or zero to EL2 registers from EL1: UNDEF each, the VM goes on");
	UNDEF_MSR(hcr_el2, 0);
	UNDEF_MSR(vttbr_el2, 0);
	UNDEF_MSR(vtcr_el2, ~0UL);
	UNDEF_MSR(vbar_el2, 0);
	UNDEF_MSR(sctlr_el2, 0);
	UNDEF_MSR(elr_el2, 0);
	UNDEF_MSR(spsr_el2, 0x3c9);
	UNDEF_MSR(tpidr_el2, ~0UL);
	UNDEF_MSR(mdcr_el2, ~0UL);
	UNDEF_MSR(cptr_el2, ~0UL);
	UNDEF_MSR(hstr_el2, ~0UL);
	UNDEF_MSR(sp_el1, 0);
}

TEST(sys_gic_el2)
{
	outcome("the GIC's hypervisor registers (ICH_HCR/VTR/VMCR/LR0_EL2) from EL1: UNDEF, read or written");
	UNDEF_MRS(ich_hcr_el2);
	UNDEF_MRS(ich_vtr_el2);
	UNDEF_MRS(ich_vmcr_el2);
	UNDEF_MRS(ich_lr0_el2);
	UNDEF_MSR(ich_hcr_el2, ~0UL);
	UNDEF_MSR(ich_lr0_el2, ~0UL);
}

TEST(sys_el3_regs)
{
	outcome("EL3 registers (SCR_EL3, VBAR_EL3, MDCR_EL3) from EL1: UNDEF");
	UNDEF_MRS(scr_el3);
	UNDEF_MRS(vbar_el3);
	UNDEF_MRS(mdcr_el3);
	UNDEF_MSR(scr_el3, ~0UL);
}

TEST(sys_impdef)
{
	outcome("IMPLEMENTATION DEFINED registers (CRn 11 and 15: CPUACTLR, CPUECTLR, L2CTLR, L2ECTLR-like encodings) trap: UNDEF, read or written");
	UNDEF_MRS(s3_1_c15_c2_0);
	UNDEF_MRS(s3_1_c15_c2_1);
	UNDEF_MRS(s3_1_c11_c0_2);
	UNDEF_MRS(s3_1_c11_c0_3);
	UNDEF_MRS(s3_0_c15_c0_0);
	UNDEF_MSR(s3_1_c15_c2_0, ~0UL);
	UNDEF_MSR(s3_1_c15_c2_1, ~0UL);
	UNDEF_MSR(s3_1_c11_c0_2, ~0UL);
	UNDEF_MSR(s3_3_c15_c0_0, 0);
}

TEST(sys_actlr)
{
	outcome("ACTLR_EL1 (trapped by HCR_EL2.TACR): UNDEF, read or written");
	UNDEF_MRS(actlr_el1);
	UNDEF_MSR(actlr_el1, ~0UL);
}

TEST(sys_id_write)
{
	uint64_t midr = read_sysreg(midr_el1);

	outcome("MSR to read-only ID registers (MIDR_EL1, ID_AA64PFR0_EL1, MPIDR_EL1 encodings): UNDEF, their values unchanged");
	UNDEF_MSR(s3_0_c0_c0_0, 0);
	UNDEF_MSR(s3_0_c0_c4_0, 0);
	UNDEF_MSR(s3_0_c0_c0_5, 0);
	EXPECT(read_sysreg(midr_el1) == midr, "MIDR_EL1 changed");
}

#define SETWAY_WORDS 4096

static uint64_t setway_buf[SETWAY_WORDS];

TEST(sys_setway)
{
	outcome("DC ISW over every set/way encoding (and garbage ones) cannot discard data: a pattern written just before reads back whole");
	for (unsigned int i = 0; i < SETWAY_WORDS; i++)
		setway_buf[i] = 0x5e7a000000000000UL | i;
	for (uint64_t level = 0; level < 2; level++)
		for (uint64_t way = 0; way < 16; way++)
			for (uint64_t set = 0; set < 1024; set += 3)
				__asm__ volatile(
					"dc isw, %0"
					:
					: "r"(way << 28 | set << 6 | level << 1)
					: "memory");
	__asm__ volatile(
		"dc isw, %0\n\tdc cisw, %0\n\tdc csw, %0\n\tdsb sy" ::"r"(~0UL)
		: "memory");
	for (unsigned int i = 0; i < SETWAY_WORDS; i++)
		EXPECT(setway_buf[i] == (0x5e7a000000000000UL | i),
		       "word %u is 0x%llx after DC ISW: data discarded", i,
		       (unsigned long long)setway_buf[i]);
}

TEST(sys_el2_ops)
{
	outcome("EL2 TLB and address-translation operations (TLBI ALLE2, ALLE1, VMALLS12E1, AT S1E2R, AT S12E1R) from EL1: UNDEF");
	UNDEF_SYS("tlbi alle2");
	UNDEF_SYS("tlbi alle1");
	UNDEF_SYS("tlbi vmalls12e1");
	UNDEF_SYS("at s1e2r, x9");
	UNDEF_SYS("at s12e1r, x9");
	__asm__ volatile("tlbi vmalle1is\n\tdsb ish\n\tisb" ::: "memory");
}

static bool have_pmu(void)
{
	uint64_t v = (read_sysreg(id_aa64dfr0_el1) >> 8) & 0xf;

	return v != 0 && v != 0xf;
}

/* One access that may complete or UNDEF, nothing else. */
#define PMU_OK(insn, val)                                                 \
	do {                                                              \
		struct exc_record r;                                      \
		exc_catch_begin();                                        \
		__asm__ volatile(insn ::"r"((uint64_t)(val)) : "memory"); \
		if (exc_catch_end(&r) && ESR_EC(r.esr) != ESR_EC_UNKNOWN) \
			FAIL("%s: EC 0x%llx (%s)", insn,                  \
			     (unsigned long long)ESR_EC(r.esr),           \
			     exc_ec_name(ESR_EC(r.esr)));                 \
	} while (0)

TEST(sys_pmu_access)
{
	outcome("PMU registers written with all ones (PMCR, counters, selectors, enables, overflow flags, PMUSERENR) then cleared: each completes or is an UNDEF, Kairos stays up");
	if (!have_pmu())
		SKIP("no PMUv3 (ID_AA64DFR0_EL1.PMUVer)");
	PMU_OK("msr pmcr_el0, %0", ~0UL);
	PMU_OK("msr pmselr_el0, %0", 31);
	PMU_OK("msr pmxevtyper_el0, %0", ~0UL);
	PMU_OK("msr pmselr_el0, %0", ~0UL);
	PMU_OK("msr pmxevcntr_el0, %0", ~0UL);
	PMU_OK("msr pmccntr_el0, %0", ~0UL);
	PMU_OK("msr pmevtyper0_el0, %0", ~0UL);
	PMU_OK("msr pmccfiltr_el0, %0", ~0UL);
	PMU_OK("msr pmcntenset_el0, %0", ~0UL);
	PMU_OK("msr pmovsset_el0, %0", ~0UL);
	PMU_OK("msr pmuserenr_el0, %0", ~0UL);
	PMU_OK("msr pmswinc_el0, %0", ~0UL);
	time_delay_us(1000);
	PMU_OK("msr pmcntenclr_el0, %0", ~0UL);
	PMU_OK("msr pmintenclr_el1, %0", ~0UL);
	PMU_OK("msr pmovsclr_el0, %0", ~0UL);
	PMU_OK("msr pmuserenr_el0, %0", 0);
	PMU_OK("msr pmccfiltr_el0, %0", 0);
	PMU_OK("msr pmcr_el0, %0", 0);
}

static volatile uint32_t pmu_irqs;

static void pmu_irq(struct gic_irq *irq, void *arg)
{
	(void)irq;
	(void)arg;
	pmu_irqs++;
	write_sysreg(~0UL, pmintenclr_el1);
}

TEST(sys_pmu_overflow_irq)
{
	uint64_t ovs;

	outcome("the cycle counter made to overflow with its interrupt enabled: the overflow flag is set, the PMU interrupt (PPI 23) reaches the guest once (its handler disables it), Kairos stays up");
	if (!have_pmu())
		SKIP("no PMUv3 (ID_AA64DFR0_EL1.PMUVer)");
	irq_mask();
	gic_init();
	gic_set_handler(23, pmu_irq, NULL);
	gic_set_enable(23, true);
	pmu_irqs = 0;
	write_sysreg(1UL << 31, pmovsclr_el0);
	write_sysreg(0, pmccfiltr_el0);
	write_sysreg(~0UL - 100000, pmccntr_el0);
	write_sysreg(1UL << 31, pmintenset_el1);
	write_sysreg(1UL << 31, pmcntenset_el0);
	write_sysreg(1UL << 6 | 1, pmcr_el0); /* LC, E */
	isb();
	/*
	 * A WFI once the flag is up (a vCPU blocked in WFI does not count,
	 * so an overflow still to come would never wake it), with IRQs
	 * masked: the interrupt may come at any instruction, and one taken
	 * between the check and the WFI would leave the WFI waiting for
	 * nothing. A pending interrupt ends a WFI also when masked.
	 */
	for (uint64_t t0 = time_us(); !pmu_irqs && time_us() - t0 < 1000000;) {
		if (read_sysreg(pmovsset_el0) & (1UL << 31))
			__asm__ volatile("wfi");
		irq_unmask();
		irq_mask();
	}
	irq_unmask();
	time_delay_us(3000);
	irq_mask();
	ovs = read_sysreg(pmovsset_el0);
	write_sysreg(0, pmcr_el0);
	write_sysreg(~0UL, pmcntenclr_el0);
	write_sysreg(~0UL, pmintenclr_el1);
	write_sysreg(~0UL, pmovsclr_el0);
	isb();
	gic_set_enable(23, false);
	gic_set_handler(23, NULL, NULL);
	printf("# PMOVSSET 0x%llx, %u PMU interrupts taken\n",
	       (unsigned long long)ovs, pmu_irqs);
	EXPECT(ovs & (1UL << 31),
	       "PMOVSSET 0x%llx: the cycle counter did not "
	       "overflow",
	       (unsigned long long)ovs);
	EXPECT(pmu_irqs == 1, "%u PMU interrupts reached the guest, want 1",
	       pmu_irqs);
}

static bool have_debug(void)
{
	return ((read_sysreg(id_aa64dfr0_el1) >> 12) & 0xf) >= 1;
}

TEST(sys_debug_regs)
{
	uint64_t mdscr = read_sysreg(mdscr_el1), oslsr;

	outcome("debug registers (breakpoint/watchpoint values, OS lock, OS double lock, claim tags, MDSCR) written and read: each completes, values read back, Kairos stays up");
	if (!have_debug())
		SKIP("no debug breakpoints (ID_AA64DFR0_EL1.BRPs)");
	write_sysreg(0x40001000UL, dbgbvr0_el1);
	write_sysreg(0, dbgbcr0_el1);
	write_sysreg(0x40002000UL, dbgwvr0_el1);
	write_sysreg(0, dbgwcr0_el1);
	isb();
	EXPECT(read_sysreg(dbgbvr0_el1) == 0x40001000UL &&
		       read_sysreg(dbgwvr0_el1) == 0x40002000UL,
	       "DBGBVR0 0x%llx DBGWVR0 0x%llx",
	       (unsigned long long)read_sysreg(dbgbvr0_el1),
	       (unsigned long long)read_sysreg(dbgwvr0_el1));
	write_sysreg(1, oslar_el1);
	isb();
	oslsr = read_sysreg(oslsr_el1);
	write_sysreg(0, oslar_el1);
	isb();
	EXPECT(oslsr & 2, "OSLSR_EL1 0x%llx: OS lock not set",
	       (unsigned long long)oslsr);
	write_sysreg(1, osdlr_el1);
	write_sysreg(0, osdlr_el1);
	write_sysreg(0xff, dbgclaimset_el1);
	write_sysreg(0xff, dbgclaimclr_el1);
	write_sysreg(mdscr | 1UL << 15 | 1UL << 13, mdscr_el1);
	isb();
	write_sysreg(mdscr, mdscr_el1);
	write_sysreg(0, dbgbvr0_el1);
	write_sysreg(0, dbgwvr0_el1);
	isb();
}

void hs_eret_landing(void);

TEST(sys_debug_bkpt)
{
	uint64_t mdscr = read_sysreg(mdscr_el1);
	uint64_t addr = (uint64_t)(uintptr_t)hs_eret_landing;
	struct exc_record rec;
	bool caught;

	outcome("a hardware breakpoint the guest sets on its own code, debug exceptions enabled at EL1: a breakpoint exception (EC 0x31) in the guest, never at EL2");
	if (!have_debug())
		SKIP("no debug breakpoints (ID_AA64DFR0_EL1.BRPs)");
	write_sysreg(0, oslar_el1);
	write_sysreg(addr, dbgbvr0_el1);
	write_sysreg(0xfUL << 5 | 3UL << 1 | 1, dbgbcr0_el1);
	write_sysreg(mdscr | 1UL << 15 | 1UL << 13, mdscr_el1);
	isb();
	exc_catch_begin();
	__asm__ volatile("msr daifclr, #8\n\tisb\n\tblr %0\n\tmsr daifset, #8"
			 :
			 : "r"(addr)
			 : "x30", "memory");
	caught = exc_catch_end(&rec);
	write_sysreg(0, dbgbcr0_el1);
	write_sysreg(0, dbgbvr0_el1);
	write_sysreg(mdscr, mdscr_el1);
	isb();
	EXPECT(caught && ESR_EC(rec.esr) == EC_BKPT_CUR && rec.elr == addr,
	       "%s: ESR 0x%llx ELR 0x%llx, want a breakpoint exception (EC 0x31) at 0x%llx",
	       caught ? "caught" : "no exception", (unsigned long long)rec.esr,
	       (unsigned long long)rec.elr, (unsigned long long)addr);
}

TEST(sys_leak_plant)
{
	outcome("PMEVCNTR0 (stopped), DBGBVR1 and DBGWVR1 (disabled) set to marker values that the innocent VM on the same pCPU must never read");
	if (!have_pmu() || !have_debug())
		SKIP("no PMUv3 or debug breakpoints");
	write_sysreg(1, pmcntenclr_el0);
	write_sysreg(0x686f7374UL, pmevcntr0_el0);
	write_sysreg(0, dbgbcr1_el1);
	write_sysreg(0, dbgwcr1_el1);
	write_sysreg(0x686f0000UL, dbgbvr1_el1);
	write_sysreg(0x686f0000UL, dbgwvr1_el1);
	isb();
	printf("# planted PMEVCNTR0 0x%llx DBGBVR1 0x%llx DBGWVR1 0x%llx\n",
	       (unsigned long long)read_sysreg(pmevcntr0_el0),
	       (unsigned long long)read_sysreg(dbgbvr1_el1),
	       (unsigned long long)read_sysreg(dbgwvr1_el1));
}
