/* SPDX-License-Identifier: MIT */
/*
 * Arm semihosting ("Semihosting for AArch32 and AArch64", Arm), SYS_EXIT
 * only: how Kairos ends QEMU with an exit status.
 */
#ifndef DRIVERS_SEMIHOSTING_H
#define DRIVERS_SEMIHOSTING_H

#include <kairos/types.h>

/**
 * Semihosting is there (the board's /chosen says so): without a debugger
 * or QEMU's -semihosting-config behind it, the HLT it uses is undefined.
 */
void semihosting_init(bool available);

/** SYS_EXIT with @status; returns only when semihosting is not there. */
void semihosting_exit(unsigned int status);

#endif
