// SPDX-License-Identifier: MIT
/* Dispatch of trapped guest MMIO to the VM's emulated devices. */
#include <kairos/run.h>
#include <kairos/vexit.h>

enum mmio_status vmmio_access(struct vcpu *v, uint64_t ipa, bool write,
			      unsigned int len, uint64_t *val)
{
	struct vm *vm = v->vm;

	for (unsigned int i = 0; i < vm->nr_mmio; i++) {
		const struct mmio_region *r = &vm->mmio[i];
		uint64_t off = ipa - r->base;

		if (ipa < r->base || off >= r->size || len > r->size - off)
			continue;
		if (r->settles && r->settles(off, write))
			run_settle(v);
		if (write ? r->write(v, r->dev, off, len, *val) :
			    r->read(v, r->dev, off, len, val)) {
			/*
			 * A load gets only the bytes it asked for, whatever
			 * the device returned (a whole register to a byte
			 * read of it): the bus carries len bytes.
			 */
			if (!write && len < 8)
				*val &= (1UL << (8 * len)) - 1;
			return MMIO_OK;
		}
		return MMIO_REFUSED;
	}
	return MMIO_NO_DEVICE;
}
