/* SPDX-License-Identifier: MIT */
/* Device register access. Device-nGnRE mappings keep these in order. */
#ifndef KAIROS_MMIO_H
#define KAIROS_MMIO_H

#include <kairos/types.h>

static inline uint32_t mmio_read32(const void *base, uint64_t off)
{
	return *(const volatile uint32_t *)((uintptr_t)base + off);
}

static inline void mmio_write32(void *base, uint64_t off, uint32_t v)
{
	*(volatile uint32_t *)((uintptr_t)base + off) = v;
}

static inline uint64_t mmio_read64(const void *base, uint64_t off)
{
	return *(const volatile uint64_t *)((uintptr_t)base + off);
}

static inline void mmio_write64(void *base, uint64_t off, uint64_t v)
{
	*(volatile uint64_t *)((uintptr_t)base + off) = v;
}

static inline void mmio_write8(void *base, uint64_t off, uint8_t v)
{
	*(volatile uint8_t *)((uintptr_t)base + off) = v;
}

static inline uint8_t mmio_read8(const void *base, uint64_t off)
{
	return *(const volatile uint8_t *)((uintptr_t)base + off);
}

#endif
