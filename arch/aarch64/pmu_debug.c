// SPDX-License-Identifier: MIT
/*
 * The guest's PMU (PMUv3, Arm ARM D13) and self-hosted debug registers
 * (breakpoints, watchpoints: D2) per vCPU. A vCPU that has not touched
 * them runs with them trapped (MDCR_EL2 TPM, TPMCR, TDA, TDOSA, TDRA) and
 * costs nothing at a switch; its first access claims them: its state is
 * loaded, the traps go, and the access is executed again. From then on
 * the vCPU that runs owns them (MDCR_EL2.HPMN gives it every counter),
 * and they are switched with the EL1 registers when another vCPU runs, so
 * no value and no armed breakpoint crosses from one VM to another, and a
 * vCPU's counters stand still while it is out. EL2 is not counted:
 * MDCR_EL2.HPMD and HCCD (boot/head.S) where the PMU has them, else the
 * guest's own PMEVTYPER.NSH and PMCCFILTR.NSH, which reset to 0. Debug
 * exceptions are never taken at EL2 (MDCR_EL2.TDE is 0, D2.1).
 */
#include "pmu_debug.h"

#include <asm/sysreg.h>

/* MDCR_EL2 traps of PMU and debug register accesses (Arm ARM D19.2). */
#define MDCR_TPMCR (1UL << 5)
#define MDCR_TPM (1UL << 6)
#define MDCR_TDA (1UL << 9)
#define MDCR_TDOSA (1UL << 10)
#define MDCR_TDRA (1UL << 11)
#define MDCR_UNCLAIMED \
	(MDCR_TPMCR | MDCR_TPM | MDCR_TDA | MDCR_TDOSA | MDCR_TDRA)

/* MDCR_EL2 as boot set it (boot/head.S), without the traps. */
static uint64_t mdcr_boot;

/* PMCR_EL0 bits the guest may set: E, D, X, DP, LC, LP (not P, C). */
#define PMCR_WRITABLE 0xf9UL
#define PMCR_E 1UL

static struct {
	unsigned int counters; /* event counters (PMCR_EL0.N), 0: no PMU */
	unsigned int brps, wrps;
	bool pmu, ready;
} hw;

/* What the CPUs have (the same on every CPU): found at the first use. */
static void pmu_debug_init(void)
{
	uint64_t dfr0 = read_sysreg(id_aa64dfr0_el1);
	unsigned int ver = (unsigned int)(dfr0 >> 8) & 0xf;

	hw.pmu = ver != 0 && ver != 0xf;
	hw.counters =
		hw.pmu ? (unsigned int)(read_sysreg(pmcr_el0) >> 11) & 0x1f : 0;
	if (hw.counters > VCPU_PMU_COUNTERS)
		hw.counters = VCPU_PMU_COUNTERS;
	hw.brps = (unsigned int)((dfr0 >> 12) & 0xf) + 1;
	hw.wrps = (unsigned int)((dfr0 >> 20) & 0xf) + 1;
	mdcr_boot = read_sysreg(mdcr_el2) & ~MDCR_UNCLAIMED;
	__atomic_store_n(&hw.ready, true, __ATOMIC_RELEASE);
}

#define CASE_RW(n, reg)                                 \
	case n:                                         \
		if (write)                              \
			write_sysreg(reg##n##_el0, *v); \
		else                                    \
			*v = read_sysreg(reg##n##_el0); \
		break;

#define CASE_RW1(n, reg)                                \
	case n:                                         \
		if (write)                              \
			write_sysreg(reg##n##_el1, *v); \
		else                                    \
			*v = read_sysreg(reg##n##_el1); \
		break;

// clang-format off
#define CASES_16(X, reg) \
	X(0, reg) X(1, reg) X(2, reg) X(3, reg) X(4, reg) X(5, reg) \
	X(6, reg) X(7, reg) X(8, reg) X(9, reg) X(10, reg) X(11, reg) \
	X(12, reg) X(13, reg) X(14, reg) X(15, reg)
#define CASES_31(X, reg) \
	CASES_16(X, reg) X(16, reg) X(17, reg) X(18, reg) X(19, reg) \
	X(20, reg) X(21, reg) X(22, reg) X(23, reg) X(24, reg) X(25, reg) \
	X(26, reg) X(27, reg) X(28, reg) X(29, reg) X(30, reg)
// clang-format on

/* Numbered registers are separate encodings: one case each. */
// clang-format off
static void evcntr(unsigned int n, uint64_t *v, bool write)
{
	switch (n) { CASES_31(CASE_RW, pmevcntr) default: break; }
}

static void evtyper(unsigned int n, uint64_t *v, bool write)
{
	switch (n) { CASES_31(CASE_RW, pmevtyper) default: break; }
}

static void bcr(unsigned int n, uint64_t *v, bool write)
{
	switch (n) { CASES_16(CASE_RW1, dbgbcr) default: break; }
}

static void bvr(unsigned int n, uint64_t *v, bool write)
{
	switch (n) { CASES_16(CASE_RW1, dbgbvr) default: break; }
}

static void wcr(unsigned int n, uint64_t *v, bool write)
{
	switch (n) { CASES_16(CASE_RW1, dbgwcr) default: break; }
}

static void wvr(unsigned int n, uint64_t *v, bool write)
{
	switch (n) { CASES_16(CASE_RW1, dbgwvr) default: break; }
}
// clang-format on

/* Counting stopped and every counter's enable, interrupt enable and
 * overflow flag clear: nothing of one vCPU runs on into the next. */
static void pmu_quiet(void)
{
	write_sysreg(pmcr_el0, read_sysreg(pmcr_el0) & ~PMCR_E);
	write_sysreg(pmcntenclr_el0, ~0UL);
	write_sysreg(pmintenclr_el1, ~0UL);
	write_sysreg(pmovsclr_el0, ~0UL);
}

static void pmu_save(struct vcpu_pmu *p)
{
	p->pmcr = read_sysreg(pmcr_el0) & PMCR_WRITABLE;
	p->cntenset = read_sysreg(pmcntenset_el0);
	p->intenset = read_sysreg(pmintenset_el1);
	p->ovsset = read_sysreg(pmovsset_el0);
	/* Stopped first: the counts read below are the ones it keeps. */
	pmu_quiet();
	isb();
	p->selr = read_sysreg(pmselr_el0);
	p->userenr = read_sysreg(pmuserenr_el0);
	p->ccntr = read_sysreg(pmccntr_el0);
	p->ccfiltr = read_sysreg(pmccfiltr_el0);
	for (unsigned int n = 0; n < hw.counters; n++) {
		evcntr(n, &p->evcntr[n], false);
		evtyper(n, &p->evtyper[n], false);
	}
}

static void pmu_load(const struct vcpu_pmu *p)
{
	uint64_t v;

	pmu_quiet();
	for (unsigned int n = 0; n < hw.counters; n++) {
		v = p->evcntr[n];
		evcntr(n, &v, true);
		v = p->evtyper[n];
		evtyper(n, &v, true);
	}
	write_sysreg(pmccntr_el0, p->ccntr);
	write_sysreg(pmccfiltr_el0, p->ccfiltr);
	write_sysreg(pmselr_el0, p->selr);
	write_sysreg(pmuserenr_el0, p->userenr);
	write_sysreg(pmovsset_el0, p->ovsset);
	write_sysreg(pmintenset_el1, p->intenset);
	write_sysreg(pmcntenset_el0, p->cntenset);
	/* Last: counting starts with everything in place. */
	write_sysreg(pmcr_el0, p->pmcr & PMCR_WRITABLE);
}

static void dbg_save(struct vcpu_debug *d)
{
	for (unsigned int n = 0; n < hw.brps; n++) {
		bcr(n, &d->bcr[n], false);
		bvr(n, &d->bvr[n], false);
	}
	for (unsigned int n = 0; n < hw.wrps; n++) {
		wcr(n, &d->wcr[n], false);
		wvr(n, &d->wvr[n], false);
	}
	d->mdccint = read_sysreg(mdccint_el1);
	d->oslk = (read_sysreg(oslsr_el1) >> 1) & 1;
}

static void dbg_load(const struct vcpu_debug *d)
{
	uint64_t v;

	for (unsigned int n = 0; n < hw.brps; n++) {
		v = d->bcr[n];
		bcr(n, &v, true);
		v = d->bvr[n];
		bvr(n, &v, true);
	}
	for (unsigned int n = 0; n < hw.wrps; n++) {
		v = d->wcr[n];
		wcr(n, &v, true);
		v = d->wvr[n];
		wvr(n, &v, true);
	}
	write_sysreg(mdccint_el1, d->mdccint);
	write_sysreg(oslar_el1, d->oslk & 1);
}

/* No breakpoint or watchpoint armed. */
static void disarm(void)
{
	uint64_t zero = 0;

	for (unsigned int n = 0; n < hw.brps; n++)
		bcr(n, &zero, true);
	for (unsigned int n = 0; n < hw.wrps; n++)
		wcr(n, &zero, true);
}

static void claimed_load(const struct vcpu_state *st)
{
	if (hw.pmu)
		pmu_load(&st->pmu);
	dbg_load(&st->dbg);
	write_sysreg(mdcr_el2, mdcr_boot);
}

void pmu_debug_load(const struct vcpu_state *st)
{
	if (!__atomic_load_n(&hw.ready, __ATOMIC_ACQUIRE))
		pmu_debug_init();
	if (st->pmu_dbg_live)
		claimed_load(st);
	else
		write_sysreg(mdcr_el2, mdcr_boot | MDCR_UNCLAIMED);
}

bool pmu_debug_reg(uint32_t op0, uint32_t op1, uint32_t crn, uint32_t crm)
{
	if (op0 == 2)
		return true; /* the debug and trace registers */
	/* PMU: c9 c12-c14 (PMCR ... PMINTEN*), c14 c8-c15 (event counters,
	 * types, PMCCFILTR); op1 0 or 3. */
	return op0 == 3 && (op1 == 0 || op1 == 3) &&
	       ((crn == 9 && crm >= 12 && crm <= 14) ||
		(crn == 14 && crm >= 8));
}

bool pmu_debug_claim(struct vcpu_state *st)
{
	if (st->pmu_dbg_live)
		return false;
	st->pmu_dbg_live = 1;
	claimed_load(st);
	isb();
	return true;
}

void pmu_debug_save(struct vcpu_state *st)
{
	if (!st->pmu_dbg_live)
		return; /* never claimed: the hardware holds nothing of it */
	if (hw.pmu)
		pmu_save(&st->pmu);
	dbg_save(&st->dbg);
	/* Disarmed: no breakpoint of this vCPU hits in the next one. */
	disarm();
}

void pmu_debug_drop(void)
{
	if (!__atomic_load_n(&hw.ready, __ATOMIC_ACQUIRE))
		return; /* nothing was ever loaded */
	if (hw.pmu)
		pmu_quiet();
	disarm();
}

bool pmu_debug_overflow(const struct vcpu_state *st)
{
	uint64_t inten;

	if (!hw.pmu || !st->pmu_dbg_live)
		return false;
	inten = read_sysreg(pmintenset_el1);
	/* Event counters count (and so overflow) only with PMCR.E set. */
	return inten && (read_sysreg(pmcr_el0) & PMCR_E) &&
	       (read_sysreg(pmovsset_el0) & inten);
}
