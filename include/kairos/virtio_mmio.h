/* SPDX-License-Identifier: MIT */
/*
 * The virtio-mmio transports of the virt profile, with no device behind
 * them: what QEMU's virt machine shows at 0x0a000000 when nothing is
 * attached (docs/user-guide.md, "Memory map of a virt VM").
 */
#ifndef KAIROS_VIRTIO_MMIO_H
#define KAIROS_VIRTIO_MMIO_H

#include <kairos/vm.h>

/** MagicValue: "virt" in little-endian ASCII. */
#define VIRTIO_MMIO_MAGIC 0x74726976U
/**
 * Version: 1, the legacy interface, as QEMU's transports answer by
 * default (their force-legacy property is on).
 */
#define VIRTIO_MMIO_VERSION 1U
/** VendorID: "QEMU" in little-endian ASCII. */
#define VIRTIO_MMIO_VENDOR 0x554d4551U

/**
 * The 32-bit value a read of @off (from the start of one transport) gives
 * whole: magic, version and vendor ID at 0x000, 0x004 and 0x00c, zero
 * everywhere else (DeviceID 0: no device).
 */
uint32_t virtio_mmio_reg(uint64_t off);

/** Register the profile's transports in @vm (read-only, writes ignored). */
bool virtio_mmio_attach(struct vm *vm);

#endif
