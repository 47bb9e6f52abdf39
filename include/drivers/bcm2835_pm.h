/* SPDX-License-Identifier: MIT */
/* The BCM2835/BCM2711 power-management watchdog (drivers/bcm2835_pm.c). */
#ifndef DRIVERS_BCM2835_PM_H
#define DRIVERS_BCM2835_PM_H

#include <kairos/types.h>

/** Its "pm" registers, mapped; without this call the board has none. */
void bcm2835_pm_init(void *base);

/**
 * Restart the SoC through the watchdog: into the firmware's halt state
 * (@halt: the board powers down) or a normal boot. Returns false when the
 * board has no such watchdog; otherwise the restart is under way (it takes
 * a few hundred microseconds).
 */
bool bcm2835_pm_restart(bool halt);

#endif
