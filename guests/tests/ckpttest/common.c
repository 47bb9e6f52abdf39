// SPDX-License-Identifier: MIT
/* ckpttest's shared part: the timers, the IRQ entry, waits, CPU1. */
#include "ckpttest.h"

struct ck_cpu ck_cpus[LG_MAX_CPUS];
uint64_t ck_late_ticks;

static struct {
	unsigned int intid[CK_NR];
	ck_sgi_fn sgi_hook;
	void (*cpu1_fn)(void);
	uint32_t cpu1_kinds;
	uint32_t cpu1_up;
	uint32_t cpu1_done;
} ck;

const char *ck_name(enum ck_kind k)
{
	return k == CK_VIRT ? "vtimer" : "ptimer";
}

unsigned int ck_intid(enum ck_kind k)
{
	return ck.intid[k];
}

uint64_t ck_now(enum ck_kind k)
{
	return k == CK_VIRT ? time_ticks() : timer_phys_count();
}

uint64_t ck_ticks(uint64_t us)
{
	uint64_t f = time_freq();

	return us / 1000000 * f + us % 1000000 * f / 1000000;
}

uint64_t ck_us(uint64_t ticks)
{
	uint64_t f = time_freq();

	return ticks / f * 1000000 + ticks % f * 1000000 / f;
}

static uint64_t ck_ctl(enum ck_kind k)
{
	return k == CK_VIRT ? timer_virt_ctl() : timer_phys_ctl();
}

static uint64_t ck_cval(enum ck_kind k)
{
	return k == CK_VIRT ? timer_virt_cval() : timer_phys_cval();
}

static void ck_set_ctl(enum ck_kind k, uint64_t ctl)
{
	if (k == CK_VIRT)
		timer_virt_set_ctl(ctl);
	else
		timer_phys_set_ctl(ctl);
}

void ck_arm(enum ck_kind k, uint64_t us)
{
	uint64_t cval = ck_now(k) + ck_ticks(us);
	struct ck_timer *t = &ck_cpus[cpu_index()].t[k];

	if (k == CK_VIRT)
		timer_virt_set_cval(cval);
	else
		timer_phys_set_cval(cval);
	ck_store(&t->armed, t->armed + 1);
	ck_set_ctl(k, TIMER_CTL_ENABLE);
}

uint64_t ck_arg(const char *key, uint64_t def)
{
	uint64_t v;

	return board_arg_u64(key, &v) ? v : def;
}

void ck_set_sgi_hook(ck_sgi_fn fn)
{
	ck.sgi_hook = fn;
}

/* A timer's interrupt: due, counted once, then the timer is disabled. */
static void ck_timer_irq(enum ck_kind k)
{
	struct ck_timer *t = &ck_cpus[cpu_index()].t[k];
	uint64_t ctl = ck_ctl(k), cval = ck_cval(k), now = ck_now(k);

	if ((ctl & (TIMER_CTL_ENABLE | TIMER_CTL_IMASK | TIMER_CTL_ISTATUS)) !=
	    (TIMER_CTL_ENABLE | TIMER_CTL_ISTATUS)) {
		ck_store(&t->bogus, t->bogus + 1);
		printf("# ckpt: CPU%u %s IRQ with CTL 0x%llx (arming %u, answered %u)\n",
		       cpu_index(), ck_name(k), (unsigned long long)ctl,
		       t->armed, t->fired);
		return;
	}
	if (now < cval) {
		ck_store(&t->bogus, t->bogus + 1);
		ck_store(&t->early, t->early + 1);
		printf("# ckpt: CPU%u %s IRQ at 0x%llx before CVAL 0x%llx\n",
		       cpu_index(), ck_name(k), (unsigned long long)now,
		       (unsigned long long)cval);
		return;
	}
	if (now - cval > t->max_late) {
		t->max_late = now - cval;
		t->max_late_at = t->armed;
	}
	if (ck_late_ticks && now - cval > ck_late_ticks)
		ck_store(&t->late, t->late + 1);
	ck_set_ctl(k, 0);
	ck_store(&t->fired, t->fired + 1);
}

static bool ck_irq_entry(struct exc_frame *frame, unsigned int kind)
{
	struct ck_cpu *c = &ck_cpus[cpu_index()];
	uint32_t iar = gic_ack();
	unsigned int intid = gic_iar_intid(iar);

	(void)frame;
	(void)kind;
	if (intid >= GIC_INTID_SPECIAL) {
		ck_store(&c->spurious, c->spurious + 1);
		return true;
	}
	if (intid == ck.intid[CK_VIRT])
		ck_timer_irq(CK_VIRT);
	else if (intid == ck.intid[CK_PHYS])
		ck_timer_irq(CK_PHYS);
	else if (intid < GIC_NR_SGIS && intid != CK_SGI_KICK && ck.sgi_hook)
		ck.sgi_hook(intid, iar);
	else if (intid >= GIC_NR_SGIS)
		ck_store(&c->unexpected, c->unexpected + 1);
	/* After a nested one's: completions in reverse order. */
	gic_eoi(iar);
	if (gic_eoimode())
		gic_dir(iar);
	return true;
}

void ck_cpu_init(uint32_t kinds)
{
	gic_cpu_init();
	exc_set_irq_handler(ck_irq_entry);
	for (unsigned int i = 0; i < GIC_NR_SGIS; i++)
		gic_set_enable(i, true);
	for (unsigned int k = 0; k < CK_NR; k++) {
		if (!(kinds & (1U << k)))
			continue;
		ck_set_ctl((enum ck_kind)k, 0);
		gic_set_edge(ck.intid[k], false);
		gic_set_enable(ck.intid[k], true);
	}
}

bool ck_setup(uint32_t kinds)
{
	if (!gic_init()) {
		test_fail("no GICv2 or GICv3 in the DTB");
		return false;
	}
	memset(ck_cpus, 0, sizeof(ck_cpus));
	ck_late_ticks = 0;
	ck.intid[CK_VIRT] = timer_virt_intid();
	ck.intid[CK_PHYS] = timer_phys_intid();
	ck.sgi_hook = NULL;
	ck_cpu_init(kinds);
	return true;
}

bool ck_wait(const uint32_t *p, uint32_t want, uint64_t timeout_us)
{
	uint64_t end = time_us() + timeout_us;

	for (;;) {
		/* Checked with IRQs masked: an IRQ that comes between the
		 * check and the WFI still ends the WFI. */
		irq_mask();
		if (ck_load(p) >= want)
			return true;
		if (time_us() >= end)
			return false;
		__asm__ volatile("wfi" ::: "memory");
		irq_unmask();
		isb();
	}
}

bool ck_wait_timer(enum ck_kind k)
{
	struct ck_timer *t = &ck_cpus[cpu_index()].t[k];

	if (ck_wait(&t->fired, t->armed, CK_TIMEOUT_US))
		return true;
	test_fail(
		"CPU%u: %s arming %u not answered within %llu us (CTL 0x%llx, CVAL 0x%llx, count 0x%llx)",
		cpu_index(), ck_name(k), t->armed,
		(unsigned long long)CK_TIMEOUT_US,
		(unsigned long long)ck_ctl(k), (unsigned long long)ck_cval(k),
		(unsigned long long)ck_now(k));
	return false;
}

static void ck_secondary(void *arg)
{
	(void)arg;
	ck_cpu_init(ck.cpu1_kinds);
	ck_store(&ck.cpu1_up, 1);
	gic_send_sgi(0, CK_SGI_KICK);
	ck.cpu1_fn();
	irq_mask();
	ck_store(&ck.cpu1_done, 1);
	gic_send_sgi(0, CK_SGI_KICK);
}

bool ck_start_cpu1(void (*fn)(void), uint32_t kinds)
{
	int32_t ret;

	if (board_cpu_count() < 2) {
		test_skip("needs 2 CPUs, the DTB lists %u", board_cpu_count());
		return false;
	}
	ck.cpu1_fn = fn;
	ck.cpu1_kinds = kinds;
	ck_store(&ck.cpu1_up, 0);
	ck_store(&ck.cpu1_done, 0);
	ret = cpu_start(1, ck_secondary, NULL);
	if (ret != PSCI_RET_SUCCESS) {
		test_fail("CPU_ON of CPU1: %d", (int)ret);
		return false;
	}
	if (!ck_wait(&ck.cpu1_up, 1, CK_TIMEOUT_US)) {
		test_fail("CPU1 did not come up");
		return false;
	}
	return true;
}

static bool ck_cpu1_off(void *arg)
{
	(void)arg;
	return psci_affinity_info(board_cpu_mpidr(1)) == PSCI_AFF_OFF;
}

bool ck_join_cpu1(uint64_t timeout_us)
{
	if (!ck_wait(&ck.cpu1_done, 1, timeout_us) ||
	    !time_wait_for(ck_cpu1_off, NULL, CK_TIMEOUT_US)) {
		test_fail("CPU1 did not finish");
		return false;
	}
	return true;
}

void ck_report_timer(const char *test, unsigned int cpu, enum ck_kind k)
{
	const struct ck_timer *t = &ck_cpus[cpu].t[k];

	printf("# ckpt %s: CPU%u %s armed %u fired %u bogus %u early %u late %u max_late_us %llu (arming %u)\n",
	       test, cpu, ck_name(k), t->armed, t->fired, t->bogus, t->early,
	       t->late, (unsigned long long)ck_us(t->max_late), t->max_late_at);
}

void ck_check_counts(unsigned int cpu, uint32_t kinds)
{
	const struct ck_cpu *c = &ck_cpus[cpu];

	for (unsigned int k = 0; k < CK_NR; k++) {
		const struct ck_timer *t = &c->t[k];

		if (!(kinds & (1U << k)))
			continue;
		if (t->armed != t->fired || t->bogus)
			test_fail(
				"CPU%u %s: %u armings, %u answered, %u bogus (%u early)",
				cpu, ck_name((enum ck_kind)k), t->armed,
				t->fired, t->bogus, t->early);
	}
	if (c->spurious || c->unexpected)
		test_fail("CPU%u: %u spurious acknowledges, %u unexpected IRQs",
			  cpu, c->spurious, c->unexpected);
}
