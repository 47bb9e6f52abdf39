// SPDX-License-Identifier: MIT
/*
 * core/guest_dtb.c: the tree a "virt" guest receives, read back with
 * Kairos's own board parser (core/config/board.c) the way a guest kernel would
 * read it: memory, CPUs started through PSCI over HVC, the GIC at QEMU
 * virt's addresses, the timer PPIs, the PL011 console. What the parser does
 * not look at (chosen, flash, clocks, interrupt flags) is checked on the
 * tree itself, against QEMU virt's values (hw/arm/virt.c).
 */
#include <kairos/board.h>
#include <kairos/compiler.h>
#include <kairos/config.h>
#include <kairos/guest_dtb.h>
#include <kairos/profile_virt.h>
#include <kairos/vcpu_state.h>
#include <libfdt.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* cmocka.h needs <setjmp.h>, <stdarg.h> and <stddef.h> first. */
#include <cmocka.h>

#include "fake.h"

/* PSCI 0.2+ CPU_ON, SMC64 calling convention (Arm DEN0022 §5.1). */
#define PSCI_CPU_ON_64 0xc4000003U

static _Alignas(8) unsigned char buf[GUEST_DTB_MAX];
static _Alignas(8) unsigned char copy[GUEST_DTB_MAX];
static struct board b;
static struct board_err err;

static int setup(void **state)
{
	(void)state;
	fake_reset();
	memset(buf, 0x5a, sizeof(buf));
	memset(&b, 0xa5, sizeof(b));
	memset(&err, 0, sizeof(err));
	return 0;
}

static struct guest_dtb_params params(unsigned int nr, unsigned int gic)
{
	struct guest_dtb_params p = {
		.mem_ipa = 0x40000000,
		.mem_size = 0x10000000,
		.nr_vcpus = nr,
		.gic_version = gic,
		.bootargs = "",
	};

	for (unsigned int i = 0; i < nr; i++)
		p.vcpu_mpidr[i] = i;
	return p;
}

static void build(const struct guest_dtb_params *p)
{
	assert_int_equal(guest_dtb_build(buf, sizeof(buf), p), KAIROS_OK);
	assert_int_equal(fdt_check_header(buf), 0);
}

static void assert_range(struct board_range r, uint64_t base, uint64_t size)
{
	assert_int_equal(pa_addr(r.base), base);
	assert_int_equal(r.size, size);
}

static const void *prop(const void *fdt, const char *path, const char *name,
			int *len)
{
	int node = fdt_path_offset(fdt, path);
	const void *v;

	if (node < 0)
		fail_msg("no node %s", path);
	v = fdt_getprop(fdt, node, name, len);
	if (!v)
		fail_msg("%s: no property %s", path, name);
	return v;
}

static uint32_t cell(const void *fdt, const char *path, const char *name,
		     int idx)
{
	int len;
	const fdt32_t *v = prop(fdt, path, name, &len);

	assert_true((idx + 1) * 4 <= len);
	return fdt32_to_cpu(v[idx]);
}

static void assert_strs(const void *fdt, const char *path, const char *name,
			const char *want, size_t want_len)
{
	int len;
	const char *v = prop(fdt, path, name, &len);

	assert_int_equal(len, want_len);
	assert_memory_equal(v, want, want_len);
}

#define ASSERT_STRS(fdt, path, name, lit) \
	assert_strs(fdt, path, name, lit, sizeof(lit))

static bool has(const void *fdt, const char *path, const char *name)
{
	return fdt_getprop(fdt, fdt_path_offset(fdt, path), name, NULL) != NULL;
}

/* What board_parse() learns from a guest tree built from @p. */
static void assert_guest_view(const struct guest_dtb_params *p)
{
	assert_int_equal(b.nr_mem, 1);
	assert_range(b.mem[0], p->mem_ipa, p->mem_size);
	assert_int_equal(b.nr_reserved, 0);

	assert_int_equal(b.nr_cpus, p->nr_vcpus);
	assert_int_equal(b.ignored_cpus, 0);
	for (unsigned int i = 0; i < p->nr_vcpus; i++) {
		assert_int_equal(b.cpus[i].mpidr, p->vcpu_mpidr[i]);
		assert_int_equal(b.cpus[i].enable,
				 i ? BOARD_CPU_PSCI : BOARD_CPU_BOOT);
	}
	assert_int_equal(b.psci.conduit, BOARD_CONDUIT_HVC);
	assert_true(b.psci.v02);
	assert_int_equal(b.psci.cpu_on, PSCI_CPU_ON_64);

	assert_int_equal(b.gic.version, p->gic_version);
	assert_string_equal(b.gic.path, "/intc@8000000");
	assert_range(b.gic.dist, VIRT_GICD, VIRT_GICD_SIZE);
	assert_int_equal(b.gic.maint_intid, VIRT_GIC_MAINT_INTID);

	assert_int_equal(b.timer.sec_phys_intid, VIRT_TIMER_SEC_INTID);
	assert_int_equal(b.timer.phys_intid, VIRT_TIMER_PHYS_INTID);
	assert_int_equal(b.timer.virt_intid, VIRT_TIMER_VIRT_INTID);
	assert_int_equal(b.timer.hyp_intid, VIRT_TIMER_HYP_INTID);
	assert_int_equal(b.timer.dt_freq, p->timer_freq);

	assert_int_equal(b.uart.kind, BOARD_UART_PL011);
	assert_string_equal(b.uart.path, "/pl011@9000000");
	assert_range(b.uart.reg, VIRT_UART, VIRT_UART_SIZE);
	assert_int_equal(b.uart.intid, VIRT_UART_INTID);
}

/*
 * QEMU virt's 32 virtio-mmio transports: 0x200 bytes each from 0x0a000000,
 * "virtio,mmio", DMA-coherent, edge-triggered (1) SPIs 16 to 47; no more.
 */
static void assert_virtio(const void *fdt)
{
	char path[40];

	for (unsigned int i = 0; i < 32; i++) {
		uint64_t base = 0x0a000000 + i * 0x200;

		snprintf(path, sizeof(path), "/virtio_mmio@%llx",
			 (unsigned long long)base);
		ASSERT_STRS(fdt, path, "compatible", "virtio,mmio");
		assert_true(has(fdt, path, "dma-coherent"));
		assert_int_equal(cell(fdt, path, "reg", 0), 0);
		assert_int_equal(cell(fdt, path, "reg", 1), base);
		assert_int_equal(cell(fdt, path, "reg", 3), 0x200);
		assert_int_equal(cell(fdt, path, "interrupts", 0), 0); /* SPI */
		assert_int_equal(cell(fdt, path, "interrupts", 1), 16 + i);
		assert_int_equal(cell(fdt, path, "interrupts", 2), 1);
	}
	assert_true(fdt_path_offset(fdt, "/virtio_mmio@a004000") < 0);
}

/* The parts every guest tree shares that the board parser skips. */
static void assert_virt_extras(const void *fdt)
{
	int len, clk;
	const fdt32_t *clocks;

	ASSERT_STRS(fdt, "/", "compatible", "linux,dummy-virt");
	ASSERT_STRS(fdt, "/aliases", "serial0", "/pl011@9000000");
	ASSERT_STRS(fdt, "/chosen", "stdout-path", "/pl011@9000000");
	ASSERT_STRS(fdt, "/psci", "compatible",
		    "arm,psci-1.0\0arm,psci-0.2\0arm,psci");
	ASSERT_STRS(fdt, "/psci", "method", "hvc");
	/* PSCI 0.1 IDs, for guests that only know "arm,psci" */
	assert_int_equal(cell(fdt, "/psci", "cpu_suspend", 0), 0xc4000001);
	assert_int_equal(cell(fdt, "/psci", "cpu_off", 0), 0x84000002);
	assert_int_equal(cell(fdt, "/psci", "cpu_on", 0), 0xc4000003);
	assert_int_equal(cell(fdt, "/psci", "migrate", 0), 0xc4000005);
	ASSERT_STRS(fdt, "/timer", "compatible",
		    "arm,armv8-timer\0arm,armv7-timer");
	assert_true(has(fdt, "/timer", "always-on"));

	/* Two 64 MiB CFI banks at 0 and 64 MiB, 32 bits wide. */
	ASSERT_STRS(fdt, "/flash@0", "compatible", "cfi-flash");
	assert_int_equal(cell(fdt, "/flash@0", "bank-width", 0), 4);
	assert_int_equal(cell(fdt, "/flash@0", "reg", 1), VIRT_FLASH0);
	assert_int_equal(cell(fdt, "/flash@0", "reg", 3), VIRT_FLASH_SIZE);
	assert_int_equal(cell(fdt, "/flash@0", "reg", 5), VIRT_FLASH1);
	assert_int_equal(cell(fdt, "/flash@0", "reg", 7), VIRT_FLASH_SIZE);

	assert_virtio(fdt);

	/* The PL011's two clocks are the 24 MHz fixed clock. */
	ASSERT_STRS(fdt, "/pl011@9000000", "compatible",
		    "arm,pl011\0arm,primecell");
	ASSERT_STRS(fdt, "/pl011@9000000", "clock-names", "uartclk\0apb_pclk");
	clocks = prop(fdt, "/pl011@9000000", "clocks", &len);
	assert_int_equal(len, 8);
	assert_int_equal(fdt32_to_cpu(clocks[0]), fdt32_to_cpu(clocks[1]));
	clk = fdt_node_offset_by_phandle(fdt, fdt32_to_cpu(clocks[0]));
	assert_true(clk >= 0);
	assert_int_equal(fdt_node_check_compatible(fdt, clk, "fixed-clock"), 0);
	assert_int_equal(fdt32_to_cpu(*(
				 const fdt32_t *)fdt_getprop(fdt, clk,
							     "clock-frequency",
							     NULL)),
			 24000000);
	assert_int_equal(fdt32_to_cpu(
				 *(const fdt32_t *)fdt_getprop(fdt, clk,
							       "#clock-cells",
							       NULL)),
			 0);
}

/* The flags cell of each timer PPI: level-high, plus a CPU mask on v2. */
static void assert_timer_flags(const void *fdt, uint32_t want)
{
	for (int i = 0; i < 4; i++)
		assert_int_equal(cell(fdt, "/timer", "interrupts", 3 * i + 2),
				 want);
}

static uint64_t u64_prop(const void *fdt, const char *path, const char *name)
{
	int len;
	const fdt64_t *v = prop(fdt, path, name, &len);

	assert_int_equal(len, 8);
	return fdt64_ld(v);
}

/* ---- GICv3 ---- */

static void test_v3_4cpus_initrd_bootargs(void **state)
{
	struct guest_dtb_params p = params(4, 3);
	struct board_uart u;

	(void)state;
	p.bootargs = "console=ttyAMA0 root=/dev/ram0";
	p.initrd_ipa = 0x48000000;
	p.initrd_size = 0x123000;
	build(&p);

	assert_int_equal(board_find_console(buf, &u, &err), KAIROS_OK);
	assert_int_equal(u.kind, BOARD_UART_PL011);
	assert_range(u.reg, VIRT_UART, VIRT_UART_SIZE);

	assert_int_equal(board_parse(buf, p.vcpu_mpidr[0], &b, &err),
			 KAIROS_OK);
	assert_guest_view(&p);
	assert_int_equal(b.gic.nr_redist, 1);
	assert_range(b.gic.redist[0], VIRT_GICR, 4 * VIRT_GICR_STRIDE);
	assert_int_equal(b.gic.redist_stride, 0);
	assert_virt_extras(buf);

	ASSERT_STRS(buf, "/chosen", "bootargs",
		    "console=ttyAMA0 root=/dev/ram0");
	assert_int_equal(u64_prop(buf, "/chosen", "linux,initrd-start"),
			 0x48000000);
	assert_int_equal(u64_prop(buf, "/chosen", "linux,initrd-end"),
			 0x48123000);
	assert_timer_flags(buf, 0x4);
	assert_int_equal(cell(buf, "/cpus", "#address-cells", 0), 1);
	ASSERT_STRS(buf, "/cpus/cpu@3", "compatible", "arm,armv8");
}

static void test_v3_1cpu_plain(void **state)
{
	struct guest_dtb_params p = params(1, 3);

	(void)state;
	p.bootargs = NULL;
	build(&p);
	assert_int_equal(board_parse(buf, 0, &b, &err), KAIROS_OK);
	assert_guest_view(&p);
	assert_range(b.gic.redist[0], VIRT_GICR, VIRT_GICR_STRIDE);
	assert_virt_extras(buf);
	assert_false(has(buf, "/chosen", "bootargs"));
	assert_false(has(buf, "/chosen", "linux,initrd-start"));
	assert_false(has(buf, "/chosen", "linux,initrd-end"));
}

/* vCPUs spread over clusters, one with Aff3: reg needs two cells. */
static void test_mpidr_with_aff3(void **state)
{
	struct guest_dtb_params p = params(3, 3);

	(void)state;
	p.vcpu_mpidr[0] = 0x100;
	p.vcpu_mpidr[1] = 0x10000;
	p.vcpu_mpidr[2] = 0x100000001ULL;
	p.timer_freq = 62500000;
	build(&p);
	assert_int_equal(cell(buf, "/cpus", "#address-cells", 0), 2);
	assert_int_equal(board_parse(buf, 0x100, &b, &err), KAIROS_OK);
	assert_guest_view(&p);
	assert_int_equal(cell(buf, "/timer", "clock-frequency", 0), 62500000);
}

/* ---- GICv2 ---- */

/*
 * board_parse() wants a GICv2 with the virtualization extensions, which
 * a guest never has: it must refuse the tree as it is. To read the rest
 * with the same parser, give a copy GICH and GICV frames.
 */
static void parse_v2(const struct guest_dtb_params *p)
{
	/* QEMU virt's GICH and GICV frames, as in tests/unit/dts */
	static const uint64_t hv[] = { 0x08030000, 0x10000, 0x08040000,
				       0x10000 };
	int gic;

	assert_int_equal(board_parse(buf, p->vcpu_mpidr[0], &b, &err),
			 KAIROS_ERR_UNSUPPORTED);
	assert_non_null(strstr(err.msg, "GICH"));
	assert_int_equal(fdt_open_into(buf, copy, sizeof(copy)), 0);
	gic = fdt_path_offset(copy, "/intc@8000000");
	for (unsigned int i = 0; i < ARRAY_SIZE(hv); i++)
		assert_int_equal(fdt_appendprop_u64(copy, gic, "reg", hv[i]),
				 0);
	assert_int_equal(board_parse(copy, p->vcpu_mpidr[0], &b, &err),
			 KAIROS_OK);
}

static void assert_v2_gic(const void *fdt)
{
	int len;

	ASSERT_STRS(fdt, "/intc@8000000", "compatible", "arm,cortex-a15-gic");

	/* reg = GICD, GICC: two 2 + 2-cell entries, no GICH or GICV */
	prop(fdt, "/intc@8000000", "reg", &len);
	assert_int_equal(len, 2 * 16);
	assert_int_equal(cell(fdt, "/intc@8000000", "reg", 1), VIRT_GICD);
	assert_int_equal(cell(fdt, "/intc@8000000", "reg", 3), VIRT_GICD_SIZE);
	assert_int_equal(cell(fdt, "/intc@8000000", "reg", 5), VIRT_GICC);
	assert_int_equal(cell(fdt, "/intc@8000000", "reg", 7), VIRT_GICC_SIZE);
	assert_false(has(fdt, "/intc@8000000", "#redistributor-regions"));
}

/*
 * A GICv2 tree from @p: the GIC as QEMU describes it, timer PPIs with
 * @flags, and everything a guest reads from it.
 */
static void build_v2(const struct guest_dtb_params *p, uint32_t flags)
{
	build(p);
	assert_v2_gic(buf);
	assert_timer_flags(buf, flags);
	parse_v2(p);
	assert_guest_view(p);
	assert_range(b.gic.cpu, VIRT_GICC, VIRT_GICC_SIZE);
	assert_virt_extras(buf);
}

/* QEMU: a GICv2 PPI's CPU mask has one bit per CPU (bits 15:8). */
static void test_v2_1cpu(void **state)
{
	struct guest_dtb_params p = params(1, 2);

	(void)state;
	build_v2(&p, 0x104);
	assert_false(has(buf, "/chosen", "bootargs"));
	assert_false(has(buf, "/chosen", "linux,initrd-start"));
}

static void test_v2_4cpus_initrd_bootargs(void **state)
{
	struct guest_dtb_params p = params(4, 2);

	(void)state;
	p.bootargs = "quiet";
	p.initrd_ipa = 0x4c000000;
	p.initrd_size = 0x400000;
	build_v2(&p, 0xf04);
	ASSERT_STRS(buf, "/chosen", "bootargs", "quiet");
	assert_int_equal(u64_prop(buf, "/chosen", "linux,initrd-start"),
			 0x4c000000);
	assert_int_equal(u64_prop(buf, "/chosen", "linux,initrd-end"),
			 0x4c400000);
}

/* ---- Size, determinism, bad parameters ---- */

static void test_buffer_too_small(void **state)
{
	struct guest_dtb_params p = params(4, 3);
	size_t need;

	(void)state;
	build(&p);
	need = fdt_totalsize(buf);
	assert_int_equal(guest_dtb_build(buf, need - 1, &p), KAIROS_ERR_LIMIT);
	assert_int_equal(guest_dtb_build(buf, 64, &p), KAIROS_ERR_LIMIT);
	assert_int_equal(guest_dtb_build(buf, 0, &p), KAIROS_ERR_LIMIT);
	assert_int_equal(guest_dtb_build(buf, need, &p), KAIROS_OK);
	assert_int_equal(fdt_totalsize(buf), need);
}

static void test_deterministic(void **state)
{
	struct guest_dtb_params p = params(2, 3);

	(void)state;
	p.bootargs = "console=ttyAMA0";
	build(&p);
	memcpy(copy, buf, sizeof(copy));
	memset(buf, 0xc3, sizeof(buf));
	build(&p);
	assert_memory_equal(buf, copy, sizeof(buf));
}

/*
 * The PCI host of a region's participant (the tree has region 2 at 0x80000000,
 * 2 MiB): ECAM for bus 0, probe-only, a 32-bit window over the doorbell
 * pages and one over the region, INTA of device 2 on level SPI 5.
 */
static void pci_host(void)
{
	const char *pci = "/pcie@3f000000";
	static const uint32_t ranges[] = {
		0x02000000, 0, 0x0b000000, 0, 0x0b000000, 0, 0x4000,
		0x02000000, 0, 0x80000000, 0, 0x80000000, 0, 0x200000,
	};
	static const uint32_t map[] = { 0x1000, 0, 0, 1, 1, 0, 0, 0, 5, 4 };
	const fdt32_t *c;
	int len;

	assert_string_equal(prop(buf, pci, "compatible", NULL),
			    "pci-host-ecam-generic");
	assert_string_equal(prop(buf, pci, "device_type", NULL), "pci");
	assert_int_equal(fdt32_ld(prop(buf, "/chosen", "linux,pci-probe-only",
				       NULL)),
			 1);
	c = prop(buf, pci, "reg", &len);
	assert_int_equal(len, 16);
	assert_int_equal(fdt64_ld((const fdt64_t *)c), 0x3f000000);
	assert_int_equal(fdt64_ld((const fdt64_t *)c + 1), 0x100000);
	c = prop(buf, pci, "bus-range", &len);
	assert_int_equal(len, 8);
	assert_int_equal(fdt32_ld(c + 1), 0);
	c = prop(buf, pci, "ranges", &len);
	assert_int_equal(len, (int)sizeof(ranges));
	for (size_t i = 0; i < ARRAY_SIZE(ranges); i++)
		assert_int_equal(fdt32_ld(c + i), ranges[i]);
	c = prop(buf, pci, "interrupt-map", &len);
	assert_int_equal(len, (int)sizeof(map));
	for (size_t i = 0; i < ARRAY_SIZE(map); i++)
		assert_int_equal(fdt32_ld(c + i), map[i]);
}

/*
 * A region: a reserved-memory child with no-map over the region's IPA
 * range, and a generic-uio node whose reg is the doorbell page of its
 * region number and then the region, with the region's edge SPI. Without
 * regions neither node exists.
 */
static void test_shmem(void **state)
{
	const struct vm_shmem shm = { .region = 2,
				      .index = 1,
				      .ipa = ipa_init(0x80000000),
				      .size = 0x200000,
				      .ro = true };
	struct guest_dtb_params p = params(1, 3);
	const char *bell = "/shmem-doorbell@b002000";
	const fdt32_t *c;
	int len;

	(void)state;
	build(&p);
	assert_true(fdt_path_offset(buf, "/reserved-memory") < 0);
	/* No region, no PCI host (and nothing probe-only). */
	assert_true(fdt_path_offset(buf, "/pcie@3f000000") < 0);
	assert_false(has(buf, "/chosen", "linux,pci-probe-only"));
	p.shmem = &shm;
	p.nr_shmem = 1;
	build(&p);
	c = prop(buf, "/reserved-memory/shmem@80000000", "reg", &len);
	assert_int_equal(len, 16);
	assert_int_equal(fdt64_ld((const fdt64_t *)c), 0x80000000);
	assert_int_equal(fdt64_ld((const fdt64_t *)c + 1), 0x200000);
	assert_true(has(buf, "/reserved-memory/shmem@80000000", "no-map"));
	assert_string_equal(prop(buf, bell, "compatible", NULL), "generic-uio");
	c = prop(buf, bell, "reg", &len);
	assert_int_equal(len, 32);
	assert_int_equal(fdt64_ld((const fdt64_t *)c), 0x0b002000);
	assert_int_equal(fdt64_ld((const fdt64_t *)c + 1), 0x1000);
	assert_int_equal(fdt64_ld((const fdt64_t *)c + 2), 0x80000000);
	assert_int_equal(fdt64_ld((const fdt64_t *)c + 3), 0x200000);
	c = prop(buf, bell, "interrupts", &len);
	assert_int_equal(len, 12);
	assert_int_equal(fdt32_ld(c), 0);      /* SPI */
	assert_int_equal(fdt32_ld(c + 1), 14); /* INTID 46 */
	assert_int_equal(fdt32_ld(c + 2), 1);  /* edge rising */
	assert_int_equal(fdt32_ld(prop(buf, bell, "kairos,doorbell-index",
				       NULL)),
			 1);
	assert_true(has(buf, bell, "kairos,read-only"));
	pci_host();
}

/*
 * The largest tree config_parse() can ask for fits in GUEST_DTB_MAX: the
 * longest bootargs, every vCPU, every passthrough device with the longest
 * compatible list, every shared-memory region, and the rest within
 * GUEST_DTB_FIXED_MAX.
 */
static void test_largest_fits(void **state)
{
	static char args[VM_BOOTARGS_MAX];
	static struct vm_device devs[VM_MAX_DEVICES];
	static struct vm_shmem shm[KAIROS_MAX_SHMEM];
	struct guest_dtb_params p = params(KAIROS_MAX_VCPUS, 2);

	(void)state;
	memset(args, 'x', sizeof(args) - 1);
	p.bootargs = args;
	for (unsigned int i = 0; i < VM_MAX_DEVICES; i++) {
		devs[i].reg = (struct board_range){
			pa_init(0x10000000ULL + (uint64_t)i * 0x1000), 0x1000
		};
		memset(devs[i].dt.compat, 'c', sizeof(devs[i].dt.compat));
		devs[i].dt.compat[sizeof(devs[i].dt.compat) - 1] = '\0';
		devs[i].dt.compat_len = sizeof(devs[i].dt.compat);
		devs[i].dt.intid = 1019;
		devs[i].dt.primecell = true;
	}
	p.devices = devs;
	p.nr_devices = VM_MAX_DEVICES;
	for (unsigned int i = 0; i < KAIROS_MAX_SHMEM; i++)
		shm[i] = (struct vm_shmem){ .region = i,
					    .index = SHMEM_MAX_PEERS - 1,
					    .ipa = ipa_init(0x7fffff000000ULL -
							    i * 0x1000000ULL),
					    .size = 0x1000000, /* a BAR */
					    .ro = true };
	p.shmem = shm;
	p.nr_shmem = KAIROS_MAX_SHMEM;
	p.initrd_ipa = 0x48000000;
	p.initrd_size = 0x1000;
	p.timer_freq = 1000000000;
	p.pmu = true;
	for (unsigned int i = 0; i < KAIROS_MAX_VCPUS; i++)
		p.vcpu_mpidr[i] = 0xff00ffffffULL - i;
	build(&p);
	assert_int_equal(strlen(prop(buf, "/chosen", "bootargs", NULL)),
			 VM_BOOTARGS_MAX - 1);
	assert_true(fdt_totalsize(buf) - (VM_BOOTARGS_MAX - 1) <=
		    GUEST_DTB_FIXED_MAX);
	/* eight CPUs: a full CPU mask */
	assert_timer_flags(buf, 0xff04);
	assert_int_equal(cell(buf, "/pmu", "interrupts", 2), 0xff04);
}

/*
 * The pmu node, as QEMU describes it and Linux's arm_pmu reads it: PPI 7
 * (the vGIC's VCPU_PMU_INTID), level-high, on a GICv2 with one bit per
 * vCPU; none when the parameters say the VM gets no PMU interrupt.
 */
static void assert_pmu(const struct guest_dtb_params *p, uint32_t flags)
{
	int len;

	build(p);
	ASSERT_STRS(buf, "/pmu", "compatible", "arm,armv8-pmuv3");
	assert_non_null(prop(buf, "/pmu", "interrupts", &len));
	assert_int_equal(len, 12);
	assert_int_equal(cell(buf, "/pmu", "interrupts", 0), 1); /* PPI */
	assert_int_equal(cell(buf, "/pmu", "interrupts", 1) + 16,
			 VCPU_PMU_INTID);
	assert_int_equal(cell(buf, "/pmu", "interrupts", 2), flags);
	/* Kairos's own parser finds it (a GICv2 tree given GICH first). */
	if (p->gic_version == 2)
		parse_v2(p);
	else
		assert_int_equal(board_parse(buf, 0, &b, &err), KAIROS_OK);
	assert_int_equal(b.pmu_intid, VCPU_PMU_INTID);
}

static void test_pmu_node(void **state)
{
	struct guest_dtb_params p = params(4, 3);

	(void)state;
	p.pmu = true;
	assert_pmu(&p, 0x4);
	p = params(3, 2);
	p.pmu = true;
	assert_pmu(&p, 0x704);
	p = params(1, 2);
	p.pmu = true;
	assert_pmu(&p, 0x104);
	p.pmu = false;
	build(&p);
	assert_true(fdt_path_offset(buf, "/pmu") < 0);
}

static void test_bad_params(void **state)
{
	struct guest_dtb_params p = params(1, 3);

	(void)state;
	p.nr_vcpus = 0;
	assert_int_equal(guest_dtb_build(buf, sizeof(buf), &p),
			 KAIROS_ERR_MALFORMED);
	p = params(1, 4);
	assert_int_equal(guest_dtb_build(buf, sizeof(buf), &p),
			 KAIROS_ERR_MALFORMED);
	p = params(1, 3);
	p.timer_freq = 1ULL << 32; /* clock-frequency is one cell */
	assert_int_equal(guest_dtb_build(buf, sizeof(buf), &p),
			 KAIROS_ERR_MALFORMED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_v3_4cpus_initrd_bootargs, setup),
		cmocka_unit_test_setup(test_v3_1cpu_plain, setup),
		cmocka_unit_test_setup(test_mpidr_with_aff3, setup),
		cmocka_unit_test_setup(test_v2_1cpu, setup),
		cmocka_unit_test_setup(test_v2_4cpus_initrd_bootargs, setup),
		cmocka_unit_test_setup(test_buffer_too_small, setup),
		cmocka_unit_test_setup(test_deterministic, setup),
		cmocka_unit_test_setup(test_largest_fits, setup),
		cmocka_unit_test_setup(test_pmu_node, setup),
		cmocka_unit_test_setup(test_shmem, setup),
		cmocka_unit_test_setup(test_bad_params, setup),
	};

	return cmocka_run_group_tests_name("guest_dtb", tests, NULL, NULL);
}
