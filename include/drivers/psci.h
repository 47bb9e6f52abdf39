/* SPDX-License-Identifier: MIT */
/* PSCI client (Arm DEN0022) over the conduit the board DT names. */
#ifndef DRIVERS_PSCI_H
#define DRIVERS_PSCI_H

#include <kairos/board.h>

#define PSCI_SUCCESS 0
#define PSCI_NOT_SUPPORTED (-1)
#define PSCI_INVALID_PARAMETERS (-2)
#define PSCI_DENIED (-3)
#define PSCI_ALREADY_ON (-4)

void psci_init(const struct board_psci *p);

/** Start the CPU @mpidr at physical address @entry with x0 = @ctx. */
int psci_cpu_on(uint64_t mpidr, uint64_t entry, uint64_t ctx);

/** PSCI SYSTEM_OFF / SYSTEM_RESET; return only if unavailable. */
void psci_system_off(void);
void psci_system_reset(void);

/** Whether SYSTEM_OFF/RESET can be asked for. */
bool psci_has_system_calls(void);

#endif
