/* SPDX-License-Identifier: MIT */
/*
 * The loops of arch/aarch64/memops.c, in the fewest instructions the
 * general registers allow (Kairos builds without FP/SIMD): LDP/STP move
 * 16 bytes each, CRC32CX folds 8 bytes (FEAT_CRC32, Arm ARM C6.2.80), DC
 * ZVA zeroes one block (D7.5.9) and DC CVAC cleans one line to the PoC.
 * Each takes 8-aligned pointers and a length that is a multiple of 8 (of
 * the block for the DC loops); memops.c deals with the rest.
 */
#include <asm/asm.h>

	.arch	armv8-a+crc
	.text

/* void memops_copy8(void *dst, const void *src, size_t len) */
func memops_copy8
	subs	x2, x2, #128
	b.lo	2f
1:	ldp	x3, x4, [x1]
	ldp	x5, x6, [x1, #16]
	ldp	x7, x8, [x1, #32]
	ldp	x9, x10, [x1, #48]
	stp	x3, x4, [x0]
	stp	x5, x6, [x0, #16]
	stp	x7, x8, [x0, #32]
	stp	x9, x10, [x0, #48]
	ldp	x3, x4, [x1, #64]
	ldp	x5, x6, [x1, #80]
	ldp	x7, x8, [x1, #96]
	ldp	x9, x10, [x1, #112]
	add	x1, x1, #128
	stp	x3, x4, [x0, #64]
	stp	x5, x6, [x0, #80]
	stp	x7, x8, [x0, #96]
	stp	x9, x10, [x0, #112]
	add	x0, x0, #128
	subs	x2, x2, #128
	b.hs	1b
2:	adds	x2, x2, #128
	b.eq	4f
3:	ldr	x3, [x1], #8
	str	x3, [x0], #8
	subs	x2, x2, #8
	b.ne	3b
4:	ret
endfunc memops_copy8

/* uint32_t memops_copy_crc8(uint32_t crc, void *dst, const void *src,
 *			     size_t len) */
/* 128 bytes per 36 instructions: the loop's own four shared by two halves. */
func memops_copy_crc8
	subs	x3, x3, #128
	b.lo	2f
1:	ldp	x4, x5, [x2]
	ldp	x6, x7, [x2, #16]
	ldp	x8, x9, [x2, #32]
	ldp	x10, x11, [x2, #48]
	stp	x4, x5, [x1]
	stp	x6, x7, [x1, #16]
	stp	x8, x9, [x1, #32]
	stp	x10, x11, [x1, #48]
	crc32cx	w0, w0, x4
	crc32cx	w0, w0, x5
	crc32cx	w0, w0, x6
	crc32cx	w0, w0, x7
	crc32cx	w0, w0, x8
	crc32cx	w0, w0, x9
	crc32cx	w0, w0, x10
	crc32cx	w0, w0, x11
	ldp	x4, x5, [x2, #64]
	ldp	x6, x7, [x2, #80]
	ldp	x8, x9, [x2, #96]
	ldp	x10, x11, [x2, #112]
	add	x2, x2, #128
	stp	x4, x5, [x1, #64]
	stp	x6, x7, [x1, #80]
	stp	x8, x9, [x1, #96]
	stp	x10, x11, [x1, #112]
	add	x1, x1, #128
	crc32cx	w0, w0, x4
	crc32cx	w0, w0, x5
	crc32cx	w0, w0, x6
	crc32cx	w0, w0, x7
	crc32cx	w0, w0, x8
	crc32cx	w0, w0, x9
	crc32cx	w0, w0, x10
	crc32cx	w0, w0, x11
	subs	x3, x3, #128
	b.hs	1b
2:	adds	x3, x3, #128
	b.eq	4f
3:	ldr	x4, [x2], #8
	str	x4, [x1], #8
	crc32cx	w0, w0, x4
	subs	x3, x3, #8
	b.ne	3b
4:	ret
endfunc memops_copy_crc8

/* uint32_t memops_crc8(uint32_t crc, const void *p, size_t len) */
func memops_crc8
	subs	x2, x2, #64
	b.lo	2f
1:	ldp	x4, x5, [x1]
	ldp	x6, x7, [x1, #16]
	ldp	x8, x9, [x1, #32]
	ldp	x10, x11, [x1, #48]
	add	x1, x1, #64
	crc32cx	w0, w0, x4
	crc32cx	w0, w0, x5
	crc32cx	w0, w0, x6
	crc32cx	w0, w0, x7
	crc32cx	w0, w0, x8
	crc32cx	w0, w0, x9
	crc32cx	w0, w0, x10
	crc32cx	w0, w0, x11
	subs	x2, x2, #64
	b.hs	1b
2:	adds	x2, x2, #64
	b.eq	4f
3:	ldr	x4, [x1], #8
	crc32cx	w0, w0, x4
	subs	x2, x2, #8
	b.ne	3b
4:	ret
endfunc memops_crc8

/* uint32_t memops_crc_bytes(uint32_t crc, const void *p, size_t len) */
func memops_crc_bytes
	cbz	x2, 2f
1:	ldrb	w4, [x1], #1
	crc32cb	w0, w0, w4
	subs	x2, x2, #1
	b.ne	1b
2:	ret
endfunc memops_crc_bytes

/*
 * void memops_zero_clean(void *p, size_t len, size_t line): @line is both
 * the DC ZVA block and a multiple of the smallest D-cache line; @p and
 * @len multiples of 4 lines. Zero, then clean, line by line: the clean
 * finds the line the zeroing just filled, in the cache.
 */
func memops_zero_clean
	cbz	x1, 2f
1:	dc	zva, x0
	dc	cvac, x0
	add	x0, x0, x2
	dc	zva, x0
	dc	cvac, x0
	add	x0, x0, x2
	dc	zva, x0
	dc	cvac, x0
	add	x0, x0, x2
	dc	zva, x0
	dc	cvac, x0
	add	x0, x0, x2
	subs	x1, x1, x2, lsl #2
	b.ne	1b
2:	dsb	sy
	ret
endfunc memops_zero_clean
