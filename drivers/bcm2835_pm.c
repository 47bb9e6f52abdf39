// SPDX-License-Identifier: MIT
/*
 * The power-management watchdog of the BCM2835 family (BCM2711 on the
 * Raspberry Pi 4; DT compatible brcm,bcm2835-pm-wdt): the Pi has no PSCI,
 * so this is how it resets or halts. Arming the watchdog with a short
 * timeout and the "full reset" configuration restarts the SoC; the
 * firmware then boots the partition written into PM_RSTS, and partition
 * 63 is the convention (shared with the firmware and QEMU's model) for
 * "halt": the board stays off until power is cycled.
 *
 * Every write carries the password in bits [31:24]; the partition number
 * is spread over the even bits [10:0] of PM_RSTS.
 */
#include <drivers/bcm2835_pm.h>
#include <kairos/mmio.h>

#define PM_RSTC 0x1c
#define PM_RSTS 0x20
#define PM_WDOG 0x24

#define PM_PASSWORD 0x5a000000U
#define PM_RSTC_WRCFG_MASK 0x00000030U
#define PM_RSTC_WRCFG_FULL_RESET 0x00000020U
#define PM_RSTS_PARTITION_MASK 0x00000555U /* bits 0, 2, ..., 10 */
#define PM_WDOG_TIME_MASK 0x000fffffU
#define PM_WDOG_TICKS 10U /* 16 us ticks: fires ~150 us after arming */

static void *pm;

void bcm2835_pm_init(void *base)
{
	pm = base;
}

/* Partition number @n (0..63) in PM_RSTS's even bits. */
static uint32_t partition_bits(unsigned int n)
{
	uint32_t v = 0;

	for (unsigned int b = 0; b < 6; b++)
		if (n & (1U << b))
			v |= 1U << (2 * b);
	return v;
}

bool bcm2835_pm_restart(bool halt)
{
	uint32_t rsts, rstc;

	if (!pm)
		return false;
	rsts = mmio_read32(pm, PM_RSTS) & ~0xff000000U &
	       ~PM_RSTS_PARTITION_MASK;
	mmio_write32(pm, PM_RSTS,
		     PM_PASSWORD | rsts | partition_bits(halt ? 63 : 0));
	mmio_write32(pm, PM_WDOG,
		     PM_PASSWORD | (PM_WDOG_TICKS & PM_WDOG_TIME_MASK));
	rstc = mmio_read32(pm, PM_RSTC) & ~0xff000000U & ~PM_RSTC_WRCFG_MASK;
	mmio_write32(pm, PM_RSTC,
		     PM_PASSWORD | rstc | PM_RSTC_WRCFG_FULL_RESET);
	return true;
}
