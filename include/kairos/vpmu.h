/* SPDX-License-Identifier: MIT */
/*
 * The overflow interrupt of each vCPU's PMU (docs/design.md §6): a level
 * line into its vGIC (VCPU_PMU_INTID, PPI 23), derived from the loaded
 * vCPU's PMU registers at entries and exits and, on boards that wire the
 * PMU to a PPI, on the physical PMU interrupt taken at EL2 while the
 * guest runs, so an overflow reaches a guest that does not exit.
 */
#ifndef KAIROS_VPMU_H
#define KAIROS_VPMU_H

#include <kairos/vm.h>

/**
 * Take the physical PMU interrupt @phys_intid (a PPI; 0: the board has
 * none Kairos can take, and the line is derived at entries and exits
 * only). Each pCPU enables the PPI itself (boot_cpu_local_init()).
 */
void vpmu_init(uint32_t phys_intid);

/** The physical PPI vpmu_init() was given (0: none). */
uint32_t vpmu_phys_intid(void);

/**
 * An overflow of the loaded @v reaches it without an exit of its own:
 * the physical interrupt is taken, or @v never claimed its PMU (then it
 * has no overflow line at all). Its WFI then need not trap for it.
 */
bool vpmu_signals(const struct vcpu *v);

/**
 * Derive the loaded @v's overflow line from its PMU (nothing for a vCPU
 * that never claimed its PMU), with the virtual PPI mapped to the
 * physical one: while the line is high the physical interrupt is held
 * active (vgic_sync_hw()) and the guest's deactivation of the virtual
 * one releases it.
 */
void vpmu_sync(struct vcpu *v);

#endif
