// SPDX-License-Identifier: MIT
/*
 * core/vpmu.c, the overflow interrupt of each vCPU's PMU, through the
 * run loop that ships (core/run.c) and the fake: the fake PMU's output is
 * the physical PPI FAKE_PMU_PPI at the fake GIC, high while the loaded
 * claimed vCPU's PMCR.E, PMINTENSET and PMOVSSET say so.
 *
 * What must hold: an overflow while the guest runs is taken at EL2 and
 * reaches that guest as PPI 23, once, its physical interrupt held active
 * (acknowledged once, never again) until the guest's EOI of the
 * hardware-mapped virtual one; the line drops with the guest's clear of
 * the overflow flag; another VM on the pCPU never gets it, not even from
 * a physical interrupt left pending at the switch; a vCPU alone on its
 * pCPU waits in WFI in hardware though its PMU is claimed, unless no
 * physical PMU interrupt is taken; and a checkpoint taken with the
 * overflow pending gives it back, once, after the restore.
 */
#include <arch/cpu.h>
#include <kairos/ckpt.h>
#include <kairos/cpu.h>
#include <kairos/irq.h>
#include <kairos/profile_virt.h>
#include <kairos/run.h>
#include <kairos/sched.h>
#include <kairos/vgic.h>
#include <kairos/vm.h>
#include <kairos/vmmio.h>
#include <kairos/vpmu.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

/* cmocka.h needs <setjmp.h>, <stdarg.h> and <stddef.h> first. */
#include <cmocka.h>

#include "fake.h"
#include "util.h"

#define PMU VCPU_PMU_INTID
#define CCNT (1UL << 31) /* the cycle counter's bit */
#define PMCR_E 1UL
#define RUN_TICKS 1000U
#define MAX_RUNS 32
#define STORE_SIZE (8U << 20)

static uint8_t store[STORE_SIZE] __attribute__((aligned(4096)));

/* What each vCPU's guest took, and how it behaves. */
static struct {
	unsigned int taken[2];  /* PMU interrupts acknowledged, per VM */
	unsigned int others[2]; /* anything else */
	bool masked;            /* PSTATE.I: the guest acknowledges nothing */
} g;

/* Interrupts of the GIC: the IRQ vector (arch/aarch64/exception.c). */
static void gic_irq(void *arg)
{
	(void)arg;
	irq_handle();
}

/* The guest's GIC on, PPI 23 enabled (GICv3: its redistributor). */
static void guest_gic_on(struct vcpu *v)
{
	uint64_t enabler =
		v->vm->vgic.version == 3 ?
			VIRT_GICR + v->id * VIRT_GICR_STRIDE + 0x10000 + 0x100 :
			VIRT_GICD + 0x100;

	util_wr(v, VIRT_GICD, 4, 3);
	util_wr(v, enabler, 4, 1U << PMU);
}

/* @nr VMs of one vCPU on pCPU 0, vGIC @version, each PMU claimed. */
static void make_vms(unsigned int version, unsigned int nr, uint32_t phys)
{
	static const char *const names[] = { "a", "b" };

	util_setup(1);
	if (version == 2)
		irq_chip_register(&fake_irqchip_v2);
	util_ckpt_store(store, sizeof(store), 2);
	for (unsigned int i = 0; i < nr; i++)
		util_vm_add(names[i], 1, NULL, 1);
	util_create();
	vpmu_init(phys);
	fake_set_gic_irq(gic_irq, NULL);
	for (unsigned int i = 0; i < nr; i++) {
		guest_gic_on(&vms[i].vcpus[0]);
		vms[i].vcpus[0].st.pmu_dbg_live = 1;
	}
	memset(&g, 0, sizeof(g));
}

static struct vcpu *vc(unsigned int vm)
{
	return &vms[vm].vcpus[0];
}

/* The guest: takes what is listed unless masked; its PMU handler clears
 * the overflow flag before the EOI, as Linux's does. */
static void guest(struct vcpu *v, void *arg)
{
	unsigned int k = v->vm->id;
	uint32_t id;

	(void)arg;
	while (!g.masked && (id = fake_vgic_guest_ack()) != IRQ_SPURIOUS) {
		if (id == PMU) {
			g.taken[k]++;
			fake_pmu_set(PMCR_E, CCNT, fake_pmu_ovsset() & ~CCNT);
		} else {
			g.others[k]++;
		}
		fake_vgic_guest_eoi(id);
	}
}

/* While it runs its cycle counter overflows, its interrupt enabled. */
static void overflow(struct vcpu *v, void *arg)
{
	(void)arg;
	(void)v;
	fake_pmu_set(PMCR_E, CCNT, CCNT);
}

static void unmask(struct vcpu *v, void *arg)
{
	(void)v;
	(void)arg;
	g.masked = false;
	guest(v, arg);
}

static void run_script(void)
{
	arch_cpu_set_current(&cpus[0]);
	fake_vcpu_run_script(run_loop);
}

/* The listed PMU interrupt is the hardware-mapped one. */
static void assert_listed_hw(struct vcpu *v, void *arg)
{
	int k = fake_vgic_find(PMU);

	(void)v;
	(void)arg;
	assert_true(k >= 0);
	assert_true(fake_vgic_lr((unsigned int)k)->hw);
	assert_int_equal(fake_vgic_lr((unsigned int)k)->hw_intid, FAKE_PMU_PPI);
}

/*
 * The overflow comes while the guest runs with its IRQs masked: the
 * physical interrupt is taken at EL2 once and held active over three
 * more exits (no storm); once the guest unmasks it takes PPI 23 once,
 * hardware-mapped; its EOI, the flag cleared, ends it all.
 */
static void overflow_taken_once(unsigned int version)
{
	make_vms(version, 1, FAKE_PMU_PPI);
	g.masked = true;
	fake_vcpu_push_guest(FAKE_EXIT_IRQ, RUN_TICKS, overflow, NULL, NULL);
	for (unsigned int i = 0; i < 3; i++)
		fake_vcpu_push_guest(FAKE_EXIT_IRQ, RUN_TICKS, guest, NULL,
				     NULL);
	fake_vcpu_push_guest(FAKE_EXIT_IRQ, RUN_TICKS, assert_listed_hw, NULL,
			     NULL);
	fake_vcpu_push_guest(FAKE_EXIT_YIELD, RUN_TICKS, unmask, NULL, NULL);
	for (unsigned int i = 0; i < 2; i++)
		fake_vcpu_push_guest(FAKE_EXIT_IRQ, RUN_TICKS, guest, NULL,
				     NULL);
	run_script();
	assert_int_equal(fake_irq_acks(0, FAKE_PMU_PPI), 1);
	assert_int_equal(g.taken[0], 1);
	assert_int_equal(g.others[0], 0);
	assert_false(fake_irq_active(0, FAKE_PMU_PPI));
	assert_false(vc(0)->st.vgic.priv[PMU].flags &
		     (VGIC_LINE | VGIC_ACTIVE | VGIC_LATCH));
}

static void test_overflow_taken_once_v3(void **state)
{
	(void)state;
	overflow_taken_once(3);
}

static void test_overflow_taken_once_v2(void **state)
{
	(void)state;
	overflow_taken_once(2);
}

/*
 * 100 overflows in a row, each while the guest runs and handles its
 * interrupts: one physical acknowledge and one guest interrupt each.
 */
static void test_each_overflow_once(void **state)
{
	(void)state;
	make_vms(3, 1, FAKE_PMU_PPI);
	for (unsigned int i = 0; i < 100; i++) {
		fake_vcpu_push_guest(FAKE_EXIT_IRQ, RUN_TICKS, overflow, NULL,
				     NULL);
		fake_vcpu_push_guest(FAKE_EXIT_IRQ, RUN_TICKS, guest, NULL,
				     NULL);
	}
	run_script();
	assert_int_equal(fake_irq_acks(0, FAKE_PMU_PPI), 100);
	assert_int_equal(g.taken[0], 100);
	assert_int_equal(g.others[0], 0);
}

/* Switch this pCPU to @v, as the scheduler's switch_to() does. */
static void load(struct vcpu *v)
{
	vcpu_load(v);
	cpus[0].loaded = v;
}

static void put(struct vcpu *v)
{
	vcpu_put(v);
	cpus[0].loaded = NULL;
}

/*
 * 'a' overflows and is put with its interrupt pending; 'b' is loaded
 * while a physical PMU interrupt is still pending at the GIC (latched
 * before the put stopped 'a''s PMU): it is stray for 'b', dropped, and
 * 'b''s vGIC never sees it. 'a', loaded again, has its line back.
 */
static void test_other_vm_never_gets_it(void **state)
{
	(void)state;
	make_vms(3, 2, FAKE_PMU_PPI);
	arch_cpu_set_current(&cpus[0]);
	load(vc(0));
	overflow(vc(0), NULL);
	vpmu_sync(vc(0));
	irq_handle();
	assert_true(fake_irq_active(0, FAKE_PMU_PPI)); /* held for 'a' */
	put(vc(0));
	assert_false(fake_irq_active(0, FAKE_PMU_PPI)); /* released */
	assert_true(vc(0)->st.pmu.ovsset & CCNT);
	load(vc(1));
	fake_irq_raise(0, FAKE_PMU_PPI);
	irq_handle();
	vpmu_sync(vc(1));
	assert_false(fake_irq_active(0, FAKE_PMU_PPI));
	assert_false(vc(1)->st.vgic.priv[PMU].flags &
		     (VGIC_LINE | VGIC_LATCH | VGIC_ACTIVE));
	put(vc(1));
	load(vc(0));
	vpmu_sync(vc(0));
	assert_true(vc(0)->st.vgic.priv[PMU].flags & VGIC_LINE);
	put(vc(0));
}

/* Alone on its pCPU, claimed PMU: WFI native only where the physical
 * interrupt is taken. */
static bool first_run_native(uint32_t phys, uint64_t cntvoff)
{
	make_vms(3, 1, phys);
	vms[0].cntvoff = cntvoff;
	fake_vcpu_push(FAKE_EXIT_YIELD, RUN_TICKS, NULL, NULL);
	run_script();
	return fake_vcpu_ran_wfi_native(0);
}

static void test_wfi_native_alone_with_pmu(void **state)
{
	(void)state;
	assert_true(first_run_native(FAKE_PMU_PPI, 0));
	util_teardown(NULL);
	assert_false(first_run_native(0, 0));
}

/*
 * A VM whose virtual count is ahead of the physical one (resumed from a
 * longer run than this boot's): its timer may not fire in the hardware,
 * so its WFI traps and Kairos arms the backup deadline.
 */
static void test_wfi_traps_with_virtual_count_ahead(void **state)
{
	(void)state;
	assert_true(first_run_native(FAKE_PMU_PPI, 1000));
	util_teardown(NULL);
	assert_false(first_run_native(FAKE_PMU_PPI, (uint64_t)-1000));
}

/*
 * A checkpoint taken with the overflow pending and not yet taken (the
 * guest's IRQs masked) keeps it in the PMU section: after a restore over
 * a VM that has moved on, the first entry lists PPI 23, hardware-mapped
 * again (the restore drops mappings), and the guest takes it once.
 */
static void test_overflow_survives_checkpoint(void **state)
{
	char why[200];
	struct vcpu *v;

	(void)state;
	make_vms(3, 1, FAKE_PMU_PPI);
	v = vc(0);
	v->st.pmu.pmcr = PMCR_E;
	v->st.pmu.intenset = CCNT;
	v->st.pmu.ovsset = CCNT;
	assert_true(util_checkpoint(&vms[0], 0, why, sizeof(why)));
	/* It ran on: handled, its PMU reset. */
	memset(&v->st.pmu, 0, sizeof(v->st.pmu));
	v->st.pmu_dbg_live = 0;
	vgic_vcpu_reset(v);
	assert_true(
		ckpt_restore(&vms[0], 0, CKPT_POLICY_PAUSE, why, sizeof(why)));
	assert_true(v->st.pmu_dbg_live);
	assert_false(v->st.vgic.priv[PMU].flags & VGIC_HW);
	fake_vcpu_push_guest(FAKE_EXIT_IRQ, RUN_TICKS, assert_listed_hw, NULL,
			     NULL);
	fake_vcpu_push_guest(FAKE_EXIT_IRQ, RUN_TICKS, guest, NULL, NULL);
	fake_vcpu_push_guest(FAKE_EXIT_IRQ, RUN_TICKS, guest, NULL, NULL);
	run_script();
	assert_int_equal(g.taken[0], 1);
	assert_int_equal(g.others[0], 0);
	assert_false(fake_irq_active(0, FAKE_PMU_PPI));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_overflow_taken_once_v3,
					  util_teardown),
		cmocka_unit_test_teardown(test_overflow_taken_once_v2,
					  util_teardown),
		cmocka_unit_test_teardown(test_each_overflow_once,
					  util_teardown),
		cmocka_unit_test_teardown(test_other_vm_never_gets_it,
					  util_teardown),
		cmocka_unit_test_teardown(test_wfi_native_alone_with_pmu,
					  util_teardown),
		cmocka_unit_test_teardown(
			test_wfi_traps_with_virtual_count_ahead, util_teardown),
		cmocka_unit_test_teardown(test_overflow_survives_checkpoint,
					  util_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
