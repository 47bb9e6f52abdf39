// SPDX-License-Identifier: MIT
/* Dispatch of trapped guest MMIO to the VM's emulated devices. */
#include <kairos/vmmio.h>

/* Whether @r holds all @len bytes at @ipa; its offset in *@off. */
static bool holds(const struct mmio_region *r, uint64_t ipa, unsigned int len,
		  uint64_t *off)
{
	*off = ipa - r->base;
	return ipa >= r->base && *off < r->size && len <= r->size - *off;
}

static enum mmio_status access(struct vcpu *v, const struct mmio_region *r,
			       uint64_t off, bool write, unsigned int len,
			       uint64_t *val)
{
	if (write)
		return r->write(v, r->dev, off, len, *val) ? MMIO_OK :
							     MMIO_REFUSED;
	if (!r->read(v, r->dev, off, len, val))
		return MMIO_REFUSED;
	/*
	 * A load gets only the bytes it asked for, whatever the device
	 * returned (a whole register to a byte read of it): the bus carries
	 * len bytes.
	 */
	if (len < 8)
		*val &= (1UL << (8 * len)) - 1;
	return MMIO_OK;
}

enum mmio_status vmmio_access(struct vcpu *v, uint64_t ipa, bool write,
			      unsigned int len, uint64_t *val)
{
	struct vm *vm = v->vm;
	unsigned int last = __atomic_load_n(&vm->mmio_last, __ATOMIC_RELAXED);
	uint64_t off;

	/* A guest mostly talks to one device at a time: that one first. */
	if (last < vm->nr_mmio && holds(&vm->mmio[last], ipa, len, &off))
		return access(v, &vm->mmio[last], off, write, len, val);
	for (unsigned int i = 0; i < vm->nr_mmio; i++) {
		if (!holds(&vm->mmio[i], ipa, len, &off))
			continue;
		__atomic_store_n(&vm->mmio_last, i, __ATOMIC_RELAXED);
		return access(v, &vm->mmio[i], off, write, len, val);
	}
	return MMIO_NO_DEVICE;
}
