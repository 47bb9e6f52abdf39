/* SPDX-License-Identifier: MIT */
/* System register access and the EL2 register values Kairos relies on. */
#ifndef ASM_SYSREG_H
#define ASM_SYSREG_H

/*
 * EL2 registers are written in full at boot: U-Boot and other firmware
 * leave non-zero values behind (HCR_EL2 = 0x20 seen from U-Boot).
 *
 * HCR_EL2 (Arm ARM D19.2.49): RW=1 (EL1 is AArch64), IMO/FMO/AMO=1 so
 * physical IRQ/FIQ/SError are taken to EL2 even while EL2 runs;
 * everything else, including E2H and TGE, 0.
 */
#define HCR_RW (1UL << 31)
#define HCR_AMO (1UL << 5)
#define HCR_IMO (1UL << 4)
#define HCR_FMO (1UL << 3)
#define HCR_EL2_BOOT (HCR_RW | HCR_AMO | HCR_IMO | HCR_FMO)

/* SCTLR_EL2 (non-VHE): RES1 bits, MMU and caches off. */
#define SCTLR_EL2_RES1 0x30c50830UL
#define SCTLR_M (1UL << 0)
#define SCTLR_C (1UL << 2)
#define SCTLR_SA (1UL << 3)
#define SCTLR_I (1UL << 12)
#define SCTLR_WXN (1UL << 19)

/*
 * CPTR_EL2 (non-VHE): RES1 bits 13:12, 9:0 (0x32ff); TFP=1 traps FP/SIMD
 * and TZ=1 traps SVE, at EL2 too: the hypervisor never uses FP/SIMD, and
 * a slip traps instead of silently clobbering guest state.
 */
#define CPTR_EL2_BOOT (0x32ffUL | (1UL << 10) | (1UL << 8))

/*
 * CNTHCTL_EL2 (non-VHE layout, Arm ARM D19): all 0. EL1PCTEN (bit 0) = 0
 * traps EL0/EL1 reads of CNTPCT_EL0 (and of CNTPCTSS_EL0 with FEAT_ECV)
 * and EL1PCEN (bit 1) = 0 traps CNTP_CTL/CVAL/TVAL_EL0 to EL2: the
 * physical timer and counter are emulated (core/ptimer.c). With FEAT_ECV
 * (QEMU's -cpu max), ECV (bit 12) = 0 leaves CNTPOFF_EL2 unused and
 * EL1TVT/EL1TVCT (bits 13, 14) = 0 leave the virtual timer and counter
 * untrapped; EL1NVPCT/EL1NVVCT (15, 16) act only with HCR_EL2.NV.
 * EL1TVT is set only for the short window core/vtimer.c describes
 * (vtimer_guard()).
 */
#define CNTHCTL_EL2_BOOT 0x0UL
#define CNTHCTL_EL1TVT (1UL << 13)

/* ID_AA64MMFR0_EL1.ECV, bits 63:60: 1 or more has CNTHCTL_EL2.EL1TVT. */
#define ID_AA64MMFR0_ECV_SHIFT 60

/* MAIR_EL2 attribute indices. */
#define MAIR_IDX_DEVICE_nGnRnE 0
#define MAIR_IDX_DEVICE_nGnRE 1
#define MAIR_IDX_NORMAL 2
#define MAIR_IDX_NORMAL_NC 3
#define MAIR_EL2_VALUE 0x44ff0400UL

/*
 * TCR_EL2 (non-VHE, D19.2.139): T0SZ=16 (48-bit VA, walks start at level
 * 0), IRGN0/ORGN0 = write-back write-allocate, SH0 = inner shareable,
 * TG0 = 4K, RES1 bits 31 and 23; PS is filled in from PARange.
 */
#define TCR_EL2_BASE                                                          \
	((1UL << 31) | (1UL << 23) | (3UL << 12) | (1UL << 10) | (1UL << 8) | \
	 16UL)
#define TCR_PS_SHIFT 16

/*
 * VTCR_EL2 (D19.2.170): T0SZ=25 (39-bit IPA), SL0=1 (walks start at level
 * 1), IRGN0/ORGN0 write-back, SH0 inner shareable, TG0=4K, RES1 bit 31,
 * 8-bit VMIDs; PS is filled in from PARange like TCR_EL2's.
 */
#define VTCR_EL2_BASE                                                        \
	((1UL << 31) | (3UL << 12) | (1UL << 10) | (1UL << 8) | (1UL << 6) | \
	 25UL)

#define MPIDR_AFF_MASK 0xff00ffffffUL

#ifndef __ASSEMBLER__
#include <stdint.h>

#define read_sysreg(r)                                       \
	({                                                   \
		uint64_t __v;                                \
		__asm__ volatile("mrs %0, " #r : "=r"(__v)); \
		__v;                                         \
	})

#define write_sysreg(r, v)                                                  \
	do {                                                                \
		uint64_t __w = (uint64_t)(v);                               \
		__asm__ volatile("msr " #r ", %0" : : "r"(__w) : "memory"); \
	} while (0)

static inline void isb(void)
{
	__asm__ volatile("isb" : : : "memory");
}

static inline void dsb_sy(void)
{
	__asm__ volatile("dsb sy" : : : "memory");
}

static inline void dsb_ish(void)
{
	__asm__ volatile("dsb ish" : : : "memory");
}
#endif

/* HCR_EL2.VI: a virtual IRQ is pending (the software interface's, vgic_sw.c). */
#define HCR_VI (1UL << 7)

#endif
