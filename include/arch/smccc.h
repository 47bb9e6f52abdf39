/* SPDX-License-Identifier: MIT */
/* SMC Calling Convention conduit (Arm DEN0028), used by the PSCI client. At EL2
 * only SMC reaches firmware: an HVC would trap to Kairos itself. */
#ifndef ARCH_SMCCC_H
#define ARCH_SMCCC_H

#include <kairos/types.h>

/** Issue SMC #0 with x0..x3; returns x0. */
uint64_t arch_smccc_smc(uint64_t fid, uint64_t a1, uint64_t a2, uint64_t a3);

#endif
