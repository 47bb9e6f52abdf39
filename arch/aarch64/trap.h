/* SPDX-License-Identifier: MIT */
/* Guest trap handling inside arch/aarch64. */
#ifndef AARCH64_TRAP_H
#define AARCH64_TRAP_H

#include <kairos/vm.h>

/** Give @v its FP/SIMD registers after a CPTR_EL2.TFP trap. */
void trap_fp(struct vcpu *v);

/** Take a synchronous exception to the guest's EL1 with @esr and @far. */
void trap_inject_sync(struct vcpu *v, uint64_t esr, uint64_t far);

#endif
