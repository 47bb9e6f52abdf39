// SPDX-License-Identifier: MIT
/*
 * Where a hypervisor could deviate from the architecture, PSCI or SMCCC
 * (docs/user-guide.md, "Architecture conformance"): HVC immediates, the
 * SMC32 argument width, CPU_ON entry points, exclusives on emulated
 * devices, a negative TVAL, and (named only) a fault loop.
 */
#include <lg/probe.h>
#include <libguest.h>
#include <string.h>

#define PL011_IBRD (LG_PL011_BASE + 0x24)
#define PL011_PERIPHID0 (LG_PL011_BASE + 0xfe0)
#define PSCI_INVALID_ADDRESS (-9)
#define PSCI_AFFINITY_INFO32 0x84000004U
#define CNT_CTL_ENABLE 1UL
#define CNT_CTL_IMASK 2UL
#define CNT_CTL_ISTATUS 4UL

/* HVC #0x1234 with x0..x3: x0 afterwards. */
static uint64_t hvc_imm_1234(uint64_t fid, uint64_t a1, uint64_t a2,
			     uint64_t a3)
{
	register uint64_t x0 __asm__("x0") = fid;
	register uint64_t x1 __asm__("x1") = a1;
	register uint64_t x2 __asm__("x2") = a2;
	register uint64_t x3 __asm__("x3") = a3;

	__asm__ volatile("hvc #0x1234"
			 : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)
			 :
			 : "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11",
			   "x12", "x13", "x14", "x15", "x16", "x17", "memory");
	return x0;
}

/*
 * SMCCC calls use HVC #0; another immediate is no SMCCC call and must not
 * act: SYSTEM_OFF through HVC #0x1234 leaves the VM running.
 */
TEST_FLAGS(hvc_imm, TEST_NAMED_ONLY)
{
	uint64_t r;

	r = hvc_imm_1234(PSCI_VERSION, 0, 0, 0);
	EXPECT(r == SMCCC_RET_UNKNOWN,
	       "HVC #0x1234 with PSCI_VERSION returned 0x%llx, want -1 (NOT_SUPPORTED)",
	       (unsigned long long)r);
	r = hvc_imm_1234(PSCI_SYSTEM_OFF, 0, 0, 0);
	EXPECT(r == SMCCC_RET_UNKNOWN,
	       "HVC #0x1234 with SYSTEM_OFF returned 0x%llx, want -1 (NOT_SUPPORTED)",
	       (unsigned long long)r);
	EXPECT(psci_version() >= 0x10000, "PSCI over HVC #0 broken afterwards");
}

/* SMC32 PSCI calls ignore the upper halves of x1-x3 (SMCCC). */
TEST_FLAGS(psci_smc32_args, TEST_NAMED_ONLY)
{
	uint64_t self = board_cpu_mpidr(0);
	uint64_t r;

	r = hvc_call(PSCI_AFFINITY_INFO32, 0xdead000000000000UL | self,
		     0xbeef000000000000UL, 0);
	EXPECT(r == PSCI_AFF_ON,
	       "AFFINITY_INFO (SMC32) of MPIDR 0x%llx with garbage in the upper halves of x1, x2 = 0x%llx, want 0 (ON)",
	       (unsigned long long)self, (unsigned long long)r);
	r = hvc_call(PSCI_FEATURES, 0xdead000000000000UL | PSCI_CPU_OFF, 0, 0);
	EXPECT(r == 0,
	       "PSCI_FEATURES(CPU_OFF) with garbage in the upper half of x1 = 0x%llx, want 0",
	       (unsigned long long)r);
	/* The SMC64 form reads all of x1: Aff3 = 1 is no CPU of this VM. */
	r = hvc_call(PSCI_AFFINITY_INFO, 0x100000000UL | self, 0, 0);
	EXPECT((int64_t)r == PSCI_RET_INVALID_PARAMS,
	       "AFFINITY_INFO (SMC64) of MPIDR 0x%llx = 0x%llx, want -2",
	       (unsigned long long)(0x100000000UL | self),
	       (unsigned long long)r);
}

static volatile uint64_t on_ran;

static void on_secondary(void *arg)
{
	__atomic_store_n(&on_ran, (uint64_t)(uintptr_t)arg, __ATOMIC_RELEASE);
}

/* PSCI: CPU_ON with an entry point outside RAM is INVALID_ADDRESS. */
TEST_FLAGS(psci_cpu_on_outside_ram, TEST_NAMED_ONLY)
{
	uint64_t mpidr, end = board_ram_end();
	const uint64_t bad[] = { end, end + 0x100000, LG_PL011_BASE, 0 };
	int32_t r;

	EXPECT(board_cpu_count() >= 2, "needs 2 CPUs, the DTB lists %u",
	       board_cpu_count());
	mpidr = board_cpu_mpidr(1);
	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r = psci_cpu_on(mpidr, bad[i], 0);
		EXPECT(r == PSCI_INVALID_ADDRESS,
		       "CPU_ON(0x%llx, entry 0x%llx) = %d, want -9 (INVALID_ADDRESS)",
		       (unsigned long long)mpidr, (unsigned long long)bad[i],
		       (int)r);
		EXPECT(psci_affinity_info(mpidr) == PSCI_AFF_OFF,
		       "CPU1 is not OFF after a refused CPU_ON");
	}
	/* A good entry point still works. */
	r = cpu_start(1, on_secondary, (void *)0x600d);
	EXPECT(r == PSCI_RET_SUCCESS, "CPU_ON(CPU1) of a good entry = %d",
	       (int)r);
	for (unsigned int i = 0; i < 2000 && !on_ran; i++)
		time_delay_us(1000);
	EXPECT(on_ran == 0x600d, "CPU1 did not run its entry within 2 s");
}

/* One exclusive access, caught; @status is the STXR result or ~0. */
static void excl_ldxr(uintptr_t addr, struct probe *p)
{
	uint64_t v = 0, at;

	exc_catch_begin();
	__asm__ volatile("adr %1, 1f\n1:\tldxr %w0, [%2]\n\tclrex"
			 : "+r"(v), "=&r"(at)
			 : "r"(addr)
			 : "memory");
	p->completed = !exc_catch_end(&p->rec);
	p->val = v;
	p->pc = at;
}

static void excl_stxr(uintptr_t addr, uint32_t val, struct probe *p)
{
	uint64_t status = ~0UL, at;

	exc_catch_begin();
	__asm__ volatile("adr %1, 1f\n1:\tstxr %w0, %w2, [%3]"
			 : "+r"(status), "=&r"(at)
			 : "r"(val), "r"(addr)
			 : "memory");
	p->completed = !exc_catch_end(&p->rec);
	p->val = status;
	p->pc = at;
}

static bool is_sea(const struct probe *p)
{
	return !p->completed && ESR_EC(p->rec.esr) == ESR_EC_DABT_CUR &&
	       ESR_ISS_DFSC(p->rec.esr) == DFSC_SEA && p->rec.elr == p->pc;
}

/*
 * Exclusives on an emulated device are never performed: a load-exclusive
 * takes a synchronous external abort; a store-exclusive aborts the same
 * way or fails (status 1) without reaching the device.
 */
TEST_FLAGS(mmio_exclusive, TEST_NAMED_ONLY)
{
	uint32_t ibrd = mmio_read32(PL011_IBRD);
	struct probe p;

	excl_ldxr(PL011_PERIPHID0, &p);
	EXPECT(is_sea(&p),
	       "LDXR of PL011 PeriphID0: %s (ESR 0x%llx, ELR 0x%llx), want a synchronous external abort at 0x%llx",
	       p.completed ? "completed" : "aborted",
	       (unsigned long long)p.rec.esr, (unsigned long long)p.rec.elr,
	       (unsigned long long)p.pc);
	excl_stxr(PL011_IBRD, ibrd ^ 0x5U, &p);
	printf("# STXR to PL011 IBRD: %s, status 0x%llx, ESR 0x%llx\n",
	       p.completed ? "completed" : "aborted", (unsigned long long)p.val,
	       (unsigned long long)p.rec.esr);
	EXPECT(p.completed ? p.val == 1 : is_sea(&p),
	       "STXR to PL011 IBRD: %s with status 0x%llx (ESR 0x%llx), want status 1 or a synchronous external abort",
	       p.completed ? "completed" : "aborted", (unsigned long long)p.val,
	       (unsigned long long)p.rec.esr);
	EXPECT(mmio_read32(PL011_IBRD) == ibrd,
	       "PL011 IBRD is 0x%x after the STXR, was 0x%x: it was written",
	       mmio_read32(PL011_IBRD), ibrd);
}

/*
 * TVAL is signed: CVAL = CNTVCT + TVAL (Arm ARM D11.2.4), modulo 2^64.
 * Under Kairos a VM's virtual count starts near zero, so right after boot
 * a negative TVAL larger than the count wraps CVAL to the far future and
 * the timer is not due, as on a board whose counter was just reset; one
 * smaller than the count is due at once.
 */
TEST(tval_negative)
{
	uint64_t count = read_sysreg(cntvct_el0), ctl, cval;
	int32_t tval;

	printf("# CNTVCT 0x%llx at the start\n", (unsigned long long)count);
	EXPECT(count < 0x40000000UL,
	       "CNTVCT is 0x%llx: a VM's virtual count should start near zero",
	       (unsigned long long)count);
	tval = -(int32_t)(count + time_freq()); /* more than the count */
	timer_virt_set_ctl(CNT_CTL_ENABLE | CNT_CTL_IMASK);
	timer_virt_set_tval(tval);
	ctl = timer_virt_ctl();
	cval = timer_virt_cval();
	timer_virt_set_ctl(0);
	EXPECT(cval > 0x8000000000000000UL,
	       "TVAL %d at count 0x%llx: CVAL 0x%llx, want it wrapped past 2^63",
	       (int)tval, (unsigned long long)count, (unsigned long long)cval);
	EXPECT(!(ctl & CNT_CTL_ISTATUS),
	       "TVAL %d at count 0x%llx: CTL 0x%llx, ISTATUS set (due)",
	       (int)tval, (unsigned long long)count, (unsigned long long)ctl);
	timer_virt_set_ctl(CNT_CTL_ENABLE | CNT_CTL_IMASK);
	timer_virt_set_tval(-1);
	ctl = timer_virt_ctl();
	timer_virt_set_ctl(0);
	EXPECT(ctl & CNT_CTL_ISTATUS, "TVAL -1: CTL 0x%llx, not due",
	       (unsigned long long)ctl);
}

/*
 * A broken VBAR_EL1 (outside RAM): the UDF's exception cannot be fetched,
 * and every fetch abort injected is fetched from there again. The MMU is
 * turned off first (RAM is mapped VA = PA), so the fetch faults in stage
 * 2, at the hypervisor, not in the guest's own tables. Kairos must stop
 * the VM after fault-loop-limit of them; this test never prints a verdict
 * when it works.
 */
TEST_FLAGS(fault_loop, TEST_NAMED_ONLY)
{
	uint64_t vbar = board_ram_end();
	uint64_t sctlr = read_sysreg(sctlr_el1) & ~1UL; /* M = 0 */

	printf("# MMU off, VBAR_EL1 = 0x%llx (past RAM), then UDF\n",
	       (unsigned long long)vbar);
	fflush(stdout);
	__asm__ volatile("msr sctlr_el1, %0\n\tisb\n\t"
			 "msr vbar_el1, %1\n\tisb\n\tudf #0"
			 :
			 : "r"(sctlr), "r"(vbar)
			 : "memory");
	FAIL("the UDF came back with VBAR_EL1 past RAM");
}
