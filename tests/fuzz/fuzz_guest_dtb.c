// SPDX-License-Identifier: MIT
/*
 * libFuzzer target of the guest device-tree generator (make fuzz,
 * mk/fuzz.mk): guest_dtb_build() with parameters read from the input -
 * memory, vCPU count and MPIDRs, GIC version, timer frequency, initrd,
 * passthrough devices as board_find_device() describes them, bootargs -
 * into a buffer of a fuzzed size, allocated to exactly that size so that
 * AddressSanitizer catches a write one byte past its end.
 *
 * What it must do: refuse what config.c could never pass (vCPUs outside
 * 1..8, a GIC other than 2 or 3, a frequency over 32 bits) with
 * KAIROS_ERR_MALFORMED; say KAIROS_ERR_LIMIT when the buffer is too small,
 * never when it has GUEST_DTB_MAX bytes (the tree stays within
 * GUEST_DTB_FIXED_MAX besides its bootargs); and otherwise write a tree that
 * fdt_check_full() accepts within the buffer, that describes what it was
 * given (memory, CPUs, bootargs, initrd, devices), and that depends on
 * the parameters only (built again over other bytes: the same tree).
 */
#include <kairos/compiler.h>
#include <kairos/guest_dtb.h>
#include <libfdt.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The room vm.c gives a generated tree; the most it needs but bootargs. */
#define DTB_MAX ((size_t)GUEST_DTB_MAX)
#define DTB_FIXED_MAX ((size_t)GUEST_DTB_FIXED_MAX)

/* The input, read front to back; zeros once it runs out. */
struct reader {
	const uint8_t *p;
	size_t left;
};

static uint64_t take(struct reader *r, unsigned int bytes)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < bytes; i++) {
		v = v << 8 | (r->left ? *r->p : 0);
		if (r->left) {
			r->p++;
			r->left--;
		}
	}
	return v;
}

struct input {
	struct guest_dtb_params p;
	struct vm_device dev[VM_MAX_DEVICES];
	char bootargs[VM_BOOTARGS_MAX];
	size_t len; /* the buffer's size */
};

static void read_devices(struct reader *r, struct input *in)
{
	in->p.nr_devices = (unsigned int)take(r, 1) % (VM_MAX_DEVICES + 1);
	for (unsigned int k = 0; k < in->p.nr_devices; k++) {
		struct vm_device *d = &in->dev[k];

		d->reg.base = pa_init(take(r, 8));
		d->reg.size = take(r, 8);
		d->dt.intid = (uint32_t)take(r, 2);
		d->dt.primecell = take(r, 1) & 1;
		/* board_find_device() copies at most sizeof(compat). */
		d->dt.compat_len =
			(uint32_t)take(r, 1) % (sizeof(d->dt.compat) + 1);
		for (uint32_t i = 0; i < d->dt.compat_len; i++)
			d->dt.compat[i] = (char)take(r, 1);
	}
	in->p.devices = in->dev;
}

static void read_input(const uint8_t *data, size_t size, struct input *in)
{
	struct reader r = { data, size };
	size_t n;

	memset(in, 0, sizeof(*in));
	/* Mostly the real buffer; sometimes too small for the tree. */
	in->len = take(&r, 1) & 1 ? DTB_MAX : (size_t)take(&r, 2) % DTB_MAX;
	in->p.mem_ipa = take(&r, 8);
	in->p.mem_size = take(&r, 8);
	in->p.nr_vcpus = (unsigned int)take(&r, 1);
	for (unsigned int i = 0; i < KAIROS_MAX_VCPUS; i++)
		in->p.vcpu_mpidr[i] = take(&r, 1) & 1 ? take(&r, 8) : i;
	in->p.gic_version = (unsigned int)take(&r, 1);
	in->p.timer_freq = take(&r, 1) & 1 ? take(&r, 8) : 0;
	in->p.initrd_ipa = take(&r, 8);
	in->p.initrd_size = take(&r, 1) & 1 ? take(&r, 8) : 0;
	read_devices(&r, in);
	/* The rest: bootargs, as config.c leaves them (a C string). */
	n = r.left < sizeof(in->bootargs) - 1 ? r.left :
						sizeof(in->bootargs) - 1;
	memcpy(in->bootargs, r.p, n);
	in->p.bootargs = in->bootargs;
}

static bool valid_params(const struct guest_dtb_params *p)
{
	return p->nr_vcpus >= 1 && p->nr_vcpus <= KAIROS_MAX_VCPUS &&
	       (p->gic_version == 2 || p->gic_version == 3) &&
	       p->timer_freq <= UINT32_MAX;
}

static uint64_t reg_u64(const fdt32_t *c)
{
	return (uint64_t)fdt32_to_cpu(c[0]) << 32 | fdt32_to_cpu(c[1]);
}

/* @node has "reg" = <@base @size> in 2 + 2 cells. */
static void check_reg(const void *fdt, int node, uint64_t base, uint64_t size)
{
	int len;
	const fdt32_t *reg = fdt_getprop(fdt, node, "reg", &len);

	FUZZ_CHECK(reg != NULL && len == 16);
	FUZZ_CHECK(reg_u64(reg) == base && reg_u64(reg + 2) == size);
}

static unsigned int count_subnodes(const void *fdt, int parent,
				   const char *prefix)
{
	unsigned int n = 0;
	int node;

	fdt_for_each_subnode(node, fdt, parent)
		n += !strncmp(fdt_get_name(fdt, node, NULL), prefix,
			      strlen(prefix));
	return n;
}

/* The tree says what @p says. */
static void check_tree(const void *fdt, const struct guest_dtb_params *p)
{
	int chosen = fdt_path_offset(fdt, "/chosen");
	int cpu_node = fdt_path_offset(fdt, "/cpus");
	const char *args;
	int mem, len;

	FUZZ_CHECK(chosen >= 0 && cpu_node >= 0);
	FUZZ_CHECK(count_subnodes(fdt, cpu_node, "cpu@") == p->nr_vcpus);
	FUZZ_CHECK(count_subnodes(fdt, 0, "dev@") == p->nr_devices);
	FUZZ_CHECK(count_subnodes(fdt, 0, "memory@") == 1);
	mem = fdt_node_offset_by_prop_value(fdt, -1, "device_type", "memory",
					    sizeof("memory"));
	FUZZ_CHECK(mem >= 0);
	check_reg(fdt, mem, p->mem_ipa, p->mem_size);
	args = fdt_getprop(fdt, chosen, "bootargs", &len);
	if (p->bootargs[0]) {
		FUZZ_CHECK(args != NULL && len == (int)strlen(p->bootargs) + 1);
		FUZZ_CHECK(!memcmp(args, p->bootargs, (size_t)len));
	} else {
		FUZZ_CHECK(args == NULL);
	}
	FUZZ_CHECK((fdt_getprop(fdt, chosen, "linux,initrd-start", NULL) !=
		    NULL) == (p->initrd_size != 0));
	FUZZ_CHECK(fdt_getprop(fdt, chosen, "stdout-path", NULL) != NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct input in;
	enum kairos_err e;
	uint8_t *buf, *again;

	read_input(data, size, &in);
	buf = malloc(in.len ? in.len : 1);
	again = malloc(in.len ? in.len : 1);
	if (!buf || !again)
		abort();
	memset(buf, 0x00, in.len);
	memset(again, 0xff, in.len);
	e = guest_dtb_build(buf, in.len, &in.p);
	if (!valid_params(&in.p)) {
		FUZZ_CHECK(e == KAIROS_ERR_MALFORMED);
	} else if (e == KAIROS_ERR_LIMIT) {
		FUZZ_CHECK(in.len < DTB_MAX);
	} else {
		FUZZ_CHECK(e == KAIROS_OK);
		FUZZ_CHECK(fdt_check_full(buf, in.len) == 0);
		FUZZ_CHECK(fdt_totalsize(buf) <= in.len);
		/* GUEST_DTB_FIXED_MAX, and the bootargs property (its header,
		 * value, padding and name) besides. */
		FUZZ_CHECK(fdt_totalsize(buf) <=
			   DTB_FIXED_MAX + strlen(in.bootargs) + 32);
		check_tree(buf, &in.p);
		FUZZ_CHECK(guest_dtb_build(again, in.len, &in.p) == KAIROS_OK);
		FUZZ_CHECK(!memcmp(buf, again, fdt_totalsize(buf)));
	}
	free(buf);
	free(again);
	return 0;
}
