// SPDX-License-Identifier: MIT
/*
 * The PMU and the debug registers are each vCPU's own (Arm ARM D13, D2).
 * Run in two VMs sharing one pCPU (bootargs role=owner and role=other):
 *
 * - the owner counts retired instructions in event counter 0 around a
 *   loop of a known length and arms watchpoint 0 on `wp_shared`: each
 *   count is its own loop's (the other VM's execution, which runs in the
 *   same slices, is not in it), and each store to `wp_shared` hits once;
 * - the other leaves a marker in its stopped counter 0, counts its own
 *   loop in counter 1, arms watchpoint 1 on `wp_other` and stores to
 *   both variables: its marker never moves, its count is its own, and
 *   only its own watchpoint hits (the owner's, on the same address in
 *   the same image, never does).
 *
 * Instruction counts need QEMU's -icount (PMCEID0 says whether event
 * 0x08 is counted); without it the test is skipped.
 */
#include <libguest.h>

#define EV_INST_RETIRED 0x08UL
#define PMCR_E (1UL << 0)
#define MDSCR_KDE (1UL << 13)
#define MDSCR_MDE (1UL << 15)
/* DBGWCR: E, PAC = EL1 (0b01), LSC = store (0b10), BAS = all 8 bytes. */
#define WCR_STORE_EL1 (1UL | 1UL << 1 | 2UL << 3 | 0xffUL << 5)
#define ESR_EC_WATCH_CUR 0x35
#define LOOP_ITERS 20000000UL /* 2 instructions each: 40 ms of -icount */
/* The counted window's own instructions around the loop. */
#define LOOP_SLACK 64
#define OTHER_MARK 0x6f746865UL

static volatile uint64_t wp_shared __attribute__((aligned(8)));
static volatile uint64_t wp_other __attribute__((aligned(8)));
static uint32_t hits_shared, hits_other;

static bool watch_handler(struct exc_frame *f, unsigned int kind)
{
	(void)kind;
	if (ESR_EC(f->esr) != ESR_EC_WATCH_CUR)
		return false;
	if (f->far == (uintptr_t)&wp_shared)
		hits_shared++;
	else if (f->far == (uintptr_t)&wp_other)
		hits_other++;
	f->elr += 4; /* the store does not happen: step over it */
	return true;
}

/* Exactly 2 * @n instructions between the two counter reads. */
static uint64_t counted_loop(uint64_t n, bool ctr1)
{
	uint64_t c0, c1;

	__asm__ volatile("isb");
	c0 = ctr1 ? read_sysreg(pmevcntr1_el0) : read_sysreg(pmevcntr0_el0);
	__asm__ volatile("1: subs %0, %0, #1\n b.ne 1b" : "+r"(n) : : "cc");
	c1 = ctr1 ? read_sysreg(pmevcntr1_el0) : read_sysreg(pmevcntr0_el0);
	return (c1 - c0) & 0xffffffffUL;
}

static void watch(unsigned int n, volatile uint64_t *addr)
{
	if (n == 0) {
		write_sysreg((uintptr_t)addr, dbgwvr0_el1);
		write_sysreg(WCR_STORE_EL1, dbgwcr0_el1);
	} else {
		write_sysreg((uintptr_t)addr, dbgwvr1_el1);
		write_sysreg(WCR_STORE_EL1, dbgwcr1_el1);
	}
	write_sysreg(0, oslar_el1);
	write_sysreg(read_sysreg(mdscr_el1) | MDSCR_MDE | MDSCR_KDE, mdscr_el1);
	__asm__ volatile("isb\n msr daifclr, #8\n isb" ::: "memory");
}

static void count_on(unsigned int n)
{
	if (n == 0)
		write_sysreg(EV_INST_RETIRED, pmevtyper0_el0);
	else
		write_sysreg(EV_INST_RETIRED, pmevtyper1_el0);
	write_sysreg(read_sysreg(pmcr_el0) | PMCR_E, pmcr_el0);
	write_sysreg(1UL << n, pmcntenset_el0);
	__asm__ volatile("isb");
}

/* One round: the loop counted in counter @n, then one store to each
 * variable. False (test_fail called) when a count is off. */
static bool round_ok(unsigned int r, unsigned int n)
{
	uint64_t d = counted_loop(LOOP_ITERS, n == 1);

	if (d < 2 * LOOP_ITERS || d > 2 * LOOP_ITERS + LOOP_SLACK) {
		test_fail("round %u: counter %u counted %llu instructions for a "
			  "loop of %lu",
			  r, n, (unsigned long long)d, 2 * LOOP_ITERS);
		return false;
	}
	wp_shared = r;
	wp_other = r;
	return true;
}

TEST_FLAGS(pmu_debug_own, TEST_NAMED_ONLY)
{
	char role[16] = "owner";
	uint64_t rounds = 20;
	uint64_t dfr0 = read_sysreg(id_aa64dfr0_el1);
	unsigned int pmuver = (unsigned int)(dfr0 >> 8) & 0xf;
	bool owner;

	board_arg("role", role, sizeof(role));
	board_arg_u64("rounds", &rounds);
	owner = role[0] == 'o' && role[1] == 'w';
	if (pmuver == 0 || pmuver == 0xf || ((dfr0 >> 20) & 0xf) < 1 ||
	    (read_sysreg(pmcr_el0) >> 11 & 0x1f) < 2)
		SKIP("no PMUv3 with 2 counters, or fewer than 2 watchpoints");
	if (!(read_sysreg(pmceid0_el0) & (1UL << EV_INST_RETIRED)))
		SKIP("INST_RETIRED not counted (QEMU needs -icount)");
	exc_set_sync_handler(watch_handler);
	if (owner) {
		count_on(0);
		watch(0, &wp_shared);
	} else {
		write_sysreg(1UL, pmcntenclr_el0);
		write_sysreg(EV_INST_RETIRED, pmevtyper0_el0);
		write_sysreg(OTHER_MARK, pmevcntr0_el0);
		count_on(1);
		watch(1, &wp_other);
	}
	for (unsigned int r = 0; r < rounds; r++) {
		uint64_t mark;

		if (!round_ok(r, owner ? 0 : 1))
			return;
		mark = read_sysreg(pmevcntr0_el0);
		EXPECT(owner || mark == OTHER_MARK,
		       "round %u: stopped counter 0 reads 0x%llx, set 0x%lx", r,
		       (unsigned long long)mark, OTHER_MARK);
		EXPECT(owner ? hits_shared == r + 1 && hits_other == 0 :
			       hits_other == r + 1 && hits_shared == 0,
		       "round %u: watchpoint hits: on wp_shared %u, on "
		       "wp_other %u (want only %s, %u)",
		       r, hits_shared, hits_other,
		       owner ? "wp_shared" : "wp_other", r + 1);
		if (test_failed())
			return;
		printf("# pmu_debug %s: round %u ok\n", role, r);
	}
	write_sysreg(0, dbgwcr0_el1);
	write_sysreg(0, dbgwcr1_el1);
	write_sysreg(3UL, pmcntenclr_el0);
	exc_set_sync_handler(NULL);
}

#define PMU_PPI 23U /* QEMU virt's PMU interrupt, PPI 7 */
#define PMU_CCNT (1UL << 31)
#define PMU_WAIT_US 1000000

static uint32_t pmu_irqs, pmu_irqs_idle;

static void pmu_handler(struct gic_irq *irq, void *arg)
{
	(void)irq;
	(void)arg;
	pmu_irqs++;
	if (!(read_sysreg(pmovsset_el0) & PMU_CCNT))
		pmu_irqs_idle++; /* taken with nothing overflowed */
	write_sysreg(PMU_CCNT, pmovsclr_el0);
	__asm__ volatile("isb");
}

/*
 * The PMU's overflow interrupt, PPI 23, level-sensitive: the cycle
 * counter set just below its 32-bit wrap overflows, the interrupt comes
 * (to a CPU that waits for it in WFI, too), once, and the handler's
 * clear of the overflow flag ends it.
 */
TEST_FLAGS(pmu_overflow_irq, TEST_NAMED_ONLY)
{
	uint64_t dfr0 = read_sysreg(id_aa64dfr0_el1);
	unsigned int pmuver = (unsigned int)(dfr0 >> 8) & 0xf;
	uint64_t t0;

	if (pmuver == 0 || pmuver == 0xf)
		SKIP("no PMUv3");
	if (!gic_init())
		FAIL("no GICv2 or GICv3 in the DTB");
	pmu_irqs = pmu_irqs_idle = 0;
	gic_set_handler(PMU_PPI, pmu_handler, NULL);
	gic_set_edge(PMU_PPI, false);
	gic_set_enable(PMU_PPI, true);
	write_sysreg(0, pmccfiltr_el0); /* EL1 and EL0 */
	write_sysreg(0xfffff000UL, pmccntr_el0);
	write_sysreg(PMU_CCNT, pmovsclr_el0);
	write_sysreg(PMU_CCNT, pmintenset_el1);
	write_sysreg(read_sysreg(pmcr_el0) | PMCR_E, pmcr_el0);
	write_sysreg(PMU_CCNT, pmcntenset_el0);
	__asm__ volatile("isb");
	irq_mask();
	t0 = time_us();
	/*
	 * Waits in WFI once the overflow flag is up: whether a counter
	 * counts in WFI is IMPLEMENTATION DEFINED, and under Kairos a vCPU
	 * blocked in WFI counts nothing (its PMU is switched out). IRQs
	 * masked from the check to the WFI: an interrupt taken in between
	 * would leave the WFI nothing to wait for (a pending one ends a WFI
	 * also when masked).
	 */
	while (!__atomic_load_n(&pmu_irqs, __ATOMIC_RELAXED) &&
	       time_us() - t0 < PMU_WAIT_US) {
		if (read_sysreg(pmovsset_el0) & PMU_CCNT)
			__asm__ volatile("wfi");
		irq_unmask();
		irq_mask();
	}
	irq_unmask();
	/* No second one for the same overflow. */
	time_delay_us(20000);
	irq_mask();
	write_sysreg(PMU_CCNT, pmcntenclr_el0);
	write_sysreg(PMU_CCNT, pmintenclr_el1);
	gic_set_enable(PMU_PPI, false);
	gic_set_handler(PMU_PPI, NULL, NULL);
	EXPECT(pmu_irqs == 1 && pmu_irqs_idle == 0,
	       "cycle counter overflow: %u interrupts (%u with no overflow "
	       "flag), want 1",
	       pmu_irqs, pmu_irqs_idle);
	EXPECT(!(read_sysreg(pmovsset_el0) & PMU_CCNT),
	       "PMOVSSET 0x%llx after the handler cleared it",
	       (unsigned long long)read_sysreg(pmovsset_el0));
}

/*
 * Promptness of the PMU interrupt (docs/design.md §6): Kairos takes the
 * physical PMU interrupt while the guest runs, so an overflow reaches a
 * guest that never exits. Bootargs:
 *
 *   waits=  what the guest does while the overflow comes, one letter per
 *           phase, each of `rounds` overflows: l busy-loops with IRQs
 *           unmasked and no exit (no MMIO, HVC, WFI; the counters and
 *           the virtual count are read in place); w waits in WFI (IRQs
 *           masked, unmasked after each wake) from before the overflow
 *           (only a vCPU alone on its pCPU: one blocked in WFI counts
 *           nothing); f spins with IRQs masked until the overflow flag
 *           is up, then waits in WFI; q (quiet) takes no overflow of its
 *           own for quiet_ms and must take no PMU interrupt at all (the
 *           other VM on its pCPU overflows meanwhile)
 *   bound_us  the most the guest may run between an overflow and its
 *           handler, in microseconds of the counter
 *
 * The cycle counter is set N cycles short of its 64-bit wrap (LC): in the
 * handler it reads what the vCPU ran since the overflow (it counts while
 * the vCPU runs, also in a WFI that waits in hardware), the latency.
 */
#define PR_CYCLES 20000UL   /* cycles from arming to the overflow */
#define PR_WAIT_US 200000UL /* per overflow, beyond any slice */
#define PMCR_LC (1UL << 6)
#define CNTV_ENABLE 1UL
#define CNTV_IMASK 2UL

static volatile uint32_t pr_irqs, pr_idle, pr_backstops;
static volatile uint64_t pr_lat;

static void prompt_handler(struct gic_irq *irq, void *arg)
{
	uint64_t c = read_sysreg(pmccntr_el0);

	(void)irq;
	(void)arg;
	if (!(read_sysreg(pmovsset_el0) & PMU_CCNT)) {
		pr_idle++;
		return;
	}
	pr_lat = c;
	write_sysreg(PMU_CCNT, pmovsclr_el0);
	__asm__ volatile("isb");
	pr_irqs++;
}

/* The virtual timer ends a WFI nothing else ends: a failure, not a hang. */
static void backstop_handler(struct gic_irq *irq, void *arg)
{
	(void)irq;
	(void)arg;
	timer_virt_set_ctl(CNTV_IMASK);
	pr_backstops++;
}

/* Cycles per counter microsecond: the most seen over a few windows (a
 * window the vCPU spent switched out counts fewer). */
static uint64_t cycles_per_us(void)
{
	uint64_t best = 1;

	for (unsigned int k = 0; k < 5; k++) {
		uint64_t c0 = read_sysreg(pmccntr_el0), t0 = time_us(), c1;

		while (time_us() - t0 < 500)
			;
		c1 = read_sysreg(pmccntr_el0);
		if ((c1 - c0) / 500 > best)
			best = (c1 - c0) / 500;
	}
	return best;
}

/* Overflow after @n more cycles of this vCPU. */
static void arm_ccnt(uint64_t n)
{
	write_sysreg(PMU_CCNT, pmcntenclr_el0);
	__asm__ volatile("isb");
	write_sysreg(0 - n, pmccntr_el0);
	write_sysreg(PMU_CCNT, pmovsclr_el0);
	__asm__ volatile("isb");
	write_sysreg(PMU_CCNT, pmcntenset_el0);
	__asm__ volatile("isb");
}

static void backstop_arm(void)
{
	timer_virt_set_tval((int32_t)(PR_WAIT_US * (time_freq() / 1000000)));
	timer_virt_set_ctl(CNTV_ENABLE);
}

/* One overflow waited for as @how says; false once it never came. */
static bool prompt_round(char how)
{
	uint32_t before = pr_irqs;
	uint64_t t0;

	if (how == 'w' || how == 'f') {
		irq_mask();
		backstop_arm();
	}
	arm_ccnt(PR_CYCLES);
	t0 = time_us();
	if (how == 'l') {
		while (pr_irqs == before && time_us() - t0 < PR_WAIT_US)
			;
	} else {
		if (how == 'f')
			while (!(read_sysreg(pmovsset_el0) & PMU_CCNT) &&
			       time_us() - t0 < PR_WAIT_US)
				;
		while (pr_irqs == before && !pr_backstops) {
			__asm__ volatile("wfi");
			irq_unmask();
			irq_mask();
		}
		timer_virt_set_ctl(CNTV_IMASK);
		irq_unmask();
	}
	return pr_irqs == before + 1;
}

static void prompt_quiet(uint64_t ms)
{
	uint64_t t0 = time_us();

	/* Claimed and idle: no counter counts, none may interrupt. */
	write_sysreg(~0UL, pmcntenclr_el0);
	write_sysreg(~0UL, pmovsclr_el0);
	while (time_us() - t0 < ms * 1000)
		;
	EXPECT(pr_irqs == 0 && pr_idle == 0,
	       "quiet VM took %u PMU interrupts (%u with no overflow flag) "
	       "in %llu ms",
	       pr_irqs, pr_idle, (unsigned long long)ms);
	printf("# pmu_overflow_prompt: quiet for %llu ms\n",
	       (unsigned long long)ms);
}

static void prompt_phase(char how, uint64_t rounds, uint64_t bound)
{
	uint64_t worst = 0;
	uint32_t irqs0 = pr_irqs;

	for (uint64_t r = 0; r < rounds; r++) {
		if (!prompt_round(how)) {
			test_fail(
				"wait '%c', overflow %llu: %u interrupts "
				"(backstop %u; PMCCNTR 0x%llx PMOVSSET 0x%llx), "
				"want 1",
				how, (unsigned long long)r,
				pr_irqs - irqs0 - (uint32_t)r, pr_backstops,
				(unsigned long long)read_sysreg(pmccntr_el0),
				(unsigned long long)read_sysreg(pmovsset_el0));
			return;
		}
		if (pr_lat > worst)
			worst = pr_lat;
		if (pr_lat > bound) {
			test_fail("wait '%c', overflow %llu: handler %llu cycles "
				  "after it, bound %llu",
				  how, (unsigned long long)r,
				  (unsigned long long)pr_lat,
				  (unsigned long long)bound);
			return;
		}
	}
	/* Any late second one of the last overflow has come by now. */
	time_delay_us(2000);
	EXPECT(pr_irqs - irqs0 == rounds && pr_idle == 0,
	       "wait '%c': %u interrupts for %llu overflows, %u with no "
	       "overflow flag",
	       how, pr_irqs - irqs0, (unsigned long long)rounds, pr_idle);
	printf("# pmu_overflow_prompt: wait '%c': %llu overflows, %u "
	       "interrupts, worst %llu cycles (bound %llu)\n",
	       how, (unsigned long long)rounds, pr_irqs - irqs0,
	       (unsigned long long)worst, (unsigned long long)bound);
}

TEST_FLAGS(pmu_overflow_prompt, TEST_NAMED_ONLY)
{
	uint64_t dfr0 = read_sysreg(id_aa64dfr0_el1);
	unsigned int pmuver = (unsigned int)(dfr0 >> 8) & 0xf;
	uint64_t rounds = 100, bound_us = 1000, quiet_ms = 1000, bound;
	char waits[8] = "l";

	if (pmuver == 0 || pmuver == 0xf)
		SKIP("no PMUv3");
	if (!gic_init())
		FAIL("no GICv2 or GICv3 in the DTB");
	board_arg("waits", waits, sizeof(waits));
	board_arg_u64("rounds", &rounds);
	board_arg_u64("bound_us", &bound_us);
	board_arg_u64("quiet_ms", &quiet_ms);
	pr_irqs = pr_idle = pr_backstops = 0;
	gic_set_handler(PMU_PPI, prompt_handler, NULL);
	gic_set_edge(PMU_PPI, false);
	gic_set_enable(PMU_PPI, true);
	gic_set_handler(timer_virt_intid(), backstop_handler, NULL);
	gic_set_edge(timer_virt_intid(), false);
	gic_set_enable(timer_virt_intid(), true);
	write_sysreg(0, pmccfiltr_el0); /* EL1 and EL0 */
	write_sysreg(PMU_CCNT, pmintenclr_el1);
	write_sysreg(read_sysreg(pmcr_el0) | PMCR_E | PMCR_LC, pmcr_el0);
	write_sysreg(PMU_CCNT, pmcntenset_el0);
	__asm__ volatile("isb");
	bound = bound_us * cycles_per_us();
	write_sysreg(PMU_CCNT, pmintenset_el1);
	irq_unmask();
	for (const char *w = waits; *w && !test_failed(); w++)
		if (*w == 'q')
			prompt_quiet(quiet_ms);
		else
			prompt_phase(*w, rounds, bound);
	irq_mask();
	write_sysreg(PMU_CCNT, pmcntenclr_el0);
	write_sysreg(PMU_CCNT, pmintenclr_el1);
	write_sysreg(PMU_CCNT, pmovsclr_el0);
	timer_virt_set_ctl(CNTV_IMASK);
	gic_set_enable(PMU_PPI, false);
	gic_set_enable(timer_virt_intid(), false);
	gic_set_handler(PMU_PPI, NULL, NULL);
	gic_set_handler(timer_virt_intid(), NULL, NULL);
}
