// SPDX-License-Identifier: MIT
/* PSCI and SMCCC as a guest sees them: version, features, CPU power. */
#include <lg/probe.h>
#include <libguest.h>
#include <string.h>

#define CYCLES 3
#define WAIT_US 2000000

/* Not a PSCI function, nor (we hope) anything a hypervisor implements. */
#define FID_UNKNOWN_PSCI 0x8400ff00U

TEST(psci_version)
{
	static const uint32_t needed[] = { PSCI_VERSION,    PSCI_CPU_ON,
					   PSCI_CPU_OFF,    PSCI_AFFINITY_INFO,
					   PSCI_SYSTEM_OFF, PSCI_SYSTEM_RESET };
	int32_t v = psci_version();
	int32_t f;

	printf("# PSCI_VERSION 0x%x (%d.%d)\n", (unsigned int)v, v >> 16,
	       v & 0xffff);
	EXPECT(v >= 0x10000, "PSCI_VERSION = 0x%x, want >= 0x10000 (1.0)",
	       (unsigned int)v);
	for (unsigned int i = 0; i < sizeof(needed) / sizeof(needed[0]); i++) {
		f = psci_features(needed[i]);
		EXPECT(f >= 0,
		       "PSCI_FEATURES(0x%x) = %d, want >= 0 (supported)",
		       needed[i], (int)f);
	}
	f = psci_features(FID_UNKNOWN_PSCI);
	EXPECT(f == PSCI_RET_NOT_SUPPORTED,
	       "PSCI_FEATURES(0x%x, unknown) = %d, want -1 (NOT_SUPPORTED)",
	       FID_UNKNOWN_PSCI, (int)f);
}

TEST(hvc_unknown)
{
	/* Unused ids in the SiP, OEM and standard service ranges, 32 and
	 * 64-bit calling conventions (SMCCC, Arm DEN 0028, 2.5). */
	static const uint32_t fids[] = { 0x8200ff00U,      0xc200ff00U,
					 0x8300ff00U,      0xc300ff00U,
					 FID_UNKNOWN_PSCI, 0xc400ff00U };
	struct exc_record rec;

	for (unsigned int i = 0; i < sizeof(fids) / sizeof(fids[0]); i++) {
		uint64_t ret;

		exc_catch_begin();
		ret = hvc_call(fids[i], 1, 2, 3);
		EXPECT(!exc_catch_end(&rec),
		       "HVC 0x%x raised an exception: EC 0x%llx (%s)", fids[i],
		       (unsigned long long)ESR_EC(rec.esr),
		       exc_ec_name(ESR_EC(rec.esr)));
		EXPECT(ret == SMCCC_RET_UNKNOWN,
		       "HVC 0x%x returned x0 = 0x%llx, want -1 (0xffffffffffffffff)",
		       fids[i], (unsigned long long)ret);
	}
}

/* psci_cpus: what each secondary reports, and when it may turn off. */
static struct {
	uint64_t marker[LG_MAX_CPUS];
	uint64_t mpidr[LG_MAX_CPUS];
	uint32_t go_off[LG_MAX_CPUS];
} cpus;

static uint64_t cpus_mark(unsigned int idx, uint64_t cycle)
{
	return 0x6d61726b00000000UL | cycle << 8 | idx;
}

static void cpus_secondary(void *arg)
{
	unsigned int idx = cpu_index();

	cpus.mpidr[idx] = read_sysreg(mpidr_el1) & MPIDR_AFF_MASK;
	__atomic_store_n(&cpus.marker[idx], cpus_mark(idx, (uintptr_t)arg),
			 __ATOMIC_RELEASE);
	sev();
	while (!__atomic_load_n(&cpus.go_off[idx], __ATOMIC_ACQUIRE))
		wfe();
}

struct cpus_wait {
	unsigned int idx;
	uint64_t want;
};

static bool cpus_marked(void *arg)
{
	const struct cpus_wait *w = arg;

	return __atomic_load_n(&cpus.marker[w->idx], __ATOMIC_ACQUIRE) ==
	       w->want;
}

static bool cpus_is_off(void *arg)
{
	const struct cpus_wait *w = arg;

	return psci_affinity_info(board_cpu_mpidr(w->idx)) == PSCI_AFF_OFF;
}

static void cpus_release_all(void)
{
	for (unsigned int i = 0; i < LG_MAX_CPUS; i++)
		__atomic_store_n(&cpus.go_off[i], 1, __ATOMIC_RELEASE);
	sev();
}

/* One cycle: every secondary on, checked, off. False once failed. */
static bool cpus_cycle(unsigned int n, uint64_t cycle)
{
	for (unsigned int i = 1; i < n; i++) {
		int32_t ret;

		cpus.marker[i] = 0;
		cpus.go_off[i] = 0;
		ret = cpu_start(i, cpus_secondary, (void *)(uintptr_t)cycle);
		if (ret != PSCI_RET_SUCCESS) {
			test_fail("cycle %llu: CPU_ON(MPIDR 0x%llx) = %d",
				  (unsigned long long)cycle,
				  (unsigned long long)board_cpu_mpidr(i),
				  (int)ret);
			return false;
		}
	}
	for (unsigned int i = 1; i < n; i++) {
		uint64_t mpidr = board_cpu_mpidr(i);
		struct cpus_wait w = { i, cpus_mark(i, cycle) };
		int32_t ret;

		if (!time_wait_for(cpus_marked, &w, WAIT_US)) {
			test_fail(
				"cycle %llu: CPU%u (MPIDR 0x%llx) did not run within 2 s (marker 0x%llx, AFFINITY_INFO %d)",
				(unsigned long long)cycle, i,
				(unsigned long long)mpidr,
				(unsigned long long)cpus.marker[i],
				(int)psci_affinity_info(mpidr));
			return false;
		}
		if (cpus.mpidr[i] != mpidr) {
			test_fail(
				"cycle %llu: CPU%u runs with MPIDR 0x%llx, the DTB says 0x%llx",
				(unsigned long long)cycle, i,
				(unsigned long long)cpus.mpidr[i],
				(unsigned long long)mpidr);
			return false;
		}
		ret = psci_affinity_info(mpidr);
		if (ret != PSCI_AFF_ON) {
			test_fail(
				"cycle %llu: AFFINITY_INFO(0x%llx) of a running CPU = %d, want 0 (ON)",
				(unsigned long long)cycle,
				(unsigned long long)mpidr, (int)ret);
			return false;
		}
		ret = cpu_start(i, cpus_secondary, (void *)(uintptr_t)cycle);
		if (ret != PSCI_RET_ALREADY_ON) {
			test_fail(
				"cycle %llu: CPU_ON(0x%llx) of a running CPU = %d, want -4 (ALREADY_ON)",
				(unsigned long long)cycle,
				(unsigned long long)mpidr, (int)ret);
			return false;
		}
	}
	cpus_release_all();
	for (unsigned int i = 1; i < n; i++) {
		struct cpus_wait w = { i, 0 };

		if (!time_wait_for(cpus_is_off, &w, WAIT_US)) {
			test_fail(
				"cycle %llu: CPU%u called CPU_OFF but AFFINITY_INFO = %d after 2 s, want 1 (OFF)",
				(unsigned long long)cycle, i,
				(int)psci_affinity_info(board_cpu_mpidr(i)));
			return false;
		}
	}
	return true;
}

TEST(psci_cpus)
{
	unsigned int n = board_cpu_count();
	uint64_t want;
	int32_t self;

	printf("# %u CPUs in the DTB\n", n);
	if (board_arg_u64("ncpus", &want))
		EXPECT(n == want, "the DTB lists %u CPUs, ncpus=%llu expected",
		       n, (unsigned long long)want);
	EXPECT(n >= 2, "the DTB lists %u CPU: no secondary to bring up", n);
	self = psci_affinity_info(board_cpu_mpidr(0));
	EXPECT(self == PSCI_AFF_ON, "AFFINITY_INFO of the calling CPU = %d",
	       (int)self);
	for (uint64_t cycle = 0; cycle < CYCLES; cycle++) {
		if (!cpus_cycle(n, cycle))
			break;
		printf("# cycle %llu: CPUs 1-%u on, checked, off\n",
		       (unsigned long long)cycle, n - 1);
	}
	cpus_release_all();
}

static int32_t off_ret = 1; /* 1: SYSTEM_OFF has not returned */

static void off_secondary(void *arg)
{
	(void)arg;
	printf("# CPU%u: PSCI SYSTEM_OFF\n", cpu_index());
	fflush(stdout);
	__atomic_store_n(&off_ret, psci_system_off(), __ATOMIC_RELEASE);
}

/*
 * A secondary CPU turns the whole system off. The VM must stop: this test
 * never prints a verdict when it works; the harness checks the VM is gone.
 */
TEST_FLAGS(psci_off_secondary, TEST_NAMED_ONLY)
{
	int32_t ret;

	EXPECT(board_cpu_count() >= 2, "needs 2 CPUs, the DTB lists %u",
	       board_cpu_count());
	ret = cpu_start(1, off_secondary, NULL);
	EXPECT(ret == PSCI_RET_SUCCESS, "CPU_ON(CPU1) = %d", (int)ret);
	time_delay_us(3000000);
	ret = __atomic_load_n(&off_ret, __ATOMIC_ACQUIRE);
	if (ret == 1)
		FAIL("still running 3 s after CPU1 called SYSTEM_OFF (it has not returned)");
	FAIL("still running: SYSTEM_OFF on CPU1 returned %d", (int)ret);
}
