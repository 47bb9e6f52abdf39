// SPDX-License-Identifier: MIT
/*
 * core/ckpt/ckpt.c on VMs made by vm_create_all() (tests/unit/util.c) and the
 * fake hardware: invariant T13 of docs/time-invariants.md -- restore order does
 * not matter and restore has no side effects -- as a simulation over every
 * permutation of {cntvoff, CTL, CVAL, distributor, redistributor, CPU
 * interface}, and refusals that leave the VM as it was.
 */
#include <kairos/ckpt.h>
#include <kairos/ckpt_format.h>
#include <kairos/sched.h>
#include <kairos/vdev.h>
#include <kairos/vgic.h>
#include <kairos/vtimer.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* cmocka.h needs <setjmp.h>, <stdarg.h> and <stddef.h> first. */
#include <cmocka.h>

#include "ckpt_corpus.h"
#include "fake.h"
#include "util.h"

#define STORE_SIZE (8UL << 20)
#define ENABLE 1UL
#define IMASK 2UL
#define ISTATUS 4UL
#define SGI 1U
#define SPI 40U
#define PTIMER 30U
#define LRS 4U

static uint8_t store[STORE_SIZE] __attribute__((aligned(4096)));

/* What the first entry of every vCPU would see and load. */
struct first_entry {
	struct {
		unsigned int n;
		struct vgic_lr lr[LRS];
		uint16_t timer_flags, ptimer_flags;
		uint64_t vctl, vcval, pctl, pcval, apr0, vmcr;
		int run;
	} v[2];
	uint64_t vct; /* the guest's count at restore: now - cntvoff */
	uint32_t ctlr;
};

static struct vm *vm;

static void setup_vm(void)
{
	util_setup(1);
	util_vm_add("a", 2, NULL, 1);
	util_ckpt_store(store, sizeof(store), 2);
	util_create();
	vm = &vms[0];
}

/* A guest state worth restoring: every part holds something. */
static void guest_state(void)
{
	struct vcpu *v0 = &vm->vcpus[0], *v1 = &vm->vcpus[1];
	uint64_t vct;

	fake_counter_advance(100000); /* the guest ran a while */
	vct = fake_counter_peek() - vm->cntvoff;

	vcpu_power_on(v1, 0x40080000, 0);
	vm->vgic.ctlr = 3;
	/* vCPU0: its timer due; its ptimer's interrupt active, handled. */
	v0->st.vtimer.ctl = ENABLE;
	v0->st.vtimer.cval = vct - 10;
	v0->st.ptimer.ctl = ENABLE | IMASK;
	v0->st.ptimer.cval = vct + 100000;
	v0->st.vgic.priv[VTIMER_INTID].flags |= VGIC_ENABLED | VGIC_GROUP1;
	v0->st.vgic.priv[PTIMER].flags |= VGIC_ENABLED | VGIC_GROUP1 |
					  VGIC_ACTIVE;
	v0->st.vgic.priv[PTIMER].priority = 0x80;
	v0->st.vgic.apr[0] = 1U << (0x80 >> 3);
	v0->st.vgic.vmcr = 0xf0000003UL;
	/* vCPU1: a timer in the future though the image claims ISTATUS; an
	 * SGI pending; the SPI pending for it. */
	v1->st.vtimer.ctl = ENABLE | ISTATUS;
	v1->st.vtimer.cval = vct + 1000000;
	v1->st.vgic.priv[VTIMER_INTID].flags |= VGIC_ENABLED | VGIC_GROUP1 |
						VGIC_LINE;
	v1->st.vgic.priv[SGI].flags |= VGIC_ENABLED | VGIC_GROUP1 | VGIC_LATCH;
	v1->st.vgic.vmcr = 0xf0000003UL;
	vm->vgic.spi[SPI - 32].flags |= VGIC_ENABLED | VGIC_GROUP1 | VGIC_LATCH;
	vm->vgic.spi[SPI - 32].route = 1;
	vm->vgic.spi[SPI - 32].targets = 2;
	vgic_rescan_all(vm);
}

/* Something else in every part, as a VM that ran on would have. */
static void scramble(void)
{
	vm->cntvoff += 777;
	vgic_vm_init(vm, vm->vgic.version);
	for (unsigned int k = 0; k < vm->nr_vcpus; k++) {
		struct vcpu *v = &vm->vcpus[k];

		vgic_vcpu_reset(v);
		v->st.vtimer.ctl = ENABLE;
		v->st.vtimer.cval = 1; /* due: would fire if evaluated early */
		v->st.ptimer.ctl = ENABLE;
		v->st.ptimer.cval = 1;
	}
}

static void snapshot(struct first_entry *e)
{
	memset(e, 0, sizeof(*e));
	e->vct = fake_counter_peek() - vm->cntvoff;
	e->ctlr = vm->vgic.ctlr;
	for (unsigned int k = 0; k < 2; k++) {
		struct vcpu *v = &vm->vcpus[k];
		bool underflow;

		e->v[k].n = vgic_fill_lrs(v, e->v[k].lr, LRS, &underflow, NULL);
		/* Only what the hardware would get: not the bookkeeping. */
		vgic_fold_lrs(v, e->v[k].lr, e->v[k].n, 0);
		e->v[k].timer_flags = v->st.vgic.priv[VTIMER_INTID].flags;
		e->v[k].ptimer_flags = v->st.vgic.priv[PTIMER].flags;
		e->v[k].vctl = v->st.vtimer.ctl;
		e->v[k].vcval = v->st.vtimer.cval;
		e->v[k].pctl = v->st.ptimer.ctl;
		e->v[k].pcval = v->st.ptimer.cval;
		e->v[k].apr0 = v->st.vgic.apr[0];
		e->v[k].vmcr = v->st.vgic.vmcr;
		e->v[k].run = (int)v->run;
	}
}

static bool listed(const struct first_entry *e, unsigned int k, uint32_t intid,
		   bool pending, bool active)
{
	for (unsigned int i = 0; i < e->v[k].n; i++)
		if (e->v[k].lr[i].intid == intid)
			return e->v[k].lr[i].pending == pending &&
			       e->v[k].lr[i].active == active;
	return false;
}

static bool next_permutation(unsigned int *a, unsigned int n)
{
	unsigned int i = n - 1, j;

	while (i > 0 && a[i - 1] >= a[i])
		i--;
	if (i == 0)
		return false;
	for (j = n - 1; a[j] <= a[i - 1];)
		j--;
	unsigned int t = a[i - 1];

	a[i - 1] = a[j];
	a[j] = t;
	for (unsigned int l = i, r = n - 1; l < r; l++, r--) {
		t = a[l];
		a[l] = a[r];
		a[r] = t;
	}
	return true;
}

static void test_t13_restore_order_does_not_matter(void **state)
{
	unsigned int order[CKPT_NR_PARTS], runs = 0;
	struct first_entry first, e;
	char why[200];

	(void)state;
	setup_vm();
	guest_state();
	assert_true(util_checkpoint(vm, 0, why, sizeof(why)));
	for (unsigned int i = 0; i < CKPT_NR_PARTS; i++)
		order[i] = i;
	do {
		scramble();
		ckpt_set_restore_order(order);
		assert_true(ckpt_restore(vm, 0, CKPT_POLICY_PAUSE, why,
					 sizeof(why)));
		snapshot(&e);
		if (!runs++)
			first = e;
		else
			assert_memory_equal(&e, &first, sizeof(e));
	} while (next_permutation(order, CKPT_NR_PARTS));
	assert_int_equal(runs, 720);
	ckpt_set_restore_order((const unsigned int[]){ 0, 1, 2, 3, 4, 5 });

	/* And that state is the image's, its timer lines derived. */
	assert_true(listed(&first, 0, VTIMER_INTID, true, false));
	assert_true(listed(&first, 0, PTIMER, false, true));
	assert_int_not_equal(first.v[0].apr0, 0);
	assert_false(first.v[1].timer_flags & VGIC_LINE);
	assert_false(listed(&first, 1, VTIMER_INTID, true, false));
	assert_true(listed(&first, 1, SGI, true, false));
	assert_true(listed(&first, 1, SPI, true, false));
	assert_int_equal(first.v[1].run, VCPU_RUN_READY);
}

static void test_ckpt9_refusals_leave_the_vm_as_it_was(void **state)
{
	struct ckpt_image img;
	char why[200];
	uint64_t pc;

	(void)state;
	setup_vm();
	guest_state();
	assert_true(util_checkpoint(vm, 0, why, sizeof(why)));
	assert_true(ckpt_parse(store, STORE_SIZE / 2, CKPT_PARSE_TRUST_MEM,
			       &img, why, sizeof(why)));
	pc = vm->vcpus[0].st.regs.pc;
	vm->vcpus[0].st.regs.pc = pc + 4;

	/* A byte of a vCPU flipped: the CRC says so, nothing is loaded. */
	store[ckpt_find(&img, CKPT_SEC_VCPU, 1)->offset + 8] ^= 1;
	assert_false(ckpt_restore(vm, 0, CKPT_POLICY_PAUSE, why, sizeof(why)));
	assert_non_null(strstr(why, "slot 0: "));
	assert_int_equal(vm->vcpus[0].st.regs.pc, pc + 4);
	assert_false(vm->hold);

	/* No such slot, an empty slot. */
	assert_false(ckpt_restore(vm, 9, CKPT_POLICY_PAUSE, why, sizeof(why)));
	assert_string_equal(why, "no slot 9 (2 slots)");
	assert_false(ckpt_restore(vm, 1, CKPT_POLICY_PAUSE, why, sizeof(why)));
	assert_non_null(strstr(why, "slot 1: "));
	assert_int_equal(vm->vcpus[0].st.regs.pc, pc + 4);
}

/* The image slot 0 held before the corpus edits, and slot 1. */
static uint8_t base_img[STORE_SIZE / 2];
static uint8_t *const slot1 = store + STORE_SIZE / 2;

/* @e in slot 1: refused by a restore exactly when ckpt_parse() says so. */
static bool restore_edit(const struct ckpt_edit *e)
{
	struct ckpt_image img;
	char msg[200], why[300];
	bool parsed, restored;

	memcpy(slot1, base_img, sizeof(base_img));
	if (!ckpt_corpus_apply(slot1, sizeof(base_img), e))
		fail_msg("%s: the image has no such field", e->name);
	parsed = ckpt_parse(slot1, sizeof(base_img), 0, &img, msg, sizeof(msg));
	if (parsed != (e->refusal == NULL))
		fail_msg("%s: ckpt_parse() %s (%s)", e->name,
			 parsed ? "accepts" : "refuses", msg);
	restored = ckpt_restore(vm, 1, CKPT_POLICY_PAUSE, why, sizeof(why));
	if (restored != parsed)
		fail_msg("%s: restore %s (%s)", e->name,
			 restored ? "accepts" : "refuses", why);
	if (!parsed && !strstr(why, e->refusal))
		fail_msg("%s: \"%s\" lacks \"%s\"", e->name, why, e->refusal);
	return restored;
}

/*
 * Every image of the corpus (ckpt_corpus.c) restored into the VM through
 * the real restore, then the VM checkpointed again: each refused with the
 * reader's sentence or restored, and then captured (a capture that never
 * ends or writes outside its state fails here, under ASan), with the
 * fields that survive a restore found again in the new image.
 */
static void test_corpus_restore_and_checkpoint_again(void **state)
{
	struct ckpt_image img;
	char why[200];
	unsigned int restored = 0;

	(void)state;
	setup_vm();
	guest_state();
	assert_true(util_checkpoint(vm, 0, why, sizeof(why)));
	memcpy(base_img, store, sizeof(base_img));
	for (unsigned int i = 0; i < ckpt_corpus_len; i++) {
		const struct ckpt_edit *e = &ckpt_corpus[i];
		uint64_t got;

		if (!restore_edit(e))
			continue;
		restored++;
		if (!util_checkpoint(vm, 0, why, sizeof(why)))
			fail_msg("%s: checkpoint after the restore: %s",
				 e->name, why);
		assert_true(ckpt_parse(store, STORE_SIZE / 2, 0, &img, why,
				       sizeof(why)));
		assert_true(ckpt_corpus_read(&img, e, &got));
		if (e->round_trip && got != e->value)
			fail_msg("%s: 0x%llx restored, 0x%llx captured",
				 e->name, (unsigned long long)e->value,
				 (unsigned long long)got);
	}
	assert_int_not_equal(restored, 0);
}

/* 63 bytes of input restored: the ring is full, read back in order. */
static void test_full_uart_ring_restored(void **state)
{
	const struct ckpt_edit e = {
		"rx_len 63", CKPT_SEC_VUART,
		0,           offsetof(struct ckpt_vuart, rx_len),
		4,           CKPT_UART_RX_CAP,
		NULL,        true
	};
	char why[200];

	(void)state;
	setup_vm();
	guest_state();
	for (unsigned int k = 0; k < CKPT_UART_RX_CAP; k++)
		assert_true(vuart_receive(vm, (char)('!' + k)));
	assert_false(vuart_receive(vm, 'x')); /* full at 63 */
	assert_true(util_checkpoint(vm, 0, why, sizeof(why)));
	memcpy(base_img, store, sizeof(base_img));
	vuart_reset(&vm->uart);
	assert_true(restore_edit(&e));
	assert_false(vuart_receive(vm, 'x'));
	for (unsigned int k = 0; k < CKPT_UART_RX_CAP; k++)
		assert_int_equal(vm->uart.rx[(vm->uart.rx_tail + k) %
					     sizeof(vm->uart.rx)],
				 '!' + k);
	assert_true(util_checkpoint(vm, 0, why, sizeof(why)));
}

/* Whatever head and tail say, a capture ends with at most 63 bytes. */
static void test_capture_of_a_corrupt_ring_ends(void **state)
{
	const unsigned int ends[][2] = { { 64, 0 },
					 { 1000, 3 },
					 { 5, 900 },
					 { UINT32_MAX, UINT32_MAX - 1 } };
	struct ckpt_image img;
	char why[200];

	(void)state;
	setup_vm();
	for (unsigned int i = 0; i < ARRAY_SIZE(ends); i++) {
		const struct ckpt_vuart *u;

		vm->uart.rx_head = ends[i][0];
		vm->uart.rx_tail = ends[i][1];
		vm->uart.len = 1000 * i;
		assert_true(util_checkpoint(vm, 0, why, sizeof(why)));
		assert_true(ckpt_parse(store, STORE_SIZE / 2, 0, &img, why,
				       sizeof(why)));
		u = ckpt_payload(&img, ckpt_find(&img, CKPT_SEC_VUART, 0));
		assert_true(u->rx_len <= CKPT_UART_RX_CAP);
		assert_true(u->line_len <= CKPT_UART_LINE_MAX);
	}
	vuart_reset(&vm->uart);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, NULL, util_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_t13_restore_order_does_not_matter),
		T(test_ckpt9_refusals_leave_the_vm_as_it_was),
		T(test_corpus_restore_and_checkpoint_again),
		T(test_full_uart_ring_restored),
		T(test_capture_of_a_corrupt_ring_ends),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
