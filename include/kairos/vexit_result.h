/* SPDX-License-Identifier: MIT */
/* The outcome of a trap handler, shared by arch/ and core/. */
#ifndef KAIROS_VEXIT_RESULT_H
#define KAIROS_VEXIT_RESULT_H

/**
 * What a trap handler decides happens next (core/run.c acts on it; a
 * handler never calls back into the loop).
 */
enum vexit_result {
	VEXIT_RESUME,  /**< continue the guest */
	VEXIT_RESCHED, /**< the vCPU's run state changed (CPU_OFF, VM reset
			    or stop, ...): ask the scheduler */
	VEXIT_WFI,     /**< block until an interrupt is pending (WFI, PSCI
			    CPU_SUSPEND) */
	VEXIT_YIELD,   /**< WFE: let an equal run */
};

#endif
