/* SPDX-License-Identifier: MIT */
/*
 * What Kairos learns about the board from its device tree: memory, CPUs
 * and how to start them, the GIC, the generic timer and the console UART.
 * Parsing is pure (libfdt only), so host tests feed it crafted DTBs.
 */
#ifndef KAIROS_BOARD_H
#define KAIROS_BOARD_H

#include <kairos/cpu.h>
#include <kairos/types.h>

#define BOARD_MAX_MEM 8
#define BOARD_MAX_RESERVED 16
#define BOARD_MAX_REDIST 4

/** A physical address range. */
struct board_range {
	paddr_t base;
	uint64_t size;
};

/** How a secondary CPU is started (its cpu node's enable-method). */
enum board_cpu_enable {
	BOARD_CPU_BOOT,       /**< the CPU Kairos was entered on */
	BOARD_CPU_PSCI,       /**< PSCI CPU_ON through the /psci conduit */
	BOARD_CPU_SPIN_TABLE, /**< write the entry to cpu-release-addr */
};

struct board_cpu {
	uint64_t mpidr;
	enum board_cpu_enable enable;
	paddr_t release_addr; /**< spin-table only */
	int node;             /**< FDT offset, for messages */
};

enum board_conduit { BOARD_CONDUIT_NONE, BOARD_CONDUIT_SMC, BOARD_CONDUIT_HVC };

struct board_psci {
	enum board_conduit conduit; /**< NONE when the board has no PSCI */
	uint32_t cpu_on;            /**< function ID for CPU_ON */
	bool v02;                   /**< PSCI 0.2+: SYSTEM_OFF/RESET exist */
};

/** Which interrupt controller the board has. */
enum board_irqc {
	BOARD_IRQC_GIC, /**< a GICv2 with virtualization extensions, or v3 */
	/**
	 * The BCM2836/BCM2837 pair (Raspberry Pi 2/3): the ARM local
	 * controller (brcm,bcm2836-l1-intc) with the peripheral controller
	 * (brcm,bcm2836-armctrl-ic) chained to it; no GIC. Kairos gives
	 * their sources GIC-style INTIDs (BCM2836_INTID_*), so the rest of
	 * Kairos speaks of INTIDs as on a GIC.
	 */
	BOARD_IRQC_BCM2836,
};

/*
 * The INTIDs of the BCM2836 sources. SGIs 0..15 are bits 0..15 of each
 * core's mailbox 0. The per-core timers take the PPIs a GIC gives them
 * (Arm's Server Base System Architecture numbers); the peripheral
 * controller's GPU interrupts 0..63 are INTIDs 32..95 and its 8 "basic"
 * ARM interrupts 96..103.
 */
#define BCM2836_INTID_PMU 23U
#define BCM2836_INTID_MAINT 25U /**< never raised: no virtual interface */
#define BCM2836_INTID_CNTHP 26U
#define BCM2836_INTID_CNTV 27U
#define BCM2836_INTID_CNTPS 29U
#define BCM2836_INTID_CNTPNS 30U
#define BCM2836_INTID_GPU0 32U  /**< GPU interrupt n: 32 + n (n < 64) */
#define BCM2836_INTID_BASIC 96U /**< basic (ARM) interrupt n: 96 + n */
#define BCM2836_NR_INTIDS 104U

struct board_gic {
	enum board_irqc kind;
	unsigned int version; /**< 2 or 3; 2 for BCM2836 (the guests' GIC) */
	struct board_range dist;
	/* BCM2836: the local controller and the peripheral controller */
	struct board_range local;
	struct board_range periph;
	/* GICv2 (all four required: Kairos needs the virtualization ext.) */
	struct board_range cpu;
	struct board_range hyp;
	struct board_range vcpu;
	/* GICv3 */
	struct board_range redist[BOARD_MAX_REDIST];
	unsigned int nr_redist;
	uint64_t redist_stride; /**< 0: use the frames' own layout */
	uint32_t maint_intid;   /**< virtual interface maintenance IRQ */
	char path[64];
};

/** Generic timer INTIDs (PPIs) and the frequency the DT may override. */
struct board_timer {
	uint32_t sec_phys_intid;
	uint32_t phys_intid;
	uint32_t virt_intid;
	uint32_t hyp_intid;
	uint64_t dt_freq; /**< clock-frequency property, 0 when absent */
};

enum board_uart_kind { BOARD_UART_PL011, BOARD_UART_BCM2835_AUX };

struct board_uart {
	enum board_uart_kind kind;
	struct board_range reg;
	uint32_t intid; /**< 0 when it has no interrupt Kairos can take */
	char path[64];
};

/** Everything parsed from the board DTB. */
struct board {
	struct board_range mem[BOARD_MAX_MEM];
	unsigned int nr_mem;
	struct board_range reserved[BOARD_MAX_RESERVED];
	unsigned int nr_reserved;
	struct board_cpu cpus[KAIROS_MAX_CPUS];
	unsigned int nr_cpus;
	unsigned int boot_cpu;     /**< index of the CPU we were entered on */
	unsigned int ignored_cpus; /**< beyond KAIROS_MAX_CPUS */
	struct board_psci psci;
	struct board_gic gic;
	struct board_timer timer;
	struct board_uart uart;
	/**
	 * The PMU's overflow interrupt (the arm,armv8-pmuv3 node's first
	 * interrupt) when it is a PPI of the GIC; 0 when the board has no
	 * such node or wires its PMU to SPIs (one per CPU): Kairos then
	 * takes no physical PMU interrupt (core/vpmu.c).
	 */
	uint32_t pmu_intid;
	/**
	 * The BCM2835/BCM2711 power-management watchdog ("pm" registers,
	 * brcm,bcm2835-pm-wdt): how a Raspberry Pi, which has no PSCI,
	 * resets or halts. Size 0 when the board has none.
	 */
	struct board_range pm_wdog;
};

/** A device node of the board, as a VM given it needs to describe it. */
struct board_device {
	char compat[64];     /**< compatible list, NUL-separated */
	uint32_t compat_len; /**< bytes used in compat */
	uint32_t intid;      /**< its first GIC interrupt, 0 if none */
	bool primecell;      /**< arm,primecell: needs an apb_pclk */
};

#endif
