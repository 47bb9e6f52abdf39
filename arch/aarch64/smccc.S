/* SPDX-License-Identifier: MIT */
#include <asm/asm.h>

/* SMCCC SMC conduit: x0..x3 in, x0 out (Arm DEN0028). */
func arch_smccc_smc
	smc	#0
	ret
endfunc arch_smccc_smc
