// SPDX-License-Identifier: MIT
/*
 * HVC, SMC and PSCI (DEN0022) / SMCCC (DEN0028): every function with bad
 * arguments, the SMC32 and SMC64 forms, unknown function IDs, nonzero HVC
 * immediates, SMC, CPU_ON races and storms; and (run only when named,
 * each stops or resets its VM) SYSTEM_OFF and SYSTEM_RESET from a
 * secondary vCPU.
 */
#include "hostile.h"

#define PSCI_INVALID_ADDRESS (-9)
#define PSCI_CPU_SUSPEND64 0xc4000001U
#define PSCI_CPU_ON32 0x84000003U
#define PSCI_AFFINITY_INFO32 0x84000004U
#define SMCCC_VERSION 0x80000000U
#define SMCCC_ARCH_FEATURES 0x80000001U

void hs_secondary_entry(void);
extern volatile uint64_t hs_secondary_ctx, hs_secondary_runs;

static uint64_t secondary_read(volatile uint64_t *p)
{
	/* Written with the MMU off (non-cacheable) by the secondary. */
	__asm__ volatile("dc civac, %0\n\tdsb sy" : : "r"(p) : "memory");
	return *p;
}

static bool wait_off(uint64_t mpidr)
{
	for (unsigned int i = 0; i < 20000; i++) {
		if (psci_affinity_info(mpidr) == PSCI_AFF_OFF)
			return true;
		time_delay_us(100);
	}
	return false;
}

static int64_t call(uint64_t fid, uint64_t a1, uint64_t a2, uint64_t a3)
{
	return (int64_t)hvc_call(fid, a1, a2, a3);
}

TEST(psci_cpu_on_bad_mpidr)
{
	static const uint64_t bad[] = {
		0x2,     0x7,           0xff,           0x100,
		0x10000, 0x100000000UL, 0xff00ffffffUL, ~0UL
	};
	uint64_t entry = (uint64_t)(uintptr_t)hs_secondary_entry;

	outcome("CPU_ON (SMC64) of MPIDRs the VM does not have (Aff0 past its vCPUs, Aff1-3 set, all ones): INVALID_PARAMETERS (-2)");
	for (unsigned int i = 0; i < ARRAY_SIZE(bad); i++) {
		int64_t r = call(PSCI_CPU_ON, bad[i], entry, 0);

		EXPECT(r == PSCI_RET_INVALID_PARAMS,
		       "CPU_ON(0x%llx) = %lld, want -2",
		       (unsigned long long)bad[i], (long long)r);
	}
}

TEST(psci_cpu_on_already_on)
{
	uint64_t self = read_sysreg(mpidr_el1) & MPIDR_AFF_MASK;
	int64_t r;

	outcome("CPU_ON of the calling vCPU (it is on): ALREADY_ON (-4), with a good and a bad entry point (-4 or -9)");
	r = call(PSCI_CPU_ON, self, (uint64_t)(uintptr_t)hs_secondary_entry, 0);
	EXPECT(r == PSCI_RET_ALREADY_ON, "CPU_ON(self) = %lld, want -4",
	       (long long)r);
	r = call(PSCI_CPU_ON, self, 0x3, 0);
	EXPECT(r == PSCI_RET_ALREADY_ON || r == PSCI_INVALID_ADDRESS,
	       "CPU_ON(self, entry 0x3) = %lld, want -4 or -9", (long long)r);
}

TEST(psci_cpu_on_smc32_upper)
{
	uint64_t mpidr, entry = (uint64_t)(uintptr_t)hs_secondary_entry;
	uint64_t runs;
	int64_t r;

	outcome("CPU_ON (SMC32) with garbage in the upper halves of the MPIDR, entry and context: they are ignored; the vCPU starts with x0 = the lower 32 bits");
	if (!need_two_cpus())
		return;
	mpidr = board_cpu_mpidr(1);
	EXPECT(wait_off(mpidr), "CPU1 is not off");
	runs = secondary_read(&hs_secondary_runs);
	r = call(PSCI_CPU_ON32, 0xbeef000000000000UL | mpidr,
		 0xdead000000000000UL | entry, 0xf00d000012345678UL);
	EXPECT(r == PSCI_RET_SUCCESS, "CPU_ON32 = %lld, want 0", (long long)r);
	EXPECT(wait_off(mpidr), "CPU1 never turned off again");
	EXPECT(secondary_read(&hs_secondary_runs) == runs + 1,
	       "CPU1 ran %llu times, want 1",
	       (unsigned long long)(secondary_read(&hs_secondary_runs) - runs));
	EXPECT(secondary_read(&hs_secondary_ctx) == 0x12345678UL,
	       "CPU1 started with x0 = 0x%llx, want 0x12345678",
	       (unsigned long long)secondary_read(&hs_secondary_ctx));
}

TEST(psci_cpu_on_race)
{
	uint64_t mpidr, entry = (uint64_t)(uintptr_t)hs_secondary_entry;
	uint64_t runs;
	unsigned int ok = 0;

	outcome("CPU_ON twice back to back, 100 times: the second is SUCCESS only if the first had already turned off, else ALREADY_ON or ON_PENDING; the vCPU ran once per SUCCESS");
	if (!need_two_cpus())
		return;
	mpidr = board_cpu_mpidr(1);
	EXPECT(wait_off(mpidr), "CPU1 is not off");
	runs = secondary_read(&hs_secondary_runs);
	for (unsigned int i = 0; i < 100; i++) {
		int64_t a = call(PSCI_CPU_ON, mpidr, entry, i);
		int64_t b = call(PSCI_CPU_ON, mpidr, entry, i);

		EXPECT(a == PSCI_RET_SUCCESS, "round %u: first CPU_ON = %lld",
		       i, (long long)a);
		EXPECT(b == PSCI_RET_SUCCESS || b == PSCI_RET_ALREADY_ON ||
			       b == PSCI_RET_ON_PENDING,
		       "round %u: second CPU_ON = %lld", i, (long long)b);
		ok += b == PSCI_RET_SUCCESS ? 2U : 1U;
		EXPECT(wait_off(mpidr), "round %u: CPU1 never turned off", i);
	}
	EXPECT(secondary_read(&hs_secondary_runs) - runs == ok,
	       "CPU1 ran %llu times for %u successful CPU_ONs",
	       (unsigned long long)(secondary_read(&hs_secondary_runs) - runs),
	       ok);
}

TEST(psci_cpu_on_storm)
{
	uint64_t mpidr, entry = (uint64_t)(uintptr_t)hs_secondary_entry;
	uint64_t runs, t0 = time_us();
	unsigned int ok = 0, busy = 0;

	outcome("CPU_ON in a tight loop for 50 ms against a vCPU that turns itself off at once: only SUCCESS, ALREADY_ON, ON_PENDING; one run per SUCCESS");
	if (!need_two_cpus())
		return;
	mpidr = board_cpu_mpidr(1);
	EXPECT(wait_off(mpidr), "CPU1 is not off");
	runs = secondary_read(&hs_secondary_runs);
	while (time_us() - t0 < 50000) {
		int64_t r = call(PSCI_CPU_ON, mpidr, entry, ok);

		if (r == PSCI_RET_SUCCESS)
			ok++;
		else if (r == PSCI_RET_ALREADY_ON || r == PSCI_RET_ON_PENDING)
			busy++;
		else
			FAIL("CPU_ON = %lld", (long long)r);
	}
	EXPECT(wait_off(mpidr), "CPU1 never turned off");
	printf("# %u CPU_ON succeeded, %u found it on\n", ok, busy);
	EXPECT(secondary_read(&hs_secondary_runs) - runs == ok,
	       "CPU1 ran %llu times for %u successful CPU_ONs",
	       (unsigned long long)(secondary_read(&hs_secondary_runs) - runs),
	       ok);
}

TEST(psci_affinity_bad)
{
	uint64_t self = read_sysreg(mpidr_el1) & MPIDR_AFF_MASK;
	int64_t r;

	outcome("AFFINITY_INFO of absent MPIDRs, or with a lowest affinity level 1-3 or garbage: INVALID_PARAMETERS (-2)");
	r = call(PSCI_AFFINITY_INFO, 0x5, 0, 0);
	EXPECT(r == PSCI_RET_INVALID_PARAMS, "AFFINITY_INFO(0x5) = %lld",
	       (long long)r);
	r = call(PSCI_AFFINITY_INFO, ~0UL, 0, 0);
	EXPECT(r == PSCI_RET_INVALID_PARAMS, "AFFINITY_INFO(~0) = %lld",
	       (long long)r);
	for (uint64_t lvl = 1; lvl < 4; lvl++) {
		r = call(PSCI_AFFINITY_INFO, self, lvl, 0);
		EXPECT(r == PSCI_RET_INVALID_PARAMS,
		       "AFFINITY_INFO(self, level %llu) = %lld",
		       (unsigned long long)lvl, (long long)r);
	}
	r = call(PSCI_AFFINITY_INFO, self, ~0UL, 0);
	EXPECT(r == PSCI_RET_INVALID_PARAMS,
	       "AFFINITY_INFO(self, level ~0) = %lld", (long long)r);
	r = call(PSCI_AFFINITY_INFO32, self, 0x100000000UL, 0);
	EXPECT(r == PSCI_AFF_ON,
	       "AFFINITY_INFO32(self, level 0 with upper garbage) = %lld, want 0 (ON)",
	       (long long)r);
}

TEST(psci_cpu_suspend_garbage)
{
	int64_t r;

	outcome("CPU_SUSPEND (SMC32 and SMC64) with garbage power states and entry points outside RAM: a standby (returns SUCCESS on the next interrupt), registers intact");
	irq_mask();
	for (unsigned int i = 0; i < 2; i++) {
		timer_virt_set_ctl(TIMER_CTL_ENABLE | TIMER_CTL_IMASK);
		timer_virt_set_tval((int32_t)(time_freq() / 1000));
		timer_virt_set_ctl(TIMER_CTL_ENABLE);
		r = call(i ? PSCI_CPU_SUSPEND64 : 0x84000001U, ~0UL, 0x10,
			 ~0UL);
		timer_virt_set_ctl(0);
		EXPECT(r == PSCI_RET_SUCCESS,
		       "CPU_SUSPEND(%s, 0xffffffff, entry 0x10) = %lld, want 0",
		       i ? "SMC64" : "SMC32", (long long)r);
	}
}

TEST(psci_garbage_args)
{
	int64_t r;

	outcome("the implemented PSCI/SMCCC functions that take no arguments (PSCI_VERSION, MIGRATE_INFO_TYPE, SMCCC_VERSION), and PSCI_FEATURES, with all ones in x1-x3: the same answers as without");
	r = call(PSCI_VERSION, ~0UL, ~0UL, ~0UL);
	EXPECT(r == 0x10001, "PSCI_VERSION = 0x%llx", (unsigned long long)r);
	r = call(0x84000006U, ~0UL, ~0UL, ~0UL);
	EXPECT(r == 2, "MIGRATE_INFO_TYPE = %lld, want 2", (long long)r);
	r = call(SMCCC_VERSION, ~0UL, ~0UL, ~0UL);
	EXPECT(r == 0x10001, "SMCCC_VERSION = 0x%llx", (unsigned long long)r);
	r = call(PSCI_FEATURES, PSCI_SYSTEM_OFF, ~0UL, ~0UL);
	EXPECT(r == 0, "PSCI_FEATURES(SYSTEM_OFF, garbage) = %lld",
	       (long long)r);
	r = call(PSCI_FEATURES, 0xffffffff00000000UL | PSCI_VERSION, 0, 0);
	EXPECT(r == 0,
	       "PSCI_FEATURES(PSCI_VERSION, x1[63:32] set: SMC32) = %lld",
	       (long long)r);
}

TEST(psci_unimplemented)
{
	static const uint32_t fids[] = {
		0x84000005U, 0xc4000005U, 0x84000007U, 0xc4000007U, 0x8400000bU,
		0x8400000cU, 0xc400000cU, 0x8400000dU, 0xc400000dU, 0x8400000eU,
		0xc400000eU, 0x8400000fU, 0x84000010U, 0xc4000010U, 0x84000011U,
		0xc4000011U, 0x84000012U, 0xc4000012U, 0x84000013U, 0x84000014U,
		0xc4000014U, 0x84000015U, 0xc4000015U,
	};

	outcome("PSCI functions Kairos does not implement (MIGRATE, MIGRATE_INFO_UP_CPU, CPU_FREEZE, CPU_DEFAULT_SUSPEND, NODE_HW_STATE, SYSTEM_SUSPEND, SET_SUSPEND_MODE, STAT_*, SYSTEM_RESET2, MEM_PROTECT*, SYSTEM_OFF2) with garbage: NOT_SUPPORTED (-1), PSCI_FEATURES agrees, nothing happens");
	for (unsigned int i = 0; i < ARRAY_SIZE(fids); i++) {
		int64_t r = call(fids[i], ~0UL, 0, ~0UL);

		EXPECT(r == PSCI_RET_NOT_SUPPORTED, "0x%x = %lld, want -1",
		       fids[i], (long long)r);
		r = call(PSCI_FEATURES, fids[i], 0, 0);
		EXPECT(r == PSCI_RET_NOT_SUPPORTED,
		       "PSCI_FEATURES(0x%x) = %lld, want -1", fids[i],
		       (long long)r);
	}
}

TEST(psci_features_bad)
{
	static const uint64_t bad[] = { 0,
					0xffffffffUL,
					0xc4000008UL,
					0xc4000009UL,
					0xc4000002UL,
					0x8400ffffUL };
	int64_t r;

	outcome("PSCI_FEATURES of non-functions (0, all ones, SMC64 forms of 32-bit-only calls): -1; of the SMC64 CPU_ON: 0");
	for (unsigned int i = 0; i < ARRAY_SIZE(bad); i++) {
		r = call(PSCI_FEATURES, bad[i], 0, 0);
		EXPECT(r == PSCI_RET_NOT_SUPPORTED,
		       "PSCI_FEATURES(0x%llx) = %lld, want -1",
		       (unsigned long long)bad[i], (long long)r);
	}
	r = call(PSCI_FEATURES, PSCI_CPU_ON, 0, 0);
	EXPECT(r == 0, "PSCI_FEATURES(CPU_ON SMC64) = %lld", (long long)r);
}

TEST(psci_smc64_forms)
{
	static const uint32_t fids[] = { 0xc4000000U, 0xc4000002U, 0xc4000006U,
					 0xc4000008U, 0xc4000009U, 0xc400000aU };

	outcome("SMC64 forms of functions that only exist as SMC32 (VERSION, CPU_OFF, MIGRATE_INFO_TYPE, SYSTEM_OFF, SYSTEM_RESET, FEATURES): NOT_SUPPORTED, the VM neither stops nor resets");
	for (unsigned int i = 0; i < ARRAY_SIZE(fids); i++) {
		int64_t r = call(fids[i], 0, 0, 0);

		EXPECT(r == PSCI_RET_NOT_SUPPORTED, "0x%x = %lld, want -1",
		       fids[i], (long long)r);
	}
}

TEST(psci_unknown_fids)
{
	static const uint64_t fids[] = {
		0x0,          0x1,          0xffffffffUL, 0x04000000UL,
		0x86000000UL, 0xc6000000UL, 0x86ffff00UL, 0xb2000000UL,
		0xbf00ff00UL, 0xf0000000UL, 0x80000002UL, 0x8000ffffUL,
	};
	int64_t r;

	outcome("unknown and reserved function IDs (yielding calls, vendor hypervisor, trusted OS, reserved ranges): -1 in x0, no exception; garbage in x0[63:32] is ignored (W0 is the ID)");
	for (unsigned int i = 0; i < ARRAY_SIZE(fids); i++) {
		r = call(fids[i], 1, 2, 3);
		EXPECT(r == -1, "function 0x%llx = %lld, want -1",
		       (unsigned long long)fids[i], (long long)r);
	}
	r = call(0xdeadbeef00000000UL | PSCI_VERSION, 0, 0, 0);
	EXPECT(r == 0x10001, "PSCI_VERSION with x0[63:32] set = 0x%llx",
	       (unsigned long long)r);
}

TEST(psci_smccc_arch)
{
	static const uint64_t feats[] = { 0x80008000UL, 0x80007fffUL,
					  0x80003fffUL, 0x80000000UL,
					  0xdeadUL };
	int64_t r;

	outcome("SMCCC_VERSION is 1.1; SMCCC_ARCH_FEATURES of the Spectre workarounds and garbage: NOT_SUPPORTED; calling ARCH_WORKAROUND_1/2/3: -1, nothing else");
	r = call(SMCCC_VERSION, 0, 0, 0);
	EXPECT(r == 0x10001, "SMCCC_VERSION = 0x%llx", (unsigned long long)r);
	for (unsigned int i = 0; i < ARRAY_SIZE(feats); i++) {
		r = call(SMCCC_ARCH_FEATURES, feats[i], 0, 0);
		EXPECT(r == -1, "SMCCC_ARCH_FEATURES(0x%llx) = %lld",
		       (unsigned long long)feats[i], (long long)r);
	}
	for (unsigned int i = 0; i < 3; i++) {
		r = call(feats[i], 1, 0, 0);
		EXPECT(r == -1, "0x%llx = %lld", (unsigned long long)feats[i],
		       (long long)r);
	}
}

#define HVC_IMM(imm)                                                         \
	static uint64_t hvc_##imm(uint64_t fid)                              \
	{                                                                    \
		register uint64_t x0 __asm__("x0") = fid;                    \
		__asm__ volatile("hvc #" #imm                                \
				 : "+r"(x0)                                  \
				 :                                           \
				 : "x1", "x2", "x3", "x4", "x5", "x6", "x7", \
				   "x8", "x9", "x10", "x11", "x12", "x13",   \
				   "x14", "x15", "x16", "x17", "memory");    \
		return x0;                                                   \
	}

HVC_IMM(1)
HVC_IMM(0xffff)

TEST(psci_hvc_imm)
{
	outcome("HVC #1 and HVC #0xffff with SYSTEM_OFF and SYSTEM_RESET in x0: no SMCCC call, -1, the VM goes on");
	EXPECT(hvc_1(PSCI_SYSTEM_OFF) == ~0UL, "HVC #1 SYSTEM_OFF");
	EXPECT(hvc_0xffff(PSCI_SYSTEM_RESET) == ~0UL,
	       "HVC #0xffff SYSTEM_RESET");
	EXPECT(hvc_1(PSCI_VERSION) == ~0UL, "HVC #1 PSCI_VERSION");
}

TEST(psci_smc_undef)
{
	struct exc_record rec;
	uint64_t at;

	outcome("SMC #0 and SMC #0xffff (PSCI_VERSION, SYSTEM_OFF) at EL1: UNDEF in the guest, nothing reaches the firmware");
	exc_catch_begin();
	__asm__ volatile("mov x0, %1\n\tadr %0, 1f\n1:\tsmc #0"
			 : "=&r"(at)
			 : "r"((uint64_t)PSCI_SYSTEM_OFF)
			 : "x0", "x1", "x2", "x3", "memory");
	want_undef("SMC #0", exc_catch_end(&rec), &rec, at);
	exc_catch_begin();
	__asm__ volatile("mov x0, %1\n\tadr %0, 1f\n1:\tsmc #0xffff"
			 : "=&r"(at)
			 : "r"((uint64_t)PSCI_VERSION)
			 : "x0", "x1", "x2", "x3", "memory");
	want_undef("SMC #0xffff", exc_catch_end(&rec), &rec, at);
}

static volatile uint64_t el0_at;

static uint64_t el0_hvc(void *arg)
{
	uint64_t at;

	if (arg)
		__asm__ volatile("mov x0, %1\n\tadr %0, 1f\n1:\tsmc #0"
				 : "=&r"(at)
				 : "r"((uint64_t)PSCI_SYSTEM_OFF)
				 : "x0", "memory");
	else
		__asm__ volatile("mov x0, %1\n\tadr %0, 1f\n1:\thvc #0"
				 : "=&r"(at)
				 : "r"((uint64_t)PSCI_SYSTEM_OFF)
				 : "x0", "memory");
	el0_at = at;
	return 0;
}

TEST(psci_hvc_smc_el0)
{
	struct exc_record rec;

	outcome("HVC #0 and SMC #0 (SYSTEM_OFF) from EL0: UNDEF taken at EL1, the VM goes on");
	for (unsigned int smc = 0; smc < 2; smc++) {
		exc_catch_begin();
		run_at_el0(el0_hvc, (void *)(uintptr_t)smc);
		if (!want_undef(smc ? "SMC from EL0" : "HVC from EL0",
				exc_catch_end(&rec), &rec, el0_at))
			return;
		EXPECT(rec.kind == EXC_SYNC_EL0, "taken through slot %u",
		       rec.kind);
	}
}

/* The VM stopping and resetting cases: run only when named. */

static void off_secondary(void *arg)
{
	printf("# CPU1: PSCI %s\n", arg ? "SYSTEM_RESET" : "SYSTEM_OFF");
	fflush(stdout);
	if (arg)
		psci_system_reset();
	else
		psci_system_off();
	test_fail("SYSTEM_%s returned on CPU1", arg ? "RESET" : "OFF");
}

static void nap_irq(struct gic_irq *irq, void *arg)
{
	(void)irq;
	(void)arg;
	timer_virt_set_ctl(0);
}

/* Idles 2 ms in WFI (a busy wait costs a CPU under -icount). */
static void nap(void)
{
	irq_mask();
	timer_virt_set_tval((int32_t)(time_freq() / 500));
	timer_virt_set_ctl(TIMER_CTL_ENABLE);
	__asm__ volatile("wfi" ::: "memory");
	irq_unmask();
	isb();
	irq_mask();
	timer_virt_set_ctl(0);
}

static void from_secondary(bool reset)
{
	if (!need_two_cpus())
		return;
	if (board_arg("wait", NULL, 0)) {
		/* wait: only once 'g' arrives on the console (the test's cue). */
		printf("# waiting for 'g' on the console\n");
		fflush(stdout);
		gic_init();
		gic_set_handler(timer_virt_intid(), nap_irq, NULL);
		gic_set_enable(timer_virt_intid(), true);
		while (uart_getc() != 'g')
			nap();
	}
	EXPECT(cpu_start(1, off_secondary, reset ? (void *)1 : NULL) ==
		       PSCI_RET_SUCCESS,
	       "CPU_ON of CPU1 failed");
	time_delay_us(5000000);
	FAIL("the VM still runs 5 s after SYSTEM_%s from CPU1",
	     reset ? "RESET" : "OFF");
}

TEST_FLAGS(psci_off_secondary, TEST_NAMED_ONLY)
{
	outcome("stopped: SYSTEM_OFF from vCPU1 while vCPU0 runs stops the whole VM (PSCI SYSTEM_OFF)");
	from_secondary(false);
}

TEST_FLAGS(psci_reset_secondary, TEST_NAMED_ONLY)
{
	outcome("reset: SYSTEM_RESET from vCPU1 while vCPU0 runs reboots the whole VM, which boots again from its images (with wait on the command line: once 'g' arrives on the console)");
	from_secondary(true);
}

/*
 * A reset storm: SYSTEM_RESET as soon as it boots, every time, until the
 * test stops the VM (tests/integration/test_reset_storm.py judges its
 * neighbour's lateness).
 */
TEST_FLAGS(psci_reset_storm, TEST_NAMED_ONLY)
{
	outcome("reset storm: SYSTEM_RESET at once after every boot; a VM sharing the pCPU keeps its lateness");
	(void)psci_system_reset();
	FAIL("SYSTEM_RESET returned");
}
