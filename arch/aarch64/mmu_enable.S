/* SPDX-License-Identifier: MIT */
#include <asm/asm.h>
#include <asm/sysreg.h>

/*
 * Turn on the EL2 stage-1 MMU and caches with x0 = root table. Uses no
 * memory, so secondaries call it before touching any shared data. The
 * output address size is the CPU's PARange, capped at 48 bits (52 would
 * need FEAT_LPA2 descriptors). Clobbers x0..x2.
 */
func mmu_enable_asm
	ldr	x1, =MAIR_EL2_VALUE
	msr	mair_el2, x1
	mrs	x1, id_aa64mmfr0_el1
	and	x1, x1, #0xf
	cmp	x1, #5
	mov	x2, #5
	csel	x1, x1, x2, ls
	ldr	x2, =TCR_EL2_BASE
	orr	x2, x2, x1, lsl #TCR_PS_SHIFT
	msr	tcr_el2, x2
	msr	ttbr0_el2, x0
	isb
	tlbi	alle2
	dsb	ish
	ic	iallu
	dsb	ish
	isb
	mrs	x1, sctlr_el2
	ldr	x2, =(SCTLR_M | SCTLR_C | SCTLR_SA | SCTLR_I | SCTLR_WXN)
	orr	x1, x1, x2
	msr	sctlr_el2, x1
	isb
	ret
endfunc mmu_enable_asm
