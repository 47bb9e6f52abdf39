// SPDX-License-Identifier: MIT
/* Shared-memory regions and their doorbells (lg/shmem.h). */
#include "internal.h"
#include <lg/board.h>
#include <lg/mmio.h>
#include <lg/shmem.h>
#include <libfdt.h>

/* A two-cell number. */
static uint64_t cells64(const fdt32_t *p)
{
	return (uint64_t)fdt32_ld(p) << 32 | fdt32_ld(p + 1);
}

bool shmem_find(unsigned int n, struct lg_shmem *out)
{
	const void *fdt = board_dtb();
	int node = -1;

	if (fdt_address_cells(fdt, 0) != 2 || fdt_size_cells(fdt, 0) != 2)
		return false;
	for (;;) {
		const fdt32_t *reg, *irq, *idx;
		int len, ilen;

		node = fdt_node_offset_by_compatible(fdt, node, "generic-uio");
		if (node < 0)
			return false;
		idx = fdt_getprop(fdt, node, "kairos,doorbell-index", NULL);
		reg = fdt_getprop(fdt, node, "reg", &len);
		irq = fdt_getprop(fdt, node, "interrupts", &ilen);
		if (!idx || !reg || len != 32 || !irq || ilen != 12)
			continue;
		if (n--)
			continue;
		*out = (struct lg_shmem){
			.bell = (uintptr_t)cells64(reg),
			.base = cells64(reg + 4),
			.size = cells64(reg + 6),
			.intid = fdt32_ld(irq + 1) + 32,
			.index = fdt32_ld(idx),
			.ro = fdt_getprop(fdt, node, "kairos,read-only",
					  NULL) != NULL,
		};
		return true;
	}
}

void shmem_ring(const struct lg_shmem *s, uint32_t peer)
{
	/* The region's stores complete before the doorbell's (B2.3.12). */
	__asm__ volatile("dsb ish" ::: "memory");
	mmio_write32(s->bell + SHMEM_BELL_RING, peer);
}

uint32_t shmem_bell_read(const struct lg_shmem *s, unsigned int reg)
{
	return mmio_read32(s->bell + reg);
}
