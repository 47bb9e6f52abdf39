// SPDX-License-Identifier: MIT
/*
 * core/vmmio.c: a guest access reaches the device whose region holds every
 * byte of it, at the right offset and with the right value; an access that
 * leaves the region (or starts before it) reaches no device; a device that
 * rejects an access makes it REFUSED (an abort in the guest).
 */
#include <kairos/vmmio.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

/* cmocka.h needs <setjmp.h>, <stdarg.h> and <stddef.h> first. */
#include <cmocka.h>

#include "fake.h"

#define BASE 0x09000000UL
#define SIZE 0x1000UL
#define TOP 0xfffffffffffff000UL /* a region ending at 2^64 */

/* A device that records the last access and can refuse all of them. */
struct dev {
	unsigned int calls;
	bool write, refuse;
	uint64_t off, val;
	unsigned int len;
};

static struct vm vm;
static struct vcpu *v = &vm.vcpus[0];
static struct dev d0, d1, dtop;

static bool dev_read(struct vcpu *vc, void *dev, uint64_t off, unsigned int len,
		     uint64_t *val)
{
	struct dev *d = dev;

	assert_ptr_equal(vc, v);
	d->calls++;
	d->write = false;
	d->off = off;
	d->len = len;
	*val = 0xabcd0000U + off;
	return !d->refuse;
}

static bool dev_write(struct vcpu *vc, void *dev, uint64_t off,
		      unsigned int len, uint64_t val)
{
	struct dev *d = dev;

	assert_ptr_equal(vc, v);
	d->calls++;
	d->write = true;
	d->off = off;
	d->len = len;
	d->val = val;
	return !d->refuse;
}

static void add(uint64_t base, uint64_t size, struct dev *d)
{
	assert_true(vm.nr_mmio < VM_MAX_MMIO);
	vm.mmio[vm.nr_mmio++] = (struct mmio_region){
		.base = base,
		.size = size,
		.read = dev_read,
		.write = dev_write,
		.dev = d,
	};
}

static int setup(void **state)
{
	(void)state;
	fake_reset();
	memset(&vm, 0, sizeof(vm));
	memset(&d0, 0, sizeof(d0));
	memset(&d1, 0, sizeof(d1));
	memset(&dtop, 0, sizeof(dtop));
	v->vm = &vm;
	vm.nr_vcpus = 1;
	/* Two regions back to back, and one at the very top. */
	add(BASE, SIZE, &d0);
	add(BASE + SIZE, SIZE, &d1);
	add(TOP, SIZE, &dtop);
	return 0;
}

static enum mmio_status rd(uint64_t ipa, unsigned int len, uint64_t *val)
{
	return vmmio_access(v, ipa, false, len, val);
}

static void test_first_and_last_byte(void **state)
{
	uint64_t val = 0;

	(void)state;
	assert_int_equal(rd(BASE, 1, &val), MMIO_OK);
	assert_int_equal(d0.off, 0);
	assert_int_equal(d0.len, 1);
	assert_int_equal(val, 0); /* the low byte of 0xabcd0000 */
	assert_int_equal(rd(BASE + SIZE - 1, 1, &val), MMIO_OK);
	assert_int_equal(d0.off, SIZE - 1);
	assert_int_equal(rd(BASE + SIZE - 8, 8, &val), MMIO_OK);
	assert_int_equal(d0.off, SIZE - 8);
	assert_int_equal(d0.len, 8);
	assert_int_equal(d0.calls, 3);
	assert_int_equal(d1.calls, 0);
}

static void test_neighbour_gets_its_own_first_byte(void **state)
{
	uint64_t val = 0;

	(void)state;
	assert_int_equal(rd(BASE + SIZE, 4, &val), MMIO_OK);
	assert_int_equal(d1.calls, 1);
	assert_int_equal(d1.off, 0);
	assert_int_equal(d0.calls, 0);
}

static void test_outside_reaches_no_device(void **state)
{
	uint64_t val = 0x5a5a;

	(void)state;
	assert_int_equal(rd(BASE - 1, 1, &val), MMIO_NO_DEVICE);
	/* Starts before the region, ends inside it. */
	assert_int_equal(rd(BASE - 2, 4, &val), MMIO_NO_DEVICE);
	assert_int_equal(rd(BASE + 2 * SIZE, 1, &val), MMIO_NO_DEVICE);
	/* Straddles the end of the second region into nothing. */
	assert_int_equal(rd(BASE + 2 * SIZE - 2, 4, &val), MMIO_NO_DEVICE);
	assert_int_equal(rd(0, 8, &val), MMIO_NO_DEVICE);
	assert_int_equal(d0.calls + d1.calls + dtop.calls, 0);
	assert_int_equal(val, 0x5a5a); /* nothing was read */
}

static void test_access_straddling_the_end_reaches_no_device(void **state)
{
	uint64_t val = 0;

	(void)state;
	/* Neither region holds all of it, so neither may see it. */
	assert_int_equal(rd(BASE + SIZE - 2, 4, &val), MMIO_NO_DEVICE);
	assert_int_equal(vmmio_access(v, BASE + SIZE - 1, true, 2, &val),
			 MMIO_NO_DEVICE);
	assert_int_equal(d0.calls + d1.calls, 0);
}

static void test_top_of_address_space_does_not_wrap(void **state)
{
	uint64_t val = 0;

	(void)state;
	assert_int_equal(rd(UINT64_MAX - 7, 8, &val), MMIO_OK);
	assert_int_equal(dtop.off, SIZE - 8);
	assert_int_equal(rd(UINT64_MAX - 1, 4, &val), MMIO_NO_DEVICE);
	assert_int_equal(rd(UINT64_MAX, 8, &val), MMIO_NO_DEVICE);
	assert_int_equal(dtop.calls, 1);
}

/* A device that answers a narrow read with a whole register: the load gets
 * only the bytes it asked for (LDRB of a GIC register was 0x480008). */
static void test_read_keeps_only_its_width(void **state)
{
	uint64_t val = 0;

	(void)state;
	assert_int_equal(rd(BASE + 0x12, 1, &val), MMIO_OK);
	assert_int_equal(val, 0x12);
	assert_int_equal(rd(BASE + 0x234, 2, &val), MMIO_OK);
	assert_int_equal(val, 0x0234);
	assert_int_equal(rd(BASE + 0x345, 4, &val), MMIO_OK);
	assert_int_equal(val, 0xabcd0345U);
	assert_int_equal(rd(BASE + 0x8, 8, &val), MMIO_OK);
	assert_int_equal(val, 0xabcd0008U);
}

static void test_write_passes_offset_and_value(void **state)
{
	uint64_t val = 0x1122334455667788ULL;

	(void)state;
	assert_int_equal(vmmio_access(v, BASE + SIZE + 0x30, true, 8, &val),
			 MMIO_OK);
	assert_true(d1.write);
	assert_int_equal(d1.off, 0x30);
	assert_int_equal(d1.len, 8);
	assert_int_equal(d1.val, 0x1122334455667788ULL);
	assert_int_equal(d0.calls, 0);
}

static void test_refusal_is_reported(void **state)
{
	uint64_t val = 7;

	(void)state;
	d0.refuse = true;
	assert_int_equal(rd(BASE + 4, 4, &val), MMIO_REFUSED);
	assert_int_equal(vmmio_access(v, BASE + 4, true, 4, &val),
			 MMIO_REFUSED);
	assert_int_equal(d0.calls, 2);
	/* The neighbour still works. */
	assert_int_equal(rd(BASE + SIZE + 4, 4, &val), MMIO_OK);
}

static void test_vm_without_devices(void **state)
{
	uint64_t val = 0;

	(void)state;
	vm.nr_mmio = 0;
	assert_int_equal(rd(BASE, 4, &val), MMIO_NO_DEVICE);
	assert_int_equal(d0.calls, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_first_and_last_byte, setup),
		cmocka_unit_test_setup(test_neighbour_gets_its_own_first_byte,
				       setup),
		cmocka_unit_test_setup(test_outside_reaches_no_device, setup),
		cmocka_unit_test_setup(
			test_access_straddling_the_end_reaches_no_device,
			setup),
		cmocka_unit_test_setup(test_top_of_address_space_does_not_wrap,
				       setup),
		cmocka_unit_test_setup(test_read_keeps_only_its_width, setup),
		cmocka_unit_test_setup(test_write_passes_offset_and_value,
				       setup),
		cmocka_unit_test_setup(test_refusal_is_reported, setup),
		cmocka_unit_test_setup(test_vm_without_devices, setup),
	};

	return cmocka_run_group_tests_name("vmmio", tests, NULL, NULL);
}
