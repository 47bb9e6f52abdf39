/* SPDX-License-Identifier: MIT */
/* libguest's own interfaces between its files (not for test guests). */
#ifndef LG_INTERNAL_H
#define LG_INTERNAL_H

#include <lg/exc.h>
#include <stddef.h>
#include <stdint.h>

/** A recursive spinlock; owner is CPU index + 1, 0 when free. */
struct lg_rlock {
	uint32_t owner;
	uint32_t count;
};

void lg_rlock_acquire(struct lg_rlock *lock);
void lg_rlock_release(struct lg_rlock *lock);

/* Called from start.S. */
void lg_early_init(const void *dtb);
void lg_main(void) __attribute__((noreturn));
void lg_secondary_main(unsigned int idx) __attribute__((noreturn));
void lg_exc_dispatch(struct exc_frame *frame, unsigned int kind);
void lg_early_puts(const char *s);

/* In start.S. */
void lg_secondary_entry(void);
void lg_el0_return(uint64_t result) __attribute__((noreturn));
/** Per CPU: saved x19..x30, sp, daif, then whether EL0 code is running. */
struct lg_el0_slot {
	uint64_t regs[14];
	uint64_t active;
	uint64_t pad;
};
extern struct lg_el0_slot lg_el0_ctx[];

/** Parses RAM, CPUs and bootargs (MMU off). False: no usable DTB. */
bool board_early_init(const void *dtb);
/** Builds lg_pt_root from the RAM ranges (MMU off). */
void mmu_build(void);

/** Writes to the PL011, serialised between CPUs. */
void uart_write(const char *buf, size_t len);

/** Prints a crash report for an exception nobody expected and aborts. */
void exc_unexpected(const struct exc_frame *frame, unsigned int kind)
	__attribute__((noreturn));

#endif
