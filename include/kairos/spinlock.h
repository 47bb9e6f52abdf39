/* SPDX-License-Identifier: MIT */
/*
 * Ticket spinlock on the compiler's __atomic builtins (newlib 3.3's
 * <stdatomic.h> does not compile with GCC 12). Exclusive accesses need
 * Normal memory, so locks are only used once the MMU is on.
 */
#ifndef KAIROS_SPINLOCK_H
#define KAIROS_SPINLOCK_H

#include <asm/spin.h>
#include <kairos/types.h>

struct spinlock {
	uint16_t next;  /**< next ticket to hand out */
	uint16_t owner; /**< ticket currently holding the lock */
};

/* clang-format 14 spreads a braced macro body over four lines. */
/* clang-format off */
#define SPINLOCK_INIT { 0, 0 }
/* clang-format on */

static inline void spin_lock(struct spinlock *l)
{
	uint16_t me = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED);

	while (__atomic_load_n(&l->owner, __ATOMIC_ACQUIRE) != me)
		arch_spin_wait();
}

static inline void spin_unlock(struct spinlock *l)
{
	uint16_t o = __atomic_load_n(&l->owner, __ATOMIC_RELAXED);

	__atomic_store_n(&l->owner, (uint16_t)(o + 1), __ATOMIC_RELEASE);
	arch_spin_wake();
}

/**
 * @l is held, by this CPU or another (a ticket lock has no owner
 * identity).
 */
static inline bool spin_held(const struct spinlock *l)
{
	return __atomic_load_n(&l->next, __ATOMIC_RELAXED) !=
	       __atomic_load_n(&l->owner, __ATOMIC_RELAXED);
}

/*
 * A function that requires @l held says so with spin_assert_held(l)
 * (docs/design.md §12). The host build of the unit tests checks it
 * (arch/fake's asm/spin.h asks for it), where every path is driven
 * without the lock too; the hypervisor's hot paths do not pay for it.
 */
#ifdef ARCH_SPIN_ASSERT_HELD
#define spin_assert_held(l) CHECK(spin_held(l))
#else
#define spin_assert_held(l) ((void)(l))
#endif

#endif
