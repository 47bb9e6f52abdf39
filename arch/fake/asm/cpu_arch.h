/* SPDX-License-Identifier: MIT */
/* The fake architecture keeps nothing of its own per pCPU. */
#ifndef ASM_CPU_ARCH_H
#define ASM_CPU_ARCH_H

struct arch_cpu {
	int unused;
};

#endif
