/* SPDX-License-Identifier: MIT */
/*
 * MMIO accessors. Each is one load or store instruction in inline
 * assembly, so the instruction a hypervisor decodes (and the one an abort
 * handler skips) is exactly the one named: ldrb/ldrh/ldr and the
 * sign-extending ldrsb/ldrsh/ldrsw into a W or an X register.
 */
#ifndef LG_MMIO_H
#define LG_MMIO_H

#include <stdint.h>

#define LG_MMIO_LOAD(name, insn, reg, type)              \
	static inline type name(uintptr_t addr)          \
	{                                                \
		uint64_t v = 0;                          \
		__asm__ volatile(insn " %" reg "0, [%1]" \
				 : "+r"(v)               \
				 : "r"(addr)             \
				 : "memory");            \
		return (type)v;                          \
	}

#define LG_MMIO_STORE(name, insn, reg, type)                                   \
	static inline void name(uintptr_t addr, type val)                      \
	{                                                                      \
		__asm__ volatile(insn " %" reg "0, [%1]" ::"r"(val), "r"(addr) \
				 : "memory");                                  \
	}

/* Zero-extending loads. */
LG_MMIO_LOAD(mmio_read8, "ldrb", "w", uint8_t)
LG_MMIO_LOAD(mmio_read16, "ldrh", "w", uint16_t)
LG_MMIO_LOAD(mmio_read32, "ldr", "w", uint32_t)
LG_MMIO_LOAD(mmio_read64, "ldr", "x", uint64_t)

/* Sign-extending loads into an X register: the full 64-bit result. */
LG_MMIO_LOAD(mmio_read8s, "ldrsb", "x", int64_t)
LG_MMIO_LOAD(mmio_read16s, "ldrsh", "x", int64_t)
LG_MMIO_LOAD(mmio_read32s, "ldrsw", "x", int64_t)

/*
 * Sign-extending loads into a W register. The whole X register is
 * returned: the architecture extends to 32 bits and zeroes bits 63:32,
 * and a hypervisor that emulates the load must do the same.
 */
LG_MMIO_LOAD(mmio_read8s_w, "ldrsb", "w", uint64_t)
LG_MMIO_LOAD(mmio_read16s_w, "ldrsh", "w", uint64_t)

LG_MMIO_STORE(mmio_write8, "strb", "w", uint8_t)
LG_MMIO_STORE(mmio_write16, "strh", "w", uint16_t)
LG_MMIO_STORE(mmio_write32, "str", "w", uint32_t)
LG_MMIO_STORE(mmio_write64, "str", "x", uint64_t)

#endif
