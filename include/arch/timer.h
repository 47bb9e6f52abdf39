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

#endif
