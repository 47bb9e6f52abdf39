/* SPDX-License-Identifier: MIT */
#ifndef DRIVERS_GIC_H
#define DRIVERS_GIC_H

#include <kairos/board.h>
#include <kairos/err.h>

/** Priority Kairos gives every interrupt it uses (lower is higher). */
#define GIC_PRIO_DEFAULT 0xa0U

/**
 * Initialise the distributor described by @b and register the irqchip.
 * Boot CPU only, MMU on. Prints the reason on failure.
 */
enum kairos_err gicv2_init(const struct board *b);
enum kairos_err gicv3_init(const struct board *b);

#endif
