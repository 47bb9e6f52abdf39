/* SPDX-License-Identifier: MIT */
/* Between gic.c (common part) and gic_v2.c / gic_v3.c. */
#ifndef LG_GIC_PRIV_H
#define LG_GIC_PRIV_H

#include <lg/exc.h>
#include <lg/gic.h>
#include <lg/sysreg.h>
#include <stdbool.h>
#include <stdint.h>

#define GIC_MAX_REDIST_REGIONS 4

/** What gic_init found, and per-CPU CPU interface settings. */
struct gic_state {
	unsigned int version;
	uintptr_t dist;
	uintptr_t cpuif; /**< GICv2 GICC */
	uintptr_t redist[GIC_MAX_REDIST_REGIONS];
	uint64_t redist_size[GIC_MAX_REDIST_REGIONS];
	unsigned int nr_redist;
	unsigned int nr_intids;
	uintptr_t rd[LG_MAX_CPUS];   /**< GICv3: each CPU's RD_base */
	uint8_t cpu_if[LG_MAX_CPUS]; /**< GICv2: CPU interface numbers */
	bool eoimode[LG_MAX_CPUS];   /**< EOImode each CPU set */
};

extern struct gic_state gic;

/* GICv2 (gic_v2.c). */
void gic_v2_dist_init(void);
void gic_v2_cpu_init(void);
uint32_t gic_v2_ack(void);
void gic_v2_eoi(uint32_t iar);
void gic_v2_dir(uint32_t iar);
void gic_v2_set_pmr(uint8_t prio);
uint8_t gic_v2_pmr(void);
uint8_t gic_v2_rpr(void);
void gic_v2_set_eoimode(bool split);
void gic_v2_sgir(uint32_t filter, uint32_t targets, unsigned int intid);
void gic_v2_route_spi(unsigned int intid, unsigned int cpu);

/* GICv3 (gic_v3.c). */
void gic_v3_dist_init(void);
void gic_v3_cpu_init(void);
uint32_t gic_v3_ack(void);
void gic_v3_eoi(uint32_t iar);
void gic_v3_dir(uint32_t iar);
void gic_v3_set_pmr(uint8_t prio);
uint8_t gic_v3_pmr(void);
uint8_t gic_v3_rpr(void);
void gic_v3_set_eoimode(bool split);
void gic_v3_send_sgi_mask(uint32_t cpus, unsigned int intid);
void gic_v3_send_sgi_others(unsigned int intid);
void gic_v3_route_spi(unsigned int intid, unsigned int cpu);
/** Waits for GICD_CTLR.RWP (or GICR_CTLR.RWP for @intid < 32) to clear. */
void gic_v3_wait_rwp(unsigned int intid);

/** Resets INTIDs [@first, @last) in the frame at @base: disabled, not
 * pending, inactive, @group, GIC_PRIO_DEFAULT, level (SGIs: edge). */
void gic_reset_range(uintptr_t base, unsigned int first, unsigned int last,
		     bool group1);
/** The IRQ entry gic_cpu_init installs. */
bool gic_irq_entry(struct exc_frame *frame, unsigned int kind);

#endif
