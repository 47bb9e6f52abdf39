/* SPDX-License-Identifier: MIT */
/*
 * Guest entry. The arm64 Image header (Linux Documentation/arch/arm64/
 * booting.rst) makes QEMU -kernel, U-Boot booti and Kairos load the guest
 * at RAM base + text_offset (0x40080000 on QEMU virt, where it is linked)
 * and enter it at EL1 with x0 = DTB, MMU and D-cache off. Secondary CPUs
 * enter at lg_secondary_entry from PSCI CPU_ON with x0 = context id, which
 * libguest sets to the CPU's index.
 */
#include <lg/asm.h>
#include <lg/sysreg.h>

	.section .head, "ax"
	.globl	_head
_head:
	b	lg_primary_entry	/* code0 */
	.long	0			/* code1 */
	.quad	LG_TEXT_OFFSET		/* text_offset from a 2 MiB boundary */
	.quad	_lg_image_size		/* effective size, BSS included */
	.quad	0x2			/* little-endian, 4K pages */
	.quad	0
	.quad	0
	.quad	0
	.ascii	"ARM\x64"		/* magic */
	.long	0

	.text
func lg_primary_entry
	msr	daifset, #0xf
	mov	x19, x0			/* DTB */
	adr_l	x0, lg_stacks		/* for lg_early_puts, and C below */
	add	sp, x0, #LG_STACK_SIZE
	mrs	x0, CurrentEL
	cmp	x0, #(1 << 2)
	b.ne	1f
	/* Linked, not relocatable: refuse to run anywhere else. */
	adr_l	x0, _head
	ldr	x1, =_head
	cmp	x0, x1
	b.ne	2f
	bl	lg_cpu_setup
	msr	tpidrro_el0, xzr
	adr_l	x0, __bss_start
	adr_l	x1, __bss_end
3:	cmp	x0, x1
	b.hs	4f
	stp	xzr, xzr, [x0], #16
	b	3b
4:	mov	x0, x19
	bl	lg_early_init		/* DTB, page tables: MMU still off */
	/*
	 * BSS (page tables, stacks, what lg_early_init learnt) was written
	 * with the MMU off, straight to memory: drop any line a cache may
	 * hold for it before the first cached access.
	 */
	adr_l	x0, __bss_start
	adr_l	x1, __bss_end
	bl	lg_dcache_inval_range
	bl	lg_mmu_on
	bl	lg_main
	b	.
1:	adr_l	x0, lg_msg_el
	b	5f
2:	adr_l	x0, lg_msg_addr
5:	bl	lg_early_puts
6:	wfi
	b	6b
endfunc lg_primary_entry

/*
 * Secondary CPUs (PSCI CPU_ON), x0 = context id = CPU index. The page
 * tables are complete before any CPU_ON; the MMU goes on before the first
 * memory access.
 */
func lg_secondary_entry
	msr	daifset, #0xf
	cmp	x0, #LG_MAX_CPUS
	b.hs	2f
	mov	x19, x0
	bl	lg_cpu_setup
	msr	tpidrro_el0, x19
	bl	lg_mmu_on
	adr_l	x1, lg_stacks
	add	x2, x19, #1
	mov	x3, #LG_STACK_SIZE
	madd	x1, x2, x3, x1
	mov	sp, x1
	mov	x0, x19
	bl	lg_secondary_main
	b	.
2:	wfi				/* not an index libguest handed out */
	b	2b
endfunc lg_secondary_entry

/* EL1 state every CPU starts with, MMU off. Clobbers x0. */
func lg_cpu_setup
	msr	spsel, #1
	ldr	x0, =SCTLR_EL1_OFF
	msr	sctlr_el1, x0
	mov	x0, #CPACR_EL1_FPEN
	msr	cpacr_el1, x0
	adr_l	x0, lg_vectors
	msr	vbar_el1, x0
	/*
	 * CNTKCTL_EL1: an event stream (EVNTEN, EVNTI = 12: a WFE wakes
	 * within 8192 counter ticks even if nobody sends an event), and EL0
	 * may read the virtual counter (EL0VCTEN).
	 */
	mov	x0, #CNTKCTL_EL1_VALUE
	msr	cntkctl_el1, x0
	isb
	ret
endfunc lg_cpu_setup

/* Turns the EL1&0 MMU on with lg_pt_root. Clobbers x0, x1. */
func lg_mmu_on
	ldr	x0, =MAIR_EL1_VALUE
	msr	mair_el1, x0
	/* IPS = min(PARange, 40 bits): the map covers 512 GiB. */
	mrs	x1, id_aa64mmfr0_el1
	and	x1, x1, #0xf
	cmp	x1, #2
	mov	x0, #2
	csel	x1, x1, x0, lo
	ldr	x0, =TCR_EL1_BASE
	orr	x0, x0, x1, lsl #TCR_IPS_SHIFT
	msr	tcr_el1, x0
	adr_l	x0, lg_pt_root
	msr	ttbr0_el1, x0
	isb
	tlbi	vmalle1
	dsb	nsh
	isb
	ldr	x0, =SCTLR_EL1_ON
	msr	sctlr_el1, x0
	isb
	ic	iallu
	dsb	nsh
	isb
	ret
endfunc lg_mmu_on

/* Invalidates [x0, x1) in the data cache to the PoC. Clobbers x0..x3. */
func lg_dcache_inval_range
	mrs	x3, ctr_el0
	ubfx	x3, x3, #16, #4		/* DminLine: log2(words) */
	mov	x2, #4
	lsl	x2, x2, x3
	sub	x3, x2, #1
	bic	x0, x0, x3
1:	cmp	x0, x1
	b.hs	2f
	dc	ivac, x0
	add	x0, x0, x2
	b	1b
2:	dsb	sy
	ret
endfunc lg_dcache_inval_range

/*
 * uint64_t run_at_el0(uint64_t (*fn)(void *), void *arg): saves the
 * callee-saved state in this CPU's lg_el0_ctx slot and erets to EL0t at
 * lg_el0_trampoline; the SVC there comes back through lg_el0_return.
 */
func run_at_el0
	mrs	x9, tpidrro_el0
	adr_l	x10, lg_el0_ctx
	add	x10, x10, x9, lsl #7
	stp	x19, x20, [x10, #0]
	stp	x21, x22, [x10, #16]
	stp	x23, x24, [x10, #32]
	stp	x25, x26, [x10, #48]
	stp	x27, x28, [x10, #64]
	stp	x29, x30, [x10, #80]
	mov	x11, sp
	mrs	x12, daif
	stp	x11, x12, [x10, #96]
	mov	x11, #1
	str	x11, [x10, #112]	/* active */
	msr	daifset, #0xf
	adr_l	x11, lg_el0_stacks
	add	x9, x9, #1
	mov	x12, #LG_EL0_STACK_SIZE
	madd	x11, x9, x12, x11
	msr	sp_el0, x11
	adr_l	x11, lg_el0_trampoline
	msr	elr_el1, x11
	mov	x11, #0x3c0		/* EL0t, DAIF masked */
	msr	spsr_el1, x11
	mov	x9, x0
	mov	x0, x1
	mov	x1, x9
	eret
endfunc run_at_el0

/* Runs at EL0: x1 = fn, x0 = arg. */
func lg_el0_trampoline
	blr	x1
	svc	#0
	b	.
endfunc lg_el0_trampoline

/* Called at EL1 on the SVC from lg_el0_trampoline: x0 = fn's result. */
func lg_el0_return
	mrs	x9, tpidrro_el0
	adr_l	x10, lg_el0_ctx
	add	x10, x10, x9, lsl #7
	str	xzr, [x10, #112]
	ldp	x19, x20, [x10, #0]
	ldp	x21, x22, [x10, #16]
	ldp	x23, x24, [x10, #32]
	ldp	x25, x26, [x10, #48]
	ldp	x27, x28, [x10, #64]
	ldp	x29, x30, [x10, #80]
	ldp	x11, x12, [x10, #96]
	mov	sp, x11
	msr	daif, x12
	ret
endfunc lg_el0_return

	.section .rodata
lg_msg_el:
	.asciz	"libguest: not entered at EL1, stopping\r\n"
lg_msg_addr:
	.asciz	"libguest: not loaded at its link address (text_offset 0x80000), stopping\r\n"

	.bss
	.balign	16
	.globl	lg_stacks
lg_stacks:
	.space	LG_STACK_SIZE * LG_MAX_CPUS
	.globl	lg_el0_stacks
lg_el0_stacks:
	.space	LG_EL0_STACK_SIZE * LG_MAX_CPUS
	.balign	128
/* Per CPU: x19..x30, sp, daif, active flag (128 bytes each). */
	.globl	lg_el0_ctx
lg_el0_ctx:
	.space	128 * LG_MAX_CPUS
