// SPDX-License-Identifier: MIT
/*
 * core/vm.c loading a VM's images where config_parse()'s layout puts them
 * (core/vm_layout.c, docs/configuration.md "Images"), on VMs made by
 * vm_create_all(): a VM's own DTB is copied from its range, whole, to the
 * 2 MiB boundary above the kernel and never over the kernel; a generated
 * one also lands at RAM base; a reset loads all of it again. RAM that
 * is 2 MiB aligned is zeroed at its first touch, a chunk at a time: the
 * images' chunks at boot, the others when the guest faults on them, all
 * of them before a checkpoint reads them.
 */
#include <kairos/vm.h>
#include <kairos/vm_ram.h>
#include <libfdt.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* cmocka.h needs <setjmp.h>, <stdarg.h> and <stddef.h> first. */
#include <cmocka.h>

#include "fake.h"
#include "util.h"

#define RAM 0x40000000UL
#define DTB_SIZE (1UL << 20)

/* A VM's own DTB of 1 MiB: more than 0x80000, the raw kernel's offset. */
static _Alignas(8) uint8_t own_dtb[DTB_SIZE];

static uint8_t *ram_of(const struct vm *vm)
{
	return pa_to_ptr(vm->cfg->mem_host);
}

static void boot_two(void)
{
	struct vm_config *c;

	util_setup(1);
	c = util_vm_add("own", 1, NULL, 1);
	assert_int_equal(fdt_create_empty_tree(own_dtb, sizeof(own_dtb)), 0);
	assert_int_equal(fdt_setprop_string(own_dtb, 0, "model", "own tree"),
			 0);
	assert_int_equal(fdt_totalsize(own_dtb), DTB_SIZE);
	c->dtb = (struct board_range){ pa_init((uint64_t)(uintptr_t)own_dtb),
				       DTB_SIZE };
	c->dtb_size = DTB_SIZE;
	util_vm_add("gen", 1, NULL, 1);
	util_create();
}

static void assert_own_loaded(const struct vm *vm)
{
	const uint8_t *ram = ram_of(vm);
	const uint8_t *kernel = pa_to_ptr(vm->cfg->kernel.base);

	assert_int_equal(vm->dtb_ipa, RAM + (2UL << 20));
	assert_int_equal(vm->vcpus[0].st.regs.x[0], vm->dtb_ipa);
	assert_memory_equal(ram + (vm->dtb_ipa - RAM), own_dtb, DTB_SIZE);
	/* Not at base: 1 MiB would cover the kernel at 0x80000. */
	assert_false(vm->cfg->layout.dtb_at_base);
	assert_memory_equal(ram + 0x80000, kernel, vm->cfg->kernel.size);
	assert_int_equal(ram[0], 0);
}

static void test_own_dtb_copied_whole_above_the_kernel(void **state)
{
	(void)state;
	boot_two();
	assert_own_loaded(&vms[0]);
}

static void test_generated_dtb_at_base_and_above(void **state)
{
	const struct vm *vm;
	const uint8_t *ram;

	(void)state;
	boot_two();
	vm = &vms[1];
	ram = ram_of(vm);
	assert_true(vm->cfg->layout.dtb_at_base);
	assert_int_equal(fdt_check_header(ram + (vm->dtb_ipa - RAM)), 0);
	assert_memory_equal(ram, ram + (vm->dtb_ipa - RAM), fdt_totalsize(ram));
	assert_string_equal(fdt_getprop(ram, 0, "model", NULL),
			    "linux,dummy-virt");
}

/* The VM reset: memory as at boot again, the own DTB included. */
static void test_reset_loads_the_own_dtb_again(void **state)
{
	uint8_t *ram;

	(void)state;
	boot_two();
	ram = ram_of(&vms[0]);
	memset(ram, 0x5a, UTIL_RAM);
	vm_reset(&vms[0]);
	/*
	 * Not 2 MiB aligned: zeroed whole, by its vCPU 0, a step a run; then
	 * the kernel (one step) and the DTB, a step each VM_RAM_CLEAR_STEP.
	 */
	assert_true(vm_ram_clearing(&vms[0]));
	assert_int_equal(util_boot_steps(&vms[0]),
			 UTIL_RAM / VM_RAM_CLEAR_STEP + 1 +
				 DTB_SIZE / VM_RAM_CLEAR_STEP);
	assert_own_loaded(&vms[0]);
	assert_int_equal(ram[UTIL_RAM - 1], 0);
}

#define CHUNK (2UL << 20)
#define LAZY_RAM (4 * CHUNK)
static uint8_t lazy_ram[LAZY_RAM] __attribute__((aligned(2UL << 20)));

/* One VM of 8 MiB at a 2 MiB aligned host address, full of 0x5a. */
static struct vm *boot_lazy(void)
{
	struct vm_config *c;

	util_setup(1);
	c = util_vm_add("lazy", 1, NULL, 1);
	c->mem_host = pa_init((uint64_t)(uintptr_t)lazy_ram);
	c->mem_size = LAZY_RAM;
	memset(lazy_ram, 0x5a, sizeof(lazy_ram));
	util_create();
	assert_true(vms[0].ram.lazy);
	return &vms[0];
}

/* Chunk @k of lazy_ram: all @v. */
static void assert_chunk(unsigned int k, uint8_t v)
{
	for (size_t i = 0; i < CHUNK; i += 512)
		if (lazy_ram[k * CHUNK + i] != v)
			fail_msg("chunk %u byte 0x%zx: 0x%x, want 0x%x", k, i,
				 lazy_ram[k * CHUNK + i], v);
}

static void test_fresh_ram_zeroed_at_first_touch(void **state)
{
	struct vm *vm;
	unsigned int maps;

	(void)state;
	vm = boot_lazy();
	/* The kernel (chunk 0) and the DTB (chunk 1) loaded, the rest not
	 * touched: unmapped, still holding what was there. */
	assert_memory_equal(lazy_ram + 0x80000, pa_to_ptr(vm->cfg->kernel.base),
			    vm->cfg->kernel.size);
	assert_int_equal(lazy_ram[CHUNK - 1], 0);
	assert_chunk(2, 0x5a);
	assert_chunk(3, 0x5a);
	maps = fake_s2_live_maps();
	/* The guest touches chunk 2: zeroed and mapped; chunk 3 not. */
	assert_true(vm_ram_first_touch(vm, RAM + 2 * CHUNK + 0x1234));
	assert_chunk(2, 0);
	assert_chunk(3, 0x5a);
	assert_int_equal(fake_s2_live_maps(), maps + 1);
	/* Mapped already: retried, nothing zeroed again. */
	lazy_ram[2 * CHUNK] = 7;
	assert_true(vm_ram_first_touch(vm, RAM + 2 * CHUNK));
	assert_int_equal(lazy_ram[2 * CHUNK], 7);
	/* Not RAM: for the MMIO path. */
	assert_false(vm_ram_first_touch(vm, RAM + LAZY_RAM));
	assert_false(vm_ram_first_touch(vm, RAM - 1));
	/* A checkpoint reads every chunk: the fresh ones zeroed first. */
	vm_ram_touch_all(vm);
	assert_chunk(3, 0);
	assert_int_equal(lazy_ram[2 * CHUNK], 7);
}

static void test_reset_makes_ram_fresh_again(void **state)
{
	struct vm *vm;

	(void)state;
	vm = boot_lazy();
	vm_ram_touch_all(vm);
	memset(lazy_ram, 0x33, sizeof(lazy_ram));
	vm_reset(vm);
	util_boot_steps(vm);
	assert_int_equal(lazy_ram[CHUNK - 1], 0);
	assert_chunk(3, 0x33); /* fresh: unmapped until touched */
	assert_true(vm_ram_first_touch(vm, RAM + 3 * CHUNK));
	assert_chunk(3, 0);
}

/*
 * A VM stopped while its vCPU 0 zeroes its RAM: the step that comes after
 * the stop does nothing; a start zeroes it all again from the start, and
 * only then loads the images and powers the vCPU on.
 */
static void test_stop_during_zeroing_then_start(void **state)
{
	struct vm *vm;
	uint8_t *ram;

	(void)state;
	boot_two();
	vm = &vms[0];
	ram = ram_of(vm);
	memset(ram, 0x5a, UTIL_RAM);
	vm_reset(vm);
	assert_int_equal(vm->vcpus[0].run, VCPU_RUN_READY);
	assert_int_equal(vm->vcpus[0].st.power, VCPU_POWER_OFF);
	assert_int_equal(vm_boot_step(&vm->vcpus[0]), VEXIT_RESCHED);
	assert_int_equal(ram[0], 0);
	assert_int_equal(ram[VM_RAM_CLEAR_STEP], 0x5a);
	vm_operator_stop(vm, "test");
	assert_int_equal(vm->vcpus[0].run, VCPU_RUN_OFF);
	assert_int_equal(vm_boot_step(&vm->vcpus[0]), VEXIT_RESCHED);
	assert_int_equal(ram[VM_RAM_CLEAR_STEP], 0x5a);
	memset(ram, 0x66, VM_RAM_CLEAR_STEP);
	assert_true(vm_start(vm));
	assert_int_equal(vm->vcpus[0].st.power, VCPU_POWER_OFF);
	assert_int_equal(util_boot_steps(vm),
			 UTIL_RAM / VM_RAM_CLEAR_STEP + 1 +
				 DTB_SIZE / VM_RAM_CLEAR_STEP);
	assert_int_equal(vm->vcpus[0].st.power, VCPU_POWER_ON);
	assert_int_equal(vm->vcpus[0].st.regs.pc, vm->entry_ipa);
	assert_own_loaded(vm);
	assert_int_equal(ram[VM_RAM_CLEAR_STEP], 0);
	assert_int_equal(ram[UTIL_RAM - 1], 0);
}

#define BIG_KERNEL (3 * VM_RAM_CLEAR_STEP / 2 * 4) /* 6 steps */
static uint8_t big_kernel[BIG_KERNEL];

/*
 * A reset of a VM with a large kernel copies nothing where it is asked
 * for (a trap handler, the shell): its vCPU 0 loads the kernel a step of
 * VM_RAM_CLEAR_STEP bytes per scheduled run, enters no guest meanwhile,
 * and starts at the kernel's entry after the last step (the DTB's).
 */
static void test_reset_loads_the_images_a_step_at_a_time(void **state)
{
	struct vm_config *c;
	struct vm *vm;
	uint64_t koff;
	unsigned int steps = 0;

	(void)state;
	util_setup(1);
	c = util_vm_add("big", 1, NULL, 1);
	c->mem_host = pa_init((uint64_t)(uintptr_t)lazy_ram);
	c->mem_size = LAZY_RAM;
	for (size_t i = 0; i < sizeof(big_kernel); i++)
		big_kernel[i] = (uint8_t)(i * 7 + 1);
	c->kernel =
		(struct board_range){ pa_init((uint64_t)(uintptr_t)big_kernel),
				      BIG_KERNEL };
	util_create();
	vm = &vms[0];
	koff = vm->cfg->layout.kernel;
	assert_memory_equal(lazy_ram + koff, big_kernel, BIG_KERNEL);
	vm_ram_touch_all(vm);
	memset(lazy_ram, 0x33, sizeof(lazy_ram));
	vm_reset(vm);
	/* The reset itself copied nothing; vCPU 0 is ready, not on. */
	assert_true(vm_ram_clearing(vm));
	assert_int_equal(lazy_ram[koff], 0x33);
	assert_int_equal(vm->vcpus[0].run, VCPU_RUN_READY);
	while (vm_ram_clearing(vm)) {
		assert_int_equal(vm->vcpus[0].st.power, VCPU_POWER_OFF);
		assert_int_equal(vm_boot_step(&vm->vcpus[0]), VEXIT_RESCHED);
		steps++;
		/* Kernel step k: its first k pieces in place, no more. */
		if (steps < BIG_KERNEL / VM_RAM_CLEAR_STEP) {
			uint64_t end = steps * VM_RAM_CLEAR_STEP;

			assert_memory_equal(lazy_ram + koff, big_kernel, end);
			assert_int_not_equal(lazy_ram[koff + end],
					     big_kernel[end]);
		}
		assert_true(steps <= BIG_KERNEL / VM_RAM_CLEAR_STEP + 1);
	}
	/* The kernel's steps, then the generated DTB's. */
	assert_int_equal(steps, BIG_KERNEL / VM_RAM_CLEAR_STEP + 1);
	assert_memory_equal(lazy_ram + koff, big_kernel, BIG_KERNEL);
	assert_int_equal(fdt_check_header(lazy_ram + (vm->dtb_ipa - RAM)), 0);
	assert_int_equal(vm->vcpus[0].st.power, VCPU_POWER_ON);
	assert_int_equal(vm->vcpus[0].st.regs.pc, RAM + koff);
	assert_int_equal(vm->vcpus[0].st.regs.x[0], vm->dtb_ipa);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, NULL, util_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_own_dtb_copied_whole_above_the_kernel),
		T(test_generated_dtb_at_base_and_above),
		T(test_reset_loads_the_own_dtb_again),
		T(test_fresh_ram_zeroed_at_first_touch),
		T(test_reset_makes_ram_fresh_again),
		T(test_stop_during_zeroing_then_start),
		T(test_reset_loads_the_images_a_step_at_a_time),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
