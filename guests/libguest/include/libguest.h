/* SPDX-License-Identifier: MIT */
/*
 * libguest: a runtime for bare-metal test guests at EL1 on QEMU virt's
 * map (RAM at 0x40000000, PL011 at 0x09000000, PSCI over HVC, DTB in x0),
 * natively or under Kairos. printf goes to the PL011.
 */
#ifndef LIBGUEST_H
#define LIBGUEST_H

#include <lg/board.h>
#include <lg/cpu.h>
#include <lg/exc.h>
#include <lg/gic.h>
#include <lg/mmio.h>
#include <lg/psci.h>
#include <lg/shmem.h>
#include <lg/sysreg.h>
#include <lg/test.h>
#include <lg/timer.h>
#include <stdio.h>

#endif
