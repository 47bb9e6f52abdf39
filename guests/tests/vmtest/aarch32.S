/* SPDX-License-Identifier: MIT */
/*
 * The hand-encoded A32 and Thumb programs of the aarch32_el0 test, run at
 * EL0 by libguest's a32_run() (the toolchain assembles A64 only).
 */
#include <lg/asm.h>

/* clang-format off */
/*
 * A32: R0 = [R1] (an emulated device), R3 += 1, then R2 times round a
 * loop, then SVC #0.
 */
	.balign	4
	.globl	a32_code_arm
a32_code_arm:
	.word	0xe5910000	/* ldr   r0, [r1] */
	.word	0xe2833001	/* add   r3, r3, #1 */
	.word	0xe2522001	/* 1: subs r2, r2, #1 */
	.word	0x1afffffd	/* bne   1b */
	.word	0xef000000	/* svc   #0 */

/*
 * Thumb: 16-bit loads from the device, each to be stepped over by 2 bytes,
 * the second inside an IT block whose ELSE instruction must not run:
 * R0 = [R1], R3 += 2, then R0 = [R1] again, R3 unchanged; then a 16-bit
 * WFE (trapped to the hypervisor when EL0 may run it) and R3 += 1.
 */
	.balign	4
	.globl	a32_code_thumb
a32_code_thumb:
	.hword	0x6808		/* ldr   r0, [r1] */
	.hword	0x3301		/* adds  r3, #1 */
	.hword	0x3301		/* adds  r3, #1 */
	.hword	0x429b		/* cmp   r3, r3 */
	.hword	0xbf0c		/* ite   eq */
	.hword	0x6808		/* ldreq r0, [r1] */
	.hword	0x3301		/* addne r3, #1 */
	.hword	0xbf20		/* wfe */
	.hword	0x3301		/* adds  r3, #1 */
	.hword	0xdf00		/* svc   #0 */

/*
 * The generic timer through CP15: R1:R0 = CNTPCT, R2 = CNTP_CTL, then a
 * write of CNTPCT, which is UNDEFINED.
 */
	.balign	4
	.globl	a32_code_timer
a32_code_timer:
	.word	0xec510f0e	/* mrrc  p15, 0, r0, r1, c14 */
	.word	0xee1e2f32	/* mrc   p15, 0, r2, c14, c2, 1 */
	.word	0xec410f0e	/* mcrr  p15, 0, r0, r1, c14 */
/* clang-format on */
