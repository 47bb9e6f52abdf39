/* SPDX-License-Identifier: MIT */
/*
 * What core/ does for the trap decoder in arch/: the decisions behind a
 * guest exit, free of system registers.
 */
#ifndef KAIROS_VEXIT_H
#define KAIROS_VEXIT_H

#include <kairos/vexit_result.h>
#include <kairos/vm.h>

/**
 * An HVC from @v (SMCCC: function ID in x0, arguments x1..x3, results in
 * x0..). PSCI 1.1 functions are emulated; anything else returns
 * NOT_SUPPORTED (-1) in x0.
 */
enum vexit_result vpsci_call(struct vcpu *v);

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

/**
 * Log a stray guest access, once per VM (a hostile guest must not flood
 * the console): @what describes it.
 */
void vm_log_once(struct vcpu *v, const char *what, uint64_t addr);

/** The guest did something Kairos cannot continue: stop its VM. */
void vm_fatal(struct vcpu *v, const char *why);

#endif
