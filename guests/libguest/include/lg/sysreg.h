/* SPDX-License-Identifier: MIT */
/* EL1 system register values libguest sets, shared by C and assembly. */
#ifndef LG_SYSREG_H
#define LG_SYSREG_H

/* Where the guest runs: QEMU virt's map (and Kairos's `virt` profile). */
#define LG_TEXT_OFFSET 0x80000
#define LG_PL011_BASE 0x09000000
#define LG_MAX_CPUS 8
#define LG_STACK_SIZE 0x4000
#define LG_EL0_STACK_SIZE 0x2000

/*
 * SCTLR_EL1 (Arm ARM D19.2.118): RES1 bits of Armv8.0 (29, 28, 23, 22, 20,
 * 11), SA/SA0 stack alignment checks, UCT (EL0 reads CTR_EL0), nTWI/nTWE
 * (EL0 WFI/WFE do not trap: EL0 test code may wait for events). With the
 * MMU on add M, C and I.
 */
#define SCTLR_EL1_OFF 0x30d58818
#define SCTLR_EL1_ON (SCTLR_EL1_OFF | 0x1005)

/* CPACR_EL1.FPEN = 0b11: FP/SIMD does not trap at EL1 or EL0. */
#define CPACR_EL1_FPEN (3 << 20)

/* CNTKCTL_EL1: EVNTI = 12, EVNTEN, EL0VCTEN (see start.S). */
#define CNTKCTL_EL1_VALUE 0xc6

/*
 * MAIR_EL1: attribute 0 Device-nGnRnE (every access reaches the device or
 * the hypervisor, and an abort is synchronous), 1 Normal write-back.
 */
#define MAIR_EL1_VALUE 0xff00
#define MAIR_IDX_DEVICE 0
#define MAIR_IDX_NORMAL 1

/*
 * TCR_EL1: T0SZ=25 (39-bit VA, walks start at level 1), IRGN0/ORGN0
 * write-back write-allocate, SH0 inner shareable, TG0 4K, EPD1 (no TTBR1
 * walks) with TG1 4K (its reset value is reserved); IPS is filled in from
 * ID_AA64MMFR0_EL1.PARange.
 */
#define TCR_EL1_BASE 0x80803519
#define TCR_IPS_SHIFT 32
#define LG_VA_BITS 39

#define MPIDR_AFF_MASK 0xff00ffffffUL

#ifndef __ASSEMBLER__
#include <stdint.h>

#define read_sysreg(reg)                                         \
	({                                                       \
		uint64_t __val;                                  \
		__asm__ volatile("mrs %0, " #reg : "=r"(__val)); \
		__val;                                           \
	})

#define write_sysreg(val, reg) \
	__asm__ volatile("msr " #reg ", %0" ::"r"((uint64_t)(val)) : "memory")

static inline void isb(void)
{
	__asm__ volatile("isb" ::: "memory");
}

static inline void wfe(void)
{
	__asm__ volatile("wfe" ::: "memory");
}

static inline void sev(void)
{
	__asm__ volatile("dsb ish; sev" ::: "memory");
}
#endif

#endif
