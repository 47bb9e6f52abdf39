/* SPDX-License-Identifier: MIT */
/*
 * The EL1 virtual timer of vCPUs (docs/design.md §4). One CNTVOFF per VM; the
 * timer line is derived from CTL (ENABLE, IMASK, ISTATUS) on every load
 * and exit, never restored; the backup deadline only wakes.
 */
#ifndef KAIROS_VTIMER_H
#define KAIROS_VTIMER_H

#include <kairos/vgic.h>
#include <kairos/vm.h>

/** The guest's INTID of its virtual timer (profile virt: PPI 11). */
#define VTIMER_INTID 27U

/** Physical INTID of the virtual timer PPI (from the board DT). */
void vtimer_init(uint32_t phys_intid);

/** Load @v's timer (CNTVOFF, CVAL, CTL) and derive its line. */
void vtimer_load(struct vcpu *v);

/** Save @v's timer and disable the hardware one. */
void vtimer_put(struct vcpu *v);

/** Re-sample the line of the loaded @v after an exit. */
void vtimer_sync(struct vcpu *v);

/**
 * Before entering the loaded @v: re-sample its line, and where the
 * virtual count runs ahead of the physical count far enough that
 * CVAL + CNTVOFF wraps, keep its timer honest on models that would not
 * fire it (see vtimer.c).
 */
void vtimer_entry(struct vcpu *v);

/**
 * @v blocks in WFI on this pCPU (loaded here, or put): queue a backup
 * deadline at its timer's physical expiry, if it can fire. Returns false
 * if it already has. The deadline only wakes @v, re-arming itself if
 * found due early.
 */
bool vtimer_arm_backup(struct vcpu *v);

/**
 * vtimer_fires_in_wfi() - whether @v's timer wakes a WFI that waits in
 * the hardware: not while its VM's virtual count is ahead of the
 * physical one (restored from a longer run), where QEMU's timer does not
 * fire and the WFI must trap so that Kairos arms the backup deadline.
 */
bool vtimer_fires_in_wfi(const struct vcpu *v);

/**
 * Just before entering the loaded @v, with @n list registers @lrs filled:
 * trap its guest's virtual timer accesses while its timer interrupt is
 * listed pending and the guest has IRQs masked (where the hardware can),
 * so that a line it lowers before it takes the interrupt withdraws it
 * (T11; see vtimer.c).
 */
void vtimer_guard(struct vcpu *v, const struct vgic_lr *lrs, unsigned int n);

/** Forget @v's backup deadline (it is being loaded). */
void vtimer_cancel_backup(struct vcpu *v);

#endif
