// SPDX-License-Identifier: MIT
/* PSCI client (Arm DEN0022). At EL2 only the SMC conduit reaches firmware. */
#include <arch/smccc.h>
#include <drivers/psci.h>

#define PSCI_SYSTEM_OFF 0x84000008U
#define PSCI_SYSTEM_RESET 0x84000009U

static struct board_psci psci;

void psci_init(const struct board_psci *p)
{
	psci = *p;
}

int psci_cpu_on(uint64_t mpidr, uint64_t entry, uint64_t ctx)
{
	if (psci.conduit != BOARD_CONDUIT_SMC || !psci.cpu_on)
		return PSCI_NOT_SUPPORTED;
	return (int)(int64_t)arch_smccc_smc(psci.cpu_on, mpidr, entry, ctx);
}

bool psci_has_system_calls(void)
{
	return psci.conduit == BOARD_CONDUIT_SMC && psci.v02;
}

void psci_system_off(void)
{
	if (psci_has_system_calls())
		arch_smccc_smc(PSCI_SYSTEM_OFF, 0, 0, 0);
}

void psci_system_reset(void)
{
	if (psci_has_system_calls())
		arch_smccc_smc(PSCI_SYSTEM_RESET, 0, 0, 0);
}
