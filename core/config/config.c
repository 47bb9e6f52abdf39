// SPDX-License-Identifier: MIT
/*
 * The system configuration: /hypervisor and its vm@N children
 * (docs/configuration.md). Each VM's properties are read and checked on
 * their own first; then everything that already occupies host RAM (the
 * caller's busy ranges, the board's reserved memory, the checkpoint store,
 * the images, the VMs with a fixed memory-host) is collected in one list,
 * each new entry checked against those before it; last, the other VMs are
 * placed around that list. Every refusal names the node and the property.
 */
#include <arch/stage2.h>
#include <kairos/compiler.h>
#include <kairos/config.h>
#include <kairos/profile_virt.h>
#include <kairos/vgic.h>
#include <libfdt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* VM RAM is mapped with 2 MiB stage-2 blocks. */
#define VM_MEM_ALIGN MiB(2)

/*
 * Busy ranges, reserved memory, the store, 3 images and a memory per VM,
 * the shared-memory regions.
 */
#define MAX_TAKEN                                                        \
	(CONFIG_MAX_BUSY + BOARD_MAX_RESERVED + 1 + 4 * KAIROS_MAX_VMS + \
	 KAIROS_MAX_SHMEM)

/* A host range something occupies, and how a message names it. */
struct taken {
	struct board_range r;
	const char *what;  /* "Kairos", "kernel", "memory", ... */
	const char *owner; /* the VM's node path for its images and memory */
	bool reserved;     /* the board's: only VM memory must avoid it */
};

struct ctx {
	const void *fdt;
	const struct board *b;
	config_read_fn read; /* the images' headers */
	struct sys_config *cfg;
	struct board_err *err;
	struct taken taken[MAX_TAKEN];
	unsigned int nr_taken;
};

/* The node a property is read from, for messages. */
struct dtnode {
	const void *fdt;
	int off;
	const char *path;
	struct board_err *err;
};

static enum kairos_err PRINTF_LIKE(5, 6)
	refuse(struct board_err *err, enum kairos_err e, const char *path,
	       const char *prop, const char *fmt, ...)
{
	va_list ap;
	int n = prop ? snprintf(err->msg, sizeof(err->msg),
				"%s: property %s: ", path, prop) :
		       snprintf(err->msg, sizeof(err->msg), "%s: ", path);

	va_start(ap, fmt);
	if (n > 0 && (size_t)n < sizeof(err->msg))
		vsnprintf(err->msg + n, sizeof(err->msg) - (size_t)n, fmt, ap);
	va_end(ap);
	/* One console line: control characters a quoted string had, '?'. */
	for (char *c = err->msg; *c; c++)
		if ((unsigned char)*c < ' ' || *c == 0x7f)
			*c = '?';
	return e;
}

/* Last byte of @r; ranges from the board that wrap end at 2^64 - 1. */
static uint64_t last_of(struct board_range r)
{
	uint64_t base = pa_addr(r.base);

	return r.size - 1 > UINT64_MAX - base ? UINT64_MAX : base + r.size - 1;
}

static bool overlap(struct board_range a, struct board_range b)
{
	return a.size && b.size && pa_addr(a.base) <= last_of(b) &&
	       pa_addr(b.base) <= last_of(a);
}

/* ---- Reading properties ---- */

static enum kairos_err missing(const struct dtnode *n, const char *prop)
{
	return refuse(n->err, KAIROS_ERR_MISSING, n->path, prop, "missing");
}

/* A single NUL-terminated string of at most @max - 1 characters. */
static enum kairos_err get_str(const struct dtnode *n, const char *prop,
			       char *out, size_t max, enum kairos_err too_long)
{
	int len;
	const char *s = fdt_getprop(n->fdt, n->off, prop, &len);

	if (!s)
		return missing(n, prop);
	if (len < 1 || s[len - 1] || strlen(s) != (size_t)len - 1)
		return refuse(n->err, KAIROS_ERR_MALFORMED, n->path, prop,
			      "not a single string");
	if ((size_t)len > max)
		return refuse(n->err, too_long, n->path, prop,
			      "%d characters, at most %zu", len - 1, max - 1);
	memcpy(out, s, (size_t)len);
	return KAIROS_OK;
}

static enum kairos_err get_u32(const struct dtnode *n, const char *prop,
			       uint32_t *v)
{
	int len;
	const fdt32_t *p = fdt_getprop(n->fdt, n->off, prop, &len);

	if (!p)
		return missing(n, prop);
	if (len != 4)
		return refuse(n->err, KAIROS_ERR_MALFORMED, n->path, prop,
			      "%d bytes, want one cell", len);
	*v = fdt32_ld(p);
	return KAIROS_OK;
}

/* <base size> in 2 + 2 cells, size > 0, not wrapping past 2^64. */
static enum kairos_err get_range(const struct dtnode *n, const char *prop,
				 struct board_range *r)
{
	int len;
	const fdt64_t *p = fdt_getprop(n->fdt, n->off, prop, &len);
	uint64_t base, size;

	*r = (struct board_range){ pa_init(0), 0 };
	if (!p)
		return missing(n, prop);
	if (len != 16)
		return refuse(n->err, KAIROS_ERR_MALFORMED, n->path, prop,
			      "%d bytes, want <base size> in 2 + 2 cells", len);
	base = fdt64_ld(p);
	size = fdt64_ld(p + 1);
	if (!size || size - 1 > UINT64_MAX - base)
		return refuse(n->err, KAIROS_ERR_MALFORMED, n->path, prop,
			      "size 0x%llx at 0x%llx is empty or wraps",
			      (unsigned long long)size,
			      (unsigned long long)base);
	*r = (struct board_range){ pa_init(base), size };
	return KAIROS_OK;
}

static bool has(const struct dtnode *n, const char *prop)
{
	return fdt_getprop(n->fdt, n->off, prop, NULL) != NULL;
}

static enum kairos_err not_in_ram(const struct dtnode *n, const char *prop,
				  struct board_range r)
{
	return refuse(n->err, KAIROS_ERR_MALFORMED, n->path, prop,
		      "0x%llx-0x%llx is not in RAM",
		      (unsigned long long)pa_addr(r.base),
		      (unsigned long long)last_of(r));
}

/* An optional host range (image, store) that must lie in RAM. */
static enum kairos_err get_ram_range(const struct dtnode *n,
				     const struct board *b, const char *prop,
				     struct board_range *r)
{
	enum kairos_err e = get_range(n, prop, r);

	if (!e && !board_in_ram(b, r->base, r->size))
		return not_in_ram(n, prop, *r);
	return e;
}

/* ---- One VM ---- */

/*
 * "vm-name" is the documented property; "name" (the older spelling) is
 * accepted too, though dtc refuses to compile a "name" that differs from
 * the node name.
 */
static const char *name_prop(const struct dtnode *n)
{
	return has(n, "vm-name") ? "vm-name" : "name";
}

static enum kairos_err parse_name(const struct dtnode *n, struct vm_config *vm)
{
	const char *prop = name_prop(n);
	enum kairos_err e = get_str(n, prop, vm->name, sizeof(vm->name),
				    KAIROS_ERR_MALFORMED);
	size_t len = strlen(vm->name);

	if (e)
		return e;
	if (!len || strspn(vm->name, "abcdefghijklmnopqrstuvwxyz"
				     "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				     "0123456789_-") != len)
		return refuse(n->err, KAIROS_ERR_MALFORMED, n->path, prop,
			      "\"%s\": use 1..%d of A-Z a-z 0-9 _ -", vm->name,
			      VM_NAME_MAX - 1);
	return KAIROS_OK;
}

static enum kairos_err parse_profile(const struct dtnode *n,
				     struct vm_config *vm)
{
	int len;
	const char *s = fdt_getprop(n->fdt, n->off, "profile", &len);

	if (!s)
		return missing(n, "profile");
	if (len != sizeof("virt") || memcmp(s, "virt", sizeof("virt")) != 0)
		return refuse(n->err, KAIROS_ERR_UNSUPPORTED, n->path,
			      "profile", "\"%.*s\" is unknown (virt)", len, s);
	vm->profile = VM_PROFILE_VIRT;
	return KAIROS_OK;
}

static enum kairos_err unaligned(const struct dtnode *n, const char *prop,
				 const char *what, uint64_t v)
{
	return refuse(n->err, KAIROS_ERR_MALFORMED, n->path, prop,
		      "%s 0x%llx is not 2 MiB aligned", what,
		      (unsigned long long)v);
}

static enum kairos_err parse_memory(const struct dtnode *n,
				    const struct board *b, struct vm_config *vm)
{
	struct board_range r;
	int len;
	const fdt64_t *host;
	enum kairos_err e = get_range(n, "memory", &r);

	if (e)
		return e;
	if (!IS_ALIGNED(pa_addr(r.base), VM_MEM_ALIGN))
		return unaligned(n, "memory", "IPA", pa_addr(r.base));
	if (!IS_ALIGNED(r.size, VM_MEM_ALIGN))
		return unaligned(n, "memory", "size", r.size);
	/* Below VIRT_RAM the profile has its devices (GIC, UART, flash). */
	if (pa_addr(r.base) < VIRT_RAM)
		return refuse(
			n->err, KAIROS_ERR_MALFORMED, n->path, "memory",
			"IPA 0x%llx is below 0x%lx, where the virt profile's devices are",
			(unsigned long long)pa_addr(r.base), VIRT_RAM);
	if (r.size > (1UL << S2_IPA_BITS) ||
	    pa_addr(r.base) > (1UL << S2_IPA_BITS) - r.size)
		return refuse(
			n->err, KAIROS_ERR_LIMIT, n->path, "memory",
			"0x%llx-0x%llx ends above the %u-bit IPA space stage 2 translates (0x%llx)",
			(unsigned long long)pa_addr(r.base),
			(unsigned long long)(pa_addr(r.base) + r.size - 1),
			S2_IPA_BITS, (unsigned long long)(1UL << S2_IPA_BITS));
	vm->mem_ipa = ipa_init(pa_addr(r.base));
	vm->mem_size = r.size;
	host = fdt_getprop(n->fdt, n->off, "memory-host", &len);
	if (!host)
		return KAIROS_OK;
	if (len != 8)
		return refuse(n->err, KAIROS_ERR_MALFORMED, n->path,
			      "memory-host", "%d bytes, want 2 cells", len);
	r.base = pa_init(fdt64_ld(host));
	if (!IS_ALIGNED(pa_addr(r.base), VM_MEM_ALIGN))
		return unaligned(n, "memory-host", "base", pa_addr(r.base));
	if (!board_in_ram(b, r.base, r.size))
		return not_in_ram(n, "memory-host", r);
	vm->mem_host = r.base;
	vm->mem_host_fixed = true;
	return KAIROS_OK;
}

/* cpu-affinity (optional): where the scheduler may move its vCPUs. */
static enum kairos_err parse_affinity(const struct dtnode *n,
				      const struct board *b,
				      struct vm_config *vm)
{
	int len;
	const fdt32_t *list = fdt_getprop(n->fdt, n->off, "cpu-affinity", &len);

	if (!list)
		return KAIROS_OK;
	if (len < 4 || len % 4)
		return refuse(n->err, KAIROS_ERR_MALFORMED, n->path,
			      "cpu-affinity", "%d bytes, want 1 or more cells",
			      len);
	for (int i = 0; i < len / 4; i++) {
		uint32_t c = fdt32_ld(&list[i]);

		if (c >= b->nr_cpus)
			return refuse(
				n->err, KAIROS_ERR_MALFORMED, n->path,
				"cpu-affinity",
				"cpu %u does not exist (the board has %u: 0..%u)",
				c, b->nr_cpus, b->nr_cpus - 1);
		vm->cpu_affinity |= 1U << c;
	}
	for (unsigned int i = 0; i < vm->nr_vcpus; i++)
		if (!(vm->cpu_affinity & (1U << vm->vcpu_cpu[i])))
			return refuse(n->err, KAIROS_ERR_MALFORMED, n->path,
				      "cpu-affinity",
				      "vCPU %u is placed on cpu %u (cpus), "
				      "which it does not list",
				      i, vm->vcpu_cpu[i]);
	return KAIROS_OK;
}

static enum kairos_err parse_cpus(const struct dtnode *n, const struct board *b,
				  struct vm_config *vm)
{
	uint32_t nr = 0;
	int len;
	const fdt32_t *list;
	enum kairos_err e = get_u32(n, "vcpus", &nr);

	if (e)
		return e;
	if (nr < 1 || nr > KAIROS_MAX_VCPUS)
		return refuse(n->err,
			      nr ? KAIROS_ERR_LIMIT : KAIROS_ERR_MALFORMED,
			      n->path, "vcpus", "%u is not in 1..%d", nr,
			      KAIROS_MAX_VCPUS);
	vm->nr_vcpus = nr;
	list = fdt_getprop(n->fdt, n->off, "cpus", &len);
	if (!list)
		return missing(n, "cpus");
	if (len < 4 || len % 4 || (uint32_t)len / 4 > nr)
		return refuse(n->err, KAIROS_ERR_MALFORMED, n->path, "cpus",
			      "%d bytes, want 1..%u cells (one per vCPU)", len,
			      nr);
	for (uint32_t i = 0; i < nr; i++) {
		uint32_t c = fdt32_ld(&list[i % ((uint32_t)len / 4)]);

		if (c >= b->nr_cpus)
			return refuse(
				n->err, KAIROS_ERR_MALFORMED, n->path, "cpus",
				"cpu %u does not exist (the board has %u: 0..%u)",
				c, b->nr_cpus, b->nr_cpus - 1);
		vm->vcpu_cpu[i] = c;
	}
	return parse_affinity(n, b, vm);
}

static enum kairos_err parse_images(const struct dtnode *n,
				    const struct board *b, struct vm_config *vm)
{
	enum kairos_err e = get_ram_range(n, b, "kernel", &vm->kernel);

	if (!e && has(n, "initrd"))
		e = get_ram_range(n, b, "initrd", &vm->initrd);
	if (!e && has(n, "dtb"))
		e = get_ram_range(n, b, "dtb", &vm->dtb);
	return e;
}

/*
 * The VM's own DTB: at most VM_DTB_MAX bytes, and a flattened device tree
 * (its header checked, which reads nothing past the header) whose
 * totalsize fits the range given. vm_boot() copies totalsize bytes.
 */
static enum kairos_err check_dtb(const struct ctx *c, const struct dtnode *n,
				 struct vm_config *vm)
{
	struct fdt_header h;
	int rc;

	if (!vm->dtb.size)
		return KAIROS_OK;
	if (vm->dtb.size > VM_DTB_MAX)
		return refuse(n->err, KAIROS_ERR_LIMIT, n->path, "dtb",
			      "%llu bytes, at most %llu",
			      (unsigned long long)vm->dtb.size,
			      (unsigned long long)VM_DTB_MAX);
	if (vm->dtb.size < sizeof(h))
		return refuse(n->err, KAIROS_ERR_MALFORMED, n->path, "dtb",
			      "%llu bytes, less than a device tree header (%zu)",
			      (unsigned long long)vm->dtb.size, sizeof(h));
	c->read(vm->dtb.base, &h, sizeof(h));
	rc = fdt_check_header(&h);
	if (rc)
		return refuse(n->err, KAIROS_ERR_MALFORMED, n->path, "dtb",
			      "not a flattened device tree at 0x%llx: %s",
			      (unsigned long long)pa_addr(vm->dtb.base),
			      fdt_strerror(rc));
	if (fdt_totalsize(&h) > vm->dtb.size)
		return refuse(
			n->err, KAIROS_ERR_MALFORMED, n->path, "dtb",
			"the tree's totalsize is %u bytes, more than the %llu given",
			fdt_totalsize(&h), (unsigned long long)vm->dtb.size);
	vm->dtb_size = fdt_totalsize(&h);
	return KAIROS_OK;
}

/*
 * The images laid out in the VM's RAM as vm_boot() will copy them, the
 * kernel's header read: refused, naming the image, when any does not fit.
 */
static enum kairos_err check_layout(const struct ctx *c, const struct dtnode *n,
				    struct vm_config *vm)
{
	uint8_t hdr[VM_KERNEL_HEADER_SIZE];
	size_t len = vm->kernel.size < sizeof(hdr) ? (size_t)vm->kernel.size :
						     sizeof(hdr);
	struct vm_images in = { .mem_size = vm->mem_size,
				.initrd_size = vm->initrd.size,
				.dtb_size = vm->dtb_size };
	struct vm_layout_err lerr;

	c->read(vm->kernel.base, hdr, len);
	vm_layout_kernel_header(hdr, len, vm->kernel.size, &in);
	if (!vm_layout_compute(&in, &vm->layout, &lerr))
		return refuse(n->err, KAIROS_ERR_LIMIT, n->path, lerr.prop,
			      "%s", lerr.msg);
	return KAIROS_OK;
}

/* ---- Passthrough devices and interrupts ---- */

static bool ranges_overlap(uint64_t a, uint64_t as, uint64_t b, uint64_t bs)
{
	return as && bs && a <= b + (bs - 1) && b <= a + (as - 1);
}

/* What a device range collides with, or NULL. */
static const char *device_conflict(const struct ctx *c,
				   const struct vm_config *vm, uint64_t a,
				   uint64_t sz)
{
	const struct board *b = c->b;
	const struct board_range kairos[] = { b->gic.dist, b->gic.cpu,
					      b->gic.hyp, b->gic.vcpu,
					      b->uart.reg };

	for (unsigned int i = 0; i < b->nr_mem; i++)
		if (ranges_overlap(a, sz, pa_addr(b->mem[i].base),
				   b->mem[i].size))
			return "RAM";
	for (size_t i = 0; i < ARRAY_SIZE(kairos); i++)
		if (ranges_overlap(a, sz, pa_addr(kairos[i].base),
				   kairos[i].size))
			return "a device Kairos uses (GIC, console)";
	for (unsigned int i = 0; i < b->gic.nr_redist; i++)
		if (ranges_overlap(a, sz, pa_addr(b->gic.redist[i].base),
				   b->gic.redist[i].size))
			return "a device Kairos uses (GIC, console)";
	/* IPA = PA: it must miss the guest's RAM and emulated windows. */
	if (ranges_overlap(a, sz, ipa_addr(vm->mem_ipa), vm->mem_size) ||
	    ranges_overlap(a, sz, 0, VIRT_UART + VIRT_UART_SIZE))
		return "the guest's RAM, flash, GIC or UART at that address";
	if (ranges_overlap(a, sz, VIRT_VIRTIO,
			   VIRT_VIRTIO_SIZE * VIRT_VIRTIO_COUNT))
		return "the guest's virtio-mmio transports at that address";
	if (ranges_overlap(a, sz, VIRT_SHMEM_DOORBELL,
			   VIRT_SHMEM_DOORBELL_SIZE * KAIROS_MAX_SHMEM))
		return "the guest's shared-memory doorbells at that address";
	if (ranges_overlap(a, sz, VIRT_PCI_ECAM, VIRT_PCI_ECAM_SIZE))
		return "the guest's PCI host (ECAM) at that address";
	for (unsigned int v = 0; v < c->cfg->nr_vms; v++)
		for (unsigned int k = 0; k < c->cfg->vms[v].nr_devices; k++)
			if (ranges_overlap(
				    a, sz,
				    pa_addr(c->cfg->vms[v].devices[k].reg.base),
				    c->cfg->vms[v].devices[k].reg.size))
				return "a device of another VM";
	return NULL;
}

static enum kairos_err
parse_devices(const struct ctx *c, const struct dtnode *n, struct vm_config *vm)
{
	int len;
	const fdt64_t *p = fdt_getprop(n->fdt, n->off, "devices", &len);

	if (!p)
		return KAIROS_OK;
	if (!len || len % 16 || len / 16 > VM_MAX_DEVICES)
		return refuse(
			n->err, KAIROS_ERR_MALFORMED, n->path, "devices",
			"%d bytes; want 1 to %d <base size> pairs (2 + 2 cells)",
			len, VM_MAX_DEVICES);
	for (int k = 0; k < len / 16; k++) {
		uint64_t a = fdt64_ld(p + 2L * k),
			 sz = fdt64_ld(p + 2L * k + 1);
		struct vm_device *d = &vm->devices[vm->nr_devices];
		const char *what;

		if (!sz || (a | sz) & 0xfff || sz - 1 > UINT64_MAX - a)
			return refuse(
				n->err, KAIROS_ERR_MALFORMED, n->path,
				"devices",
				"0x%llx size 0x%llx: not whole 4 KiB pages",
				(unsigned long long)a, (unsigned long long)sz);
		/* IPA = PA: the guest must be able to reach all of it. */
		if (sz > (1UL << S2_IPA_BITS) || a > (1UL << S2_IPA_BITS) - sz)
			return refuse(
				n->err, KAIROS_ERR_LIMIT, n->path, "devices",
				"0x%llx-0x%llx ends above the %u-bit IPA space stage 2 translates (0x%llx)",
				(unsigned long long)a,
				(unsigned long long)(a + sz - 1), S2_IPA_BITS,
				(unsigned long long)(1UL << S2_IPA_BITS));
		what = device_conflict(c, vm, a, sz);
		if (what)
			return refuse(n->err, KAIROS_ERR_MALFORMED, n->path,
				      "devices", "0x%llx-0x%llx overlaps %s",
				      (unsigned long long)a,
				      (unsigned long long)(a + sz - 1), what);
		d->reg = (struct board_range){ pa_init(a), sz };
		if (!board_find_device(c->fdt, c->b, d->reg.base, &d->dt))
			return refuse(
				n->err, KAIROS_ERR_MISSING, n->path, "devices",
				"0x%llx: no enabled device node of the board has its reg there",
				(unsigned long long)a);
		vm->nr_devices++;
	}
	return KAIROS_OK;
}

static bool irq_taken(const struct ctx *c, uint32_t intid)
{
	for (unsigned int v = 0; v < c->cfg->nr_vms; v++)
		for (unsigned int k = 0; k < c->cfg->vms[v].nr_irqs; k++)
			if (c->cfg->vms[v].irqs[k] == intid)
				return true;
	return intid == c->b->uart.intid;
}

static enum kairos_err parse_irqs(const struct ctx *c, const struct dtnode *n,
				  struct vm_config *vm)
{
	int len;
	const fdt32_t *p = fdt_getprop(n->fdt, n->off, "interrupts", &len);

	if (!p)
		return KAIROS_OK;
	if (!len || len % 4 || len / 4 > VM_MAX_IRQS)
		return refuse(n->err, KAIROS_ERR_MALFORMED, n->path,
			      "interrupts", "%d bytes; want 1 to %d INTIDs",
			      len, VM_MAX_IRQS);
	for (int k = 0; k < len / 4; k++) {
		uint32_t id = fdt32_ld(p + k);

		if (id < VGIC_NR_PRIVATE || id >= VGIC_NR_IRQS)
			return refuse(
				n->err, KAIROS_ERR_MALFORMED, n->path,
				"interrupts",
				"INTID %u is not an SPI Kairos can pass (32..%u)",
				id, VGIC_NR_IRQS - 1);
		for (unsigned int i = 0; i < vm->nr_irqs; i++)
			if (vm->irqs[i] == id)
				return refuse(n->err, KAIROS_ERR_MALFORMED,
					      n->path, "interrupts",
					      "INTID %u given twice", id);
		if (irq_taken(c, id))
			return refuse(
				n->err, KAIROS_ERR_MALFORMED, n->path,
				"interrupts",
				"INTID %u is already Kairos's or another VM's",
				id);
		vm->irqs[vm->nr_irqs++] = id;
	}
	return KAIROS_OK;
}

/* checkpoint-slots (optional, default 4): how the store is cut. */
static enum kairos_err parse_slots(struct ctx *c, const struct dtnode *n)
{
	struct sys_config *cfg = c->cfg;
	uint32_t nr = 4;
	enum kairos_err e = KAIROS_OK;

	if (has(n, "checkpoint-slots")) {
		if (!cfg->ckpt_store.size)
			return refuse(c->err, KAIROS_ERR_MALFORMED, n->path,
				      "checkpoint-slots",
				      "given without checkpoint-store");
		e = get_u32(n, "checkpoint-slots", &nr);
		if (e)
			return e;
		if (nr < 1 || nr > CKPT_MAX_SLOTS)
			return refuse(c->err, KAIROS_ERR_MALFORMED, n->path,
				      "checkpoint-slots", "%u is not in 1..%d",
				      nr, CKPT_MAX_SLOTS);
	}
	if (nr && cfg->ckpt_store.size &&
	    cfg->ckpt_store.size / nr < CKPT_MIN_SLOT_SIZE)
		e = refuse(c->err, KAIROS_ERR_MALFORMED, n->path,
			   has(n, "checkpoint-slots") ? "checkpoint-slots" :
							"checkpoint-store",
			   "%u slots of %llu bytes: a slot needs at least 1 MiB",
			   nr, (unsigned long long)(cfg->ckpt_store.size / nr));
	cfg->ckpt_slots = cfg->ckpt_store.size ? nr : 0;
	return e;
}

/* resume-from (optional): the slot a VM resumes from at boot. */
static enum kairos_err parse_resume(struct ctx *c, const struct dtnode *n,
				    struct vm_config *vm)
{
	uint32_t slot = 0;
	enum kairos_err e;

	vm->resume_from = -1;
	vm->resume_fallback_cold = false;
	if (has(n, "resume-fallback")) {
		char fallback[8];

		e = get_str(n, "resume-fallback", fallback, sizeof(fallback),
			    KAIROS_ERR_MALFORMED);
		if (e)
			return e;
		if (strcmp(fallback, "cold") != 0 &&
		    strcmp(fallback, "none") != 0)
			return refuse(c->err, KAIROS_ERR_MALFORMED, n->path,
				      "resume-fallback",
				      "\"%s\" is neither \"cold\" nor \"none\"",
				      fallback);
		vm->resume_fallback_cold = strcmp(fallback, "cold") == 0;
	}
	if (!has(n, "resume-from"))
		return KAIROS_OK;
	e = get_u32(n, "resume-from", &slot);
	if (e)
		return e;
	if (!c->cfg->ckpt_slots)
		return refuse(c->err, KAIROS_ERR_MALFORMED, n->path,
			      "resume-from",
			      "the system has no checkpoint-store");
	if (slot >= c->cfg->ckpt_slots)
		return refuse(c->err, KAIROS_ERR_MALFORMED, n->path,
			      "resume-from",
			      "slot %u does not exist (%u slots)", slot,
			      c->cfg->ckpt_slots);
	vm->resume_from = (int)slot;
	return KAIROS_OK;
}

/*
 * checkpoint-crc (optional): "after-release" (default), the image's CRC
 * folded by a task once the VM runs again, or "fused", in the copy while
 * the VM is held (docs/checkpoint.md).
 */
static enum kairos_err parse_ckpt_crc(const struct dtnode *n,
				      struct vm_config *vm)
{
	char mode[16];
	enum kairos_err e;

	vm->ckpt_crc_fused = false;
	if (!has(n, "checkpoint-crc"))
		return KAIROS_OK;
	e = get_str(n, "checkpoint-crc", mode, sizeof(mode),
		    KAIROS_ERR_MALFORMED);
	if (e)
		return e;
	if (strcmp(mode, "fused") != 0 && strcmp(mode, "after-release") != 0)
		return refuse(
			n->err, KAIROS_ERR_MALFORMED, n->path, "checkpoint-crc",
			"\"%s\" is neither \"after-release\" nor \"fused\"",
			mode);
	vm->ckpt_crc_fused = strcmp(mode, "fused") == 0;
	return KAIROS_OK;
}

static enum kairos_err parse_vm(struct ctx *c, int off, struct vm_config *vm)
{
	struct dtnode n = { c->fdt, off, vm->path, c->err };
	uint32_t prio = 1;
	enum kairos_err e = KAIROS_OK;

	if (fdt_get_path(c->fdt, off, vm->path, sizeof(vm->path)) < 0)
		return refuse(c->err, KAIROS_ERR_LIMIT, "/hypervisor", NULL,
			      "a VM node's path is longer than %zu characters",
			      sizeof(vm->path) - 1);
	e = parse_name(&n, vm);
	if (!e)
		e = parse_profile(&n, vm);
	if (!e)
		e = parse_memory(&n, c->b, vm);
	if (!e)
		e = parse_cpus(&n, c->b, vm);
	if (!e && has(&n, "priority"))
		e = get_u32(&n, "priority", &prio);
	if (!e && prio > 255)
		e = refuse(c->err, KAIROS_ERR_MALFORMED, vm->path, "priority",
			   "%u is not in 0..255", prio);
	vm->priority = prio;
	vm->fault_loop_limit = VM_FAULT_LOOP_LIMIT_DEFAULT;
	if (!e && has(&n, "fault-loop-limit"))
		e = get_u32(&n, "fault-loop-limit", &vm->fault_loop_limit);
	if (!e)
		e = parse_images(&n, c->b, vm);
	if (!e && has(&n, "bootargs"))
		e = get_str(&n, "bootargs", vm->bootargs, sizeof(vm->bootargs),
			    KAIROS_ERR_LIMIT);
	if (!e)
		e = parse_devices(c, &n, vm);
	if (!e)
		e = parse_irqs(c, &n, vm);
	if (!e)
		e = parse_resume(c, &n, vm);
	if (!e)
		e = parse_ckpt_crc(&n, vm);
	if (!e)
		e = check_dtb(c, &n, vm);
	if (!e)
		e = check_layout(c, &n, vm);
	return e;
}

/* ---- The /hypervisor node ---- */

static enum kairos_err check_cells(const struct dtnode *n, const char *prop)
{
	uint32_t v = 0;
	enum kairos_err e = get_u32(n, prop, &v);

	if (!e && v != 2)
		return refuse(n->err, KAIROS_ERR_MALFORMED, n->path, prop,
			      "%u, must be 2", v);
	return e;
}

static enum kairos_err parse_hv(struct ctx *c, const struct dtnode *n)
{
	enum kairos_err e = KAIROS_OK;

	if (!has(n, "compatible"))
		return missing(n, "compatible");
	if (fdt_node_check_compatible(c->fdt, n->off, "kairos,hypervisor"))
		return refuse(c->err, KAIROS_ERR_UNSUPPORTED, n->path,
			      "compatible", "not \"kairos,hypervisor\"");
	e = check_cells(n, "#address-cells");
	if (!e)
		e = check_cells(n, "#size-cells");
	if (!e && has(n, "checkpoint-store"))
		e = get_ram_range(n, c->b, "checkpoint-store",
				  &c->cfg->ckpt_store);
	return e ? e : parse_slots(c, n);
}

static bool is_vm_node(const void *fdt, int off)
{
	const char *name = fdt_get_name(fdt, off, NULL);

	return name && (!strcmp(name, "vm") || !strncmp(name, "vm@", 3));
}

static bool is_shmem_node(const void *fdt, int off)
{
	const char *name = fdt_get_name(fdt, off, NULL);

	return name && !strncmp(name, "shmem@", 6);
}

/* The N of a "vm@N" path (hex, as unit addresses are), 0 for "vm". */
static unsigned long unit_address(const struct vm_config *vm)
{
	const char *at = strrchr(vm->path, '@');

	return at ? strtoul(at + 1, NULL, 16) : 0;
}

/*
 * VMs are numbered by unit address, not by node order: applying an
 * overlay (fdtoverlay, U-Boot's fdt apply) puts new nodes in front of
 * their siblings, reversing them. Insertion sort: a handful of VMs.
 */
static void sort_by_unit_address(struct sys_config *cfg)
{
	static struct vm_config tmp;

	for (unsigned int i = 1; i < cfg->nr_vms; i++) {
		unsigned int k = i;

		tmp = cfg->vms[i];
		for (; k && unit_address(&cfg->vms[k - 1]) > unit_address(&tmp);
		     k--)
			cfg->vms[k] = cfg->vms[k - 1];
		cfg->vms[k] = tmp;
	}
}

/* After sorting, so the VM with the higher unit address is blamed. */
static enum kairos_err check_unique_names(struct ctx *c)
{
	const struct sys_config *cfg = c->cfg;

	for (unsigned int i = 1; i < cfg->nr_vms; i++) {
		const struct vm_config *vm = &cfg->vms[i];
		struct dtnode n = { c->fdt, board_dt_path(c->fdt, vm->path),
				    vm->path, c->err };

		for (unsigned int k = 0; k < i; k++)
			if (!strcmp(cfg->vms[k].name, vm->name))
				return refuse(c->err, KAIROS_ERR_MALFORMED,
					      vm->path, name_prop(&n),
					      "\"%s\" is already the name of %s",
					      vm->name, cfg->vms[k].path);
	}
	return KAIROS_OK;
}

static enum kairos_err parse_vms(struct ctx *c, int hv)
{
	struct sys_config *cfg = c->cfg;
	int off;

	fdt_for_each_subnode(off, c->fdt, hv) {
		struct vm_config *vm = &cfg->vms[cfg->nr_vms];
		const char *name = fdt_get_name(c->fdt, off, NULL);
		enum kairos_err e;

		if (is_shmem_node(c->fdt, off))
			continue; /* parse_shmems(), once VMs have indexes */
		if (!is_vm_node(c->fdt, off))
			return refuse(
				c->err, KAIROS_ERR_UNSUPPORTED, "/hypervisor",
				NULL,
				"unknown node \"%s\" (VMs are vm@N, regions shmem@N)",
				name ? name : "?");
		if (cfg->nr_vms == KAIROS_MAX_VMS)
			return refuse(c->err, KAIROS_ERR_LIMIT, "/hypervisor",
				      NULL, "%s: more than %d VMs", name,
				      KAIROS_MAX_VMS);
		e = parse_vm(c, off, vm);
		if (e)
			return e;
		cfg->nr_vms++;
	}
	sort_by_unit_address(cfg);
	return check_unique_names(c);
}

/* ---- Shared-memory regions (docs/shmem.md) ---- */

/*
 * The VM whose checkpoint captures region @s: its checkpoint-with VM,
 * else its only writer, else none (-1).
 */
static int shmem_owner(const struct shmem_config *s)
{
	int writer = -1;

	if (s->ckpt_with >= 0)
		return s->ckpt_with;
	for (unsigned int p = 0; p < SHMEM_MAX_PEERS; p++) {
		if (!s->peers[p].present || s->peers[p].ro)
			continue;
		if (writer >= 0)
			return -1;
		writer = (int)s->peers[p].vm;
	}
	return writer;
}

/* Regions are mapped page by page: their size, host and IPAs. */
#define SHMEM_ALIGN 0x1000UL

/* The hex unit address of node @off (after '@'), or -1 without one. */
static long node_unit(const void *fdt, int off)
{
	const char *name = fdt_get_name(fdt, off, NULL);
	const char *at = name ? strchr(name, '@') : NULL;
	char *end;
	unsigned long v;

	if (!at || !at[1])
		return -1;
	v = strtoul(at + 1, &end, 16);
	return *end || v > 0xffff ? -1 : (long)v;
}

/* A 64-bit value in 2 cells. */
static enum kairos_err get_u64(const struct dtnode *n, const char *prop,
			       uint64_t *v)
{
	int len;
	const fdt64_t *p = fdt_getprop(n->fdt, n->off, prop, &len);

	if (!p)
		return missing(n, prop);
	if (len != 8)
		return refuse(n->err, KAIROS_ERR_MALFORMED, n->path, prop,
			      "%d bytes, want 2 cells", len);
	*v = fdt64_ld(p);
	return KAIROS_OK;
}

/* The index of the VM called @name, or -1. */
static int vm_named(const struct sys_config *cfg, const char *name)
{
	for (unsigned int i = 0; i < cfg->nr_vms; i++)
		if (!strcmp(cfg->vms[i].name, name))
			return (int)i;
	return -1;
}

/* What guest range [@a, @a + @sz) of @vm collides with, or NULL. */
static const char *shmem_ipa_conflict(const struct ctx *c, unsigned int vmi,
				      uint64_t a, uint64_t sz)
{
	const struct vm_config *vm = &c->cfg->vms[vmi];

	if (ranges_overlap(a, sz, ipa_addr(vm->mem_ipa), vm->mem_size))
		return "its memory";
	for (unsigned int k = 0; k < vm->nr_devices; k++)
		if (ranges_overlap(a, sz, pa_addr(vm->devices[k].reg.base),
				   vm->devices[k].reg.size))
			return "one of its devices";
	for (unsigned int r = 0; r < c->cfg->nr_shmem; r++)
		for (unsigned int p = 0; p < SHMEM_MAX_PEERS; p++) {
			const struct shmem_config *s = &c->cfg->shmem[r];

			if (s->peers[p].present && s->peers[p].vm == vmi &&
			    ranges_overlap(a, sz, ipa_addr(s->peers[p].ipa),
					   s->size))
				return "another shared-memory region it sees";
		}
	return NULL;
}

/* The guest address of a peer: whole pages in the VM's IPA space. */
static enum kairos_err shmem_ipa(const struct ctx *c, const struct dtnode *n,
				 unsigned int vmi, uint64_t size, uint64_t *ipa)
{
	const char *what;
	enum kairos_err e = get_u64(n, "ipa", ipa);

	if (e)
		return e;
	if (*ipa & (SHMEM_ALIGN - 1))
		return refuse(n->err, KAIROS_ERR_MALFORMED, n->path, "ipa",
			      "0x%llx is not 4 KiB aligned",
			      (unsigned long long)*ipa);
	if (*ipa < VIRT_RAM)
		return refuse(
			n->err, KAIROS_ERR_MALFORMED, n->path, "ipa",
			"0x%llx is below 0x%lx, where the virt profile's devices are",
			(unsigned long long)*ipa, VIRT_RAM);
	if (size > (1UL << S2_IPA_BITS) || *ipa > (1UL << S2_IPA_BITS) - size)
		return refuse(
			n->err, KAIROS_ERR_LIMIT, n->path, "ipa",
			"0x%llx + 0x%llx ends above the %u-bit IPA space stage 2 translates",
			(unsigned long long)*ipa, (unsigned long long)size,
			S2_IPA_BITS);
	what = shmem_ipa_conflict(c, vmi, *ipa, size);
	if (what)
		return refuse(n->err, KAIROS_ERR_MALFORMED, n->path, "ipa",
			      "0x%llx-0x%llx overlaps %s in %s",
			      (unsigned long long)*ipa,
			      (unsigned long long)(*ipa + size - 1), what,
			      c->cfg->vms[vmi].path);
	return KAIROS_OK;
}

/* The VM of a peer: configured, not twice in the region. */
static enum kairos_err shmem_peer_vm(const struct ctx *c,
				     const struct dtnode *n,
				     const struct shmem_config *s,
				     unsigned int rix, int *vmi)
{
	char name[VM_NAME_MAX];
	enum kairos_err e =
		get_str(n, "vm", name, sizeof(name), KAIROS_ERR_MALFORMED);

	if (e)
		return e;
	*vmi = vm_named(c->cfg, name);
	if (*vmi < 0)
		return refuse(n->err, KAIROS_ERR_MALFORMED, n->path, "vm",
			      "no VM is called \"%s\"", name);
	for (unsigned int p = 0; p < SHMEM_MAX_PEERS; p++)
		if (s->peers[p].present && s->peers[p].vm == (unsigned int)*vmi)
			return refuse(n->err, KAIROS_ERR_MALFORMED, n->path,
				      "vm", "\"%s\" is peer@%u of %s already",
				      name, p, s->path);
	/* The VM's doorbell and INTx SPIs must be free for the region. */
	for (unsigned int k = 0; k < c->cfg->vms[*vmi].nr_irqs; k++)
		if (c->cfg->vms[*vmi].irqs[k] == VIRT_SHMEM_INTID + rix ||
		    c->cfg->vms[*vmi].irqs[k] == VIRT_PCI_INTX_INTID + rix)
			return refuse(
				n->err, KAIROS_ERR_MALFORMED, n->path, "vm",
				"INTID %u, the %s of %s, is passed through to %s",
				c->cfg->vms[*vmi].irqs[k],
				c->cfg->vms[*vmi].irqs[k] ==
						VIRT_SHMEM_INTID + rix ?
					"doorbell" :
					"PCI INTx",
				s->path, c->cfg->vms[*vmi].path);
	return KAIROS_OK;
}

/* access = "rw" (default) or "ro". */
static enum kairos_err shmem_access(const struct dtnode *n, bool *ro)
{
	char acc[4];
	enum kairos_err e;

	*ro = false;
	if (!has(n, "access"))
		return KAIROS_OK;
	e = get_str(n, "access", acc, sizeof(acc), KAIROS_ERR_MALFORMED);
	if (!e && strcmp(acc, "rw") != 0 && strcmp(acc, "ro") != 0)
		e = refuse(n->err, KAIROS_ERR_MALFORMED, n->path, "access",
			   "\"%s\" is neither \"rw\" nor \"ro\"", acc);
	*ro = !e && !strcmp(acc, "ro");
	return e;
}

/* One peer@N node of region @rix: doorbell index N. */
static enum kairos_err parse_shmem_peer(struct ctx *c, int off,
					struct shmem_config *s,
					unsigned int rix)
{
	char path[96];
	struct dtnode n = { c->fdt, off, path, c->err };
	const char *name = fdt_get_name(c->fdt, off, NULL);
	long idx = node_unit(c->fdt, off);
	uint64_t ipa = 0;
	int vmi = -1;
	bool ro = false;
	enum kairos_err e;

	if (fdt_get_path(c->fdt, off, path, sizeof(path)) < 0)
		return refuse(c->err, KAIROS_ERR_LIMIT, s->path, NULL,
			      "a peer node's path is too long");
	if (!name || strncmp(name, "peer@", 5) != 0 || idx < 0 ||
	    idx >= SHMEM_MAX_PEERS)
		return refuse(c->err, KAIROS_ERR_MALFORMED, s->path, NULL,
			      "node \"%s\": want peer@0 .. peer@%d",
			      name ? name : "?", SHMEM_MAX_PEERS - 1);
	if (s->peers[idx].present)
		return refuse(c->err, KAIROS_ERR_MALFORMED, path, NULL,
			      "doorbell index %ld given twice", idx);
	e = shmem_peer_vm(c, &n, s, rix, &vmi);
	if (!e)
		e = shmem_ipa(c, &n, (unsigned int)vmi, s->size, &ipa);
	if (!e)
		e = shmem_access(&n, &ro);
	if (e)
		return e;
	s->peers[idx] = (struct shmem_peer){ (unsigned int)vmi, ipa_init(ipa),
					     ro, true };
	s->nr_peers++;
	return KAIROS_OK;
}

/* size, host: whole pages; host in RAM (checked against the rest later). */
static enum kairos_err shmem_size_host(const struct ctx *c,
				       const struct dtnode *n,
				       struct shmem_config *s)
{
	uint64_t host = 0;
	enum kairos_err e = get_u64(n, "size", &s->size);

	if (!e && !s->size)
		e = refuse(n->err, KAIROS_ERR_MALFORMED, n->path, "size",
			   "0: a region needs at least one 4 KiB page");
	if (!e && s->size & (SHMEM_ALIGN - 1))
		e = refuse(n->err, KAIROS_ERR_MALFORMED, n->path, "size",
			   "0x%llx is not a multiple of 4 KiB",
			   (unsigned long long)s->size);
	if (e || !has(n, "host"))
		return e;
	e = get_u64(n, "host", &host);
	if (!e && host & (SHMEM_ALIGN - 1))
		e = refuse(n->err, KAIROS_ERR_MALFORMED, n->path, "host",
			   "0x%llx is not 4 KiB aligned",
			   (unsigned long long)host);
	if (!e && (s->size - 1 > UINT64_MAX - host ||
		   !board_in_ram(c->b, pa_init(host), s->size)))
		e = not_in_ram(n, "host",
			       (struct board_range){ pa_init(host), s->size });
	s->host = pa_init(host);
	s->host_fixed = !e;
	return e;
}

/* checkpoint-with (optional): a participant's name (docs/shmem.md). */
static enum kairos_err shmem_ckpt_with(const struct ctx *c,
				       const struct dtnode *n,
				       struct shmem_config *s)
{
	char name[VM_NAME_MAX];
	enum kairos_err e;
	int vmi;

	s->ckpt_with = -1;
	if (!has(n, "checkpoint-with"))
		return KAIROS_OK;
	e = get_str(n, "checkpoint-with", name, sizeof(name),
		    KAIROS_ERR_MALFORMED);
	if (e)
		return e;
	vmi = vm_named(c->cfg, name);
	for (unsigned int p = 0; vmi >= 0 && p < SHMEM_MAX_PEERS; p++)
		if (s->peers[p].present && s->peers[p].vm == (unsigned int)vmi)
			s->ckpt_with = vmi;
	if (s->ckpt_with < 0)
		return refuse(n->err, KAIROS_ERR_MALFORMED, n->path,
			      "checkpoint-with",
			      "\"%s\" is not a participant of the region",
			      name);
	return KAIROS_OK;
}

/*
 * Only the VM whose checkpoint captures the region may resume from one:
 * another participant's image would not hold the region (docs/shmem.md).
 */
static enum kairos_err shmem_resumers(const struct ctx *c,
				      const struct dtnode *n,
				      const struct shmem_config *s)
{
	int owner = shmem_owner(s);

	for (unsigned int p = 0; p < SHMEM_MAX_PEERS; p++) {
		const struct vm_config *vm = &c->cfg->vms[s->peers[p].vm];

		if (!s->peers[p].present || vm->resume_from < 0 ||
		    (int)s->peers[p].vm == owner)
			continue;
		if (owner < 0)
			return refuse(
				n->err, KAIROS_ERR_UNSUPPORTED, n->path,
				"checkpoint-with",
				"%s resumes from a checkpoint (resume-from), but the region has several writers and no checkpoint-with",
				vm->path);
		return refuse(
			n->err, KAIROS_ERR_UNSUPPORTED, n->path, "vm",
			"%s resumes from a checkpoint (resume-from), but the region is checkpointed with %s",
			vm->path, c->cfg->vms[owner].path);
	}
	return KAIROS_OK;
}

static enum kairos_err parse_shmem(struct ctx *c, int off, unsigned int rix)
{
	struct shmem_config *s = &c->cfg->shmem[rix];
	struct dtnode n = { c->fdt, off, s->path, c->err };
	enum kairos_err e;
	int sub;

	if (fdt_get_path(c->fdt, off, s->path, sizeof(s->path)) < 0)
		return refuse(
			c->err, KAIROS_ERR_LIMIT, "/hypervisor", NULL,
			"a shmem node's path is longer than %zu characters",
			sizeof(s->path) - 1);
	e = shmem_size_host(c, &n, s);
	fdt_for_each_subnode(sub, c->fdt, off) {
		if (e)
			break;
		e = parse_shmem_peer(c, sub, s, rix);
	}
	if (!e && !s->nr_peers)
		e = refuse(c->err, KAIROS_ERR_MISSING, s->path, NULL,
			   "no peer@N nodes: a region needs a participant");
	if (!e)
		e = shmem_ckpt_with(c, &n, s);
	return e ? e : shmem_resumers(c, &n, s);
}

/* shmem@N nodes in unit-address order (as VMs: overlays reverse nodes). */
static enum kairos_err parse_shmems(struct ctx *c, int hv)
{
	int order[KAIROS_MAX_SHMEM], off, nr = 0;

	fdt_for_each_subnode(off, c->fdt, hv) {
		int k;

		if (!is_shmem_node(c->fdt, off))
			continue;
		if (nr == KAIROS_MAX_SHMEM)
			return refuse(c->err, KAIROS_ERR_LIMIT, "/hypervisor",
				      NULL, "%s: more than %d shmem regions",
				      fdt_get_name(c->fdt, off, NULL),
				      KAIROS_MAX_SHMEM);
		for (k = nr; k && node_unit(c->fdt, order[k - 1]) >
					  node_unit(c->fdt, off);
		     k--)
			order[k] = order[k - 1];
		order[k] = off;
		nr++;
	}
	for (int i = 0; i < nr; i++) {
		enum kairos_err e = parse_shmem(c, order[i], (unsigned int)i);

		if (e)
			return e;
		c->cfg->nr_shmem++;
	}
	return KAIROS_OK;
}

/* Once every region has its host: what each participant VM sees. */
static void shmem_fill_vms(struct sys_config *cfg)
{
	for (unsigned int r = 0; r < cfg->nr_shmem; r++) {
		const struct shmem_config *s = &cfg->shmem[r];

		for (unsigned int p = 0; p < SHMEM_MAX_PEERS; p++) {
			struct vm_config *vm;
			struct vm_shmem *m;

			if (!s->peers[p].present)
				continue;
			vm = &cfg->vms[s->peers[p].vm];
			m = &vm->shmem[vm->nr_shmem++];
			*m = (struct vm_shmem){ .region = r,
						.index = p,
						.ipa = s->peers[p].ipa,
						.host = s->host,
						.size = s->size,
						.ro = s->peers[p].ro };
			for (unsigned int q = 0; q < SHMEM_MAX_PEERS; q++) {
				m->peer_vm[q] = s->peers[q].present ?
							(int)s->peers[q].vm :
							-1;
				m->peer_ro[q] = s->peers[q].ro;
			}
			m->owner = shmem_owner(s);
		}
	}
}

/* ---- What occupies host RAM ---- */

/* The first entry of the list that @r overlaps, or NULL. */
static const struct taken *first_overlap(const struct ctx *c,
					 struct board_range r, bool reserved)
{
	for (unsigned int i = 0; i < c->nr_taken; i++)
		if ((reserved || !c->taken[i].reserved) &&
		    overlap(r, c->taken[i].r))
			return &c->taken[i];
	return NULL;
}

/*
 * Add @r (@what of @owner) to the list. Refused, naming @path's @prop, when
 * it overlaps an entry already there; the board's reserved memory counts
 * only for VM memory (@reserved), which a guest could write.
 */
static enum kairos_err take(struct ctx *c, struct board_range r,
			    const char *what, const char *owner,
			    const char *path, const char *prop, bool reserved)
{
	const struct taken *t = first_overlap(c, r, reserved);

	if (t)
		return refuse(c->err, KAIROS_ERR_MALFORMED, path, prop,
			      "0x%llx-0x%llx overlaps %s%s%s%s (0x%llx-0x%llx)",
			      (unsigned long long)pa_addr(r.base),
			      (unsigned long long)last_of(r),
			      t->owner ? "the " : "", t->what,
			      t->owner ? " of " : "", t->owner ? t->owner : "",
			      (unsigned long long)pa_addr(t->r.base),
			      (unsigned long long)last_of(t->r));
	if (r.size)
		c->taken[c->nr_taken++] =
			(struct taken){ r, what, owner, false };
	return KAIROS_OK;
}

static enum kairos_err take_images(struct ctx *c, const struct vm_config *vm)
{
	enum kairos_err e = take(c, vm->kernel, "kernel", vm->path, vm->path,
				 "kernel", false);

	if (!e)
		e = take(c, vm->initrd, "initrd", vm->path, vm->path, "initrd",
			 false);
	if (!e)
		e = take(c, vm->dtb, "dtb", vm->path, vm->path, "dtb", false);
	return e;
}

static struct board_range vm_host_range(const struct vm_config *vm)
{
	return (struct board_range){ vm->mem_host, vm->mem_size };
}

static struct board_range shmem_host_range(const struct shmem_config *s)
{
	return (struct board_range){ s->host, s->size };
}

/* Everything but the VMs to place, in the order messages name them. */
static enum kairos_err take_fixed(struct ctx *c, const struct config_busy *busy,
				  unsigned int nr_busy)
{
	struct sys_config *cfg = c->cfg;
	enum kairos_err e = KAIROS_OK;

	for (unsigned int i = 0; i < nr_busy; i++)
		c->taken[c->nr_taken++] = (struct taken){
			busy[i].r, busy[i].what ? busy[i].what : "a busy range",
			NULL, false
		};
	for (unsigned int i = 0; i < c->b->nr_reserved; i++)
		c->taken[c->nr_taken++] = (struct taken){ c->b->reserved[i],
							  "reserved memory",
							  NULL, true };
	e = take(c, cfg->ckpt_store, "the checkpoint store", NULL,
		 "/hypervisor", "checkpoint-store", true);
	for (unsigned int i = 0; !e && i < cfg->nr_vms; i++)
		e = take_images(c, &cfg->vms[i]);
	for (unsigned int i = 0; !e && i < cfg->nr_vms; i++) {
		const struct vm_config *vm = &cfg->vms[i];

		if (vm->mem_host_fixed)
			e = take(c, vm_host_range(vm), "memory", vm->path,
				 vm->path, "memory-host", true);
	}
	for (unsigned int i = 0; !e && i < cfg->nr_shmem; i++)
		if (cfg->shmem[i].host_fixed)
			e = take(c, shmem_host_range(&cfg->shmem[i]),
				 "shared memory", cfg->shmem[i].path,
				 cfg->shmem[i].path, "host", true);
	return e;
}

/*
 * The highest 2 MiB-aligned base for @size bytes in @bank that overlaps no
 * entry of the list. Going down from the top, each overlap moves the
 * candidate below the entry it hit: every base in between overlaps it too.
 */
static bool place_in(const struct ctx *c, struct board_range bank,
		     uint64_t size, uint64_t *at)
{
	uint64_t lo = ALIGN_UP(pa_addr(bank.base), VM_MEM_ALIGN);
	uint64_t top = last_of(bank), cand;

	if (top - pa_addr(bank.base) < size - 1)
		return false;
	cand = ALIGN_DOWN(top - (size - 1), VM_MEM_ALIGN);
	while (cand >= lo) {
		struct board_range r = { pa_init(cand), size };
		const struct taken *t = first_overlap(c, r, true);

		if (!t) {
			*at = cand;
			return true;
		}
		if (pa_addr(t->r.base) < size)
			return false;
		cand = ALIGN_DOWN(pa_addr(t->r.base) - size, VM_MEM_ALIGN);
	}
	return false;
}

/* The highest free base for @size bytes over all RAM banks. */
static bool place_best(const struct ctx *c, uint64_t size, uint64_t *best)
{
	bool found = false;

	for (unsigned int i = 0; i < c->b->nr_mem; i++) {
		uint64_t at;

		if (place_in(c, c->b->mem[i], size, &at) &&
		    (!found || at > *best)) {
			*best = at;
			found = true;
		}
	}
	return found;
}

static enum kairos_err place(struct ctx *c, struct vm_config *vm)
{
	uint64_t best = 0;

	if (!place_best(c, vm->mem_size, &best))
		return refuse(
			c->err, KAIROS_ERR_LIMIT, vm->path, "memory",
			"no free RAM for 0x%llx bytes (give memory-host or less memory)",
			(unsigned long long)vm->mem_size);
	vm->mem_host = pa_init(best);
	return take(c, vm_host_range(vm), "memory", vm->path, vm->path,
		    "memory", true);
}

static enum kairos_err place_shmem(struct ctx *c, struct shmem_config *s)
{
	uint64_t best = 0;

	if (!place_best(c, s->size, &best))
		return refuse(c->err, KAIROS_ERR_LIMIT, s->path, "size",
			      "no free RAM for 0x%llx bytes (give host)",
			      (unsigned long long)s->size);
	s->host = pa_init(best);
	return take(c, shmem_host_range(s), "shared memory", s->path, s->path,
		    "size", true);
}

enum kairos_err config_parse(const void *fdt, const struct board *b,
			     const struct config_busy *busy,
			     unsigned int nr_busy, config_read_fn read,
			     struct sys_config *cfg, struct board_err *err)
{
	static struct ctx c; /* ~2 KiB, off the EL2 stack; boot CPU only */
	int hv = board_dt_path(fdt, "/hypervisor");
	struct dtnode n = { fdt, hv, "/hypervisor", err };
	enum kairos_err e;

	memset(cfg, 0, sizeof(*cfg));
	if (hv == -FDT_ERR_NOTFOUND)
		return KAIROS_OK;
	if (hv < 0)
		return refuse(err, KAIROS_ERR_MALFORMED, "/hypervisor", NULL,
			      "device tree unreadable: %s", fdt_strerror(hv));
	if (nr_busy > CONFIG_MAX_BUSY)
		return refuse(err, KAIROS_ERR_LIMIT, "/hypervisor", NULL,
			      "%u busy ranges, at most %d", nr_busy,
			      CONFIG_MAX_BUSY);
	c = (struct ctx){ .fdt = fdt,
			  .b = b,
			  .read = read,
			  .cfg = cfg,
			  .err = err };
	e = parse_hv(&c, &n);
	if (!e)
		e = parse_vms(&c, hv);
	if (!e)
		e = parse_shmems(&c, hv);
	if (!e)
		e = take_fixed(&c, busy, nr_busy);
	for (unsigned int i = 0; !e && i < cfg->nr_vms; i++)
		if (!cfg->vms[i].mem_host_fixed)
			e = place(&c, &cfg->vms[i]);
	for (unsigned int i = 0; !e && i < cfg->nr_shmem; i++)
		if (!cfg->shmem[i].host_fixed)
			e = place_shmem(&c, &cfg->shmem[i]);
	if (!e)
		shmem_fill_vms(cfg);
	return e;
}
