// SPDX-License-Identifier: MIT
/*
 * kairos-ckpt synth: write a synthetic image with the writer Kairos uses,
 * for tests and the fuzzer's seed corpus. Registers and stored pages are
 * filled from --seed; the options set what a test wants to see. Some
 * options make images that are well-formed bytes but refused by the
 * reader (--omit, --dup, --lie-data-pages, --irq-flags).
 */
#include "kairos-ckpt.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#define SYNTH_MAX_PAGES (1ULL << 20) /* 4 GiB of guest RAM */

struct synth {
	struct ckpt_vm vm;
	struct ckpt_vcpu vcpu[CKPT_MAX_VCPUS];
	struct ckpt_vgic vgic;
	struct ckpt_vuart vuart;
	uint8_t *stored; /* per page: 1 stored */
	uint64_t seed;
	uint32_t omit, dup; /* section types, 0: none */
	uint32_t extra;     /* an unknown section type, 0: none */
	struct ckpt_passthrough pt;
	bool has_pt;       /* write a passthrough section */
	int64_t lie_pages; /* added to nr_data_pages */
	struct {
		uint64_t page, off;
		uint8_t val;
	} pokes[16];
	unsigned int nr_pokes;
};

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void fill(void *p, size_t len, uint64_t *s)
{
	uint8_t *b = p;

	for (size_t i = 0; i < len; i += 8) {
		uint64_t v = splitmix(s);

		memcpy(b + i, &v, len - i < 8 ? len - i : 8);
	}
}

static void synth_defaults(struct synth *s)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->vm.name, sizeof(s->vm.name), "synth");
	s->vm.config_fp = 0x6b6169726f73ULL;
	s->vm.cntfrq = 62500000;
	s->vm.vcount = 62500000ULL * 10;
	s->vm.pcount = 62500000ULL * 12;
	s->vm.boot_id = 1;
	s->vm.mem_ipa = 0x40000000;
	s->vm.mem_size = 1 << 20;
	s->vm.nr_vcpus = 2;
	s->vm.gic_version = 3;
	s->vgic.nr_spis = CKPT_NR_SPIS;
	s->vuart.cr = 0x301;
}

/* Registers from the seed; what the options set comes after. */
static void synth_fill_regs(struct synth *s)
{
	uint64_t r = s->seed;

	for (unsigned int i = 0; i < CKPT_MAX_VCPUS; i++) {
		struct ckpt_vcpu *v = &s->vcpu[i];

		fill(v->x, sizeof(v->x), &r);
		fill(&v->sys, sizeof(v->sys), &r);
		fill(v->fp_v, sizeof(v->fp_v), &r);
		v->sp_el0 = splitmix(&r);
		v->pc = 0x40080000 + (splitmix(&r) & 0xffffcU);
		v->pstate = 0x3c5; /* EL1h, DAIF masked */
		v->sys.vmpidr = 0x80000000ULL | i;
		v->power = CKPT_POWER_ON;
	}
}

static bool parse_u64(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (*s == '\0' || *s == '-')
		return false;
	v = strtoull(s, &end, 0);
	if (*end == 'K' || *end == 'k')
		v <<= 10, end++;
	else if (*end == 'M' || *end == 'm')
		v <<= 20, end++;
	else if (*end == 'G' || *end == 'g')
		v <<= 30, end++;
	*out = v;
	return *end == '\0';
}

/* "V=REST" or "V:REST": the vCPU number and where REST starts. */
static bool parse_vcpu(const char *s, char sep, uint32_t *v, const char **rest)
{
	const char *p = strchr(s, sep);
	char num[24];
	uint64_t n;

	if (p == NULL || (size_t)(p - s) >= sizeof(num))
		return false;
	memcpy(num, s, (size_t)(p - s));
	num[p - s] = '\0';
	if (!parse_u64(num, &n) || n >= CKPT_MAX_VCPUS)
		return false;
	*v = (uint32_t)n;
	*rest = p + 1;
	return true;
}

static uint32_t section_type(const char *name)
{
	for (uint32_t t = CKPT_SEC_VM; t <= CKPT_SEC_MEM; t++)
		if (!strcmp(name, ckpt_section_name(t)))
			return t;
	return 0;
}

/* "0-3,7": pages to store; "none". */
static bool parse_pages(struct synth *s, const char *spec, uint64_t nr)
{
	char *copy = strdup(spec), *save = NULL;
	bool ok = copy != NULL;

	if (ok)
		memset(s->stored, 0, (size_t)nr);
	for (char *t = ok ? strtok_r(copy, ",", &save) : NULL; ok && t;
	     t = strtok_r(NULL, ",", &save)) {
		char *dash = strchr(t, '-');
		uint64_t a = 0, b = 0;

		if (!strcmp(t, "none"))
			continue;
		if (dash)
			*dash = '\0';
		ok = parse_u64(t, &a) && (!dash || parse_u64(dash + 1, &b));
		if (!dash)
			b = a;
		ok = ok && a <= b && b < nr;
		for (uint64_t p = a; ok && p <= b; p++)
			s->stored[p] = 1;
	}
	free(copy);
	return ok;
}

/* The interrupt @intid of vCPU @v (private) or of the distributor. */
static struct ckpt_irq *irq_of(struct synth *s, uint32_t v, uint64_t intid)
{
	if (intid < CKPT_NR_PRIVATE)
		return &s->vcpu[v].priv[intid];
	if (intid < CKPT_NR_PRIVATE + CKPT_NR_SPIS)
		return &s->vgic.spi[intid - CKPT_NR_PRIVATE];
	return NULL;
}

/* "[V:]INTID[=FLAGS]" */
static bool parse_irq(struct synth *s, const char *arg, uint16_t flags,
		      bool raw)
{
	const char *rest = arg;
	char buf[48];
	char *eq;
	uint32_t v = 0;
	uint64_t intid, f = flags;
	struct ckpt_irq *q;

	if (strchr(arg, ':') && !parse_vcpu(arg, ':', &v, &rest))
		return false;
	snprintf(buf, sizeof(buf), "%s", rest);
	eq = strchr(buf, '=');
	if (eq)
		*eq++ = '\0';
	if (!parse_u64(buf, &intid) || (raw != (eq != NULL)) ||
	    (eq && (!parse_u64(eq, &f) || f > 0xffff)))
		return false;
	q = irq_of(s, v, intid);
	if (q == NULL)
		return false;
	q->flags = (uint16_t)(raw ? f : (q->flags | f));
	q->priority = 0xa0;
	return true;
}

/* "V=CTL,CVAL" */
static bool parse_timer(struct synth *s, const char *arg, bool virt)
{
	const char *rest;
	char buf[64];
	char *comma;
	uint32_t v;
	uint64_t ctl, cval;

	if (!parse_vcpu(arg, '=', &v, &rest))
		return false;
	snprintf(buf, sizeof(buf), "%s", rest);
	comma = strchr(buf, ',');
	if (comma == NULL)
		return false;
	*comma = '\0';
	if (!parse_u64(buf, &ctl) || !parse_u64(comma + 1, &cval))
		return false;
	if (virt) {
		s->vcpu[v].vtimer_ctl = ctl;
		s->vcpu[v].vtimer_cval = cval;
	} else {
		s->vcpu[v].ptimer_ctl = ctl;
		s->vcpu[v].ptimer_cval = cval;
	}
	return true;
}

static bool parse_power(struct synth *s, const char *arg)
{
	static const char *const names[] = { "off", "on-pending", "on" };
	const char *rest;
	uint32_t v;

	if (!parse_vcpu(arg, '=', &v, &rest))
		return false;
	for (uint32_t i = 0; i < 3; i++)
		if (!strcmp(rest, names[i])) {
			s->vcpu[v].power = i;
			return true;
		}
	return false;
}

/* "V:I=VAL": APR1 register I of vCPU V (apr[]). */
static bool parse_apr(struct synth *s, const char *arg)
{
	const char *rest;
	uint32_t v;
	uint64_t i, val;
	char buf[48];
	char *eq;

	if (!parse_vcpu(arg, ':', &v, &rest))
		return false;
	snprintf(buf, sizeof(buf), "%s", rest);
	eq = strchr(buf, '=');
	if (eq == NULL)
		return false;
	*eq = '\0';
	if (!parse_u64(buf, &i) || i >= 4 || !parse_u64(eq + 1, &val))
		return false;
	s->vcpu[v].apr[i] = val;
	return true;
}

/* "PAGE:OFF=BYTE" */
static bool parse_poke(struct synth *s, const char *arg)
{
	char buf[64];
	char *colon, *eq;
	uint64_t page, off, val;

	snprintf(buf, sizeof(buf), "%s", arg);
	colon = strchr(buf, ':');
	eq = strchr(buf, '=');
	if (colon == NULL || eq == NULL || eq < colon ||
	    s->nr_pokes >= sizeof(s->pokes) / sizeof(s->pokes[0]))
		return false;
	*colon = *eq = '\0';
	if (!parse_u64(buf, &page) || !parse_u64(colon + 1, &off) ||
	    !parse_u64(eq + 1, &val) || off >= CKPT_PAGE_SIZE || val > 0xff)
		return false;
	s->pokes[s->nr_pokes].page = page;
	s->pokes[s->nr_pokes].off = off;
	s->pokes[s->nr_pokes++].val = (uint8_t)val;
	return true;
}

static void write_section(struct ckpt_writer *w, uint32_t type, uint32_t index,
			  const void *p, uint64_t len)
{
	ckpt_w_begin(w, type, index);
	ckpt_w_append(w, p, len);
	ckpt_w_end(w);
}

/* Stored pages from the seed (a page's bytes depend on its number). */
static void write_mem(struct ckpt_writer *w, const struct synth *s)
{
	struct ckpt_mem m = { .ipa = s->vm.mem_ipa,
			      .size = s->vm.mem_size,
			      .page_size = CKPT_PAGE_SIZE };
	uint64_t words, data = 0, end;

	m.nr_pages = m.size / CKPT_PAGE_SIZE;
	words = ckpt_bitmap_bytes(m.nr_pages) / 8;
	for (uint64_t p = 0; p < m.nr_pages; p++)
		data += s->stored[p];
	m.nr_data_pages = (uint64_t)((int64_t)data + s->lie_pages);
	data = 0;
	ckpt_w_begin(w, CKPT_SEC_MEM, 0);
	ckpt_w_append(w, &m, sizeof(m));
	for (uint64_t i = 0; i < words; i++) {
		uint64_t bits = 0;

		for (uint64_t b = 0; b < 64 && i * 64 + b < m.nr_pages; b++)
			bits |= (uint64_t)s->stored[i * 64 + b] << b;
		ckpt_w_append(w, &bits, sizeof(bits));
	}
	/* As many pages as the header says (--lie-data-pages: more or
	 * fewer than the bitmap has), so that only the bitmap disagrees. */
	end = m.nr_pages + (uint64_t)(s->lie_pages > 0 ? s->lie_pages : 0);
	for (uint64_t p = 0; p < end; p++) {
		uint64_t r = s->seed ^ (p * 0x100000001b3ULL);
		uint8_t *d;

		if (data == m.nr_data_pages)
			break;
		if (p < m.nr_pages && !s->stored[p])
			continue;
		data++;
		/* Filled in place, as Kairos copies guest pages. */
		d = ckpt_w_reserve(w, CKPT_PAGE_SIZE);
		if (d == NULL)
			return;
		fill(d, CKPT_PAGE_SIZE, &r);
		for (unsigned int k = 0; k < s->nr_pokes; k++)
			if (s->pokes[k].page == p)
				d[s->pokes[k].off] = s->pokes[k].val;
		ckpt_w_commit(w, CKPT_PAGE_SIZE);
	}
	ckpt_w_end(w);
}

static void write_type(struct ckpt_writer *w, const struct synth *s,
		       uint32_t type)
{
	switch (type) {
	case CKPT_SEC_VM:
		write_section(w, type, 0, &s->vm, sizeof(s->vm));
		break;
	case CKPT_SEC_VCPU:
		for (uint32_t i = 0; i < s->vm.nr_vcpus; i++)
			if (!(s->omit == type && i + 1 == s->vm.nr_vcpus))
				write_section(w, type, i, &s->vcpu[i],
					      sizeof(s->vcpu[i]));
		if (s->dup == type)
			write_section(w, type, 0, &s->vcpu[0],
				      sizeof(s->vcpu[0]));
		return;
	case CKPT_SEC_VGIC:
		write_section(w, type, 0, &s->vgic, sizeof(s->vgic));
		break;
	case CKPT_SEC_VUART:
		write_section(w, type, 0, &s->vuart, sizeof(s->vuart));
		break;
	case CKPT_SEC_MEM: write_mem(w, s); break;
	default: break;
	}
}

/* "BASE+SIZE[:COMPAT]": one more passthrough device. */
static bool parse_pt_device(struct synth *s, const char *arg)
{
	char buf[128], *plus, *colon;
	struct ckpt_pt_device *d;

	s->has_pt = true;
	if (s->pt.nr_devices >= CKPT_PT_DEVICES || strlen(arg) >= sizeof(buf))
		return false;
	d = &s->pt.dev[s->pt.nr_devices];
	snprintf(buf, sizeof(buf), "%s", arg);
	colon = strchr(buf, ':');
	if (colon != NULL) {
		*colon = '\0';
		if (strlen(colon + 1) >= sizeof(d->compat))
			return false;
		snprintf(d->compat, sizeof(d->compat), "%s", colon + 1);
	}
	plus = strchr(buf, '+');
	if (plus == NULL)
		return false;
	*plus = '\0';
	if (!parse_u64(buf, &d->base) || !parse_u64(plus + 1, &d->size))
		return false;
	s->pt.nr_devices++;
	return true;
}

static bool parse_pt_irq(struct synth *s, const char *arg)
{
	uint64_t v;

	s->has_pt = true;
	if (s->pt.nr_irqs >= CKPT_PT_IRQS || !parse_u64(arg, &v) ||
	    v > UINT32_MAX)
		return false;
	s->pt.irq[s->pt.nr_irqs++] = (uint32_t)v;
	return true;
}

static bool synth_write(const struct synth *s, const char *path)
{
	uint64_t cap = (uint64_t)64 * 1024 + s->vm.mem_size * 2;
	struct ckpt_writer w;
	uint8_t *buf = malloc((size_t)cap);
	uint64_t size;
	FILE *fp;
	bool ok;

	if (buf == NULL) {
		fprintf(stderr, "kairos-ckpt: out of memory\n");
		return false;
	}
	ckpt_w_init(&w, buf, cap);
	for (uint32_t t = CKPT_SEC_VM; t <= CKPT_SEC_MEM; t++) {
		if (s->omit == t && t != CKPT_SEC_VCPU)
			continue;
		write_type(&w, s, t);
		if (s->dup == t && t != CKPT_SEC_VCPU)
			write_type(&w, s, t);
	}
	if (s->has_pt)
		write_section(&w, CKPT_SEC_PASSTHROUGH, 0, &s->pt,
			      sizeof(s->pt));
	if (s->extra != 0)
		write_section(&w, s->extra, 0, "unknown section payload", 23);
	size = ckpt_w_finish(&w);
	fp = size ? fopen(path, "wb") : NULL;
	ok = fp != NULL && fwrite(buf, 1, (size_t)size, fp) == size;
	if (fp != NULL && fclose(fp) != 0)
		ok = false;
	if (!ok)
		fprintf(stderr, "kairos-ckpt: cannot write %s\n", path);
	free(buf);
	return ok;
}

static void synth_usage(FILE *out)
{
	fprintf(out,
		"usage: kairos-ckpt synth OUT [options]\n"
		"Write OUT, a synthetic checkpoint image (for tests). Numbers may\n"
		"be decimal or 0x hex, with a K, M or G suffix; V is a vCPU index.\n"
		"  --name NAME         VM name (synth)\n"
		"  --vcpus N           vCPUs, 1..%u (2)\n"
		"  --gic 2|3           GIC version (3)\n"
		"  --mem BYTES         guest RAM, a multiple of 4K (1M)\n"
		"  --ipa ADDR          where it is (0x40000000)\n"
		"  --pages LIST        pages stored, e.g. 0-3,7 or none (0-3)\n"
		"  --seed N            registers and page contents (0)\n"
		"  --cntfrq HZ         the VM's counter frequency\n"
		"  --vcount N          the VM's virtual counter when captured\n"
		"  --fingerprint N     the configuration fingerprint\n"
		"  --paused            the VM was paused when captured\n"
		"  --pc V=ADDR         vCPU V's PC\n"
		"  --pstate V=VAL      vCPU V's PSTATE\n"
		"  --power V=STATE     vCPU V's power: off, on-pending or on\n"
		"  --vtimer V=CTL,CVAL  vCPU V's virtual timer\n"
		"  --ptimer V=CTL,CVAL  vCPU V's physical timer\n"
		"  --pending [V:]INTID  an enabled, pending interrupt (V for\n"
		"                      INTIDs < 32; repeatable)\n"
		"  --active [V:]INTID  an enabled, active interrupt (repeatable)\n"
		"  --irq-flags [V:]INTID=FLAGS  raw CKPT_IRQ_* flags\n"
		"  --apr V:I=VAL       ICH_AP1R<I> of vCPU V\n"
		"  --poke PAGE:OFF=BYTE  change one byte of a stored page\n"
		"  --uart-rx TEXT      input the guest has not read\n"
		"  --pt-device BASE+SIZE[:COMPAT]  a passthrough device the VM\n"
		"                      had (repeatable, at most %u)\n"
		"  --pt-irq INTID      a passthrough interrupt it had\n"
		"                      (repeatable, at most %u)\n"
		"  --pt-none           a passthrough section listing nothing\n"
		"                      (as Kairos writes for a VM without any;\n"
		"                      by default there is no such section)\n"
		"images the reader refuses (for tests):\n"
		"  --omit TYPE         leave out the section TYPE (vm, vcpu,\n"
		"                      vgic, vuart, memory)\n"
		"  --dup TYPE          write the section TYPE twice\n"
		"  --lie-data-pages N  add N to the stored page count in the header\n"
		"and one it skips:\n"
		"  --extra TYPE        an extra section of unknown type TYPE\n"
		"  -h, --help          this text\n",
		CKPT_MAX_VCPUS, CKPT_PT_DEVICES, CKPT_PT_IRQS);
}

enum {
	/* The VM's shape: synth_opt_vm(); in synth_opts[] order. */
	O_NAME = 256,
	O_VCPUS,
	O_GIC,
	O_MEM,
	O_IPA,
	O_PAGES,
	O_SEED,
	O_CNTFRQ,
	O_VCOUNT,
	O_FP,
	O_PAUSED,
	O_OMIT,
	O_DUP,
	O_LIE,
	O_EXTRA,
	/* Its state, from O_PC on: synth_opt_state(). */
	O_PC,
	O_PSTATE,
	O_POWER,
	O_VTIMER,
	O_PTIMER,
	O_PENDING,
	O_ACTIVE,
	O_IRQ_FLAGS,
	O_APR,
	O_POKE,
	O_UART_RX,
	O_PT_DEVICE,
	O_PT_IRQ,
	O_PT_NONE,
	O_HELP,
};

static const struct option synth_opts[] = {
	{ "name", required_argument, NULL, O_NAME },
	{ "vcpus", required_argument, NULL, O_VCPUS },
	{ "gic", required_argument, NULL, O_GIC },
	{ "mem", required_argument, NULL, O_MEM },
	{ "ipa", required_argument, NULL, O_IPA },
	{ "pages", required_argument, NULL, O_PAGES },
	{ "seed", required_argument, NULL, O_SEED },
	{ "cntfrq", required_argument, NULL, O_CNTFRQ },
	{ "vcount", required_argument, NULL, O_VCOUNT },
	{ "fingerprint", required_argument, NULL, O_FP },
	{ "paused", no_argument, NULL, O_PAUSED },
	{ "omit", required_argument, NULL, O_OMIT },
	{ "dup", required_argument, NULL, O_DUP },
	{ "lie-data-pages", required_argument, NULL, O_LIE },
	{ "extra", required_argument, NULL, O_EXTRA },
	{ "pc", required_argument, NULL, O_PC },
	{ "pstate", required_argument, NULL, O_PSTATE },
	{ "power", required_argument, NULL, O_POWER },
	{ "vtimer", required_argument, NULL, O_VTIMER },
	{ "ptimer", required_argument, NULL, O_PTIMER },
	{ "pending", required_argument, NULL, O_PENDING },
	{ "active", required_argument, NULL, O_ACTIVE },
	{ "irq-flags", required_argument, NULL, O_IRQ_FLAGS },
	{ "apr", required_argument, NULL, O_APR },
	{ "poke", required_argument, NULL, O_POKE },
	{ "uart-rx", required_argument, NULL, O_UART_RX },
	{ "pt-device", required_argument, NULL, O_PT_DEVICE },
	{ "pt-irq", required_argument, NULL, O_PT_IRQ },
	{ "pt-none", no_argument, NULL, O_PT_NONE },
	{ "help", no_argument, NULL, O_HELP },
	{ NULL, 0, NULL, 0 },
};

/* A register of vCPU V: "V=VAL". */
static bool parse_vcpu_reg(struct synth *s, const char *arg, size_t off)
{
	const char *rest;
	uint32_t v;
	uint64_t val;

	if (!parse_vcpu(arg, '=', &v, &rest) || !parse_u64(rest, &val))
		return false;
	memcpy((uint8_t *)&s->vcpu[v] + off, &val, sizeof(val));
	return true;
}

static bool parse_u32(const char *arg, uint64_t max, uint32_t *out)
{
	uint64_t v;

	if (!parse_u64(arg, &v) || v > max)
		return false;
	*out = (uint32_t)v;
	return true;
}

/* Options that shape the VM; a layout change re-sizes the page list. */
static bool synth_opt_vm(struct synth *s, int o, const char *arg)
{
	switch (o) {
	case O_NAME:
		snprintf(s->vm.name, sizeof(s->vm.name), "%s", arg);
		return strlen(arg) < sizeof(s->vm.name);
	case O_VCPUS:
		return parse_u32(arg, CKPT_MAX_VCPUS, &s->vm.nr_vcpus) &&
		       s->vm.nr_vcpus > 0;
	case O_GIC:
		return parse_u32(arg, 3, &s->vm.gic_version) &&
		       s->vm.gic_version >= 2;
	case O_MEM:
		return parse_u64(arg, &s->vm.mem_size) &&
		       s->vm.mem_size % CKPT_PAGE_SIZE == 0 &&
		       s->vm.mem_size > 0 &&
		       s->vm.mem_size / CKPT_PAGE_SIZE <= SYNTH_MAX_PAGES;
	case O_IPA: return parse_u64(arg, &s->vm.mem_ipa);
	case O_SEED: return parse_u64(arg, &s->seed);
	case O_CNTFRQ: return parse_u64(arg, &s->vm.cntfrq);
	case O_VCOUNT: return parse_u64(arg, &s->vm.vcount);
	case O_FP: return parse_u64(arg, &s->vm.config_fp);
	case O_PAUSED: s->vm.paused = 1; return true;
	case O_OMIT: return (s->omit = section_type(arg)) != 0;
	case O_DUP: return (s->dup = section_type(arg)) != 0;
	case O_EXTRA:
		return parse_u32(arg, UINT32_MAX, &s->extra) &&
		       s->extra > CKPT_SEC_PASSTHROUGH;
	case O_LIE: {
		char *e;

		s->lie_pages = strtoll(arg, &e, 0);
		return *arg != '\0' && *e == '\0';
	}
	default: return false;
	}
}

/* Options on the registers and devices, applied after the seed's fill. */
static bool synth_opt_state(struct synth *s, int o, const char *arg)
{
	switch (o) {
	case O_PC:
		return parse_vcpu_reg(s, arg, offsetof(struct ckpt_vcpu, pc));
	case O_PSTATE:
		return parse_vcpu_reg(s, arg,
				      offsetof(struct ckpt_vcpu, pstate));
	case O_POWER: return parse_power(s, arg);
	case O_VTIMER: return parse_timer(s, arg, true);
	case O_PTIMER: return parse_timer(s, arg, false);
	case O_PENDING:
		return parse_irq(s, arg, CKPT_IRQ_ENABLED | CKPT_IRQ_LATCH,
				 false);
	case O_ACTIVE:
		return parse_irq(s, arg, CKPT_IRQ_ENABLED | CKPT_IRQ_ACTIVE,
				 false);
	case O_IRQ_FLAGS: return parse_irq(s, arg, 0, true);
	case O_APR: return parse_apr(s, arg);
	case O_POKE: return parse_poke(s, arg);
	case O_PT_DEVICE: return parse_pt_device(s, arg);
	case O_PT_IRQ: return parse_pt_irq(s, arg);
	case O_PT_NONE: s->has_pt = true; return true;
	case O_UART_RX:
		s->vuart.rx_len = (uint32_t)strlen(arg);
		memcpy(s->vuart.rx, arg,
		       s->vuart.rx_len < sizeof(s->vuart.rx) ?
			       s->vuart.rx_len :
			       sizeof(s->vuart.rx));
		return s->vuart.rx_len <= sizeof(s->vuart.rx);
	default: return false;
	}
}

struct synth_opt {
	int o;
	const char *arg;
};

/*
 * The options are read first and applied in three steps: the VM's shape
 * and the seed, then the pages (which need the memory size), then the
 * registers and devices over what the seed filled in.
 */
/* One line on stderr: why the synth command line is refused. */
#define SYNTH_REFUSE(fmt, ...)                                                 \
	fprintf(stderr,                                                        \
		"kairos-ckpt: synth: " fmt "; see kairos-ckpt synth --help\n", \
		__VA_ARGS__)

static bool synth_apply(struct synth *s, const struct synth_opt *opt, int n)
{
	const char *pages = "0-3";
	uint64_t nr;
	int i;

	for (i = 0; i < n; i++)
		if (opt[i].o == O_PAGES)
			pages = opt[i].arg;
		else if (opt[i].o < O_PC &&
			 !synth_opt_vm(s, opt[i].o, opt[i].arg))
			goto bad;
	s->vgic.version = s->vm.gic_version;
	nr = s->vm.mem_size / CKPT_PAGE_SIZE;
	s->stored = calloc((size_t)nr, 1);
	if (s->stored == NULL || !parse_pages(s, pages, nr)) {
		fprintf(stderr,
			"kairos-ckpt: synth: bad --pages '%s' for %llu pages\n",
			pages, (unsigned long long)nr);
		return false;
	}
	synth_fill_regs(s);
	for (i = 0; i < n; i++)
		if (opt[i].o >= O_PC &&
		    !synth_opt_state(s, opt[i].o, opt[i].arg))
			goto bad;
	return true;
bad:
	fprintf(stderr, "kairos-ckpt: synth: bad value '%s' for --%s\n",
		opt[i].arg, synth_opts[opt[i].o - O_NAME].name);
	return false;
}

int ckpt_cmd_synth(int argc, char **argv)
{
	static struct synth s;
	struct synth_opt opt[64];
	int n = 0, o, rc = 1;

	synth_defaults(&s);
	/* ":" first: getopt prints nothing and says ':' for a missing value. */
	while ((o = getopt_long(argc, argv, ":h", synth_opts, NULL)) != -1) {
		if (o == O_HELP || o == 'h') {
			synth_usage(stdout);
			return 0;
		}
		if (o == '?' || o == ':') {
			if (o == ':')
				SYNTH_REFUSE("%s needs a value",
					     argv[optind - 1]);
			else
				SYNTH_REFUSE("unknown option '%s'",
					     argv[optind - 1]);
			return 2;
		}
		if (n == (int)(sizeof(opt) / sizeof(opt[0]))) {
			SYNTH_REFUSE("more than %d options", n);
			return 2;
		}
		opt[n].o = o;
		opt[n++].arg = optarg ? optarg : "";
	}
	if (optind >= argc) {
		SYNTH_REFUSE("%s", "missing OUT, the image to write");
		return 2;
	}
	if (optind < argc - 1) {
		SYNTH_REFUSE("extra argument '%s' (wants one OUT)",
			     argv[optind + 1]);
		return 2;
	}
	if (!synth_apply(&s, opt, n))
		rc = 2;
	else if (synth_write(&s, argv[optind]))
		rc = 0;
	free(s.stored);
	return rc;
}
