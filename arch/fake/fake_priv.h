/* SPDX-License-Identifier: MIT */
/* Shared between the files of arch/fake; tests use fake.h only. */
#ifndef ARCH_FAKE_PRIV_H
#define ARCH_FAKE_PRIV_H

#include "fake.h"

/** One queued guest run (fake_vcpu_push_guest()). */
struct fake_step {
	enum fake_exit e;
	uint64_t ticks;
	fake_guest_fn guest, fn;
	void *arg;
};

/**
 * The checks and bookkeeping of arch_vcpu_enter(): *@s is the run to
 * make. Fails the test on an entry with nothing queued (or ends
 * fake_vcpu_run_script()).
 */
void fake_vcpu_enter(struct vcpu *v, struct fake_step *s);

/** The guest part of run @s of @v: time passes, EL1 state changes. */
void fake_vcpu_guest(struct vcpu *v, const struct fake_step *s);

/** The run loop of this pCPU reached @phase: run its event if due. */
void fake_phase(enum fake_phase phase);

/**
 * The fake irqchip of the current pCPU would hand out an interrupt: the
 * vtimer's output is high and its PPI not active, or one raised is
 * pending and not active (fake_gic.c).
 */
bool fake_gic_signalled(void);

/** The fake PMU's overflow output at pCPU @cpu (level, FAKE_PMU_PPI). */
bool fake_pmu_line_on(unsigned int cpu);

/** fake_reset() of the GIC and virtual timer side (fake_gic.c). */
void fake_gic_reset(void);

#endif
