/* SPDX-License-Identifier: MIT */
/*
 * timertest: the EL1 virtual and physical timers as a guest sees them,
 * natively on QEMU (the reference) or under Kairos. Each test runs for
 * the timer and the way of waiting named on the command line:
 *
 *   timer=v|p          virtual (CNTV_*, PPI 27) or physical (CNTP_*, PPI 30)
 *   mode=wfi|poll|busy wait in WFI, spin with IRQs unmasked, or WFI while
 *                      CPU1 busy-loops (under Kairos on the same pCPU)
 *
 * One IRQ entry counts, per CPU and timer, every interrupt and checks in
 * the handler that the timer's condition holds (ENABLE, not IMASK,
 * ISTATUS, count >= CVAL); spurious acknowledges (INTID 1023) are counted
 * too. The handler then disables, masks or re-arms the timer, so each
 * arming is answered by exactly one interrupt.
 */
#ifndef TIMERTEST_H
#define TIMERTEST_H

#include <libguest.h>
#include <string.h>

/** The two EL1 timers. */
enum tt_kind { TT_VIRT, TT_PHYS, TT_NR };

/** How a test waits for an interrupt. */
enum tt_mode { TT_WFI, TT_POLL, TT_BUSY };

/** What the timer handler does once it has counted the interrupt. */
enum tt_policy {
	TT_DISABLE,  /**< CTL = 0 */
	TT_MASK,     /**< CTL = ENABLE | IMASK */
	TT_PERIODIC, /**< CVAL += period until the last period, then CTL = 0 */
	TT_KEEP,     /**< nothing (the line stays up) */
};

/** SGI that wakes a waiting CPU (its handler only counts it). */
#define TT_SGI_KICK 15
/** How long an expected interrupt may take beyond its deadline. */
#define TT_TIMEOUT_US 2000000
/** How long to watch for an interrupt that must not come. */
#define TT_QUIET_US 5000

/** One timer on one CPU, as its handler sees it. */
struct tt_stat {
	uint32_t count; /**< interrupts taken */
	enum tt_policy policy;
	uint32_t periods;   /**< TT_PERIODIC: interrupts still to come */
	uint64_t period;    /**< TT_PERIODIC: ticks between them */
	uint64_t until;     /**< TT_PERIODIC, TT_KEEP: if not 0, the last
				 one once the count has reached this */
	uint64_t last_cval; /**< CVAL when the last one was handled */
	uint64_t last_now;  /**< the count then */
	bool soft;          /**< pended through ISPENDR: ISTATUS may be 0 */
	bool eoi_first;     /**< EOI before the policy lowers the line */
	bool deactivate;    /**< ICACTIVER inside the handler */
	bool keep_once;     /**< TT_KEEP the first time, then the policy */
	bool active_after;  /**< deactivate: GIC active after ICACTIVER */
};

/** Per CPU. */
struct tt_cpu {
	struct tt_stat t[TT_NR];
	uint32_t spurious; /**< IAR reads that gave 1023 */
	uint32_t sgis;
	uint64_t busy; /**< iterations of the busy loop (CPU1) */
};

extern struct tt_cpu tt_cpus[LG_MAX_CPUS];

static inline struct tt_cpu *tt_self(void)
{
	return &tt_cpus[cpu_index()];
}

/* Atomic accessors (several CPUs and IRQ handlers share the counters). */
static inline uint32_t tt_load(const uint32_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static inline uint64_t tt_load64(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static inline void tt_store(uint32_t *p, uint32_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

static inline void tt_store64(uint64_t *p, uint64_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

/* The timers, by kind. */
const char *tt_name(enum tt_kind k);
unsigned int tt_intid(enum tt_kind k);
uint64_t tt_now(enum tt_kind k);
void tt_set_cval(enum tt_kind k, uint64_t cval);
void tt_set_tval(enum tt_kind k, int32_t tval);
void tt_set_ctl(enum tt_kind k, uint64_t ctl);
uint64_t tt_ctl(enum tt_kind k);
uint64_t tt_cval(enum tt_kind k);
int32_t tt_tval(enum tt_kind k);
/** Counter ticks in @us microseconds. */
uint64_t tt_ticks(uint64_t us);

/** timer= and mode= from the command line. */
enum tt_kind tt_arg_kind(void);
enum tt_mode tt_arg_mode(void);

/**
 * Resets the GIC and the counters, installs the IRQ entry on this CPU,
 * enables the PPI of every timer in @kinds (bit k: enum tt_kind k) and the
 * kick SGI; IRQs stay masked. With @busy, starts CPU1 busy-looping. False
 * (after test_fail or test_skip) when the test cannot run.
 */
bool tt_setup(uint32_t kinds, bool busy);
/** Disables the timers in @kinds and their PPIs, stops CPU1. */
void tt_teardown(uint32_t kinds);
/** For secondaries: GIC CPU interface and the IRQ entry (IRQs masked). */
void tt_cpu_init(void);

/**
 * Waits with IRQs unmasked until *@p >= @want or @timeout_us pass: in WFI
 * (TT_WFI, TT_BUSY) or spinning (TT_POLL). Returns with IRQs unmasked.
 */
bool tt_wait(const uint32_t *p, uint32_t want, enum tt_mode mode,
	     uint64_t timeout_us);
/** Spins @us with IRQs unmasked, reading the GIC (so a hypervisor gets
 * exits in between); returns with IRQs unmasked. */
void tt_quiet(uint64_t us);

/**
 * After an arming of timer @k that must be answered: waits (@mode) until
 * @want interrupts were counted, then TT_QUIET_US more, and checks the
 * count is still @want, no spurious reads and the PPI neither pending nor
 * active. @what names the step in failures. False after test_fail.
 */
bool tt_expect(enum tt_kind k, uint32_t want, enum tt_mode mode,
	       uint64_t timeout_us, const char *what);
/** Watches @us with IRQs unmasked: no interrupt beyond @want. */
bool tt_expect_none(enum tt_kind k, uint32_t want, uint64_t us,
		    const char *what);

/* CPU1 helpers. */
/** Starts CPU1 running @fn after tt_cpu_init; waits until it is up. */
bool tt_start_cpu1(void (*fn)(void));
/** Waits (WFI) until CPU1's function has returned; IRQs masked after. */
bool tt_wait_cpu1(uint64_t timeout_us);
/** Asks CPU1 to stop (tt_stopping), kicks it, waits until it is off. */
void tt_stop_cpu1(void);
bool tt_stopping(void);

/** Fails the test unless @cond holds, and goes on (to its teardown). */
#define TT_CHECK(cond, ...)                     \
	do {                                    \
		if (!(cond))                    \
			test_fail(__VA_ARGS__); \
	} while (0)

/** A small deterministic PRNG (xorshift64*). */
static inline uint64_t tt_rand(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dULL;
}

/** A hook for SGIs other than the kick (stress and T6 use it). */
typedef void (*tt_sgi_fn)(unsigned int intid, unsigned int source);
void tt_set_sgi_hook(tt_sgi_fn fn);

#endif
