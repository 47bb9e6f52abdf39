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

#endif
