// SPDX-License-Identifier: MIT
/*
 * Loading a new kernel into a stopped VM over the control channel
 * (core/ui/ctl_xfer.c `load-image`, core/vm_image.c; docs/control.md,
 * "Loading a new image"): every refusal leaves the VM booting what it
 * booted and the slot as it was, a loaded kernel is what the next start
 * and reset copy to the kernel's place in RAM, and bytes whose slot was
 * written again are never entered.
 */
#include <kairos/ckpt.h>
#include <kairos/ckpt_format.h>
#include <kairos/ui.h>
#include <kairos/vm.h>
#include <kairos/vm_ram.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* cmocka.h needs <setjmp.h>, <stdarg.h> and <stddef.h> first. */
#include <cmocka.h>

#include "fake.h"
#include "util.h"

/* Two slots of 2 MiB: less than a 4 MiB VM's RAM can take as a kernel. */
#define STORE_SIZE (4UL << 20)
#define IMG_SIZE 3000U
#define SLOT "1"

static uint8_t store[STORE_SIZE] __attribute__((aligned(4096)));
static uint8_t img[3U << 20];
static char msg[300];
static struct vm *g;

typedef enum ctl_status (*xfer_fn)(const char *, const struct ctl_request *,
				   char *, size_t);

static int setup(void **state)
{
	(void)state;
	util_setup(1);
	util_vm_add("g", 1, NULL, 1);
	util_vm_add("h", 1, NULL, 1);
	util_ckpt_store(store, sizeof(store), 2);
	util_create();
	g = &vms[0];
	for (size_t i = 0; i < sizeof(img); i++)
		img[i] = (uint8_t)(i * 13 + 5);
	return 0;
}

/* @fn on the words @a..@d (the first @argc of them): its status. */
static enum ctl_status call(xfer_fn fn, unsigned int argc, const char *a,
			    const char *b, const char *c, const char *d)
{
	struct ctl_request r = { .tag = "t",
				 .verb = "v",
				 .argv = { a, b, c, d },
				 .argc = argc };

	msg[0] = '\0';
	return fn("t", &r, msg, sizeof(msg));
}

/* `load-image <vm> <slot> <size> <crc>` of the first @size bytes of img. */
static enum ctl_status begin(const char *vm, const char *slot, uint64_t size,
			     uint32_t crc)
{
	char sz[24], c[12];

	snprintf(sz, sizeof(sz), "%llu", (unsigned long long)size);
	snprintf(c, sizeof(c), "%08x", (unsigned int)crc);
	return call(ctl_xfer_load_image, 4, vm, slot, sz, c);
}

static uint32_t crc_of(uint64_t size)
{
	return ckpt_crc32c(0, img, (size_t)size);
}

/* `put` of img[@off..@off+@len) under CRC32C @crc: its status. */
static enum ctl_status put(uint64_t off, size_t len, uint32_t crc)
{
	static char data[CTL_XFER_B64_MAX + 1];
	char o[24], c[12];

	snprintf(o, sizeof(o), "%llu", (unsigned long long)off);
	snprintf(c, sizeof(c), "%08x", (unsigned int)crc);
	xfer_b64_encode(img + off, len, data);
	return call(ctl_xfer_put, 4, SLOT, o, c, data);
}

/* Every chunk of the first @size bytes of img, from @from. */
static void send(uint64_t from, uint64_t size)
{
	for (uint64_t off = from; off < size; off += CTL_XFER_CHUNK) {
		size_t len = (size_t)(size - off < CTL_XFER_CHUNK ?
					      size - off :
					      CTL_XFER_CHUNK);

		assert_int_equal(put(off, len, ckpt_crc32c(0, img + off, len)),
				 CTL_OK);
	}
}

static enum ctl_status end(void)
{
	return call(ctl_xfer_end, 1, SLOT, NULL, NULL, NULL);
}

/* The VM's RAM at offset @off, @len bytes. */
static const uint8_t *ram_at(uint64_t off, uint64_t len)
{
	const uint8_t *p =
		vm_ipa_to_host(g, ipa_addr(g->cfg->mem_ipa) + off, len);

	assert_non_null(p);
	return p;
}

/* Start @g (stopped) and let its vCPU 0 prepare the RAM. */
static void start_and_boot(void)
{
	assert_true(vm_start(g));
	util_boot_steps(g);
	assert_int_equal(g->state, VM_RUNNING);
	assert_int_equal(g->entry_ipa,
			 ipa_addr(g->cfg->mem_ipa) + VM_RAW_KERNEL_OFFSET);
}

/* What a boot of the configured kernel leaves at the kernel's place. */
static void assert_configured_kernel(void)
{
	assert_memory_equal(ram_at(VM_RAW_KERNEL_OFFSET, g->cfg->kernel.size),
			    pa_to_ptr(g->cfg->kernel.base),
			    g->cfg->kernel.size);
}

/* img's first IMG_SIZE bytes at the kernel's place, zeroes after them. */
static void assert_loaded_kernel(void)
{
	const uint8_t *k = ram_at(VM_RAW_KERNEL_OFFSET, g->cfg->kernel.size);

	assert_memory_equal(k, img, IMG_SIZE);
	for (size_t i = IMG_SIZE; i < g->cfg->kernel.size; i++)
		assert_int_equal(k[i], 0);
}

/* Nothing of a refused begin: no import, no loaded kernel, slot kept. */
static void assert_nothing_changed(uint32_t gen, const char *why)
{
	if (!strstr(msg, why))
		fail_msg("message \"%s\" lacks \"%s\"", msg, why);
	assert_false(g->image.active);
	assert_int_equal(ckpt_slot_gen(1), gen);
	assert_int_equal(call(ctl_xfer_status, 0, NULL, NULL, NULL, NULL),
			 CTL_OK);
	assert_string_equal(msg, "no import");
}

static void test_begin_refusals_change_nothing(void **state)
{
	struct ckpt_slot_info info;
	uint32_t gen = ckpt_slot_gen(1);

	(void)state;
	assert_int_equal(begin("nope", SLOT, IMG_SIZE, crc_of(IMG_SIZE)),
			 CTL_NO_VM);
	assert_nothing_changed(gen, "no VM named 'nope'");
	/* Running: refused, and it goes on running. */
	assert_int_equal(begin("g", SLOT, IMG_SIZE, crc_of(IMG_SIZE)),
			 CTL_BAD_STATE);
	assert_nothing_changed(gen, "VM g is not stopped");
	assert_int_equal(g->state, VM_RUNNING);
	assert_true(vm_operator_stop(g, "test"));
	assert_int_equal(begin("g", "7", IMG_SIZE, crc_of(IMG_SIZE)),
			 CTL_NO_SLOT);
	assert_nothing_changed(gen, "slot 7");
	assert_int_equal(call(ctl_xfer_load_image, 4, "g", SLOT, "3000",
			      "12345"),
			 CTL_BAD_REQUEST);
	assert_nothing_changed(gen, "CRC '12345' is not 8 hex digits");
	assert_int_equal(begin("g", SLOT, 0, 0), CTL_FAILED);
	assert_nothing_changed(gen, "0 bytes");
	/* Fits the slot, not the RAM with its generated DTB above it. */
	ckpt_slot_info(1, &info);
	assert_true(info.capacity >= (2U << 20));
	assert_int_equal(begin("g", SLOT, 2U << 20, 0), CTL_FAILED);
	assert_nothing_changed(gen, "cannot hold the generated DTB");
	assert_int_equal(begin("g", SLOT, info.capacity + 1, 0), CTL_FAILED);
	assert_nothing_changed(gen, "does not fit slot 1");
}

static void test_load_then_start_and_reset_boot_it(void **state)
{
	(void)state;
	assert_true(vm_operator_stop(g, "test"));
	assert_int_equal(begin("g", SLOT, IMG_SIZE, crc_of(IMG_SIZE)), CTL_OK);
	send(0, IMG_SIZE);
	util_out_clear();
	assert_int_equal(end(), CTL_OK);
	assert_non_null(strstr(msg, "loaded"));
	util_out_has("vm=g slot=1 size=3000 crc=");
	assert_true(g->image.active);
	/* The slot holds no checkpoint image a restore would take. */
	assert_false(ckpt_slot_read(1, &(const uint8_t *){ NULL },
				    &(uint64_t){ 0 }, &(uint32_t){ 0 }));

	start_and_boot();
	assert_true(g->load.image);
	util_out_has(
		"kairos: VM g: boots its loaded kernel (3000 bytes in slot 1");
	assert_loaded_kernel();
	/* A reset (the guest's, the shell's) boots it again. */
	memset((void *)(uintptr_t)ram_at(VM_RAW_KERNEL_OFFSET, IMG_SIZE), 0xee,
	       IMG_SIZE);
	vm_reset(g);
	util_boot_steps(g);
	assert_loaded_kernel();
	/* Reverted: the configured kernel from the next boot on. */
	assert_int_equal(call(ctl_xfer_load_revert, 1, "g", NULL, NULL, NULL),
			 CTL_OK);
	util_out_has("vm=g dropped=1");
	vm_reset(g);
	util_boot_steps(g);
	assert_false(g->load.image);
	assert_configured_kernel();
}

static void test_damaged_chunk_refused_then_resent(void **state)
{
	(void)state;
	assert_true(vm_operator_stop(g, "test"));
	assert_int_equal(begin("g", SLOT, IMG_SIZE, crc_of(IMG_SIZE)), CTL_OK);
	assert_int_equal(put(0, CTL_XFER_CHUNK, crc_of(CTL_XFER_CHUNK) ^ 1),
			 CTL_FAILED);
	assert_non_null(strstr(msg, "resend from offset 0"));
	/* Ended with no byte taken: refused, the import goes on. */
	assert_int_equal(end(), CTL_FAILED);
	assert_non_null(strstr(msg, "0 of the image's 3000 bytes came"));
	assert_false(g->image.active);
	send(0, IMG_SIZE);
	assert_int_equal(end(), CTL_OK);
	assert_true(g->image.active);
}

static void test_incomplete_end_refused(void **state)
{
	(void)state;
	assert_true(vm_operator_stop(g, "test"));
	assert_int_equal(begin("g", SLOT, IMG_SIZE, crc_of(IMG_SIZE)), CTL_OK);
	assert_int_equal(put(0, 1000, crc_of(1000)), CTL_OK);
	assert_int_equal(end(), CTL_FAILED);
	assert_non_null(strstr(msg, "1000 of the image's 3000 bytes came"));
	assert_non_null(strstr(msg, "resume from offset 1000"));
	assert_false(g->image.active);
	start_and_boot();
	assert_configured_kernel();
}

static void test_whole_image_crc_mismatch_refused(void **state)
{
	(void)state;
	assert_true(vm_operator_stop(g, "test"));
	/* Every chunk right, the whole not what was announced. */
	assert_int_equal(begin("g", SLOT, IMG_SIZE, crc_of(IMG_SIZE) ^ 0x100),
			 CTL_OK);
	send(0, IMG_SIZE);
	assert_int_equal(end(), CTL_FAILED);
	assert_non_null(strstr(msg, "CRC32C"));
	assert_non_null(strstr(msg, "no new kernel was taken"));
	assert_false(g->image.active);
	start_and_boot();
	assert_configured_kernel();
}

static void test_header_that_does_not_fit_refused_at_the_end(void **state)
{
	static const uint8_t magic[4] = { 'A', 'R', 'M', 0x64 };

	(void)state;
	/* An arm64 Image header: its kernel goes at 2 MiB, its DTB at 4. */
	memset(img, 0, VM_KERNEL_HEADER_SIZE);
	memcpy(img + 0x38, magic, sizeof(magic));
	img[17] = 0x10; /* image_size 0x1000 (little-endian) */
	assert_true(vm_operator_stop(g, "test"));
	assert_int_equal(begin("g", SLOT, IMG_SIZE, crc_of(IMG_SIZE)), CTL_OK);
	send(0, IMG_SIZE);
	assert_int_equal(end(), CTL_FAILED);
	assert_non_null(strstr(msg, "VM g: memory: "));
	assert_false(g->image.active);
}

static void test_started_during_the_transfer(void **state)
{
	(void)state;
	assert_true(vm_operator_stop(g, "test"));
	assert_int_equal(begin("g", SLOT, IMG_SIZE, crc_of(IMG_SIZE)), CTL_OK);
	send(0, IMG_SIZE);
	start_and_boot();
	assert_int_equal(end(), CTL_BAD_STATE);
	assert_non_null(strstr(msg, "VM g is not stopped"));
	assert_false(g->image.active);
}

/* A loaded kernel whose slot an import (or checkpoint) opens again. */
static void load_then_overwrite(void)
{
	uint64_t cap;
	uint32_t gen;

	assert_true(vm_operator_stop(g, "test"));
	assert_int_equal(begin("g", SLOT, IMG_SIZE, crc_of(IMG_SIZE)), CTL_OK);
	send(0, IMG_SIZE);
	assert_int_equal(end(), CTL_OK);
	assert_non_null(ckpt_slot_open(1, &cap, &gen));
}

static void test_overwritten_slot_boots_the_configured_kernel(void **state)
{
	(void)state;
	load_then_overwrite();
	util_out_clear();
	start_and_boot();
	util_out_has("slot 1, which held its loaded kernel, was written since");
	assert_false(g->load.image);
	assert_false(g->image.active);
	assert_configured_kernel();
}

static void test_overwritten_during_the_boot_is_not_entered(void **state)
{
	uint64_t cap;
	uint32_t gen;

	(void)state;
	assert_true(vm_operator_stop(g, "test"));
	assert_int_equal(begin("g", SLOT, IMG_SIZE, crc_of(IMG_SIZE)), CTL_OK);
	send(0, IMG_SIZE);
	assert_int_equal(end(), CTL_OK);
	assert_true(vm_start(g));
	assert_true(g->load.image);
	/* Between two steps of the boot's copy. */
	assert_non_null(ckpt_slot_open(1, &cap, &gen));
	for (unsigned int n = 0; g->state != VM_STOPPED; n++) {
		assert_true(n < 2 * (UTIL_RAM / VM_RAM_CLEAR_STEP) + 8);
		vm_boot_step(&g->vcpus[0]);
	}
	util_out_has("was written during the boot: stopping the VM");
	assert_int_equal(g->vcpus[0].st.power, VCPU_POWER_OFF);
	assert_false(g->image.active);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, util_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_begin_refusals_change_nothing),
		T(test_load_then_start_and_reset_boot_it),
		T(test_damaged_chunk_refused_then_resent),
		T(test_incomplete_end_refused),
		T(test_whole_image_crc_mismatch_refused),
		T(test_header_that_does_not_fit_refused_at_the_end),
		T(test_started_during_the_transfer),
		T(test_overwritten_slot_boots_the_configured_kernel),
		T(test_overwritten_during_the_boot_is_not_entered),
	};

	return cmocka_run_group_tests_name("load_image", tests, NULL, NULL);
}
