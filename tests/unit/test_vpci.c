// SPDX-License-Identifier: MIT
/*
 * core/vdev/vpci.c through a VM's MMIO dispatch: the ECAM window of a
 * region's participant shows one function per region it takes part in,
 * with ivshmem's IDs, at every width Linux uses; BARs are where Kairos
 * put them and answer all-ones with their size, then restore; Command
 * keeps only its writable bits; Status bit 3 follows the doorbell's
 * INTR_STATUS and the INTx line is high while it is set and INTx is not
 * disabled; absent functions read all-ones and ignore writes; a VM
 * without regions has no ECAM window at all.
 */
#include <kairos/profile_virt.h>
#include <kairos/vgic.h>
#include <kairos/vmmio.h>
#include <kairos/vpci.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* cmocka.h needs <setjmp.h>, <stdarg.h> and <stddef.h> first. */
#include <cmocka.h>

#include "fake.h"
#include "util.h"

/* Region 1: its function is device 1, its INTx SPI INTID 36. */
#define REGION 1U
#define FN (VIRT_PCI_ECAM + (VPCI_DEVFN(REGION) << 12))
#define BELL (VIRT_SHMEM_DOORBELL + REGION * VIRT_SHMEM_DOORBELL_SIZE)
#define RING 0x08
#define INTR_STATUS 0x20
#define INTX (VIRT_PCI_INTX_INTID + REGION)

static void *region, *other;

/* Participant @vm of region 1: a (index 0) below 4 GiB, b (2) above. */
static void join(struct vm_config *vm, unsigned int idx, uint64_t ipa,
		 uint64_t size)
{
	struct vm_shmem *m = &vm->shmem[vm->nr_shmem++];

	*m = (struct vm_shmem){ .region = REGION,
				.index = idx,
				.ipa = ipa_init(ipa),
				.host = pa_init((uintptr_t)region),
				.size = size,
				.peer_vm = { 0, -1, 1, -1 } };
}

static int setup(void **state)
{
	(void)state;
	region = aligned_alloc(0x2000, 0x2000);
	other = aligned_alloc(0x1000, 0x1000);
	assert_non_null(region);
	assert_non_null(other);
	util_setup(2);
	join(util_vm_add("a", 1, NULL, 1), 0, 0x80000000, 0x2000);
	join(util_vm_add("b", 1, (const unsigned int[]){ 1 }, 1), 2,
	     0x123400000000ULL, 0x2000);
	util_vm_add("c", 1, NULL, 1);
	/* Region 0: a page of its own that none of them takes part in. */
	util_shmem_regions(other, region, 0x2000);
	util_create();
	return 0;
}

static int teardown(void **state)
{
	util_teardown(state);
	free(region);
	free(other);
	return 0;
}

static enum mmio_status acc(unsigned int vm, uint64_t ipa, bool write,
			    unsigned int len, uint64_t *val)
{
	return vmmio_access(&vms[vm].vcpus[0], ipa, write, len, val);
}

/* An access that must work, or (a bad width or alignment) must not. */
static void expect(unsigned int vm, uint64_t ipa, bool write, unsigned int len,
		   uint64_t *val, bool ok)
{
	enum mmio_status st = acc(vm, ipa, write, len, val);

	if (ok)
		assert_int_equal(st, MMIO_OK);
	else
		assert_int_not_equal(st, MMIO_OK);
}

static uint64_t cfg_rd(unsigned int vm, uint64_t ipa, unsigned int len)
{
	uint64_t val = 0xdeadbeefdeadbeefULL;

	assert_int_equal(acc(vm, ipa, false, len, &val), MMIO_OK);
	return val;
}

static void cfg_wr(unsigned int vm, uint64_t ipa, unsigned int len,
		   uint64_t val)
{
	assert_int_equal(acc(vm, ipa, true, len, &val), MMIO_OK);
}

static bool line(unsigned int vm)
{
	return vms[vm].vgic.spi[INTX - VGIC_NR_PRIVATE].flags & VGIC_LINE;
}

static void test_ids_every_width(void **state)
{
	const uint32_t id = VPCI_DEVICE << 16 | VPCI_VENDOR;

	(void)state;
	assert_int_equal(cfg_rd(0, FN, 4), id);
	assert_int_equal(cfg_rd(0, FN, 2), VPCI_VENDOR);
	assert_int_equal(cfg_rd(0, FN + 2, 2), VPCI_DEVICE);
	for (unsigned int i = 0; i < 4; i++)
		assert_int_equal(cfg_rd(0, FN + i, 1), (id >> 8 * i) & 0xff);
	assert_int_equal(cfg_rd(0, FN + 0x08, 4), VPCI_CLASS << 8 | 1);
	assert_int_equal(cfg_rd(0, FN + 0x0b, 1), 0x05); /* class */
	assert_int_equal(cfg_rd(0, FN + 0x0e, 1), 0);    /* header type 0 */
	assert_int_equal(cfg_rd(0, FN + 0x2c, 4),
			 VPCI_SUBSYS_ID << 16 | VPCI_SUBSYS_VENDOR);
	assert_int_equal(cfg_rd(0, FN + 0x3d, 1), 1); /* INTA */
	assert_int_equal(cfg_rd(0, FN + 0x34, 1), 0); /* no capabilities */
	/* Interrupt Line is the guest's scratch byte. */
	cfg_wr(0, FN + 0x3c, 1, 0x2a);
	assert_int_equal(cfg_rd(0, FN + 0x3c, 2), 0x012a);
	/* b sees the same function for the same region. */
	assert_int_equal(cfg_rd(1, FN, 4), id);
}

static void test_bars_placed(void **state)
{
	(void)state;
	assert_int_equal(cfg_rd(0, FN + 0x10, 4), BELL);
	assert_int_equal(cfg_rd(0, FN + 0x14, 4), 0);
	/* a: 32-bit non-prefetchable at its IPA; b: 64-bit prefetchable. */
	assert_int_equal(cfg_rd(0, FN + 0x18, 4), 0x80000000);
	assert_int_equal(cfg_rd(0, FN + 0x1c, 4), 0);
	assert_int_equal(cfg_rd(1, FN + 0x18, 4), 0x00000000 | 0x4 | 0x8);
	assert_int_equal(cfg_rd(1, FN + 0x1c, 4), 0x1234);
	assert_int_equal(cfg_rd(0, FN + 0x20, 4), 0);
	assert_int_equal(cfg_rd(0, FN + 0x24, 4), 0);
}

/* Linux's __pci_read_base(): write all-ones, read the size, restore. */
static void test_bar_sizing(void **state)
{
	(void)state;
	cfg_wr(0, FN + 0x10, 4, 0xffffffff);
	assert_int_equal(cfg_rd(0, FN + 0x10, 4), 0xfffff000);
	cfg_wr(0, FN + 0x10, 4, BELL);
	assert_int_equal(cfg_rd(0, FN + 0x10, 4), BELL);
	cfg_wr(0, FN + 0x18, 4, 0xffffffff);
	assert_int_equal(cfg_rd(0, FN + 0x18, 4), 0xffffe000);
	cfg_wr(0, FN + 0x18, 4, 0x80000000);
	assert_int_equal(cfg_rd(0, FN + 0x18, 4), 0x80000000);
	/* 64-bit: both halves, the high one all address bits. */
	cfg_wr(1, FN + 0x18, 4, 0xffffffff);
	cfg_wr(1, FN + 0x1c, 4, 0xffffffff);
	assert_int_equal(cfg_rd(1, FN + 0x18, 4), 0xffffe00c);
	assert_int_equal(cfg_rd(1, FN + 0x1c, 4), 0xffffffff);
	cfg_wr(1, FN + 0x18, 4, 0xc);
	cfg_wr(1, FN + 0x1c, 4, 0x1234);
	assert_int_equal(cfg_rd(1, FN + 0x18, 4), 0xc);
	assert_int_equal(cfg_rd(1, FN + 0x1c, 4), 0x1234);
	/* Unimplemented BARs size as 0; another address does not move it. */
	cfg_wr(0, FN + 0x14, 4, 0xffffffff);
	assert_int_equal(cfg_rd(0, FN + 0x14, 4), 0);
	cfg_wr(0, FN + 0x10, 4, 0x12345000);
	assert_int_equal(cfg_rd(0, FN + 0x10, 4), BELL);
	/* Narrow writes of a BAR are ignored, sizing included. */
	cfg_wr(0, FN + 0x10, 2, 0xffff);
	cfg_wr(0, FN + 0x13, 1, 0xff);
	assert_int_equal(cfg_rd(0, FN + 0x10, 4), BELL);
	/* The other VM's sizing is its own. */
	cfg_wr(0, FN + 0x18, 4, 0xffffffff);
	assert_int_equal(cfg_rd(1, FN + 0x18, 4), 0xc);
}

static void test_command_bits(void **state)
{
	(void)state;
	assert_int_equal(cfg_rd(0, FN + 4, 4), 0);
	cfg_wr(0, FN + 4, 2, 0xffff);
	assert_int_equal(cfg_rd(0, FN + 4, 2), 0x0406);
	/* A byte write touches its byte only. */
	cfg_wr(0, FN + 5, 1, 0);
	assert_int_equal(cfg_rd(0, FN + 4, 2), 0x0006);
	/* Status writes (RW1C) change nothing. */
	cfg_wr(0, FN + 6, 2, 0xffff);
	assert_int_equal(cfg_rd(0, FN + 4, 4), 0x0006);
	/* pci_intx_mask_broken(): the toggled bit reads back, alone. */
	cfg_wr(0, FN + 4, 2, 0x0006 ^ 0x400);
	assert_int_equal(cfg_rd(0, FN + 4, 2), 0x0406);
}

/*
 * uio_pci_generic: a ring raises Status.INTx and the line; its handler
 * (pci_check_and_mask_intx) sets Interrupt Disable, which drops the line
 * but not the status; user space acknowledges and re-enables.
 */
static void test_intx(void **state)
{
	uint64_t one = 1, idx = 0;

	(void)state;
	cfg_wr(0, FN + 4, 2, 0x0002);
	assert_false(line(0));
	assert_int_equal(cfg_rd(0, FN + 4, 4), 0x0002);
	assert_int_equal(acc(1, BELL + RING, true, 4, &idx), MMIO_OK);
	assert_int_equal(cfg_rd(0, FN + 4, 4), 0x00080002);
	assert_true(line(0));
	assert_false(line(1));
	assert_int_equal(cfg_rd(0, BELL + INTR_STATUS, 4), 1);
	cfg_wr(0, FN + 4, 2, 0x0402);
	assert_false(line(0));
	assert_int_equal(cfg_rd(0, FN + 4, 4), 0x00080402);
	/* A second ring while unacknowledged merges (the edge is pending). */
	assert_int_equal(acc(1, BELL + RING, true, 4, &idx), MMIO_OK);
	assert_int_equal(cfg_rd(1, BELL + 0x10, 4), 1); /* COALESCED */
	/* Re-enabled before the acknowledge: the line rises again. */
	cfg_wr(0, FN + 4, 2, 0x0002);
	assert_true(line(0));
	/* Writing 0 acknowledges nothing; writing 1 does. */
	cfg_wr(0, BELL + INTR_STATUS, 4, 0);
	assert_true(line(0));
	assert_int_equal(acc(0, BELL + INTR_STATUS, true, 4, &one), MMIO_OK);
	assert_false(line(0));
	assert_int_equal(cfg_rd(0, FN + 4, 4), 0x0002);
	assert_int_equal(cfg_rd(0, BELL + INTR_STATUS, 4), 0);
	/* A ring while INTx is disabled shows in Status, not on the line. */
	cfg_wr(0, FN + 4, 2, 0x0402);
	assert_int_equal(acc(1, BELL + RING, true, 4, &idx), MMIO_OK);
	assert_false(line(0));
	assert_int_equal(cfg_rd(0, FN + 6, 2), 0x0008);
	/* The acknowledged status counted the ring as delivered. */
	assert_int_equal(cfg_rd(1, BELL + 0x0c, 4), 2); /* RUNG */
	/* Reset: Command 0, nothing unacknowledged, the line low. */
	cfg_wr(0, FN + 4, 2, 0x0002);
	assert_true(line(0));
	vm_reset(&vms[0]);
	assert_false(line(0));
	assert_int_equal(cfg_rd(0, FN + 4, 4), 0);
}

/* Every offset and width of present and absent functions. */
static void test_hostile_sweep(void **state)
{
	static const unsigned int devfns[] = { 0, VPCI_DEVFN(REGION) + 1,
					       VPCI_DEVFN(2), 0xff };
	uint64_t val;

	(void)state;
	for (unsigned int d = 0; d < 4; d++)
		for (unsigned int reg = 0; reg < 0x1000; reg++)
			for (unsigned int len = 1; len <= 8; len *= 2) {
				uint64_t a = VIRT_PCI_ECAM +
					     ((uint64_t)devfns[d] << 12) + reg;
				bool ok = len <= 4 && !(reg & (len - 1));

				val = 0;
				expect(0, a, false, len, &val, ok);
				if (ok)
					assert_int_equal(val,
							 0xffffffffU >>
								 (32 -
								  8 * len));
				val = ~0ULL;
				expect(0, a, true, len, &val, ok);
			}
	/* The present function: every register written with all-ones. */
	for (unsigned int reg = 0; reg < 0x1000; reg++)
		for (unsigned int len = 1; len <= 8; len *= 2) {
			bool ok = len <= 4 && !(reg & (len - 1));

			val = ~0ULL;
			expect(0, FN + reg, true, len, &val, ok);
			val = 0;
			expect(0, FN + reg, false, len, &val, ok);
		}
	assert_int_equal(cfg_rd(0, FN, 4), VPCI_DEVICE << 16 | VPCI_VENDOR);
	assert_int_equal(cfg_rd(0, FN + 4, 4), 0x0406);
	/* All-ones left every BAR sizing: each answers its size. */
	assert_int_equal(cfg_rd(0, FN + 0x10, 4), 0xfffff000);
	assert_int_equal(cfg_rd(0, FN + 0x18, 4), 0xffffe000);
	assert_int_equal(cfg_rd(0, FN + 0x1c, 4), 0);
	assert_int_equal(cfg_rd(0, FN + 0x3d, 1), 1);
	/* Nothing outside bus 0's ECAM window belongs to it. */
	val = 0;
	assert_int_equal(acc(0, VIRT_PCI_ECAM + VIRT_PCI_ECAM_SIZE, false, 4,
			     &val),
			 MMIO_NO_DEVICE);
}

static void test_no_host_without_region(void **state)
{
	uint64_t val = 0;

	(void)state;
	assert_int_equal(acc(2, VIRT_PCI_ECAM, false, 4, &val), MMIO_NO_DEVICE);
	assert_int_equal(acc(2, FN, false, 4, &val), MMIO_NO_DEVICE);
	val = 0xffffffff;
	assert_int_equal(acc(2, FN + 0x10, true, 4, &val), MMIO_NO_DEVICE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ids_every_width, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_bars_placed, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_bar_sizing, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_command_bits, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_intx, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_sweep, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_no_host_without_region,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
