/* SPDX-License-Identifier: MIT */
/*
 * AArch32 at EL0 for tests (lg/exc.h, a32_run()): an ERET to A32 or Thumb
 * code with vectors of its own, whose every entry brings the first
 * exception (the SVC at the end of a test program, or anything else) back
 * to the caller. Test programs are hand-encoded: the toolchain assembles
 * A64 only.
 */
#include <lg/asm.h>

/* clang-format off */
/*
 * uint64_t a32_run(uint64_t pc, uint64_t spsr, uint64_t *regs): regs[0-3]
 * go in R0-R3 and come back from them; regs[4] = ESR_EL1, regs[5] =
 * ELR_EL1, regs[6] = the vector slot taken.
 */
func a32_run
	stp	x29, x30, [sp, #-96]!
	stp	x19, x20, [sp, #16]
	stp	x21, x22, [sp, #32]
	stp	x23, x24, [sp, #48]
	stp	x25, x26, [sp, #64]
	stp	x27, x28, [sp, #80]
	mrs	x9, vbar_el1
	mrs	x10, daif
	stp	x9, x10, [sp, #-16]!
	str	x2, [sp, #-16]!
	msr	daifset, #0xf
	adr	x9, a32_vectors
	msr	vbar_el1, x9
	isb
	msr	elr_el1, x0
	msr	spsr_el1, x1
	mov	x9, x2
	ldp	x0, x1, [x9]
	ldp	x2, x3, [x9, #16]
	eret
	dsb	nsh
	isb
endfunc a32_run

/* Any exception: back to a32_run's caller with what was taken. */
a32_back:
	ldr	x9, [sp], #16
	stp	x0, x1, [x9]
	stp	x2, x3, [x9, #16]
	mrs	x11, esr_el1
	mrs	x12, elr_el1
	stp	x11, x12, [x9, #32]
	str	x10, [x9, #48]
	ldp	x9, x10, [sp], #16
	msr	vbar_el1, x9
	isb
	msr	daif, x10
	ldp	x19, x20, [sp, #16]
	ldp	x21, x22, [sp, #32]
	ldp	x23, x24, [sp, #48]
	ldp	x25, x26, [sp, #64]
	ldp	x27, x28, [sp, #80]
	ldp	x29, x30, [sp], #96
	mov	x0, #0
	ret

.macro a32_vec slot
	.balign	0x80
	mov	x10, #\slot
	b	a32_back
.endm

	.balign	2048
a32_vectors:
	.irp	slot, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
	a32_vec	\slot
	.endr

