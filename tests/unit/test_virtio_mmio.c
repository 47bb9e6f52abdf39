// SPDX-License-Identifier: MIT
/*
 * core/vdev/virtio_mmio.c through a VM's MMIO dispatch, as a guest's loads and
 * stores reach it: every one of the 32 transports answers the magic
 * value, version 1, DeviceID 0 and QEMU's vendor ID; every other register
 * reads zero; writes change nothing; narrow and 64-bit reads give what
 * QEMU's byte-addressed answers give; an unaligned access aborts; the
 * window ends where the 32nd transport does.
 */
#include <kairos/profile_virt.h>
#include <kairos/vmmio.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

/* cmocka.h needs <setjmp.h>, <stdarg.h> and <stddef.h> first. */
#include <cmocka.h>

#include "fake.h"
#include "util.h"

#define MAGIC_VIRT 0x74726976U  /* "virt" */
#define VENDOR_QEMU 0x554d4551U /* "QEMU" */

static struct vcpu *v;

static int setup(void **state)
{
	(void)state;
	util_setup(1);
	util_vm_add("a", 1, NULL, 1);
	util_create();
	v = &vms[0].vcpus[0];
	return 0;
}

static uint64_t rd(uint64_t ipa, unsigned int len)
{
	uint64_t val = 0xdeadbeefdeadbeefULL;

	assert_int_equal(vmmio_access(v, ipa, false, len, &val), MMIO_OK);
	return val;
}

static void test_every_transport_identifies_as_empty(void **state)
{
	(void)state;
	for (unsigned int i = 0; i < 32; i++) {
		uint64_t t = 0x0a000000 + i * 0x200;

		assert_int_equal(rd(t + 0x000, 4), MAGIC_VIRT);
		assert_int_equal(rd(t + 0x004, 4), 1);
		assert_int_equal(rd(t + 0x008, 4), 0); /* DeviceID: none */
		assert_int_equal(rd(t + 0x00c, 4), VENDOR_QEMU);
		/* Features, queues, interrupt status, status, config: 0. */
		for (uint64_t off = 0x010; off < 0x200; off += 4)
			assert_int_equal(rd(t + off, 4), 0);
	}
}

static void test_writes_change_nothing(void **state)
{
	uint64_t val = 0xffffffff;
	const uint64_t t = 0x0a000000 + 5 * 0x200;

	(void)state;
	for (uint64_t off = 0; off < 0x200; off += 4)
		assert_int_equal(vmmio_access(v, t + off, true, 4, &val),
				 MMIO_OK);
	assert_int_equal(vmmio_access(v, t + 0x70, true, 1, &val), MMIO_OK);
	assert_int_equal(rd(t + 0x000, 4), MAGIC_VIRT);
	assert_int_equal(rd(t + 0x004, 4), 1);
	assert_int_equal(rd(t + 0x070, 4), 0); /* Status */
	assert_int_equal(rd(t + 0x030, 4), 0); /* QueueSel */
}

static void test_widths_answer_by_offset(void **state)
{
	const uint64_t t = 0x0a003e00; /* the last transport */

	(void)state;
	assert_int_equal(rd(t, 1), MAGIC_VIRT & 0xff);
	assert_int_equal(rd(t, 2), MAGIC_VIRT & 0xffff);
	/* Inside a register there is no register: zero, as QEMU answers. */
	assert_int_equal(rd(t + 1, 1), 0);
	assert_int_equal(rd(t + 2, 2), 0);
	/* 64 bits: two registers, the lower address in the low half. */
	assert_int_equal(rd(t, 8), ((uint64_t)1 << 32) | MAGIC_VIRT);
	assert_int_equal(rd(t + 8, 8), (uint64_t)VENDOR_QEMU << 32);
}

static void test_unaligned_aborts(void **state)
{
	uint64_t val = 0;

	(void)state;
	assert_int_equal(vmmio_access(v, 0x0a000001, false, 4, &val),
			 MMIO_REFUSED);
	assert_int_equal(vmmio_access(v, 0x0a000004, false, 8, &val),
			 MMIO_REFUSED);
	assert_int_equal(vmmio_access(v, 0x0a000002, true, 4, &val),
			 MMIO_REFUSED);
}

static void test_window_is_32_transports(void **state)
{
	uint64_t val = 0;

	(void)state;
	assert_int_equal(vmmio_access(v, 0x0a004000, false, 4, &val),
			 MMIO_NO_DEVICE);
	assert_int_equal(vmmio_access(v, 0x09fffffc, false, 4, &val),
			 MMIO_NO_DEVICE);
	/* An access straddling the end belongs to nothing. */
	assert_int_equal(vmmio_access(v, 0x0a003ffc, false, 8, &val),
			 MMIO_NO_DEVICE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_every_transport_identifies_as_empty, setup,
			util_teardown),
		cmocka_unit_test_setup_teardown(test_writes_change_nothing,
						setup, util_teardown),
		cmocka_unit_test_setup_teardown(test_widths_answer_by_offset,
						setup, util_teardown),
		cmocka_unit_test_setup_teardown(test_unaligned_aborts, setup,
						util_teardown),
		cmocka_unit_test_setup_teardown(test_window_is_32_transports,
						setup, util_teardown),
	};

	return cmocka_run_group_tests_name("virtio_mmio", tests, NULL, NULL);
}
