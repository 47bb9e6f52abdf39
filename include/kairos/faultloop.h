/* SPDX-License-Identifier: MIT */
/*
 * Fault loops: a vCPU that takes the same injected exception over and over
 * without progress (a broken VBAR_EL1, a stack in MMIO, page tables outside
 * RAM) would keep its pCPU busy forever. After the VM's fault-loop-limit
 * identical injections in a row its VM is stopped (docs/user-guide.md,
 * "Architecture conformance").
 */
#ifndef KAIROS_FAULTLOOP_H
#define KAIROS_FAULTLOOP_H

#include <kairos/vm.h>

/**
 * Kairos is about to inject an exception of class @ec for address @addr
 * (the faulting IPA, or 0) into @v, whose PC is the instruction at fault.
 * Returns true when this is the limit-th identical one in a row: @v's VM
 * has then been stopped (a fatal error) and nothing must be injected.
 */
bool faultloop_inject(struct vcpu *v, uint32_t ec, uint64_t addr);

/** faultloop_exit_done() while a loop is being counted. */
void faultloop_exit_counted(struct vcpu *v);

/**
 * End of one synchronous exit of @v: if it injected nothing, the guest
 * made progress and a loop being counted ends. Inline: with no loop
 * counted (the common case) there is nothing to do.
 */
static inline void faultloop_exit_done(struct vcpu *v)
{
	if (v->faultloop_live)
		faultloop_exit_counted(v);
}

#endif
