/* SPDX-License-Identifier: MIT */
/*
 * The bench guest's EL1 vectors and timed primitives.
 *
 * bench_vectors forwards every exception to libguest's vectors, except an
 * IRQ taken from EL1h (slot 5): that one reads the virtual counter with its
 * very first two instructions (ISB; MRS), keeps the count in TPIDR_EL1 for
 * the C handler, and only then enters libguest's IRQ path.
 *
 * The count needs a register before anything is saved, so x16 and x17 are
 * clobbered. That is only sound where the interrupted code does not hold
 * them: IRQs are unmasked only inside bench_wait (which uses neither), and
 * the vector checks ELR against bench_wait's bounds and aborts the run if
 * an IRQ came from anywhere else.
 */
#include <lg/asm.h>

/* libguest's vector table: slot k is at lg_vectors + k * 0x80. */
.macro fwd kind
	.balign	0x80
	b	lg_vectors + \kind * 0x80
.endm

	.text
	.balign	2048
	.globl	bench_vectors
bench_vectors:
	fwd	0
	fwd	1
	fwd	2
	fwd	3
	fwd	4
	/* 5: IRQ, current EL with SP_EL1. */
	.balign	0x80
	isb
	mrs	x17, cntvct_el0
	msr	tpidr_el1, x17
	mrs	x17, elr_el1
	adr	x16, bench_wait
	sub	x17, x17, x16
	cmp	x17, #(bench_wait_end - bench_wait)
	b.hs	bench_stray_irq_entry
	b	lg_vectors + 5 * 0x80
	fwd	6
	fwd	7
	fwd	8
	fwd	9
	fwd	10
	fwd	11
	fwd	12
	fwd	13
	fwd	14
	fwd	15

bench_stray_irq_entry:
	mrs	x0, elr_el1
	bl	bench_stray_irq
	b	.

/*
 * void bench_wait(const uint32_t *flag, uint64_t sleep): returns, IRQs
 * masked, once *flag != 0; IRQs are taken only in here. sleep = 0 spins
 * with IRQs unmasked; otherwise WFI with IRQs masked (so an IRQ that comes
 * between the check and the WFI still wakes it), then unmask for the ISB.
 * Uses x0..x2 only.
 */
func bench_wait
	msr	daifset, #2
	cbz	x1, 3f
1:	ldar	w2, [x0]
	cbnz	w2, 4f
	wfi
	msr	daifclr, #2
	isb
	msr	daifset, #2
	b	1b
3:	msr	daifclr, #2
2:	ldar	w2, [x0]
	cbz	w2, 2b
	msr	daifset, #2
4:	ret
bench_wait_end:
endfunc bench_wait

/*
 * uint64_t bench_hvc_version(uint64_t *ticks): PSCI_VERSION over HVC;
 * *ticks = counter after it - counter before it. Returns x0 of the call.
 * x19/x20 carry the state over the call (SMCCC lets it clobber x4..x17).
 */
func bench_hvc_version
	stp	x19, x20, [sp, #-16]!
	mov	x19, x0
	mov	x0, #0x84000000		/* PSCI_VERSION */
	isb
	mrs	x20, cntvct_el0
	hvc	#0
	isb
	mrs	x1, cntvct_el0
	sub	x1, x1, x20
	str	x1, [x19]
	ldp	x19, x20, [sp], #16
	ret
endfunc bench_hvc_version

/*
 * uint32_t bench_mmio_read32(uintptr_t addr, uint64_t *ticks): one LDR
 * of @addr, timed like bench_hvc_version.
 */
func bench_mmio_read32
	isb
	mrs	x2, cntvct_el0
	ldr	w3, [x0]
	isb
	mrs	x4, cntvct_el0
	sub	x4, x4, x2
	str	x4, [x1]
	mov	w0, w3
	ret
endfunc bench_mmio_read32

/*
 * uint64_t bench_sgi_send(uint64_t sgi1r): writes ICC_SGI1R_EL1 (GICv3),
 * or with BENCH_SGI_V2 (bit 63) set the low 32 bits to GICD_SGIR
 * (bench_gicd_sgir), and returns the counter read just before. Earlier
 * stores are made visible to the target first.
 */
func bench_sgi_send
	dsb	ish
	isb
	tbnz	x0, #63, 1f
	mrs	x1, cntvct_el0
	msr	icc_sgi1r_el1, x0
	isb
	mov	x0, x1
	ret
1:	adrp	x2, bench_gicd_sgir
	ldr	x2, [x2, :lo12:bench_gicd_sgir]
	mrs	x1, cntvct_el0
	str	w0, [x2]
	isb
	mov	x0, x1
	ret
endfunc bench_sgi_send
