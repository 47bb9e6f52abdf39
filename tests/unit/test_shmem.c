// SPDX-License-Identifier: MIT
/*
 * core/vdev/shmem.c through a VM's MMIO dispatch, as a guest's loads and
 * stores reach it: each participant reads its own index and the indexes
 * present; a ring pends the peer's doorbell SPI once, a second ring while
 * it is pending is coalesced and counted; rings to an index without a
 * participant or to a stopped VM pend nothing and are counted; a VM
 * reaches only the doorbell pages of its own regions, with whole 32-bit
 * accesses; a region starts zeroed. The shell's "vm list", the control
 * channel's info and vm_cmd_shmem() show each participant and its counts; a checkpoint or
 * restore of a participant whose checkpoint does not hold the region is
 * refused, naming the VM whose does (test_ckpt_capture.c captures one).
 */
#include <kairos/profile_virt.h>
#include <kairos/ui.h>
#include <kairos/vgic.h>
#include <kairos/vmmio.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* cmocka.h needs <setjmp.h>, <stdarg.h> and <stddef.h> first. */
#include <cmocka.h>

#include "fake.h"
#include "util.h"

#define SELF 0x00
#define PEERS 0x04
#define RING 0x08
#define RUNG 0x0c
#define COALESCED 0x10
#define BAD 0x14
#define DROPPED 0x18
#define RECEIVED 0x1c

/* Region 1 (region 0 is unused, so page and SPI numbers are tested). */
#define REGION 1U
#define BELL (VIRT_SHMEM_DOORBELL + REGION * VIRT_SHMEM_DOORBELL_SIZE)
#define INTID (VIRT_SHMEM_INTID + REGION)

static void *region, *other;

/* Participant @vm of region 1 as doorbell index @idx: a at 0, b at 2. */
static void join(struct vm_config *vm, unsigned int idx, bool ro)
{
	struct vm_shmem *m = &vm->shmem[vm->nr_shmem++];

	*m = (struct vm_shmem){ .region = REGION,
				.index = idx,
				.ipa = ipa_init(0x80000000),
				.host = pa_init((uintptr_t)region),
				.size = 0x1000,
				.ro = ro,
				.peer_vm = { 0, -1, 1, -1 },
				.peer_ro = { false, false, true, false },
				.owner = 0 };
}

static int setup(void **state)
{
	(void)state;
	region = aligned_alloc(0x1000, 0x1000);
	other = aligned_alloc(0x1000, 0x1000);
	assert_non_null(region);
	assert_non_null(other);
	memset(region, 0xa5, 0x1000);
	util_setup(2);
	join(util_vm_add("a", 1, NULL, 1), 0, false);
	join(util_vm_add("b", 1, (const unsigned int[]){ 1 }, 1), 2, true);
	util_vm_add("c", 1, NULL, 1);
	/* Region 0: a page of its own that none of them takes part in. */
	util_shmem_regions(other, region, 0x1000);
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

static uint64_t rd(unsigned int vm, uint64_t ipa)
{
	uint64_t val = 0xdeadbeefdeadbeefULL;

	assert_int_equal(vmmio_access(&vms[vm].vcpus[0], ipa, false, 4, &val),
			 MMIO_OK);
	return val;
}

static void ring(unsigned int vm, uint64_t idx)
{
	assert_int_equal(vmmio_access(&vms[vm].vcpus[0], BELL + RING, true, 4,
				      &idx),
			 MMIO_OK);
}

static bool pending(unsigned int vm)
{
	return vms[vm].vgic.spi[INTID - VGIC_NR_PRIVATE].flags & VGIC_LATCH;
}

static void test_ids(void **state)
{
	(void)state;
	assert_int_equal(rd(0, BELL + SELF), 0);
	assert_int_equal(rd(1, BELL + SELF), 2);
	assert_int_equal(rd(0, BELL + PEERS), 0x5);
	assert_int_equal(rd(1, BELL + PEERS), 0x5);
	assert_int_equal(rd(0, BELL + RING), 0);
	assert_int_equal(rd(0, BELL + 0xffc), 0);
	/* Zeroed when the VMs were created. */
	for (unsigned int i = 0; i < 0x1000; i++)
		assert_int_equal(((unsigned char *)region)[i], 0);
}

static void test_ring_pends_once(void **state)
{
	(void)state;
	assert_false(pending(1));
	ring(0, 2);
	assert_true(pending(1));
	assert_false(pending(0));
	assert_int_equal(rd(0, BELL + RUNG), 1);
	assert_int_equal(rd(1, BELL + RECEIVED), 1);
	ring(0, 2);
	assert_int_equal(rd(0, BELL + RUNG), 1);
	assert_int_equal(rd(0, BELL + COALESCED), 1);
	assert_int_equal(rd(1, BELL + RECEIVED), 1);
	/* And back: b rings a. */
	ring(1, 0);
	assert_true(pending(0));
	assert_int_equal(rd(1, BELL + RUNG), 1);
	assert_int_equal(rd(0, BELL + RECEIVED), 1);
}

static void test_bad_index(void **state)
{
	(void)state;
	ring(0, 1);
	ring(0, 3);
	ring(0, 4);
	ring(0, 0xffffffff);
	assert_int_equal(rd(0, BELL + BAD), 4);
	assert_int_equal(rd(0, BELL + RUNG), 0);
	assert_false(pending(0));
	assert_false(pending(1));
}

static void test_stopped_peer(void **state)
{
	(void)state;
	assert_true(vm_operator_stop(&vms[1], "test"));
	ring(0, 2);
	assert_int_equal(rd(0, BELL + DROPPED), 1);
	assert_int_equal(rd(0, BELL + RUNG), 0);
	assert_false(pending(1));
}

static void test_paused_peer(void **state)
{
	(void)state;
	vm_pause(&vms[1], true);
	ring(0, 2);
	ring(0, 2);
	assert_true(pending(1));
	assert_int_equal(rd(0, BELL + RUNG), 1);
	assert_int_equal(rd(0, BELL + COALESCED), 1);
	assert_int_equal(rd(0, BELL + DROPPED), 0);
	vm_pause(&vms[1], false);
	assert_true(pending(1));
}

static void test_isolation(void **state)
{
	uint64_t val = 2;

	(void)state;
	/* Not a participant of region 0, nor of any (c): no doorbell. */
	assert_int_equal(vmmio_access(&vms[0].vcpus[0], VIRT_SHMEM_DOORBELL,
				      false, 4, &val),
			 MMIO_REFUSED);
	assert_int_equal(vmmio_access(&vms[0].vcpus[0],
				      VIRT_SHMEM_DOORBELL + RING, true, 4,
				      &val),
			 MMIO_REFUSED);
	assert_int_equal(vmmio_access(&vms[2].vcpus[0], BELL, false, 4, &val),
			 MMIO_NO_DEVICE);
	/* Whole, aligned 32-bit registers only. */
	assert_int_equal(vmmio_access(&vms[0].vcpus[0], BELL + RING, true, 1,
				      &val),
			 MMIO_REFUSED);
	assert_int_equal(vmmio_access(&vms[0].vcpus[0], BELL + RING, true, 8,
				      &val),
			 MMIO_REFUSED);
	assert_int_equal(vmmio_access(&vms[0].vcpus[0], BELL + 2, false, 4,
				      &val),
			 MMIO_REFUSED);
	assert_int_equal(rd(0, BELL + RUNG) + rd(0, BELL + BAD), 0);
}

static void test_listing(void **state)
{
	struct vm_cmd_shmem m;

	(void)state;
	ring(0, 2);
	ring(0, 2);
	ring(0, 3);
	vm_cmd_shmem(&vms[1], 0, &m);
	assert_int_equal(m.region, REGION);
	assert_int_equal(m.index, 2);
	assert_true(m.ro);
	assert_int_equal(m.ipa, 0x80000000);
	assert_int_equal(m.bells.received, 1);
	vm_cmd_shmem(&vms[0], 0, &m);
	assert_int_equal(m.bells.rung, 1);
	assert_int_equal(m.bells.coalesced, 1);
	assert_int_equal(m.bells.bad, 1);
	util_out_clear();
	shell_exec("vm list");
	util_out_has("shmem 1: a index 0 rw at IPA 0x80000000 (4 KiB): rung 1, "
		     "coalesced 1, bad 1, dropped 0, received 0");
	util_out_has("shmem 1: b index 2 ro at IPA 0x80000000 (4 KiB): rung 0, "
		     "coalesced 0, bad 0, dropped 0, received 1");
	assert_int_equal(util_out_count("shmem "), 2); /* not c */
}

static void test_ctl_info(void **state)
{
	(void)state;
	ring(1, 0);
	util_type("ctl\r");
	shell_poll();
	assert_true(ctl_active());
	util_out_clear();
	util_type("i info b\r");
	shell_poll();
	util_out_has("@i - shmem=1 index=2 access=ro ipa=0x80000000 size=4096 "
		     "rung=1 coalesced=0 bad=0 dropped=0 received=0\r\n");
	util_type("j info a\r");
	shell_poll();
	util_out_has("@j - shmem=1 index=0 access=rw ipa=0x80000000 size=4096 "
		     "rung=0 coalesced=0 bad=0 dropped=0 received=1\r\n");
	util_type("\x15zz exit\r");
	shell_poll();
	assert_false(ctl_active());
}

static void test_checkpoint_refused(void **state)
{
	struct vm_cmd_result r;

	(void)state;
	/* b reads the region that a, its only writer, checkpoints. */
	vm_cmd_checkpoint(&vms[1], 0, &r);
	assert_int_equal(r.st, VM_CMD_FAILED);
	assert_non_null(strstr(
		r.why,
		"it takes part in shared-memory region 1, which only a checkpoint of VM a holds"));
	vm_cmd_restore(&vms[1], 0, CKPT_POLICY_PAUSE, &r);
	assert_int_equal(r.st, VM_CMD_FAILED);
	assert_non_null(strstr(
		r.why,
		"b: it takes part in shared-memory region 1, which only a checkpoint of VM a holds"));
	/* Two writers and no checkpoint-with: nobody's checkpoint holds it. */
	util_sys.vms[0].shmem[0].owner = -1;
	vm_cmd_checkpoint(&vms[0], 0, &r);
	assert_int_equal(r.st, VM_CMD_FAILED);
	assert_non_null(strstr(r.why, "region 1, which has several writers"));
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ids, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ring_pends_once, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_bad_index, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_stopped_peer, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_isolation, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_paused_peer, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_listing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ctl_info, setup, teardown),
		cmocka_unit_test_setup_teardown(test_checkpoint_refused, setup,
						teardown),
	};

	return cmocka_run_group_tests_name("shmem", tests, NULL, NULL);
}
