// SPDX-License-Identifier: MIT
/* kairos-ckpt diff: where two images differ. */
#include "kairos-ckpt.h"

#include <stddef.h>
#include <string.h>

/* Differing page ranges named in full; the rest only counted. */
#define DIFF_RANGES 8

/* A named run of bytes of a payload struct. */
struct field {
	const char *name;
	size_t off, end;
};

#define FIELD(s, name, first, last)                                \
	{                                                          \
		name, offsetof(s, first),                          \
			offsetof(s, last) + sizeof(((s *)0)->last) \
	}

static const struct field vm_fields[] = {
	FIELD(struct ckpt_vm, "name", name, name),
	FIELD(struct ckpt_vm, "config fingerprint", config_fp, config_fp),
	FIELD(struct ckpt_vm, "cntfrq", cntfrq, cntfrq),
	FIELD(struct ckpt_vm, "virtual count", vcount, vcount),
	FIELD(struct ckpt_vm, "physical count", pcount, pcount),
	FIELD(struct ckpt_vm, "boot id", boot_id, boot_id),
	FIELD(struct ckpt_vm, "memory layout", mem_ipa, mem_size),
	FIELD(struct ckpt_vm, "vCPU count", nr_vcpus, nr_vcpus),
	FIELD(struct ckpt_vm, "GIC version", gic_version, gic_version),
	FIELD(struct ckpt_vm, "profile", profile, profile),
	FIELD(struct ckpt_vm, "paused", paused, paused),
};

/* The register groups of a vCPU; together they cover the whole struct. */
static const struct field vcpu_fields[] = {
	FIELD(struct ckpt_vcpu, "gprs", x, sp_el0),
	FIELD(struct ckpt_vcpu, "pc/pstate", pc, pstate),
	FIELD(struct ckpt_vcpu, "sysregs", sys, sys),
	FIELD(struct ckpt_vcpu, "fp", fp_v, fpcr),
	FIELD(struct ckpt_vcpu, "timers", vtimer_ctl, ptimer_cval),
	FIELD(struct ckpt_vcpu, "power", power, power),
	FIELD(struct ckpt_vcpu, "vgic", waker, priv),
};

static const struct field vgic_fields[] = {
	FIELD(struct ckpt_vgic, "ctlr", ctlr, ctlr),
	FIELD(struct ckpt_vgic, "version", version, nr_spis),
	FIELD(struct ckpt_vgic, "back end", backend, backend),
};

static const struct field vuart_fields[] = {
	FIELD(struct ckpt_vuart, "registers", cr, ifls),
	FIELD(struct ckpt_vuart, "input", rx_len, rx_len),
	FIELD(struct ckpt_vuart, "output", line_len, line_len),
	FIELD(struct ckpt_vuart, "input bytes", rx, rx),
	FIELD(struct ckpt_vuart, "output bytes", line, line),
};

/* Print the fields of @f that differ between @a and @b; any? */
static bool diff_fields(const char *what, const struct field *f, size_t n,
			const uint8_t *a, const uint8_t *b)
{
	bool any = false;

	for (size_t i = 0; i < n; i++) {
		if (memcmp(a + f[i].off, b + f[i].off, f[i].end - f[i].off) ==
		    0)
			continue;
		printf("%s %s", any ? "," : what, f[i].name);
		any = true;
	}
	if (any)
		putchar('\n');
	return any;
}

static bool diff_vgic(const struct ckpt_image *a, const struct ckpt_image *b)
{
	static struct ckpt_vgic ga, gb;
	unsigned int ids[CKPT_NR_SPIS], n = 0;
	bool any;

	memcpy(&ga, ckpt_payload(a, ckpt_find(a, CKPT_SEC_VGIC, 0)),
	       sizeof(ga));
	memcpy(&gb, ckpt_payload(b, ckpt_find(b, CKPT_SEC_VGIC, 0)),
	       sizeof(gb));
	any = diff_fields("vgic: differs:", vgic_fields,
			  sizeof(vgic_fields) / sizeof(vgic_fields[0]),
			  (const uint8_t *)&ga, (const uint8_t *)&gb);
	for (unsigned int i = 0; i < CKPT_NR_SPIS; i++)
		if (memcmp(&ga.spi[i], &gb.spi[i], sizeof(ga.spi[i])) != 0)
			ids[n++] = CKPT_NR_PRIVATE + i;
	if (n > 0) {
		printf("vgic: SPIs differ: ");
		ckpt_print_intids(stdout, ids, n);
		putchar('\n');
	}
	return any || n > 0;
}

/* Page @p of @m, or the zero page. */
static const uint8_t *page_of(const struct ckpt_mem_view *m, uint64_t p,
			      const uint8_t **next)
{
	static const uint8_t zero[CKPT_PAGE_SIZE];
	const uint8_t *d;

	if (!ckpt_page_stored(m, p))
		return zero;
	d = *next;
	*next += CKPT_PAGE_SIZE;
	return d;
}

static void print_range(uint64_t ipa, uint64_t first, uint64_t last,
			unsigned int i)
{
	uint64_t from = ipa + first * CKPT_PAGE_SIZE;
	uint64_t to = ipa + (last + 1) * CKPT_PAGE_SIZE - 1;

	printf("%s0x%llx-0x%llx", i ? ", " : " ", (unsigned long long)from,
	       (unsigned long long)to);
}

/* Pages whose contents differ (a stored page of zeros equals a zero one). */
static bool diff_mem(const struct ckpt_image *a, const struct ckpt_image *b)
{
	struct ckpt_mem_view ma, mb;
	const uint8_t *na, *nb;
	uint64_t n = 0, first = 0, last = 0, ranges[DIFF_RANGES][2];
	unsigned int nr = 0;

	ckpt_mem_view(a, &ma);
	ckpt_mem_view(b, &mb);
	if (ma.hdr.ipa != mb.hdr.ipa || ma.hdr.size != mb.hdr.size) {
		printf("memory: differs: 0x%llx bytes at 0x%llx against 0x%llx at 0x%llx\n",
		       (unsigned long long)ma.hdr.size,
		       (unsigned long long)ma.hdr.ipa,
		       (unsigned long long)mb.hdr.size,
		       (unsigned long long)mb.hdr.ipa);
		return true;
	}
	na = ma.data;
	nb = mb.data;
	for (uint64_t p = 0; p < ma.hdr.nr_pages; p++) {
		const uint8_t *pa = page_of(&ma, p, &na);
		const uint8_t *pb = page_of(&mb, p, &nb);

		if (memcmp(pa, pb, CKPT_PAGE_SIZE) == 0)
			continue;
		if (n > 0 && p == last + 1) {
			last = p;
		} else {
			if (n > 0 && nr < DIFF_RANGES) {
				ranges[nr][0] = first;
				ranges[nr++][1] = last;
			}
			first = last = p;
		}
		n++;
	}
	if (n == 0)
		return false;
	if (nr < DIFF_RANGES) {
		ranges[nr][0] = first;
		ranges[nr++][1] = last;
	}
	printf("memory: %llu page%s differ%s:", (unsigned long long)n,
	       n == 1 ? "" : "s", n == 1 ? "s" : "");
	for (unsigned int i = 0; i < nr; i++)
		print_range(ma.hdr.ipa, ranges[i][0], ranges[i][1], i);
	printf("%s\n", nr == DIFF_RANGES ? ", ..." : "");
	return true;
}

static bool diff_vcpu(const struct ckpt_image *a, const struct ckpt_image *b,
		      uint32_t id)
{
	const struct ckpt_sec_ref *ra = ckpt_find(a, CKPT_SEC_VCPU, id);
	const struct ckpt_sec_ref *rb = ckpt_find(b, CKPT_SEC_VCPU, id);
	char what[32];

	if (ra == NULL || rb == NULL) {
		printf("vcpu %u: only in %s\n", id, ra ? "A" : "B");
		return true;
	}
	snprintf(what, sizeof(what), "vcpu %u: differs:", id);
	return diff_fields(what, vcpu_fields,
			   sizeof(vcpu_fields) / sizeof(vcpu_fields[0]),
			   ckpt_payload(a, ra), ckpt_payload(b, rb));
}

/* The first difference of two passthrough sections (ckpt_parse() checked
 * both). */
static bool diff_passthrough(const void *pa, const void *pb)
{
	struct ckpt_passthrough a, b;
	char d[200];

	memcpy(&a, pa, sizeof(a));
	memcpy(&b, pb, sizeof(b));
	if (!ckpt_pt_diff(&a, "A", &b, "B", d, sizeof(d)))
		return false;
	printf("passthrough: %s\n", d);
	return true;
}

/*
 * Sections compared as a whole (types this tool does not take apart),
 * matched by type and index; passthrough sections by what they list.
 */
static bool diff_unknown(const struct ckpt_image *a, const struct ckpt_image *b,
			 const char *name)
{
	bool any = false;

	for (unsigned int i = 0; i < a->nr; i++) {
		const struct ckpt_sec_ref *r = &a->sec[i], *o;

		if (r->type >= CKPT_SEC_VM && r->type <= CKPT_SEC_MEM)
			continue;
		o = ckpt_find(b, r->type, r->index);
		if (o == NULL) {
			printf("%s index %u: only in %s\n",
			       ckpt_section_name(r->type), r->index, name);
			any = true;
		} else if (r->type == CKPT_SEC_PASSTHROUGH) {
			any |= diff_passthrough(ckpt_payload(a, r),
						ckpt_payload(b, o));
		} else if (o->length != r->length ||
			   memcmp(ckpt_payload(a, r), ckpt_payload(b, o),
				  (size_t)r->length) != 0) {
			printf("%s index %u: differs\n",
			       ckpt_section_name(r->type), r->index);
			any = true;
		}
	}
	return any;
}

static bool diff_images(const struct ckpt_image *a, const struct ckpt_image *b)
{
	struct ckpt_vm va, vb;
	bool any;
	uint32_t n;

	memcpy(&va, ckpt_payload(a, ckpt_find(a, CKPT_SEC_VM, 0)), sizeof(va));
	memcpy(&vb, ckpt_payload(b, ckpt_find(b, CKPT_SEC_VM, 0)), sizeof(vb));
	any = diff_fields("vm: differs:", vm_fields,
			  sizeof(vm_fields) / sizeof(vm_fields[0]),
			  (const uint8_t *)&va, (const uint8_t *)&vb);
	n = va.nr_vcpus > vb.nr_vcpus ? va.nr_vcpus : vb.nr_vcpus;
	for (uint32_t i = 0; i < n; i++)
		any |= diff_vcpu(a, b, i);
	any |= diff_vgic(a, b);
	any |= diff_fields("vuart: differs:", vuart_fields,
			   sizeof(vuart_fields) / sizeof(vuart_fields[0]),
			   ckpt_payload(a, ckpt_find(a, CKPT_SEC_VUART, 0)),
			   ckpt_payload(b, ckpt_find(b, CKPT_SEC_VUART, 0)));
	any |= diff_mem(a, b);
	/* Unknown sections: those of A against B, then those only in B. */
	any |= diff_unknown(a, b, "A");
	for (unsigned int i = 0; i < b->nr; i++) {
		const struct ckpt_sec_ref *r = &b->sec[i];

		if ((r->type < CKPT_SEC_VM || r->type > CKPT_SEC_MEM) &&
		    ckpt_find(a, r->type, r->index) == NULL) {
			printf("%s index %u: only in B\n",
			       ckpt_section_name(r->type), r->index);
			any = true;
		}
	}
	return any;
}

int ckpt_cmd_diff(int argc, char **argv)
{
	static struct ckpt_image img[2];
	struct ckpt_file f[2] = { 0 };
	int rc = 2;
	int args;

	args = ckpt_cmd_args(argc, argv, 2, 2, "A and B");
	if (args != CKPT_ARGS_OK)
		return args;
	for (int i = 0; i < 2; i++) {
		char why[160];

		if (!ckpt_file_load(argv[i + 1], &f[i]))
			goto out;
		if (!ckpt_parse(f[i].buf, f[i].len, 0, &img[i], why,
				sizeof(why))) {
			fprintf(stderr, "%s: invalid: %s\n", argv[i + 1], why);
			goto out;
		}
	}
	if (diff_images(&img[0], &img[1])) {
		printf("%s and %s differ\n", argv[1], argv[2]);
		rc = 1;
	} else {
		printf("%s and %s are identical\n", argv[1], argv[2]);
		rc = 0;
	}
out:
	ckpt_file_free(&f[0]);
	ckpt_file_free(&f[1]);
	return rc;
}
