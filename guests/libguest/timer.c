// SPDX-License-Identifier: MIT
/* The virtual timer's interrupt, from the DTB. */
#include <lg/board.h>
#include <lg/gic.h>
#include <lg/timer.h>
#include <libfdt.h>

#define TIMER_VIRT_DEFAULT 27
/* Interrupt specifiers: <type number flags>; type 1 is a PPI. */
#define TIMER_CELLS 3
#define TIMER_VIRT_INDEX 2
#define GIC_SPEC_PPI 1

unsigned int timer_virt_intid(void)
{
	const void *fdt = board_dtb();
	int node = fdt_node_offset_by_compatible(fdt, -1, "arm,armv8-timer");
	int len;
	const fdt32_t *p =
		node >= 0 ? fdt_getprop(fdt, node, "interrupts", &len) : NULL;
	const fdt32_t *spec;

	if (!p || len < (TIMER_VIRT_INDEX + 1) * TIMER_CELLS * 4)
		return TIMER_VIRT_DEFAULT;
	spec = p + TIMER_VIRT_INDEX * TIMER_CELLS;
	if (fdt32_ld(&spec[0]) != GIC_SPEC_PPI)
		return TIMER_VIRT_DEFAULT;
	return GIC_PPI_BASE + fdt32_ld(&spec[1]);
}
