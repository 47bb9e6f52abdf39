// SPDX-License-Identifier: MIT
/*
 * core/vm.c: VMs made from their configuration by vm_create_all(), as
 * boot makes them (tests/unit/util.c) -- vCPUs placed and vCPU0 ready at
 * the kernel with the DTB in x0, RAM, flash and the GICv2 CPU interface
 * mapped, passthrough interrupts handed to vCPU0 -- and refused with a
 * line naming the VM and the reason when they cannot be; then their life:
 * stop, start, reset, pause, the board powered off when the last VM
 * stops by itself, each change told to the observers after (or, for a
 * reset, before) it is made. test_vm_events.c has the observers' side,
 * test_vm_boot.c where the images land.
 */
#include <kairos/cpu.h>
#include <kairos/profile_virt.h>
#include <kairos/vgic.h>
#include <kairos/vm.h>
#include <kairos/vm_events.h>
#include <kairos/vmmio.h>
#include <kairos/vtimer.h>
#include <plat/power.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* cmocka.h needs <setjmp.h>, <stdarg.h> and <stddef.h> first. */
#include <cmocka.h>

#include "fake.h"
#include "util.h"

#define RAM_IPA 0x40000000UL
#define PASSTHROUGH_SPI 77U

/*
 * What the observer saw: "<vm>:<event>:<detail>:<state>" per change, the
 * state being the VM's and its vCPUs' run states when it was told
 * ("r" running, "p" paused, "s" stopped, then one digit per vCPU).
 */
static char seen[1024];

static void record(const struct vm_observer *o, struct vm *vm, enum vm_event ev,
		   const char *detail)
{
	static const char state[] = { 'r', 'p', 's' };
	size_t n = strlen(seen);

	(void)o;
	n += (size_t)snprintf(seen + n, sizeof(seen) - n, "%s:%s:%s:%c",
			      vm->cfg->name, vm_event_name(ev),
			      detail ? detail : "-", state[vm->state]);
	for (unsigned int k = 0; k < vm->nr_vcpus && n + 2 < sizeof(seen); k++)
		seen[n++] = (char)('0' + vm->vcpus[k].run);
	snprintf(seen + n, sizeof(seen) - n, ";");
}

static const struct vm_observer observer = { "test", record };

static int setup(void **state)
{
	(void)state;
	util_setup(2);
	/* Once per binary; again changes nothing. */
	assert_true(vm_observer_register(&observer));
	seen[0] = '\0';
	return 0;
}

/* Two VMs: "a" with 2 vCPUs on CPU0 and CPU1, "b" with one on CPU1. */
static void two_vms(void)
{
	static const unsigned int a_cpus[] = { 0, 1 }, b_cpus[] = { 1 };

	util_vm_add("a", 2, a_cpus, 1);
	util_vm_add("b", 1, b_cpus, 1);
	util_create();
	seen[0] = '\0';
}

/* The mapping of @ipa in @vm's stage 2 that fake_s2 recorded, or NULL. */
static const struct fake_s2_map *s2_map_at(const struct vm *vm, uint64_t ipa)
{
	const struct fake_s2_map *m;

	for (unsigned int i = 0; (m = fake_s2_mapping(i)) != NULL; i++)
		if (m->root == vm->s2_root && m->ipa == ipa)
			return m;
	return NULL;
}

/* ---- Creation ---- */

static void test_create_places_vcpus_and_readies_vcpu0(void **state)
{
	struct vm *a = &vms[0], *b = &vms[1];
	const struct vm_config *c;

	(void)state;
	two_vms();
	c = a->cfg;
	assert_int_equal(vm_count, 2);
	assert_int_equal(a->nr_vcpus, 2);
	assert_int_equal(a->vcpus[0].pcpu, 0);
	assert_int_equal(a->vcpus[1].pcpu, 1);
	assert_int_equal(b->vcpus[0].pcpu, 1);
	/* Each pCPU's run queue holds the vCPUs placed on it. */
	assert_int_equal(cpus[0].nr_runq, 1);
	assert_int_equal(cpus[1].nr_runq, 2);
	for (unsigned int i = 0; i < 2; i++) {
		assert_int_equal(vms[i].state, VM_RUNNING);
		assert_ptr_equal(vms[i].vcpus[0].vm, &vms[i]);
	}
	/* vCPU0 at the kernel, x0 the DTB, EL1h with DAIF masked. */
	assert_int_equal(a->entry_ipa, RAM_IPA + c->layout.kernel);
	assert_int_equal(a->dtb_ipa, RAM_IPA + c->layout.dtb);
	assert_int_equal(a->vcpus[0].st.regs.pc, a->entry_ipa);
	assert_int_equal(a->vcpus[0].st.regs.x[0], a->dtb_ipa);
	assert_int_equal(a->vcpus[0].st.regs.pstate, PSR_MODE_EL1h | PSR_DAIF);
	assert_int_equal(a->vcpus[0].st.power, VCPU_POWER_ON);
	assert_int_equal(a->vcpus[0].run, VCPU_RUN_READY);
	/* The others wait for PSCI CPU_ON; MPIDR Aff0 is the index. */
	assert_int_equal(a->vcpus[1].run, VCPU_RUN_OFF);
	assert_int_equal(a->vcpus[1].st.sys.vmpidr & 0xff, 1);
	assert_int_equal(a->vcpus[1].st.sys.sctlr, SCTLR_EL1_RESET);
	/* The kernel image is in the VM's RAM where the layout says. */
	assert_memory_equal(vm_ipa_to_host(a, a->entry_ipa, c->kernel.size),
			    pa_to_ptr(c->kernel.base), c->kernel.size);
}

static void test_create_maps_ram_and_flash(void **state)
{
	const struct fake_s2_map *ram;
	struct vm *a;

	(void)state;
	util_vm_add("a", 1, NULL, 1);
	util_create();
	a = &vms[0];
	assert_non_null(a->s2_root);
	ram = s2_map_at(a, RAM_IPA);
	assert_non_null(ram);
	assert_int_equal(ram->kind, S2_RAM);
	assert_int_equal(ram->size, UTIL_RAM);
	assert_int_equal(pa_addr(ram->pa), pa_addr(a->cfg->mem_host));
	/* GICv3 here: no GICC page. */
	assert_null(s2_map_at(a, VIRT_GICC));
	/* Its VMID (index + 1) was flushed once its tables were built. */
	assert_int_equal(fake_s2_last_vmid(), 1);
	/* Flash ignores writes; RAM does not. */
	assert_true(vm_ipa_ignores_writes(a, VIRT_FLASH0));
	assert_true(
		vm_ipa_ignores_writes(a, VIRT_FLASH1 + VIRT_FLASH_SIZE - 1));
	assert_false(vm_ipa_ignores_writes(a, RAM_IPA));
}

static void test_gicv2_vm_maps_the_gicv_frame_as_gicc(void **state)
{
	const struct fake_s2_map *gicc;

	(void)state;
	irq_chip_register(&fake_irqchip_v2);
	util_vm_add("a", 1, NULL, 1);
	util_create();
	assert_int_equal(vms[0].vgic.version, 2);
	gicc = s2_map_at(&vms[0], VIRT_GICC);
	assert_non_null(gicc);
	assert_int_equal(gicc->kind, S2_DEVICE);
	assert_int_equal(pa_addr(gicc->pa), pa_addr(util_hw.gicv));
}

/* A passthrough SPI is the guest's: mapped to itself, on vCPU0. */
static void test_passthrough_spi_mapped_to_vcpu0(void **state)
{
	struct vm_config *c;
	struct vgic_irq *i;

	(void)state;
	c = util_vm_add("a", 1, NULL, 1);
	c->irqs[c->nr_irqs++] = PASSTHROUGH_SPI;
	util_create();
	i = &vms[0].vgic.spi[PASSTHROUGH_SPI - VGIC_NR_PRIVATE];
	assert_true(i->flags & VGIC_HW);
	assert_int_equal(i->hw_intid, PASSTHROUGH_SPI);
	/* A reset VM holds nothing: the physical active state is released. */
	fake_irq_set_active(0, PASSTHROUGH_SPI, true);
	vm_reset(&vms[0]);
	util_boot_steps(&vms[0]);
	assert_false(fake_irq_active(0, PASSTHROUGH_SPI));
	assert_true(i->flags & VGIC_HW);
	/* Other SPIs stay virtual. */
	assert_false(
		vms[0].vgic.spi[PASSTHROUGH_SPI - VGIC_NR_PRIVATE + 1].flags &
		VGIC_HW);
}

/* vm_create_all() on a configuration it cannot make: false, one line. */
static void refused(const char *line)
{
	assert_false(util_try_create());
	util_out_has(line);
	assert_string_equal(seen, "");
}

static void test_refuses_a_vcpu_on_an_offline_cpu(void **state)
{
	static const unsigned int on[] = { 0, 5 };

	(void)state;
	util_vm_add("a", 2, on, 1);
	refused("kairos: /hypervisor/a: property cpus: CPU5 is not online\r\n");
}

static void test_refuses_when_stage2_roots_run_out(void **state)
{
	(void)state;
	util_vm_add("a", 1, NULL, 1);
	util_vm_add("b", 1, NULL, 1);
	fake_s2_limit_roots(1);
	refused("kairos: /hypervisor/b: out of stage-2 table pages\r\n");
	/* The one made before is there, not counted twice. */
	assert_int_equal(vm_count, 1);
}

static void test_refuses_too_many_vcpus_on_one_cpu(void **state)
{
	unsigned int placed = 0;

	(void)state;
	while (placed + KAIROS_MAX_VCPUS <= KAIROS_MAX_CPU_VCPUS) {
		util_vm_add(placed ? "y" : "x", KAIROS_MAX_VCPUS, NULL, 1);
		placed += KAIROS_MAX_VCPUS;
	}
	util_vm_add("z", KAIROS_MAX_VCPUS, NULL, 1);
	refused("kairos: /hypervisor/z: property cpus: CPU0 hosts too many "
		"vCPUs (at most 16)\r\n");
	assert_int_equal(cpus[0].nr_runq, KAIROS_MAX_CPU_VCPUS);
}

/* ---- Lookups ---- */

static void test_ipa_to_host_stays_inside_ram(void **state)
{
	struct vm *a;
	uint8_t *host;

	(void)state;
	util_vm_add("a", 1, NULL, 1);
	util_create();
	a = &vms[0];
	host = pa_to_ptr(a->cfg->mem_host);
	assert_ptr_equal(vm_ipa_to_host(a, RAM_IPA, 1), host);
	assert_ptr_equal(vm_ipa_to_host(a, RAM_IPA + 0x1234, 16),
			 host + 0x1234);
	assert_ptr_equal(vm_ipa_to_host(a, RAM_IPA, UTIL_RAM), host);
	assert_ptr_equal(vm_ipa_to_host(a, RAM_IPA + UTIL_RAM - 8, 8),
			 host + UTIL_RAM - 8);
	/* Below, past the end, across it, and lengths that wrap. */
	assert_null(vm_ipa_to_host(a, RAM_IPA - 1, 1));
	assert_null(vm_ipa_to_host(a, RAM_IPA + UTIL_RAM - 8, 9));
	assert_null(vm_ipa_to_host(a, RAM_IPA + UTIL_RAM + 1, 0));
	assert_null(vm_ipa_to_host(a, RAM_IPA, UTIL_RAM + 1));
	assert_null(vm_ipa_to_host(a, RAM_IPA + 16, UINT64_MAX));
	assert_null(vm_ipa_to_host(a, UINT64_MAX, 1));
}

static void test_by_name(void **state)
{
	(void)state;
	two_vms();
	assert_ptr_equal(vm_by_name("a"), &vms[0]);
	assert_ptr_equal(vm_by_name("b"), &vms[1]);
	assert_null(vm_by_name("c"));
	assert_null(vm_by_name(""));
	assert_null(vm_by_name("ab"));
}

static bool dummy_read(struct vcpu *v, void *dev, uint64_t off,
		       unsigned int len, uint64_t *val)
{
	(void)v;
	(void)dev;
	(void)off;
	(void)len;
	*val = 0;
	return true;
}

static void test_mmio_table_is_bounded(void **state)
{
	struct mmio_region r = { 0x1000, 0x1000, dummy_read, NULL, NULL };
	struct vm *a;

	(void)state;
	util_vm_add("a", 1, NULL, 1);
	util_create();
	a = &vms[0];
	/* The virt profile's devices are there already. */
	assert_true(a->nr_mmio >= 2);
	while (a->nr_mmio < VM_MAX_MMIO) {
		r.base += 0x1000;
		assert_true(vm_add_mmio(a, &r));
	}
	assert_false(vm_add_mmio(a, &r));
	assert_int_equal(a->nr_mmio, VM_MAX_MMIO);
}

/* A guest's stray accesses: one line per VM, again after a reset. */
static void test_stray_access_logged_once_per_vm(void **state)
{
	struct vcpu *a0, *b0;

	(void)state;
	two_vms();
	a0 = &vms[0].vcpus[0];
	b0 = &vms[1].vcpus[0];
	a0->st.regs.pc = 0x40081000;
	vm_log_once(a0, "read of unmapped IPA", 0x9000000);
	vm_log_once(&vms[0].vcpus[1], "write to unmapped IPA", 0x9000010);
	util_out_has("kairos: VM a vCPU0: read of unmapped IPA 0x9000000 at "
		     "PC 0x40081000: abort injected (logged once per VM)\r\n");
	util_out_lacks("0x9000010");
	/* Another VM has its own line. */
	vm_log_once(b0, "read of unmapped IPA", 0x9000020);
	util_out_has("kairos: VM b vCPU0: read of unmapped IPA 0x9000020");
	/* A reset VM is a new guest: its first stray access is told. */
	vm_reset(&vms[0]);
	util_boot_steps(&vms[0]);
	util_out_clear();
	vm_log_once(a0, "read of unmapped IPA", 0x9000030);
	util_out_has("kairos: VM a vCPU0: read of unmapped IPA 0x9000030");
}

/* ---- vCPU power ---- */

static void test_vcpu_power_on_and_off(void **state)
{
	struct vcpu *v;
	uint32_t gen;

	(void)state;
	two_vms();
	v = &vms[0].vcpus[1];
	gen = v->gen;
	v->st.regs.x[5] = 55;
	v->st.sys.sctlr = 1;
	vcpu_power_on(v, RAM_IPA + 0x2000, 0xc0ffee);
	assert_int_equal(v->run, VCPU_RUN_READY);
	assert_int_equal(v->st.power, VCPU_POWER_ON);
	assert_int_equal(v->st.regs.pc, RAM_IPA + 0x2000);
	assert_int_equal(v->st.regs.x[0], 0xc0ffee);
	/* Fresh state: nothing of what ran before. */
	assert_int_equal(v->st.regs.x[5], 0);
	assert_int_equal(v->st.sys.sctlr, SCTLR_EL1_RESET);
	assert_int_equal(v->gen, gen + 1);
	vcpu_power_off(v);
	assert_int_equal(v->run, VCPU_RUN_OFF);
	assert_int_equal(v->st.power, VCPU_POWER_OFF);
}

/* ---- Life cycle ---- */

static void test_operator_stop_then_start(void **state)
{
	struct vm *a = &vms[0];

	(void)state;
	two_vms();
	vms[0].vcpus[1].run = VCPU_RUN_READY;
	assert_true(vm_operator_stop(a, "operator"));
	/* Told once it is stopped, every vCPU off. */
	assert_string_equal(seen, "a:stopped:operator:s00;");
	assert_int_equal(a->vcpus[1].st.power, VCPU_POWER_OFF);
	/* Stopping a stopped VM is refused; nobody is told. */
	assert_false(vm_operator_stop(a, "again"));
	vm_stop(a, "again");
	assert_string_equal(seen, "a:stopped:operator:s00;");
	/* The operator may start it again: the board stays on. */
	assert_int_equal(fake_power_off_calls(), 0);
	seen[0] = '\0';
	a->vcpus[0].st.regs.pc = 0;
	assert_true(vm_start(a));
	util_boot_steps(a);
	/* Told before it boots; then it runs from its images. */
	assert_string_equal(seen, "a:started:-:s00;");
	assert_int_equal(a->state, VM_RUNNING);
	assert_int_equal(a->vcpus[0].run, VCPU_RUN_READY);
	assert_int_equal(a->vcpus[0].st.regs.pc, a->entry_ipa);
	/* Only a stopped VM starts. */
	seen[0] = '\0';
	assert_false(vm_start(a));
	assert_false(vm_start(&vms[1]));
	assert_string_equal(seen, "");
}

/* A start while a reset reloads the VM is refused (and vice versa). */
static void test_start_refused_while_resetting(void **state)
{
	struct vm *a = &vms[0];

	(void)state;
	two_vms();
	assert_true(vm_operator_stop(a, "x"));
	seen[0] = '\0';
	a->resetting = true;
	assert_false(vm_start(a));
	vm_reset(a);
	util_boot_steps(a);
	assert_string_equal(seen, "");
	assert_int_equal(a->state, VM_STOPPED);
	a->resetting = false;
	assert_true(vm_start(a));
	util_boot_steps(a);
	assert_false(a->resetting);
}

static void test_last_vm_stopping_powers_the_board_off(void **state)
{
	(void)state;
	two_vms();
	vm_stop(&vms[0], "PSCI SYSTEM_OFF");
	assert_int_equal(fake_power_off_calls(), 0);
	util_out_lacks("all VMs stopped");
	vm_stop(&vms[1], "PSCI SYSTEM_OFF");
	assert_int_equal(fake_power_off_calls(), 1);
	assert_int_equal(fake_power_off_status(), POWER_OK);
	util_out_has("kairos: all VMs stopped\r\n");
	assert_string_equal(seen, "a:stopped:PSCI SYSTEM_OFF:s00;"
				  "b:stopped:PSCI SYSTEM_OFF:s0;");
}

/* Any VM that failed makes the board's exit status a failure. */
static void test_a_failed_vm_makes_the_power_off_a_failure(void **state)
{
	(void)state;
	two_vms();
	vm_fail(&vms[0], "cannot resume");
	vm_stop(&vms[1], "PSCI SYSTEM_OFF");
	assert_int_equal(fake_power_off_calls(), 1);
	assert_int_equal(fake_power_off_status(), POWER_VM_FAILED);
	assert_string_equal(seen, "a:failed:cannot resume:s00;"
				  "b:stopped:PSCI SYSTEM_OFF:s0;");
}

/* A VM that failed and was started again no longer counts as failed. */
static void test_restart_clears_the_failure(void **state)
{
	(void)state;
	two_vms();
	vm_fatal(&vms[0].vcpus[0], "undefined instruction");
	util_out_has("kairos: VM a vCPU0: undefined instruction at PC 0x");
	assert_true(vm_start(&vms[0]));
	util_boot_steps(&vms[0]);
	vm_stop(&vms[0], "PSCI SYSTEM_OFF");
	vm_stop(&vms[1], "PSCI SYSTEM_OFF");
	assert_int_equal(fake_power_off_status(), POWER_OK);
}

/* The operator stopping the last VM leaves the board on. */
static void test_operator_stop_of_the_last_vm_keeps_the_board_on(void **state)
{
	(void)state;
	two_vms();
	vm_stop(&vms[1], "PSCI SYSTEM_OFF");
	assert_true(vm_operator_stop(&vms[0], "operator"));
	assert_int_equal(fake_power_off_calls(), 0);
}

static void test_reset_reloads_images_and_vcpus(void **state)
{
	struct vm *a = &vms[0];
	uint8_t *kernel;
	uint64_t cntvoff;

	(void)state;
	two_vms();
	kernel = vm_ipa_to_host(a, a->entry_ipa, a->cfg->kernel.size);
	memset(kernel, 0xee, a->cfg->kernel.size);
	vcpu_power_on(&a->vcpus[1], RAM_IPA, 0);
	a->vcpus[0].st.regs.pc = RAM_IPA + 0x10000;
	a->vcpus[0].st.regs.x[3] = 3;
	cntvoff = a->cntvoff;
	fake_counter_advance(5000);
	vm_reset(a);
	util_boot_steps(a);
	/* Told before it boots: its vCPUs were off then. */
	assert_string_equal(seen, "a:reset:-:r00;");
	assert_memory_equal(kernel, pa_to_ptr(a->cfg->kernel.base),
			    a->cfg->kernel.size);
	assert_int_equal(a->vcpus[0].st.regs.pc, a->entry_ipa);
	assert_int_equal(a->vcpus[0].st.regs.x[3], 0);
	assert_int_equal(a->vcpus[0].run, VCPU_RUN_READY);
	assert_int_equal(a->vcpus[1].run, VCPU_RUN_OFF);
	assert_int_equal(a->state, VM_RUNNING);
	assert_false(a->resetting);
	/* Its guest counter starts again near zero. */
	assert_true(a->cntvoff >= cntvoff + 5000);
	/* The other VM is untouched. */
	assert_int_equal(vms[1].vcpus[0].run, VCPU_RUN_READY);
}

static void test_reset_clears_the_vgic(void **state)
{
	struct vm *a = &vms[0];

	(void)state;
	two_vms();
	a->vgic.ctlr = 3;
	a->vgic.spi[8].flags |= VGIC_ENABLED | VGIC_LATCH;
	a->vcpus[1].st.vgic.priv[3].flags |= VGIC_LATCH;
	vm_reset(a);
	util_boot_steps(a);
	assert_int_equal(a->vgic.ctlr, 0);
	assert_false(a->vgic.spi[8].flags & (VGIC_ENABLED | VGIC_LATCH));
	assert_false(a->vcpus[1].st.vgic.priv[3].flags & VGIC_LATCH);
	/* The timer PPI stays mapped to the physical one. */
	assert_true(a->vcpus[1].st.vgic.priv[VTIMER_INTID].flags & VGIC_HW);
}

static void test_pause_and_resume(void **state)
{
	struct vm *a = &vms[0];

	(void)state;
	two_vms();
	vm_pause(a, true);
	assert_int_equal(a->state, VM_PAUSED);
	vm_pause(a, true);
	vm_pause(a, false);
	assert_int_equal(a->state, VM_RUNNING);
	vm_pause(a, false);
	assert_string_equal(seen, "a:paused:-:p10;a:resumed:-:r10;");
	/* A stopped VM neither pauses nor resumes. */
	vm_stop(a, "x");
	seen[0] = '\0';
	vm_pause(a, true);
	vm_pause(a, false);
	assert_int_equal(a->state, VM_STOPPED);
	assert_string_equal(seen, "");
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, util_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_create_places_vcpus_and_readies_vcpu0),
		T(test_create_maps_ram_and_flash),
		T(test_gicv2_vm_maps_the_gicv_frame_as_gicc),
		T(test_passthrough_spi_mapped_to_vcpu0),
		T(test_refuses_a_vcpu_on_an_offline_cpu),
		T(test_refuses_when_stage2_roots_run_out),
		T(test_refuses_too_many_vcpus_on_one_cpu),
		T(test_ipa_to_host_stays_inside_ram),
		T(test_by_name),
		T(test_mmio_table_is_bounded),
		T(test_stray_access_logged_once_per_vm),
		T(test_vcpu_power_on_and_off),
		T(test_operator_stop_then_start),
		T(test_start_refused_while_resetting),
		T(test_last_vm_stopping_powers_the_board_off),
		T(test_a_failed_vm_makes_the_power_off_a_failure),
		T(test_restart_clears_the_failure),
		T(test_operator_stop_of_the_last_vm_keeps_the_board_on),
		T(test_reset_reloads_images_and_vcpus),
		T(test_reset_clears_the_vgic),
		T(test_pause_and_resume),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
