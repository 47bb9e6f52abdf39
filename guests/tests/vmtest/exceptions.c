// SPDX-License-Identifier: MIT
/* Exceptions the guest must see: UNDEF, external aborts, isolation. */
#include <lg/probe.h>
#include <libguest.h>
#include <string.h>

#define SPSR_M_MASK 0xfUL
#define SPSR_M_EL1H 0x5UL

TEST(undef)
{
	struct exc_record rec;
	uint64_t pc;

	exc_catch_begin();
	__asm__ volatile("adr %0, 1f\n1:\tudf #0" : "=r"(pc) : : "memory");
	EXPECT(exc_catch_end(&rec), "udf #0 at 0x%llx did not trap",
	       (unsigned long long)pc);
	EXPECT(rec.kind == EXC_SYNC_EL1,
	       "taken through vector slot %u, want %u (current EL, SP_EL1)",
	       rec.kind, (unsigned int)EXC_SYNC_EL1);
	EXPECT(ESR_EC(rec.esr) == ESR_EC_UNKNOWN,
	       "ESR_EL1 0x%llx: EC 0x%llx (%s), want 0x00 (unknown)",
	       (unsigned long long)rec.esr, (unsigned long long)ESR_EC(rec.esr),
	       exc_ec_name(ESR_EC(rec.esr)));
	EXPECT(rec.esr & ESR_IL, "ESR_EL1 0x%llx: IL = 0, want 1",
	       (unsigned long long)rec.esr);
	EXPECT(rec.elr == pc, "ELR_EL1 0x%llx, want the udf at 0x%llx",
	       (unsigned long long)rec.elr, (unsigned long long)pc);
	EXPECT((rec.spsr & SPSR_M_MASK) == SPSR_M_EL1H,
	       "SPSR_EL1 0x%llx: mode 0x%llx, want EL1h (0x5)",
	       (unsigned long long)rec.spsr,
	       (unsigned long long)(rec.spsr & SPSR_M_MASK));
}

TEST(fault_past_ram)
{
	uint64_t end = board_ram_end();
	struct probe p;

	printf("# RAM ends at 0x%llx\n", (unsigned long long)end);
	EXPECT(!board_is_ram(end, 8), "0x%llx is RAM too: no hole to probe",
	       (unsigned long long)end);
	probe_ldr64(end - 8, &p);
	EXPECT(p.completed,
	       "the last 8 bytes of RAM (0x%llx) abort: EC 0x%llx, DFSC 0x%llx",
	       (unsigned long long)(end - 8),
	       (unsigned long long)ESR_EC(p.rec.esr),
	       (unsigned long long)ESR_ISS_DFSC(p.rec.esr));
	probe_ldr64(end, &p);
	EXPECT(!p.completed, "load at 0x%llx (end of RAM) returned 0x%llx",
	       (unsigned long long)end, (unsigned long long)p.val);
	EXPECT(p.rec.kind == EXC_SYNC_EL1 &&
		       ESR_EC(p.rec.esr) == ESR_EC_DABT_CUR,
	       "load at 0x%llx: slot %u, ESR 0x%llx, EC 0x%llx (%s), want a data abort (EC 0x25)",
	       (unsigned long long)end, p.rec.kind,
	       (unsigned long long)p.rec.esr,
	       (unsigned long long)ESR_EC(p.rec.esr),
	       exc_ec_name(ESR_EC(p.rec.esr)));
	EXPECT(ESR_ISS_DFSC(p.rec.esr) == DFSC_SEA,
	       "load at 0x%llx: ESR 0x%llx, DFSC 0x%llx, want 0x10 (synchronous external abort)",
	       (unsigned long long)end, (unsigned long long)p.rec.esr,
	       (unsigned long long)ESR_ISS_DFSC(p.rec.esr));
	EXPECT(!(p.rec.esr & ESR_ISS_WNR),
	       "load reported as a write: ESR 0x%llx",
	       (unsigned long long)p.rec.esr);
	EXPECT((p.rec.esr & ESR_ISS_FNV) || p.rec.far == end,
	       "FAR_EL1 0x%llx, want 0x%llx", (unsigned long long)p.rec.far,
	       (unsigned long long)end);
	EXPECT(p.rec.elr == p.pc, "ELR_EL1 0x%llx, want the load at 0x%llx",
	       (unsigned long long)p.rec.elr, (unsigned long long)p.pc);
}

/* Checks one access at @addr aborted as a data abort; fails the test if not. */
static void isolation_check(const char *what, uint64_t addr,
			    const struct probe *p)
{
	uint64_t ec = ESR_EC(p->rec.esr);

	if (p->completed) {
		if (strncmp(what, "ld", 2) == 0)
			test_fail("%s at 0x%llx returned 0x%llx", what,
				  (unsigned long long)addr,
				  (unsigned long long)p->val);
		else
			test_fail("%s at 0x%llx completed (no abort)", what,
				  (unsigned long long)addr);
		return;
	}
	printf("# %s at 0x%llx: EC 0x%llx DFSC 0x%llx\n", what,
	       (unsigned long long)addr, (unsigned long long)ec,
	       (unsigned long long)ESR_ISS_DFSC(p->rec.esr));
	if (ec != ESR_EC_DABT_CUR)
		test_fail(
			"%s at 0x%llx: EC 0x%llx (%s), want a data abort (0x25)",
			what, (unsigned long long)addr, (unsigned long long)ec,
			exc_ec_name(ec));
}

/*
 * Every load and store at addr= (another VM's memory or Kairos's, when run
 * under Kairos) must abort in this guest.
 */
TEST_FLAGS(isolation, TEST_NAMED_ONLY)
{
	uint64_t addr;
	struct probe p;

	EXPECT(board_arg_u64("addr", &addr),
	       "needs addr=<address> on the command line");
	EXPECT((addr & 7) == 0, "addr=0x%llx is not 8-byte aligned",
	       (unsigned long long)addr);
	if (board_is_ram(addr, 8))
		printf("# 0x%llx is this guest's own RAM (per its DTB)\n",
		       (unsigned long long)addr);
	probe_ldrb(addr, &p);
	isolation_check("ldrb", addr, &p);
	probe_ldrh(addr, &p);
	isolation_check("ldrh", addr, &p);
	probe_ldr32(addr, &p);
	isolation_check("ldr (32-bit)", addr, &p);
	probe_ldr64(addr, &p);
	isolation_check("ldr (64-bit)", addr, &p);
	probe_strb(addr, 0x5a, &p);
	isolation_check("strb", addr, &p);
	probe_strh(addr, 0x5a5a, &p);
	isolation_check("strh", addr, &p);
	probe_str32(addr, 0x5a5a5a5a, &p);
	isolation_check("str (32-bit)", addr, &p);
	probe_str64(addr, 0x5a5a5a5a5a5a5a5aUL, &p);
	isolation_check("str (64-bit)", addr, &p);
}
