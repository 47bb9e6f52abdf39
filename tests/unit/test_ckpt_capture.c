// SPDX-License-Identifier: MIT
/*
 * core/ckpt/ckpt.c capture then restore, on VMs made by vm_create_all()
 * (tests/unit/util.c): what a checkpoint holds comes back whole after
 * the VM ran on and changed everything -- every vCPU register, both
 * timers with the counter offset of each VM (the guest's clock paused
 * while stored, or caught up), the pending, active and configuration
 * state of every virtual interrupt at either GIC version -- and a
 * damaged or foreign image (a bad CRC, a truncated image, another format
 * version, another GIC version, other passthrough devices or interrupts)
 * is refused naming the slot and what is wrong, with nothing of the VM
 * changed. test_ckpt.c has the restore
 * order (T13) and the corpus of images at their limits.
 */
#include <kairos/ckpt.h>
#include <kairos/ckpt_format.h>
#include <kairos/profile_virt.h>
#include <kairos/ptimer.h>
#include <kairos/task.h>
#include <kairos/timerq.h>
#include <kairos/vdev.h>
#include <kairos/vgic.h>
#include <kairos/vtimer.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* cmocka.h needs <setjmp.h>, <stdarg.h> and <stddef.h> first. */
#include <cmocka.h>

#include "ckpt_corpus.h"
#include "fake.h"
#include "util.h"

#define STORE_SIZE (16UL << 20)
#define SLOT_SIZE (STORE_SIZE / 2)
#define ENABLE 1UL
#define IMASK 2UL
#define PTIMER 30U
#define STORED_FOR 1000000UL /* counter ticks between capture and restore */

static uint8_t store[STORE_SIZE] __attribute__((aligned(4096)));
static struct vm *vm;

/*
 * Slots of 8 MiB; VMs "a" and "b" of 2 vCPUs with a vGIC of @version,
 * all on this pCPU (holding a VM waits for the pCPUs that run it).
 */
static void make_vms(unsigned int version)
{
	util_setup(1);
	if (version == 2)
		irq_chip_register(&fake_irqchip_v2);
	util_vm_add("a", 2, NULL, 1);
	util_vm_add("b", 2, NULL, 1);
	util_ckpt_store(store, sizeof(store), 2);
	util_create();
	vm = &vms[0];
	assert_int_equal(vm->vgic.version, version);
}

static int setup_v3(void **state)
{
	(void)state;
	make_vms(3);
	return 0;
}

static int setup_v2(void **state)
{
	(void)state;
	make_vms(2);
	return 0;
}

static void checkpoint(unsigned int slot)
{
	char why[200];

	if (!util_checkpoint(vm, slot, why, sizeof(why)))
		fail_msg("checkpoint: %s", why);
}

static void restore(unsigned int slot, enum ckpt_policy policy)
{
	char why[200];

	if (!ckpt_restore(vm, slot, policy, why, sizeof(why)))
		fail_msg("restore: %s", why);
}

/* A pattern no two registers share: @seed in the top bits, @k below. */
static uint64_t pattern(uint64_t seed, unsigned int k)
{
	return seed << 40 | (uint64_t)k << 8 | 0x5a;
}

/* Every register of @v, from @seed, as a running guest would leave it. */
static void fill_regs(struct vcpu *v, uint64_t seed)
{
	uint64_t *sys = (uint64_t *)&v->st.sys;

	for (unsigned int k = 0; k < 31; k++)
		v->st.regs.x[k] = pattern(seed, k);
	v->st.regs.sp_el0 = pattern(seed, 40);
	v->st.regs.pc = 0x40080000UL + 4 * seed;
	v->st.regs.pstate = PSR_MODE_EL1h | (seed & 1 ? PSR_DAIF : 0);
	for (unsigned int k = 0; k < sizeof(v->st.sys) / 8; k++)
		sys[k] = pattern(seed, 50 + k);
	/* MMU and caches on (SCTLR_EL1.M, C): no clean to the PoC. */
	v->st.sys.sctlr = SCTLR_EL1_RESET | 5;
	v->st.sys.vmpidr = (1UL << 31) | v->id;
	for (unsigned int k = 0; k < 64; k++)
		v->st.fp.v[k] = pattern(seed, 100 + k);
	v->st.fp.fpsr = 0x08000010;
	v->st.fp.fpcr = 0x03c00000 ^ (seed << 22 & 0x00c00000);
}

/* ---- vCPU registers ---- */

static void test_vcpu_registers_round_trip(void **state)
{
	struct vcpu_state want[2];

	(void)state;
	vcpu_power_on(&vm->vcpus[1], 0x40100000, 0);
	for (unsigned int k = 0; k < 2; k++) {
		fill_regs(&vm->vcpus[k], k + 1);
		want[k] = vm->vcpus[k].st;
	}
	checkpoint(0);
	/* The VM runs on: every register changes, vCPU1 turns off. */
	for (unsigned int k = 0; k < 2; k++)
		fill_regs(&vm->vcpus[k], k + 7);
	vcpu_power_off(&vm->vcpus[1]);
	restore(0, CKPT_POLICY_PAUSE);
	for (unsigned int k = 0; k < 2; k++) {
		struct vcpu_state *st = &vm->vcpus[k].st;

		assert_memory_equal(&st->regs, &want[k].regs, sizeof(st->regs));
		assert_memory_equal(&st->sys, &want[k].sys, sizeof(st->sys));
		assert_memory_equal(&st->fp, &want[k].fp, sizeof(st->fp));
		assert_int_equal(st->power, VCPU_POWER_ON);
		assert_int_equal(vm->vcpus[k].run, VCPU_RUN_READY);
	}
	/* The other VM was not touched. */
	assert_int_equal(vms[1].vcpus[0].st.regs.pc, vms[1].entry_ipa);
}

/* What the image holds is the state at capture, not after. */
static void test_image_holds_the_state_at_capture(void **state)
{
	struct ckpt_image img;
	const struct ckpt_vcpu *c;
	const struct ckpt_vm *h;
	char why[200];

	(void)state;
	fill_regs(&vm->vcpus[0], 3);
	vm_pause(vm, true);
	checkpoint(1);
	vm->vcpus[0].st.regs.pc += 64;
	assert_true(ckpt_parse(store + SLOT_SIZE, SLOT_SIZE, 0, &img, why,
			       sizeof(why)));
	c = ckpt_payload(&img, ckpt_find(&img, CKPT_SEC_VCPU, 0));
	h = ckpt_payload(&img, ckpt_find(&img, CKPT_SEC_VM, 0));
	assert_int_equal(c->pc, 0x40080000UL + 4UL * 3);
	assert_int_equal(c->x[30], pattern(3, 30));
	assert_int_equal(c->sys.vbar, vm->vcpus[0].st.sys.vbar);
	assert_int_equal(c->power, CKPT_POWER_ON);
	assert_string_equal(h->name, "a");
	assert_int_equal(h->nr_vcpus, 2);
	assert_int_equal(h->gic_version, 3);
	assert_int_equal(h->paused, 1);
	/* A paused VM comes back paused. */
	vm_pause(vm, false);
	restore(1, CKPT_POLICY_PAUSE);
	assert_int_equal(vm->state, VM_PAUSED);
}

/* ---- Timers and the counter offset ---- */

/*
 * vCPU0's virtual timer due 500 ticks of guest time after the capture,
 * its physical timer masked; their CVALs in the guest's own count.
 */
static uint64_t set_timers(void)
{
	uint64_t vct = fake_counter_peek() - vm->cntvoff;
	struct vcpu *v = &vm->vcpus[0];

	v->st.vtimer.ctl = ENABLE;
	v->st.vtimer.cval = vct + 500;
	v->st.ptimer.ctl = ENABLE | IMASK;
	v->st.ptimer.cval = vct + 100;
	return vct;
}

/*
 * CKPT_POLICY_PAUSE: the guest's count goes on from the capture however
 * long the image was stored -- this VM's offset moves, no other VM's
 * does -- so its timer is still 500 ticks away and not firing.
 */
static void test_paused_clock_moves_only_this_vms_offset(void **state)
{
	uint64_t vct, b_off = vms[1].cntvoff, off;
	struct vcpu *v = &vm->vcpus[0];

	(void)state;
	fake_counter_advance(12345);
	vct = set_timers();
	off = vm->cntvoff;
	checkpoint(0);
	v->st.vtimer.cval = 1;
	v->st.ptimer.ctl = 0;
	vm->cntvoff += 3;
	fake_counter_advance(STORED_FOR);
	restore(0, CKPT_POLICY_PAUSE);
	assert_int_equal(fake_counter_peek() - vm->cntvoff, vct);
	assert_int_equal(vm->cntvoff, off + STORED_FOR);
	assert_int_equal(vms[1].cntvoff, b_off);
	assert_int_equal(v->st.vtimer.ctl, ENABLE);
	assert_int_equal(v->st.vtimer.cval, vct + 500);
	assert_int_equal(v->st.ptimer.ctl, ENABLE | IMASK);
	assert_int_equal(v->st.ptimer.cval, vct + 100);
	assert_false(v->st.vgic.priv[VTIMER_INTID].flags & VGIC_LINE);
	/* vCPU1's timers were off: they stay off. */
	assert_int_equal(vm->vcpus[1].st.vtimer.ctl & ENABLE, 0);
}

/*
 * CKPT_POLICY_CATCHUP within one boot: as if the guest had run while
 * stored -- the offset of the capture, and the timer, due meanwhile, is
 * firing at once.
 */
static void test_caught_up_clock_keeps_the_offset(void **state)
{
	uint64_t vct, off;
	struct vcpu *v = &vm->vcpus[0];

	(void)state;
	vct = set_timers();
	off = vm->cntvoff;
	checkpoint(0);
	vm->cntvoff += 3;
	fake_counter_advance(STORED_FOR);
	restore(0, CKPT_POLICY_CATCHUP);
	assert_int_equal(vm->cntvoff, off);
	assert_int_equal(fake_counter_peek() - vm->cntvoff, vct + STORED_FOR);
	assert_int_equal(v->st.vtimer.cval, vct + 500);
	assert_true(v->st.vgic.priv[VTIMER_INTID].flags & VGIC_LINE);
	/* Masked: its line stays low though it is due too. */
	assert_false(v->st.vgic.priv[PTIMER].flags & VGIC_LINE);
}

/* Two VMs, two images, two offsets: each restore its own. */
static void test_each_vm_restores_its_own_offset(void **state)
{
	struct vm *b = &vms[1];
	uint64_t a_vct, b_vct;
	char why[200];

	(void)state;
	b->cntvoff -= 777777; /* b has run longer */
	a_vct = fake_counter_peek() - vm->cntvoff;
	b_vct = fake_counter_peek() - b->cntvoff;
	checkpoint(0);
	assert_true(util_checkpoint(b, 1, why, sizeof(why)));
	fake_counter_advance(STORED_FOR);
	assert_true(ckpt_restore(b, 1, CKPT_POLICY_PAUSE, why, sizeof(why)));
	restore(0, CKPT_POLICY_PAUSE);
	assert_int_equal(fake_counter_peek() - vm->cntvoff, a_vct);
	assert_int_equal(fake_counter_peek() - b->cntvoff, b_vct);
	assert_int_not_equal(vm->cntvoff, b->cntvoff);
}

/* ---- Virtual interrupts ---- */

#define SPI_PENDING 40U
#define SPI_ACTIVE 41U
#define SPI_EDGE 42U
#define PPI_PENDING 20U
#define SGI_ACTIVE 2U
#define SGI_V2 3U

/* The SPI @intid of the VM. */
static struct vgic_irq *spi(uint32_t intid)
{
	return &vm->vgic.spi[intid - VGIC_NR_PRIVATE];
}

/* Something in every kind of vGIC state, as a guest and devices make. */
static void vgic_state(void)
{
	struct vcpu *v0 = &vm->vcpus[0], *v1 = &vm->vcpus[1];

	vm->vgic.ctlr = 3;
	spi(SPI_PENDING)->flags |= VGIC_ENABLED | VGIC_GROUP1 | VGIC_LATCH;
	spi(SPI_PENDING)->priority = 0x40;
	spi(SPI_ACTIVE)->flags |= VGIC_ENABLED | VGIC_GROUP1 | VGIC_ACTIVE;
	spi(SPI_ACTIVE)->priority = 0xa0;
	spi(SPI_EDGE)->flags |= VGIC_EDGE | VGIC_ENABLED;
	if (vm->vgic.version == 3) {
		spi(SPI_PENDING)->route = 1;
	} else {
		spi(SPI_PENDING)->targets = 2;
		spi(SPI_ACTIVE)->targets = 1;
		v1->st.vgic.priv[SGI_V2].sgi_sources = 0x1;
		v1->st.vgic.priv[SGI_V2].flags |= VGIC_GROUP1;
	}
	v1->st.vgic.priv[PPI_PENDING].flags |= VGIC_ENABLED | VGIC_LATCH;
	v1->st.vgic.priv[PPI_PENDING].priority = 0x10;
	v0->st.vgic.priv[SGI_ACTIVE].flags |= VGIC_ENABLED | VGIC_ACTIVE;
	v0->st.vgic.priv[SGI_ACTIVE].priority = 0x80;
	v0->st.vgic.apr[0] = 1U << (0x80 >> 3);
	v0->st.vgic.vmcr = 0xf0000001UL;
	v1->st.vgic.vmcr = 0xe0000003UL;
	v1->st.vgic.waker = 0;
	vgic_rescan_all(vm);
}

/* What of an interrupt a checkpoint keeps (lines of devices excepted:
 * they are derived from the timers and the UART at restore). */
static void irq_kept(const struct vgic_irq *i, uint32_t intid,
		     struct vgic_irq *out)
{
	bool derived = intid == VTIMER_INTID || intid == PTIMER ||
		       intid == VIRT_UART_INTID;

	memset(out, 0, sizeof(*out));
	out->flags = (uint16_t)(i->flags & CKPT_IRQ_KNOWN &
				(derived ? ~VGIC_LINE : 0xffffU));
	out->priority = i->priority;
	out->targets = i->targets;
	out->sgi_sources = i->sgi_sources;
	out->route = i->route;
	out->hw_intid = i->flags & VGIC_HW ? i->hw_intid : 0;
}

/* The kept state of every interrupt of the VM and its vCPUs. */
struct vgic_kept {
	uint32_t ctlr;
	struct vgic_irq spi[VGIC_NR_SPIS];
	struct vgic_irq priv[2][VGIC_NR_PRIVATE];
	uint64_t vmcr[2], apr[2][4], apr0[2][4];
	uint32_t waker[2];
};

static void vgic_kept(struct vgic_kept *k)
{
	memset(k, 0, sizeof(*k));
	k->ctlr = vm->vgic.ctlr;
	for (uint32_t i = 0; i < VGIC_NR_SPIS; i++)
		irq_kept(&vm->vgic.spi[i], i + VGIC_NR_PRIVATE, &k->spi[i]);
	for (unsigned int c = 0; c < 2; c++) {
		const struct vgic_cpu *g = &vm->vcpus[c].st.vgic;

		for (uint32_t i = 0; i < VGIC_NR_PRIVATE; i++)
			irq_kept(&g->priv[i], i, &k->priv[c][i]);
		k->vmcr[c] = g->vmcr;
		memcpy(k->apr[c], g->apr, sizeof(g->apr));
		memcpy(k->apr0[c], g->apr0, sizeof(g->apr0));
		k->waker[c] = g->waker;
	}
}

static void vgic_round_trip(void)
{
	struct vgic_kept want, got;

	vgic_state();
	vgic_kept(&want);
	checkpoint(0);
	/*
	 * The guest goes on: all acknowledged, EOIed, reconfigured (the
	 * timer's mapping to the board's PPI stays, as vm_boot() makes it).
	 */
	vgic_vm_init(vm, vm->vgic.version);
	for (unsigned int k = 0; k < 2; k++) {
		vgic_vcpu_reset(&vm->vcpus[k]);
		vgic_map_hw(&vm->vcpus[k], VTIMER_INTID, FAKE_VTIMER_PPI);
		vm->vcpus[k].st.vgic.vmcr = 0;
	}
	restore(0, CKPT_POLICY_PAUSE);
	vgic_kept(&got);
	assert_memory_equal(&got, &want, sizeof(got));
	/* And it is deliverable as before. */
	assert_true(vgic_has_pending(&vm->vcpus[1]));
}

static void test_vgic_v3_round_trip(void **state)
{
	(void)state;
	vgic_round_trip();
	assert_true(spi(SPI_PENDING)->flags & VGIC_LATCH);
	assert_int_equal(spi(SPI_PENDING)->route, 1);
}

static void test_vgic_v2_round_trip(void **state)
{
	(void)state;
	vgic_round_trip();
	assert_int_equal(vm->vcpus[1].st.vgic.priv[SGI_V2].sgi_sources, 0x1);
	assert_int_equal(spi(SPI_PENDING)->targets, 2);
}

/* ---- Refusals: nothing of the VM changes ---- */

/* Everything of the VM a restore writes, and its RAM. */
struct vm_snapshot {
	struct vcpu_state st[2];
	enum vcpu_run run[2];
	struct vgic_irq spi[VGIC_NR_SPIS];
	uint32_t ctlr;
	uint64_t cntvoff;
	struct vuart uart;
	enum vm_state state;
	uint8_t *ram;
};

static void snap(struct vm_snapshot *s)
{
	/* Byte copies: compared byte for byte, padding included. */
	for (unsigned int k = 0; k < 2; k++) {
		memcpy(&s->st[k], &vm->vcpus[k].st, sizeof(s->st[k]));
		s->run[k] = vm->vcpus[k].run;
	}
	memcpy(s->spi, vm->vgic.spi, sizeof(s->spi));
	s->ctlr = vm->vgic.ctlr;
	s->cntvoff = vm->cntvoff;
	memcpy(&s->uart, &vm->uart, sizeof(s->uart));
	s->state = vm->state;
	s->ram = malloc(UTIL_RAM);
	assert_non_null(s->ram);
	memcpy(s->ram, pa_to_ptr(vm->cfg->mem_host), UTIL_RAM);
}

/* @n bytes at @a and @b are the same (snap() copied them as bytes). */
static bool same(const void *a, const void *b, size_t n)
{
	return memcmp(a, b, n) == 0;
}

static void assert_unchanged(struct vm_snapshot *s, const char *what)
{
	struct vm_snapshot now;

	snap(&now);
	for (unsigned int k = 0; k < 2; k++)
		if (!same(&now.st[k], &s->st[k], sizeof(s->st[k])) ||
		    now.run[k] != s->run[k])
			fail_msg("%s: vCPU%u changed", what, k);
	if (!same(now.spi, s->spi, sizeof(s->spi)) || now.ctlr != s->ctlr)
		fail_msg("%s: the distributor changed", what);
	if (now.cntvoff != s->cntvoff)
		fail_msg("%s: the counter offset changed", what);
	if (!same(&now.uart, &s->uart, sizeof(s->uart)))
		fail_msg("%s: the UART changed", what);
	if (now.state != s->state)
		fail_msg("%s: the VM's state changed", what);
	if (!same(now.ram, s->ram, UTIL_RAM))
		fail_msg("%s: RAM changed", what);
	free(now.ram);
}

/*
 * An image in slot 0, then the VM ran on (registers, an interrupt,
 * RAM): the state a refused restore must leave.
 */
static void image_then_more(struct vm_snapshot *s)
{
	uint8_t *ram = pa_to_ptr(vm->cfg->mem_host);

	fill_regs(&vm->vcpus[0], 5);
	vgic_state();
	memset(ram + 0x100000, 0xab, 4096);
	checkpoint(0);
	fill_regs(&vm->vcpus[0], 6);
	spi(SPI_EDGE)->flags |= VGIC_LATCH;
	memset(ram + 0x100000, 0xcd, 4096);
	fake_counter_advance(STORED_FOR);
	snap(s);
}

/* A restore from slot 0 is refused with "slot 0: " and @reason. */
static void refused(struct vm_snapshot *s, const char *reason)
{
	char why[300];

	assert_false(ckpt_restore(vm, 0, CKPT_POLICY_PAUSE, why, sizeof(why)));
	if (strncmp(why, "slot 0: ", 8) != 0 || !strstr(why, reason))
		fail_msg("refusal \"%s\" lacks \"slot 0: ...%s\"", why, reason);
	assert_unchanged(s, reason);
	free(s->ram);
}

static struct ckpt_header *header(void)
{
	return (struct ckpt_header *)store;
}

static void header_crc(void)
{
	struct ckpt_header *h = header();

	h->crc = ckpt_crc32c(0, h, offsetof(struct ckpt_header, crc));
}

static void test_refuses_a_bad_crc(void **state)
{
	struct vm_snapshot s;
	struct ckpt_image img;
	char why[200];

	(void)state;
	image_then_more(&s);
	assert_true(ckpt_parse(store, SLOT_SIZE, 0, &img, why, sizeof(why)));
	store[ckpt_find(&img, CKPT_SEC_VGIC, 0)->offset + 100] ^= 0x10;
	refused(&s, "checksum of section");
}

static void test_refuses_a_truncated_image(void **state)
{
	struct vm_snapshot s;

	(void)state;
	image_then_more(&s);
	/* Longer than the slot: its end was never written. */
	header()->total_size = SLOT_SIZE + 4096;
	header_crc();
	refused(&s, "truncated");
}

static void test_refuses_an_image_without_its_end(void **state)
{
	struct vm_snapshot s;

	(void)state;
	image_then_more(&s);
	/* The trailer (its last 24 bytes) lost. */
	memset(store + header()->total_size - sizeof(struct ckpt_trailer), 0,
	       sizeof(struct ckpt_trailer));
	refused(&s, "trailer missing or damaged");
}

static void test_refuses_another_format_version(void **state)
{
	struct vm_snapshot s;

	(void)state;
	image_then_more(&s);
	header()->version = CKPT_VERSION + 1;
	header_crc();
	refused(&s, "is not supported");
}

static void test_refuses_another_gic_version(void **state)
{
	const struct ckpt_edit vm_v2 = {
		"gic 2", CKPT_SEC_VM,
		0,       offsetof(struct ckpt_vm, gic_version),
		4,       2,
		NULL,    false
	};
	const struct ckpt_edit vgic_v2 = {
		"vgic 2", CKPT_SEC_VGIC,
		0,        offsetof(struct ckpt_vgic, version),
		4,        2,
		NULL,     false
	};
	struct vm_snapshot s;

	(void)state;
	image_then_more(&s);
	/* A consistent GICv2 image, for this GICv3 VM. */
	assert_true(ckpt_corpus_apply(store, SLOT_SIZE, &vm_v2));
	assert_true(ckpt_corpus_apply(store, SLOT_SIZE, &vgic_v2));
	refused(&s, "GIC version mismatch: the image has a GICv2, a has a "
		    "GICv3");
}

/* ---- The vGIC back end: the GIC's CPU interface or an emulated one ---- */

#define BACKEND_GIC "the GIC's virtual CPU interface"
#define BACKEND_SW "emulated in software (no GIC)"

/* The vGIC back end slot 0's image records. */
static uint32_t image_backend(void)
{
	const struct ckpt_vgic *g;
	struct ckpt_image img;
	char why[200];

	if (!ckpt_parse(store, SLOT_SIZE, 0, &img, why, sizeof(why)))
		fail_msg("slot 0: %s", why);
	g = ckpt_payload(&img, ckpt_find(&img, CKPT_SEC_VGIC, 0));
	return g->backend;
}

static void test_image_records_the_vgic_backend(void **state)
{
	(void)state;
	checkpoint(0);
	assert_int_equal(image_backend(), CKPT_VGIC_BACKEND_GIC);
	fake_vgic_set_cpuif_emulated(true);
	checkpoint(0);
	assert_int_equal(image_backend(), CKPT_VGIC_BACKEND_SW);
	/* And it goes back on a board of the same kind. */
	restore(0, CKPT_POLICY_PAUSE);
}

static void test_refuses_an_emulated_cpuif_image_on_a_gic(void **state)
{
	struct vm_snapshot s;

	(void)state;
	fake_vgic_set_cpuif_emulated(true);
	image_then_more(&s);
	fake_vgic_set_cpuif_emulated(false);
	refused(&s, "vGIC back end mismatch: the image's guest CPU interface "
		    "was " BACKEND_SW ", this board's is " BACKEND_GIC);
}

static void test_refuses_a_gic_image_without_a_gic(void **state)
{
	struct vm_snapshot s;

	(void)state;
	image_then_more(&s);
	fake_vgic_set_cpuif_emulated(true);
	refused(&s, "vGIC back end mismatch: the image's guest CPU interface "
		    "was " BACKEND_GIC ", this board's is " BACKEND_SW);
}

/* ---- Passthrough: a mismatch names the first difference ---- */

/* VM a's configuration given QEMU virt's PL031 and its interrupt (or
 * not), as config_parse() makes it. */
static void give_rtc(bool device, bool irq)
{
	static const char compat[] = "arm,pl031\0arm,primecell";
	struct vm_config *c = &util_sys.vms[0];

	c->nr_devices = 0;
	c->nr_irqs = 0;
	if (device) {
		c->devices[0].reg.base = pa_init(0x9010000);
		c->devices[0].reg.size = 0x1000;
		memcpy(c->devices[0].dt.compat, compat, sizeof(compat));
		c->devices[0].dt.compat_len = sizeof(compat);
		c->nr_devices = 1;
	}
	if (irq) {
		c->irqs[0] = 34;
		c->nr_irqs = 1;
	}
}

/* The payload of slot 0's passthrough section (an image Kairos wrote). */
static uint8_t *passthrough_payload(void)
{
	struct ckpt_image img;
	const struct ckpt_sec_ref *r;
	char why[200];

	assert_true(ckpt_parse(store, SLOT_SIZE, 0, &img, why, sizeof(why)));
	r = ckpt_find(&img, CKPT_SEC_PASSTHROUGH, 0);
	assert_non_null(r);
	return store + r->offset;
}

static void test_passthrough_mismatch_names_both_lists(void **state)
{
	struct ckpt_passthrough pt;
	struct vm_snapshot s;

	(void)state;
	image_then_more(&s);
	/* Kairos lists what the VM had: nothing. */
	memcpy(&pt, passthrough_payload(), sizeof(pt));
	assert_int_equal(pt.nr_devices, 0);
	assert_int_equal(pt.nr_irqs, 0);
	give_rtc(true, true);
	refused(&s, "configuration mismatch: property passthrough: device 0: "
		    "the image has none, a has 0x9010000+0x1000 (arm,pl031)");
	snap(&s);
	give_rtc(false, true);
	refused(&s, "configuration mismatch: property passthrough: interrupt "
		    "0: the image has none, a has INTID 34");
	/* The configuration the image is of: it restores. */
	give_rtc(false, false);
	restore(0, CKPT_POLICY_PAUSE);
}

static void test_image_with_a_device_names_it(void **state)
{
	struct ckpt_passthrough pt = { .nr_devices = 1 };
	struct vm_snapshot s;

	(void)state;
	image_then_more(&s);
	pt.dev[0].base = 0x9030000;
	pt.dev[0].size = 0x1000;
	snprintf(pt.dev[0].compat, sizeof(pt.dev[0].compat), "arm,pl061");
	memcpy(passthrough_payload(), &pt, sizeof(pt));
	assert_true(ckpt_corpus_fix_crcs(store, SLOT_SIZE));
	refused(&s, "configuration mismatch: property passthrough: device 0: "
		    "the image has 0x9030000+0x1000 (arm,pl061), a has none");
}

/* An image written before the passthrough section: the fingerprint. */
static void test_image_without_passthrough_section(void **state)
{
	struct vm_snapshot s;
	uint8_t *payload;
	uint32_t type = 99;

	(void)state;
	image_then_more(&s);
	payload = passthrough_payload();
	/* Its type made one this Kairos does not know: skipped. */
	memcpy(payload - sizeof(struct ckpt_section), &type, sizeof(type));
	assert_true(ckpt_corpus_fix_crcs(store, SLOT_SIZE));
	give_rtc(false, true);
	refused(&s, "configuration mismatch: property devices or interrupts: "
		    "the image's passthrough devices or interrupts differ "
		    "from those of a");
	give_rtc(false, false);
	restore(0, CKPT_POLICY_PAUSE);
}

/* After a refusal, a good image still restores. */
static void test_good_image_after_a_refusal(void **state)
{
	struct vm_snapshot s;
	uint64_t pc;

	(void)state;
	image_then_more(&s);
	free(s.ram);
	pc = vm->vcpus[0].st.regs.pc;
	checkpoint(1);
	header()->version = 0;
	header_crc();
	vm->vcpus[0].st.regs.pc = 0;
	restore(1, CKPT_POLICY_PAUSE);
	assert_int_equal(vm->vcpus[0].st.regs.pc, pc);
}

/* ---- The CRC after the release (sealing) ---- */

#define SEALED_DATA (2UL << 20) /* RAM the guest filled: several steps */

/* The guest's RAM from 1 MiB on: SEALED_DATA bytes of @v. */
static void fill_ram(uint8_t v)
{
	memset((uint8_t *)pa_to_ptr(vm->cfg->mem_host) + (1UL << 20), v,
	       SEALED_DATA);
}

/* RAM from 1 MiB on holds @v throughout. */
static void assert_ram(uint8_t v)
{
	const uint8_t *ram = (uint8_t *)pa_to_ptr(vm->cfg->mem_host);

	for (uint64_t k = 0; k < SEALED_DATA; k++)
		if (ram[(1UL << 20) + k] != v)
			fail_msg("RAM byte 0x%llx is 0x%02x, not 0x%02x",
				 (unsigned long long)((1UL << 20) + k),
				 ram[(1UL << 20) + k], v);
}

static struct ckpt_slot_info slot_info(unsigned int slot)
{
	struct ckpt_slot_info i;

	assert_true(ckpt_slot_info(slot, &i));
	return i;
}

/*
 * Until its CRC is done, a slot holds nothing a reader takes: no header,
 * "sealing" in its listing; a restore from it first finishes the CRC, and
 * restores the state of the capture.
 */
static void test_slot_not_restorable_before_its_crc(void **state)
{
	struct ckpt_slot_info i;
	struct ckpt_image img;
	char why[200];

	(void)state;
	fake_counter_set_step(100); /* the CRC takes time */
	fill_regs(&vm->vcpus[0], 7);
	fill_ram(0x5a);
	assert_true(ckpt_checkpoint(vm, 1, why, sizeof(why)));
	i = slot_info(1);
	assert_true(i.sealing);
	assert_false(i.used);
	assert_false(i.verified);
	assert_string_equal(i.vm, "a");
	assert_true(i.size > SEALED_DATA && i.hold_ticks > 0);
	/* What a tool reading the store finds: no image. */
	assert_false(ckpt_parse(store + SLOT_SIZE, SLOT_SIZE, 0, &img, why,
				sizeof(why)));
	assert_non_null(strstr(why, "bad magic"));
	fill_regs(&vm->vcpus[0], 8);
	fill_ram(0xa5);
	/* Slot 0 last: the restore of slot 1 copies all (not incremental). */
	assert_true(ckpt_checkpoint(vm, 0, why, sizeof(why)));
	restore(1, CKPT_POLICY_PAUSE);
	fake_counter_set_step(0);
	i = slot_info(1);
	assert_false(i.sealing);
	assert_true(i.used && i.verified);
	assert_true(i.crc_ticks > 0);
	assert_int_equal(vm->vcpus[0].st.regs.pc, 0x40080000UL + 4UL * 7);
	assert_ram(0x5a);
	/* Sealed, the image is whole: every CRC checks. */
	assert_true(ckpt_parse(store + SLOT_SIZE, SLOT_SIZE, 0, &img, why,
			       sizeof(why)));
}

/* The RAM data of the image in slot @slot. */
static uint8_t *image_data(unsigned int slot)
{
	struct ckpt_image img;
	struct ckpt_mem_view m;
	char why[200];

	assert_true(ckpt_parse(store + slot * SLOT_SIZE, SLOT_SIZE, 0, &img,
			       why, sizeof(why)));
	ckpt_mem_view(&img, &m);
	return (uint8_t *)(uintptr_t)m.data;
}

/*
 * The CRC computed after the release still covers every byte of the
 * copy: one byte of the RAM data changed in the sealed slot is found by
 * a full check, and a board that keeps the store and boots again finds
 * the slot damaged, refusing to restore from it.
 */
static void test_corrupted_slot_still_detected(void **state)
{
	struct ckpt_image img;
	char why[200];

	(void)state;
	fill_ram(0x3c);
	checkpoint(0); /* sealed */
	image_data(0)[SEALED_DATA / 2] ^= 0x01;
	assert_false(ckpt_parse(store, SLOT_SIZE, 0, &img, why, sizeof(why)));
	if (!strstr(why, "memory"))
		fail_msg("refusal \"%s\" does not name the memory section",
			 why);
	ckpt_init(&util_sys); /* the store kept, read again */
	assert_false(slot_info(0).used);
	assert_false(ckpt_restore(vm, 0, CKPT_POLICY_PAUSE, why, sizeof(why)));
	assert_non_null(strstr(why, "slot 0: "));
}

/* The memory section of the image in slot @slot. */
static struct ckpt_sec_ref mem_section(unsigned int slot)
{
	struct ckpt_image img;
	char why[200];

	assert_true(ckpt_parse(store + slot * SLOT_SIZE, SLOT_SIZE, 0, &img,
			       why, sizeof(why)));
	return *ckpt_find(&img, CKPT_SEC_MEM, 0);
}

/*
 * checkpoint-crc = "fused": the CRC is folded in the copy while the VM
 * is held, so the slot is whole when the checkpoint returns (no sealing,
 * no CRC time after the release), and its memory section is the same,
 * CRC included, as the one the after-release CRC seals. A byte changed
 * in it is found.
 */
static void test_fused_crc_whole_at_return(void **state)
{
	struct ckpt_sec_ref a, b;
	struct ckpt_slot_info i;
	struct ckpt_image img;
	char why[200];

	(void)state;
	fill_ram(0x6b);
	checkpoint(0); /* after the release, sealed */
	util_sys.vms[0].ckpt_crc_fused = true;
	fake_counter_set_step(100);
	assert_true(ckpt_checkpoint(vm, 1, why, sizeof(why)));
	fake_counter_set_step(0);
	i = slot_info(1);
	assert_false(i.sealing);
	assert_true(i.used && i.verified);
	assert_int_equal(i.crc_ticks, 0);
	assert_true(i.hold_ticks > 0);
	assert_false(ckpt_seal_step(1)); /* nothing left to fold */
	a = mem_section(0);
	b = mem_section(1);
	assert_int_equal(a.length, b.length);
	assert_int_equal(a.crc, b.crc);
	assert_memory_equal(store + a.offset, store + SLOT_SIZE + b.offset,
			    a.length);
	image_data(1)[SEALED_DATA / 3] ^= 0x10;
	assert_false(ckpt_parse(store + SLOT_SIZE, SLOT_SIZE, 0, &img, why,
				sizeof(why)));
	assert_non_null(strstr(why, "memory"));
}

/*
 * The seal task (pCPU 0's, as its loop runs it) folds a step and leaves
 * the pCPU to the vCPUs until a deadline after it: the VM is not held
 * meanwhile, and what its guest writes then is not in the image, which
 * is the state at the capture and whole.
 */
static void test_vm_runs_during_the_crc(void **state)
{
	unsigned int steps = 0;
	uint64_t before;
	char why[200];

	(void)state;
	fake_counter_set_step(100); /* a step takes time */
	fill_ram(0x11);
	fill_regs(&vm->vcpus[0], 9);
	assert_true(ckpt_checkpoint(vm, 0, why, sizeof(why)));
	while (slot_info(0).sealing) {
		/* Released: the guest runs and writes its RAM. */
		assert_false(vm->hold);
		for (unsigned int k = 0; k < vm->nr_vcpus; k++)
			assert_false(vm->vcpus[k].parked);
		assert_int_equal(vm->vcpus[0].run, VCPU_RUN_READY);
		fill_ram((uint8_t)(0x20 + steps));
		vm->vcpus[0].st.regs.pc += 4;
		before = slot_info(0).crc_ticks;
		task_run_pending(0);
		assert_true(++steps <= SEALED_DATA / (64UL << 10));
		if (!slot_info(0).sealing)
			break;
		assert_true(slot_info(0).crc_ticks > before);
		/* Not again at once: a deadline later, the vCPUs first. */
		assert_true(timerq_next_deadline(&cpus[0].timerq) >
			    fake_counter_peek());
		task_run_pending(0);
		assert_true(slot_info(0).sealing);
		fake_counter_set(timerq_next_deadline(&cpus[0].timerq));
		timerq_expire(&cpus[0].timerq);
	}
	fake_counter_set_step(0);
	assert_true(steps > 2);
	image_data(0); /* whole */
	/* Slot 1 last: the restore of slot 0 copies all (not incremental). */
	checkpoint(1);
	restore(0, CKPT_POLICY_PAUSE);
	assert_ram(0x11);
	assert_int_equal(vm->vcpus[0].st.regs.pc, 0x40080000UL + 4UL * 9);
}

/*
 * A checkpoint into a slot whose CRC is still being computed replaces
 * that image; one into another slot meanwhile leaves it alone: both end
 * whole, each with its own capture.
 */
static void test_checkpoint_again_while_sealing(void **state)
{
	char why[200];

	(void)state;
	fill_ram(0x61);
	assert_true(ckpt_checkpoint(vm, 0, why, sizeof(why)));
	assert_true(ckpt_seal_step(64UL << 10)); /* part of it */
	fill_ram(0x62);
	fill_regs(&vm->vcpus[0], 10);
	assert_true(ckpt_checkpoint(vm, 0, why, sizeof(why)));
	fill_ram(0x63);
	fill_regs(&vm->vcpus[0], 11);
	assert_true(ckpt_checkpoint(vm, 1, why, sizeof(why)));
	assert_true(slot_info(0).sealing && slot_info(1).sealing);
	fill_ram(0x64);
	ckpt_seal_all();
	assert_false(ckpt_seal_step(1));
	image_data(0);
	image_data(1);
	restore(0, CKPT_POLICY_PAUSE);
	assert_ram(0x62);
	assert_int_equal(vm->vcpus[0].st.regs.pc, 0x40080000UL + 4UL * 10);
	restore(1, CKPT_POLICY_PAUSE);
	assert_ram(0x63);
	assert_int_equal(vm->vcpus[0].st.regs.pc, 0x40080000UL + 4UL * 11);
}

/* ---- Shared-memory regions (docs/shmem.md) ---- */

#define SHM_SIZE 0x2000UL

static uint8_t shm[SHM_SIZE] __attribute__((aligned(4096)));

/* Region 0 as @vm sees it: a its writer at index 0, b at 1, @b_ro. */
static void shm_join(struct vm_config *c, unsigned int idx, bool b_ro,
		     int owner)
{
	c->shmem[c->nr_shmem++] = (struct vm_shmem){
		.region = 0,
		.index = idx,
		.ipa = ipa_init(0x80000000),
		.host = pa_init((uintptr_t)shm),
		.size = SHM_SIZE,
		.ro = idx == 1 && b_ro,
		.peer_vm = { 0, 1, -1, -1 },
		.peer_ro = { false, b_ro, false, false },
		.owner = owner,
	};
}

/* VMs a and b share region 0; b reads it (@b_ro) or writes it too. */
static void make_shm_vms(bool b_ro, int owner)
{
	util_setup(1);
	shm_join(util_vm_add("a", 2, NULL, 1), 0, b_ro, owner);
	shm_join(util_vm_add("b", 2, NULL, 1), 1, b_ro, owner);
	util_sys.nr_shmem = 1;
	util_sys.shmem[0] = (struct shmem_config){
		.path = "/hypervisor/shmem@0",
		.host = pa_init((uintptr_t)shm),
		.size = SHM_SIZE,
		.ckpt_with = b_ro ? -1 : owner,
	};
	util_ckpt_store(store, sizeof(store), 2);
	util_create();
	vm = &vms[0];
}

static int setup_shm_reader(void **state)
{
	(void)state;
	make_shm_vms(true, 0);
	return 0;
}

static int setup_shm_with(void **state)
{
	(void)state;
	make_shm_vms(false, 0);
	return 0;
}

/*
 * The only writer's checkpoint holds the region, and its restore puts
 * the region back as it was: what every participant then reads.
 */
static void test_region_captured_with_its_only_writer(void **state)
{
	const struct ckpt_sec_ref *r;
	struct ckpt_image img;
	char why[200];

	(void)state;
	memset(shm, 0x11, SHM_SIZE);
	shm[SHM_SIZE - 1] = 0x22;
	checkpoint(0);
	assert_true(ckpt_parse(store, SLOT_SIZE, 0, &img, why, sizeof(why)));
	r = ckpt_find(&img, CKPT_SEC_SHMEM, 0);
	assert_non_null(r);
	assert_int_equal(r->length, sizeof(struct ckpt_shmem) + SHM_SIZE);
	memset(shm, 0x99, SHM_SIZE);
	restore(0, CKPT_POLICY_PAUSE);
	for (unsigned int k = 0; k < SHM_SIZE - 1; k++)
		assert_int_equal(shm[k], 0x11);
	assert_int_equal(shm[SHM_SIZE - 1], 0x22);
}

/*
 * The owner's own state of the region, its PCI function's Command and
 * its unacknowledged ring, comes back with it, and the INTx line follows.
 */
static void test_region_function_state_round_trip(void **state)
{
	const struct shmem_fn_state set = { .pci_command = 0x0006,
					    .unacked = true };
	const struct shmem_fn_state off = { .pci_command = 0x0400,
					    .unacked = false };
	struct shmem_fn_state got;
	struct vgic_irq *intx =
		&vm->vgic.spi[VIRT_PCI_INTX_INTID - VGIC_NR_PRIVATE];

	(void)state;
	shmem_fn_set(vm, 0, &set);
	assert_true(intx->flags & VGIC_LINE);
	checkpoint(0);
	shmem_fn_set(vm, 0, &off);
	assert_false(intx->flags & VGIC_LINE);
	restore(0, CKPT_POLICY_PAUSE);
	shmem_fn_get(vm, 0, &got);
	assert_int_equal(got.pci_command, set.pci_command);
	assert_true(got.unacked);
	assert_true(intx->flags & VGIC_LINE);
}

/* With checkpoint-with naming a among two writers, a's holds it too. */
static void test_region_captured_with_checkpoint_with(void **state)
{
	char why[200];

	(void)state;
	memset(shm, 0x33, SHM_SIZE);
	checkpoint(0);
	memset(shm, 0x44, SHM_SIZE);
	/* b writes it too, but its checkpoint does not hold it. */
	assert_false(util_checkpoint(&vms[1], 1, why, sizeof(why)));
	assert_non_null(strstr(why, "which only a checkpoint of VM a holds"));
	restore(0, CKPT_POLICY_PAUSE);
	assert_int_equal(shm[0], 0x33);
	assert_int_equal(shm[SHM_SIZE - 1], 0x33);
	/* Both VMs run again after the holds (b's, while a copied). */
	assert_false(vms[0].hold);
	assert_false(vms[1].hold);
}

/* A restore whose image does not hold exactly the VM's regions. */
static void shm_refused(const char *reason)
{
	char why[300];

	memset(shm, 0x77, SHM_SIZE);
	assert_false(ckpt_restore(vm, 0, CKPT_POLICY_PAUSE, why, sizeof(why)));
	if (!strstr(why, reason))
		fail_msg("refusal \"%s\" lacks \"%s\"", why, reason);
	/* Nothing of the region changed. */
	for (unsigned int k = 0; k < SHM_SIZE; k++)
		assert_int_equal(shm[k], 0x77);
}

static void test_region_mismatch_refused(void **state)
{
	struct vm_config *c = &util_sys.vms[0];

	(void)state;
	memset(shm, 0x55, SHM_SIZE);
	checkpoint(0);
	c->shmem[0].size = SHM_SIZE / 2;
	shm_refused("shared-memory region 0: the image has 8 KiB, a has 4 KiB");
	c->shmem[0].size = SHM_SIZE;
	c->shmem[0].region = 1;
	shm_refused("shared-memory region 1: the image does not hold it");
	c->nr_shmem = 0;
	shm_refused(
		"shared-memory region 0: the image holds it, a does not take part in it");
}

#define SHM_READER(fn) \
	cmocka_unit_test_setup_teardown(fn, setup_shm_reader, util_teardown)
#define SHM_WITH(fn) \
	cmocka_unit_test_setup_teardown(fn, setup_shm_with, util_teardown)
#define V3(fn) cmocka_unit_test_setup_teardown(fn, setup_v3, util_teardown)
#define V2(fn) cmocka_unit_test_setup_teardown(fn, setup_v2, util_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		V3(test_vcpu_registers_round_trip),
		V3(test_image_holds_the_state_at_capture),
		V3(test_paused_clock_moves_only_this_vms_offset),
		V3(test_caught_up_clock_keeps_the_offset),
		V3(test_each_vm_restores_its_own_offset),
		V3(test_vgic_v3_round_trip),
		V2(test_vgic_v2_round_trip),
		V3(test_refuses_a_bad_crc),
		V3(test_refuses_a_truncated_image),
		V3(test_refuses_an_image_without_its_end),
		V3(test_refuses_another_format_version),
		V3(test_refuses_another_gic_version),
		V2(test_image_records_the_vgic_backend),
		V2(test_refuses_an_emulated_cpuif_image_on_a_gic),
		V2(test_refuses_a_gic_image_without_a_gic),
		V3(test_good_image_after_a_refusal),
		V3(test_slot_not_restorable_before_its_crc),
		V3(test_corrupted_slot_still_detected),
		V3(test_fused_crc_whole_at_return),
		V3(test_vm_runs_during_the_crc),
		V3(test_checkpoint_again_while_sealing),
		V3(test_passthrough_mismatch_names_both_lists),
		V3(test_image_with_a_device_names_it),
		V3(test_image_without_passthrough_section),
		SHM_READER(test_region_captured_with_its_only_writer),
		SHM_READER(test_region_function_state_round_trip),
		SHM_WITH(test_region_captured_with_checkpoint_with),
		SHM_READER(test_region_mismatch_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
