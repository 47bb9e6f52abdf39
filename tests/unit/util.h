/* SPDX-License-Identifier: MIT */
/*
 * Shared by the VM tests (vuart, vpsci, vmmio, sched, shell_vm): a console
 * that records output and feeds typed input, and a small system — online
 * pCPUs, the fake interrupt controller, VMs created by vm_create_all()
 * from configurations whose RAM and kernel images are host buffers.
 */
#ifndef TESTS_UNIT_UTIL_H
#define TESTS_UNIT_UTIL_H

#include <kairos/config.h>
#include <kairos/vm.h>

/** RAM of each test VM: room for a kernel at 0x80000 and the DTB at 2 MiB. */
#define UTIL_RAM (4UL << 20)

/** Console output since the last util_out_clear(). */
const char *util_out(void);
void util_out_clear(void);

/** Fail the test unless the output has (lacks) @s. */
void util_out_has(const char *s);
void util_out_lacks(const char *s);

/** Number of times @s occurs in the output. */
unsigned int util_out_count(const char *s);

/** Type @s on the console (received, then drained by console_rx_poll()). */
void util_type(const char *s);

/**
 * Reset the fake, the console and the VM tables; @nr_cpus pCPUs online,
 * this code on CPU0, the fake interrupt controller registered, the shell
 * set up as boot sets it up (shell_vm_init()).
 */
void util_setup(unsigned int nr_cpus);

/**
 * A cmocka teardown: console input back to the Kairos shell (it is
 * switched with Ctrl-A, which outlives a test), and what util_vm_add()
 * allocated freed.
 */
int util_teardown(void **state);

/** The configuration util_create() passes to vm_create_all(). */
extern struct sys_config util_sys;

/** The board side it passes: timer PPI FAKE_VTIMER_PPI, a GICV page. */
extern const struct vm_hw util_hw;

/**
 * Add a VM to util_sys: @nr_vcpus vCPUs, vCPU i on pCPU @pcpu[i] (NULL:
 * all on CPU0), @priority; RAM and a small kernel image are host buffers.
 */
struct vm_config *util_vm_add(const char *name, unsigned int nr_vcpus,
			      const unsigned int *pcpu, unsigned int priority);

/**
 * vm_create_all(&util_sys), which must succeed; clears the output. The
 * VMs' vGIC has the version of the irqchip registered (util_setup():
 * fake_irqchip, v3); their timer PPI is FAKE_VTIMER_PPI.
 */
void util_create(void);

/**
 * util_setup(1), then one VM named @name of @nr vCPUs, all on CPU0, with
 * a vGIC of @version (2: the GICv2 fake registered first): the VM.
 */
struct vm *util_gic_vm(const char *name, unsigned int version, unsigned int nr);

/** A guest read of @len bytes at @ipa by @v, emulated (asserted): its value. */
uint64_t util_rd(struct vcpu *v, uint64_t ipa, unsigned int len);

/** A guest write of @len bytes of @val at @ipa by @v (asserted emulated). */
void util_wr(struct vcpu *v, uint64_t ipa, unsigned int len, uint64_t val);

/**
 * Give the configuration a checkpoint store of @size bytes at @store,
 * cut into @slots empty slots, and ckpt_init() it (before util_create()).
 */
void util_ckpt_store(void *store, uint64_t size, unsigned int slots);

/**
 * Two shared-memory regions in util_sys: region 0 (/hypervisor/shmem@0,
 * one page at @other, no participant) and region 1 (/hypervisor/shmem@1,
 * @size bytes at @region, 2 participants, which the caller joins).
 */
void util_shmem_regions(void *other, void *region, uint64_t size);

/**
 * ckpt_checkpoint() of @vm into @slot, then every CRC finished, as a tool
 * reading the store waits for (ckpt_seal_all()): its result.
 */
bool util_checkpoint(struct vm *vm, unsigned int slot, char *why, size_t len);

/** vm_create_all(&util_sys) as util_create() calls it: its result. */
bool util_try_create(void);

/**
 * Run @vm's vCPU 0 through the steps of zeroing its RAM and loading its
 * images that a (re)boot left to it (vm_boot_step(); the test VMs' RAM is
 * not 2 MiB aligned, so not zeroed at first touch), as the scheduler
 * would. Returns the steps.
 */
unsigned int util_boot_steps(struct vm *vm);

#endif
