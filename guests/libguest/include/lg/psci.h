/* SPDX-License-Identifier: MIT */
/* PSCI (Arm DEN 0022) and SMCCC calls over HVC. */
#ifndef LG_PSCI_H
#define LG_PSCI_H

#include <stdint.h>

#define PSCI_VERSION 0x84000000U
#define PSCI_CPU_OFF 0x84000002U
#define PSCI_CPU_ON 0xc4000003U
#define PSCI_AFFINITY_INFO 0xc4000004U
#define PSCI_SYSTEM_OFF 0x84000008U
#define PSCI_SYSTEM_RESET 0x84000009U
#define PSCI_FEATURES 0x8400000aU

#define PSCI_RET_SUCCESS 0
#define PSCI_RET_NOT_SUPPORTED (-1)
#define PSCI_RET_INVALID_PARAMS (-2)
#define PSCI_RET_DENIED (-3)
#define PSCI_RET_ALREADY_ON (-4)
#define PSCI_RET_ON_PENDING (-5)

/* AFFINITY_INFO results. */
#define PSCI_AFF_ON 0
#define PSCI_AFF_OFF 1
#define PSCI_AFF_ON_PENDING 2

/** SMCCC "unknown function": -1, sign-extended to 64 bits. */
#define SMCCC_RET_UNKNOWN UINT64_MAX

/** HVC #0 with x0..x3; returns x0 (SMCCC: x4..x17 may be clobbered). */
uint64_t hvc_call(uint64_t fid, uint64_t a1, uint64_t a2, uint64_t a3);

/** PSCI_VERSION: major << 16 | minor. */
int32_t psci_version(void);
/** PSCI_FEATURES of @fid: >= 0 when implemented, else NOT_SUPPORTED. */
int32_t psci_features(uint32_t fid);
/** CPU_ON (64-bit): start @mpidr at @entry with x0 = @context. */
int32_t psci_cpu_on(uint64_t mpidr, uint64_t entry, uint64_t context);
/** CPU_OFF: returns only on failure (the error). */
int32_t psci_cpu_off(void);
/** AFFINITY_INFO of @mpidr at level 0. */
int32_t psci_affinity_info(uint64_t mpidr);
/** SYSTEM_OFF: returns only on failure. */
int32_t psci_system_off(void);
/** SYSTEM_RESET: returns only on failure. */
int32_t psci_system_reset(void);

#endif
