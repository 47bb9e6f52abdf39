/* SPDX-License-Identifier: MIT */
/*
 * The MMIO dispatch: a trapped guest access to an emulated device, as the
 * trap decoder in arch/ hands it to core (core/vmmio.c).
 */
#ifndef KAIROS_VMMIO_H
#define KAIROS_VMMIO_H

#include <kairos/vm.h>

enum mmio_status {
	MMIO_OK,        /**< emulated */
	MMIO_NO_DEVICE, /**< nothing at that IPA */
	MMIO_REFUSED,   /**< the device rejects this access */
};

/** Emulate a guest access of @len bytes (1, 2, 4, 8) at @ipa. */
enum mmio_status vmmio_access(struct vcpu *v, uint64_t ipa, bool write,
			      unsigned int len, uint64_t *val);

/** True if @ipa is read-only memory where writes are ignored (flash). */
bool vm_ipa_ignores_writes(const struct vm *vm, uint64_t ipa);

#endif
