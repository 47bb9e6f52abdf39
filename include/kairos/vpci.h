/* SPDX-License-Identifier: MIT */
/*
 * Where the emulated PCI function of a shared-memory region puts its BARs
 * (core/vdev/vpci.c, docs/shmem.md): what the function answers and what
 * the guest's device tree says (core/guest_dtb.c) come from here, so the
 * two agree.
 */
#ifndef KAIROS_VPCI_H
#define KAIROS_VPCI_H

#include <kairos/profile_virt.h>
#include <kairos/vm_config.h>

/** Vendor and device ID: QEMU's ivshmem (Red Hat's virtio range). */
#define VPCI_VENDOR 0x1af4U
#define VPCI_DEVICE 0x1110U
/** Class 05 (memory controller), subclass 00 (RAM), as ivshmem. */
#define VPCI_CLASS 0x050000U
#define VPCI_REVISION 1U
#define VPCI_SUBSYS_VENDOR 0x1af4U
#define VPCI_SUBSYS_ID 0x1100U

/** Region @r's function: device @r of bus 0, function 0. */
#define VPCI_DEVFN(r) ((r) << 3)

/** BAR0, the region's doorbell page (32-bit, non-prefetchable). */
static inline uint64_t vpci_bar0(const struct vm_shmem *m)
{
	return VIRT_SHMEM_DOORBELL + m->region * VIRT_SHMEM_DOORBELL_SIZE;
}

/**
 * BAR2 is the region itself when a BAR can describe it: its size a power
 * of two and its address aligned to it. Otherwise the function has no
 * BAR2 and the region is reached at its address in the device tree.
 */
static inline bool vpci_bar2_ok(const struct vm_shmem *m)
{
	return !(m->size & (m->size - 1)) &&
	       !(ipa_addr(m->ipa) & (m->size - 1));
}

/**
 * A region wholly below 4 GiB is a 32-bit non-prefetchable BAR (which
 * Linux's uio_pci_generic also offers as its map1); above, a 64-bit
 * prefetchable one, as ivshmem's.
 */
static inline bool vpci_bar2_64(const struct vm_shmem *m)
{
	return ipa_addr(m->ipa) + m->size > (1ULL << 32);
}

#endif
