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

struct board_gic {
	unsigned int version; /**< 2 or 3 */
	struct board_range dist;
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
