/* SPDX-License-Identifier: MIT */
/* Cases that need exact instructions: ERETs, MMU-off accesses, vectors. */
#include <lg/asm.h>

	.text

/* hs_eret_to(spsr, pc): ERET with SPSR_EL1 = spsr to ELR_EL1 = pc. */
func hs_eret_to
	msr	spsr_el1, x0
	msr	elr_el1, x1
	isb
	eret
endfunc hs_eret_to

/*
 * hs_eret_landing: where an illegal ERET lands; its first instruction
 * takes the Illegal Execution state exception, which the catch skips.
 */
func hs_eret_landing
	nop
	ret
endfunc hs_eret_landing

/* hs_mmuoff_load(addr, *val): one load with SCTLR_EL1.M = 0. */
func hs_mmuoff_load
	ldr	x4, [x1]
	mrs	x2, sctlr_el1
	bic	x3, x2, #1
	msr	sctlr_el1, x3
	isb
	ldr	x4, [x0]
	msr	sctlr_el1, x2
	isb
	str	x4, [x1]
	ret
endfunc hs_mmuoff_load

/* hs_mmuoff_call(addr): BLR to addr with SCTLR_EL1.M = 0. */
func hs_mmuoff_call
	stp	x29, x30, [sp, #-16]!
	mrs	x2, sctlr_el1
	str	x2, [sp, #-16]!
	bic	x3, x2, #1
	msr	sctlr_el1, x3
	isb
	blr	x0
	ldr	x2, [sp], #16
	msr	sctlr_el1, x2
	isb
	ldp	x29, x30, [sp], #16
	ret
endfunc hs_mmuoff_call

/*
 * hs_sp_loop(sp): a vector table whose every entry saves two registers
 * below SP, and SP_EL1 = sp (a device) then SVC: the save faults, the
 * fault's vector saves to the same address, for ever. Kairos's
 * fault-loop policy must stop the VM.
 */
.macro loop_entry
	.balign	0x80
	stp	x0, x1, [sp, #-16]
	b	.
.endm

	.balign	2048
hs_sp_vectors:
	.rept	16
	loop_entry
	.endr

func hs_sp_loop
	adr_l	x1, hs_sp_vectors
	msr	vbar_el1, x1
	isb
	mov	sp, x0
	svc	#0
	b	.
endfunc hs_sp_loop

/*
 * hs_secondary_entry: a CPU_ON entry point that needs no stack: it adds
 * one to hs_secondary_runs, stores its context id (x0, whole) in
 * hs_secondary_ctx, and turns itself off with PSCI CPU_OFF.
 */
func hs_secondary_entry
	adr_l	x1, hs_secondary_ctx
	str	x0, [x1]
	adr_l	x1, hs_secondary_runs
	ldr	x2, [x1]
	add	x2, x2, #1
	str	x2, [x1]
	dsb	sy
	movz	x0, #0x8400, lsl #16
	movk	x0, #0x0002
	hvc	#0
	b	.
endfunc hs_secondary_entry

	.data
	.balign	64
	.globl	hs_secondary_ctx
hs_secondary_ctx:
	.quad	0
	.balign	64
	.globl	hs_secondary_runs
hs_secondary_runs:
	.quad	0

/* clang-format off */
/* AArch32 programs for libguest's a32_run(), hand-encoded. */
	.text
/* A32: LDM R1, {R0, R2} (no syndrome), then SVC #0. */
	.balign	4
	.globl	hs_a32_ldm
hs_a32_ldm:
	.word	0xe8910005	/* ldm   r1, {r0, r2} */
	.word	0xef000000	/* svc   #0 */

/* A32: LDR PC, [R1] (a load to the PC), then SVC #0. */
	.balign	4
	.globl	hs_a32_ldr_pc
hs_a32_ldr_pc:
	.word	0xe591f000	/* ldr   pc, [r1] */
	.word	0xef000000	/* svc   #0 */

/* A32: HVC #0 and SMC #0 are UNDEFINED at EL0. */
	.balign	4
	.globl	hs_a32_hvc
hs_a32_hvc:
	.word	0xe1400070	/* hvc   #0 */
	.word	0xef000000	/* svc   #0 */
	.balign	4
	.globl	hs_a32_smc
hs_a32_smc:
	.word	0xe1600070	/* smc   #0 */
	.word	0xef000000	/* svc   #0 */

/* Thumb: a 16-bit STR R0, [R1] (an absent device), then SVC #0. */
	.balign	4
	.globl	hs_t32_str
hs_t32_str:
	.hword	0x6008		/* str   r0, [r1] */
	.hword	0xdf00		/* svc   #0 */
/* clang-format on */
