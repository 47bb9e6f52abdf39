/* SPDX-License-Identifier: MIT */
/*
 * Physical interrupt handling at EL2. A GIC driver registers an irqchip;
 * core code dispatches through it. EOImode=1 is used throughout: the
 * priority drop (EOI) happens right after acknowledge and deactivation
 * once the handler is done, which later lets a hardware-mapped virtual
 * interrupt be deactivated by the guest (GICv3 spec §4.1.1, GICv2 §5.4).
 */
#ifndef KAIROS_IRQ_H
#define KAIROS_IRQ_H

#include <kairos/types.h>

/** SGI that wakes another pCPU (the "kick" of docs/style.md rule 8). */
#define IRQ_SGI_KICK 0U

/** INTIDs 1020..1023 are special (spurious etc.), GICv3 spec §2.2.1. */
#define IRQ_SPURIOUS 1023U
#define IRQ_NR_HANDLED 1020U

/** An acknowledged interrupt: INTID plus what EOI/DIR must be given back. */
struct irq_ack {
	uint32_t intid; /**< interrupt ID */
	uint32_t raw;   /**< IAR value (GICv2 SGIs carry the source CPU) */
};

/** Physical interrupt controller operations. */
struct irqchip {
	const char *name;
	unsigned int version;   /**< 2 or 3 */
	unsigned int list_regs; /**< virtual interface LRs */
	bool (*cpu_init)(void); /**< this CPU's interface */
	struct irq_ack (*ack)(void);
	void (*eoi)(struct irq_ack a); /**< priority drop */
	void (*deactivate)(struct irq_ack a);
	void (*enable)(uint32_t intid, bool on); /**< SGI/PPI: this CPU's */
	void (*route)(uint32_t intid, unsigned int cpu); /**< SPI target */
	void (*send_sgi)(unsigned int cpu, uint32_t sgi);
	/** Active state (SGI/PPI: this CPU's) from GICD/GICR_ISACTIVER. */
	bool (*is_active)(uint32_t intid);
	/** Set or clear the active state (ISACTIVER/ICACTIVER). */
	void (*set_active)(uint32_t intid, bool active);
	/**
	 * Optional: have the controller evaluate again what it signals to
	 * this CPU, by a write that changes nothing (see irq_refresh()).
	 */
	void (*refresh)(void);
	/**
	 * The guest's EOI of a hardware-mapped private interrupt leaves the
	 * physical one, pending again, unsignalled until something else
	 * makes the controller look (QEMU's GICv2 model: docs/security.md,
	 * "The hostile suite"). The vGIC then lists mapped PPIs without the
	 * HW bit, with a maintenance interrupt at their EOI, and Kairos
	 * deactivates the physical one itself.
	 */
	bool ppi_eoi_unsignalled;
};

/**
 * Handles @intid; returns true to have it deactivated now, false when it
 * was forwarded to a guest that will deactivate it (hardware-mapped).
 */
typedef bool (*irq_handler_fn)(uint32_t intid, void *arg);

void irq_chip_register(const struct irqchip *chip);
const struct irqchip *irq_chip(void);

/** Attach @fn to @intid (one handler per INTID, shared by all CPUs). */
void irq_set_handler(uint32_t intid, irq_handler_fn fn, void *arg);

/**
 * The run loop has resumed a guest many times in a row without touching
 * the interrupt controller: let the controller look again at what it
 * signals (irqchip.refresh). QEMU's GICv2 model can otherwise keep a
 * pending physical interrupt from the CPU until the next access to the
 * GIC (docs/security.md, "The hostile suite").
 */
void irq_refresh(void);

/** Acknowledge and handle every pending interrupt (IRQ vector). */
void irq_handle(void);

/**
 * Prove on this CPU that priority drop and deactivation are split
 * (EOImode=1): @sgi, sent to this CPU, must still be active after its EOI
 * and inactive after its deactivation. Other interrupts arriving
 * meanwhile are handled normally. Returns false if it is not so, or if
 * the SGI never arrives (within a second).
 */
bool irq_check_split_eoi(uint32_t sgi);

#endif
