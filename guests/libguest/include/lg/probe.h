/* SPDX-License-Identifier: MIT */
/*
 * Probes: one load or store under an exception catch (lg/exc.h), with the
 * address of the instruction, so a test can check where an abort was
 * reported and what the access returned.
 */
#ifndef LG_PROBE_H
#define LG_PROBE_H

#include <lg/exc.h>
#include <stdbool.h>
#include <stdint.h>

/** What one access did. */
struct probe {
	bool completed; /**< no exception: the access completed */
	uint64_t val;   /**< the destination register, whole (or the value
			     stored) */
	uint64_t base;  /**< the base register afterwards (writeback forms,
			     which the test's own assembly fills in) */
	uint64_t pc;    /**< address of the access instruction */
	struct exc_record rec;
};

#define PROBE_LOAD(fname, insn, reg)                                        \
	static inline void fname(uintptr_t addr, struct probe *p)           \
	{                                                                   \
		uint64_t v = 0, at;                                         \
                                                                            \
		exc_catch_begin();                                          \
		__asm__ volatile("adr %1, 1f\n1:\t" insn " %" reg "0, [%2]" \
				 : "+r"(v), "=&r"(at)                       \
				 : "r"(addr)                                \
				 : "memory");                               \
		p->completed = !exc_catch_end(&p->rec);                     \
		p->val = v;                                                 \
		p->pc = at;                                                 \
	}

#define PROBE_STORE(fname, insn, reg)                                       \
	static inline void fname(uintptr_t addr, uint64_t val,              \
				 struct probe *p)                           \
	{                                                                   \
		uint64_t at;                                                \
                                                                            \
		exc_catch_begin();                                          \
		__asm__ volatile("adr %0, 1f\n1:\t" insn " %" reg "1, [%2]" \
				 : "=&r"(at)                                \
				 : "r"(val), "r"(addr)                      \
				 : "memory");                               \
		p->completed = !exc_catch_end(&p->rec);                     \
		p->val = val;                                               \
		p->pc = at;                                                 \
	}

PROBE_LOAD(probe_ldrb, "ldrb", "w")
PROBE_LOAD(probe_ldrh, "ldrh", "w")
PROBE_LOAD(probe_ldr32, "ldr", "w")
PROBE_LOAD(probe_ldr64, "ldr", "x")
PROBE_LOAD(probe_ldrsb, "ldrsb", "x")
PROBE_LOAD(probe_ldrsh, "ldrsh", "x")
PROBE_LOAD(probe_ldrsw, "ldrsw", "x")
PROBE_STORE(probe_strb, "strb", "w")
PROBE_STORE(probe_strh, "strh", "w")
PROBE_STORE(probe_str32, "str", "w")
PROBE_STORE(probe_str64, "str", "x")

#endif
