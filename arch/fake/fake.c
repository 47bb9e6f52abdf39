// SPDX-License-Identifier: MIT
/*
 * Host implementation of every arch_* and plat_* hook; see fake.h for what
 * is simulated and how it misbehaves on purpose.
 */
#include <arch/cpu.h>
#include <arch/mmu.h>
#include <arch/smccc.h>
#include <arch/stage2.h>
#include <arch/timer.h>
#include <kairos/cpu.h>
#include <kairos/vm.h>
#include <plat/power.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* cmocka.h needs <setjmp.h>, <stdarg.h> and <stddef.h> first. */
#include <cmocka.h>

#include "fake_priv.h"

/* More deliveries in one unmask than this is an interrupt storm. */
#define FAKE_STORM 10000U
/* More WFIs than this in one test: something waits for ever. */
#define FAKE_WFI_MAX 10000000UL
/* Idle waits of a scripted scheduler run while runs are still queued. */
#define FAKE_IDLE_QUEUED_MAX 1000U
/* What put and discard leave in the hardware copy of EL1 registers. */
#define FAKE_SCRIBBLE 0xa5

/* The EL1 state in one pCPU's hardware and whose it is. */
struct fake_hw {
	struct vcpu *owner;
	struct vcpu_sysregs sys;
	/* The PMU registers its overflow line is made of (PMCR_EL0.E). */
	uint64_t pmcr, intenset, ovsset;
};

/* Stage-2 roots: a page each, as the real pool hands out. */
static uint64_t s2_roots[FAKE_S2_ROOTS][512];

static struct {
	uint64_t now, step, jump;
	unsigned int jump_in; /* reads until the jump; 0: none scheduled */
	unsigned long reads;
	uint64_t freq;

	bool hyp_enabled;
	uint64_t hyp_cval;
	unsigned int hyp_writes;

	bool masked;
	fake_irq_fn irq_fn, gic_fn;
	void *irq_arg, *gic_arg;
	unsigned int irqs, taken, drop_nth;
	bool early, forced; /* forced: an early interrupt is pending */
	uint64_t early_ticks, early_cval; /* one early wake per CVAL value */
	unsigned long wfis;

	struct cpu *current;
	uint64_t mpidr;
	unsigned int boot_el, faults, halts;

	bool power_off_ok, reset_ok;
	unsigned int power_off_calls, reset_calls;
	int power_off_status; /* of the last power-off, -1 before any */

	struct fake_mmu_map maps[FAKE_MMU_MAX];
	unsigned int nr_maps;
	bool mmu_on;

	uint64_t smc_ret, smc_args[4];
	unsigned int smc_calls;

	unsigned int icache_invals;

	unsigned int s2_used, s2_limit;
	struct fake_s2_map s2_maps[FAKE_S2_MAX];
	unsigned int nr_s2_maps, s2_flushes, s2_last_vmid;

	struct fake_step steps[FAKE_RUN_MAX];
	unsigned int nr_steps, next_step;
	struct vcpu *ran[FAKE_RUN_MAX];
	bool ran_wfi_native[FAKE_RUN_MAX];
	unsigned int nr_ran;
	char vlog[4096];
	struct fake_hw hw[KAIROS_MAX_CPUS];
	jmp_buf *runner; /* fake_vcpu_run_script() in progress */
	unsigned int idle_nth, idle_queued;
	struct {
		unsigned int nth;
		fake_guest_fn fn;
		void *arg;
	} on[FAKE_NR_PHASES];
	void (*idle_fn)(void *arg);
	void *idle_arg;
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
	f.s2_limit = FAKE_S2_ROOTS;
	memset(s2_roots, 0, sizeof(s2_roots));
	fake_gic_reset();
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

void fake_set_gic_irq(fake_irq_fn fn, void *arg)
{
	f.gic_fn = fn;
	f.gic_arg = arg;
}

/* An interrupt of the fake irqchip is signalled and has a taker. */
static bool gic_line(void)
{
	return f.gic_fn && f.current && fake_gic_signalled();
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

	while (!f.masked &&
	       (gic_line() || (f.irq_fn && (fake_hyp_line() || f.forced)))) {
		if (++n > FAKE_STORM)
			fail_msg("fake: interrupt storm: a handler leaves its line asserted (CVAL %#llx, count %#llx)",
				 (unsigned long long)f.hyp_cval,
				 (unsigned long long)f.now);
		f.masked = true;
		if (gic_line()) {
			f.gic_fn(f.gic_arg);
			f.masked = false;
			continue;
		}
		f.forced = false;
		if (++f.taken == f.drop_nth) {
			f.hyp_enabled = false;
			f.masked = false;
			continue;
		}
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

static bool idle_scripted(void);

void arch_cpu_relax(void)
{
}

void arch_wait_for_interrupt(void)
{
	if (!f.masked)
		fail_msg(
			"fake: arch_wait_for_interrupt() with interrupts unmasked: a wakeup can be lost");
	if (++f.wfis > FAKE_WFI_MAX)
		fail_msg("fake: %lu WFIs in one test: waiting for ever",
			 f.wfis);
	if (f.runner && idle_scripted())
		return;
	if (fake_hyp_line() || f.forced || gic_line())
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

bool plat_power_off_status(enum power_status st)
{
	f.power_off_calls++;
	f.power_off_status = (int)st;
	return f.power_off_ok;
}

bool plat_power_off(void)
{
	return plat_power_off_status(POWER_OK);
}

int fake_power_off_status(void)
{
	return f.power_off_calls ? f.power_off_status : -1;
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

void arch_mem_zero(void *p, size_t size)
{
	memset(p, 0, size);
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

void arch_icache_invalidate_all(void)
{
	f.icache_invals++;
}

unsigned int fake_icache_invalidations(void)
{
	return f.icache_invals;
}

/* ---- Stage 2 ---- */

uint64_t *arch_s2_create(void)
{
	if (f.s2_used >= f.s2_limit)
		return NULL; /* the table pool ran out */
	return s2_roots[f.s2_used++];
}

bool arch_s2_map(uint64_t *root, uint64_t ipa, paddr_t pa, uint64_t size,
		 enum s2_kind kind)
{
	bool ours = false;

	for (unsigned int i = 0; i < f.s2_used; i++)
		ours |= root == s2_roots[i];
	if (!ours)
		fail_msg("fake: arch_s2_map() on %p, not a root arch_s2_create() made",
			 (void *)root);
	if (f.nr_s2_maps == FAKE_S2_MAX)
		return false;
	f.s2_maps[f.nr_s2_maps++] =
		(struct fake_s2_map){ root, ipa, pa, size, kind };
	return true;
}

static unsigned int s2_unmaps, s2_live_maps;

bool arch_s2_map_erased(uint64_t *root, uint64_t ipa, uint64_t size)
{
	/* As the single mapping it stands for: read-only, all ones. */
	static uint8_t ones[4096];

	if (!ones[0])
		memset(ones, 0xff, sizeof(ones));
	return arch_s2_map(root, ipa, pa_init((uint64_t)(uintptr_t)ones), size,
			   S2_RAM_RO);
}

// NOLINTNEXTLINE(readability-non-const-parameter)
void arch_s2_unmap(uint64_t *root, uint64_t ipa, uint64_t size)
{
	(void)root;
	(void)ipa;
	(void)size;
	s2_unmaps++;
}

// NOLINTNEXTLINE(readability-non-const-parameter)
bool arch_s2_map_live(uint64_t *root, uint64_t ipa, paddr_t pa, uint64_t size)
{
	(void)root;
	(void)ipa;
	(void)pa;
	(void)size;
	s2_live_maps++;
	return true;
}

unsigned int fake_s2_live_maps(void)
{
	return s2_live_maps;
}

void arch_s2_flush(unsigned int vmid, const uint64_t *root)
{
	(void)root;
	f.s2_flushes++;
	f.s2_last_vmid = vmid;
}

/* Write tracking: a root tracked, and the pages written since. */
static struct {
	const uint64_t *root;
	uint64_t ipa, size;
	uint64_t written[FAKE_S2_WRITES];
	unsigned int nr;
} track;

// NOLINTNEXTLINE(readability-non-const-parameter)
bool arch_s2_track(uint64_t *root, struct s2_write_log *log, uint64_t ipa,
		   uint64_t size)
{
	log->n = 0;
	track.root = root;
	track.ipa = ipa;
	track.size = size;
	track.nr = 0;
	return true;
}

// NOLINTNEXTLINE(readability-non-const-parameter)
bool arch_s2_track_write(uint64_t *root, struct s2_write_log *log, uint64_t ipa)
{
	(void)log;
	if (root != track.root || ipa < track.ipa ||
	    ipa - track.ipa >= track.size || track.nr == FAKE_S2_WRITES)
		return false;
	for (unsigned int i = 0; i < track.nr; i++)
		if (track.written[i] == ipa)
			return true;
	track.written[track.nr++] = ipa;
	return true;
}

// NOLINTNEXTLINE(readability-non-const-parameter)
uint64_t arch_s2_track_collect(uint64_t *root, struct s2_write_log *log,
			       uint64_t ipa, uint64_t size,
			       void (*fn)(void *arg, uint64_t ipa), void *arg)
{
	(void)log;
	uint64_t n = track.nr;

	if (root != track.root || ipa != track.ipa || size != track.size)
		return UINT64_MAX;
	for (unsigned int i = 0; i < track.nr; i++)
		if (fn)
			fn(arg, track.written[i]);
	track.nr = 0;
	return n;
}

const struct fake_s2_map *fake_s2_mapping(unsigned int i)
{
	return i < f.nr_s2_maps ? &f.s2_maps[i] : NULL;
}

void fake_s2_limit_roots(unsigned int n)
{
	f.s2_limit = f.s2_used + n < FAKE_S2_ROOTS ? f.s2_used + n :
						     FAKE_S2_ROOTS;
}

unsigned int fake_s2_flushes(void)
{
	return f.s2_flushes;
}

unsigned int fake_s2_last_vmid(void)
{
	return f.s2_last_vmid;
}

/* ---- vCPUs ---- */

static void vlog(const char *what, const struct vcpu *v)
{
	size_t n = strlen(f.vlog);

	snprintf(f.vlog + n, sizeof(f.vlog) - n, "%s%s %u.%u", n ? " " : "",
		 what, v->vm->id, v->id);
}

/* The hardware of the pCPU running this code. */
static struct fake_hw *hw_here(void)
{
	if (!f.current || f.current->id >= KAIROS_MAX_CPUS) {
		fail_msg("fake: vCPU hook without arch_cpu_set_current()");
		abort(); /* not reached: fail_msg() longjmps out */
	}
	return &f.hw[f.current->id];
}

static void hw_release(struct fake_hw *h, struct vcpu *v, const char *what)
{
	if (h->owner != v)
		fail_msg("fake: arch_vcpu_%s(%u.%u), which is not loaded here",
			 what, v->vm->id, v->id);
	memset(&h->sys, FAKE_SCRIBBLE, sizeof(h->sys));
	/* Quiet: nothing of its PMU drives the next one's line. */
	h->pmcr = h->intenset = h->ovsset = 0;
	h->owner = NULL;
	v->fp_loaded = false;
	vlog(what, v);
}

void fake_vcpu_on(enum fake_phase phase, unsigned int nth, fake_guest_fn fn,
		  void *arg)
{
	f.on[phase].nth = nth;
	f.on[phase].fn = fn;
	f.on[phase].arg = arg;
}

/* @phase reached for @v: its event, once, when its count is up. */
static void phase_of(enum fake_phase phase, struct vcpu *v)
{
	fake_guest_fn fn = f.on[phase].fn;

	if (!fn || --f.on[phase].nth > 0)
		return;
	f.on[phase].fn = NULL;
	fn(v, f.on[phase].arg);
}

void fake_phase(enum fake_phase phase)
{
	phase_of(phase, hw_here()->owner);
}

void arch_vcpu_load(struct vcpu *v)
{
	struct fake_hw *h = hw_here();

	phase_of(FAKE_AT_LOAD, v);
	if (h->owner)
		fail_msg("fake: arch_vcpu_load(%u.%u) over %u.%u, which was neither put nor discarded",
			 v->vm->id, v->id, h->owner->vm->id, h->owner->id);
	h->sys = v->st.sys;
	h->owner = v;
	/* A claimed PMU is loaded; an unclaimed one finds it quiet. */
	if (v->st.pmu_dbg_live) {
		h->pmcr = v->st.pmu.pmcr;
		h->intenset = v->st.pmu.intenset;
		h->ovsset = v->st.pmu.ovsset;
	}
	cpu_current()->arch.wfi_native = false; /* trapped at every load */
	vlog("load", v);
}

void arch_vcpu_wfi_native(struct vcpu *v, bool native)
{
	if (hw_here()->owner != v)
		fail_msg("fake: arch_vcpu_wfi_native(%u.%u), which is not loaded here",
			 v->vm->id, v->id);
	cpu_current()->arch.wfi_native = native;
}

void arch_vcpu_put(struct vcpu *v)
{
	struct fake_hw *h = hw_here();

	if (h->owner == v) {
		v->st.sys = h->sys;
		if (v->st.pmu_dbg_live) {
			v->st.pmu.pmcr = h->pmcr;
			v->st.pmu.intenset = h->intenset;
			v->st.pmu.ovsset = h->ovsset;
		}
	}
	hw_release(h, v, "put");
}

bool fake_pmu_line_on(unsigned int cpu)
{
	const struct fake_hw *h = &f.hw[cpu];

	return (h->pmcr & 1) && (h->intenset & h->ovsset);
}

bool arch_vcpu_pmu_line(const struct vcpu *v)
{
	if (hw_here()->owner != v)
		fail_msg("fake: arch_vcpu_pmu_line(%u.%u), which is not loaded here",
			 v->vm->id, v->id);
	return v->st.pmu_dbg_live && fake_pmu_line_on(cpu_current()->id);
}

void fake_pmu_set(uint64_t pmcr, uint64_t intenset, uint64_t ovsset)
{
	struct fake_hw *h = hw_here();

	if (!h->owner || !h->owner->st.pmu_dbg_live)
		fail_msg("fake: the PMU written with no claimed vCPU loaded");
	h->pmcr = pmcr;
	h->intenset = intenset;
	h->ovsset = ovsset;
}

uint64_t fake_pmu_ovsset(void)
{
	return hw_here()->ovsset;
}

void arch_vcpu_discard(struct vcpu *v)
{
	hw_release(hw_here(), v, "discard");
}

void fake_vcpu_enter(struct vcpu *v, struct fake_step *s)
{
	struct fake_hw *h = hw_here();

	if (!f.masked)
		fail_msg("fake: arch_vcpu_enter() with interrupts unmasked");
	if (h->owner != v)
		fail_msg("fake: arch_vcpu_enter(%u.%u), which is not loaded here",
			 v->vm->id, v->id);
	if (f.next_step == f.nr_steps) {
		if (f.runner)
			longjmp(*f.runner, 1);
		fail_msg("fake: arch_vcpu_enter(%u.%u) with no run queued",
			 v->vm->id, v->id);
	}
	*s = f.steps[f.next_step++];
	f.ran_wfi_native[f.nr_ran] = cpu_current()->arch.wfi_native;
	f.ran[f.nr_ran++] = v;
	f.idle_queued = 0;
	vlog("run", v);
}

void fake_vcpu_guest(struct vcpu *v, const struct fake_step *s)
{
	struct fake_hw *h = hw_here();

	__atomic_store_n(&v->in_guest, true, __ATOMIC_RELAXED);
	f.now += s->ticks;
	/* The guest turns its MMU on and writes its thread ID register. */
	h->sys.sctlr |= FAKE_SCTLR_M;
	h->sys.tpidr_el1 = f.nr_ran;
	if (s->guest)
		s->guest(v, s->arg);
	__atomic_store_n(&v->in_guest, false, __ATOMIC_RELEASE);
}

void fake_vcpu_push_guest(enum fake_exit e, uint64_t ticks, fake_guest_fn guest,
			  fake_guest_fn fn, void *arg)
{
	if (f.nr_steps == FAKE_RUN_MAX)
		fail_msg("fake: more than %u guest runs queued", FAKE_RUN_MAX);
	f.steps[f.nr_steps++] = (struct fake_step){ e, ticks, guest, fn, arg };
}

void fake_vcpu_push(enum fake_exit e, uint64_t ticks, fake_guest_fn fn,
		    void *arg)
{
	fake_vcpu_push_guest(e, ticks, NULL, fn, arg);
}

unsigned int fake_vcpu_pending(void)
{
	return f.nr_steps - f.next_step;
}

unsigned int fake_vcpu_runs(void)
{
	return f.nr_ran;
}

struct vcpu *fake_vcpu_ran(unsigned int i)
{
	return i < f.nr_ran ? f.ran[i] : NULL;
}

bool fake_vcpu_ran_wfi_native(unsigned int i)
{
	return i < f.nr_ran && f.ran_wfi_native[i];
}

const char *fake_vcpu_log(void)
{
	return f.vlog;
}

void fake_vcpu_log_clear(void)
{
	f.vlog[0] = '\0';
}

struct vcpu *fake_vcpu_loaded(void)
{
	return hw_here()->owner;
}

const struct vcpu_sysregs *fake_vcpu_hw(void)
{
	return &hw_here()->sys;
}

void fake_vcpu_run_script(void (*loop)(void))
{
	jmp_buf done;

	if (f.runner)
		fail_msg("fake: fake_vcpu_run_script() inside itself");
	f.runner = &done;
	f.idle_queued = 0;
	if (!setjmp(done)) {
		loop();
		fail_msg("fake: the scheduling loop returned");
	}
	f.runner = NULL;
}

void fake_on_idle(unsigned int nth, void (*fn)(void *arg), void *arg)
{
	f.idle_nth = nth;
	f.idle_fn = fn;
	f.idle_arg = arg;
}

/*
 * An idle wait during fake_vcpu_run_script(): run the fake_on_idle() hook
 * when due (true: the wait is over), end the run when nothing is left.
 */
static bool idle_scripted(void)
{
	if (f.idle_fn && --f.idle_nth == 0) {
		void (*fn)(void *arg) = f.idle_fn;

		f.idle_fn = NULL;
		fn(f.idle_arg);
		return true;
	}
	if (!f.idle_fn && f.next_step == f.nr_steps)
		longjmp(*f.runner, 1);
	if (++f.idle_queued > FAKE_IDLE_QUEUED_MAX)
		fail_msg("fake: %u guest runs queued, but the pCPU idles",
			 f.nr_steps - f.next_step);
	return false;
}
