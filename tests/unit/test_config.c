// SPDX-License-Identifier: MIT
/*
 * core/config/config.c on the config-*.dtb fixtures (tests/unit/dts): the good
 * configuration parses to what config-base.dtsi says, VMs without
 * memory-host land where the placement rule puts them (the highest free
 * 2 MiB-aligned RAM) and never on anything else, and each broken
 * configuration is refused with the right error and a message naming the
 * node and the property. Expected values are read off the fixtures.
 */
#include <kairos/board.h>
#include <kairos/compiler.h>
#include <kairos/config.h>
#include <kairos/guest_dtb.h>
#include <libfdt.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* cmocka.h needs <setjmp.h>, <stdarg.h> and <stddef.h> first. */
#include <cmocka.h>

#include "dtb_fixture.h"
#include "fake.h"

#define RANGE(b, s)                                  \
	{                                            \
		.base = { .bits = (b) }, .size = (s) \
	}

/* What the tests say Kairos and the board DTB occupy (config-base.dtsi). */
static const struct config_busy busy[] = {
	{ RANGE(0x40200000, 0xc4000), "Kairos" },
	{ RANGE(0x48000000, 0x100000), "the device tree" },
};

static _Alignas(8) unsigned char dtb[65536];
static struct board b;
static struct sys_config cfg;
static struct board_err err;

/*
 * The images' bytes config_parse() reads (their headers), at the fixture's
 * host addresses; elsewhere RAM reads as zeros (a raw kernel image).
 */
struct image {
	uint64_t base;
	const void *bytes;
	size_t len;
};

static struct image images[4];
static unsigned int nr_images;
/* A device tree header whose totalsize the tests set. */
static _Alignas(8) unsigned char tree[sizeof(struct fdt_header)];
/* The DTB of config-base.dtsi's vm@0. */
static _Alignas(8) unsigned char vm0_tree[0x10000];

static void add_image(uint64_t base, const void *bytes, size_t len)
{
	assert_true(nr_images < ARRAY_SIZE(images));
	images[nr_images++] = (struct image){ base, bytes, len };
}

static void read_fake(paddr_t at, void *out, size_t len)
{
	uint64_t a = pa_addr(at);

	memset(out, 0, len);
	for (unsigned int i = 0; i < nr_images; i++) {
		const uint8_t *src = images[i].bytes;

		for (size_t k = 0; k < len; k++)
			if (a + k >= images[i].base &&
			    a + k - images[i].base < images[i].len)
				((uint8_t *)out)[k] =
					src[a + k - images[i].base];
	}
}

static const void *load(const char *name)
{
	const void *fdt = dtb_fixture(name, dtb, sizeof(dtb));

	/* Room for the tests' edits of properties. */
	assert_int_equal(fdt_open_into(fdt, dtb, sizeof(dtb)), 0);
	return dtb;
}

static enum kairos_err parse_loaded(const struct config_busy *bz,
				    unsigned int nr)
{
	assert_int_equal(board_parse(dtb, 0, &b, &err), KAIROS_OK);
	memset(&cfg, 0xa5, sizeof(cfg)); /* config_parse must set it all */
	return config_parse(dtb, &b, bz, nr, read_fake, &cfg, &err);
}

/* The board of fixture @name, then config_parse() on it with @bz. */
static enum kairos_err parse_with(const char *name,
				  const struct config_busy *bz, unsigned int nr)
{
	load(name);
	return parse_loaded(bz, nr);
}

static enum kairos_err parse(const char *name)
{
	return parse_with(name, busy, ARRAY_SIZE(busy));
}

static int setup(void **state)
{
	(void)state;
	fake_reset();
	memset(&err, 0, sizeof(err));
	nr_images = 0;
	assert_int_equal(fdt_create_empty_tree(vm0_tree, sizeof(vm0_tree)), 0);
	add_image(0x4f000000, vm0_tree, sizeof(vm0_tree));
	return 0;
}

static void assert_range(struct board_range r, uint64_t base, uint64_t size)
{
	assert_int_equal(pa_addr(r.base), base);
	assert_int_equal(r.size, size);
}

static struct board_range host_of(const struct vm_config *vm)
{
	return (struct board_range){ vm->mem_host, vm->mem_size };
}

static bool overlap(struct board_range x, struct board_range y)
{
	uint64_t xb = pa_addr(x.base), yb = pa_addr(y.base);

	return x.size && y.size && xb < yb + y.size && yb < xb + x.size;
}

static void assert_apart(const struct vm_config *vm, struct board_range r,
			 const char *what)
{
	if (overlap(host_of(vm), r))
		fail_msg("%s at 0x%llx overlaps %s at 0x%llx", vm->path,
			 (unsigned long long)pa_addr(vm->mem_host), what,
			 (unsigned long long)pa_addr(r.base));
}

/*
 * What a user relies on for every VM, placed or not: its memory is 2 MiB
 * aligned RAM that holds nothing else, neither what @bz lists nor the
 * board's reserved memory, the checkpoint store, any image or another VM.
 */
static void assert_memory_free(const struct config_busy *bz, unsigned int nr)
{
	for (unsigned int i = 0; i < cfg.nr_vms; i++) {
		const struct vm_config *vm = &cfg.vms[i];

		assert_true(board_in_ram(&b, vm->mem_host, vm->mem_size));
		assert_true(IS_ALIGNED(pa_addr(vm->mem_host), MiB(2)));
		for (unsigned int j = 0; j < nr; j++)
			assert_apart(vm, bz[j].r, bz[j].what);
		for (unsigned int j = 0; j < b.nr_reserved; j++)
			assert_apart(vm, b.reserved[j], "reserved memory");
		assert_apart(vm, cfg.ckpt_store, "the checkpoint store");
		for (unsigned int j = 0; j < cfg.nr_vms; j++) {
			assert_apart(vm, cfg.vms[j].kernel, "a kernel");
			assert_apart(vm, cfg.vms[j].initrd, "an initrd");
			assert_apart(vm, cfg.vms[j].dtb, "a dtb");
			if (j != i)
				assert_apart(vm, host_of(&cfg.vms[j]),
					     cfg.vms[j].path);
		}
	}
}

/* ---- Configurations that must parse ---- */

static void test_good(void **state)
{
	const struct vm_config *vm = &cfg.vms[0];

	(void)state;
	assert_int_equal(parse("config-good"), KAIROS_OK);
	assert_int_equal(cfg.nr_vms, 2);
	assert_range(cfg.ckpt_store, 0x78000000, 0x4000000);

	assert_string_equal(vm->name, "linux");
	assert_string_equal(vm->path, "/hypervisor/vm@0");
	assert_int_equal(vm->profile, VM_PROFILE_VIRT);
	assert_int_equal(ipa_addr(vm->mem_ipa), 0x40000000);
	assert_int_equal(vm->mem_size, 0x10000000);
	assert_true(vm->mem_host_fixed);
	assert_int_equal(pa_addr(vm->mem_host), 0x50000000);
	assert_int_equal(vm->nr_vcpus, 2);
	assert_int_equal(vm->vcpu_cpu[0], 1);
	assert_int_equal(vm->vcpu_cpu[1], 2);
	assert_int_equal(vm->priority, 3);
	assert_int_equal(vm->cpu_affinity, 0); /* pinned where placed */
	assert_range(vm->kernel, 0x48200000, 0x2000000);
	assert_range(vm->initrd, 0x4c000000, 0x400000);
	assert_range(vm->dtb, 0x4f000000, 0x10000);
	assert_string_equal(vm->bootargs, "console=ttyAMA0 root=/dev/vda");

	vm = &cfg.vms[1];
	assert_string_equal(vm->name, "rtos-1");
	assert_string_equal(vm->path, "/hypervisor/vm@1");
	assert_int_equal(vm->profile, VM_PROFILE_VIRT);
	assert_int_equal(ipa_addr(vm->mem_ipa), 0x40000000);
	assert_int_equal(vm->mem_size, 0x4000000);
	assert_int_equal(vm->nr_vcpus, 3);
	/* cpus = <3>: repeated for every vCPU */
	for (unsigned int i = 0; i < 3; i++)
		assert_int_equal(vm->vcpu_cpu[i], 3);
	assert_int_equal(vm->priority, 1); /* the default */
	assert_range(vm->kernel, 0x4a400000, 0x100000);
	assert_range(vm->initrd, 0, 0);
	assert_range(vm->dtb, 0, 0);
	assert_string_equal(vm->bootargs, "");
	/*
	 * Placed: 0x7c000000 would cover the reserved block at 0x7fe00000,
	 * 0x7be00000 the store at 0x78000000-0x7bffffff; next is below it.
	 */
	assert_false(vm->mem_host_fixed);
	assert_int_equal(pa_addr(vm->mem_host), 0x74000000);
	assert_memory_free(busy, ARRAY_SIZE(busy));
}

static void test_cpu_affinity(void **state)
{
	(void)state;
	assert_int_equal(parse("config-affinity"), KAIROS_OK);
	assert_int_equal(cfg.vms[0].cpu_affinity, 0xeU); /* CPUs 1, 2, 3 */
	assert_int_equal(cfg.vms[0].vcpu_cpu[0], 1);
	assert_int_equal(cfg.vms[1].cpu_affinity, 0);
}

/*
 * config-shmem.dts: shmem@0 at its fixed host, vm@0 rw as index 0, vm@1
 * ro as index 1, captured with vm@0; shmem@1 (one page, vm@0 as index 1)
 * placed by the rule: the highest 2 MiB-aligned free base, which is the
 * block under the board's reserved memory at 0x7fe00000 (the checkpoint
 * store ends at 0x7bffffff, vm@1 is placed below the store).
 */
static void test_shmem(void **state)
{
	const struct shmem_config *s0 = &cfg.shmem[0], *s1 = &cfg.shmem[1];
	const struct vm_shmem *a, *r;

	(void)state;
	assert_int_equal(parse("config-shmem"), KAIROS_OK);
	assert_int_equal(cfg.nr_shmem, 2);
	assert_string_equal(s0->path, "/hypervisor/shmem@0");
	assert_true(s0->host_fixed);
	assert_int_equal(pa_addr(s0->host), 0x60000000);
	assert_int_equal(s0->size, 0x200000);
	assert_int_equal(s0->ckpt_with, 0);
	assert_int_equal(s0->nr_peers, 2);
	assert_false(s1->host_fixed);
	assert_int_equal(s1->ckpt_with, -1);
	assert_int_equal(pa_addr(s1->host), 0x7fe00000 - MiB(2));
	for (unsigned int i = 0; i < cfg.nr_vms; i++)
		assert_false(pa_addr(s1->host) < pa_addr(cfg.vms[i].mem_host) +
							 cfg.vms[i].mem_size &&
			     pa_addr(cfg.vms[i].mem_host) <
				     pa_addr(s1->host) + s1->size);

	/* vm@0 sees both, vm@1 only shmem@0, read-only. */
	assert_int_equal(cfg.vms[0].nr_shmem, 2);
	assert_int_equal(cfg.vms[1].nr_shmem, 1);
	a = &cfg.vms[0].shmem[0];
	r = &cfg.vms[1].shmem[0];
	assert_int_equal(a->region, 0);
	assert_int_equal(a->index, 0);
	assert_int_equal(ipa_addr(a->ipa), 0x80000000);
	assert_int_equal(pa_addr(a->host), 0x60000000);
	assert_false(a->ro);
	assert_int_equal(r->index, 1);
	assert_int_equal(ipa_addr(r->ipa), 0x50000000);
	assert_true(r->ro);
	for (unsigned int k = 0; k < SHMEM_MAX_PEERS; k++) {
		int want = k < 2 ? (int)k : -1;

		assert_int_equal(a->peer_vm[k], want);
		assert_int_equal(r->peer_vm[k], want);
	}
	a = &cfg.vms[0].shmem[1];
	assert_int_equal(a->region, 1);
	assert_int_equal(a->index, 1);
	assert_int_equal(a->peer_vm[0], -1);
	assert_int_equal(a->peer_vm[1], 0);
	assert_int_equal(pa_addr(a->host), pa_addr(s1->host));
	/* Owners: checkpoint-with, then the only writer. */
	assert_int_equal(cfg.vms[0].shmem[0].owner, 0);
	assert_int_equal(cfg.vms[1].shmem[0].owner, 0);
	assert_int_equal(cfg.vms[0].shmem[1].owner, 0);
	assert_false(cfg.vms[0].shmem[0].peer_ro[0]);
	assert_true(cfg.vms[0].shmem[0].peer_ro[1]);
}

/*
 * config-shmem-owners.dts: a region written by both VMs without
 * checkpoint-with has no owner; one they write with checkpoint-with =
 * "rtos-1" is held by rtos-1; one only rtos-1 writes is rtos-1's.
 * config-shmem-resume-owner.dts: the owner may resume from a checkpoint
 * (its image holds the region).
 */
static void test_shmem_owners(void **state)
{
	(void)state;
	if (parse("config-shmem-owners") != KAIROS_OK)
		fail_msg("%s", err.msg);
	assert_int_equal(cfg.vms[0].shmem[0].owner, -1);
	assert_int_equal(cfg.vms[1].shmem[0].owner, -1);
	assert_int_equal(cfg.vms[0].shmem[1].owner, 1);
	assert_int_equal(cfg.vms[1].shmem[1].owner, 1);
	assert_int_equal(cfg.vms[0].shmem[2].owner, 1);
	assert_int_equal(cfg.vms[1].resume_from, -1);
	if (parse("config-shmem-resume-owner") != KAIROS_OK)
		fail_msg("%s", err.msg);
	assert_int_equal(cfg.vms[1].resume_from, 0);
	assert_int_equal(cfg.vms[1].shmem[0].owner, 1);
}

/* checkpoint-crc: "after-release" unless a VM says "fused". */
static void test_checkpoint_crc(void **state)
{
	(void)state;
	assert_int_equal(parse("config-good"), KAIROS_OK);
	assert_false(cfg.vms[0].ckpt_crc_fused);
	if (parse("config-ckpt-crc") != KAIROS_OK)
		fail_msg("%s", err.msg);
	assert_true(cfg.vms[0].ckpt_crc_fused);
	assert_false(cfg.vms[1].ckpt_crc_fused);
}

static void test_fault_loop_limit(void **state)
{
	(void)state;
	assert_int_equal(parse("config-good"), KAIROS_OK);
	assert_int_equal(cfg.vms[0].fault_loop_limit, 1000); /* the default */
	assert_int_equal(cfg.vms[1].fault_loop_limit, 1000);
	assert_int_equal(parse("config-fault-loop"), KAIROS_OK);
	assert_int_equal(cfg.vms[0].fault_loop_limit, 0); /* never stop */
	assert_int_equal(cfg.vms[1].fault_loop_limit, 50);
}

static void test_no_hypervisor_node(void **state)
{
	(void)state;
	assert_int_equal(parse("virt-gicv3"), KAIROS_OK);
	assert_int_equal(cfg.nr_vms, 0);
	assert_range(cfg.ckpt_store, 0, 0);
}

/*
 * config-place.dts: four VMs to place, in node order. vm@0 (256 MiB) goes
 * below the store, vm@1 (64 MiB) below vm@0, vm@2 (64 MiB) below its own
 * kernel at 0x62000000 and vm@3 (32 MiB) into the 62 MiB between the store
 * and the reserved block, which the others could not use.
 */
static void test_place(void **state)
{
	static const uint64_t want[] = { 0x68000000, 0x64000000, 0x5e000000,
					 0x7de00000 };

	(void)state;
	assert_int_equal(parse("config-place"), KAIROS_OK);
	assert_int_equal(cfg.nr_vms, 4);
	for (unsigned int i = 0; i < 4; i++) {
		assert_false(cfg.vms[i].mem_host_fixed);
		assert_int_equal(pa_addr(cfg.vms[i].mem_host), want[i]);
	}
	assert_memory_free(busy, ARRAY_SIZE(busy));
}

static void test_place_is_deterministic(void **state)
{
	static struct sys_config first;

	(void)state;
	assert_int_equal(parse("config-place"), KAIROS_OK);
	first = cfg;
	assert_int_equal(parse("config-place"), KAIROS_OK);
	assert_memory_equal(&first, &cfg, sizeof(cfg));
}

/* A caller's busy range at the top moves vm@3 out of its gap. */
static void test_place_avoids_every_busy_range(void **state)
{
	const struct config_busy more[] = {
		busy[0],
		busy[1],
		{ RANGE(0x7c000000, 0x4000000), "a test blocker" },
	};
	static const uint64_t want[] = { 0x68000000, 0x64000000, 0x5e000000,
					 0x5c000000 };

	(void)state;
	assert_int_equal(parse_with("config-place", more, ARRAY_SIZE(more)),
			 KAIROS_OK);
	for (unsigned int i = 0; i < 4; i++)
		assert_int_equal(pa_addr(cfg.vms[i].mem_host), want[i]);
	assert_memory_free(more, ARRAY_SIZE(more));
}

static void test_too_many_busy_ranges(void **state)
{
	struct config_busy many[CONFIG_MAX_BUSY + 1];

	(void)state;
	for (unsigned int i = 0; i < ARRAY_SIZE(many); i++)
		many[i] = (struct config_busy){
			RANGE(0x40000000 + i * MiB(2), 0x1000), "busy"
		};
	assert_int_equal(parse_with("config-good", many, ARRAY_SIZE(many)),
			 KAIROS_ERR_LIMIT);
	assert_non_null(strstr(err.msg, "busy"));
}

#define VM0 "/hypervisor/vm@0"
#define VM1 "/hypervisor/vm@1"
#define SHM0 "/hypervisor/shmem@0"

/* ---- Image sizes: vm@1 (64 MiB of RAM) with images of test sizes ---- */

#define VM1_MEM MiB(64)
/* Free host RAM for vm@1's images, apart from everything else. */
#define K_AT 0x60000000ULL
#define I_AT 0x66000000ULL
#define D_AT 0x6c000000ULL

static void set_range(const char *prop, uint64_t base, uint64_t size)
{
	int node = fdt_path_offset(dtb, "/hypervisor/vm@1");
	fdt64_t cells[2] = { cpu_to_fdt64(base), cpu_to_fdt64(size) };

	assert_true(node >= 0);
	assert_int_equal(fdt_setprop(dtb, node, prop, cells, sizeof(cells)), 0);
}

/* A device tree header saying it is @size bytes long, at @at. */
static void add_tree(uint64_t at, uint64_t size)
{
	static _Alignas(8) unsigned char empty[256];

	assert_int_equal(fdt_create_empty_tree(empty, sizeof(empty)), 0);
	memcpy(tree, empty, sizeof(tree));
	fdt_set_totalsize(tree, (uint32_t)size);
	add_image(at, tree, sizeof(tree));
}

/*
 * config-good with vm@1's kernel of @k bytes (at K_AT, raw unless @hdr
 * gives its first 64 bytes), an initrd of @i bytes and a DTB of @d bytes
 * (a tree of that totalsize) when not 0.
 */
static enum kairos_err parse_vm1(uint64_t k, uint64_t i, uint64_t d,
				 const void *hdr)
{
	nr_images = 1; /* vm@0's DTB only */
	load("config-good");
	set_range("kernel", K_AT, k);
	if (hdr)
		add_image(K_AT, hdr, VM_KERNEL_HEADER_SIZE);
	if (i)
		set_range("initrd", I_AT, i);
	if (d) {
		set_range("dtb", D_AT, d);
		add_tree(D_AT, d);
	}
	return parse_loaded(busy, ARRAY_SIZE(busy));
}

static void refused_with(enum kairos_err got, enum kairos_err want,
			 const char *prop, const char *what)
{
	char head[64];

	snprintf(head, sizeof(head), VM1 ": property %s: ", prop);
	print_message("    %s\n", err.msg);
	assert_int_equal(got, want);
	if (strncmp(err.msg, head, strlen(head)) != 0 || !strstr(err.msg, what))
		fail_msg("\"%s\" is not \"%s...%s...\"", err.msg, head, what);
}

/*
 * A raw kernel goes to 0x80000 and the generated DTB (GUEST_DTB_MAX) to
 * the next 2 MiB boundary above it (docs/configuration.md): the largest
 * kernel leaves the last 2 MiB block of RAM to the DTB.
 */
static void test_kernel_sizes(void **state)
{
	const uint64_t limit = VM1_MEM - MiB(2) - VM_RAW_KERNEL_OFFSET;
	const struct vm_layout *l = &cfg.vms[1].layout;

	(void)state;
	assert_int_equal(parse_vm1(1, 0, 0, NULL), KAIROS_OK);
	assert_int_equal(l->kernel, VM_RAW_KERNEL_OFFSET);
	assert_int_equal(l->dtb, MiB(2));
	assert_int_equal(l->dtb_room, GUEST_DTB_MAX);
	assert_true(l->dtb_at_base);
	assert_int_equal(parse_vm1(limit, 0, 0, NULL), KAIROS_OK);
	assert_int_equal(l->dtb + l->dtb_room,
			 VM1_MEM - MiB(2) + (uint64_t)GUEST_DTB_MAX);
	refused_with(parse_vm1(limit + 1, 0, 0, NULL), KAIROS_ERR_LIMIT,
		     "memory", "cannot hold the generated DTB (65536 bytes)");
	refused_with(
		parse_vm1(MiB(64), 0, 0, NULL), KAIROS_ERR_LIMIT, "kernel",
		"67108864 bytes at RAM offset 0x80000 do not fit in 67108864");
}

/* The initrd goes to RAM / 2 (above a 1 MiB kernel), the DTB above it. */
static void test_initrd_sizes(void **state)
{
	const uint64_t limit = VM1_MEM / 2 - MiB(2);
	const struct vm_layout *l = &cfg.vms[1].layout;

	(void)state;
	assert_int_equal(parse_vm1(MiB(1), 1, 0, NULL), KAIROS_OK);
	assert_int_equal(l->initrd, VM1_MEM / 2);
	assert_int_equal(l->dtb, VM1_MEM / 2 + MiB(2));
	assert_int_equal(parse_vm1(MiB(1), limit, 0, NULL), KAIROS_OK);
	assert_int_equal(l->dtb, VM1_MEM - MiB(2));
	refused_with(parse_vm1(MiB(1), limit + 1, 0, NULL), KAIROS_ERR_LIMIT,
		     "memory", "and initrd");
	refused_with(
		parse_vm1(MiB(1), MiB(64), 0, NULL), KAIROS_ERR_LIMIT, "initrd",
		"67108864 bytes at RAM offset 0x2000000 (above the kernel)");
}

/* A DTB of its own: a device tree of at most 2 MiB (VM_DTB_MAX). */
static void test_dtb_sizes(void **state)
{
	const struct vm_layout *l = &cfg.vms[1].layout;

	(void)state;
	refused_with(parse_vm1(MiB(1), 0, 1, NULL), KAIROS_ERR_MALFORMED, "dtb",
		     "1 bytes, less than a device tree header (40)");
	assert_int_equal(parse_vm1(MiB(1), 0, 4096, NULL), KAIROS_OK);
	assert_int_equal(cfg.vms[1].dtb_size, 4096);
	assert_int_equal(parse_vm1(MiB(1), 0, VM_DTB_MAX, NULL), KAIROS_OK);
	assert_int_equal(cfg.vms[1].dtb_size, VM_DTB_MAX);
	assert_int_equal(l->dtb, MiB(2));
	assert_int_equal(l->dtb_room, VM_DTB_MAX);
	assert_false(l->dtb_at_base); /* 2 MiB do not fit below 0x80000 */
	refused_with(parse_vm1(MiB(1), 0, VM_DTB_MAX + 1, NULL),
		     KAIROS_ERR_LIMIT, "dtb", "2097153 bytes, at most 2097152");
	refused_with(parse_vm1(MiB(1), 0, MiB(4), NULL), KAIROS_ERR_LIMIT,
		     "dtb", "4194304 bytes, at most 2097152");
	refused_with(parse_vm1(MiB(1), 0, MiB(64), NULL), KAIROS_ERR_LIMIT,
		     "dtb", "67108864 bytes, at most 2097152");
	/* 2 MiB fill the last 2 MiB block above the kernel, and no more. */
	assert_int_equal(parse_vm1(VM1_MEM - MiB(2) - VM_RAW_KERNEL_OFFSET, 0,
				   VM_DTB_MAX, NULL),
			 KAIROS_OK);
	assert_int_equal(l->dtb + l->dtb_room, VM1_MEM);
	refused_with(
		parse_vm1(VM1_MEM - MiB(2) - VM_RAW_KERNEL_OFFSET + 1, 0,
			  VM_DTB_MAX, NULL),
		KAIROS_ERR_LIMIT, "dtb",
		"cannot hold the VM's DTB (2097152 bytes) at RAM offset 0x4000000");
}

/* What the DTB range holds must be a device tree that fits the range. */
static void test_dtb_contents(void **state)
{
	static const uint8_t junk[64] = { 0xd0, 0x0d, 0xfe, 0xee };

	(void)state;
	load("config-good");
	set_range("dtb", D_AT, 4096);
	add_image(D_AT, junk, sizeof(junk));
	refused_with(parse_loaded(busy, ARRAY_SIZE(busy)), KAIROS_ERR_MALFORMED,
		     "dtb", "not a flattened device tree at 0x6c000000");
	setup(state);
	load("config-good");
	set_range("dtb", D_AT, 4096);
	add_tree(D_AT, 8192);
	refused_with(parse_loaded(busy, ARRAY_SIZE(busy)), KAIROS_ERR_MALFORMED,
		     "dtb",
		     "totalsize is 8192 bytes, more than the 4096 given");
}

/* An arm64 Image header with @text_offset and @image_size. */
static const uint8_t *arm64_header(uint64_t text_offset, uint64_t image_size)
{
	static const uint8_t magic[4] = { 'A', 'R', 'M', 0x64 };
	static uint8_t h[VM_KERNEL_HEADER_SIZE];

	memset(h, 0, sizeof(h));
	memcpy(h + 8, &text_offset, 8);
	memcpy(h + 16, &image_size, 8);
	memcpy(h + 0x38, magic, sizeof(magic));
	return h;
}

/*
 * The header's text_offset is below 2 MiB; its image_size (with the bss)
 * is what the kernel takes, however small the file. Values are the
 * image's own: any 64-bit number is refused cleanly.
 */
static void test_kernel_header(void **state)
{
	const struct vm_layout *l = &cfg.vms[1].layout;
	/* text_offset 0: at 2 MiB, the DTB in the last 2 MiB block. */
	const uint64_t limit = VM1_MEM - MiB(4);

	(void)state;
	assert_int_equal(parse_vm1(MiB(1), 0, 0, arm64_header(0, MiB(3))),
			 KAIROS_OK);
	assert_int_equal(l->kernel, MiB(2));
	assert_int_equal(l->kernel_span, MiB(3));
	assert_int_equal(l->dtb, MiB(6));
	assert_int_equal(parse_vm1(MiB(1), 0, 0, arm64_header(0x80000, MiB(1))),
			 KAIROS_OK);
	assert_int_equal(l->kernel, 0x80000);
	assert_int_equal(parse_vm1(MiB(1), 0, 0,
				   arm64_header(MiB(2) - 1, MiB(1))),
			 KAIROS_OK);
	refused_with(parse_vm1(MiB(1), 0, 0, arm64_header(MiB(2), MiB(1))),
		     KAIROS_ERR_LIMIT, "kernel",
		     "text_offset 0x200000, at most 0x1fffff");
	refused_with(parse_vm1(MiB(1), 0, 0, arm64_header(UINT64_MAX, MiB(1))),
		     KAIROS_ERR_LIMIT, "kernel",
		     "text_offset 0xffffffffffffffff");
	assert_int_equal(parse_vm1(MiB(1), 0, 0, arm64_header(0, limit)),
			 KAIROS_OK);
	refused_with(parse_vm1(MiB(1), 0, 0, arm64_header(0, limit + 1)),
		     KAIROS_ERR_LIMIT, "memory", "generated DTB");
	refused_with(parse_vm1(MiB(1), 0, 0, arm64_header(0, UINT64_MAX)),
		     KAIROS_ERR_LIMIT, "kernel",
		     "18446744073709551615 bytes (image_size of its header)");
	/* image_size 0: an old header, loaded at 0x80000 as a raw image. */
	assert_int_equal(parse_vm1(MiB(1), 0, 0, arm64_header(MiB(8), 0)),
			 KAIROS_OK);
	assert_int_equal(l->kernel, VM_RAW_KERNEL_OFFSET);
}

/* ---- Refusals: fixture, error, and what the message must name ---- */

struct refusal {
	const char *fixture;
	enum kairos_err e;
	const char *what[4];
};

static const struct refusal refusals[] = {
	{ "config-hv-compatible",
	  KAIROS_ERR_UNSUPPORTED,
	  { "/hypervisor", "property compatible" } },
	{ "config-hv-no-size-cells",
	  KAIROS_ERR_MISSING,
	  { "/hypervisor", "property #size-cells" } },
	{ "config-hv-address-cells-1",
	  KAIROS_ERR_MALFORMED,
	  { "/hypervisor", "property #address-cells" } },
	{ "config-unknown-node",
	  KAIROS_ERR_UNSUPPORTED,
	  { "/hypervisor", "\"vn@2\"" } },
	{ "config-too-many-vms",
	  KAIROS_ERR_LIMIT,
	  { "/hypervisor", "vm@8", "more than 8 VMs" } },
	{ "config-no-name", KAIROS_ERR_MISSING, { VM0, "property name" } },
	{ "config-name-chars",
	  KAIROS_ERR_MALFORMED,
	  { VM0, "property name", "\"my vm\"" } },
	{ "config-name-long", KAIROS_ERR_MALFORMED, { VM0, "property name" } },
	{ "config-name-dup",
	  KAIROS_ERR_MALFORMED,
	  { VM1, "property name", "\"linux\"", VM0 } },
	{ "config-no-profile", KAIROS_ERR_MISSING, { VM0, "property profile" } },
	{ "config-profile",
	  KAIROS_ERR_UNSUPPORTED,
	  { VM0, "property profile", "\"rpi4\"" } },
	{ "config-no-memory", KAIROS_ERR_MISSING, { VM0, "property memory" } },
	{ "config-memory-cells",
	  KAIROS_ERR_MALFORMED,
	  { VM0, "property memory:" } },
	{ "config-memory-unaligned",
	  KAIROS_ERR_MALFORMED,
	  { VM0, "property memory:", "0x10100000" } },
	{ "config-memory-empty",
	  KAIROS_ERR_MALFORMED,
	  { VM0, "property memory:" } },
	{ "config-memory-ipa-devices",
	  KAIROS_ERR_MALFORMED,
	  { VM0, "property memory:", "0x8000000" } },
	{ "config-memory-ipa-bits",
	  KAIROS_ERR_LIMIT,
	  { VM0, "property memory:",
	    "0x7ff0000000-0x800fffffff ends above the 39-bit IPA space" } },
	{ "config-devices-ipa-bits",
	  KAIROS_ERR_LIMIT,
	  { VM0, "property devices",
	    "0x8000000000-0x8000000fff ends above the 39-bit IPA space" } },
	{ "config-devices-pci-ecam",
	  KAIROS_ERR_MALFORMED,
	  { VM0, "property devices",
	    "0x3f0ff000-0x3f100fff overlaps the guest's PCI host (ECAM)" } },
	{ "config-devices-virtio",
	  KAIROS_ERR_MALFORMED,
	  { VM0, "property devices",
	    "0xa003000-0xa004fff overlaps the guest's virtio-mmio transports" } },
	{ "config-host-unaligned",
	  KAIROS_ERR_MALFORMED,
	  { VM0, "property memory-host", "0x50100000" } },
	{ "config-host-not-ram",
	  KAIROS_ERR_MALFORMED,
	  { VM0, "property memory-host",
	    "0x90000000-0x9fffffff is not in RAM" } },
	{ "config-no-vcpus", KAIROS_ERR_MISSING, { VM0, "property vcpus" } },
	{ "config-vcpus-0", KAIROS_ERR_MALFORMED, { VM0, "property vcpus" } },
	{ "config-vcpus-9", KAIROS_ERR_LIMIT, { VM0, "property vcpus", "9" } },
	{ "config-no-cpus", KAIROS_ERR_MISSING, { VM0, "property cpus" } },
	{ "config-cpus-empty", KAIROS_ERR_MALFORMED, { VM0, "property cpus" } },
	{ "config-cpus-long", KAIROS_ERR_MALFORMED, { VM0, "property cpus" } },
	{ "config-cpu-missing",
	  KAIROS_ERR_MALFORMED,
	  { VM0, "property cpus", "cpu 4 does not exist" } },
	{ "config-affinity-outside",
	  KAIROS_ERR_MALFORMED,
	  { VM0, "property cpu-affinity", "vCPU 1 is placed on cpu 2" } },
	{ "config-affinity-missing",
	  KAIROS_ERR_MALFORMED,
	  { VM0, "property cpu-affinity", "cpu 9 does not exist" } },
	{ "config-priority",
	  KAIROS_ERR_MALFORMED,
	  { VM0, "property priority", "256" } },
	{ "config-resume-fallback",
	  KAIROS_ERR_MALFORMED,
	  { VM0, "property resume-fallback", "\"warm\" is neither" } },
	{ "config-ckpt-crc-bad",
	  KAIROS_ERR_MALFORMED,
	  { VM0, "property checkpoint-crc", "\"later\" is neither" } },
	{ "config-fault-loop-cells",
	  KAIROS_ERR_MALFORMED,
	  { VM0, "property fault-loop-limit", "8 bytes, want one cell" } },
	{ "config-no-kernel", KAIROS_ERR_MISSING, { VM0, "property kernel" } },
	{ "config-kernel-empty",
	  KAIROS_ERR_MALFORMED,
	  { VM0, "property kernel" } },
	{ "config-kernel-not-ram",
	  KAIROS_ERR_MALFORMED,
	  { VM0, "property kernel", "not in RAM" } },
	{ "config-bootargs-long",
	  KAIROS_ERR_LIMIT,
	  { VM0, "property bootargs", "512" } },
	{ "config-bootargs-list",
	  KAIROS_ERR_MALFORMED,
	  { VM0, "property bootargs" } },
	{ "config-image-too-big",
	  KAIROS_ERR_LIMIT,
	  { VM0, "property kernel:",
	    "33554432 bytes at RAM offset 0x80000 do not fit in 33554432" } },
	{ "config-images-overlap",
	  KAIROS_ERR_MALFORMED,
	  { VM1, "property kernel", "the kernel of " VM0 } },
	{ "config-shmem-overlap-vm",
	  KAIROS_ERR_MALFORMED,
	  { SHM0, "property host",
	    "overlaps the memory of " VM0 " (0x50000000-0x5fffffff)" } },
	{ "config-shmem-overlap-ckpt",
	  KAIROS_ERR_MALFORMED,
	  { SHM0, "property host", "the checkpoint store" } },
	{ "config-shmem-overlap-kairos",
	  KAIROS_ERR_MALFORMED,
	  { SHM0, "property host", "overlaps Kairos" } },
	{ "config-shmem-overlap-image",
	  KAIROS_ERR_MALFORMED,
	  { SHM0, "property host", "the kernel of " VM0 } },
	{ "config-shmem-overlap-reserved",
	  KAIROS_ERR_MALFORMED,
	  { SHM0, "property host", "reserved memory" } },
	{ "config-shmem-overlap-shmem",
	  KAIROS_ERR_MALFORMED,
	  { "/hypervisor/shmem@1", "property host",
	    "the shared memory of " SHM0 } },
	{ "config-shmem-unknown-vm",
	  KAIROS_ERR_MALFORMED,
	  { SHM0 "/peer@0", "property vm", "no VM is called \"nobody\"" } },
	{ "config-shmem-size-0",
	  KAIROS_ERR_MALFORMED,
	  { SHM0, "property size", "0: a region needs" } },
	{ "config-shmem-size-unaligned",
	  KAIROS_ERR_MALFORMED,
	  { SHM0, "property size", "0x1800 is not a multiple of 4 KiB" } },
	{ "config-shmem-ipa-ram",
	  KAIROS_ERR_MALFORMED,
	  { SHM0 "/peer@0", "property ipa", "overlaps its memory in " VM0 } },
	{ "config-shmem-no-peers",
	  KAIROS_ERR_MISSING,
	  { SHM0, "no peer@N nodes" } },
	{ "config-shmem-vm-twice",
	  KAIROS_ERR_MALFORMED,
	  { SHM0 "/peer@1", "property vm", "peer@0 of " SHM0 } },
	{ "config-shmem-ckpt-with",
	  KAIROS_ERR_MALFORMED,
	  { SHM0, "property checkpoint-with", "not a participant" } },
	{ "config-shmem-access",
	  KAIROS_ERR_MALFORMED,
	  { SHM0 "/peer@0", "property access", "\"wo\"" } },
	{ "config-shmem-intx-irq",
	  KAIROS_ERR_MALFORMED,
	  { SHM0 "/peer@0", "property vm",
	    "INTID 35, the PCI INTx of " SHM0 ", is passed through to " VM0 } },
	{ "config-shmem-resume",
	  KAIROS_ERR_UNSUPPORTED,
	  { SHM0, "property checkpoint-with",
	    VM0
	    " resumes from a checkpoint (resume-from), but the region has several writers and no checkpoint-with" } },
	{ "config-shmem-resume-reader",
	  KAIROS_ERR_UNSUPPORTED,
	  { SHM0, "property vm",
	    VM1
	    " resumes from a checkpoint (resume-from), but the region is checkpointed with " VM0 } },
	{ "config-shmem-peer-index",
	  KAIROS_ERR_MALFORMED,
	  { SHM0, "peer@4", "want peer@0 .. peer@3" } },
	{ "config-overlap-vms",
	  KAIROS_ERR_MALFORMED,
	  { VM1, "property memory-host",
	    "the memory of " VM0 " (0x50000000-0x5fffffff)" } },
	{ "config-overlap-kairos",
	  KAIROS_ERR_MALFORMED,
	  { VM0, "property memory-host",
	    "overlaps Kairos (0x40200000-0x402c3fff)" } },
	{ "config-overlap-dtb",
	  KAIROS_ERR_MALFORMED,
	  { VM1, "property memory-host",
	    "overlaps the device tree (0x48000000-0x480fffff)" } },
	{ "config-overlap-image",
	  KAIROS_ERR_MALFORMED,
	  { VM1, "property memory-host",
	    "the initrd of " VM0 " (0x4c000000-0x4c3fffff)" } },
	{ "config-overlap-ckpt",
	  KAIROS_ERR_MALFORMED,
	  { VM1, "property memory-host",
	    "the checkpoint store (0x78000000-0x7bffffff)" } },
	{ "config-overlap-reserved",
	  KAIROS_ERR_MALFORMED,
	  { VM1, "property memory-host",
	    "reserved memory (0x7fe00000-0x7fe0ffff)" } },
	{ "config-ckpt-not-ram",
	  KAIROS_ERR_MALFORMED,
	  { "/hypervisor", "property checkpoint-store", "not in RAM" } },
	{ "config-ckpt-overlap",
	  KAIROS_ERR_MALFORMED,
	  { "/hypervisor", "property checkpoint-store", "Kairos" } },
	{ "config-no-free-ram",
	  KAIROS_ERR_LIMIT,
	  { VM1, "property memory:", "no free RAM for 0x40000000 bytes" } },
};

static void test_refusal(void **state)
{
	const struct refusal *r = *state;
	enum kairos_err got = parse(r->fixture);

	print_message("    %s: %s\n", r->fixture, err.msg);
	assert_int_equal(got, r->e);
	for (unsigned int i = 0; i < ARRAY_SIZE(r->what) && r->what[i]; i++)
		if (!strstr(err.msg, r->what[i]))
			fail_msg("message \"%s\" does not mention \"%s\"",
				 err.msg, r->what[i]);
}

int main(void)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test_setup(test_good, setup),
		cmocka_unit_test_setup(test_cpu_affinity, setup),
		cmocka_unit_test_setup(test_checkpoint_crc, setup),
		cmocka_unit_test_setup(test_fault_loop_limit, setup),
		cmocka_unit_test_setup(test_shmem, setup),
		cmocka_unit_test_setup(test_shmem_owners, setup),
		cmocka_unit_test_setup(test_no_hypervisor_node, setup),
		cmocka_unit_test_setup(test_place, setup),
		cmocka_unit_test_setup(test_place_is_deterministic, setup),
		cmocka_unit_test_setup(test_place_avoids_every_busy_range,
				       setup),
		cmocka_unit_test_setup(test_too_many_busy_ranges, setup),
		cmocka_unit_test_setup(test_kernel_sizes, setup),
		cmocka_unit_test_setup(test_initrd_sizes, setup),
		cmocka_unit_test_setup(test_dtb_sizes, setup),
		cmocka_unit_test_setup(test_dtb_contents, setup),
		cmocka_unit_test_setup(test_kernel_header, setup),
	};
	struct CMUnitTest tests[ARRAY_SIZE(fixed) + ARRAY_SIZE(refusals)];

	memcpy(tests, fixed, sizeof(fixed));
	for (size_t i = 0; i < ARRAY_SIZE(refusals); i++)
		tests[ARRAY_SIZE(fixed) + i] = (struct CMUnitTest){
			.name = refusals[i].fixture,
			.test_func = test_refusal,
			.setup_func = setup,
			.initial_state = (void *)&refusals[i],
		};
	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
