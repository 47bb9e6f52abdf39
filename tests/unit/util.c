// SPDX-License-Identifier: MIT
/* Helpers of the VM tests; see util.h. */
#include "util.h"

#include <kairos/ckpt.h>
#include <kairos/console.h>
#include <kairos/cpu.h>
#include <kairos/irq.h>
#include <kairos/time.h>
#include <kairos/ui.h>
#include <kairos/vdev.h>
#include <kairos/version.h>
#include <kairos/vm_ram.h>
#include <kairos/vmmio.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* cmocka.h needs <setjmp.h>, <stdarg.h> and <stddef.h> first. */
#include <cmocka.h>

#include "fake.h"

/* What boot/ and the Makefile provide in the real build. */
const char KAIROS_VERSION[] = "9.8.7-unit (gtest)";
struct cpu cpus[KAIROS_MAX_CPUS];
unsigned int cpu_count;

struct sys_config util_sys;

/* A GICv2 VM maps this as its GICC page; nothing reads it here. */
static uint8_t gicv[4096] __attribute__((aligned(4096)));
const struct vm_hw util_hw = { { (uint64_t)(uintptr_t)gicv }, FAKE_VTIMER_PPI };

#define OUT_MAX 32768
#define IN_MAX 8192
#define KERNEL_SIZE 4096

static char out[OUT_MAX];
static size_t nout;
static char in[IN_MAX];
static size_t in_len, in_pos;
static void *ram[KAIROS_MAX_VMS];
static uint8_t kernel[KAIROS_MAX_VMS][KERNEL_SIZE];

static void con_putc(void *ctx, char c)
{
	(void)ctx;
	if (nout >= OUT_MAX - 1)
		fail_msg("util: more than %d bytes of console output", OUT_MAX);
	out[nout++] = c;
	out[nout] = '\0';
}

static int con_getc(void *ctx)
{
	(void)ctx;
	return in_pos < in_len ? (unsigned char)in[in_pos++] : -1;
}

static const struct console_ops con = {
	.name = "util",
	.putc = con_putc,
	.getc = con_getc,
};

const char *util_out(void)
{
	return out;
}

void util_out_clear(void)
{
	nout = 0;
	out[0] = '\0';
}

void util_out_has(const char *s)
{
	if (!strstr(out, s))
		fail_msg("output \"%s\" lacks \"%s\"", out, s);
}

void util_out_lacks(const char *s)
{
	if (strstr(out, s))
		fail_msg("output \"%s\" has \"%s\"", out, s);
}

unsigned int util_out_count(const char *s)
{
	unsigned int n = 0;

	for (const char *p = strstr(out, s); p; p = strstr(p + 1, s))
		n++;
	return n;
}

void util_type(const char *s)
{
	assert_true(strlen(s) < IN_MAX);
	snprintf(in, sizeof(in), "%s", s);
	in_len = strlen(in);
	in_pos = 0;
	console_rx_poll();
}

void util_setup(unsigned int nr_cpus)
{
	fake_reset();
	console_register(&con);
	util_out_clear();
	in_len = in_pos = 0;
	memset(cpus, 0, sizeof(cpus));
	cpu_count = nr_cpus;
	for (unsigned int i = 0; i < nr_cpus; i++) {
		cpus[i].id = i;
		cpus[i].mpidr = i;
		cpus[i].online = true;
		timerq_init(&cpus[i].timerq);
	}
	arch_cpu_set_current(&cpus[0]);
	irq_chip_register(&fake_irqchip);
	time_init(FAKE_FREQ);
	memset(vms, 0, sizeof(vms));
	vm_count = 0;
	memset(&util_sys, 0, sizeof(util_sys));
	/*
	 * As boot does: the shell's commands, the console task and the VM
	 * observers that report stops and resets (once per binary: a second
	 * registration changes nothing).
	 */
	shell_vm_init();
	vdev_register();
}

int util_teardown(void **state)
{
	(void)state;
	if (shell_input_target() >= 0) {
		util_type("\x01k");
		shell_poll();
	}
	for (unsigned int i = 0; i < KAIROS_MAX_VMS; i++) {
		free(ram[i]);
		ram[i] = NULL;
	}
	return 0;
}

struct vm_config *util_vm_add(const char *name, unsigned int nr_vcpus,
			      const unsigned int *pcpu, unsigned int priority)
{
	unsigned int i = util_sys.nr_vms++;
	struct vm_config *c = &util_sys.vms[i];

	assert_true(i < KAIROS_MAX_VMS);
	ram[i] = malloc(UTIL_RAM);
	assert_non_null(ram[i]);
	memset(kernel[i], (int)(0x10 + i), KERNEL_SIZE);
	snprintf(c->name, sizeof(c->name), "%s", name);
	snprintf(c->path, sizeof(c->path), "/hypervisor/%s", name);
	c->profile = VM_PROFILE_VIRT;
	c->mem_ipa = ipa_init(0x40000000UL);
	c->mem_size = UTIL_RAM;
	c->mem_host = pa_init((uint64_t)(uintptr_t)ram[i]);
	c->nr_vcpus = nr_vcpus;
	for (unsigned int k = 0; k < nr_vcpus; k++)
		c->vcpu_cpu[k] = pcpu ? pcpu[k] : 0;
	c->priority = priority;
	c->kernel.base = pa_init((uint64_t)(uintptr_t)kernel[i]);
	c->kernel.size = KERNEL_SIZE;
	c->resume_from = -1; /* as config_parse() without resume-from */
	return c;
}

/* What config_parse() does for a VM: its images laid out (vm_layout.h). */
static void util_layout(struct vm_config *c)
{
	struct vm_images img = { .mem_size = c->mem_size,
				 .initrd_size = c->initrd.size,
				 .dtb_size = c->dtb_size };
	struct vm_layout_err err;
	uint64_t len = c->kernel.size < VM_KERNEL_HEADER_SIZE ?
			       c->kernel.size :
			       VM_KERNEL_HEADER_SIZE;

	vm_layout_kernel_header(pa_to_ptr(c->kernel.base), (size_t)len,
				c->kernel.size, &img);
	if (!vm_layout_compute(&img, &c->layout, &err))
		fail_msg("%s: property %s: %s", c->path, err.prop, err.msg);
}

bool util_try_create(void)
{
	for (unsigned int i = 0; i < util_sys.nr_vms; i++)
		util_layout(&util_sys.vms[i]);
	return vm_create_all(&util_sys, &util_hw);
}

void util_create(void)
{
	if (!util_try_create())
		fail_msg("vm_create_all() failed: \"%s\"", out);
	for (unsigned int i = 0; i < vm_count; i++)
		util_boot_steps(&vms[i]);
	ckpt_resume_at_boot(); /* as boot does */
	vm_run_all();
	util_out_clear();
}

unsigned int util_boot_steps(struct vm *vm)
{
	unsigned int n = 0;

	while (vm_ram_clearing(vm)) {
		assert_int_equal(vm_boot_step(&vm->vcpus[0]), VEXIT_RESCHED);
		/* Zeroing, then images that fit the RAM, part by part. */
		assert_true(++n <= 2 * (UTIL_RAM / VM_RAM_CLEAR_STEP) +
					   VM_LOAD_DONE + 1);
	}
	return n;
}

struct vm *util_gic_vm(const char *name, unsigned int version, unsigned int nr)
{
	util_setup(1);
	if (version == 2)
		irq_chip_register(&fake_irqchip_v2);
	util_vm_add(name, nr, NULL, 1);
	util_create();
	assert_int_equal(vms[0].vgic.version, version);
	return &vms[0];
}

uint64_t util_rd(struct vcpu *v, uint64_t ipa, unsigned int len)
{
	uint64_t val = 0xdeadbeefdeadbeefULL;

	assert_int_equal(vmmio_access(v, ipa, false, len, &val), MMIO_OK);
	return val;
}

void util_wr(struct vcpu *v, uint64_t ipa, unsigned int len, uint64_t val)
{
	assert_int_equal(vmmio_access(v, ipa, true, len, &val), MMIO_OK);
}

void util_shmem_regions(void *other, void *region, uint64_t size)
{
	util_sys.nr_shmem = 2;
	util_sys.shmem[0] = (struct shmem_config){
		.path = "/hypervisor/shmem@0",
		.host = pa_init((uintptr_t)other),
		.size = 0x1000,
		.ckpt_with = -1,
	};
	util_sys.shmem[1] = (struct shmem_config){
		.path = "/hypervisor/shmem@1",
		.host = pa_init((uintptr_t)region),
		.size = size,
		.ckpt_with = -1,
		.nr_peers = 2,
	};
}

void util_ckpt_store(void *store, uint64_t size, unsigned int slots)
{
	util_sys.ckpt_store =
		(struct board_range){ pa_init((uint64_t)(uintptr_t)store),
				      size };
	util_sys.ckpt_slots = slots;
	memset(store, 0, size);
	ckpt_init(&util_sys);
}

bool util_checkpoint(struct vm *vm, unsigned int slot, char *why, size_t len)
{
	if (!ckpt_checkpoint(vm, slot, why, len))
		return false;
	ckpt_seal_all();
	return true;
}
