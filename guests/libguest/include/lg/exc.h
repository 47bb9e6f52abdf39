/* SPDX-License-Identifier: MIT */
/*
 * EL1 exceptions: a per-CPU handler registry and "catch" of an expected
 * synchronous exception. While a catch is armed on a CPU, the next
 * synchronous exception it takes that no handler claimed (at EL1, or at
 * EL0 under run_at_el0()) is recorded and the faulting instruction is
 * skipped; anything else unexpected fails the running test.
 */
#ifndef LG_EXC_H
#define LG_EXC_H

#include <stdbool.h>
#include <stdint.h>

/** Registers saved on exception entry (layout shared with vectors.S). */
struct exc_frame {
	uint64_t x[31];
	uint64_t elr;
	uint64_t spsr;
	uint64_t esr;
	uint64_t far;
	uint64_t pad;
};

/** Vector table slot: (source << 2) | type, as in the Arm ARM D1.10.2. */
enum exc_kind {
	EXC_SYNC_EL1 = 4, /**< current EL with SP_EL1 */
	EXC_IRQ_EL1 = 5,
	EXC_SYNC_EL0 = 8, /**< lower EL, AArch64 */
	EXC_IRQ_EL0 = 9,
};

/** Claims an exception (returns true) or passes it on (false). */
typedef bool (*exc_handler_t)(struct exc_frame *frame, unsigned int kind);

/** What a catch recorded. */
struct exc_record {
	bool taken;
	unsigned int kind; /**< enum exc_kind of the exception */
	uint64_t esr;
	uint64_t far;
	uint64_t elr; /**< address of the faulting instruction */
	uint64_t spsr;
};

#define ESR_EC(esr) (((esr) >> 26) & 0x3f)
#define ESR_IL (1UL << 25)
#define ESR_ISS_DFSC(esr) ((esr)&0x3f)
#define ESR_ISS_WNR (1UL << 6)
#define ESR_ISS_FNV (1UL << 10)
#define ESR_EC_UNKNOWN 0x00
#define ESR_EC_SVC64 0x15
#define ESR_EC_DABT_LOW 0x24
#define ESR_EC_DABT_CUR 0x25
#define DFSC_SEA 0x10 /* synchronous external abort, not on a walk */

/** Sets this CPU's synchronous exception handler (NULL: none). */
void exc_set_sync_handler(exc_handler_t handler);
/** Sets this CPU's IRQ handler (NULL: none; an IRQ then fails the test). */
void exc_set_irq_handler(exc_handler_t handler);

/** Arms the catch on this CPU and forgets any earlier record. */
void exc_catch_begin(void);
/** Disarms the catch; fills @rec and returns whether one was caught. */
bool exc_catch_end(struct exc_record *rec);

/** Names an exception class, for messages. */
const char *exc_ec_name(uint64_t ec);

/**
 * Runs fn(arg) at EL0 (EL0t, interrupts masked, this CPU's EL0 stack) and
 * returns its result. @fn must be in the image's text; it comes back with
 * an SVC #0 that libguest issues when it returns.
 */
uint64_t run_at_el0(uint64_t (*fn)(void *arg), void *arg);

/**
 * Run hand-encoded AArch32 code at EL0 from @pc with SPSR @spsr (User
 * mode; T for Thumb) until its first exception (guests/libguest/a32_run.S):
 * @regs[0..3] go in R0-R3 and come back from them; @regs[4] = ESR_EL1,
 * @regs[5] = ELR_EL1, @regs[6] = the vector slot taken. Returns 0.
 */
uint64_t a32_run(uint64_t pc, uint64_t spsr, uint64_t *regs);

#endif
