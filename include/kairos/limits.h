/* SPDX-License-Identifier: MIT */
/* Build-time limits, shared by C and assembly. */
#ifndef KAIROS_LIMITS_H
#define KAIROS_LIMITS_H

/** Most pCPUs Kairos manages; more in the device tree are ignored. */
#define KAIROS_MAX_CPUS 8

/** Bytes of stack per pCPU. */
#define KAIROS_STACK_SIZE 16384

#endif
