/* SPDX-License-Identifier: MIT */
/*
 * EL2 exception vectors (Arm ARM D1.10.2): 16 entries of 0x80 bytes.
 * Kairos runs on SP_EL2. IRQs taken at EL2 are dispatched; exceptions
 * from guests leave the world switch; anything else taken at EL2 is a
 * hypervisor bug and ends in the crash report.
 */
#include <asm/asm.h>
#include <asm/frame.h>

.macro ventry kind, target
	.balign	0x80
	sub	sp, sp, #FRAME_SIZE
	stp	x0, x1, [sp, #FRAME_X(0)]
	mov	x1, #\kind
	b	\target
.endm

/* From a guest: leave guest_enter with the exit kind (guest.S). */
.macro gentry kind
	.balign	0x80
	stp	x0, x1, [sp, #-16]!
	mov	x1, #\kind
	b	guest_exit
.endm

	.text
	.balign	0x800
	.globl	el2_vectors
el2_vectors:
	ventry	0, exc_unexpected	/* current EL, SP_EL0: sync */
	ventry	1, exc_unexpected	/* IRQ */
	ventry	2, exc_unexpected	/* FIQ */
	ventry	3, exc_unexpected	/* SError */
	ventry	4, exc_unexpected	/* current EL, SP_ELx: sync */
	ventry	5, exc_irq_entry	/* IRQ */
	ventry	6, exc_irq_entry	/* FIQ */
	ventry	7, exc_unexpected	/* SError */
	gentry	0			/* lower EL, AArch64: sync */
	.balign	0x80			/* IRQ: the timer's fast path first */
	stp	x0, x1, [sp, #-16]!
	b	guest_irq
	gentry	2			/* FIQ */
	gentry	3			/* SError */
	gentry	4			/* lower EL, AArch32: sync */
	gentry	4			/* IRQ */
	gentry	4			/* FIQ */
	gentry	4			/* SError */

/* x0/x1 are saved, x1 = vector number; save the rest of the frame. */
.macro save_rest
	stp	x2, x3, [sp, #FRAME_X(2)]
	stp	x4, x5, [sp, #FRAME_X(4)]
	stp	x6, x7, [sp, #FRAME_X(6)]
	stp	x8, x9, [sp, #FRAME_X(8)]
	stp	x10, x11, [sp, #FRAME_X(10)]
	stp	x12, x13, [sp, #FRAME_X(12)]
	stp	x14, x15, [sp, #FRAME_X(14)]
	stp	x16, x17, [sp, #FRAME_X(16)]
	stp	x18, x19, [sp, #FRAME_X(18)]
	stp	x20, x21, [sp, #FRAME_X(20)]
	stp	x22, x23, [sp, #FRAME_X(22)]
	stp	x24, x25, [sp, #FRAME_X(24)]
	stp	x26, x27, [sp, #FRAME_X(26)]
	stp	x28, x29, [sp, #FRAME_X(28)]
	add	x2, sp, #FRAME_SIZE
	stp	x30, x2, [sp, #FRAME_X(30)]
	mrs	x2, elr_el2
	mrs	x3, spsr_el2
	stp	x2, x3, [sp, #FRAME_ELR]
	mrs	x2, esr_el2
	mrs	x3, far_el2
	stp	x2, x3, [sp, #FRAME_ESR]
.endm

func exc_unexpected
	save_rest
	mov	x0, sp
	bl	exc_fatal
	b	.
endfunc exc_unexpected

func exc_irq_entry
	save_rest
	mov	x0, sp
	bl	exc_irq
	ldp	x2, x3, [sp, #FRAME_ELR]
	msr	elr_el2, x2
	msr	spsr_el2, x3
	ldp	x0, x1, [sp, #FRAME_X(0)]
	ldp	x2, x3, [sp, #FRAME_X(2)]
	ldp	x4, x5, [sp, #FRAME_X(4)]
	ldp	x6, x7, [sp, #FRAME_X(6)]
	ldp	x8, x9, [sp, #FRAME_X(8)]
	ldp	x10, x11, [sp, #FRAME_X(10)]
	ldp	x12, x13, [sp, #FRAME_X(12)]
	ldp	x14, x15, [sp, #FRAME_X(14)]
	ldp	x16, x17, [sp, #FRAME_X(16)]
	ldp	x18, x19, [sp, #FRAME_X(18)]
	ldp	x20, x21, [sp, #FRAME_X(20)]
	ldp	x22, x23, [sp, #FRAME_X(22)]
	ldp	x24, x25, [sp, #FRAME_X(24)]
	ldp	x26, x27, [sp, #FRAME_X(26)]
	ldp	x28, x29, [sp, #FRAME_X(28)]
	ldr	x30, [sp, #FRAME_X(30)]
	add	sp, sp, #FRAME_SIZE
	eret
endfunc exc_irq_entry
