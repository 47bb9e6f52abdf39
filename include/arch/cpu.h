/* SPDX-License-Identifier: MIT */
/*
 * CPU hooks used by core/. Implemented by arch/aarch64 and arch/fake; a
 * missing hook is a link error.
 */
#ifndef ARCH_CPU_H
#define ARCH_CPU_H

#include <kairos/compiler.h>
#include <kairos/types.h>

struct cpu;

/** The struct cpu of the CPU running this code (TPIDR_EL2 on hardware). */
struct cpu *arch_cpu_current(void);

/** Install @c as this CPU's struct cpu. */
void arch_cpu_set_current(struct cpu *c);

/** This CPU's affinity (MPIDR_EL1 Aff3..Aff0, other bits cleared). */
uint64_t arch_cpu_mpidr(void);

/** Mask interrupts and return the previous mask state. */
unsigned long arch_irq_save(void);

/** Restore the interrupt mask state returned by arch_irq_save(). */
void arch_irq_restore(unsigned long flags);

/**
 * An interrupt the EL2 vectors acknowledged already on this CPU (the
 * virtual timer's fast path takes whatever the controller offers): true
 * and its IAR value in *@iar, once. The interrupt controller driver asks
 * before it acknowledges one itself.
 */
bool arch_irq_take_stashed(uint32_t *iar);

/** Unmask interrupts on this CPU. */
void arch_irq_enable(void);

/** Mask interrupts on this CPU. */
void arch_irq_disable(void);

/**
 * Wait for an interrupt. Called with interrupts masked; returns with them
 * still masked once one is pending, so the caller can re-check its
 * condition without a lost-wakeup window.
 */
void arch_wait_for_interrupt(void);

/**
 * One round of a polling loop that waits for another CPU: a hint that
 * lets an emulator running its CPUs in turn run the one waited for.
 */
void arch_cpu_relax(void);

/** Stop this CPU for good: interrupts masked, parked in WFI. */
NORETURN void arch_cpu_halt(void);

/**
 * Cause an unexpected synchronous exception on this CPU (a load from an
 * unmapped address): the shell's "crash" command, to exercise the crash
 * report.
 */
void arch_trigger_fault(void);

/** Exception level the hypervisor was entered at (2 when all is well). */
unsigned int arch_boot_el(void);

#endif
