/* SPDX-License-Identifier: MIT */
/* Interfaces between the boot files. */
#ifndef BOOT_BOOT_H
#define BOOT_BOOT_H

#include <kairos/board.h>
#include <kairos/compiler.h>
#include <kairos/irq.h>

#define KICK_SGI IRQ_SGI_KICK

/** SGI each CPU sends itself at boot to prove EOImode=1 is in effect. */
#define SPLIT_EOI_SGI 15U

/** The board as parsed at boot; read-only afterwards. */
extern struct board board;

/** Per-CPU setup common to every pCPU: GIC interface, timer, IRQs on. */
bool boot_cpu_local_init(struct cpu *c);

/** Start this CPU's timerq self-test; its verdict is printed when done. */
void boot_cpu_selftest(struct cpu *c);

/** Start every secondary CPU, one at a time, waiting for each. */
void smp_start_secondaries(void);

/** Stop the boot for good (the reason has been printed). */
NORETURN void boot_stop(void);

/* Entry points called from head.S. */
NORETURN void boot_primary(void *fdt, unsigned long el);
NORETURN void boot_secondary(unsigned long idx);
void secondary_entry(void);

/* From cpu.c */
void arch_set_boot_el(unsigned int el);

#endif
