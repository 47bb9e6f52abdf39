// SPDX-License-Identifier: MIT
/* The generic timer's interrupts, from the DTB. */
#include <lg/board.h>
#include <lg/gic.h>
#include <lg/timer.h>
#include <libfdt.h>

/*
 * arm,armv8-timer lists its PPIs in a fixed order: secure physical,
 * non-secure (EL1) physical, virtual, hypervisor. Each specifier is
 * <type number flags>; type 1 is a PPI.
 */
#define TIMER_CELLS 3
#define TIMER_PHYS_INDEX 1
#define TIMER_VIRT_INDEX 2
#define TIMER_PHYS_DEFAULT 30
#define TIMER_VIRT_DEFAULT 27
#define GIC_SPEC_PPI 1

static unsigned int timer_intid(int index, unsigned int def)
{
	const void *fdt = board_dtb();
	int node = fdt_node_offset_by_compatible(fdt, -1, "arm,armv8-timer");
	int len;
	const fdt32_t *p =
		node >= 0 ? fdt_getprop(fdt, node, "interrupts", &len) : NULL;
	const fdt32_t *spec;

	if (!p || len < (index + 1) * TIMER_CELLS * 4)
		return def;
	spec = p + index * TIMER_CELLS;
	if (fdt32_ld(&spec[0]) != GIC_SPEC_PPI)
		return def;
	return GIC_PPI_BASE + fdt32_ld(&spec[1]);
}

unsigned int timer_virt_intid(void)
{
	return timer_intid(TIMER_VIRT_INDEX, TIMER_VIRT_DEFAULT);
}

unsigned int timer_phys_intid(void)
{
	return timer_intid(TIMER_PHYS_INDEX, TIMER_PHYS_DEFAULT);
}
