/* SPDX-License-Identifier: MIT */
/*
 * The GIC as an EL1 guest drives it: GICv3 (system register CPU
 * interface, distributor with affinity routing, one redistributor per CPU)
 * or GICv2 (GICD + GICC MMIO), found in the DTB (arm,gic-v3 or
 * arm,cortex-a15-gic / arm,gic-400). All interrupts are Group 1 on GICv3
 * (GICD_CTLR.DS = 1 on QEMU and Kairos: IRQs) and Group 0 on GICv2 without
 * the Security Extensions (signalled as IRQ while GICC_CTLR.FIQEn = 0), as
 * Linux configures them.
 *
 * Private interrupts (SGIs, PPIs: INTID < 32) are banked: the gic_set_* and
 * gic_is_* helpers act on the calling CPU's copy.
 */
#ifndef LG_GIC_H
#define LG_GIC_H

#include <stdbool.h>
#include <stdint.h>

#define GIC_NR_SGIS 16
#define GIC_PPI_BASE 16
#define GIC_SPI_BASE 32
/** INTIDs 1020-1023 are special; 1023: nothing pending (spurious). */
#define GIC_INTID_SPECIAL 1020
#define GIC_INTID_SPURIOUS 1023
/** Priority every interrupt gets from gic_init (lower value: higher). */
#define GIC_PRIO_DEFAULT 0xa0
/** Running priority with nothing active. */
#define GIC_PRIO_IDLE 0xff

/* Distributor registers (GICv2 and GICv3 share these offsets; on GICv3 the
 * INTID < 32 copies live in the redistributor's SGI frame). */
#define GICD_CTLR 0x000
#define GICD_TYPER 0x004
#define GICD_IIDR 0x008
#define GICD_IGROUPR 0x080
#define GICD_ISENABLER 0x100
#define GICD_ICENABLER 0x180
#define GICD_ISPENDR 0x200
#define GICD_ICPENDR 0x280
#define GICD_ISACTIVER 0x300
#define GICD_ICACTIVER 0x380
#define GICD_IPRIORITYR 0x400
#define GICD_ITARGETSR 0x800 /* GICv2 */
#define GICD_ICFGR 0xc00
#define GICD_SGIR 0xf00     /* GICv2 */
#define GICD_IROUTER 0x6000 /* GICv3, 64-bit per SPI */
#define GICD_PIDR2_V2 0xfe8
#define GICD_PIDR2_V3 0xffe8

/* GICv3 redistributor: RD_base frame, then the SGI frame 64 KiB on. */
#define GICR_CTLR 0x0000
#define GICR_IIDR 0x0004
#define GICR_TYPER 0x0008
#define GICR_WAKER 0x0014
#define GICR_PIDR2 0xffe8
#define GICR_SGI_OFFSET 0x10000
#define GICR_TYPER_VLPIS (1UL << 1)
#define GICR_TYPER_LAST (1UL << 4)
#define GICR_WAKER_PROCESSOR_SLEEP (1U << 1)
#define GICR_WAKER_CHILDREN_ASLEEP (1U << 2)

/** One acknowledged interrupt, as an IRQ handler sees it. */
struct gic_irq {
	uint32_t iar;        /**< the raw IAR value (what EOIR/DIR take) */
	unsigned int intid;  /**< INTID */
	unsigned int source; /**< GICv2 SGIs: sender's CPU interface; else 0 */
	bool eoi_done;       /**< EOIR written (gic_irq_eoi) */
	bool dir_done;       /**< deactivated (gic_irq_dir, or EOImode 0) */
	/**
	 * EOImode 1: leave the interrupt active after the handler (someone
	 * else will write DIR). The dispatcher still drops the priority.
	 */
	bool keep_active;
};

/**
 * An interrupt handler: runs with IRQs masked (PSTATE.I) unless it
 * unmasks them; it may complete the interrupt itself (gic_irq_eoi,
 * gic_irq_dir); whatever it did not do, the dispatcher does after it.
 */
typedef void (*gic_handler_t)(struct gic_irq *irq, void *arg);

/**
 * Finds the GIC in the DTB, resets the distributor (every interrupt
 * disabled, not pending, inactive, GIC_PRIO_DEFAULT, level, SPIs routed
 * to the calling CPU), enables it, and runs gic_cpu_init() on the calling
 * CPU. May be called again (each test starts afresh). False: no GIC.
 */
bool gic_init(void);
/**
 * Per CPU, before unmasking IRQs: wakes its redistributor (GICv3), resets
 * its private interrupts, enables its CPU interface with PMR 0xff, the
 * smallest binary point and EOImode 0, and installs the GIC IRQ handler.
 */
void gic_cpu_init(void);
/** 2 or 3 after gic_init(); 0 before or without a GIC. */
unsigned int gic_version(void);
/** INTIDs the distributor implements: 32 * (GICD_TYPER.ITLinesNumber + 1),
 * at most 1020. */
unsigned int gic_nr_intids(void);
/** The distributor, GICv2 CPU interface, and CPU @cpu's RD_base (GICv3;
 * 0 where there is none). */
uintptr_t gic_dist_base(void);
uintptr_t gic_cpuif_base(void);
uintptr_t gic_redist_base(unsigned int cpu);
/** Where INTID @intid's enable/pending/... bits are for the calling CPU:
 * the SGI frame of its redistributor (GICv3, INTID < 32) or the GICD. */
uintptr_t gic_intid_frame(unsigned int intid);
/** GICv2: CPU @cpu's CPU interface number (from GICD_ITARGETSR0, which
 * that CPU read in gic_cpu_init). */
unsigned int gic_cpu_if(unsigned int cpu);

/** Handler for @intid (any CPU that takes it); NULL removes it. An IRQ
 * without a handler fails the running test (and is completed). */
void gic_set_handler(unsigned int intid, gic_handler_t fn, void *arg);

/* CPU interface of the calling CPU. */
void gic_set_pmr(uint8_t prio);
uint8_t gic_pmr(void);
/** ICC_RPR_EL1 / GICC_RPR: the running priority (GIC_PRIO_IDLE: none). */
uint8_t gic_running_priority(void);
/** EOImode: false, EOIR drops priority and deactivates; true, EOIR only
 * drops priority and DIR deactivates. */
void gic_set_eoimode(bool split);
bool gic_eoimode(void);
/** Acknowledge (IAR), end (EOIR), deactivate (DIR) by raw IAR value. */
uint32_t gic_ack(void);
void gic_eoi(uint32_t iar);
void gic_dir(uint32_t iar);
/** INTID of a raw IAR value. */
unsigned int gic_iar_intid(uint32_t iar);
void gic_irq_eoi(struct gic_irq *irq);
void gic_irq_dir(struct gic_irq *irq);

/* SGIs, to CPU indexes (board order). */
void gic_send_sgi(unsigned int cpu, unsigned int intid);
/** To every CPU whose bit is set in @cpus. */
void gic_send_sgi_mask(uint32_t cpus, unsigned int intid);
/** GICv3 IRM = 1, GICv2 TargetListFilter 1: every CPU but the caller. */
void gic_send_sgi_others(unsigned int intid);
/** GICv3 to its own affinity, GICv2 TargetListFilter 2. */
void gic_send_sgi_self(unsigned int intid);

/* Interrupt state (for INTID < 32: the calling CPU's). */
void gic_set_enable(unsigned int intid, bool on);
bool gic_is_enabled(unsigned int intid);
void gic_set_pending(unsigned int intid, bool on);
bool gic_is_pending(unsigned int intid);
void gic_set_active(unsigned int intid, bool on);
bool gic_is_active(unsigned int intid);
void gic_set_priority(unsigned int intid, uint8_t prio);
uint8_t gic_priority(unsigned int intid);
/** Edge-triggered (true) or level-sensitive; SGIs are always edge. */
void gic_set_edge(unsigned int intid, bool edge);
/** Routes SPI @intid to CPU @cpu (GICv3 IROUTER, GICv2 ITARGETSR). */
void gic_route_spi(unsigned int intid, unsigned int cpu);

/** PSTATE.I on the calling CPU. */
static inline void irq_unmask(void)
{
	__asm__ volatile("msr daifclr, #2" ::: "memory");
}

static inline void irq_mask(void)
{
	__asm__ volatile("msr daifset, #2" ::: "memory");
}

#endif
