// SPDX-License-Identifier: MIT
/*
 * Empty virtio-mmio transports (virtio 1.2 §4.2.2, register layout). With
 * no device behind it a transport is read-only: QEMU's answers the magic
 * value, the version and its vendor ID at those offsets, zero everywhere
 * else, DeviceID 0 included (the "no device" placeholder Linux skips
 * silently), and ignores writes. A read is answered by offset, as QEMU
 * does: a narrow read returns the low bytes of the value at that offset
 * and 0 inside a register; a 64-bit read is two 32-bit ones.
 */
#include <kairos/profile_virt.h>
#include <kairos/vdev.h>

#include "vdev_priv.h"

#define REG_MAGIC 0x000
#define REG_VERSION 0x004
#define REG_VENDOR 0x00c

uint32_t virtio_mmio_reg(uint64_t off)
{
	switch (off) {
	case REG_MAGIC: return VIRTIO_MMIO_MAGIC;
	case REG_VERSION: return VIRTIO_MMIO_VERSION;
	case REG_VENDOR: return VIRTIO_MMIO_VENDOR;
	default: return 0;
	}
}

/* @len is 1, 2, 4 or 8 and @off lies in the window (vmmio_access). */
static bool virtio_read(struct vcpu *v, void *dev, uint64_t off,
			unsigned int len, uint64_t *val)
{
	uint64_t reg = off % VIRT_VIRTIO_SIZE;

	(void)v;
	(void)dev;
	/* Unaligned: QEMU refuses it (a bus error), so does this. */
	if (off & (len - 1))
		return false;
	if (len == 8) {
		*val = virtio_mmio_reg(reg) | (uint64_t)virtio_mmio_reg(reg + 4)
						      << 32;
		return true;
	}
	*val = virtio_mmio_reg(reg) & (0xffffffffU >> (32 - 8 * len));
	return true;
}

static bool virtio_write(struct vcpu *v, void *dev, uint64_t off,
			 unsigned int len, uint64_t val)
{
	(void)v;
	(void)dev;
	(void)val;
	return !(off & (len - 1)); /* no device: nothing to write to */
}

bool virtio_mmio_attach(struct vm *vm)
{
	const struct mmio_region r = {
		.base = VIRT_VIRTIO,
		.size = VIRT_VIRTIO_SIZE * VIRT_VIRTIO_COUNT,
		.read = virtio_read,
		.write = virtio_write,
		.dev = NULL,
	};

	return vm_add_mmio(vm, &r);
}
