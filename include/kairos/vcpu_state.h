/* SPDX-License-Identifier: MIT */
/*
 * A vCPU's architectural state as plain data (docs/style.md rule 5): no
 * pointers, fixed layout, so a checkpoint can capture it as bytes. The
 * world switch reads and writes struct vcpu_regs through offsets checked
 * by _Static_assert in arch/aarch64/include/asm/vcpu_offsets.h.
 */
#ifndef KAIROS_VCPU_STATE_H
#define KAIROS_VCPU_STATE_H

#include <kairos/types.h>
#include <kairos/vgic.h>

/** Registers the world switch moves on every entry and exit. */
struct vcpu_regs {
	uint64_t x[31];
	uint64_t sp_el0;
	uint64_t pc;     /**< ELR_EL2 */
	uint64_t pstate; /**< SPSR_EL2 */
};

/** EL1 system registers, switched only when another vCPU runs. */
struct vcpu_sysregs {
	uint64_t sctlr, actlr, cpacr;
	uint64_t ttbr0, ttbr1, tcr, mair, amair;
	uint64_t vbar, contextidr;
	uint64_t tpidr_el0, tpidrro_el0, tpidr_el1;
	uint64_t esr, far, afsr0, afsr1, par;
	uint64_t cntkctl, csselr, mdscr;
	uint64_t sp_el1, elr_el1, spsr_el1;
	uint64_t vmpidr; /**< VMPIDR_EL2: what the guest reads as MPIDR */
};

/** FP/SIMD state: V0-V31 as 64-bit halves, FPSR, FPCR. */
struct vcpu_fp {
	uint64_t v[64];
	uint64_t fpsr, fpcr;
};

/** PSCI power state of a vCPU. */
enum vcpu_power { VCPU_POWER_OFF, VCPU_POWER_ON_PENDING, VCPU_POWER_ON };

/** The EL1 virtual timer as the guest left it. */
struct vcpu_vtimer {
	uint64_t ctl;  /**< CNTV_CTL_EL0 */
	uint64_t cval; /**< CNTV_CVAL_EL0 */
};

/**
 * The emulated EL1 physical timer (T19). ISTATUS is never stored: it is
 * derived from the count whenever it is read.
 */
struct vcpu_ptimer {
	uint64_t ctl;  /**< CNTP_CTL_EL0: ENABLE and IMASK only */
	uint64_t cval; /**< CNTP_CVAL_EL0 */
};

/** The PMU overflow interrupt as guests see it (PPI 7, as on QEMU virt). */
#define VCPU_PMU_INTID 23U

/** Event counters of the PMU Kairos switches (PMUv3 has at most 31). */
#define VCPU_PMU_COUNTERS 31
/** Breakpoints and watchpoints it switches (AArch64 has at most 16). */
#define VCPU_DBG_POINTS 16

/**
 * The guest's PMUv3 (Arm ARM D13): its own registers, switched when
 * another vCPU runs on the pCPU, so that its counters count its own
 * execution only and stand still while it is out. Counters beyond what
 * the hardware has stay 0.
 */
struct vcpu_pmu {
	uint64_t pmcr; /**< PMCR_EL0, its writable bits (E, D, X, DP, LC, LP) */
	uint64_t cntenset;                   /**< PMCNTENSET_EL0 */
	uint64_t intenset;                   /**< PMINTENSET_EL1 */
	uint64_t ovsset;                     /**< PMOVSSET_EL0 */
	uint64_t selr;                       /**< PMSELR_EL0 */
	uint64_t userenr;                    /**< PMUSERENR_EL0 */
	uint64_t ccntr;                      /**< PMCCNTR_EL0 */
	uint64_t ccfiltr;                    /**< PMCCFILTR_EL0 */
	uint64_t evcntr[VCPU_PMU_COUNTERS];  /**< PMEVCNTR<n>_EL0 */
	uint64_t evtyper[VCPU_PMU_COUNTERS]; /**< PMEVTYPER<n>_EL0 */
};

/** Its self-hosted debug state (Arm ARM D2), switched likewise. */
struct vcpu_debug {
	uint64_t bcr[VCPU_DBG_POINTS], bvr[VCPU_DBG_POINTS]; /**< DBGBCR/BVR */
	uint64_t wcr[VCPU_DBG_POINTS], wvr[VCPU_DBG_POINTS]; /**< DBGWCR/WVR */
	uint64_t mdccint;                                    /**< MDCCINT_EL1 */
	uint64_t oslk; /**< OSLSR_EL1.OSLK: the OS lock is set */
};

/** Everything a checkpoint needs of one vCPU. */
struct vcpu_state {
	struct vcpu_regs regs;
	struct vcpu_sysregs sys;
	struct vcpu_fp fp;
	struct vcpu_vtimer vtimer;
	struct vcpu_ptimer ptimer;
	struct vgic_cpu vgic;
	uint32_t power; /**< enum vcpu_power */
	/** The guest touched its PMU or debug registers: they are switched
	 *  with it; until then they trap (arch/aarch64/pmu_debug.c) */
	uint32_t pmu_dbg_live;
	struct vcpu_pmu pmu;
	struct vcpu_debug dbg;
};

/** SPSR/PSTATE values (Arm ARM C5.2.18). */
#define PSR_MODE_EL0t 0x0UL
#define PSR_MODE_EL1t 0x4UL
#define PSR_MODE_EL1h 0x5UL
#define PSR_MODE_MASK 0xfUL
#define PSR_DAIF (0xfUL << 6)
#define PSR_I (1UL << 7) /**< IRQs masked */

/** SCTLR_EL1 at reset as Kairos presents it: RES1 bits, MMU/caches off. */
#define SCTLR_EL1_RESET 0x30d00800UL

#endif
