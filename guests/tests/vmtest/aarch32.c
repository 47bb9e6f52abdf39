// SPDX-License-Identifier: MIT
/*
 * aarch32_el0: AArch32 code at EL0 (EL1 stays AArch64), as a 64-bit kernel
 * runs 32-bit programs. Its exits to the hypervisor must be handled as
 * those of AArch64 code: an emulated device access in A32 and in Thumb (a
 * 16-bit instruction is stepped over by 2 bytes, an IT block moves on), a
 * trapped WFE, the physical timer through CP15, an UNDEF injected at the
 * AArch32 vector, and a physical interrupt taken while it runs.
 */
#include <lg/probe.h>
#include <libguest.h>
#include <string.h>

#define PL011_PERIPHID0 (LG_PL011_BASE + 0xfe0)
#define PL011_PERIPHID0_VAL 0x11
#define SPSR_USR 0x10UL /* M[4] = 1: AArch32, User mode */
#define SPSR_T (1UL << 5)
#define SPSR_AIF (7UL << 6)
#define SLOT_A32_SYNC 12 /* lower EL, AArch32, synchronous */
#define ESR_EC_SVC32 0x11
#define LOOPS 100000000UL
#define SCTLR_NTWE (1UL << 18) /* EL0 may run WFE */
#define CNTKCTL_EL0PCTEN (1UL << 0)
#define CNTKCTL_EL0PTEN (1UL << 9)

extern const uint32_t a32_code_arm[];
extern const uint16_t a32_code_thumb[];
extern const uint32_t a32_code_timer[];

/* Run one program; false (the test failed) unless it ended in its SVC. */
static bool a32_check_svc(const char *what, const uint64_t *r)
{
	if (r[6] == SLOT_A32_SYNC && ESR_EC(r[4]) == ESR_EC_SVC32)
		return true;
	test_fail(
		"%s: left through vector slot %llu, ESR 0x%llx, ELR 0x%llx; want its SVC (slot 12, EC 0x11)",
		what, (unsigned long long)r[6], (unsigned long long)r[4],
		(unsigned long long)r[5]);
	return false;
}

static void a32_arm_with_interrupt(void)
{
	uint64_t r[7] = { 0, PL011_PERIPHID0, LOOPS, 40 };
	uint64_t t0, t1, deadline;

	/* Its interrupt, enabled in the GIC, reaches the hypervisor while
	 * the loop runs; the guest keeps it masked (PSTATE.I) and pending. */
	if (!gic_init()) {
		test_fail("no GICv2 or GICv3 in the DTB");
		return;
	}
	gic_set_edge(timer_virt_intid(), false);
	gic_set_enable(timer_virt_intid(), true);
	t0 = read_sysreg(cntvct_el0);
	deadline = t0 + time_freq() / 1000;
	timer_virt_set_cval(deadline);
	timer_virt_set_ctl(1);
	a32_run((uintptr_t)a32_code_arm, SPSR_USR | SPSR_AIF, r);
	t1 = read_sysreg(cntvct_el0);
	timer_virt_set_ctl(0);
	gic_set_enable(timer_virt_intid(), false);
	if (!a32_check_svc("A32", r))
		return;
	printf("# A32: %llu loops in %llu us\n", (unsigned long long)LOOPS,
	       (unsigned long long)((t1 - t0) * 1000000 / time_freq()));
	EXPECT((uint32_t)r[0] == PL011_PERIPHID0_VAL,
	       "A32 ldr of PL011 PeriphID0 gave R0 = 0x%llx, want 0x%x",
	       (unsigned long long)r[0], PL011_PERIPHID0_VAL);
	EXPECT((uint32_t)r[3] == 41, "A32: R3 = %llu after add, want 41",
	       (unsigned long long)(uint32_t)r[3]);
	EXPECT((uint32_t)r[2] == 0, "A32: the loop ended with R2 = %llu",
	       (unsigned long long)(uint32_t)r[2]);
	EXPECT(t1 > deadline + time_freq() / 1000,
	       "the loop took %llu us, not long enough to see the timer fire 1 ms in",
	       (unsigned long long)((t1 - t0) * 1000000 / time_freq()));
}

static void a32_thumb(void)
{
	uint64_t r[7] = { 0, PL011_PERIPHID0, 0, 0 };
	uint64_t sctlr = read_sysreg(sctlr_el1);

	write_sysreg(sctlr | SCTLR_NTWE, sctlr_el1);
	isb();
	a32_run((uintptr_t)a32_code_thumb, SPSR_USR | SPSR_T | SPSR_AIF, r);
	write_sysreg(sctlr, sctlr_el1);
	isb();
	if (!a32_check_svc("Thumb", r))
		return;
	EXPECT((uint32_t)r[0] == PL011_PERIPHID0_VAL,
	       "Thumb ldr of PL011 PeriphID0 gave R0 = 0x%llx, want 0x%x",
	       (unsigned long long)r[0], PL011_PERIPHID0_VAL);
	EXPECT((uint32_t)r[3] == 3,
	       "Thumb: R3 = %llu, want 3 (less: an instruction after a 16-bit load or WFE was skipped; 4: the IT block did not move on)",
	       (unsigned long long)(uint32_t)r[3]);
	EXPECT(r[5] == (uintptr_t)&a32_code_thumb[9] + 2,
	       "Thumb: SVC returns to 0x%llx, want 0x%llx",
	       (unsigned long long)r[5],
	       (unsigned long long)((uintptr_t)&a32_code_thumb[9] + 2));
}

/*
 * The physical timer through CP15, allowed at EL0 by CNTKCTL_EL1: read as
 * at EL1; the CNTPCT write is UNDEFINED, taken at EL1 through the lower
 * EL AArch32 vector (VBAR_EL1 + 0x600).
 */
static void a32_timer(void)
{
	uint64_t r[7] = { 0 };
	uint64_t kctl = read_sysreg(cntkctl_el1), before, after, count;

	timer_phys_set_cval(~0UL);
	timer_phys_set_ctl(3); /* ENABLE | IMASK, not due */
	write_sysreg(kctl | CNTKCTL_EL0PCTEN | CNTKCTL_EL0PTEN, cntkctl_el1);
	isb();
	before = timer_phys_count();
	a32_run((uintptr_t)a32_code_timer, SPSR_USR | SPSR_AIF, r);
	after = timer_phys_count();
	write_sysreg(kctl, cntkctl_el1);
	timer_phys_set_ctl(0);
	count = (uint32_t)r[0] | (uint64_t)(uint32_t)r[1] << 32;
	EXPECT(r[6] == SLOT_A32_SYNC && ESR_EC(r[4]) == ESR_EC_UNKNOWN &&
		       r[5] == (uintptr_t)&a32_code_timer[2],
	       "CP15 timer program: slot %llu, ESR 0x%llx, ELR 0x%llx; want an UNDEF (slot 12, EC 0) at the CNTPCT write 0x%llx",
	       (unsigned long long)r[6], (unsigned long long)r[4],
	       (unsigned long long)r[5],
	       (unsigned long long)(uintptr_t)&a32_code_timer[2]);
	EXPECT(count >= before && count <= after,
	       "MRRC CNTPCT = 0x%llx, not between 0x%llx and 0x%llx read at EL1",
	       (unsigned long long)count, (unsigned long long)before,
	       (unsigned long long)after);
	EXPECT((uint32_t)r[2] == 3, "MRC CNTP_CTL = 0x%llx, want 0x3",
	       (unsigned long long)(uint32_t)r[2]);
}

TEST(aarch32_el0)
{
	uint64_t pfr0 = read_sysreg(id_aa64pfr0_el1);

	if ((pfr0 & 0xf) != 2)
		SKIP("this CPU has no AArch32 at EL0 (ID_AA64PFR0_EL1.EL0 = %llu)",
		     (unsigned long long)(pfr0 & 0xf));
	a32_thumb();
	a32_timer();
	a32_arm_with_interrupt();
}
