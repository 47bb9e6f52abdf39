// SPDX-License-Identifier: MIT
/*
 * Host implementation of every arch_* and plat_* hook; see fake.h for what
 * is simulated and how it misbehaves on purpose.
 */
#include <arch/cpu.h>
#include <arch/mmu.h>
#include <arch/smccc.h>
#include <arch/timer.h>
#include <plat/power.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* cmocka.h needs <setjmp.h>, <stdarg.h> and <stddef.h> first. */
#include <cmocka.h>

#include "fake.h"

/* More deliveries in one unmask than this is an interrupt storm. */
#define FAKE_STORM 10000U
/* More WFIs than this in one test: something waits for ever. */
#define FAKE_WFI_MAX 10000000UL

static struct {
	uint64_t now, step, jump;
	unsigned int jump_in; /* reads until the jump; 0: none scheduled */
	unsigned long reads;
	uint64_t freq;

	bool hyp_enabled;
	uint64_t hyp_cval;
	unsigned int hyp_writes;

	bool masked;
	fake_irq_fn irq_fn;
	void *irq_arg;
	unsigned int irqs, taken, drop_nth;
	bool early, forced; /* forced: an early interrupt is pending */
	uint64_t early_ticks, early_cval; /* one early wake per CVAL value */
	unsigned long wfis;

	struct cpu *current;
	uint64_t mpidr;
	unsigned int boot_el, faults, halts;

	bool power_off_ok, reset_ok;
	unsigned int power_off_calls, reset_calls;

	struct fake_mmu_map maps[FAKE_MMU_MAX];
	unsigned int nr_maps;
	bool mmu_on;

	uint64_t smc_ret, smc_args[4];
	unsigned int smc_calls;
} f;

void fake_reset(void)
{
	memset(&f, 0, sizeof(f));
	f.now = FAKE_COUNTER_START;
	f.freq = FAKE_FREQ;
	/* CNTHP_CTL_EL2.ENABLE is UNKNOWN out of reset: assume the worst. */
	f.hyp_enabled = true;
	f.hyp_cval = 1;
	f.masked = true; /* exceptions enter EL2 with PSTATE.I set */
	f.mpidr = 0;
	f.boot_el = 2;
}

/* ---- Counter ---- */

void fake_counter_set(uint64_t v)
{
	f.now = v;
}

void fake_counter_advance(uint64_t ticks)
{
	f.now += ticks;
}

uint64_t fake_counter_peek(void)
{
	return f.now;
}

void fake_counter_set_step(uint64_t ticks)
{
	f.step = ticks;
}

void fake_counter_jump_at_read(unsigned int nth, uint64_t ticks)
{
	f.jump_in = nth;
	f.jump = ticks;
}

unsigned long fake_counter_reads(void)
{
	return f.reads;
}

uint64_t arch_timer_now(void)
{
	uint64_t v;

	f.reads++;
	if (f.jump_in && --f.jump_in == 0)
		f.now += f.jump;
	v = f.now;
	f.now += f.step;
	return v;
}

uint64_t arch_timer_hw_freq(void)
{
	return f.freq;
}

/* ---- EL2 timer ---- */

static void deliver(void);

void arch_timer_hyp_arm(uint64_t cval)
{
	f.hyp_cval = cval;
	f.hyp_enabled = true;
	f.hyp_writes++;
}

void arch_timer_hyp_stop(void)
{
	f.hyp_enabled = false;
	f.hyp_writes++;
}

bool fake_hyp_enabled(void)
{
	return f.hyp_enabled;
}

uint64_t fake_hyp_cval(void)
{
	return f.hyp_cval;
}

unsigned int fake_hyp_writes(void)
{
	return f.hyp_writes;
}

bool fake_hyp_line(void)
{
	return f.hyp_enabled && f.now >= f.hyp_cval;
}

/* ---- Interrupts ---- */

void fake_set_timer_irq(fake_irq_fn fn, void *arg)
{
	f.irq_fn = fn;
	f.irq_arg = arg;
}

bool fake_irqs_masked(void)
{
	return f.masked;
}

unsigned int fake_timer_irqs(void)
{
	return f.irqs;
}

void fake_timer_drop_irq(unsigned int nth)
{
	f.drop_nth = f.taken + nth;
}

void fake_timer_fire_early(uint64_t ticks)
{
	f.early = true;
	f.early_ticks = ticks;
	f.early_cval = 0;
}

unsigned long fake_wfi_count(void)
{
	return f.wfis;
}

/*
 * Take the timer interrupt for as long as it is asserted and unmasked, as
 * the exception entry would: the handler runs with interrupts masked.
 */
static void deliver(void)
{
	unsigned int n = 0;

	while (!f.masked && f.irq_fn && (fake_hyp_line() || f.forced)) {
		if (++n > FAKE_STORM)
			fail_msg("fake: timer interrupt storm: the handler leaves the line asserted (CVAL %#llx, count %#llx)",
				 (unsigned long long)f.hyp_cval,
				 (unsigned long long)f.now);
		f.forced = false;
		if (++f.taken == f.drop_nth) {
			f.hyp_enabled = false;
			continue;
		}
		f.masked = true;
		f.irqs++;
		f.irq_fn(f.irq_arg);
		f.masked = false;
	}
}

unsigned long arch_irq_save(void)
{
	unsigned long flags = f.masked;

	f.masked = true;
	return flags;
}

void arch_irq_restore(unsigned long flags)
{
	if (flags > 1)
		fail_msg("fake: arch_irq_restore(%lu): not a value arch_irq_save() returned",
			 flags);
	f.masked = flags;
	deliver();
}

void arch_irq_enable(void)
{
	f.masked = false;
	deliver();
}

void arch_irq_disable(void)
{
	f.masked = true;
}

void arch_wait_for_interrupt(void)
{
	if (!f.masked)
		fail_msg(
			"fake: arch_wait_for_interrupt() with interrupts unmasked: a wakeup can be lost");
	if (++f.wfis > FAKE_WFI_MAX)
		fail_msg("fake: %lu WFIs in one test: waiting for ever",
			 f.wfis);
	if (fake_hyp_line() || f.forced)
		return;
	if (f.hyp_enabled && f.early && f.hyp_cval != f.early_cval) {
		uint64_t at = f.hyp_cval > f.early_ticks ?
				      f.hyp_cval - f.early_ticks :
				      0;

		if (at > f.now)
			f.now = at;
		f.early_cval = f.hyp_cval;
		f.forced = true;
	} else if (f.hyp_enabled) {
		f.now = f.hyp_cval;
	} else {
		f.now += FAKE_IDLE_TICKS; /* spurious wakeup: nothing armed */
	}
}

/* ---- CPU ---- */

struct cpu *arch_cpu_current(void)
{
	return f.current;
}

void arch_cpu_set_current(struct cpu *c)
{
	f.current = c;
}

void fake_set_mpidr(uint64_t mpidr)
{
	f.mpidr = mpidr;
}

uint64_t arch_cpu_mpidr(void)
{
	return f.mpidr;
}

void fake_set_boot_el(unsigned int el)
{
	f.boot_el = el;
}

unsigned int arch_boot_el(void)
{
	return f.boot_el;
}

void arch_trigger_fault(void)
{
	f.faults++;
}

unsigned int fake_faults(void)
{
	return f.faults;
}

void arch_cpu_halt(void)
{
	f.halts++;
	f.masked = true;
	f.hyp_enabled = false;
	mock_assert(0, "arch_cpu_halt()", __FILE__, __LINE__);
	abort(); /* not reached: mock_assert() longjmps out */
}

unsigned int fake_halts(void)
{
	return f.halts;
}

/* ---- Board power ---- */

void fake_power_set_result(bool power_off_ok, bool reset_ok)
{
	f.power_off_ok = power_off_ok;
	f.reset_ok = reset_ok;
}

bool plat_power_off(void)
{
	f.power_off_calls++;
	return f.power_off_ok;
}

bool plat_reset(void)
{
	f.reset_calls++;
	return f.reset_ok;
}

unsigned int fake_power_off_calls(void)
{
	return f.power_off_calls;
}

unsigned int fake_reset_calls(void)
{
	return f.reset_calls;
}

/* ---- EL2 MMU ---- */

bool arch_mmu_map(paddr_t base, uint64_t size, enum mmu_kind kind)
{
	if (f.nr_maps == FAKE_MMU_MAX)
		return false; /* the table pool ran out */
	f.maps[f.nr_maps++] = (struct fake_mmu_map){ base, size, kind };
	return true;
}

void arch_mmu_enable(void)
{
	f.mmu_on = true;
}

bool arch_mmu_is_on(void)
{
	return f.mmu_on;
}

void arch_dcache_clean(const void *p, size_t size)
{
	(void)p;
	(void)size;
}

const struct fake_mmu_map *fake_mmu_mapping(unsigned int i)
{
	return i < f.nr_maps ? &f.maps[i] : NULL;
}

/* ---- SMCCC ---- */

uint64_t arch_smccc_smc(uint64_t fid, uint64_t a1, uint64_t a2, uint64_t a3)
{
	f.smc_args[0] = fid;
	f.smc_args[1] = a1;
	f.smc_args[2] = a2;
	f.smc_args[3] = a3;
	f.smc_calls++;
	return f.smc_ret;
}

void fake_smc_set_result(uint64_t x0)
{
	f.smc_ret = x0;
}

uint64_t fake_smc_last(unsigned int reg)
{
	return reg < 4 ? f.smc_args[reg] : 0;
}

unsigned int fake_smc_calls(void)
{
	return f.smc_calls;
}
