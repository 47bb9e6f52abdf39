/* SPDX-License-Identifier: MIT */
/*
 * The bench guest's own arm64 Image header and entry. Linked first (see
 * mk/bench.mk, bench.ld), this .head comes before libguest's (which is then
 * never executed), so the guest's very first instructions read the virtual
 * counter: the boot row of the bench (docs/bench.md) is the count there.
 * Then libguest's entry runs as usual, with x0 = DTB untouched.
 */
#include <lg/asm.h>
#include <lg/sysreg.h>

	.section .head, "ax"
	.globl	_bench_head
_bench_head:
	b	bench_entry		/* code0 */
	.long	0			/* code1 */
	.quad	LG_TEXT_OFFSET		/* text_offset from a 2 MiB boundary */
	.quad	_bench_image_size	/* effective size, BSS included */
	.quad	0x2			/* little-endian, 4K pages */
	.quad	0
	.quad	0
	.quad	0
	.ascii	"ARM\x64"		/* magic */
	.long	0

/*
 * The count is stored with the MMU off (straight to memory); the line is
 * invalidated so no stale copy hides it once the caches are on. x0 (DTB)
 * is preserved.
 */
bench_entry:
	isb
	mrs	x1, cntvct_el0
	adr_l	x2, bench_t_first
	str	x1, [x2]
	dc	ivac, x2
	dsb	sy
	b	lg_primary_entry

	.data
	.balign	64
	.globl	bench_t_first
bench_t_first:
	.quad	0
	.balign	64
