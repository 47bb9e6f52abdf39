/* SPDX-License-Identifier: MIT */
/*
 * ckpttest: a guest for checkpoint and restore of whole VMs (docs/design.md §7,
 * tests/integration/test_ckpt.py). Each test runs for a while of guest
 * time and prints "# ckpt <test>: start" (and other "# ckpt" lines the
 * host waits for) so that the host checkpoints and restores the VM while
 * it runs; at the end it prints its counts and a verdict. A restore
 * rewinds the guest's memory with everything else: the counts printed at
 * the end are those of the guest's own timeline, which must hold
 * together however often it was rewound.
 *
 * One IRQ entry, on every CPU: timer interrupts are checked (ENABLE, not
 * IMASK, ISTATUS, count >= CVAL), counted and answered by disabling the
 * timer, so each arming is answered by exactly one interrupt and a second
 * one shows up as "bogus"; SGIs go to the running test's hook.
 */
#ifndef CKPTTEST_H
#define CKPTTEST_H

#include <libguest.h>
#include <string.h>

/** The two EL1 timers. */
enum ck_kind { CK_VIRT, CK_PHYS, CK_NR };

/** SGI that wakes a CPU waiting in WFI (its handler does nothing). */
#define CK_SGI_KICK 15
/** How long any expected interrupt may take (guest time). */
#define CK_TIMEOUT_US 5000000ULL

/** One timer on one CPU. */
struct ck_timer {
	uint32_t armed; /**< armings */
	uint32_t fired; /**< interrupts that answered one */
	uint32_t bogus; /**< interrupts with the timer off, masked or not due */
	uint32_t early; /**< of those: ISTATUS set but count < CVAL */
	uint32_t late;  /**< answered more than ck.late_ticks after CVAL */
	uint64_t max_late;    /**< ticks */
	uint32_t max_late_at; /**< the arming answered that late */
};

/** Per CPU. */
struct ck_cpu {
	struct ck_timer t[CK_NR];
	uint32_t spurious; /**< acknowledges that gave 1023 */
	uint32_t unexpected;
};

extern struct ck_cpu ck_cpus[LG_MAX_CPUS];
/** Lateness above which an answer counts as late (ticks; 0: never). */
extern uint64_t ck_late_ticks;

/** Runs for SGIs 0-14 (IRQs masked unless it unmasks them); the IRQ
 * entry completes the SGI (EOI, and DIR in EOImode 1) after it. */
typedef void (*ck_sgi_fn)(unsigned int intid, uint32_t iar);

static inline uint32_t ck_load(const uint32_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static inline void ck_store(uint32_t *p, uint32_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

static inline uint64_t ck_load64(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static inline void ck_store64(uint64_t *p, uint64_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

/** xorshift64* */
static inline uint64_t ck_rand(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dULL;
}

const char *ck_name(enum ck_kind k);
unsigned int ck_intid(enum ck_kind k);
uint64_t ck_now(enum ck_kind k);
uint64_t ck_ticks(uint64_t us);
uint64_t ck_us(uint64_t ticks);
/** Arms timer @k of this CPU @us from now (CVAL, ENABLE). */
void ck_arm(enum ck_kind k, uint64_t us);

/** A number from the command line, or @def. */
uint64_t ck_arg(const char *key, uint64_t def);

/** GIC, counters, the IRQ entry on CPU0; PPIs of @kinds (bit k) and the
 * kick SGI enabled; IRQs masked. False after test_fail. */
bool ck_setup(uint32_t kinds);
/** On the calling CPU: its GIC interface, IRQ entry and private
 * interrupts of @kinds and SGIs 0-15 (IRQs masked). */
void ck_cpu_init(uint32_t kinds);
void ck_set_sgi_hook(ck_sgi_fn fn);

/** Waits (WFI, IRQs unmasked in between) until *@p >= @want or
 * @timeout_us of guest time pass; returns with IRQs masked. */
bool ck_wait(const uint32_t *p, uint32_t want, uint64_t timeout_us);
/** Waits until timer @k of this CPU answered its last arming; false
 * (after test_fail) if it did not within CK_TIMEOUT_US. */
bool ck_wait_timer(enum ck_kind k);

/** Starts CPU1 running @fn (after ck_cpu_init(@kinds)); false after
 * test_fail or test_skip. */
bool ck_start_cpu1(void (*fn)(void), uint32_t kinds);
/** Waits until CPU1's function returned and the CPU is off. */
bool ck_join_cpu1(uint64_t timeout_us);

/** The counts of timer @k of CPU @cpu, as a "# ckpt" line. */
void ck_report_timer(const char *test, unsigned int cpu, enum ck_kind k);
/** Fails the test for bogus, early, spurious or unexpected interrupts
 * on CPU @cpu, or an arming not answered (armed != fired). */
void ck_check_counts(unsigned int cpu, uint32_t kinds);

#endif
