// SPDX-License-Identifier: MIT
/*
 * The innocent VM (run only when named): beside the hostile ones, on the
 * same pCPU, it arms its virtual timer again and again (0.2-3 ms ahead)
 * and waits for it in WFI, measuring how late each interrupt comes; it
 * keeps a pattern in 8 MiB of its RAM and checks a slice of it every
 * round. It runs until 'q' arrives on its console and it has done
 * min_rounds= rounds (or secs= pass), then checks the whole pattern and
 * reports. The PMU and debug registers it
 * set at the start are reported too: values a hostile VM left there
 * (sys_leak_plant) would be a leak between VMs.
 */
#include "hostile.h"

#define PATTERN_OFFSET 0x2000000UL
#define PATTERN_SIZE 0x800000UL
#define SLICE 0x10000UL
#define LOST_US 200000
#define WARMUP_MS 50
#define INNO_PMU 0x696e6e6fUL
#define INNO_DBG 0x696e0000UL

static volatile uint32_t tick_count;
static volatile uint64_t tick_now;

static void tick(struct gic_irq *irq, void *arg)
{
	(void)irq;
	(void)arg;
	tick_now = time_ticks();
	timer_virt_set_ctl(TIMER_CTL_ENABLE | TIMER_CTL_IMASK);
	tick_count++;
}

static uint64_t pat(uint64_t addr)
{
	return addr * 0x9e3779b97f4a7c15UL ^ 0x1a0cc0de;
}

/* Checks [@from, @to) of the pattern; the first bad address or 0. */
static uint64_t pattern_check(uint64_t from, uint64_t to)
{
	for (uint64_t a = from; a < to; a += 8)
		if (*(volatile uint64_t *)(uintptr_t)a != pat(a))
			return a;
	return 0;
}

static bool leak_regs(void)
{
	uint64_t pmu = (read_sysreg(id_aa64dfr0_el1) >> 8) & 0xf;

	return pmu != 0 && pmu != 0xf &&
	       ((read_sysreg(id_aa64dfr0_el1) >> 12) & 0xf) >= 1;
}

static void leak_set(void)
{
	write_sysreg(1, pmcntenclr_el0);
	write_sysreg(INNO_PMU, pmevcntr0_el0);
	write_sysreg(0, dbgbcr1_el1);
	write_sysreg(0, dbgwcr1_el1);
	write_sysreg(INNO_DBG, dbgbvr1_el1);
	write_sysreg(INNO_DBG, dbgwvr1_el1);
	isb();
}

static void leak_report(void)
{
	uint64_t p = read_sysreg(pmevcntr0_el0);
	uint64_t b = read_sysreg(dbgbvr1_el1), w = read_sysreg(dbgwvr1_el1);

	printf("# innocent: PMU %s: PMEVCNTR0 0x%llx (set 0x%lx)\n",
	       p == INNO_PMU ? "kept" : "changed", (unsigned long long)p,
	       INNO_PMU);
	printf("# innocent: debug %s: DBGBVR1 0x%llx DBGWVR1 0x%llx (set 0x%lx)\n",
	       b == INNO_DBG && w == INNO_DBG ? "kept" : "changed",
	       (unsigned long long)b, (unsigned long long)w, INNO_DBG);
}

TEST_FLAGS(innocent, TEST_NAMED_ONLY)
{
	uint64_t late_us = 1000, secs = 600, base = ram_base() + PATTERN_OFFSET;
	uint64_t max_late = 0, rounds = 0, rng = 1, bad, slice = 0, t0;
	unsigned int reported = 0;
	uint64_t min_rounds = 0;
	bool quit = false;
	unsigned int intid = timer_virt_intid();

	outcome("beside the hostile VMs: every timer interrupt within late_us= of its deadline, none lost, the RAM pattern intact");
	board_arg_u64("late_us", &late_us);
	board_arg_u64("secs", &secs);
	board_arg_u64("min_rounds", &min_rounds);
	EXPECT(board_is_ram(base, PATTERN_SIZE),
	       "0x%llx + 8 MiB is not RAM: give the VM 64 MiB or more",
	       (unsigned long long)base);
	for (uint64_t a = base; a < base + PATTERN_SIZE; a += 8)
		*(volatile uint64_t *)(uintptr_t)a = pat(a);
	if (leak_regs())
		leak_set();
	irq_mask();
	gic_init();
	gic_set_handler(intid, tick, NULL);
	gic_set_enable(intid, true);
	printf("# innocent: running (late_us=%llu); 'q' on the console ends it\n",
	       (unsigned long long)late_us);
	fflush(stdout);
	t0 = time_us();
	for (;;) {
		uint64_t delta, cval, wait_end, late;
		uint32_t before = tick_count;
		int c;

		rng = rng * 6364136223846793005UL + 1442695040888963407UL;
		delta = time_freq() / 5000 +
			(rng >> 33) % (time_freq() * 28 / 10000);
		/*
		 * Round 0 waits WARMUP_MS, not judged: filling the pattern
		 * spent this vCPU's credit, and an overdrawn vCPU is not
		 * boosted until it has waited (docs/user-guide.md,
		 * "Starvation guard").
		 */
		if (rounds == 0)
			delta = time_freq() * WARMUP_MS / 1000;
		cval = time_ticks() + delta;
		timer_virt_set_cval(cval);
		timer_virt_set_ctl(TIMER_CTL_ENABLE);
		wait_end = time_us() + LOST_US + delta * 1000000 / time_freq();
		while (tick_count == before && time_us() < wait_end) {
			__asm__ volatile("wfi" ::: "memory");
			irq_unmask();
			isb();
			irq_mask();
		}
		if (tick_count == before)
			FAIL("round %llu: the timer interrupt never came (CVAL 0x%llx)",
			     (unsigned long long)rounds,
			     (unsigned long long)cval);
		EXPECT(tick_count == before + 1,
		       "round %llu: %u interrupts for one arming",
		       (unsigned long long)rounds, tick_count - before);
		EXPECT(tick_now >= cval,
		       "round %llu: interrupt before the deadline",
		       (unsigned long long)rounds);
		late = rounds ? (tick_now - cval) * 1000000 / time_freq() : 0;
		if (late > max_late)
			max_late = late;
		if (late > late_us && reported++ < 10) {
			printf("# innocent: round %llu: %llu us late\n",
			       (unsigned long long)rounds,
			       (unsigned long long)late);
			fflush(stdout);
		}
		bad = pattern_check(base + slice, base + slice + SLICE);
		EXPECT(!bad, "round %llu: RAM at 0x%llx changed to 0x%llx",
		       (unsigned long long)rounds, (unsigned long long)bad,
		       (unsigned long long)*(
			       volatile uint64_t *)(uintptr_t)bad);
		slice = (slice + SLICE) % PATTERN_SIZE;
		rounds++;
		c = uart_getc();
		quit = quit || c == 'q';
		if ((quit && rounds >= min_rounds) ||
		    time_us() - t0 > secs * 1000000)
			break;
	}
	timer_virt_set_ctl(0);
	gic_set_enable(intid, false);
	gic_set_handler(intid, NULL, NULL);
	bad = pattern_check(base, base + PATTERN_SIZE);
	printf("# innocent: %llu rounds in %llu ms, max lateness %llu us, pattern %s\n",
	       (unsigned long long)rounds,
	       (unsigned long long)((time_us() - t0) / 1000),
	       (unsigned long long)max_late, bad ? "CHANGED" : "intact");
	if (leak_regs())
		leak_report();
	EXPECT(!bad, "RAM at 0x%llx changed", (unsigned long long)bad);
	EXPECT(max_late <= late_us,
	       "a timer interrupt came %llu us late (limit %llu us)",
	       (unsigned long long)max_late, (unsigned long long)late_us);
}
