// SPDX-License-Identifier: MIT
/*
 * FP/SIMD state survives being descheduled: every CPU fills v0-v31 and
 * FPCR with its own pattern, then checks them over and over, waiting with
 * WFE in between so a hypervisor may run another vCPU (or VM) on the same
 * physical CPU. Meant for two vCPUs sharing a pCPU under Kairos; seed=
 * gives each VM its own patterns, iters= the number of checks. `corrupt`
 * makes the last CPU overwrite its registers halfway, to show the check
 * sees it (the test must then fail).
 *
 * The rest of the guest is built -mgeneral-regs-only, so no compiled code
 * touches the vector registers between the asm statements below; that is
 * also why they do not declare v0-v31 clobbered.
 */
#include <libguest.h>

#define FP_ITERS 200000
#define FP_WAIT_US 60000000
#define FPCR_RMODE_SHIFT 22
#define FPCR_FZ (1UL << 24)

/** One CPU's outcome. */
struct fp_result {
	uint32_t done;
	uint64_t progress; /**< iterations done so far (atomic) */
	uint64_t overlaps; /**< times others progressed during our loop */
	int32_t bad_reg;   /**< -1: intact; 0-31: v<n>; 32: FPCR */
	uint64_t bad_iter;
	uint64_t want;
	uint64_t got_lo;
	uint64_t got_hi;
};

static struct fp_result fp_results[LG_MAX_CPUS];
static uint64_t fp_iters, fp_seed;
static bool fp_corrupt;

static uint64_t fp_pattern(unsigned int cpu)
{
	return 0x5a00000000000000UL ^ (fp_seed << 16) ^
	       ((uint64_t)(cpu + 1) << 40) ^ 0x0123456789a0UL;
}

static uint64_t fp_fpcr(unsigned int cpu)
{
	return ((uint64_t)(cpu & 3) << FPCR_RMODE_SHIFT) |
	       (fp_seed & 1 ? FPCR_FZ : 0);
}

/* v<n> = { lo: pattern + n, hi: ~(pattern + n) }. */
static void fp_fill(uint64_t pattern)
{
	__asm__ volatile(
		".irp n,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n"
		"add	x9, %0, #\\n\n"
		"fmov	d\\n, x9\n"
		"mvn	x9, x9\n"
		"mov	v\\n\\().d[1], x9\n"
		".endr\n"
		:
		: "r"(pattern)
		: "x9", "memory");
}

/* Returns the first v<n> that differs (32: none), its halves in @lo/@hi. */
static unsigned int fp_check(uint64_t pattern, uint64_t *lo, uint64_t *hi)
{
	uint64_t bad, l, h, t;

	__asm__ volatile(
		".irp n,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n"
		"mov	%0, #\\n\n"
		"fmov	%1, d\\n\n"
		"mov	%2, v\\n\\().d[1]\n"
		"add	%3, %4, #\\n\n"
		"cmp	%1, %3\n"
		"b.ne	9f\n"
		"mvn	%3, %3\n"
		"cmp	%2, %3\n"
		"b.ne	9f\n"
		".endr\n"
		"mov	%0, #32\n"
		"9:\n"
		: "=&r"(bad), "=&r"(l), "=&r"(h), "=&r"(t)
		: "r"(pattern)
		: "cc", "memory");
	*lo = l;
	*hi = h;
	return (unsigned int)bad;
}

/* Sum of the other CPUs' progress. */
static uint64_t others_progress(unsigned int self)
{
	uint64_t sum = 0;

	for (unsigned int i = 0; i < board_cpu_count(); i++)
		if (i != self)
			sum += __atomic_load_n(&fp_results[i].progress,
					       __ATOMIC_RELAXED);
	return sum;
}

static void fp_worker(void *arg)
{
	unsigned int cpu = cpu_index();
	struct fp_result *r = &fp_results[cpu];
	uint64_t pattern = fp_pattern(cpu);
	uint64_t fpcr = fp_fpcr(cpu);

	(void)arg;
	r->bad_reg = -1;
	uint64_t seen = others_progress(cpu);

	write_sysreg(fpcr, fpcr);
	fp_fill(pattern);
	for (uint64_t it = 0; it < fp_iters && r->bad_reg < 0; it++) {
		unsigned int bad = fp_check(pattern, &r->got_lo, &r->got_hi);
		uint64_t got = read_sysreg(fpcr);
		uint64_t now = others_progress(cpu);

		if (now != seen && !__atomic_load_n(&r->done, __ATOMIC_RELAXED))
			r->overlaps++;
		seen = now;
		__atomic_store_n(&r->progress, it + 1, __ATOMIC_RELAXED);

		if (fp_corrupt && cpu == board_cpu_count() - 1 &&
		    it == fp_iters / 2)
			fp_fill(~pattern);
		if (bad < 32) {
			r->bad_reg = (int32_t)bad;
			r->bad_iter = it;
			r->want = pattern + bad;
		} else if (got != fpcr) {
			r->bad_reg = 32;
			r->bad_iter = it;
			r->want = fpcr;
			r->got_lo = got;
		}
		wfe();
	}
	write_sysreg(0, fpcr);
	__atomic_store_n(&r->done, 1, __ATOMIC_RELEASE);
	sev();
}

static bool fp_all_done(void *arg)
{
	unsigned int n = *(const unsigned int *)arg;

	for (unsigned int i = 0; i < n; i++) {
		if (!__atomic_load_n(&fp_results[i].done, __ATOMIC_ACQUIRE))
			return false;
	}
	return true;
}

TEST(fp_preserved)
{
	unsigned int n = board_cpu_count();

	if (!board_arg_u64("iters", &fp_iters))
		fp_iters = FP_ITERS;
	if (!board_arg_u64("seed", &fp_seed))
		fp_seed = 0;
	fp_corrupt = board_arg("corrupt", NULL, 0);
	printf("# %u CPUs, %llu checks each, seed %llu\n", n,
	       (unsigned long long)fp_iters, (unsigned long long)fp_seed);
	for (unsigned int i = 0; i < n; i++)
		fp_results[i] = (struct fp_result){ .bad_reg = -1 };
	for (unsigned int i = 1; i < n; i++) {
		int32_t ret = cpu_start(i, fp_worker, NULL);

		EXPECT(ret == PSCI_RET_SUCCESS, "CPU_ON(CPU%u) = %d", i,
		       (int)ret);
	}
	fp_worker(NULL);
	EXPECT(time_wait_for(fp_all_done, &n, FP_WAIT_US),
	       "not every CPU finished within 60 s");
	for (unsigned int i = 0; i < n; i++) {
		const struct fp_result *r = &fp_results[i];

		if (r->bad_reg == 32)
			FAIL("CPU%u: FPCR 0x%llx after %llu checks, want 0x%llx",
			     i, (unsigned long long)r->got_lo,
			     (unsigned long long)r->bad_iter,
			     (unsigned long long)r->want);
		EXPECT(r->bad_reg < 0,
		       "CPU%u: v%d = {0x%016llx, 0x%016llx} after %llu checks, want {0x%016llx, 0x%016llx}",
		       i, (int)r->bad_reg, (unsigned long long)r->got_lo,
		       (unsigned long long)r->got_hi,
		       (unsigned long long)r->bad_iter,
		       (unsigned long long)r->want,
		       (unsigned long long)~r->want);
		/*
		 * Only meaningful if the CPUs' loops overlapped: on a shared
		 * pCPU that means vCPU switches happened mid-loop.
		 */
		EXPECT(n == 1 || r->overlaps >= 2,
		       "CPU%u: saw other CPUs progress only %llu times during its loop; no interleaving to test",
		       i, (unsigned long long)r->overlaps);
		printf("# CPU%u: %llu checks, others progressed %llu times meanwhile\n",
		       i, (unsigned long long)r->progress,
		       (unsigned long long)r->overlaps);
	}
	/* Secondaries turn themselves off after fp_worker: wait for it. */
	for (unsigned int i = 1; i < n; i++) {
		for (int t = 0;
		     t < 2000 &&
		     psci_affinity_info(board_cpu_mpidr(i)) != PSCI_AFF_OFF;
		     t++)
			time_delay_us(1000);
	}
}
