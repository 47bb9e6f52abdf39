/* SPDX-License-Identifier: MIT */
/* Offsets the world switch uses, checked against the C structs. */
#ifndef ASM_VCPU_OFFSETS_H
#define ASM_VCPU_OFFSETS_H

#define CPU_GUEST_REGS 0
#define CPU_FAST_LR 8
#define CPU_FAST_LR_IDX 16
#define CPU_FAST_INTID 24
#define CPU_FAST_USED 32
#define CPU_STASHED_IAR 40
#define CPU_FAST_TVT 48
#define STASHED_IAR_VALID \
	(1 << 63) /* CPU_STASHED_IAR_VALID of asm/cpu_arch.h */
#define VR_SP_EL0 (31UL * 8)
#define VR_PC (32UL * 8)
#define VR_PSTATE (33UL * 8)

#ifndef __ASSEMBLER__
#include <kairos/cpu.h>
#include <kairos/vcpu_state.h>
#include <stddef.h>

_Static_assert(offsetof(struct cpu, arch.guest_regs) == CPU_GUEST_REGS, "cpu");
_Static_assert(offsetof(struct cpu, arch.fast_lr) == CPU_FAST_LR, "fast_lr");
_Static_assert(offsetof(struct cpu, arch.fast_lr_idx) == CPU_FAST_LR_IDX,
	       "idx");
_Static_assert(offsetof(struct cpu, arch.fast_intid) == CPU_FAST_INTID,
	       "intid");
_Static_assert(offsetof(struct cpu, arch.fast_used) == CPU_FAST_USED, "used");
_Static_assert(offsetof(struct cpu, arch.stashed_iar) == CPU_STASHED_IAR,
	       "iar");
_Static_assert(offsetof(struct cpu, arch.fast_tvt) == CPU_FAST_TVT, "tvt");
_Static_assert(offsetof(struct vcpu_regs, sp_el0) == VR_SP_EL0, "sp_el0");
_Static_assert(offsetof(struct vcpu_regs, pc) == VR_PC, "pc");
_Static_assert(offsetof(struct vcpu_regs, pstate) == VR_PSTATE, "pstate");
_Static_assert(offsetof(struct vcpu_fp, fpsr) == 32UL * 16, "fp");
#endif

#endif
