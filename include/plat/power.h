/* SPDX-License-Identifier: MIT */
/* Board power control, for the shell. */
#ifndef PLAT_POWER_H
#define PLAT_POWER_H

#include <kairos/types.h>

/** Power the board off. Returns false if the board cannot. */
bool plat_power_off(void);

/** Reset the board. Returns false if the board cannot. */
bool plat_reset(void);

#endif
