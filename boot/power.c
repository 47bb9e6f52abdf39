// SPDX-License-Identifier: MIT
/*
 * Board power control: PSCI when the board has it, else the Raspberry Pi's
 * power-management watchdog (drivers/bcm2835_pm.c); power-off through
 * semihosting first where it is there, for the exit status.
 */
#include <arch/cpu.h>
#include <arch/timer.h>
#include <drivers/bcm2835_pm.h>
#include <drivers/psci.h>
#include <drivers/semihosting.h>
#include <kairos/time.h>
#include <plat/power.h>

/* The watchdog fires within a millisecond; a board that is still here
 * after 100 ms did not restart. */
static bool pm_restart(bool halt)
{
	uint64_t end;

	if (!bcm2835_pm_restart(halt))
		return false;
	end = arch_timer_now() + time_us_to_ticks(100000);
	while (arch_timer_now() < end)
		arch_cpu_relax();
	return false;
}

/*
 * With semihosting (QEMU, tools/kairos-qemu) the exit status reaches
 * whoever started the board; PSCI SYSTEM_OFF has none (QEMU exits 0).
 */
bool plat_power_off_status(enum power_status st)
{
	semihosting_exit((unsigned int)st);
	psci_system_off();
	return pm_restart(true); /* only reached when PSCI could not */
}

bool plat_power_off(void)
{
	return plat_power_off_status(POWER_OK);
}

bool plat_reset(void)
{
	psci_system_reset();
	return pm_restart(false);
}
