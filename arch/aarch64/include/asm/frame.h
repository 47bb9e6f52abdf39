/* SPDX-License-Identifier: MIT */
/* The register frame the EL2 vectors save; offsets are checked in C. */
#ifndef ASM_FRAME_H
#define ASM_FRAME_H

#define FRAME_X(n) (8 * (n))
#define FRAME_SP (31 * 8)
#define FRAME_ELR (32 * 8)
#define FRAME_SPSR (33 * 8)
#define FRAME_ESR (34 * 8)
#define FRAME_FAR (35 * 8)
#define FRAME_SIZE (36 * 8)

#ifndef __ASSEMBLER__
#include <stddef.h>
#include <stdint.h>

/** Registers at the time of an exception taken to EL2. */
struct exc_frame {
	uint64_t x[31];
	uint64_t sp;
	uint64_t elr;
	uint64_t spsr;
	uint64_t esr;
	uint64_t far;
};

_Static_assert(offsetof(struct exc_frame, sp) == (size_t)FRAME_SP, "frame sp");
_Static_assert(offsetof(struct exc_frame, elr) == (size_t)FRAME_ELR,
	       "frame elr");
_Static_assert(offsetof(struct exc_frame, far) == (size_t)FRAME_FAR,
	       "frame far");
_Static_assert(sizeof(struct exc_frame) == (size_t)FRAME_SIZE, "frame size");
_Static_assert(FRAME_SIZE % 16 == 0, "stack alignment");
#endif

#endif
