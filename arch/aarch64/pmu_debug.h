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
bool pmu_debug_overflow(void);

#endif
