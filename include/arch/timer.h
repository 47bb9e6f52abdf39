/* SPDX-License-Identifier: MIT */
/*
 * Timer hooks used by core/: the physical counter and the one hardware
 * timer each pCPU owns, the EL2 physical timer (CNTHP_*_EL2). core/timerq
 * multiplexes it; nothing else programs it.
 */
#ifndef ARCH_TIMER_H
#define ARCH_TIMER_H

#include <kairos/types.h>

/** The physical count (CNTPCT_EL0), ordered after earlier instructions. */
uint64_t arch_timer_now(void);

/** The counter frequency the hardware reports (CNTFRQ_EL0), in Hz. */
uint64_t arch_timer_hw_freq(void);

/** Program this pCPU's EL2 timer to fire when the count reaches @cval. */
void arch_timer_hyp_arm(uint64_t cval);

/** Disable this pCPU's EL2 timer; its interrupt line drops. */
void arch_timer_hyp_stop(void);

/** Load the EL1 virtual timer: CNTVOFF, CVAL, CTL, in that order. */
void arch_vtimer_load(uint64_t cntvoff, uint64_t cval, uint64_t ctl);

/**
 * Save the EL1 virtual timer and disable it (CTL = 0), so it cannot fire
 * for whatever runs next on this pCPU.
 */
void arch_vtimer_save(uint64_t *cval, uint64_t *ctl);

/**
 * Write CNTVOFF_EL2 again with @cntvoff (the loaded vCPU's): a model that
 * evaluates the timer condition only when a timer register is written
 * (QEMU) brings ISTATUS up to date.
 */
void arch_vtimer_refresh(uint64_t cntvoff);

/** CNTV_CTL_EL0 and CNTV_CVAL_EL0 of the loaded vCPU, untouched. */
void arch_vtimer_read(uint64_t *cval, uint64_t *ctl);

/** The EL1 virtual timer registers a guest accesses. */
enum arch_vtimer_reg { VTIMER_REG_TVAL, VTIMER_REG_CTL, VTIMER_REG_CVAL };

/**
 * Whether this pCPU can trap the guest's accesses to its EL1 virtual
 * timer registers (FEAT_ECV: CNTHCTL_EL2.EL1TVT).
 */
bool arch_vtimer_can_trap(void);

/**
 * Trap the guest's CNTV_CTL/CVAL/TVAL_EL0 accesses on this pCPU from the
 * next entry on, or stop trapping them. Only where it can trap.
 */
void arch_vtimer_trap(bool on);

/**
 * Perform a trapped guest access to register @r of the loaded vCPU's
 * virtual timer: *@val is read, or written (TVAL: the low 32 bits, signed,
 * relative to the virtual count, as the hardware does).
 */
void arch_vtimer_access(enum arch_vtimer_reg r, bool write, uint64_t *val);

#endif
