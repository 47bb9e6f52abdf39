/* SPDX-License-Identifier: MIT */
/*
 * arch/fake: every arch_* and plat_* hook, for host unit tests. The
 * "hardware" here is deliberately unkind (STYLE.md rule 11):
 *
 * - the counter starts at an odd, large value, can be told to move on every
 *   read and to jump forward at a chosen read;
 * - after fake_reset() the EL2 timer is enabled with a stale CVAL in the
 *   past, as CNTHP_CTL_EL2.ENABLE is UNKNOWN out of reset (Arm ARM D11);
 * - the timer interrupt is level-sensitive and is only taken when
 *   interrupts are unmasked, never inside arch_wait_for_interrupt();
 * - arch_wait_for_interrupt() with interrupts unmasked fails the test (the
 *   hook's contract), and with nothing armed it wakes spuriously after
 *   FAKE_IDLE_TICKS, as the architecture allows;
 * - the timer interrupt can be made to fire early or to be lost;
 * - a vCPU's EL1 registers live in the fake "hardware" between
 *   arch_vcpu_load() and arch_vcpu_put(), and every guest run changes them
 *   there (the guest turns its MMU on), so saving state that was reset in
 *   memory meanwhile shows; put and discard scribble over the hardware
 *   copy; loading over an unsaved vCPU or running one that is not loaded
 *   fails the test;
 * - arch_vcpu_run() follows a script of exits the test queues, and returns
 *   RESCHED without entering the guest when a reschedule is requested, as
 *   the real one does (STYLE.md rule 8);
 * - stage-2 roots come from a small pool that runs out.
 *
 * Tests call fake_reset() before each test and inspect the recorded
 * hardware state rather than assume it.
 */
#ifndef ARCH_FAKE_H
#define ARCH_FAKE_H

#include <arch/mmu.h>
#include <arch/stage2.h>
#include <arch/vcpu.h>
#include <kairos/irq.h>
#include <kairos/types.h>
#include <kairos/vcpu_state.h>

/** Counter value after fake_reset(): not zero, not aligned to anything. */
#define FAKE_COUNTER_START 0x123456789abcULL

/** Counter frequency after fake_reset() (QEMU's 62.5 MHz). */
#define FAKE_FREQ 62500000ULL

/** How far a spurious wakeup from WFI moves the counter (1 ms). */
#define FAKE_IDLE_TICKS (FAKE_FREQ / 1000)

/** Put every piece of fake hardware back into its after-reset state. */
void fake_reset(void);

/* ---- The physical counter (CNTPCT_EL0) ---- */

/** Set the counter. It may go backwards only through this call. */
void fake_counter_set(uint64_t v);

/** Move the counter forward by @ticks. */
void fake_counter_advance(uint64_t ticks);

/** The counter's value, without counting as a read. */
uint64_t fake_counter_peek(void);

/** After this, every arch_timer_now() moves the counter on by @ticks. */
void fake_counter_set_step(uint64_t ticks);

/** The arch_timer_now() call @nth reads from now (1 = next) jumps by @ticks. */
void fake_counter_jump_at_read(unsigned int nth, uint64_t ticks);

/** Number of arch_timer_now() calls since fake_reset(). */
unsigned long fake_counter_reads(void);

/* ---- The EL2 physical timer (CNTHP_CTL_EL2/CNTHP_CVAL_EL2) ---- */

/** CNTHP_CTL_EL2.ENABLE as last written. */
bool fake_hyp_enabled(void);

/** CNTHP_CVAL_EL2 as last written (meaningful only while enabled). */
uint64_t fake_hyp_cval(void);

/** Number of arch_timer_hyp_arm() + arch_timer_hyp_stop() calls. */
unsigned int fake_hyp_writes(void);

/** The timer's interrupt line: enabled and the counter at or past CVAL. */
bool fake_hyp_line(void);

/* ---- Interrupts ---- */

/** The handler run when the EL2 timer interrupt is taken. */
typedef void (*fake_irq_fn)(void *arg);

/** Install @fn as the EL2 timer interrupt handler (NULL: none). */
void fake_set_timer_irq(fake_irq_fn fn, void *arg);

/** True while interrupts are masked (PSTATE.I). Masked after reset. */
bool fake_irqs_masked(void);

/** Number of timer interrupts handed to the handler. */
unsigned int fake_timer_irqs(void);

/**
 * Lose timer interrupt number @nth (1 = the next one taken): the handler is
 * not called and the timer's ENABLE clears behind software's back, so the
 * deadline it held never fires.
 */
void fake_timer_drop_irq(unsigned int nth);

/**
 * From now on, a WFI that waits for the timer wakes @ticks before CVAL and
 * the timer interrupt is taken anyway (an early, spurious interrupt).
 */
void fake_timer_fire_early(uint64_t ticks);

/** Number of arch_wait_for_interrupt() calls. */
unsigned long fake_wfi_count(void);

/* ---- CPU ---- */

void fake_set_mpidr(uint64_t mpidr);
void fake_set_boot_el(unsigned int el);

/** Number of arch_trigger_fault() calls. */
unsigned int fake_faults(void);

/**
 * Number of arch_cpu_halt() calls. The hook itself reports through
 * cmocka's mock_assert(), so a test expecting a halt wraps the call in
 * expect_assert_failure(); anywhere else a halt fails the test.
 */
unsigned int fake_halts(void);

/* ---- Board power (plat/power.h) ---- */

/** What plat_power_off() and plat_reset() return. */
void fake_power_set_result(bool power_off_ok, bool reset_ok);
unsigned int fake_power_off_calls(void);
unsigned int fake_reset_calls(void);

/* ---- EL2 MMU and SMCCC ---- */

#define FAKE_MMU_MAX 32

/** A range given to arch_mmu_map(). */
struct fake_mmu_map {
	paddr_t base;
	uint64_t size;
	enum mmu_kind kind;
};

/** The @i-th successful arch_mmu_map(), or NULL. */
const struct fake_mmu_map *fake_mmu_mapping(unsigned int i);

/** The SMC arguments last seen, and what arch_smccc_smc() returns. */
void fake_smc_set_result(uint64_t x0);
uint64_t fake_smc_last(unsigned int reg);
unsigned int fake_smc_calls(void);

/** Number of arch_icache_invalidate_all() calls. */
unsigned int fake_icache_invalidations(void);

/* ---- Stage 2 (arch/stage2.h) ---- */

/** Stage-2 roots arch_s2_create() hands out after fake_reset(). */
#define FAKE_S2_ROOTS 8
#define FAKE_S2_MAX 1024

/** A range given to arch_s2_map(). */
struct fake_s2_map {
	const uint64_t *root;
	uint64_t ipa;
	paddr_t pa;
	uint64_t size;
	enum s2_kind kind;
};

/** The @i-th successful arch_s2_map(), or NULL. */
const struct fake_s2_map *fake_s2_mapping(unsigned int i);

/** Make arch_s2_create() return NULL once @n more roots are handed out. */
void fake_s2_limit_roots(unsigned int n);

/** Number of arch_s2_flush() calls, and the VMID of the last one. */
unsigned int fake_s2_flushes(void);
unsigned int fake_s2_last_vmid(void);

/* ---- Interrupt controller ---- */

/**
 * A GICv3 double for core/irq.c: nothing is ever pending (ack returns
 * spurious) and SGIs are only counted, per target CPU (the kicks).
 */
extern const struct irqchip fake_irqchip;

/** SGIs @sgi sent to @cpu through fake_irqchip. */
unsigned int fake_sgis(unsigned int cpu, uint32_t sgi);

/* ---- vCPUs (arch/vcpu.h) ---- */

/** Most guest runs one test may queue. */
#define FAKE_RUN_MAX 64

/** What the guest did before it exited: a trap handled at EL2 (HVC...). */
typedef void (*fake_guest_fn)(struct vcpu *v, void *arg);

/**
 * Queue one guest run: the next arch_vcpu_run() that enters the guest lets
 * it run for @ticks of the counter, then calls @fn (if not NULL) as the
 * trap handler would, then returns @e.
 */
void fake_vcpu_push(enum vcpu_exit e, uint64_t ticks, fake_guest_fn fn,
		    void *arg);

/** Queued runs not yet consumed. */
unsigned int fake_vcpu_pending(void);

/** Guest runs so far, and the vCPU of run @i (NULL beyond). */
unsigned int fake_vcpu_runs(void);
struct vcpu *fake_vcpu_ran(unsigned int i);

/**
 * What the vCPU hooks did, oldest first, as "load 0.1 run 0.1 put 0.1":
 * load, put, discard, run (entered the guest) and bounce (a run that
 * returned RESCHED at once), each with VM index and vCPU index.
 */
const char *fake_vcpu_log(void);

/** Clear fake_vcpu_log(). */
void fake_vcpu_log_clear(void);

/** The vCPU whose registers are in the hardware of this pCPU, or NULL. */
struct vcpu *fake_vcpu_loaded(void);

/** The EL1 registers in the hardware of this pCPU (as the guest left them). */
const struct vcpu_sysregs *fake_vcpu_hw(void);

/** SCTLR_EL1.M: every guest run sets it in the hardware copy. */
#define FAKE_SCTLR_M 1UL

/**
 * Call @loop (sched_loop()) and return once the script is used up and
 * nothing is left to do: when arch_vcpu_run() is asked to enter the
 * guest with nothing queued, or the pCPU goes idle with nothing queued
 * and no fake_on_idle() hook left. Idling while runs are still queued
 * fails the test after a while (the queued vCPU never becomes runnable).
 */
void fake_vcpu_run_script(void (*loop)(void));

/**
 * On the @nth idle wait (arch_wait_for_interrupt()) from now, call
 * @fn(@arg) first: an event from elsewhere (another pCPU's wake).
 */
void fake_on_idle(unsigned int nth, void (*fn)(void *arg), void *arg);

#endif
