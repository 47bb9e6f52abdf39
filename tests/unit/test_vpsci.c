// SPDX-License-Identifier: MIT
/*
 * core/vdev/vpsci.c as guests call it (Arm DEN0022D PSCI 1.1, DEN0028 SMCCC):
 * versions and features, CPU_ON with the state a secondary's entry code
 * relies on and the kick that makes its pCPU run it, the error codes of
 * CPU_ON and AFFINITY_INFO, CPU_SUSPEND and CPU_OFF, unknown functions,
 * and SYSTEM_OFF/SYSTEM_RESET affecting only the calling VM.
 */
#include <kairos/cpu.h>
#include <kairos/irq.h>
#include <kairos/vdev.h>
#include <kairos/vmmio.h>
#include <libfdt.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

/* cmocka.h needs <setjmp.h>, <stdarg.h> and <stddef.h> first. */
#include <cmocka.h>

#include "fake.h"
#include "util.h"

#define SMCCC_VERSION 0x80000000U
#define SMCCC_ARCH_FEATURES 0x80000001U
#define PSCI_VERSION 0x84000000U
#define CPU_SUSPEND 0x84000001U
#define CPU_OFF 0x84000002U
#define CPU_ON 0x84000003U
#define AFFINITY_INFO 0x84000004U
#define MIGRATE_INFO_TYPE 0x84000006U
#define SYSTEM_OFF 0x84000008U
#define SYSTEM_RESET 0x84000009U
#define PSCI_FEATURES 0x8400000aU
#define SMC64 0x40000000U

#define NOT_SUPPORTED ((uint64_t)-1)
#define INVALID_PARAMETERS ((uint64_t)-2)
#define ALREADY_ON ((uint64_t)-4)
#define INVALID_ADDRESS ((uint64_t)-9)

#define RAM 0x40000000UL
#define ENTRY 0x40123000UL
#define CTX 0xc0ffee00UL

static struct vm *a, *b;
static enum vexit_result res;

static int setup(void **state)
{
	static const unsigned int pcpu[4] = { 0, 1, 2, 3 };

	(void)state;
	util_setup(4);
	util_vm_add("a", 4, pcpu, 1);
	util_vm_add("b", 2, pcpu, 1);
	fake_power_set_result(false, false); /* as a board that cannot */
	util_create();
	a = &vms[0];
	b = &vms[1];
	return 0;
}

/* The guest on @v makes an HVC; x0 as it reads it afterwards. */
static uint64_t hvc(struct vcpu *v, uint64_t x0, uint64_t x1, uint64_t x2,
		    uint64_t x3)
{
	v->st.regs.x[0] = x0;
	v->st.regs.x[1] = x1;
	v->st.regs.x[2] = x2;
	v->st.regs.x[3] = x3;
	res = vpsci_call(v);
	return v->st.regs.x[0];
}

static void test_versions(void **state)
{
	struct vcpu *v = &a->vcpus[0];

	(void)state;
	assert_int_equal(hvc(v, PSCI_VERSION, 0, 0, 0), 0x10001);
	assert_int_equal(res, VEXIT_RESUME);
	assert_int_equal(hvc(v, SMCCC_VERSION, 0, 0, 0), 0x10001);
	/* Linux asks for firmware workarounds: none on offer. */
	assert_int_equal(hvc(v, SMCCC_ARCH_FEATURES, 0x80008000U, 0, 0),
			 NOT_SUPPORTED);
	/* No Trusted OS to migrate. */
	assert_int_equal(hvc(v, MIGRATE_INFO_TYPE, 0, 0, 0), 2);
	/* The function ID is w0: whatever is above it does not count. */
	assert_int_equal(hvc(v, 0xdeadbeef00000000UL | PSCI_VERSION, 0, 0, 0),
			 0x10001);
}

static void test_features(void **state)
{
	static const uint32_t known[] = {
		SMCCC_VERSION,
		PSCI_VERSION,
		CPU_SUSPEND,
		CPU_OFF,
		CPU_ON,
		AFFINITY_INFO,
		SYSTEM_OFF,
		SYSTEM_RESET,
		PSCI_FEATURES,
		MIGRATE_INFO_TYPE,
		CPU_ON | SMC64,
		AFFINITY_INFO | SMC64,
		CPU_SUSPEND | SMC64,
	};
	static const uint32_t unknown[] = {
		0x84000005U,        /* MIGRATE */
		0x84000007U,        /* MIGRATE_INFO_UP_CPU */
		0x8400000cU,        /* CPU_FREEZE */
		0x84000012U,        /* SYSTEM_RESET2 */
		CPU_OFF | SMC64,    /* has no SMC64 form */
		SYSTEM_OFF | SMC64, /* neither */
		0x8200ff00U,        0U,
	};
	struct vcpu *v = &a->vcpus[0];

	(void)state;
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		assert_int_equal(hvc(v, PSCI_FEATURES, known[i], 0, 0), 0);
	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++)
		assert_int_equal(hvc(v, PSCI_FEATURES, unknown[i], 0, 0),
				 NOT_SUPPORTED);
}

static void test_unknown_functions(void **state)
{
	static const uint64_t fids[] = {
		0x8200ff00U, 0xc200ff00U, 0x84000005U, 0x8400000cU,
		0xc4000008U, 0x86000000U, 0,           0xffffffffU,
	};
	struct vcpu *v = &a->vcpus[0];

	(void)state;
	for (size_t i = 0; i < sizeof(fids) / sizeof(fids[0]); i++) {
		assert_int_equal(hvc(v, fids[i], 11, 22, 33), NOT_SUPPORTED);
		assert_int_equal(res, VEXIT_RESUME);
		/* Nothing else of the guest changes. */
		assert_int_equal(v->st.regs.x[1], 11);
		assert_int_equal(v->st.regs.x[3], 33);
	}
	assert_int_equal(a->state, VM_RUNNING);
	for (unsigned int i = 1; i < a->nr_vcpus; i++)
		assert_int_equal(a->vcpus[i].st.power, VCPU_POWER_OFF);
}

static void test_cpu_on_starts_secondary(void **state)
{
	struct vcpu *t = &a->vcpus[2];
	uint32_t gen = t->gen;

	(void)state;
	/* Leftovers of an earlier life must not survive. */
	t->st.regs.x[5] = 77;
	t->st.sys.sctlr |= FAKE_SCTLR_M;
	t->st.sys.vbar = 0x1000;
	assert_int_equal(hvc(&a->vcpus[0], CPU_ON, 2, ENTRY, CTX), 0);
	assert_int_equal(res, VEXIT_RESUME);
	assert_int_equal(t->st.regs.pc, ENTRY);
	assert_int_equal(t->st.regs.x[0], CTX);
	assert_int_equal(t->st.regs.x[5], 0);
	assert_int_equal(t->st.regs.pstate, PSR_MODE_EL1h | PSR_DAIF);
	assert_int_equal(t->st.sys.sctlr, SCTLR_EL1_RESET);
	assert_int_equal(t->st.sys.vbar, 0);
	assert_int_equal(t->st.sys.vmpidr & 0xff00ffffffUL, 2);
	assert_int_equal(t->st.power, VCPU_POWER_ON);
	assert_int_equal(t->run, VCPU_RUN_READY);
	assert_true(t->gen != gen); /* loaded state is stale now */
	/* Its pCPU is told, the others are not. */
	assert_int_equal(cpus[2].resched, 1);
	assert_int_equal(fake_sgis(2, IRQ_SGI_KICK), 1);
	assert_int_equal(fake_sgis(1, IRQ_SGI_KICK) +
				 fake_sgis(3, IRQ_SGI_KICK),
			 0);
	/* The other vCPUs are untouched. */
	assert_int_equal(a->vcpus[1].st.power, VCPU_POWER_OFF);
	assert_int_equal(a->vcpus[3].st.power, VCPU_POWER_OFF);
}

static void test_cpu_on_smc64_and_same_pcpu(void **state)
{
	(void)state;
	/* SMC64 form, the way Linux calls it, with a 64-bit context. */
	assert_int_equal(hvc(&a->vcpus[0], CPU_ON | SMC64, 3, ENTRY,
			     0x1234567890UL),
			 0);
	assert_int_equal(a->vcpus[3].st.regs.pc, ENTRY);
	assert_int_equal(a->vcpus[3].st.regs.x[0], 0x1234567890UL);
	/* A vCPU of this pCPU: flagged, but no SGI to oneself. */
	cpus[0].resched = 0;
	assert_int_equal(hvc(&b->vcpus[1], CPU_ON, 0, ENTRY, 0),
			 ALREADY_ON); /* b's vCPU0 runs already */
	assert_int_equal(cpus[0].resched, 0);
	b->vcpus[0].pcpu = 0;
	hvc(&b->vcpus[0], CPU_OFF, 0, 0, 0);
	assert_int_equal(hvc(&b->vcpus[1], CPU_ON, 0, ENTRY, 0), 0);
	assert_int_equal(cpus[0].resched, 1);
	assert_int_equal(fake_sgis(0, IRQ_SGI_KICK), 0);
}

static void test_cpu_on_refusals(void **state)
{
	struct vcpu *v = &a->vcpus[0];
	struct vcpu *t = &a->vcpus[1];

	(void)state;
	assert_int_equal(hvc(v, CPU_ON, 1, ENTRY, CTX), 0);
	t->st.regs.pc = ENTRY + 0x40; /* it ran a little */
	assert_int_equal(hvc(v, CPU_ON, 1, ENTRY + 8, 0), ALREADY_ON);
	assert_int_equal(t->st.regs.pc, ENTRY + 0x40);
	assert_int_equal(hvc(v, CPU_ON, 0, ENTRY, 0), ALREADY_ON);
	assert_int_equal(fake_sgis(1, IRQ_SGI_KICK), 1); /* the first only */
	/* No such vCPU: beyond the VM, other affinity levels. */
	assert_int_equal(hvc(v, CPU_ON, 4, ENTRY, 0), INVALID_PARAMETERS);
	assert_int_equal(hvc(v, CPU_ON, 0x100, ENTRY, 0), INVALID_PARAMETERS);
	assert_int_equal(hvc(v, CPU_ON | SMC64, 0x100000000UL | 2, ENTRY, 0),
			 INVALID_PARAMETERS);
	assert_int_equal(a->vcpus[2].st.power, VCPU_POWER_OFF);
	assert_int_equal(res, VEXIT_RESUME);
}

/* PSCI: CPU_ON to an entry point outside the caller's RAM is refused. */
static void test_cpu_on_entry_outside_ram(void **state)
{
	static const uint64_t bad[] = {
		0,                  /* flash: erased, nothing to run */
		0x09000000UL,       /* the UART */
		RAM - 4,            /* just below RAM */
		RAM + UTIL_RAM,     /* just past it */
		RAM + UTIL_RAM - 2, /* an instruction that straddles the end */
		0x1234567890UL,     /* far away */
		0x8000000000000000UL, /* not an IPA at all */
	};
	struct vcpu *v = &a->vcpus[0];
	struct vcpu *t = &a->vcpus[1];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(hvc(v, CPU_ON | SMC64, 1, bad[i], CTX),
				 INVALID_ADDRESS);
		assert_int_equal(t->st.power, VCPU_POWER_OFF);
		assert_int_equal(t->run, VCPU_RUN_OFF);
	}
	assert_int_equal(fake_sgis(1, IRQ_SGI_KICK), 0);
	/* The first and the last instruction of RAM are fine. */
	assert_int_equal(hvc(v, CPU_ON, 1, RAM, CTX), 0);
	assert_int_equal(hvc(v, CPU_ON, 2, RAM + UTIL_RAM - 4, CTX), 0);
	assert_int_equal(a->vcpus[2].st.regs.pc, RAM + UTIL_RAM - 4);
}

/*
 * SMCCC: the SMC32/HVC32 forms (function ID bit 30 clear) ignore the
 * upper halves of their arguments; the SMC64 forms use them.
 */
static void test_smc32_ignores_upper_halves(void **state)
{
	struct vcpu *v = &a->vcpus[0];
	struct vcpu *t = &a->vcpus[1];

	(void)state;
	assert_int_equal(hvc(v, CPU_ON, 0xdead000000000001UL,
			     0xbeef000000000000UL | ENTRY,
			     0xf00d000000000000UL | 0x1234U),
			 0);
	assert_int_equal(t->st.power, VCPU_POWER_ON);
	assert_int_equal(t->st.regs.pc, ENTRY);
	assert_int_equal(t->st.regs.x[0], 0x1234U);
	assert_int_equal(hvc(v, AFFINITY_INFO, 0x100000001UL,
			     0xbeef000000000000UL, 0),
			 0); /* ON, at level 0 */
	assert_int_equal(hvc(v, PSCI_FEATURES, 0xdead000000000000UL | CPU_ON, 0,
			     0),
			 0);
	/* SMC64: the same garbage is part of the arguments. */
	assert_int_equal(hvc(v, AFFINITY_INFO | SMC64, 0x100000001UL, 0, 0),
			 INVALID_PARAMETERS);
	assert_int_equal(hvc(v, CPU_ON | SMC64, 2, 0xbeef000000000000UL | ENTRY,
			     0),
			 INVALID_ADDRESS);
	assert_int_equal(a->vcpus[2].st.power, VCPU_POWER_OFF);
}

static void test_affinity_info(void **state)
{
	struct vcpu *v = &a->vcpus[0];

	(void)state;
	assert_int_equal(hvc(v, AFFINITY_INFO, 0, 0, 0), 0); /* ON */
	assert_int_equal(hvc(v, AFFINITY_INFO, 1, 0, 0), 1); /* OFF */
	assert_int_equal(hvc(v, AFFINITY_INFO | SMC64, 1, 0, 0), 1);
	a->vcpus[1].st.power = VCPU_POWER_ON_PENDING;
	assert_int_equal(hvc(v, AFFINITY_INFO, 1, 0, 0), 2);
	a->vcpus[1].st.power = VCPU_POWER_OFF;
	hvc(v, CPU_ON, 1, ENTRY, 0);
	assert_int_equal(hvc(v, AFFINITY_INFO, 1, 0, 0), 0);
	assert_int_equal(hvc(v, AFFINITY_INFO, 9, 0, 0), INVALID_PARAMETERS);
	/* Only level 0 is supported. */
	assert_int_equal(hvc(v, AFFINITY_INFO, 1, 1, 0), INVALID_PARAMETERS);
	/* Another VM's vCPUs are not visible: b has vCPUs 0 and 1 only. */
	assert_int_equal(hvc(&b->vcpus[0], AFFINITY_INFO, 2, 0, 0),
			 INVALID_PARAMETERS);
}

static void test_cpu_suspend_and_off(void **state)
{
	struct vcpu *v = &a->vcpus[0];
	struct vcpu *t = &a->vcpus[1];

	(void)state;
	v->st.regs.pc = ENTRY;
	assert_int_equal(hvc(v, CPU_SUSPEND, 0, ENTRY + 0x100, 0), 0);
	assert_int_equal(res, VEXIT_WFI);
	/* A standby state: the vCPU resumes where it was, still on. */
	assert_int_equal(v->st.regs.pc, ENTRY);
	assert_int_equal(v->st.power, VCPU_POWER_ON);
	assert_int_equal(hvc(v, CPU_SUSPEND | SMC64, 0, 0, 0), 0);
	assert_int_equal(res, VEXIT_WFI);

	hvc(v, CPU_ON, 1, ENTRY, 0);
	hvc(t, CPU_OFF, 0, 0, 0);
	assert_int_equal(res, VEXIT_RESCHED);
	assert_int_equal(t->st.power, VCPU_POWER_OFF);
	assert_int_equal(t->run, VCPU_RUN_OFF);
	assert_int_equal(hvc(v, AFFINITY_INFO, 1, 0, 0), 1);
	/* And on again, from the new entry point. */
	assert_int_equal(hvc(v, CPU_ON, 1, ENTRY + 0x200, 5), 0);
	assert_int_equal(t->st.regs.pc, ENTRY + 0x200);
	assert_int_equal(t->run, VCPU_RUN_READY);
}

static void test_system_off_stops_only_that_vm(void **state)
{
	(void)state;
	hvc(&a->vcpus[0], CPU_ON, 1, ENTRY, 0);
	hvc(&a->vcpus[1], SYSTEM_OFF, 0, 0, 0);
	assert_int_equal(res, VEXIT_RESCHED);
	assert_int_equal(a->state, VM_STOPPED);
	for (unsigned int i = 0; i < a->nr_vcpus; i++) {
		assert_int_equal(a->vcpus[i].st.power, VCPU_POWER_OFF);
		assert_int_equal(a->vcpus[i].run, VCPU_RUN_OFF);
	}
	assert_int_equal(b->state, VM_RUNNING);
	assert_int_equal(b->vcpus[0].run, VCPU_RUN_READY);
	util_out_has("VM a stopped (PSCI SYSTEM_OFF)");
	util_out_lacks("all VMs stopped");
	assert_int_equal(fake_power_off_calls(), 0);

	/* The last one: the system is done. */
	util_out_clear();
	hvc(&b->vcpus[0], SYSTEM_OFF, 0, 0, 0);
	util_out_has("VM b stopped");
	util_out_has("all VMs stopped");
	assert_int_equal(fake_power_off_calls(), 1);
}

static void test_system_off_flushes_console_line(void **state)
{
	uint64_t c = '>';

	(void)state;
	vmmio_access(&a->vcpus[0], 0x09000000UL, true, 1, &c);
	hvc(&a->vcpus[0], SYSTEM_OFF, 0, 0, 0);
	assert_string_equal(
		util_out(),
		"[a] >\r\nkairos: VM a stopped (PSCI SYSTEM_OFF)\r\n");
}

/* After everything stopped, a VM is restarted and stops again. */
static void test_all_stopped_announced_again_after_restart(void **state)
{
	(void)state;
	hvc(&a->vcpus[0], SYSTEM_OFF, 0, 0, 0);
	hvc(&b->vcpus[0], SYSTEM_OFF, 0, 0, 0);
	assert_int_equal(fake_power_off_calls(), 1); /* and it failed */
	vm_reset(b); /* the shell's "vm reset b" */
	assert_int_equal(b->state, VM_RUNNING);
	util_out_clear();
	hvc(&b->vcpus[0], SYSTEM_OFF, 0, 0, 0);
	util_out_has("all VMs stopped");
	assert_int_equal(fake_power_off_calls(), 2);
}

static void test_system_reset_reloads_vm(void **state)
{
	uint8_t *ram = pa_to_ptr(a->cfg->mem_host);
	const uint8_t *kernel = pa_to_ptr(a->cfg->kernel.base);
	uint32_t gen0 = a->vcpus[0].gen, gen1;
	unsigned int icache = fake_icache_invalidations();

	(void)state;
	hvc(&a->vcpus[0], CPU_ON, 1, ENTRY, 0);
	gen1 = a->vcpus[1].gen;
	/* The guest scribbles over its kernel and elsewhere. */
	memset(ram + 0x80000, 0, 64);
	ram[UTIL_RAM - 1] = 0x77;
	a->vcpus[0].st.regs.x[7] = 7;
	hvc(&a->vcpus[1], SYSTEM_RESET, 0, 0, 0);
	assert_int_equal(res, VEXIT_RESCHED);
	assert_int_equal(a->state, VM_RUNNING);
	util_out_has("VM a: reset");
	/* The zeroing is the VM's own work, after the trap: in steps. */
	assert_true(util_boot_steps(a) > 1);
	/* Memory as at boot: the image again, the rest zero, a DTB. */
	assert_memory_equal(ram + 0x80000, kernel, a->cfg->kernel.size);
	assert_int_equal(ram[UTIL_RAM - 1], 0);
	assert_int_equal(fdt_check_header(ram +
					  (a->vcpus[0].st.regs.x[0] - RAM)),
			 0);
	assert_true(fake_icache_invalidations() > icache);
	/* vCPU0 at the kernel entry with the DTB in x0, the others off. */
	assert_int_equal(a->vcpus[0].st.regs.pc, RAM + 0x80000);
	assert_int_equal(a->vcpus[0].st.regs.x[0], a->dtb_ipa);
	assert_int_equal(a->vcpus[0].st.regs.x[7], 0);
	assert_int_equal(a->vcpus[0].run, VCPU_RUN_READY);
	assert_int_equal(a->vcpus[1].st.power, VCPU_POWER_OFF);
	assert_int_equal(a->vcpus[1].run, VCPU_RUN_OFF);
	/* Any state still in hardware is stale. */
	assert_true(a->vcpus[0].gen != gen0);
	assert_true(a->vcpus[1].gen != gen1);
	/* The other VM did not notice. */
	assert_int_equal(b->state, VM_RUNNING);
	util_out_lacks("VM b");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_versions, setup,
						util_teardown),
		cmocka_unit_test_setup_teardown(test_features, setup,
						util_teardown),
		cmocka_unit_test_setup_teardown(test_unknown_functions, setup,
						util_teardown),
		cmocka_unit_test_setup_teardown(test_cpu_on_starts_secondary,
						setup, util_teardown),
		cmocka_unit_test_setup_teardown(test_cpu_on_smc64_and_same_pcpu,
						setup, util_teardown),
		cmocka_unit_test_setup_teardown(test_cpu_on_refusals, setup,
						util_teardown),
		cmocka_unit_test_setup_teardown(test_cpu_on_entry_outside_ram,
						setup, util_teardown),
		cmocka_unit_test_setup_teardown(test_smc32_ignores_upper_halves,
						setup, util_teardown),
		cmocka_unit_test_setup_teardown(test_affinity_info, setup,
						util_teardown),
		cmocka_unit_test_setup_teardown(test_cpu_suspend_and_off, setup,
						util_teardown),
		cmocka_unit_test_setup_teardown(
			test_system_off_stops_only_that_vm, setup,
			util_teardown),
		cmocka_unit_test_setup_teardown(
			test_system_off_flushes_console_line, setup,
			util_teardown),
		cmocka_unit_test_setup_teardown(
			test_all_stopped_announced_again_after_restart, setup,
			util_teardown),
		cmocka_unit_test_setup_teardown(test_system_reset_reloads_vm,
						setup, util_teardown),
	};

	return cmocka_run_group_tests_name("vpsci", tests, NULL, NULL);
}
