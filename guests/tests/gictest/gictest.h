/* SPDX-License-Identifier: MIT */
/*
 * gictest: the GIC as a guest sees it (natively on QEMU's GICv2/v3, or
 * Kairos's vGIC). Helpers shared by the tests: setup, secondary CPUs, and
 * bounded waits.
 */
#ifndef GICTEST_H
#define GICTEST_H

#include <libguest.h>
#include <string.h>

/** SGI that wakes an idle secondary (its handler does nothing). */
#define GT_SGI_KICK 15
/** How long anything a test waits for may take. */
#define GT_TIMEOUT_US 2000000
/** How long to watch for an interrupt that must not come. */
#define GT_QUIET_US 5000

/** Resets the GIC for a test on CPU0; FAIL()s when there is none. */
#define GT_SETUP()                                                   \
	do {                                                         \
		if (!gic_init())                                     \
			FAIL("no GICv2 or GICv3 in the DTB");        \
		gic_set_handler(GT_SGI_KICK, gt_kick_handler, NULL); \
	} while (0)

/** What a secondary runs after gic_cpu_init (IRQs still masked). */
typedef void (*gt_body_t)(unsigned int cpu);

void gt_kick_handler(struct gic_irq *irq, void *arg);
/** SPI @k of the ones tests use: the top 32 the distributor has. */
unsigned int gt_spi(unsigned int k);
/**
 * Starts CPUs 1..@n-1: each runs gic_cpu_init, enables its private
 * interrupts in @private (bit i: INTID i), says it is up, then runs
 * @body. False (and test_fail) if one does not come up.
 */
bool gt_start(unsigned int n, uint32_t private, gt_body_t body);
/** Enables the calling CPU's private interrupts in @private. */
void gt_enable_private(uint32_t private);
/** Tells the secondaries to stop, kicks them and waits until they are
 * off (powered off by libguest after @body returns). */
void gt_finish(unsigned int n);
/** Whether gt_finish has been called. */
bool gt_stopping(void);
/** For a secondary: sleeps (WFI) with IRQs unmasked until @cond(@arg)
 * holds or gt_finish; returns cond's value. */
bool gt_idle_until(bool (*cond)(void *arg), void *arg);
/** Work for a secondary that serves calls (gt_serve). */
typedef void (*gt_fn_t)(void);
/** Body for gt_start: runs what gt_call posts, until gt_finish. */
void gt_serve(unsigned int cpu);
/** Posts @fn to CPU @cpu (serving) and kicks it; does not wait. */
void gt_call(unsigned int cpu, gt_fn_t fn);
/** Waits until CPU @cpu has run everything posted to it. */
bool gt_call_wait(unsigned int cpu);
/**
 * `native` on the command line: the GIC is QEMU's own, so its known
 * deviations from the architecture are tolerated (and reported as "#"
 * lines); under Kairos the architecture is enforced.
 */
bool gt_native(void);
/** Spins until *@p >= @want or @us pass; returns whether it got there. */
bool gt_wait_ge(const uint32_t *p, uint32_t want, uint64_t us);
/** CPUs a test may use: ncpus= (default @def), at most the DTB's. */
unsigned int gt_ncpus(unsigned int def);

static inline uint32_t gt_load(const uint32_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static inline void gt_store(uint32_t *p, uint32_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

static inline void gt_inc(uint32_t *p)
{
	__atomic_fetch_add(p, 1, __ATOMIC_ACQ_REL);
}

#endif
