// SPDX-License-Identifier: MIT
/*
 * What the DTB says, read once at entry with the MMU off (libfdt reads
 * byte by byte where alignment is not known, so Device memory is fine).
 */
#include "internal.h"
#include <lg/board.h>
#include <lg/sysreg.h>
#include <libfdt.h>
#include <stdlib.h>
#include <string.h>

#define BOOTARGS_MAX 1024

static const void *board_fdt;
static struct mem_region board_mems[BOARD_MAX_MEM];
static unsigned int board_nmem;
static uint64_t board_cpus[LG_MAX_CPUS];
static unsigned int board_ncpus;
static char board_cmdline[BOOTARGS_MAX];

static uint64_t read_cells(const fdt32_t *p, int cells)
{
	uint64_t v = 0;

	for (int i = 0; i < cells; i++)
		v = (v << 32) | fdt32_ld(&p[i]);
	return v;
}

static void board_parse_memory(const void *fdt)
{
	int ac = fdt_address_cells(fdt, 0);
	int sc = fdt_size_cells(fdt, 0);
	int node = fdt_node_offset_by_prop_value(fdt, -1, "device_type",
						 "memory", sizeof("memory"));

	if (ac < 1 || ac > 2 || sc < 1 || sc > 2)
		return;
	for (; node >= 0;
	     node = fdt_node_offset_by_prop_value(fdt, node, "device_type",
						  "memory", sizeof("memory"))) {
		int len;
		const fdt32_t *reg = fdt_getprop(fdt, node, "reg", &len);
		int entry = (ac + sc) * 4;

		for (int off = 0; reg && off + entry <= len; off += entry) {
			const fdt32_t *p = reg + off / 4;
			uint64_t size = read_cells(p + ac, sc);

			if (size == 0 || board_nmem == BOARD_MAX_MEM)
				continue;
			board_mems[board_nmem].base = read_cells(p, ac);
			board_mems[board_nmem].size = size;
			board_nmem++;
		}
	}
}

static void board_parse_cpus(const void *fdt)
{
	int cpus = fdt_path_offset(fdt, "/cpus");
	int ac = cpus >= 0 ? fdt_address_cells(fdt, cpus) : -1;
	uint64_t self = read_sysreg(mpidr_el1) & MPIDR_AFF_MASK;
	int node;

	if (ac < 1 || ac > 2)
		return;
	fdt_for_each_subnode(node, fdt, cpus) {
		const char *type = fdt_getprop(fdt, node, "device_type", NULL);
		const char *status = fdt_getprop(fdt, node, "status", NULL);
		int len;
		const fdt32_t *reg = fdt_getprop(fdt, node, "reg", &len);

		if (!type || strcmp(type, "cpu") != 0 || !reg || len < ac * 4 ||
		    (status && strcmp(status, "okay") != 0))
			continue;
		if (board_ncpus == LG_MAX_CPUS)
			break;
		board_cpus[board_ncpus++] = read_cells(reg, ac) &
					    MPIDR_AFF_MASK;
	}
	/* Index 0 is the CPU running now (stack 0, TPIDRRO_EL0 = 0). */
	for (unsigned int i = 1; i < board_ncpus; i++) {
		if (board_cpus[i] == self) {
			board_cpus[i] = board_cpus[0];
			board_cpus[0] = self;
		}
	}
	if (board_ncpus == 0)
		board_cpus[board_ncpus++] = self;
}

bool board_early_init(const void *dtb)
{
	const char *args;
	int chosen;

	if (fdt_check_header(dtb) != 0)
		return false;
	board_fdt = dtb;
	board_parse_memory(dtb);
	board_parse_cpus(dtb);
	chosen = fdt_path_offset(dtb, "/chosen");
	args = chosen >= 0 ? fdt_getprop(dtb, chosen, "bootargs", NULL) : NULL;
	if (args)
		strncpy(board_cmdline, args, sizeof(board_cmdline) - 1);
	return board_nmem > 0;
}

const void *board_dtb(void)
{
	return board_fdt;
}

unsigned int board_mem_count(void)
{
	return board_nmem;
}

const struct mem_region *board_mem(unsigned int i)
{
	return i < board_nmem ? &board_mems[i] : NULL;
}

bool board_is_ram(uint64_t addr, uint64_t len)
{
	for (unsigned int i = 0; i < board_nmem; i++) {
		const struct mem_region *m = &board_mems[i];

		if (addr >= m->base && addr - m->base < m->size &&
		    len <= m->size - (addr - m->base))
			return true;
	}
	return false;
}

uint64_t board_ram_end(void)
{
	uint64_t end = 0;

	for (unsigned int i = 0; i < board_nmem; i++) {
		uint64_t e = board_mems[i].base + board_mems[i].size;

		if (e > end)
			end = e;
	}
	return end;
}

unsigned int board_cpu_count(void)
{
	return board_ncpus;
}

uint64_t board_cpu_mpidr(unsigned int idx)
{
	return idx < board_ncpus ? board_cpus[idx] : ~0UL;
}

const char *board_bootargs(void)
{
	return board_cmdline;
}

bool board_arg(const char *key, char *buf, size_t len)
{
	size_t klen = strlen(key);
	const char *p = board_cmdline;

	while (*p) {
		const char *end;
		const char *val;
		size_t vlen;

		while (*p == ' ')
			p++;
		end = p;
		while (*end && *end != ' ')
			end++;
		if ((size_t)(end - p) >= klen && strncmp(p, key, klen) == 0 &&
		    (p[klen] == '=' || p + klen == end)) {
			val = p + klen == end ? end : p + klen + 1;
			vlen = (size_t)(end - val);
			if (!buf)
				return true;
			if (vlen >= len)
				return false;
			memcpy(buf, val, vlen);
			buf[vlen] = '\0';
			return true;
		}
		p = end;
	}
	return false;
}

bool board_arg_u64(const char *key, uint64_t *val)
{
	char buf[32];
	char *end;

	if (!board_arg(key, buf, sizeof(buf)) || buf[0] == '\0')
		return false;
	*val = strtoull(buf, &end, 0);
	return *end == '\0';
}
