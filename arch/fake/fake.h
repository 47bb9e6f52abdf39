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
 * - the timer interrupt can be made to fire early or to be lost.
 *
 * Tests call fake_reset() before each test and inspect the recorded
 * hardware state rather than assume it.
 */
#ifndef ARCH_FAKE_H
#define ARCH_FAKE_H

#include <arch/mmu.h>
#include <kairos/types.h>

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

#endif
