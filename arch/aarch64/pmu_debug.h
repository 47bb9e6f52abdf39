/* SPDX-License-Identifier: MIT */
/* The guest's PMU and debug registers, switched per vCPU (pmu_debug.c). */
#ifndef AARCH64_PMU_DEBUG_H
#define AARCH64_PMU_DEBUG_H

#include <kairos/vcpu_state.h>

/** Give the hardware PMU and debug registers @st's values. */
void pmu_debug_load(const struct vcpu_state *st);

/**
 * Save them into @st, then stop every counter and disarm every
 * breakpoint and watchpoint, so nothing of it acts after it is put.
 */
void pmu_debug_save(struct vcpu_state *st);

/** The loaded vCPU's PMU asks for its overflow interrupt. */
bool pmu_debug_overflow(const struct vcpu_state *st);

/**
 * A vCPU whose state was reset leaves the hardware without a save:
 * counting stopped, breakpoints disarmed.
 */
void pmu_debug_drop(void);

/**
 * A system register access with this encoding is to a PMU or debug
 * register (what the MDCR_EL2 traps of an unclaimed vCPU catch).
 */
bool pmu_debug_reg(uint32_t op0, uint32_t op1, uint32_t crn, uint32_t crm);

/**
 * The loaded vCPU (state @st) touched its PMU or debug registers for the
 * first time: load them and stop trapping. True if it was unclaimed (the
 * access is to be executed again), false if the trap was for something
 * else.
 */
bool pmu_debug_claim(struct vcpu_state *st);

#endif
