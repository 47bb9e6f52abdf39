/* SPDX-License-Identifier: MIT */
/*
 * The world switch. guest_enter saves the host's callee-saved registers on
 * its stack, loads the vCPU's registers and erets; an exception from the
 * guest lands in the lower-EL vectors, which save the vCPU's registers
 * and return from guest_enter with the exit kind (0 sync, 1 IRQ, 2 FIQ,
 * 3 SError, 4 from AArch32). struct cpu's first field points at the
 * running vCPU's registers.
 */
#include <asm/asm.h>
#include <asm/vcpu_offsets.h>

/* uint64_t guest_enter(struct vcpu_regs *regs) */
func guest_enter
	stp	x29, x30, [sp, #-96]!
	stp	x19, x20, [sp, #16]
	stp	x21, x22, [sp, #32]
	stp	x23, x24, [sp, #48]
	stp	x25, x26, [sp, #64]
	stp	x27, x28, [sp, #80]
	mrs	x1, tpidr_el2
	str	x0, [x1, #CPU_GUEST_REGS]
	ldp	x2, x3, [x0, #VR_PC]
	msr	elr_el2, x2
	msr	spsr_el2, x3
	ldr	x2, [x0, #VR_SP_EL0]
	msr	sp_el0, x2
	ldp	x2, x3, [x0, #16 * 1]
	ldp	x4, x5, [x0, #16 * 2]
	ldp	x6, x7, [x0, #16 * 3]
	ldp	x8, x9, [x0, #16 * 4]
	ldp	x10, x11, [x0, #16 * 5]
	ldp	x12, x13, [x0, #16 * 6]
	ldp	x14, x15, [x0, #16 * 7]
	ldp	x16, x17, [x0, #16 * 8]
	ldp	x18, x19, [x0, #16 * 9]
	ldp	x20, x21, [x0, #16 * 10]
	ldp	x22, x23, [x0, #16 * 11]
	ldp	x24, x25, [x0, #16 * 12]
	ldp	x26, x27, [x0, #16 * 13]
	ldp	x28, x29, [x0, #16 * 14]
	ldr	x30, [x0, #16 * 15]
	ldp	x0, x1, [x0]
	eret
	dsb	nsh			/* no speculation past eret */
	isb
endfunc guest_enter

/*
 * An IRQ while a guest runs (guest x0/x1 pushed). If it is the loaded
 * vCPU's virtual timer and vcpu.c armed the fast path, list it in the
 * free list register prepared for it, drop the priority (EOImode 1: the
 * guest's deactivation of the hardware-mapped LR deactivates the
 * physical one) and return to the guest. Anything else leaves the guest
 * as exit kind 1; an IAR read here for another interrupt is handed to
 * irq_handle through struct cpu. For a guest that has IRQs masked
 * (SPSR_EL2.I, a WFI as Linux idles), it also sets struct cpu's fast_tvt
 * in CNTHCTL_EL2, as the slow path's entry would (core/vtimer.c,
 * vtimer_guard()): the guest's timer accesses trap until its next entry.
 */
func guest_irq
	mrs	x0, tpidr_el2
	ldr	x1, [x0, #CPU_FAST_LR]
	cbz	x1, 3f
	stp	x2, x3, [sp, #-16]!
	mrs	x2, icc_hppir1_el1
	ldr	x3, [x0, #CPU_FAST_INTID]
	cmp	x2, x3
	b.ne	2f
	/* Its list register must be free (the guest done with it there). */
	mrs	x2, ich_elrsr_el2
	ldr	x3, [x0, #CPU_FAST_LR_IDX]
	lsr	x2, x2, x3
	tbz	x2, #0, 2f
	ldr	x3, [x0, #CPU_FAST_INTID]
	mrs	x2, icc_iar1_el1
	cmp	x2, x3
	b.ne	1f
	msr	icc_eoir1_el1, x2
	/* IRQs masked in the guest: its CNTV_* accesses trap meanwhile. */
	mrs	x2, spsr_el2
	tbz	x2, #7, 6f
	ldr	x3, [x0, #CPU_FAST_TVT]
	mrs	x2, cnthctl_el2
	orr	x2, x2, x3
	msr	cnthctl_el2, x2
6:	ldr	x3, [x0, #CPU_FAST_LR_IDX]
	adr	x2, 4f
	add	x2, x2, x3, lsl #3
	br	x2
4:	.irp	n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
	msr	ICH_LR\n\()_EL2, x1
	b	5f
	.endr
5:	str	xzr, [x0, #CPU_FAST_LR]
	mov	x1, #1
	str	x1, [x0, #CPU_FAST_USED]
	ldp	x2, x3, [sp], #16
	ldp	x0, x1, [sp], #16
	eret
1:	orr	x2, x2, #STASHED_IAR_VALID
	str	x2, [x0, #CPU_STASHED_IAR]
2:	ldp	x2, x3, [sp], #16
3:	mov	x1, #1
	b	guest_exit
endfunc guest_irq

/* From the vectors: guest x0/x1 pushed on the stack, x1 = exit kind. */
func guest_exit
	mrs	x0, tpidr_el2
	ldr	x0, [x0, #CPU_GUEST_REGS]
	stp	x2, x3, [x0, #16 * 1]
	stp	x4, x5, [x0, #16 * 2]
	stp	x6, x7, [x0, #16 * 3]
	stp	x8, x9, [x0, #16 * 4]
	stp	x10, x11, [x0, #16 * 5]
	stp	x12, x13, [x0, #16 * 6]
	stp	x14, x15, [x0, #16 * 7]
	stp	x16, x17, [x0, #16 * 8]
	stp	x18, x19, [x0, #16 * 9]
	stp	x20, x21, [x0, #16 * 10]
	stp	x22, x23, [x0, #16 * 11]
	stp	x24, x25, [x0, #16 * 12]
	stp	x26, x27, [x0, #16 * 13]
	stp	x28, x29, [x0, #16 * 14]
	str	x30, [x0, #16 * 15]
	ldp	x2, x3, [sp], #16
	stp	x2, x3, [x0]
	mrs	x2, sp_el0
	str	x2, [x0, #VR_SP_EL0]
	mrs	x2, elr_el2
	mrs	x3, spsr_el2
	stp	x2, x3, [x0, #VR_PC]
	mov	x0, x1
	ldp	x19, x20, [sp, #16]
	ldp	x21, x22, [sp, #32]
	ldp	x23, x24, [sp, #48]
	ldp	x25, x26, [sp, #64]
	ldp	x27, x28, [sp, #80]
	ldp	x29, x30, [sp], #96
	ret
endfunc guest_exit

/*
 * FP/SIMD save and restore of a vCPU (struct vcpu_fp). The only FP/SIMD
 * instructions in Kairos: called with CPTR_EL2.TFP clear, and the post-link
 * check allows them in functions named __fpsimd_* only.
 */
func __fpsimd_save
	stp	q0, q1, [x0, #32 * 0]
	stp	q2, q3, [x0, #32 * 1]
	stp	q4, q5, [x0, #32 * 2]
	stp	q6, q7, [x0, #32 * 3]
	stp	q8, q9, [x0, #32 * 4]
	stp	q10, q11, [x0, #32 * 5]
	stp	q12, q13, [x0, #32 * 6]
	stp	q14, q15, [x0, #32 * 7]
	stp	q16, q17, [x0, #32 * 8]
	stp	q18, q19, [x0, #32 * 9]
	stp	q20, q21, [x0, #32 * 10]
	stp	q22, q23, [x0, #32 * 11]
	stp	q24, q25, [x0, #32 * 12]
	stp	q26, q27, [x0, #32 * 13]
	stp	q28, q29, [x0, #32 * 14]
	stp	q30, q31, [x0, #32 * 15]
	mrs	x1, fpsr
	mrs	x2, fpcr
	add	x0, x0, #32 * 16
	stp	x1, x2, [x0]
	ret
endfunc __fpsimd_save

func __fpsimd_restore
	ldp	q0, q1, [x0, #32 * 0]
	ldp	q2, q3, [x0, #32 * 1]
	ldp	q4, q5, [x0, #32 * 2]
	ldp	q6, q7, [x0, #32 * 3]
	ldp	q8, q9, [x0, #32 * 4]
	ldp	q10, q11, [x0, #32 * 5]
	ldp	q12, q13, [x0, #32 * 6]
	ldp	q14, q15, [x0, #32 * 7]
	ldp	q16, q17, [x0, #32 * 8]
	ldp	q18, q19, [x0, #32 * 9]
	ldp	q20, q21, [x0, #32 * 10]
	ldp	q22, q23, [x0, #32 * 11]
	ldp	q24, q25, [x0, #32 * 12]
	ldp	q26, q27, [x0, #32 * 13]
	ldp	q28, q29, [x0, #32 * 14]
	ldp	q30, q31, [x0, #32 * 15]
	add	x0, x0, #32 * 16
	ldp	x1, x2, [x0]
	msr	fpsr, x1
	msr	fpcr, x2
	ret
endfunc __fpsimd_restore

/*
 * The EL1 registers of struct vcpu_sysregs, in its order (vcpu.c checks
 * the layout): two MRS and one STP per pair on a put, one LDP and two MSR
 * on a load. The caller's ISB (arch_vcpu_load()) orders the writes.
 */
/* void __sysregs_save(struct vcpu_sysregs *s) */
func __sysregs_save
	mrs	x1, sctlr_el1
	mrs	x2, actlr_el1
	stp	x1, x2, [x0, #8 * 0]
	mrs	x3, cpacr_el1
	mrs	x4, ttbr0_el1
	stp	x3, x4, [x0, #8 * 2]
	mrs	x5, ttbr1_el1
	mrs	x6, tcr_el1
	stp	x5, x6, [x0, #8 * 4]
	mrs	x7, mair_el1
	mrs	x8, amair_el1
	stp	x7, x8, [x0, #8 * 6]
	mrs	x9, vbar_el1
	mrs	x10, contextidr_el1
	stp	x9, x10, [x0, #8 * 8]
	mrs	x11, tpidr_el0
	mrs	x12, tpidrro_el0
	stp	x11, x12, [x0, #8 * 10]
	mrs	x13, tpidr_el1
	mrs	x14, esr_el1
	stp	x13, x14, [x0, #8 * 12]
	mrs	x15, far_el1
	mrs	x16, afsr0_el1
	stp	x15, x16, [x0, #8 * 14]
	mrs	x1, afsr1_el1
	mrs	x2, par_el1
	stp	x1, x2, [x0, #8 * 16]
	mrs	x3, cntkctl_el1
	mrs	x4, csselr_el1
	stp	x3, x4, [x0, #8 * 18]
	mrs	x5, mdscr_el1
	mrs	x6, sp_el1
	stp	x5, x6, [x0, #8 * 20]
	mrs	x7, elr_el1
	mrs	x8, spsr_el1
	stp	x7, x8, [x0, #8 * 22]
	mrs	x9, vmpidr_el2
	str	x9, [x0, #8 * 24]
	ret
endfunc __sysregs_save

/* void __sysregs_restore(const struct vcpu_sysregs *s) */
func __sysregs_restore
	ldp	x1, x2, [x0, #8 * 0]
	ldp	x3, x4, [x0, #8 * 2]
	ldp	x5, x6, [x0, #8 * 4]
	ldp	x7, x8, [x0, #8 * 6]
	msr	sctlr_el1, x1
	msr	actlr_el1, x2
	msr	cpacr_el1, x3
	msr	ttbr0_el1, x4
	msr	ttbr1_el1, x5
	msr	tcr_el1, x6
	msr	mair_el1, x7
	msr	amair_el1, x8
	ldp	x9, x10, [x0, #8 * 8]
	ldp	x11, x12, [x0, #8 * 10]
	ldp	x13, x14, [x0, #8 * 12]
	ldp	x15, x16, [x0, #8 * 14]
	msr	vbar_el1, x9
	msr	contextidr_el1, x10
	msr	tpidr_el0, x11
	msr	tpidrro_el0, x12
	msr	tpidr_el1, x13
	msr	esr_el1, x14
	msr	far_el1, x15
	msr	afsr0_el1, x16
	ldp	x1, x2, [x0, #8 * 16]
	ldp	x3, x4, [x0, #8 * 18]
	ldp	x5, x6, [x0, #8 * 20]
	ldp	x7, x8, [x0, #8 * 22]
	ldr	x9, [x0, #8 * 24]
	msr	afsr1_el1, x1
	msr	par_el1, x2
	msr	cntkctl_el1, x3
	msr	csselr_el1, x4
	msr	mdscr_el1, x5
	msr	sp_el1, x6
	msr	elr_el1, x7
	msr	spsr_el1, x8
	msr	vmpidr_el2, x9
	ret
endfunc __sysregs_restore
