// SPDX-License-Identifier: MIT
/*
 * core/config/board.c on DTBs compiled from tests/unit/dts: what a QEMU-virt
 * GICv3 board, a GICv2 board and a Raspberry-Pi-4-like board (spin-table,
 * devices and GIC behind /soc "ranges") parse to, and that each broken
 * board is refused with the right error and a message naming the node and
 * the property. Expected values are read off the fixtures, not the code.
 */
#include <kairos/board.h>
#include <kairos/compiler.h>
#include <kairos/config.h>
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

/* PSCI 0.2+ CPU_ON, SMC64 calling convention (Arm DEN0022 §5.1). */
#define PSCI_CPU_ON_64 0xc4000003U
/* GIC binding: PPI n is INTID 16 + n, SPI n is INTID 32 + n. */
#define PPI(n) (16U + (n))
#define SPI(n) (32U + (n))

/* rpi4.dtsi: /soc "ranges" for the peripherals and the ARM-local block */
static uint64_t soc_to_cpu(uint64_t a)
{
	return 0xfe000000ULL + (a - 0x7e000000ULL);
}

static uint64_t local_to_cpu(uint64_t a)
{
	return 0xff800000ULL + (a - 0x40000000ULL);
}

static _Alignas(8) unsigned char dtb[65536];
static struct board b;
static struct board_err err;

static const void *load(const char *name)
{
	return dtb_fixture(name, dtb, sizeof(dtb));
}

static int setup(void **state)
{
	(void)state;
	fake_reset();
	memset(&b, 0xa5, sizeof(b)); /* board_parse must set every field */
	memset(&err, 0, sizeof(err));
	return 0;
}

static void assert_range(struct board_range r, uint64_t base, uint64_t size)
{
	assert_int_equal(pa_addr(r.base), base);
	assert_int_equal(r.size, size);
}

static void assert_msg_has(const char *what)
{
	if (!strstr(err.msg, what))
		fail_msg("message \"%s\" does not mention \"%s\"", err.msg,
			 what);
}

/* board_parse(@name) is refused with @e and err.msg mentions each string. */
static void assert_refused(const char *name, uint64_t mpidr, enum kairos_err e,
			   const char *const *what)
{
	enum kairos_err got = board_parse(load(name), mpidr, &b, &err);

	print_message("    %s: %s\n", name, err.msg);
	assert_int_equal(got, e);
	for (; *what; what++)
		assert_msg_has(*what);
}

#define REFUSED(name, mpidr, e, ...)   \
	assert_refused(name, mpidr, e, \
		       (const char *const[]){ __VA_ARGS__, NULL })

/* ---- Boards that must parse ---- */

static void test_virt_gicv3(void **state)
{
	(void)state;
	assert_int_equal(board_parse(load("virt-gicv3"), 0, &b, &err),
			 KAIROS_OK);
	assert_int_equal(b.nr_mem, 1);
	assert_range(b.mem[0], 0x40000000, 0x08000000);
	assert_int_equal(b.pm_wdog.size, 0); /* PSCI powers it */
	assert_int_equal(b.nr_cpus, 4);
	assert_int_equal(b.ignored_cpus, 0);
	assert_int_equal(b.boot_cpu, 0);
	assert_int_equal(b.cpus[0].mpidr, 0);
	assert_int_equal(b.cpus[0].enable, BOARD_CPU_BOOT);
	for (unsigned int i = 1; i < 4; i++) {
		assert_int_equal(b.cpus[i].mpidr, i);
		assert_int_equal(b.cpus[i].enable, BOARD_CPU_PSCI);
	}
	assert_int_equal(b.psci.conduit, BOARD_CONDUIT_SMC);
	assert_true(b.psci.v02);
	assert_int_equal(b.psci.cpu_on, PSCI_CPU_ON_64);

	assert_int_equal(b.gic.version, 3);
	assert_string_equal(b.gic.path, "/intc@8000000");
	assert_range(b.gic.dist, 0x08000000, 0x10000);
	assert_int_equal(b.gic.nr_redist, 1);
	assert_range(b.gic.redist[0], 0x080a0000, 0xf60000);
	assert_int_equal(b.gic.redist_stride, 0);
	assert_int_equal(b.gic.maint_intid, PPI(9));

	assert_int_equal(b.timer.sec_phys_intid, PPI(13));
	assert_int_equal(b.timer.phys_intid, PPI(14));
	assert_int_equal(b.timer.virt_intid, PPI(11));
	assert_int_equal(b.timer.hyp_intid, PPI(10));
	assert_int_equal(b.timer.dt_freq, 0);
	assert_int_equal(b.pmu_intid, PPI(7));

	assert_int_equal(b.uart.kind, BOARD_UART_PL011);
	assert_string_equal(b.uart.path, "/pl011@9000000");
	assert_range(b.uart.reg, 0x09000000, 0x1000);
	assert_int_equal(b.uart.intid, SPI(1));

	/* /memreserve/ 0x48000000 0x10000 */
	assert_int_equal(b.nr_reserved, 1);
	assert_range(b.reserved[0], 0x48000000, 0x10000);
}

static void test_virt_gicv2_and_alias_console(void **state)
{
	(void)state;
	assert_int_equal(board_parse(load("virt-gicv2"), 0, &b, &err),
			 KAIROS_OK);
	assert_int_equal(b.gic.version, 2);
	assert_range(b.gic.dist, 0x08000000, 0x10000);
	assert_range(b.gic.cpu, 0x08010000, 0x10000);
	assert_range(b.gic.hyp, 0x08030000, 0x10000);
	assert_range(b.gic.vcpu, 0x08040000, 0x10000);
	assert_int_equal(b.gic.maint_intid, PPI(9));
	assert_int_equal(b.gic.nr_redist, 0);
	/* stdout-path = "serial0:115200n8": alias resolved, options cut */
	assert_string_equal(b.uart.path, "/pl011@9000000");
	assert_range(b.uart.reg, 0x09000000, 0x1000);
}

/*
 * The PMU's interrupt is optional: a board without a PMU node, or whose
 * node's interrupt is not a GIC PPI, parses with none.
 */
static void test_pmu_absent_or_not_a_ppi(void **state)
{
	const fdt32_t spi[3] = { cpu_to_fdt32(0), cpu_to_fdt32(7),
				 cpu_to_fdt32(4) };
	void *fdt = (void *)load("virt-gicv3");
	int node;

	(void)state;
	assert_int_equal(fdt_open_into(fdt, dtb, sizeof(dtb)), 0);
	node = fdt_path_offset(fdt, "/pmu");
	assert_true(node >= 0);
	assert_int_equal(fdt_setprop(fdt, node, "interrupts", spi, sizeof(spi)),
			 0);
	assert_int_equal(board_parse(fdt, 0, &b, &err), KAIROS_OK);
	assert_int_equal(b.pmu_intid, 0);
	assert_int_equal(fdt_setprop(fdt, node, "interrupts", spi, 4), 0);
	assert_int_equal(board_parse(fdt, 0, &b, &err), KAIROS_OK);
	assert_int_equal(b.pmu_intid, 0);
	assert_int_equal(fdt_del_node(fdt, node), 0);
	assert_int_equal(board_parse(fdt, 0, &b, &err), KAIROS_OK);
	assert_int_equal(b.pmu_intid, 0);
	assert_int_equal(b.timer.virt_intid, PPI(11));
}

static void test_find_console_alone(void **state)
{
	struct board_uart u;

	(void)state;
	assert_int_equal(board_find_console(load("virt-gicv2"), &u, &err),
			 KAIROS_OK);
	assert_int_equal(u.kind, BOARD_UART_PL011);
	assert_range(u.reg, 0x09000000, 0x1000);
}

static void test_find_console_bad_header(void **state)
{
	struct board_uart u;
	static const unsigned char junk[64] = { 0xde, 0xad, 0xbe, 0xef };

	(void)state;
	assert_int_equal(board_find_console(junk, &u, &err),
			 KAIROS_ERR_MALFORMED);
	assert_true(strlen(err.msg) > 0);
}

/*
 * Structure blocks libfdt's walkers must not see (found by fuzz_config:
 * fdt_get_path() read before its buffer): a root node with a name, and a
 * second top-level node after the root.
 */
static void test_malformed_structure_refused(void **state)
{
	static _Alignas(8) unsigned char two[256];
	struct board_uart u;
	void *fdt = (void *)load("virt-gicv3");

	(void)state;
	assert_int_equal(fdt_open_into(fdt, dtb, sizeof(dtb)), 0);
	assert_int_equal(fdt_set_name(fdt, 0, "named"), 0);
	assert_int_equal(board_find_console(fdt, &u, &err),
			 KAIROS_ERR_MALFORMED);
	assert_msg_has("root node");
	assert_int_equal(board_parse(fdt, 0, &b, &err), KAIROS_ERR_MALFORMED);

	assert_int_equal(fdt_create(two, sizeof(two)), 0);
	assert_int_equal(fdt_finish_reservemap(two), 0);
	assert_int_equal(fdt_begin_node(two, ""), 0);
	assert_int_equal(fdt_end_node(two), 0);
	assert_int_equal(fdt_begin_node(two, "chosen"), 0);
	assert_int_equal(fdt_end_node(two), 0);
	assert_int_equal(fdt_finish(two), 0);
	memset(&err, 0, sizeof(err));
	assert_int_equal(board_find_console(two, &u, &err),
			 KAIROS_ERR_MALFORMED);
	assert_msg_has("structure block malformed at offset");
}

static void test_rpi4_spin_table_and_soc_ranges(void **state)
{
	(void)state;
	assert_int_equal(board_parse(load("rpi4"), 0, &b, &err), KAIROS_OK);
	assert_int_equal(b.nr_cpus, 4);
	assert_int_equal(b.cpus[0].enable, BOARD_CPU_BOOT);
	for (unsigned int i = 1; i < 4; i++) {
		assert_int_equal(b.cpus[i].mpidr, i);
		assert_int_equal(b.cpus[i].enable, BOARD_CPU_SPIN_TABLE);
		/* cpu-release-addr = <0 0xd8>, <0 0xe0>, ... */
		assert_int_equal(pa_addr(b.cpus[i].release_addr), 0xd8 + 8 * i);
	}
	assert_int_equal(b.psci.conduit, BOARD_CONDUIT_NONE);

	assert_int_equal(b.nr_mem, 2);
	assert_range(b.mem[0], 0, 0x3b400000);
	assert_range(b.mem[1], 0x40000000, 0xbc000000);

	/* The GIC-400 sits behind /soc's third range. */
	assert_int_equal(b.gic.version, 2);
	assert_string_equal(b.gic.path, "/soc/interrupt-controller@40041000");
	assert_range(b.gic.dist, local_to_cpu(0x40041000), 0x1000);
	assert_range(b.gic.cpu, local_to_cpu(0x40042000), 0x2000);
	assert_range(b.gic.hyp, local_to_cpu(0x40044000), 0x2000);
	assert_range(b.gic.vcpu, local_to_cpu(0x40046000), 0x2000);
	assert_int_equal(b.gic.maint_intid, PPI(9));
	assert_int_equal(b.timer.hyp_intid, PPI(10));
	/* Its PMU has one SPI per CPU: no physical PMU interrupt taken. */
	assert_int_equal(b.pmu_intid, 0);

	/* stdout-path = "serial1:115200n8", the mini-UART */
	assert_int_equal(b.uart.kind, BOARD_UART_BCM2835_AUX);
	assert_string_equal(b.uart.path, "/soc/serial@7e215040");
	assert_range(b.uart.reg, soc_to_cpu(0x7e215040), 0x40);
	assert_int_equal(pa_addr(b.uart.reg.base), 0xfe215040);
	assert_int_equal(b.uart.intid, SPI(93));

	/* /reserved-memory/linux,cma, through an empty "ranges" */
	assert_int_equal(b.nr_reserved, 1);
	assert_range(b.reserved[0], 0x2c000000, 0x04000000);

	/* No PSCI: power goes through the PM watchdog's first reg. */
	assert_range(b.pm_wdog, soc_to_cpu(0x7e100000), 0x114);
	assert_int_equal(pa_addr(b.pm_wdog.base), 0xfe100000);
}

static void test_rpi4_pl011_translated(void **state)
{
	(void)state;
	assert_int_equal(board_parse(load("rpi4-pl011"), 0, &b, &err),
			 KAIROS_OK);
	assert_int_equal(b.uart.kind, BOARD_UART_PL011);
	assert_range(b.uart.reg, 0xfe201000, 0x200);
	assert_int_equal(b.uart.intid, SPI(121));
}

/*
 * rpi3.dtsi: no GIC; two-cell specifiers of the local controller (timers
 * by its numbers) and of the chained peripheral controller (<bank irq>)
 * become the INTIDs the BCM2836 driver raises.
 */
static void test_rpi3_bcm2836_controllers(void **state)
{
	(void)state;
	assert_int_equal(board_parse(load("rpi3"), 0, &b, &err), KAIROS_OK);
	assert_int_equal(b.gic.kind, BOARD_IRQC_BCM2836);
	assert_int_equal(b.gic.version, 2);
	assert_string_equal(b.gic.path, "/soc/local_intc@40000000");
	assert_range(b.gic.local, 0x40000000, 0x100);
	assert_range(b.gic.periph, 0x3f00b200, 0x200);
	assert_int_equal(b.gic.maint_intid, BCM2836_INTID_MAINT);
	assert_int_equal(b.timer.sec_phys_intid, BCM2836_INTID_CNTPS);
	assert_int_equal(b.timer.phys_intid, BCM2836_INTID_CNTPNS);
	assert_int_equal(b.timer.virt_intid, BCM2836_INTID_CNTV);
	assert_int_equal(b.timer.hyp_intid, BCM2836_INTID_CNTHP);
	/* PL011: bank 2 irq 25 = GPU interrupt 57. */
	assert_int_equal(b.uart.kind, BOARD_UART_PL011);
	assert_range(b.uart.reg, 0x3f201000, 0x200);
	assert_int_equal(b.uart.intid, BCM2836_INTID_GPU0 + 57);
	assert_int_equal(b.nr_cpus, 2);
	assert_int_equal(b.cpus[1].enable, BOARD_CPU_SPIN_TABLE);
	assert_int_equal(pa_addr(b.cpus[1].release_addr), 0xe0);
	assert_int_equal(b.nr_mem, 1);
	assert_range(b.mem[0], 0, 0x3c000000);
}

static void test_boot_cpu_moved_to_index_0(void **state)
{
	bool seen[4] = { false };

	(void)state;
	assert_int_equal(board_parse(load("rpi4"), 2, &b, &err), KAIROS_OK);
	assert_int_equal(b.boot_cpu, 0);
	assert_int_equal(b.cpus[0].mpidr, 2);
	assert_int_equal(b.cpus[0].enable, BOARD_CPU_BOOT);
	/* Every other CPU still there once, started by its spin table. */
	for (unsigned int i = 0; i < b.nr_cpus; i++) {
		assert_true(b.cpus[i].mpidr < 4);
		assert_false(seen[b.cpus[i].mpidr]);
		seen[b.cpus[i].mpidr] = true;
		if (i)
			assert_int_equal(b.cpus[i].enable,
					 BOARD_CPU_SPIN_TABLE);
	}
	assert_int_equal(b.nr_cpus, 4);
}

static void test_more_cpus_than_supported(void **state)
{
	(void)state;
	/* 10 CPUs; entered on the last one (reg = <0x201>). */
	assert_int_equal(board_parse(load("many-cpus"), 0x201, &b, &err),
			 KAIROS_OK);
	assert_int_equal(b.nr_cpus, KAIROS_MAX_CPUS);
	assert_int_equal(b.ignored_cpus, 10 - KAIROS_MAX_CPUS);
	assert_int_equal(b.cpus[0].mpidr, 0x201);
	assert_int_equal(b.cpus[0].enable, BOARD_CPU_BOOT);
	for (unsigned int i = 1; i < b.nr_cpus; i++)
		assert_int_not_equal(b.cpus[i].mpidr, 0x201);
}

static void test_boot_mpidr_ignores_non_affinity_bits(void **state)
{
	(void)state;
	/* MPIDR_EL1.U (bit 30) and bit 31 (RES1) are not affinity. */
	assert_int_equal(board_parse(load("virt-gicv3"), 0x80000000U | 1U, &b,
				     &err),
			 KAIROS_OK);
	assert_int_equal(b.cpus[0].mpidr, 1);
}

/* ---- RAM queries ---- */

static void test_ram_size(void **state)
{
	(void)state;
	assert_int_equal(board_parse(load("rpi4"), 0, &b, &err), KAIROS_OK);
	assert_int_equal(board_ram_size(&b), 0x3b400000ULL + 0xbc000000ULL);
	assert_int_equal(board_parse(load("virt-gicv3"), 0, &b, &err),
			 KAIROS_OK);
	assert_int_equal(board_ram_size(&b), 0x08000000);
}

static void test_in_ram_edges(void **state)
{
	const uint64_t base = 0x40000000, end = base + 0x08000000;

	(void)state;
	assert_int_equal(board_parse(load("virt-gicv3"), 0, &b, &err),
			 KAIROS_OK);
	assert_true(board_in_ram(&b, pa_init(base), end - base));
	assert_true(board_in_ram(&b, pa_init(end - 0x1000), 0x1000));
	assert_true(board_in_ram(&b, pa_init(end - 1), 1));
	assert_false(board_in_ram(&b, pa_init(end - 0x1000), 0x1001));
	assert_false(board_in_ram(&b, pa_init(end), 1));
	assert_false(board_in_ram(&b, pa_init(base - 1), 2));
	assert_false(board_in_ram(&b, pa_init(base - 1), 1));
	assert_false(board_in_ram(&b, pa_init(base), end - base + 1));
	/* base + size wraps past 2^64: must not look small */
	assert_false(board_in_ram(&b, pa_init(base + 0x1000), UINT64_MAX));
	assert_false(board_in_ram(&b, pa_init(UINT64_MAX - 0xfff), 0x2000));
}

static void test_in_ram_does_not_span_ranges(void **state)
{
	(void)state;
	assert_int_equal(board_parse(load("rpi4"), 0, &b, &err), KAIROS_OK);
	assert_true(board_in_ram(&b, pa_init(0x40000000), 0xbc000000));
	/* Into the carve-out between the two ranges. */
	assert_false(board_in_ram(&b, pa_init(0x3b3ff000), 0x2000));
	assert_false(board_in_ram(&b, pa_init(0x3b400000), 0x1000));
	assert_false(board_in_ram(&b, pa_init(0), 0x100000000ULL));
}

/* ---- Refusals ---- */

static void test_refuse_no_gic(void **state)
{
	(void)state;
	REFUSED("no-gic", 0, KAIROS_ERR_MISSING, "compatible", "arm,gic-v3",
		"arm,gic-400");
}

static void test_refuse_gicv2_without_virt_ext(void **state)
{
	(void)state;
	REFUSED("gicv2-two-regs", 0, KAIROS_ERR_UNSUPPORTED, "/intc@8000000",
		"reg", "GICH");
}

static void test_refuse_bcm2836_without_peripheral_controller(void **state)
{
	(void)state;
	REFUSED("rpi3-no-armctrl", 0, KAIROS_ERR_MISSING,
		"/soc/local_intc@40000000", "brcm,bcm2836-armctrl-ic");
}

static void test_refuse_no_timer(void **state)
{
	(void)state;
	REFUSED("no-timer", 0, KAIROS_ERR_MISSING, "timer", "arm,armv8-timer");
}

static void test_refuse_timer_3_interrupts(void **state)
{
	(void)state;
	REFUSED("timer-3-irqs", 0, KAIROS_ERR_MALFORMED, "/timer",
		"interrupts");
}

static void test_refuse_cpu_without_enable_method(void **state)
{
	(void)state;
	REFUSED("cpu-no-enable-method", 0, KAIROS_ERR_MISSING, "/cpus/cpu@1",
		"enable-method");
}

static void test_refuse_spin_table_without_release_addr(void **state)
{
	(void)state;
	REFUSED("spin-table-no-release", 0, KAIROS_ERR_MISSING, "/cpus/cpu@2",
		"cpu-release-addr");
}

static void test_refuse_psci_without_method(void **state)
{
	(void)state;
	REFUSED("psci-no-method", 0, KAIROS_ERR_MISSING, "/psci", "method");
}

static void test_refuse_psci_missing_names_psci_cpu(void **state)
{
	(void)state;
	/* cpu@1 uses spin-table; cpu@2 is the first that needs /psci. */
	REFUSED("psci-missing-mixed", 0, KAIROS_ERR_MISSING, "/psci",
		"/cpus/cpu@2", "enable-method");
}

static void test_refuse_no_memory(void **state)
{
	(void)state;
	REFUSED("no-memory", 0, KAIROS_ERR_MISSING, "/memory", "device_type");
}

static void test_refuse_boot_cpu_not_in_dt(void **state)
{
	(void)state;
	REFUSED("virt-gicv3", 0x100, KAIROS_ERR_MISSING, "/cpus", "reg",
		"0x100");
}

static void test_refuse_stdout_path_to_missing_node(void **state)
{
	struct board_uart u;

	(void)state;
	REFUSED("stdout-missing-node", 0, KAIROS_ERR_MALFORMED, "/chosen",
		"stdout-path", "/pl011@9001000");
	memset(&err, 0, sizeof(err));
	assert_int_equal(board_find_console(dtb, &u, &err),
			 KAIROS_ERR_MALFORMED);
	assert_msg_has("stdout-path");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_virt_gicv3, setup),
		cmocka_unit_test_setup(test_virt_gicv2_and_alias_console,
				       setup),
		cmocka_unit_test_setup(test_pmu_absent_or_not_a_ppi, setup),
		cmocka_unit_test_setup(test_find_console_alone, setup),
		cmocka_unit_test_setup(test_find_console_bad_header, setup),
		cmocka_unit_test_setup(test_malformed_structure_refused, setup),
		cmocka_unit_test_setup(test_rpi4_spin_table_and_soc_ranges,
				       setup),
		cmocka_unit_test_setup(test_rpi4_pl011_translated, setup),
		cmocka_unit_test_setup(test_rpi3_bcm2836_controllers, setup),
		cmocka_unit_test_setup(test_boot_cpu_moved_to_index_0, setup),
		cmocka_unit_test_setup(test_more_cpus_than_supported, setup),
		cmocka_unit_test_setup(test_boot_mpidr_ignores_non_affinity_bits,
				       setup),
		cmocka_unit_test_setup(test_ram_size, setup),
		cmocka_unit_test_setup(test_in_ram_edges, setup),
		cmocka_unit_test_setup(test_in_ram_does_not_span_ranges, setup),
		cmocka_unit_test_setup(test_refuse_no_gic, setup),
		cmocka_unit_test_setup(test_refuse_gicv2_without_virt_ext,
				       setup),
		cmocka_unit_test_setup(
			test_refuse_bcm2836_without_peripheral_controller,
			setup),
		cmocka_unit_test_setup(test_refuse_no_timer, setup),
		cmocka_unit_test_setup(test_refuse_timer_3_interrupts, setup),
		cmocka_unit_test_setup(test_refuse_cpu_without_enable_method,
				       setup),
		cmocka_unit_test_setup(
			test_refuse_spin_table_without_release_addr, setup),
		cmocka_unit_test_setup(test_refuse_psci_without_method, setup),
		cmocka_unit_test_setup(test_refuse_psci_missing_names_psci_cpu,
				       setup),
		cmocka_unit_test_setup(test_refuse_no_memory, setup),
		cmocka_unit_test_setup(test_refuse_boot_cpu_not_in_dt, setup),
		cmocka_unit_test_setup(test_refuse_stdout_path_to_missing_node,
				       setup),
	};

	return cmocka_run_group_tests_name("board", tests, NULL, NULL);
}
