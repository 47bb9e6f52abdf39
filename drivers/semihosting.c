// SPDX-License-Identifier: MIT
/*
 * Arm semihosting, SYS_EXIT only ("Semihosting for AArch32 and AArch64",
 * Arm: SYS_EXIT 0x18; on AArch64 x1 points to a block of two words, the
 * reason ADP_Stopped_ApplicationExit and the exit status). QEMU ends with
 * that status when started with -semihosting-config enable=on.
 */
#include <drivers/semihosting.h>

#define SYS_EXIT 0x18U
#define ADP_STOPPED_APPLICATION_EXIT 0x20026U

static bool semihosting;

void semihosting_init(bool available)
{
	semihosting = available;
}

void semihosting_exit(unsigned int status)
{
	uint64_t block[2] = { ADP_STOPPED_APPLICATION_EXIT, status };
	register uint64_t x0 __asm__("x0") = SYS_EXIT;
	register uint64_t x1 __asm__("x1") = (uint64_t)(uintptr_t)block;

	if (!semihosting)
		return;
	/* HLT #0xf000 is the AArch64 semihosting call. */
	__asm__ volatile("hlt #0xf000" : "+r"(x0) : "r"(x1) : "memory");
}
