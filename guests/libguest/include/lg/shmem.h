/* SPDX-License-Identifier: MIT */
/*
 * Kairos shared-memory regions (docs/shmem.md), as the guest's DTB lists
 * them: a "generic-uio" node per region with kairos,doorbell-index, whose
 * reg is the doorbell page and then the region, and whose interrupt is the
 * region's doorbell SPI (edge). libguest maps every region Normal
 * write-back, inner shareable, like RAM, so two guests share it coherently.
 */
#ifndef LG_SHMEM_H
#define LG_SHMEM_H

#include <stdbool.h>
#include <stdint.h>

/** One region as this guest sees it. */
struct lg_shmem {
	uint64_t base, size; /**< the region (guest-physical = virtual) */
	uintptr_t bell;      /**< its doorbell page */
	unsigned int intid;  /**< its doorbell SPI */
	unsigned int index;  /**< this guest's doorbell index (the DTB's) */
	bool ro;             /**< mapped read-only by the hypervisor */
};

/** Doorbell registers (32-bit, whole accesses only). */
#define SHMEM_BELL_SELF 0x00
#define SHMEM_BELL_PEERS 0x04
#define SHMEM_BELL_RING 0x08
#define SHMEM_BELL_RUNG 0x0c
#define SHMEM_BELL_COALESCED 0x10
#define SHMEM_BELL_BAD 0x14
#define SHMEM_BELL_DROPPED 0x18
#define SHMEM_BELL_RECEIVED 0x1c

/** The @n-th region of the DTB, in DTB order; false when there is none. */
bool shmem_find(unsigned int n, struct lg_shmem *out);

/**
 * Ring participant @peer: everything written to the region before is
 * visible to it when its doorbell interrupt arrives.
 */
void shmem_ring(const struct lg_shmem *s, uint32_t peer);

/** A doorbell register (SHMEM_BELL_*). */
uint32_t shmem_bell_read(const struct lg_shmem *s, unsigned int reg);

#endif
