/* SPDX-License-Identifier: MIT */
/*
 * How a spinlock waiter waits (kairos/spinlock.h). It sleeps in WFE and
 * the unlock's SEV wakes it. An unlock between the waiter's look and its
 * WFE is not lost: SEV sets the event register of every PE and WFE then
 * returns at once. On silicon this keeps waiters off the interconnect;
 * under an emulator that runs its CPUs in turn (QEMU TCG with -icount)
 * WFE hands the turn to the next CPU, where a bare spin would burn a
 * whole turn (100 ms of virtual time) while the holder waits to run.
 */
#ifndef ASM_SPIN_H
#define ASM_SPIN_H

static inline void arch_spin_wait(void)
{
	__asm__ volatile("wfe" ::: "memory");
}

/* Publish the unlock, then wake the waiters. */
static inline void arch_spin_wake(void)
{
	__asm__ volatile("dsb ishst\n\tsev" ::: "memory");
}

#endif
