/* SPDX-License-Identifier: MIT */
/* Host builds (the unit tests): a spinlock waiter just spins. */
#ifndef ASM_SPIN_H
#define ASM_SPIN_H

static inline void arch_spin_wait(void)
{
}

static inline void arch_spin_wake(void)
{
}

#endif
