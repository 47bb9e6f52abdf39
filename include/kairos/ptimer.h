/* SPDX-License-Identifier: MIT */
/*
 * The EL1 physical timer of vCPUs, emulated (T19). Guest accesses to
 * CNTP_CTL/CVAL/TVAL_EL0 and to CNTPCT(SS)_EL0 trap (CNTHCTL_EL2.EL1PCEN
 * and EL1PCTEN clear) and land here through ptimer_read/ptimer_write.
 *
 * The guest's physical count is the physical count minus its VM's
 * cntvoff: the same as its virtual count, so both clocks move together
 * across a checkpoint. CTL keeps ENABLE and IMASK only; ISTATUS and the
 * line of PPI 30 are derived from the count whenever they are needed,
 * never stored. While the timer can fire, the vCPU has a deadline on its
 * pCPU's timerq whose expiry only wakes it.
 */
#ifndef KAIROS_PTIMER_H
#define KAIROS_PTIMER_H

#include <kairos/time.h>
#include <kairos/vgic.h>
#include <kairos/vm.h>

/** The guest's INTID of its EL1 physical timer (profile virt: PPI 14). */
#define PTIMER_INTID 30U

/** The registers a guest reaches through the traps. */
enum ptimer_reg {
	PTIMER_CTL,   /**< CNTP_CTL_EL0 */
	PTIMER_CVAL,  /**< CNTP_CVAL_EL0 */
	PTIMER_TVAL,  /**< CNTP_TVAL_EL0 */
	PTIMER_COUNT, /**< CNTPCT_EL0 and CNTPCTSS_EL0 (read-only) */
};

/** A guest read of @r. Returns false if it must UNDEF. */
bool ptimer_read(struct vcpu *v, enum ptimer_reg r, uint64_t *val);

/**
 * A guest write of @r (on the pCPU running @v): updates the state, the
 * line and the deadline. Returns false if it must UNDEF (the counter).
 */
bool ptimer_write(struct vcpu *v, enum ptimer_reg r, uint64_t val);

/**
 * @v's timer condition is met and unmasked: its line is high, or will be
 * once derived (its deadline, already fired, is no longer queued).
 */
bool ptimer_due(const struct vcpu *v);

/** ptimer_sync(), ptimer_arm_wfi() and ptimer_load() with the work. */
void ptimer_sync_line(struct vcpu *v);
bool ptimer_update(struct vcpu *v);

/*
 * @v's timer cannot fire (disabled or masked) and its line is low: there
 * is nothing to derive. A guest that never uses its physical timer pays
 * only this at entries, loads and WFIs.
 */
static inline bool ptimer_quiet(const struct vcpu *v)
{
	return (v->st.ptimer.ctl & (TIMER_CTL_ENABLE | TIMER_CTL_IMASK)) !=
		       TIMER_CTL_ENABLE &&
	       !(__atomic_load_n(&v->st.vgic.priv[PTIMER_INTID].flags,
				 __ATOMIC_RELAXED) &
		 VGIC_LINE);
}

/** Derive @v's line from its state and the count (before every entry). */
static inline void ptimer_sync(struct vcpu *v)
{
	if (!ptimer_quiet(v))
		ptimer_sync_line(v);
}

/**
 * @v blocks in WFI on this pCPU: make sure its deadline is queued if its
 * timer can fire. Returns false if its line is already high (it must not
 * block).
 */
static inline bool ptimer_arm_wfi(struct vcpu *v)
{
	return (ptimer_quiet(v) && !v->ptimer.armed) || !ptimer_update(v);
}

/** @v is loaded on this pCPU: queue its deadline here, or drop it. */
static inline void ptimer_load(struct vcpu *v)
{
	if (!ptimer_quiet(v) || v->ptimer.armed)
		(void)ptimer_update(v);
}

/** Drop @v's deadline from this pCPU's queue (before it migrates). */
void ptimer_cancel(struct vcpu *v);

#endif
