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
	irq_unmask();
	t0 = time_us();
	/*
	 * Waits in WFI once the overflow flag is up: whether a counter
	 * counts in WFI is IMPLEMENTATION DEFINED, and under Kairos a vCPU
	 * blocked in WFI counts nothing (its PMU is switched out).
	 */
	while (!__atomic_load_n(&pmu_irqs, __ATOMIC_RELAXED) &&
	       time_us() - t0 < PMU_WAIT_US)
		if (read_sysreg(pmovsset_el0) & PMU_CCNT)
			__asm__ volatile("wfi");
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
