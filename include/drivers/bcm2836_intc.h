/* SPDX-License-Identifier: MIT */
/*
 * The BCM2836/BCM2837 local and peripheral interrupt controllers
 * (drivers/bcm2836_intc.c), driven as an irqchip without a GIC.
 */
#ifndef DRIVERS_BCM2836_INTC_H
#define DRIVERS_BCM2836_INTC_H

#include <kairos/board.h>
#include <kairos/err.h>

/**
 * Take over the controllers @b describes (board.gic.local, .periph, both
 * mapped): every peripheral interrupt masked and sent to this core, and
 * register the irqchip. Boot CPU only; each CPU then runs its cpu_init.
 */
enum kairos_err bcm2836_intc_init(const struct board *b);

#endif
