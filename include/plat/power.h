/* SPDX-License-Identifier: MIT */
/* Board power control, for the shell. */
#ifndef PLAT_POWER_H
#define PLAT_POWER_H

#include <kairos/types.h>

/**
 * Exit status of a board powered off by Kairos: QEMU's exit status when
 * QEMU offers semihosting (tools/kairos-qemu; docs/user-guide.md).
 */
enum power_status {
	POWER_OK = 0, /**< all VMs stopped by themselves; poweroff */
	POWER_CONFIG_REFUSED = 3, /**< the configuration was refused */
	POWER_NO_VM = 4,          /**< the VMs could not be created */
	POWER_VM_FAILED = 5,      /**< all stopped, one on a fatal error */
};

/** Power the board off (status POWER_OK). False if the board cannot. */
bool plat_power_off(void);

/** Power the board off with exit status @st. False if it cannot. */
bool plat_power_off_status(enum power_status st);

/** Reset the board. Returns false if the board cannot. */
bool plat_reset(void);

#endif
