/* SPDX-License-Identifier: MIT */
/*
 * Ticket spinlock on the compiler's __atomic builtins (newlib 3.3's
 * <stdatomic.h> does not compile with GCC 12). Exclusive accesses need
 * Normal memory, so locks are only used once the MMU is on.
 */
#ifndef KAIROS_SPINLOCK_H
#define KAIROS_SPINLOCK_H

#include <kairos/types.h>

struct spinlock {
	uint16_t next;  /**< next ticket to hand out */
	uint16_t owner; /**< ticket currently holding the lock */
};

/* clang-format 14 spreads a braced macro body over four lines. */
/* clang-format off */
#define SPINLOCK_INIT { 0, 0 }
/* clang-format on */

/*
 * A waiter sleeps in WFE and the unlock's SEV wakes it. An unlock between
 * the waiter's look and its WFE is not lost: SEV sets the event register
 * of every PE and WFE then returns at once (Arm ARM D1.6.1). On silicon
 * this keeps waiters off the interconnect; under an emulator that runs
 * its CPUs in turn (QEMU TCG with -icount) WFE hands the turn to the
 * next CPU, where a bare spin would burn a whole turn (100 ms of virtual
 * time) while the holder waits to run. Host builds (unit tests) spin.
 */
#if defined(__aarch64__)
#define SPIN_WAIT() __asm__ volatile("wfe" ::: "memory")
#define SPIN_WAKE() __asm__ volatile("dsb ishst\n\tsev" ::: "memory")
#else
#define SPIN_WAIT() ((void)0)
#define SPIN_WAKE() ((void)0)
#endif

static inline void spin_lock(struct spinlock *l)
{
	uint16_t me = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED);

	while (__atomic_load_n(&l->owner, __ATOMIC_ACQUIRE) != me)
		SPIN_WAIT();
}

static inline void spin_unlock(struct spinlock *l)
{
	uint16_t o = __atomic_load_n(&l->owner, __ATOMIC_RELAXED);

	__atomic_store_n(&l->owner, (uint16_t)(o + 1), __ATOMIC_RELEASE);
	SPIN_WAKE();
}

#endif
