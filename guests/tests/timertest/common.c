// SPDX-License-Identifier: MIT
/* timertest's shared part: the timers by kind, the IRQ entry, waits. */
#include "timertest.h"

struct tt_cpu tt_cpus[LG_MAX_CPUS];

static struct {
	unsigned int intid[TT_NR];
	tt_sgi_fn sgi_hook;
	void (*cpu1_fn)(void);
	uint32_t cpu1_up;
	uint32_t cpu1_done;
	uint32_t stop;
	bool cpu1_running;
} tt;

const char *tt_name(enum tt_kind k)
{
	return k == TT_VIRT ? "vtimer" : "ptimer";
}

unsigned int tt_intid(enum tt_kind k)
{
	return tt.intid[k];
}

uint64_t tt_now(enum tt_kind k)
{
	return k == TT_VIRT ? time_ticks() : timer_phys_count();
}

void tt_set_cval(enum tt_kind k, uint64_t cval)
{
	if (k == TT_VIRT)
		timer_virt_set_cval(cval);
	else
		timer_phys_set_cval(cval);
}

void tt_set_tval(enum tt_kind k, int32_t tval)
{
	if (k == TT_VIRT)
		timer_virt_set_tval(tval);
	else
		timer_phys_set_tval(tval);
}

void tt_set_ctl(enum tt_kind k, uint64_t ctl)
{
	if (k == TT_VIRT)
		timer_virt_set_ctl(ctl);
	else
		timer_phys_set_ctl(ctl);
}

uint64_t tt_ctl(enum tt_kind k)
{
	return k == TT_VIRT ? timer_virt_ctl() : timer_phys_ctl();
}

uint64_t tt_cval(enum tt_kind k)
{
	return k == TT_VIRT ? timer_virt_cval() : timer_phys_cval();
}

int32_t tt_tval(enum tt_kind k)
{
	return k == TT_VIRT ? timer_virt_tval() : timer_phys_tval();
}

uint64_t tt_ticks(uint64_t us)
{
	uint64_t f = time_freq();

	return us / 1000000 * f + us % 1000000 * f / 1000000;
}

enum tt_kind tt_arg_kind(void)
{
	char buf[8];

	if (board_arg("timer", buf, sizeof(buf)) && strcmp(buf, "p") == 0)
		return TT_PHYS;
	return TT_VIRT;
}

enum tt_mode tt_arg_mode(void)
{
	char buf[8];

	if (!board_arg("mode", buf, sizeof(buf)))
		return TT_WFI;
	if (strcmp(buf, "poll") == 0)
		return TT_POLL;
	if (strcmp(buf, "busy") == 0)
		return TT_BUSY;
	return TT_WFI;
}

void tt_set_sgi_hook(tt_sgi_fn fn)
{
	tt.sgi_hook = fn;
}

/* The timer's interrupt: the line must be up, and the policy lowers it. */
static bool tt_timer_irq(enum tt_kind k, uint32_t iar)
{
	struct tt_stat *s = &tt_self()->t[k];
	uint64_t ctl = tt_ctl(k), cval = tt_cval(k), now = tt_now(k);
	enum tt_policy policy = s->policy;
	bool eoi_done = false;

	if (s->soft) {
		/* Pended by ISPENDR with the timer off: nothing to check. */
	} else if ((ctl &
		    (TIMER_CTL_ENABLE | TIMER_CTL_IMASK | TIMER_CTL_ISTATUS)) !=
		   (TIMER_CTL_ENABLE | TIMER_CTL_ISTATUS)) {
		test_fail(
			"CPU%u: %s IRQ %u with CTL 0x%llx (want ENABLE|ISTATUS), CVAL 0x%llx, count 0x%llx, policy %d%s",
			cpu_index(), tt_name(k), s->count + 1,
			(unsigned long long)ctl, (unsigned long long)cval,
			(unsigned long long)now, (int)s->policy,
			s->eoi_first ? ", EOI first" : "");
	} else if (now < cval) {
		test_fail("CPU%u: %s IRQ at count 0x%llx before CVAL 0x%llx",
			  cpu_index(), tt_name(k), (unsigned long long)now,
			  (unsigned long long)cval);
	}
	s->last_cval = cval;
	s->last_now = now;
	if (s->deactivate) {
		gic_set_active(tt_intid(k), false);
		s->active_after = gic_is_active(tt_intid(k));
	}
	if (s->eoi_first) {
		gic_eoi(iar);
		eoi_done = true;
	}
	if (s->keep_once && s->count == 0)
		policy = TT_KEEP;
	switch (policy) {
	case TT_PERIODIC:
		if (s->periods > 1 && (!s->until || now < s->until)) {
			s->periods--;
			tt_set_cval(k, cval + s->period);
			break;
		}
		s->periods = 0;
		tt_set_ctl(k, 0);
		break;
	case TT_DISABLE: tt_set_ctl(k, 0); break;
	case TT_MASK: tt_set_ctl(k, TIMER_CTL_ENABLE | TIMER_CTL_IMASK); break;
	case TT_KEEP:
		/* Held until the deadline, if any: then off. */
		if (s->until && now >= s->until)
			tt_set_ctl(k, 0);
		break;
	default: break;
	}
	tt_store(&s->count, s->count + 1);
	return eoi_done;
}

/* Replaces libguest's dispatcher: it must count spurious acknowledges. */
static bool tt_irq_entry(struct exc_frame *frame, unsigned int kind)
{
	struct tt_cpu *c = tt_self();
	uint32_t iar = gic_ack();
	unsigned int intid = gic_iar_intid(iar);
	bool eoi_done = false;

	(void)frame;
	(void)kind;
	if (intid >= GIC_INTID_SPECIAL) {
		tt_store(&c->spurious, c->spurious + 1);
		return true;
	}
	if (intid == tt.intid[TT_VIRT]) {
		eoi_done = tt_timer_irq(TT_VIRT, iar);
	} else if (intid == tt.intid[TT_PHYS]) {
		eoi_done = tt_timer_irq(TT_PHYS, iar);
	} else if (intid < GIC_NR_SGIS) {
		tt_store(&c->sgis, c->sgis + 1);
		if (intid != TT_SGI_KICK && tt.sgi_hook)
			tt.sgi_hook(intid,
				    gic_version() == 2 ? (iar >> 10) & 7 : 0);
	} else {
		test_fail("CPU%u: unexpected IRQ %u", cpu_index(), intid);
	}
	if (!eoi_done)
		gic_eoi(iar);
	return true;
}

void tt_cpu_init(void)
{
	gic_cpu_init();
	exc_set_irq_handler(tt_irq_entry);
	for (unsigned int i = 0; i < GIC_NR_SGIS; i++)
		gic_set_enable(i, true);
}

static void tt_secondary(void *arg)
{
	(void)arg;
	tt_cpu_init();
	tt_store(&tt.cpu1_up, 1);
	gic_send_sgi(0, TT_SGI_KICK);
	tt.cpu1_fn();
	irq_mask();
	/* CPU0 waits for this in WFI: it gives the pCPU they may share. */
	tt_store(&tt.cpu1_done, 1);
	gic_send_sgi(0, TT_SGI_KICK);
}

bool tt_stopping(void)
{
	return tt_load(&tt.stop) != 0;
}

bool tt_start_cpu1(void (*fn)(void))
{
	int32_t ret;

	if (board_cpu_count() < 2) {
		test_skip("needs 2 CPUs, the DTB lists %u", board_cpu_count());
		return false;
	}
	tt.cpu1_fn = fn;
	tt_store(&tt.cpu1_up, 0);
	tt_store(&tt.cpu1_done, 0);
	tt_store(&tt.stop, 0);
	ret = cpu_start(1, tt_secondary, NULL);
	if (ret != PSCI_RET_SUCCESS) {
		test_fail("CPU_ON of CPU1: %d", (int)ret);
		return false;
	}
	tt.cpu1_running = true;
	/* In WFI, not spinning: CPU1 may share this pCPU (QEMU's WFE does
	 * not trap to a hypervisor, so a WFE loop would hold it). */
	if (!tt_wait(&tt.cpu1_up, 1, TT_WFI, TT_TIMEOUT_US)) {
		test_fail("CPU1 did not come up");
		return false;
	}
	irq_mask();
	return true;
}

static bool tt_cpu1_off(void *arg)
{
	(void)arg;
	return psci_affinity_info(board_cpu_mpidr(1)) == PSCI_AFF_OFF;
}

bool tt_wait_cpu1(uint64_t timeout_us)
{
	bool done = tt_wait(&tt.cpu1_done, 1, TT_WFI, timeout_us);

	irq_mask();
	return done;
}

void tt_stop_cpu1(void)
{
	if (!tt.cpu1_running)
		return;
	tt_store(&tt.stop, 1);
	gic_send_sgi(1, TT_SGI_KICK);
	sev();
	if (!tt_wait(&tt.cpu1_done, 1, TT_WFI, TT_TIMEOUT_US) ||
	    !time_wait_for(tt_cpu1_off, NULL, TT_TIMEOUT_US))
		test_abort("CPU1 did not stop");
	irq_mask();
	tt.cpu1_running = false;
}

/* CPU1 in busy mode: never waits, so it holds any pCPU it shares. */
static void tt_busy_loop(void)
{
	struct tt_cpu *c = tt_self();

	while (!tt_stopping())
		tt_store64(&c->busy, c->busy + 1);
}

bool tt_setup(uint32_t kinds, bool busy)
{
	if (!gic_init()) {
		test_fail("no GICv2 or GICv3 in the DTB");
		return false;
	}
	memset(tt_cpus, 0, sizeof(tt_cpus));
	tt.intid[TT_VIRT] = timer_virt_intid();
	tt.intid[TT_PHYS] = timer_phys_intid();
	tt.sgi_hook = NULL;
	tt_cpu_init();
	for (unsigned int k = 0; k < TT_NR; k++) {
		if (!(kinds & (1U << k)))
			continue;
		tt_set_ctl((enum tt_kind)k, 0);
		gic_set_edge(tt.intid[k], false);
		gic_set_enable(tt.intid[k], true);
	}
	return !busy || tt_start_cpu1(tt_busy_loop);
}

void tt_teardown(uint32_t kinds)
{
	irq_mask();
	for (unsigned int k = 0; k < TT_NR; k++) {
		if (!(kinds & (1U << k)))
			continue;
		tt_set_ctl((enum tt_kind)k, 0);
		gic_set_enable(tt.intid[k], false);
	}
	tt_stop_cpu1();
}

bool tt_wait(const uint32_t *p, uint32_t want, enum tt_mode mode,
	     uint64_t timeout_us)
{
	uint64_t end = time_us() + timeout_us;

	for (;;) {
		bool done;

		/* Checked with IRQs masked: an IRQ between the check and the
		 * WFI still ends the WFI (it wakes on a pending IRQ). */
		irq_mask();
		done = tt_load(p) >= want;
		if (done || time_us() >= end) {
			irq_unmask();
			return done;
		}
		if (mode != TT_POLL)
			__asm__ volatile("wfi" ::: "memory");
		irq_unmask();
		isb();
	}
}

void tt_quiet(uint64_t us)
{
	uint64_t end = time_us() + us;

	irq_unmask();
	while (time_us() < end)
		(void)gic_running_priority();
}

bool tt_expect(enum tt_kind k, uint32_t want, enum tt_mode mode,
	       uint64_t timeout_us, const char *what)
{
	struct tt_cpu *c = tt_self();
	const uint32_t *count = &c->t[k].count;

	if (!tt_wait(count, want, mode, timeout_us)) {
		test_fail("%s %s: %u interrupts within %llu us, want %u",
			  tt_name(k), what, tt_load(count),
			  (unsigned long long)timeout_us, want);
		return false;
	}
	return tt_expect_none(k, want, TT_QUIET_US, what);
}

bool tt_expect_none(enum tt_kind k, uint32_t want, uint64_t us,
		    const char *what)
{
	struct tt_cpu *c = tt_self();
	unsigned int intid = tt_intid(k);

	tt_quiet(us);
	if (test_failed())
		return false;
	if (tt_load(&c->t[k].count) != want)
		test_fail("%s %s: %u interrupts, want %u", tt_name(k), what,
			  tt_load(&c->t[k].count), want);
	else if (tt_load(&c->spurious))
		test_fail("%s %s: %u spurious (1023) acknowledges", tt_name(k),
			  what, tt_load(&c->spurious));
	else if (gic_is_active(intid))
		test_fail("%s %s: PPI %u still active", tt_name(k), what,
			  intid);
	else if (gic_is_pending(intid) &&
		 (tt_ctl(k) & (TIMER_CTL_ENABLE | TIMER_CTL_IMASK)) !=
			 TIMER_CTL_ENABLE)
		test_fail("%s %s: PPI %u pending with the timer masked or off",
			  tt_name(k), what, intid);
	return !test_failed();
}
