/* SPDX-License-Identifier: MIT */
/* Host builds (the unit tests): a spinlock waiter just spins. */
#ifndef ASM_SPIN_H
#define ASM_SPIN_H

/* Functions that require a lock held check it (kairos/spinlock.h). */
#define ARCH_SPIN_ASSERT_HELD 1

static inline void arch_spin_wait(void)
{
}

static inline void arch_spin_wake(void)
{
}

#endif
