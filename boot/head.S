/* SPDX-License-Identifier: MIT */
/*
 * Kairos entry. The arm64 Image header (Linux Documentation/arch/arm64/
 * booting.rst) makes QEMU -kernel and U-Boot booti load Kairos at RAM base
 * + text_offset and enter it on one CPU with x0 = DTB, MMU and D-cache
 * off. Kairos is linked at exactly that address (platform.mk).
 */
#include <asm/asm.h>
#include <asm/sysreg.h>
#include <kairos/limits.h>

	.section .head, "ax"
	.globl	_head
_head:
	b	primary_entry		/* code0 */
	.long	0			/* code1 */
	.quad	KAIROS_TEXT_OFFSET	/* text_offset from a 2 MiB boundary */
	.quad	_kairos_image_size	/* effective size, BSS included */
	/* flags: little-endian, 4K pages, placed near the base of RAM */
	.quad	0x2
	.quad	0
	.quad	0
	.quad	0
	.ascii	"ARM\x64"		/* magic */
	.long	0

	.text
func primary_entry
	msr	daifset, #0xf
	mov	x19, x0			/* DTB */
	mrs	x20, CurrentEL
	lsr	x20, x20, #2
	/*
	 * The image and BSS are written with the MMU off: clean and
	 * invalidate them to the point of coherency first so no stale line
	 * from the boot loader survives into the cached world. .noinit, after
	 * the BSS, is first written with the MMU on: not needed there.
	 */
	adr_l	x0, _head
	adr_l	x1, __bss_end
	bl	dcache_civac_range
	adr_l	x0, __bss_start
	adr_l	x1, __bss_end
1:	cmp	x0, x1
	b.hs	2f
	stp	xzr, xzr, [x0], #16
	b	1b
2:	adr_l	x0, cpu_stacks
	add	sp, x0, #KAIROS_STACK_SIZE
	cmp	x20, #2
	b.ne	3f
	bl	el2_setup
3:	mov	x0, x19
	mov	x1, x20
	bl	boot_primary
	b	.
endfunc primary_entry

/*
 * Secondary CPUs start here (PSCI CPU_ON or spin-table release) at EL2
 * with the MMU off. Nothing in memory is read before the MMU and caches
 * are on, so no data written by the boot CPU can be seen stale.
 */
func secondary_entry
	msr	daifset, #0xf
	bl	el2_setup
	adr_l	x0, mmu_root
	bl	mmu_enable_asm
	mrs	x0, mpidr_el1
	ldr	x1, =MPIDR_AFF_MASK
	and	x0, x0, x1
	adr_l	x1, boot_mpidr_table
	mov	x2, #0
1:	ldr	x3, [x1, x2, lsl #3]
	cmp	x3, x0
	b.eq	2f
	add	x2, x2, #1
	cmp	x2, #KAIROS_MAX_CPUS
	b.lo	1b
3:	wfi				/* not a CPU Kairos knows: park */
	b	3b
2:	adr_l	x1, cpu_stacks
	add	x3, x2, #1
	mov	x4, #KAIROS_STACK_SIZE
	madd	x1, x3, x4, x1
	mov	sp, x1
	mov	x0, x2
	bl	boot_secondary
	b	.
endfunc secondary_entry

/* Write every EL2 register Kairos relies on, in full. Clobbers x0, x1. */
func el2_setup
	ldr	x0, =HCR_EL2_BOOT
	msr	hcr_el2, x0
	ldr	x0, =SCTLR_EL2_RES1
	msr	sctlr_el2, x0
	ldr	x0, =CPTR_EL2_BOOT
	msr	cptr_el2, x0
	mov	x0, #CNTHCTL_EL2_BOOT
	msr	cnthctl_el2, x0
	msr	cntvoff_el2, xzr
	msr	cnthp_ctl_el2, xzr
	msr	vttbr_el2, xzr
	mrs	x0, id_aa64mmfr0_el1	/* VTCR_EL2.PS = PARange, at most 48 bits */
	and	x0, x0, #0xf
	mov	x1, #5
	cmp	x0, x1
	csel	x0, x0, x1, ls
	ldr	x1, =VTCR_EL2_BASE
	orr	x0, x1, x0, lsl #TCR_PS_SHIFT
	msr	vtcr_el2, x0
	msr	hstr_el2, xzr
	msr	tpidr_el2, xzr		/* no struct cpu yet */
	mrs	x0, midr_el1
	msr	vpidr_el2, x0
	mrs	x0, mpidr_el1
	msr	vmpidr_el2, x0
	/*
	 * MDCR_EL2.HPMN = PMCR_EL0.N when a PMU exists (ID_AA64DFR0.PMUVer):
	 * every counter is the guest's, switched per vCPU
	 * (arch/aarch64/pmu_debug.c). With PMUv3p1, HPMD (bit 17) keeps EL2
	 * out of the event counts; with PMUv3p5, HCCD (bit 23) out of the
	 * cycle count. Debug registers are not trapped (TDA, TDOSA = 0).
	 */
	mov	x0, #0
	mrs	x1, id_aa64dfr0_el1
	ubfx	x1, x1, #8, #4
	cbz	x1, 1f
	cmp	x1, #0xf
	b.eq	1f
	mrs	x0, pmcr_el0
	ubfx	x0, x0, #11, #5
	cmp	x1, #4
	b.lo	1f
	orr	x0, x0, #(1 << 17)
	cmp	x1, #6
	b.lo	1f
	orr	x0, x0, #(1 << 23)
1:	msr	mdcr_el2, x0
	adr_l	x0, el2_vectors
	msr	vbar_el2, x0
	isb
	ret
endfunc el2_setup

/* Clean and invalidate [x0, x1) to the PoC. Clobbers x0..x3. */
func dcache_civac_range
	mrs	x3, ctr_el0
	ubfx	x3, x3, #16, #4		/* DminLine: log2(words) */
	mov	x2, #4
	lsl	x2, x2, x3
	sub	x3, x2, #1
	bic	x0, x0, x3
1:	cmp	x0, x1
	b.hs	2f
	dc	civac, x0
	add	x0, x0, x2
	b	1b
2:	dsb	sy
	ret
endfunc dcache_civac_range

	.data
	.balign	8
/* MPIDR of each CPU, indexed by Kairos CPU number; ~0 = unused. */
	.globl	boot_mpidr_table
boot_mpidr_table:
	.rept	KAIROS_MAX_CPUS
	.quad	-1
	.endr

	.bss
	.balign	16
	.globl	cpu_stacks
cpu_stacks:
	.space	KAIROS_STACK_SIZE * KAIROS_MAX_CPUS
