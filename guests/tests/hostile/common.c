// SPDX-License-Identifier: MIT
/* Helpers the cases share: expected outcomes and how they are checked. */
#include "hostile.h"

void outcome(const char *what)
{
	printf("# expect: %s\n", what);
}

bool want_dabt(const char *what, uint64_t addr, const struct probe *p,
	       uint64_t ec, uint64_t dfsc)
{
	uint64_t got = ESR_EC(p->rec.esr);

	if (p->completed) {
		test_fail(
			"%s at 0x%llx completed (value 0x%llx), want a data abort",
			what, (unsigned long long)addr,
			(unsigned long long)p->val);
		return false;
	}
	if (got != ec || (dfsc != ~0UL && ESR_ISS_DFSC(p->rec.esr) != dfsc)) {
		test_fail(
			"%s at 0x%llx: ESR 0x%llx (EC 0x%llx %s, DFSC 0x%llx), want EC 0x%llx DFSC 0x%llx",
			what, (unsigned long long)addr,
			(unsigned long long)p->rec.esr, (unsigned long long)got,
			exc_ec_name(got),
			(unsigned long long)ESR_ISS_DFSC(p->rec.esr),
			(unsigned long long)ec, (unsigned long long)dfsc);
		return false;
	}
	if (p->pc && p->rec.elr != p->pc) {
		test_fail("%s at 0x%llx: ELR 0x%llx, want the access at 0x%llx",
			  what, (unsigned long long)addr,
			  (unsigned long long)p->rec.elr,
			  (unsigned long long)p->pc);
		return false;
	}
	return true;
}

bool want_sea(const char *what, uint64_t addr, const struct probe *p)
{
	return want_dabt(what, addr, p, ESR_EC_DABT_CUR, DFSC_SEA);
}

bool want_sea_all(const char *what, uint64_t addr)
{
	struct probe p;
	char w[64];

	probe_ldrb(addr, &p);
	snprintf(w, sizeof(w), "%s: ldrb", what);
	if (!want_sea(w, addr, &p))
		return false;
	probe_ldr32(addr, &p);
	snprintf(w, sizeof(w), "%s: ldr w", what);
	if (!want_sea(w, addr, &p))
		return false;
	probe_ldr64(addr, &p);
	snprintf(w, sizeof(w), "%s: ldr x", what);
	if (!want_sea(w, addr, &p))
		return false;
	probe_strb(addr, 0xa5, &p);
	snprintf(w, sizeof(w), "%s: strb", what);
	if (!want_sea(w, addr, &p))
		return false;
	probe_str32(addr, 0xa5a5a5a5U, &p);
	snprintf(w, sizeof(w), "%s: str w", what);
	if (!want_sea(w, addr, &p))
		return false;
	probe_str64(addr, 0xa5a5a5a5a5a5a5a5UL, &p);
	snprintf(w, sizeof(w), "%s: str x", what);
	return want_sea(w, addr, &p);
}

bool want_undef(const char *what, bool caught, const struct exc_record *rec,
		uint64_t pc)
{
	if (!caught) {
		test_fail("%s: completed, want an UNDEF", what);
		return false;
	}
	if (ESR_EC(rec->esr) != ESR_EC_UNKNOWN || (pc && rec->elr != pc)) {
		test_fail(
			"%s: ESR 0x%llx (EC 0x%llx %s) at ELR 0x%llx, want an UNDEF (EC 0x00) at 0x%llx",
			what, (unsigned long long)rec->esr,
			(unsigned long long)ESR_EC(rec->esr),
			exc_ec_name(ESR_EC(rec->esr)),
			(unsigned long long)rec->elr, (unsigned long long)pc);
		return false;
	}
	return true;
}

uint64_t ram_base(void)
{
	return board_mem(0)->base;
}

bool need_two_cpus(void)
{
	if (board_cpu_count() >= 2)
		return true;
	test_skip("needs 2 vCPUs, the DTB lists %u", board_cpu_count());
	return false;
}

bool wait_u32(const volatile uint32_t *p, uint32_t want, uint64_t us)
{
	uint64_t end = time_us() + us;

	while (__atomic_load_n(p, __ATOMIC_ACQUIRE) != want)
		if (time_us() > end)
			return false;
	return true;
}
