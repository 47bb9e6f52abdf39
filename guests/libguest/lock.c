// SPDX-License-Identifier: MIT
/*
 * Locks: a recursive spinlock for libguest, and newlib's retargetable
 * locking (newlib/libc/misc/lock.c names the static locks) so printf from
 * several CPUs does not tangle stdio. Every newlib lock, static or made at
 * run time (one per FILE), is the same recursive lock: coarse, but no
 * order between locks to get wrong.
 */
#include "internal.h"
#include <lg/cpu.h>
#include <sys/lock.h>

void lg_rlock_acquire(struct lg_rlock *lock)
{
	uint32_t me = cpu_index() + 1;
	uint32_t free_owner;

	if (__atomic_load_n(&lock->owner, __ATOMIC_RELAXED) == me) {
		lock->count++;
		return;
	}
	for (;;) {
		free_owner = 0;
		if (__atomic_compare_exchange_n(&lock->owner, &free_owner, me,
						false, __ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			break;
		__asm__ volatile("yield");
	}
	lock->count = 1;
}

void lg_rlock_release(struct lg_rlock *lock)
{
	if (--lock->count == 0)
		__atomic_store_n(&lock->owner, 0, __ATOMIC_RELEASE);
}

struct __lock {
	char unused;
};

struct __lock __lock___sinit_recursive_mutex;
struct __lock __lock___sfp_recursive_mutex;
struct __lock __lock___atexit_recursive_mutex;
struct __lock __lock___at_quick_exit_mutex;
struct __lock __lock___malloc_recursive_mutex;
struct __lock __lock___env_recursive_mutex;
struct __lock __lock___tz_mutex;
struct __lock __lock___dd_hash_mutex;
struct __lock __lock___arc4random_mutex;

static struct __lock lg_shared_lock;
static struct lg_rlock lg_newlib_lock;

void __retarget_lock_init(_LOCK_T *lock)
{
	*lock = &lg_shared_lock;
}

void __retarget_lock_init_recursive(_LOCK_T *lock)
{
	*lock = &lg_shared_lock;
}

void __retarget_lock_close(_LOCK_T lock)
{
	(void)lock;
}

void __retarget_lock_close_recursive(_LOCK_T lock)
{
	(void)lock;
}

void __retarget_lock_acquire(_LOCK_T lock)
{
	(void)lock;
	lg_rlock_acquire(&lg_newlib_lock);
}

void __retarget_lock_acquire_recursive(_LOCK_T lock)
{
	(void)lock;
	lg_rlock_acquire(&lg_newlib_lock);
}

int __retarget_lock_try_acquire(_LOCK_T lock)
{
	(void)lock;
	lg_rlock_acquire(&lg_newlib_lock);
	return 1;
}

int __retarget_lock_try_acquire_recursive(_LOCK_T lock)
{
	(void)lock;
	lg_rlock_acquire(&lg_newlib_lock);
	return 1;
}

void __retarget_lock_release(_LOCK_T lock)
{
	(void)lock;
	lg_rlock_release(&lg_newlib_lock);
}

void __retarget_lock_release_recursive(_LOCK_T lock)
{
	(void)lock;
	lg_rlock_release(&lg_newlib_lock);
}
