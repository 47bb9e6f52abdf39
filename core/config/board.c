// SPDX-License-Identifier: MIT
/*
 * Board discovery from the device tree (Devicetree Specification v0.4).
 * Every refusal names the node and the property, so a user with an edited
 * or foreign DTB knows what to fix.
 */
#include <kairos/board.h>
#include <kairos/compiler.h>
#include <kairos/config.h>
#include <libfdt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* MPIDR_EL1 affinity fields Aff3 (39:32) and Aff2..Aff0 (23:0). */
#define MPIDR_AFF_MASK 0xff00ffffffULL

/*
 * The message is one console line: a control character the DTB put in a
 * string it quotes (a newline in stdout-path) is shown as '?'.
 */
static void PRINTF_LIKE(2, 3) errf(struct board_err *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	for (char *c = err->msg; *c; c++)
		if ((unsigned char)*c < ' ' || *c == 0x7f)
			*c = '?';
}

/*
 * An index of the tree's nodes, made in one pass over the structure block:
 * libfdt finds a node's parent, a phandle, a path or a compatible node by
 * walking the whole block each time, at ~125 instructions a tag, and a
 * board parse asks hundreds of such questions (docs/bench.md, "Where the
 * boot's instructions go"). Built at each entry point for the tree it is
 * given; when the tree does not fit or does not parse, ix.fdt stays NULL
 * and every question goes to libfdt as before.
 */
#define IX_MAX 768
#define IX_MAX_DEPTH 16

static struct {
	const void *fdt;
	int n;
	int off[IX_MAX];     /* node offsets, ascending */
	int parent[IX_MAX];  /* index of the parent, -1 for the root */
	uint32_t ph[IX_MAX]; /* phandle, 0 when none */
	/* Offsets of its compatible and device_type properties, or -1. */
	int compat[IX_MAX], dtype[IX_MAX];
	uint64_t sum;  /* of the blocks, to tell when the tree changed */
	uint32_t size; /* its totalsize */
} ix;

static uint32_t be32_at(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* A checksum of @fdt's structure and strings blocks. */
static uint64_t ix_sum(const void *fdt)
{
	const uint8_t *b = (const uint8_t *)fdt + fdt_off_dt_struct(fdt);
	const uint8_t *s = (const uint8_t *)fdt + fdt_off_dt_strings(fdt);
	uint32_t bn = fdt_size_dt_struct(fdt), sn = fdt_size_dt_strings(fdt);
	uint64_t h = (uint64_t)bn << 32 | sn;

	if ((uintptr_t)b & 3U)
		for (uint32_t i = 0; i + 4 <= bn; i += 4)
			h = (h ^ be32_at(b + i)) * 0x100000001b3ULL;
	else /* whole words: the usual case (structure_ok() wants it) */
		for (uint32_t i = 0; i + 4 <= bn; i += 4)
			h = (h ^ *(const uint32_t *)(const void *)(b + i)) *
			    0x100000001b3ULL;
	for (uint32_t i = 0; i < sn; i++)
		h = (h ^ s[i]) * 0x100000001b3ULL;
	return h;
}

/* Whether property name @nameoff is @name (@len bytes with the NUL). */
static bool prop_name_is(const void *fdt, uint32_t nameoff, const char *name,
			 uint32_t len)
{
	uint32_t size = fdt_size_dt_strings(fdt);
	const char *s = (const char *)fdt + fdt_off_dt_strings(fdt);

	return nameoff < size && size - nameoff >= len &&
	       s[nameoff] == name[0] && !memcmp(s + nameoff, name, len);
}

/* Note the property at @o (relative to the block) of node @i. */
static void ix_prop(const void *fdt, const uint8_t *b, uint32_t o, int i)
{
	uint32_t len = be32_at(b + o + 4), name = be32_at(b + o + 8);

	if (len == 4 && (prop_name_is(fdt, name, "phandle", 8) ||
			 prop_name_is(fdt, name, "linux,phandle", 14)))
		ix.ph[i] = be32_at(b + o + 12);
	else if (prop_name_is(fdt, name, "compatible", 11))
		ix.compat[i] = (int)o;
	else if (prop_name_is(fdt, name, "device_type", 12))
		ix.dtype[i] = (int)o;
}

/* One node's BEGIN_NODE at @off (relative to the block) into the index. */
static bool ix_add(int off, const int *stack, int depth)
{
	if (ix.n == IX_MAX || depth >= IX_MAX_DEPTH)
		return false;
	ix.off[ix.n] = off;
	ix.parent[ix.n] = depth ? stack[depth - 1] : -1;
	ix.ph[ix.n] = 0;
	ix.compat[ix.n] = ix.dtype[ix.n] = -1;
	ix.n++;
	return true;
}

/* The walk of ix_build(); false on anything unexpected. */
static bool ix_walk(const void *fdt)
{
	const uint8_t *b = (const uint8_t *)fdt + fdt_off_dt_struct(fdt);
	uint32_t size = fdt_size_dt_struct(fdt), o = 0;
	int stack[IX_MAX_DEPTH], depth = 0;

	while (o + 4 <= size) {
		uint32_t tag = be32_at(b + o), len;
		const uint8_t *nul;

		switch (tag) {
		case FDT_BEGIN_NODE:
			/* One root: nothing opens after it closed. */
			if (ix.n && !depth)
				return false;
			nul = memchr(b + o + 4, '\0', size - o - 4);
			if (!nul || !ix_add((int)o, stack, depth))
				return false;
			stack[depth++] = ix.n - 1;
			o = ALIGN_UP((uint32_t)(nul + 1 - b), 4U);
			break;
		case FDT_END_NODE:
			if (!depth--)
				return false;
			o += 4;
			break;
		case FDT_PROP:
			if (o + 12 > size || !depth)
				return false;
			len = be32_at(b + o + 4);
			if (len > size - o - 12)
				return false;
			ix_prop(fdt, b, o, stack[depth - 1]);
			o = ALIGN_UP(o + 12 + len, 4U);
			break;
		case FDT_NOP: o += 4; break;
		case FDT_END: return depth == 0 && ix.n > 0;
		default: return false;
		}
	}
	return false;
}

/* Index @fdt (whose header fdt_check_header() accepted). */
static void ix_build(const void *fdt)
{
	ix.fdt = NULL;
	ix.n = 0;
	if (fdt_version(fdt) >= 17 && ix_walk(fdt)) {
		ix.fdt = fdt;
		ix.sum = ix_sum(fdt);
		ix.size = fdt_totalsize(fdt);
	}
}

/* Index of the node at @off, or -1. */
static int ix_find(const void *fdt, int off)
{
	int lo = 0, hi = ix.n - 1;

	if (ix.fdt != fdt)
		return -1;
	while (lo <= hi) {
		int mid = (lo + hi) / 2;

		if (ix.off[mid] == off)
			return mid;
		if (ix.off[mid] < off)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}

static int parent_of(const void *fdt, int node)
{
	int i = ix_find(fdt, node);

	if (i < 0)
		return fdt_parent_offset(fdt, node);
	return ix.parent[i] < 0 ? -FDT_ERR_NOTFOUND : ix.off[ix.parent[i]];
}

static int node_by_phandle(const void *fdt, uint32_t ph)
{
	if (ix.fdt != fdt)
		return fdt_node_offset_by_phandle(fdt, ph);
	for (int i = 0; ph && ph != ~0U && i < ix.n; i++)
		if (ix.ph[i] == ph)
			return ix.off[i];
	return -FDT_ERR_NOTFOUND;
}

/* fdt_get_path() through the index. */
static int get_path(const void *fdt, int node, char *buf, int len)
{
	int chain[IX_MAX_DEPTH], n = 0, used = 0;

	if (ix_find(fdt, node) < 0)
		return fdt_get_path(fdt, node, buf, len);
	for (int i = ix_find(fdt, node); i > 0 && n < IX_MAX_DEPTH;
	     i = ix.parent[i])
		chain[n++] = i;
	if (len < 2)
		return -FDT_ERR_NOSPACE;
	buf[used++] = '/';
	while (n-- > 0) {
		int l;
		const char *name = fdt_get_name(fdt, ix.off[chain[n]], &l);

		if (!name || l < 0 || used + l + (n > 0) >= len)
			return -FDT_ERR_NOSPACE;
		memcpy(buf + used, name, (size_t)l);
		used += l;
		if (n > 0)
			buf[used++] = '/';
	}
	buf[used] = '\0';
	return 0;
}

/*
 * @name (@l bytes) names indexed node @off: exactly, or without its unit
 * address. The index's walk found the node's name NUL-terminated inside
 * the block, right after its tag.
 */
static bool name_matches(const void *fdt, int off, const char *name, int l)
{
	const char *n =
		(const char *)fdt + fdt_off_dt_struct(fdt) + (uint32_t)off + 4;
	size_t nl = strlen(n);

	return nl >= (size_t)l && !memcmp(n, name, (size_t)l) &&
	       (nl == (size_t)l ||
		(!memchr(name, '@', (size_t)l) && n[l] == '@'));
}

/* fdt_path_offset_namelen() through the index (absolute paths). */
static int path_offset(const void *fdt, const char *path, int len)
{
	int cur = 0, p = 0;

	if (ix.fdt != fdt || !len || path[0] != '/')
		return fdt_path_offset_namelen(fdt, path, len);
	while (p < len) {
		int q, found = -1;

		while (p < len && path[p] == '/')
			p++;
		if (p == len)
			break;
		for (q = p; q < len && path[q] != '/'; q++)
			;
		for (int i = cur + 1; i < ix.n && found < 0; i++)
			if (ix.parent[i] == cur &&
			    name_matches(fdt, ix.off[i], path + p, q - p))
				found = i;
		if (found < 0)
			return -FDT_ERR_NOTFOUND;
		cur = found;
		p = q;
	}
	return ix.off[cur];
}

int board_dt_path(const void *fdt, const char *path)
{
	/* Another tree at the same address (or this one edited): rebuild. */
	if (ix.fdt == fdt && ix_sum(fdt) != ix.sum)
		ix.fdt = NULL;
	return path_offset(fdt, path, (int)strlen(path));
}

static const char *path_of(const void *fdt, int node, char *buf, int len)
{
	if (get_path(fdt, node, buf, len) < 0)
		snprintf(buf, (size_t)len, "<node at offset %d>", node);
	return buf;
}

static bool node_enabled(const void *fdt, int node)
{
	const char *s = fdt_getprop(fdt, node, "status", NULL);

	return !s || !strcmp(s, "okay") || !strcmp(s, "ok");
}

static uint64_t read_cells(const fdt32_t *p, int n)
{
	uint64_t v = 0;

	for (int i = 0; i < n; i++)
		v = (v << 32) | fdt32_to_cpu(p[i]);
	return v;
}

/* Translate @addr of a child of @parent up to the root via "ranges". */
static bool translate(const void *fdt, int parent, uint64_t *addr)
{
	while (parent > 0) {
		int len, gp = parent_of(fdt, parent);
		const fdt32_t *r = fdt_getprop(fdt, parent, "ranges", &len);
		int cac = fdt_address_cells(fdt, parent);
		int pac = fdt_address_cells(fdt, gp < 0 ? 0 : gp);
		int csc = fdt_size_cells(fdt, parent);
		int step = cac + pac + csc;
		bool found = false;

		if (!r || gp < 0 || cac < 1 || pac < 1 || csc < 0 || cac > 2 ||
		    pac > 2 || csc > 2)
			return false;
		for (int i = 0; len > 0 && i + step <= len / 4; i += step) {
			uint64_t c = read_cells(r + i, cac);
			uint64_t p = read_cells(r + i + cac, pac);
			uint64_t s = read_cells(r + i + cac + pac, csc);

			if (*addr >= c && *addr - c < s) {
				*addr = *addr - c + p;
				found = true;
				break;
			}
		}
		if (len > 0 && !found)
			return false;
		parent = gp;
	}
	return true;
}

/* Number of reg entries of @node, or -1 when reg is missing/malformed. */
static int reg_count(const void *fdt, int node)
{
	int len, parent = parent_of(fdt, node);
	int ac = fdt_address_cells(fdt, parent);
	int sc = fdt_size_cells(fdt, parent);

	if (!fdt_getprop(fdt, node, "reg", &len) || ac < 1 || ac > 2 ||
	    sc < 0 || sc > 2 || len % (4 * (ac + sc)))
		return -1;
	return len / (4 * (ac + sc));
}

/* Entry @idx of @node's reg, translated to a CPU physical address. */
static bool get_reg(const void *fdt, int node, int idx, struct board_range *r)
{
	int parent = parent_of(fdt, node);
	int ac = fdt_address_cells(fdt, parent);
	int sc = fdt_size_cells(fdt, parent);
	const fdt32_t *p = fdt_getprop(fdt, node, "reg", NULL);
	uint64_t addr;

	if (idx >= reg_count(fdt, node) || !p)
		return false;
	p += (ptrdiff_t)idx * (ac + sc);
	addr = read_cells(p, ac);
	r->size = read_cells(p + ac, sc);
	if (!translate(fdt, parent, &addr))
		return false;
	r->base = pa_init(addr);
	return true;
}

static bool reg_or_err(const void *fdt, int node, int idx,
		       struct board_range *r, struct board_err *err)
{
	char p[96];

	if (get_reg(fdt, node, idx, r) && r->size)
		return true;
	errf(err, "%s: property reg: entry %d missing, empty or untranslatable",
	     path_of(fdt, node, p, sizeof(p)), idx);
	return false;
}

/* The node an "interrupt-parent" chain from @node leads to, or -1. */
static int irq_parent(const void *fdt, int node)
{
	for (; node >= 0; node = parent_of(fdt, node)) {
		const fdt32_t *ph =
			fdt_getprop(fdt, node, "interrupt-parent", NULL);
		if (ph)
			return node_by_phandle(fdt, fdt32_to_cpu(*ph));
		if (node == 0)
			break;
	}
	return -1;
}

#define BCM2836_L1_COMPAT "brcm,bcm2836-l1-intc"
#define BCM2836_ARMCTRL_COMPAT "brcm,bcm2836-armctrl-ic"

/*
 * The local controller's interrupt numbers (its binding: 0..3 the timers
 * CNTPS, CNTPNS, CNTHP, CNTV; 4..7 the mailboxes; 8 the GPU; 9 the PMU) as
 * INTIDs; 0 where Kairos takes none from a device tree.
 */
static const uint8_t bcm2836_l1_intid[10] = {
	BCM2836_INTID_CNTPS,
	BCM2836_INTID_CNTPNS,
	BCM2836_INTID_CNTHP,
	BCM2836_INTID_CNTV,
	0,
	0,
	0,
	0,
	0,
	BCM2836_INTID_PMU,
};

/*
 * Two-cell specifier <a b> of a BCM2836 controller as an INTID: for the
 * local controller @l1, a = its interrupt number; for the peripheral
 * controller, <bank irq> with bank 0 the basic (ARM) interrupts 0..7 and
 * banks 1, 2 the GPU interrupts 0..31, 32..63.
 */
static bool bcm2836_irq(bool l1, uint32_t a, uint32_t b, uint32_t *intid)
{
	if (l1) {
		if (a >= ARRAY_SIZE(bcm2836_l1_intid) || !bcm2836_l1_intid[a])
			return false;
		*intid = bcm2836_l1_intid[a];
	} else if (a == 0 && b < 8) {
		*intid = BCM2836_INTID_BASIC + b;
	} else if ((a == 1 || a == 2) && b < 32) {
		*intid = BCM2836_INTID_GPU0 + (a - 1) * 32 + b;
	} else {
		return false;
	}
	return true;
}

/*
 * Interrupt specifier @idx of @node as an INTID. With a GIC at @gic:
 * <type num flags>, type 0 = SPI (32 + num), 1 = PPI (16 + num), the GIC
 * DT binding. With the BCM2836 local controller at @gic: two cells, to
 * it or to the peripheral controller chained to it (bcm2836_irq()).
 */
static bool get_gic_irq(const void *fdt, int node, int gic, int idx,
			uint32_t *intid)
{
	int len, parent = irq_parent(fdt, node);
	const fdt32_t *p = fdt_getprop(fdt, node, "interrupts", &len);

	if (!p || parent < 0 || gic < 0)
		return false;
	if (!fdt_node_check_compatible(fdt, gic, BCM2836_L1_COMPAT)) {
		bool l1 = parent == gic;

		if (!l1 && (fdt_node_check_compatible(fdt, parent,
						      BCM2836_ARMCTRL_COMPAT) ||
			    irq_parent(fdt, parent) != gic))
			return false;
		if ((idx + 1) * 8 > len)
			return false;
		return bcm2836_irq(l1, fdt32_to_cpu(p[(ptrdiff_t)idx * 2]),
				   fdt32_to_cpu(p[(ptrdiff_t)idx * 2 + 1]),
				   intid);
	}
	if (parent != gic || (idx + 1) * 12 > len)
		return false;
	uint32_t type = fdt32_to_cpu(p[(ptrdiff_t)idx * 3]);
	uint32_t num = fdt32_to_cpu(p[(ptrdiff_t)idx * 3 + 1]);

	if (type == 0 && num < 988)
		*intid = 32 + num;
	else if (type == 1 && num < 16)
		*intid = 16 + num;
	else
		return false;
	return true;
}

/* The value of the property at @prop of the index (-1: none) has @s. */
static bool ix_prop_has(const void *fdt, int prop, const char *s)
{
	const uint8_t *p =
		(const uint8_t *)fdt + fdt_off_dt_struct(fdt) + (uint32_t)prop;

	return prop >= 0 && fdt_stringlist_contains((const char *)p + 12,
						    (int)be32_at(p + 4), s);
}

static int find_compatible(const void *fdt, const char *const *compat, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int node = -1;

		if (ix.fdt == fdt) {
			for (int k = 0; k < ix.n; k++)
				if (ix_prop_has(fdt, ix.compat[k], compat[i]) &&
				    node_enabled(fdt, ix.off[k]))
					return ix.off[k];
			continue;
		}
		while ((node = fdt_node_offset_by_compatible(fdt, node,
							     compat[i])) >= 0)
			if (node_enabled(fdt, node))
				return node;
	}
	return -FDT_ERR_NOTFOUND;
}

/* The next node after @node (-1: the first) whose @prop is @val (@len). */
static int next_with_prop(const void *fdt, int node, const char *prop,
			  const char *val, int len)
{
	int k = node < 0 ? 0 : ix_find(fdt, node) + 1;

	if (ix.fdt != fdt || (node >= 0 && k == 0))
		return fdt_node_offset_by_prop_value(fdt, node, prop, val, len);
	for (; k < ix.n; k++) {
		int l;
		const void *v;

		/* Most nodes have no device_type: the index knows which. */
		if (!strcmp(prop, "device_type") && ix.dtype[k] < 0)
			continue;
		v = fdt_getprop(fdt, ix.off[k], prop, &l);
		if (v && l == len && !memcmp(v, val, (size_t)len))
			return ix.off[k];
	}
	return -FDT_ERR_NOTFOUND;
}

/*
 * The structure block nests as the Devicetree Specification says: one root
 * node, with an empty name, at its start; every node ended; properties
 * only inside nodes; FDT_END last; the blocks aligned. libfdt's walkers
 * trust this (its fdt_get_path() reads before its buffer on a tree with
 * two top-level nodes or a named root), and the copy Kairos builds has no
 * fdt_check_full(). False, with @err saying what, otherwise.
 */
static bool structure_ok(const void *fdt, struct board_err *err)
{
	int off = 0, next = 0, depth = 0, len = -1;
	bool closed = false;
	uint32_t tag;

	/*
	 * Read before the MMU is on, where an unaligned access faults: the
	 * blocks aligned as the Devicetree Specification (5.1) requires.
	 */
	if (fdt_off_dt_struct(fdt) % FDT_TAGSIZE ||
	    fdt_off_mem_rsvmap(fdt) % sizeof(fdt64_t)) {
		errf(err,
		     "device tree: structure block (offset 0x%x) not 4-byte or memory reservation block (0x%x) not 8-byte aligned",
		     fdt_off_dt_struct(fdt), fdt_off_mem_rsvmap(fdt));
		return false;
	}
	if (!fdt_get_name(fdt, 0, &len) || len != 0) {
		errf(err, "device tree: no root node with an empty name");
		return false;
	}
	for (;; off = next) {
		tag = fdt_next_tag(fdt, off, &next);
		if (next < 0) /* truncated, or an unknown tag */
			break;
		if (tag == FDT_BEGIN_NODE && !closed)
			depth++;
		else if (tag == FDT_END_NODE && depth > 0)
			closed = --depth == 0;
		else if (tag == FDT_END && closed)
			return true;
		else if ((tag != FDT_PROP || depth == 0) && tag != FDT_NOP)
			break;
	}
	errf(err, "device tree: structure block malformed at offset %d", off);
	return false;
}

static enum kairos_err uart_at(const void *fdt, int node,
			       struct board_uart *uart, struct board_err *err)
{
	char p[96];

	path_of(fdt, node, uart->path, sizeof(uart->path));
	if (!fdt_node_check_compatible(fdt, node, "arm,pl011")) {
		uart->kind = BOARD_UART_PL011;
	} else if (!fdt_node_check_compatible(fdt, node,
					      "brcm,bcm2835-aux-uart")) {
		uart->kind = BOARD_UART_BCM2835_AUX;
	} else {
		const char *c = fdt_getprop(fdt, node, "compatible", NULL);

		errf(err,
		     "%s: property compatible: \"%s\" is not a UART Kairos drives (arm,pl011, brcm,bcm2835-aux-uart)",
		     path_of(fdt, node, p, sizeof(p)), c ? c : "");
		return KAIROS_ERR_UNSUPPORTED;
	}
	return reg_or_err(fdt, node, 0, &uart->reg, err) ? KAIROS_OK :
							   KAIROS_ERR_MALFORMED;
}

/*
 * The tree checked and indexed, unless the index is of this very tree
 * (board_parse() after board_find_console(), as at boot): checking the
 * structure walks the whole block, at libfdt's pace.
 */
static bool check_and_index(const void *fdt, struct board_err *err)
{
	if (fdt_check_header(fdt)) {
		errf(err, "device tree: bad header (no DTB in x0?)");
		return false;
	}
	if (ix.fdt == fdt && ix.size == fdt_totalsize(fdt) &&
	    ix_sum(fdt) == ix.sum)
		return true;
	/*
	 * The index's walk checks what structure_ok() does (one root with an
	 * empty name, nesting, properties only inside nodes, FDT_END last),
	 * in a tenth of its instructions; structure_ok() runs when the walk
	 * fails, to say what is wrong, or when the blocks are misaligned.
	 */
	if (fdt_off_dt_struct(fdt) % FDT_TAGSIZE == 0 &&
	    fdt_off_mem_rsvmap(fdt) % sizeof(fdt64_t) == 0) {
		int len = -1;

		ix_build(fdt);
		if (ix.fdt == fdt && fdt_get_name(fdt, 0, &len) && len == 0)
			return true;
	}
	/* Refused or not indexed: no later call may take it as checked. */
	ix.fdt = NULL;
	if (!structure_ok(fdt, err))
		return false;
	ix_build(fdt);
	return true;
}

enum kairos_err board_find_console(const void *fdt, struct board_uart *uart,
				   struct board_err *err)
{
	static const char *const pl011[] = { "arm,pl011" };
	int chosen, node, len;
	const char *path = NULL;

	memset(uart, 0, sizeof(*uart));
	if (!check_and_index(fdt, err))
		return KAIROS_ERR_MALFORMED;
	chosen = path_offset(fdt, "/chosen", 7);
	if (chosen >= 0) {
		path = fdt_getprop(fdt, chosen, "stdout-path", &len);
		if (!path)
			path = fdt_getprop(fdt, chosen, "linux,stdout-path",
					   &len);
	}
	if (path) {
		const char *colon = memchr(path, ':', (size_t)len);
		int n = colon ? (int)(colon - path) :
				(int)strnlen(path, (size_t)len);

		node = path_offset(fdt, path, n);
		if (node < 0) {
			errf(err,
			     "/chosen: property stdout-path: \"%.*s\" names no node",
			     n, path);
			return KAIROS_ERR_MALFORMED;
		}
		return uart_at(fdt, node, uart, err);
	}
	node = find_compatible(fdt, pl011, ARRAY_SIZE(pl011));
	if (node < 0) {
		errf(err,
		     "/chosen: property stdout-path missing and no arm,pl011 node");
		return KAIROS_ERR_MISSING;
	}
	return uart_at(fdt, node, uart, err);
}

static enum kairos_err parse_memory(const void *fdt, struct board *b,
				    struct board_err *err)
{
	int node = -1;
	char p[96];

	while ((node = next_with_prop(fdt, node, "device_type", "memory", 7)) >=
	       0) {
		int n = reg_count(fdt, node);

		if (!node_enabled(fdt, node))
			continue;
		if (n < 0) {
			errf(err, "%s: property reg missing or malformed",
			     path_of(fdt, node, p, sizeof(p)));
			return KAIROS_ERR_MALFORMED;
		}
		for (int i = 0; i < n; i++) {
			struct board_range r;

			if (!reg_or_err(fdt, node, i, &r, err))
				return KAIROS_ERR_MALFORMED;
			if (b->nr_mem == BOARD_MAX_MEM) {
				errf(err, "%s: more than %d memory ranges",
				     path_of(fdt, node, p, sizeof(p)),
				     BOARD_MAX_MEM);
				return KAIROS_ERR_LIMIT;
			}
			b->mem[b->nr_mem++] = r;
		}
	}
	if (!b->nr_mem) {
		errf(err,
		     "/memory: no node with device_type = \"memory\" and a reg");
		return KAIROS_ERR_MISSING;
	}
	return KAIROS_OK;
}

static void add_reserved(struct board *b, uint64_t base, uint64_t size)
{
	if (size && b->nr_reserved < BOARD_MAX_RESERVED)
		b->reserved[b->nr_reserved++] =
			(struct board_range){ pa_init(base), size };
}

static void parse_reserved(const void *fdt, struct board *b)
{
	int n = fdt_num_mem_rsv(fdt), rm, child;

	for (int i = 0; i < n; i++) {
		uint64_t base, size;

		if (!fdt_get_mem_rsv(fdt, i, &base, &size))
			add_reserved(b, base, size);
	}
	rm = path_offset(fdt, "/reserved-memory", 16);
	if (rm < 0)
		return;
	fdt_for_each_subnode(child, fdt, rm) {
		struct board_range r;

		for (int i = 0; get_reg(fdt, child, i, &r); i++)
			add_reserved(b, pa_addr(r.base), r.size);
	}
}

static enum kairos_err parse_cpu_enable(const void *fdt, int node,
					struct board_cpu *c,
					struct board_err *err)
{
	int len;
	const char *m = fdt_getprop(fdt, node, "enable-method", &len);
	char p[96];

	path_of(fdt, node, p, sizeof(p));
	if (!m) {
		errf(err,
		     "%s: property enable-method missing (psci or spin-table)",
		     p);
		return KAIROS_ERR_MISSING;
	}
	if (!strcmp(m, "psci")) {
		c->enable = BOARD_CPU_PSCI;
		return KAIROS_OK;
	}
	if (strcmp(m, "spin-table") != 0) {
		errf(err,
		     "%s: property enable-method: \"%s\" is not supported (psci or spin-table)",
		     p, m);
		return KAIROS_ERR_UNSUPPORTED;
	}
	const fdt32_t *r = fdt_getprop(fdt, node, "cpu-release-addr", &len);

	if (!r || (len != 8 && len != 4)) {
		errf(err,
		     "%s: property cpu-release-addr %s (spin-table needs a 64-bit address)",
		     p, r ? "malformed" : "missing");
		return r ? KAIROS_ERR_MALFORMED : KAIROS_ERR_MISSING;
	}
	c->enable = BOARD_CPU_SPIN_TABLE;
	c->release_addr = pa_init(read_cells(r, len / 4));
	return KAIROS_OK;
}

static enum kairos_err parse_cpus(const void *fdt, uint64_t boot_mpidr,
				  struct board *b, struct board_err *err)
{
	int cpus_node = path_offset(fdt, "/cpus", 5), node;
	bool have_boot = false;
	char p[96];

	if (cpus_node < 0) {
		errf(err, "/cpus: node missing");
		return KAIROS_ERR_MISSING;
	}
	int ac = fdt_address_cells(fdt, cpus_node);

	fdt_for_each_subnode(node, fdt, cpus_node) {
		const char *dt = fdt_getprop(fdt, node, "device_type", NULL);
		const fdt32_t *reg;
		int len;
		struct board_cpu c = { .node = node };

		if (!dt || strcmp(dt, "cpu") != 0 || !node_enabled(fdt, node))
			continue;
		reg = fdt_getprop(fdt, node, "reg", &len);
		if (!reg || ac < 1 || ac > 2 || len < 4 * ac) {
			errf(err, "%s: property reg missing or malformed",
			     path_of(fdt, node, p, sizeof(p)));
			return KAIROS_ERR_MALFORMED;
		}
		c.mpidr = read_cells(reg, ac) & MPIDR_AFF_MASK;
		if (c.mpidr == (boot_mpidr & MPIDR_AFF_MASK)) {
			c.enable = BOARD_CPU_BOOT;
			have_boot = true;
		} else {
			enum kairos_err e =
				parse_cpu_enable(fdt, node, &c, err);

			if (e)
				return e;
		}
		if (b->nr_cpus == KAIROS_MAX_CPUS &&
		    c.enable != BOARD_CPU_BOOT) {
			b->ignored_cpus++;
			continue;
		}
		if (b->nr_cpus == KAIROS_MAX_CPUS) {
			/* Keep the boot CPU: it takes the last one's place. */
			b->nr_cpus--;
			b->ignored_cpus++;
		}
		b->cpus[b->nr_cpus++] = c;
	}
	if (!have_boot) {
		errf(err,
		     "/cpus: no cpu node has reg = <0x%llx>, the CPU Kairos was started on",
		     (unsigned long long)boot_mpidr);
		return KAIROS_ERR_MISSING;
	}
	/* The boot CPU is CPU0, as in Linux. */
	for (unsigned int i = 0; i < b->nr_cpus; i++) {
		if (b->cpus[i].enable == BOARD_CPU_BOOT) {
			struct board_cpu t = b->cpus[0];

			b->cpus[0] = b->cpus[i];
			b->cpus[i] = t;
		}
	}
	b->boot_cpu = 0;
	return KAIROS_OK;
}

static enum kairos_err parse_psci(const void *fdt, struct board *b,
				  struct board_err *err)
{
	static const char *const compat[] = { "arm,psci-1.0", "arm,psci-0.2",
					      "arm,psci" };
	int node = find_compatible(fdt, compat, ARRAY_SIZE(compat));
	const struct board_cpu *user = NULL; /* first CPU needing PSCI */
	bool needed;
	char p[96];

	for (unsigned int i = 0; i < b->nr_cpus && !user; i++)
		if (b->cpus[i].enable == BOARD_CPU_PSCI)
			user = &b->cpus[i];
	needed = user != NULL;
	if (node < 0) {
		if (!needed)
			return KAIROS_OK;
		errf(err,
		     "/psci: node missing, but %s has enable-method = \"psci\"",
		     path_of(fdt, user->node, p, sizeof(p)));
		return KAIROS_ERR_MISSING;
	}
	path_of(fdt, node, p, sizeof(p));
	const char *m = fdt_getprop(fdt, node, "method", NULL);

	if (!m || (strcmp(m, "smc") != 0 && strcmp(m, "hvc") != 0)) {
		errf(err, "%s: property method %s (smc or hvc)", p,
		     m ? "has an unknown conduit" : "missing");
		return m ? KAIROS_ERR_MALFORMED : KAIROS_ERR_MISSING;
	}
	b->psci.conduit = m[0] == 's' ? BOARD_CONDUIT_SMC : BOARD_CONDUIT_HVC;
	b->psci.v02 = !fdt_node_check_compatible(fdt, node, "arm,psci-1.0") ||
		      !fdt_node_check_compatible(fdt, node, "arm,psci-0.2");
	b->psci.cpu_on = 0xc4000003; /* PSCI 0.2+ CPU_ON, SMC64 */
	if (!b->psci.v02) {
		const fdt32_t *id = fdt_getprop(fdt, node, "cpu_on", NULL);

		if (!id && needed) {
			errf(err, "%s: property cpu_on missing (PSCI 0.1)", p);
			return KAIROS_ERR_MISSING;
		}
		b->psci.cpu_on = id ? fdt32_to_cpu(*id) : 0;
	}
	return KAIROS_OK;
}

static enum kairos_err parse_gic_v3(const void *fdt, int node,
				    struct board_gic *g, struct board_err *err)
{
	const fdt32_t *n =
		fdt_getprop(fdt, node, "#redistributor-regions", NULL);
	const fdt32_t *stride =
		fdt_getprop(fdt, node, "redistributor-stride", NULL);
	uint32_t nr = n ? fdt32_to_cpu(*n) : 1;

	if (nr < 1 || nr > BOARD_MAX_REDIST) {
		errf(err,
		     "%s: property #redistributor-regions: %u is not in 1..%d",
		     g->path, nr, BOARD_MAX_REDIST);
		return KAIROS_ERR_MALFORMED;
	}
	for (uint32_t i = 0; i < nr; i++)
		if (!reg_or_err(fdt, node, (int)i + 1, &g->redist[i], err))
			return KAIROS_ERR_MALFORMED;
	g->nr_redist = nr;
	g->redist_stride = stride ? fdt32_to_cpu(*stride) : 0;
	return KAIROS_OK;
}

/*
 * No GIC: the BCM2836/BCM2837 local controller, with the peripheral
 * controller whose interrupt goes to it (the Raspberry Pi 2 and 3).
 */
static enum kairos_err parse_bcm2836(const void *fdt, struct board_gic *g,
				     struct board_err *err)
{
	static const char *const l1c[] = { BCM2836_L1_COMPAT };
	static const char *const armc[] = { BCM2836_ARMCTRL_COMPAT };
	int l1 = find_compatible(fdt, l1c, ARRAY_SIZE(l1c));
	int arm = find_compatible(fdt, armc, ARRAY_SIZE(armc));
	char p[96];

	if (l1 < 0) {
		errf(err,
		     "no interrupt controller Kairos can drive: no enabled node compatible with arm,gic-v3, arm,gic-400, arm,cortex-a15-gic or " BCM2836_L1_COMPAT);
		return KAIROS_ERR_MISSING;
	}
	g->kind = BOARD_IRQC_BCM2836;
	g->version = 2;
	g->maint_intid = BCM2836_INTID_MAINT;
	path_of(fdt, l1, g->path, sizeof(g->path));
	if (!reg_or_err(fdt, l1, 0, &g->local, err))
		return KAIROS_ERR_MALFORMED;
	if (g->local.size < 0x100) {
		errf(err,
		     "%s: property reg: 0x%llx bytes; the local controller's registers take 0x100",
		     g->path, (unsigned long long)g->local.size);
		return KAIROS_ERR_MALFORMED;
	}
	if (arm < 0) {
		errf(err,
		     "%s: no enabled node compatible with " BCM2836_ARMCTRL_COMPAT
		     " (the peripheral interrupt controller)",
		     g->path);
		return KAIROS_ERR_MISSING;
	}
	path_of(fdt, arm, p, sizeof(p));
	if (irq_parent(fdt, arm) != l1) {
		errf(err, "%s: property interrupt-parent: not %s", p, g->path);
		return KAIROS_ERR_MALFORMED;
	}
	if (!reg_or_err(fdt, arm, 0, &g->periph, err))
		return KAIROS_ERR_MALFORMED;
	if (g->periph.size < 0x28) {
		errf(err,
		     "%s: property reg: 0x%llx bytes; the controller's registers take 0x28",
		     p, (unsigned long long)g->periph.size);
		return KAIROS_ERR_MALFORMED;
	}
	return KAIROS_OK;
}

static enum kairos_err parse_gic(const void *fdt, struct board *b,
				 struct board_err *err)
{
	static const char *const v3[] = { "arm,gic-v3" };
	static const char *const v2[] = { "arm,gic-400", "arm,cortex-a15-gic",
					  "arm,cortex-a7-gic" };
	struct board_gic *g = &b->gic;
	int node = find_compatible(fdt, v3, ARRAY_SIZE(v3));

	g->version = 3;
	if (node < 0) {
		node = find_compatible(fdt, v2, ARRAY_SIZE(v2));
		g->version = 2;
	}
	if (node < 0)
		return parse_bcm2836(fdt, g, err);
	g->kind = BOARD_IRQC_GIC;
	path_of(fdt, node, g->path, sizeof(g->path));
	if (!reg_or_err(fdt, node, 0, &g->dist, err))
		return KAIROS_ERR_MALFORMED;
	if (g->version == 3) {
		enum kairos_err e = parse_gic_v3(fdt, node, g, err);

		if (e)
			return e;
	} else if (reg_count(fdt, node) < 4) {
		errf(err,
		     "%s: property reg: %d regions; Kairos needs GICD, GICC, GICH and GICV (a GICv2 with virtualization extensions)",
		     g->path, reg_count(fdt, node));
		return KAIROS_ERR_UNSUPPORTED;
	} else if (!reg_or_err(fdt, node, 1, &g->cpu, err) ||
		   !reg_or_err(fdt, node, 2, &g->hyp, err) ||
		   !reg_or_err(fdt, node, 3, &g->vcpu, err)) {
		return KAIROS_ERR_MALFORMED;
	}
	if (!get_gic_irq(fdt, node, node, 0, &g->maint_intid) ||
	    g->maint_intid >= 32) {
		errf(err,
		     "%s: property interrupts missing or not a PPI (the virtual interface maintenance interrupt)",
		     g->path);
		return KAIROS_ERR_MISSING;
	}
	return KAIROS_OK;
}

static enum kairos_err parse_timer(const void *fdt, int gic, struct board *b,
				   struct board_err *err)
{
	static const char *const compat[] = { "arm,armv8-timer",
					      "arm,armv7-timer" };
	int node = find_compatible(fdt, compat, ARRAY_SIZE(compat));
	struct board_timer *t = &b->timer;
	char p[96];

	if (node < 0) {
		errf(err,
		     "timer: no enabled node compatible with arm,armv8-timer");
		return KAIROS_ERR_MISSING;
	}
	path_of(fdt, node, p, sizeof(p));
	if (!get_gic_irq(fdt, node, gic, 0, &t->sec_phys_intid) ||
	    !get_gic_irq(fdt, node, gic, 1, &t->phys_intid) ||
	    !get_gic_irq(fdt, node, gic, 2, &t->virt_intid) ||
	    !get_gic_irq(fdt, node, gic, 3, &t->hyp_intid)) {
		errf(err,
		     "%s: property interrupts: needs four per-CPU timer interrupts (secure, non-secure, virtual, hypervisor)",
		     p);
		return KAIROS_ERR_MALFORMED;
	}
	const fdt32_t *f = fdt_getprop(fdt, node, "clock-frequency", NULL);

	t->dt_freq = f ? fdt32_to_cpu(*f) : 0;
	return KAIROS_OK;
}

/*
 * Optional: the PMU's overflow interrupt, if it is a PPI (QEMU virt: PPI
 * 7). A board that wires its PMU to one SPI per CPU (the Raspberry Pi 4)
 * or describes no PMU gets 0: no physical PMU interrupt is taken.
 */
static void parse_pmu(const void *fdt, int gic, struct board *b)
{
	static const char *const compat[] = { "arm,armv8-pmuv3" };
	int node = find_compatible(fdt, compat, ARRAY_SIZE(compat));

	if (node < 0 || !get_gic_irq(fdt, node, gic, 0, &b->pmu_intid) ||
	    b->pmu_intid < 16 || b->pmu_intid >= 32)
		b->pmu_intid = 0;
}

/* Optional: a board without it powers off and resets through PSCI. */
static void parse_pm_wdog(const void *fdt, struct board *b)
{
	static const char *const compat[] = { "brcm,bcm2835-pm-wdt",
					      "brcm,bcm2835-pm" };
	int node = find_compatible(fdt, compat, ARRAY_SIZE(compat));

	if (node < 0 || !get_reg(fdt, node, 0, &b->pm_wdog) ||
	    b->pm_wdog.size < 0x28)
		b->pm_wdog = (struct board_range){ 0 };
}

enum kairos_err board_parse(const void *fdt, uint64_t boot_mpidr,
			    struct board *b, struct board_err *err)
{
	enum kairos_err e;
	int gic;

	memset(b, 0, sizeof(*b));
	e = board_find_console(fdt, &b->uart, err);
	if (!e)
		e = parse_memory(fdt, b, err);
	if (!e)
		e = parse_cpus(fdt, boot_mpidr, b, err);
	if (!e)
		e = parse_psci(fdt, b, err);
	if (!e)
		e = parse_gic(fdt, b, err);
	if (e)
		return e;
	gic = path_offset(fdt, b->gic.path, (int)strlen(b->gic.path));
	e = parse_timer(fdt, gic, b, err);
	if (e)
		return e;
	parse_reserved(fdt, b);
	parse_pm_wdog(fdt, b);
	parse_pmu(fdt, gic, b);
	/* A console without a usable GIC interrupt is polled instead. */
	int uart = path_offset(fdt, b->uart.path, (int)strlen(b->uart.path));

	if (!get_gic_irq(fdt, uart, gic, 0, &b->uart.intid) ||
	    b->uart.intid < 32)
		b->uart.intid = 0;
	return KAIROS_OK;
}

uint64_t board_ram_size(const struct board *b)
{
	uint64_t sum = 0;

	for (unsigned int i = 0; i < b->nr_mem; i++)
		sum += b->mem[i].size;
	return sum;
}

bool board_in_ram(const struct board *b, paddr_t base, uint64_t size)
{
	uint64_t a = pa_addr(base);

	for (unsigned int i = 0; i < b->nr_mem; i++) {
		uint64_t m = pa_addr(b->mem[i].base);

		if (a >= m && a - m <= b->mem[i].size &&
		    size <= b->mem[i].size - (a - m))
			return true;
	}
	return false;
}

bool board_find_device(const void *fdt, const struct board *b, paddr_t base,
		       struct board_device *out)
{
	int gic;

	if (fdt_check_header(fdt))
		return false;
	ix_build(fdt);
	gic = path_offset(fdt, b->gic.path, (int)strlen(b->gic.path));
	for (int node = fdt_next_node(fdt, -1, NULL); node >= 0;
	     node = fdt_next_node(fdt, node, NULL)) {
		struct board_range r;
		int len;
		const char *c;

		if (!node_enabled(fdt, node) || !get_reg(fdt, node, 0, &r) ||
		    pa_addr(r.base) != pa_addr(base))
			continue;
		c = fdt_getprop(fdt, node, "compatible", &len);
		if (!c || len <= 0 || (size_t)len > sizeof(out->compat))
			continue;
		memset(out, 0, sizeof(*out));
		memcpy(out->compat, c, (size_t)len);
		out->compat_len = (uint32_t)len;
		out->primecell =
			!fdt_node_check_compatible(fdt, node, "arm,primecell");
		if (!get_gic_irq(fdt, node, gic, 0, &out->intid))
			out->intid = 0;
		return true;
	}
	return false;
}
