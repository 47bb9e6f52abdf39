// SPDX-License-Identifier: MIT
/* kairos-ckpt info: what an image holds, in words. */
#include "kairos-ckpt.h"

#include <string.h>

#define CTL_ENABLE (1U << 0) /* CNTx_CTL_EL0.ENABLE */
#define CTL_IMASK (1U << 1)  /* CNTx_CTL_EL0.IMASK */

/* Pending as the distributor sees it: the latch, or a high level line. */
static bool irq_pending(const struct ckpt_irq *q)
{
	return (q->flags & CKPT_IRQ_LATCH) ||
	       ((q->flags & CKPT_IRQ_LINE) && !(q->flags & CKPT_IRQ_EDGE));
}

/* INTIDs first.. of @n interrupts with @pred, printed as a list. */
static void print_irqs(const char *label, const struct ckpt_irq *irq,
		       unsigned int n, unsigned int first,
		       bool (*pred)(const struct ckpt_irq *))
{
	unsigned int ids[CKPT_NR_SPIS];
	unsigned int k = 0;

	for (unsigned int i = 0; i < n; i++)
		if (pred(&irq[i]))
			ids[k++] = first + i;
	printf("  %s: ", label);
	ckpt_print_intids(stdout, ids, k);
	putchar('\n');
}

static bool irq_active(const struct ckpt_irq *q)
{
	return q->flags & CKPT_IRQ_ACTIVE;
}

static bool irq_enabled(const struct ckpt_irq *q)
{
	return q->flags & CKPT_IRQ_ENABLED;
}

/* PSTATE.M of an exception return (Arm ARM C5.2.19 SPSR_EL2). */
static const char *pstate_mode(uint64_t pstate)
{
	if (pstate & (1U << 4))
		return "AArch32";
	switch (pstate & 0xfU) {
	case 0x0: return "EL0t";
	case 0x4: return "EL1t";
	case 0x5: return "EL1h";
	case 0x8: return "EL2t";
	case 0x9: return "EL2h";
	default: return "reserved mode";
	}
}

static const char *power_name(uint32_t p)
{
	switch (p) {
	case CKPT_POWER_OFF: return "off";
	case CKPT_POWER_ON_PENDING: return "on-pending";
	case CKPT_POWER_ON: return "on";
	default: return "unknown";
	}
}

static void print_timer(const char *name, uint64_t ctl, uint64_t cval,
			uint64_t count)
{
	printf("  %s: ctl 0x%llx cval 0x%llx: %s, %s, %s\n", name,
	       (unsigned long long)ctl, (unsigned long long)cval,
	       (ctl & CTL_ENABLE) ? "enabled" : "disabled",
	       (ctl & CTL_IMASK) ? "masked" : "unmasked",
	       count >= cval ? "due" : "not due");
}

static void print_vcpu(const struct ckpt_image *img, const struct ckpt_vm *vm,
		       uint32_t id)
{
	struct ckpt_vcpu v;
	bool apr = false;

	memcpy(&v, ckpt_payload(img, ckpt_find(img, CKPT_SEC_VCPU, id)),
	       sizeof(v));
	printf("vcpu %u: %s, pc 0x%llx, pstate 0x%llx (%s%s%s%s%s)\n", id,
	       power_name(v.power), (unsigned long long)v.pc,
	       (unsigned long long)v.pstate, pstate_mode(v.pstate),
	       (v.pstate & (1U << 9)) ? ", D" : "",
	       (v.pstate & (1U << 8)) ? ", A" : "",
	       (v.pstate & (1U << 7)) ? ", I" : "",
	       (v.pstate & (1U << 6)) ? ", F" : "");
	printf("  sp_el0 0x%llx, sp_el1 0x%llx, vbar 0x%llx, sctlr 0x%llx, mpidr 0x%llx\n",
	       (unsigned long long)v.sp_el0, (unsigned long long)v.sys.sp_el1,
	       (unsigned long long)v.sys.vbar, (unsigned long long)v.sys.sctlr,
	       (unsigned long long)v.sys.vmpidr);
	/* The guest's physical count is its virtual count (core/ptimer.c). */
	print_timer("vtimer", v.vtimer_ctl, v.vtimer_cval, vm->vcount);
	print_timer("ptimer", v.ptimer_ctl, v.ptimer_cval, vm->vcount);
	print_irqs("pending", v.priv, CKPT_NR_PRIVATE, 0, irq_pending);
	print_irqs("active", v.priv, CKPT_NR_PRIVATE, 0, irq_active);
	print_irqs("enabled", v.priv, CKPT_NR_PRIVATE, 0, irq_enabled);
	printf("  vmcr 0x%llx, apr:", (unsigned long long)v.vmcr);
	for (unsigned int i = 0; i < 4; i++) {
		if (v.apr[i] != 0)
			printf(" apr[%u]=0x%llx", i,
			       (unsigned long long)v.apr[i]);
		if (v.apr0[i] != 0)
			printf(" apr0[%u]=0x%llx", i,
			       (unsigned long long)v.apr0[i]);
		apr = apr || v.apr[i] != 0 || v.apr0[i] != 0;
	}
	printf("%s\n", apr ? "" : " none");
}

static void print_vm(const struct ckpt_image *img, const struct ckpt_vm *vm)
{
	printf("vm \"%s\": %u vCPUs, GIC v%u, profile %u, %s\n", vm->name,
	       vm->nr_vcpus, vm->gic_version, vm->profile,
	       vm->paused ? "paused" : "running");
	printf("  config fingerprint 0x%016llx, boot id 0x%016llx\n",
	       (unsigned long long)vm->config_fp,
	       (unsigned long long)vm->boot_id);
	printf("  CNTFRQ %llu Hz, virtual count %llu (%.6f s), physical count %llu\n",
	       (unsigned long long)vm->cntfrq, (unsigned long long)vm->vcount,
	       (double)vm->vcount / (double)vm->cntfrq,
	       (unsigned long long)vm->pcount);
	printf("  memory 0x%llx bytes at IPA 0x%llx\n",
	       (unsigned long long)vm->mem_size,
	       (unsigned long long)vm->mem_ipa);
	(void)img;
}

static void print_devices(const struct ckpt_image *img)
{
	static struct ckpt_vgic g;
	struct ckpt_mem_view m;
	struct ckpt_vuart u;
	uint64_t stored = 0;

	memcpy(&g, ckpt_payload(img, ckpt_find(img, CKPT_SEC_VGIC, 0)),
	       sizeof(g));
	printf("vgic: v%u%s, ctlr 0x%x\n", g.version,
	       g.backend == CKPT_VGIC_BACKEND_SW ? " (CPU interface emulated)" :
						   "",
	       g.ctlr);
	print_irqs("pending SPIs", g.spi, CKPT_NR_SPIS, CKPT_NR_PRIVATE,
		   irq_pending);
	print_irqs("active SPIs", g.spi, CKPT_NR_SPIS, CKPT_NR_PRIVATE,
		   irq_active);
	print_irqs("enabled SPIs", g.spi, CKPT_NR_SPIS, CKPT_NR_PRIVATE,
		   irq_enabled);
	memcpy(&u, ckpt_payload(img, ckpt_find(img, CKPT_SEC_VUART, 0)),
	       sizeof(u));
	printf("vuart: cr 0x%x, %u input bytes unread, %u output bytes unprinted\n",
	       u.cr, u.rx_len, u.line_len);
	ckpt_mem_view(img, &m);
	for (uint64_t p = 0; p < m.hdr.nr_pages; p++)
		stored += ckpt_page_stored(&m, p);
	printf("memory: %llu bytes at 0x%llx, %llu pages: %llu stored, %llu zero; %llu bytes of page data\n",
	       (unsigned long long)m.hdr.size, (unsigned long long)m.hdr.ipa,
	       (unsigned long long)m.hdr.nr_pages, (unsigned long long)stored,
	       (unsigned long long)(m.hdr.nr_pages - stored),
	       (unsigned long long)(stored * m.hdr.page_size));
}

/* The passthrough devices and interrupts, if the image lists them. */
static void print_passthrough(const struct ckpt_image *img)
{
	const struct ckpt_sec_ref *r = ckpt_find(img, CKPT_SEC_PASSTHROUGH, 0);
	struct ckpt_passthrough p;
	char dev[80];

	if (r == NULL) {
		printf("passthrough: not recorded (an image written before it)\n");
		return;
	}
	memcpy(&p, ckpt_payload(img, r), sizeof(p));
	if (p.nr_devices == 0 && p.nr_irqs == 0) {
		printf("passthrough: none\n");
		return;
	}
	printf("passthrough: %u device%s, %u interrupt%s\n", p.nr_devices,
	       p.nr_devices == 1 ? "" : "s", p.nr_irqs,
	       p.nr_irqs == 1 ? "" : "s");
	for (uint32_t k = 0; k < p.nr_devices; k++) {
		ckpt_pt_device_str(&p, k, dev, sizeof(dev));
		printf("  device %u: %s\n", k, dev);
	}
	if (p.nr_irqs != 0) {
		printf("  interrupts:");
		for (uint32_t k = 0; k < p.nr_irqs; k++)
			printf("%s %u", k ? "," : "", p.irq[k]);
		printf("\n");
	}
}

/* The shared-memory regions the image holds, if any. */
static void print_shmem(const struct ckpt_image *img)
{
	for (unsigned int r = 0; r < CKPT_MAX_SHMEM; r++) {
		const struct ckpt_sec_ref *s =
			ckpt_find(img, CKPT_SEC_SHMEM, r);
		struct ckpt_shmem h;

		if (s == NULL)
			continue;
		memcpy(&h, ckpt_payload(img, s), sizeof(h));
		printf("shmem: region %u, %llu KiB\n", r,
		       (unsigned long long)(h.size >> 10));
	}
}

/*
 * The sections as far as their headers can be read, each with its payload
 * checksum recomputed: works on an image ckpt_parse() refuses, to show
 * where it is damaged.
 */
static void print_sections(const uint8_t *b, uint64_t len)
{
	struct ckpt_header h;
	uint64_t off = sizeof(h);

	if (len < sizeof(h))
		return;
	memcpy(&h, b, sizeof(h));
	if (h.total_size < len)
		len = h.total_size;
	printf("sections:\n");
	for (unsigned int i = 0; i < h.nr_sections && i < CKPT_MAX_SECTIONS;
	     i++) {
		struct ckpt_section s;
		bool hok, ok;

		if (off > len || len - off < sizeof(s)) {
			printf("  %-2u (header past the end of the image)\n",
			       i);
			return;
		}
		memcpy(&s, b + off, sizeof(s));
		off += sizeof(s);
		hok = ckpt_crc32c(0, &s, offsetof(struct ckpt_section, hcrc)) ==
		      s.hcrc;
		ok = s.length <= len - off &&
		     ckpt_crc32c(0, b + off, (size_t)s.length) == s.crc;
		printf("  %-2u %-7s index %-2u length %-9llu crc 0x%08x %s%s\n",
		       i, ckpt_section_name(s.type), s.index,
		       (unsigned long long)s.length, s.crc, ok ? "ok" : "BAD",
		       hok ? "" : " (section header BAD)");
		if (!hok || s.length > len - off)
			return;
		off += (s.length + 7) & ~7ULL;
	}
}

int ckpt_cmd_info(int argc, char **argv)
{
	struct ckpt_image img;
	struct ckpt_file f;
	struct ckpt_vm vm;
	char why[160];
	bool ok;
	int args;

	args = ckpt_cmd_args(argc, argv, 1, 1, "IMAGE");
	if (args != CKPT_ARGS_OK)
		return args;
	if (!ckpt_file_load(argv[1], &f))
		return 1;
	ok = ckpt_parse(f.buf, f.len, 0, &img, why, sizeof(why));
	if (!ok) {
		printf("image %s: INVALID: %s\n", argv[1], why);
		print_sections(f.buf, f.len);
		ckpt_file_free(&f);
		return 1;
	}
	printf("image %s: %llu bytes, version %u, %u sections\n", argv[1],
	       (unsigned long long)img.size, img.hdr.version, img.nr);
	memcpy(&vm, ckpt_payload(&img, ckpt_find(&img, CKPT_SEC_VM, 0)),
	       sizeof(vm));
	print_vm(&img, &vm);
	for (uint32_t i = 0; i < vm.nr_vcpus; i++)
		print_vcpu(&img, &vm, i);
	print_devices(&img);
	print_passthrough(&img);
	print_shmem(&img);
	print_sections(f.buf, f.len);
	ckpt_file_free(&f);
	return 0;
}
