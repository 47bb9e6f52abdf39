/* SPDX-License-Identifier: MIT */
#ifndef LG_ASM_H
#define LG_ASM_H

/* Assembler macros for libguest's .S files, which clang-format would mangle. */
/* clang-format off */
/* PC-relative address of a symbol (works with the MMU off or on). */
.macro adr_l reg, sym
	adrp	\reg, \sym
	add	\reg, \reg, :lo12:\sym
.endm

.macro func name
	.globl	\name
	.type	\name, %function
	.balign	4
\name:
.endm

.macro endfunc name
	.size	\name, . - \name
.endm
/* clang-format on */

#endif
