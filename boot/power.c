// SPDX-License-Identifier: MIT
/* Board power control through PSCI, when the board has it. */
#include <drivers/psci.h>
#include <plat/power.h>

bool plat_power_off(void)
{
	psci_system_off();
	return false; /* only reached when PSCI could not do it */
}

bool plat_reset(void)
{
	psci_system_reset();
	return false;
}
