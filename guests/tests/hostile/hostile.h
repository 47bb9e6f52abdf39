/* SPDX-License-Identifier: MIT */
/*
 * The hostile-guest suite: each case does what a hostile guest would and
 * checks the outcome Kairos documents (docs/security.md, "The hostile
 * suite"): an abort injected with the expected exception class, a PSCI
 * error code, an access ignored or read as zero, or (cases run only when
 * named) the VM stopped with a reason, which the test checks in Kairos's
 * log. Every case first prints "# expect: <outcome>".
 */
#ifndef HOSTILE_H
#define HOSTILE_H

#include <lg/probe.h>
#include <libguest.h>
#include <stdio.h>
#include <string.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* QEMU virt's map (Kairos's virt profile shows a guest the same). */
#define VIRT_FLASH0 0x00000000UL
#define VIRT_FLASH1 0x04000000UL
#define VIRT_GICD 0x08000000UL
#define VIRT_GICC 0x08010000UL
#define VIRT_GIC_V2M 0x08020000UL
#define VIRT_GICH 0x08030000UL
#define VIRT_GICV 0x08040000UL
#define VIRT_GIC_ITS 0x08080000UL
#define VIRT_GICR 0x080a0000UL
#define VIRT_GICR_FRAME 0x20000UL
#define VIRT_UART LG_PL011_BASE
#define VIRT_RTC 0x09010000UL
#define VIRT_FW_CFG 0x09020000UL
#define VIRT_GPIO 0x09030000UL
#define VIRT_SECURE_UART 0x09040000UL
#define VIRT_SMMU 0x09050000UL
#define VIRT_PLATFORM_BUS 0x0c000000UL
#define VIRT_MMIO 0x0a000000UL
#define VIRT_PCIE_MMIO 0x10000000UL
#define VIRT_PCIE_PIO 0x3eff0000UL
#define VIRT_PCIE_ECAM 0x3f000000UL

#define UART_DR 0x000
#define UART_FR 0x018
#define UART_IBRD 0x024
#define UART_LCR_H 0x02c
#define UART_CR 0x030
#define UART_IMSC 0x038
#define UART_PERIPHID0 0xfe0

#define EC_ILLEGAL_STATE 0x0e
#define EC_IABT_LOW 0x20
#define EC_IABT_CUR 0x21
#define EC_PC_ALIGN 0x22
#define EC_SP_ALIGN 0x26
#define EC_BKPT_CUR 0x31
#define DFSC_ALIGN 0x21

/** Prints the case's expected outcome. */
void outcome(const char *what);

/**
 * Whether @p aborted with a data abort of class @ec at its instruction;
 * @dfsc ~0 takes any fault status. Fails the test naming @what if not.
 */
bool want_dabt(const char *what, uint64_t addr, const struct probe *p,
	       uint64_t ec, uint64_t dfsc);
/** A synchronous external abort (EC 0x25, DFSC 0x10) at EL1. */
bool want_sea(const char *what, uint64_t addr, const struct probe *p);
/** Every load and store width at @addr takes a synchronous external abort. */
bool want_sea_all(const char *what, uint64_t addr);
/** An UNDEF (EC 0x00) at @pc in @rec, taken at EL1 (or from EL0). */
bool want_undef(const char *what, bool caught, const struct exc_record *rec,
		uint64_t pc);

/** The VM's RAM is [ram_base(), ram_end()). */
uint64_t ram_base(void);

/** The secondary vCPU index 1 exists; fails the test if not. */
bool need_two_cpus(void);
/** Waits until *@p == @want or @us pass; returns whether it did. */
bool wait_u32(const volatile uint32_t *p, uint32_t want, uint64_t us);

/* One MRS/MSR under a catch; want_undef() on it. */
#define UNDEF_MRS(reg)                                                   \
	do {                                                             \
		struct exc_record r;                                     \
		uint64_t at;                                             \
		exc_catch_begin();                                       \
		__asm__ volatile("adr %0, 1f\n1:\tmrs x9, " #reg         \
				 : "=&r"(at)                             \
				 :                                       \
				 : "x9", "memory");                      \
		if (!want_undef("MRS " #reg, exc_catch_end(&r), &r, at)) \
			return;                                          \
	} while (0)

#define UNDEF_MSR(reg, val)                                              \
	do {                                                             \
		struct exc_record r;                                     \
		uint64_t at;                                             \
		exc_catch_begin();                                       \
		__asm__ volatile("adr %0, 1f\n1:\tmsr " #reg ", %1"      \
				 : "=&r"(at)                             \
				 : "r"((uint64_t)(val))                  \
				 : "memory");                            \
		if (!want_undef("MSR " #reg, exc_catch_end(&r), &r, at)) \
			return;                                          \
	} while (0)

#define UNDEF_SYS(insn)                                           \
	do {                                                      \
		struct exc_record r;                              \
		uint64_t at;                                      \
		exc_catch_begin();                                \
		__asm__ volatile("adr %0, 1f\n1:\t" insn          \
				 : "=&r"(at)                      \
				 :                                \
				 : "x9", "memory");               \
		if (!want_undef(insn, exc_catch_end(&r), &r, at)) \
			return;                                   \
	} while (0)

/* hostile_asm.S: helpers that must be exact instructions. */
/** ERET to @pc with SPSR_EL1 = @spsr (returns through the catch). */
void hs_eret_to(uint64_t spsr, uint64_t pc);
/** Loads from @addr with the MMU off; a fault is caught, *@val kept. */
void hs_mmuoff_load(uint64_t addr, uint64_t *val);
/** Branches to @addr with the MMU off (the handler returns to LR). */
void hs_mmuoff_call(uint64_t addr);

#endif
