/* SPDX-License-Identifier: MIT */
/*
 * Basic types. Addresses are one-field structs so that a guest IPA, a host
 * physical address and a virtual address cannot be mixed by accident: the
 * compiler refuses the assignment.
 */
#ifndef KAIROS_TYPES_H
#define KAIROS_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** A host physical address. */
typedef struct {
	uint64_t bits;
} paddr_t;

/** A guest intermediate physical address (stage-2 input). */
typedef struct {
	uint64_t bits;
} ipa_t;

/** A hypervisor virtual address (EL2 stage-1 input). */
typedef struct {
	uint64_t bits;
} vaddr_t;

static inline paddr_t pa_init(uint64_t v)
{
	return (paddr_t){ .bits = v };
}

static inline uint64_t pa_addr(paddr_t p)
{
	return p.bits;
}

static inline ipa_t ipa_init(uint64_t v)
{
	return (ipa_t){ .bits = v };
}

static inline uint64_t ipa_addr(ipa_t a)
{
	return a.bits;
}

static inline vaddr_t va_init(uint64_t v)
{
	return (vaddr_t){ .bits = v };
}

static inline uint64_t va_addr(vaddr_t v)
{
	return v.bits;
}

/** The hypervisor runs identity-mapped: a physical address is its VA. */
static inline void *pa_to_ptr(paddr_t p)
{
	return (void *)(uintptr_t)p.bits;
}

#endif
