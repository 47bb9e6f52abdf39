// SPDX-License-Identifier: MIT
/* The EL1 virtual timer of vCPUs (see vtimer.h). */
#include <arch/cpu.h>
#include <arch/timer.h>
#include <kairos/cpu.h>
#include <kairos/irq.h>
#include <kairos/sched.h>
#include <kairos/time.h>
#include <kairos/vgic.h>
#include <kairos/vtimer.h>

static uint32_t phys_intid;
/* The hardware can trap the guest's CNTV_* accesses (vtimer_guard()). */
static bool can_trap;

/* The line as the architecture defines it (Arm ARM D11.2.4). */
static bool line_of(uint64_t ctl)
{
	return (ctl &
		(TIMER_CTL_ENABLE | TIMER_CTL_IMASK | TIMER_CTL_ISTATUS)) ==
	       (TIMER_CTL_ENABLE | TIMER_CTL_ISTATUS);
}

/*
 * The physical virtual-timer PPI fired while a guest ran: its vCPU's line
 * is high. The physical interrupt stays active: the guest's deactivation
 * of the hardware-mapped virtual one deactivates it (GICv3 §4.4.6). With
 * no vCPU whose timer is up, it is stray: re-checked and dropped.
 */
static bool vtimer_irq(uint32_t intid, void *arg)
{
	struct vcpu *v = cpu_current()->loaded;
	uint64_t ctl, cval;

	(void)intid;
	(void)arg;
	if (!v)
		return true;
	arch_vtimer_read(&cval, &ctl);
	if (!line_of(ctl))
		return true;
	vgic_set_line(v, VTIMER_INTID, true);
	/*
	 * Taken while @v is loaded but out of the guest (waiting in WFI, or
	 * after an exit): record that Kairos holds the physical INTID active,
	 * so that a put before @v runs again releases it (T7: it must not
	 * stay active for the next guest on this pCPU).
	 */
	vgic_sync_hw(v);
	return false;
}

void vtimer_init(uint32_t intid)
{
	phys_intid = intid;
	can_trap = arch_vtimer_can_trap();
	irq_set_handler(intid, vtimer_irq, NULL);
}

/*
 * T11, where the guest masks IRQs. Natively the GIC's pending state of a
 * level-sensitive interrupt follows its line: a guest that, with IRQs
 * masked, lowers its timer's line (writes CVAL or CTL; typically its
 * handler EOIs first, which re-raises the pending state, then re-arms)
 * never takes the interrupt. Under a hypervisor the physical interrupt is
 * taken at EL2 whatever the guest's PSTATE.I, and the virtual one listed
 * pending; the guest's timer writes do not exit, so it would take an
 * interrupt whose condition no longer holds.
 *
 * So while @v's timer interrupt is listed pending and its guest has IRQs
 * masked, its timer accesses trap (where the hardware can: FEAT_ECV). The
 * first one exits: the exit folds the list registers, the entry derives
 * the line again, and an interrupt whose line has dropped is no longer
 * listed (its physical INTID deactivated), exactly as the GIC would have
 * withdrawn it. Once the guest has taken it or its line is gone the trap
 * is off again: one extra exit at most per such interrupt, none when the
 * guest runs with IRQs unmasked (it takes the interrupt before any
 * instruction of its own).
 */
void vtimer_guard(struct vcpu *v, const struct vgic_lr *lrs, unsigned int n)
{
	bool trap = false;

	if (!can_trap)
		return;
	if (v->st.regs.pstate & PSR_I)
		for (unsigned int k = 0; k < n && !trap; k++)
			trap = lrs[k].intid == VTIMER_INTID && lrs[k].pending;
	arch_vtimer_trap(trap);
}

void vtimer_sync(struct vcpu *v)
{
	uint64_t ctl, cval;

	arch_vtimer_read(&cval, &ctl);
	vgic_set_line(v, VTIMER_INTID, line_of(ctl));
}

/*
 * QEMU evaluates the virtual timer only when a timer register is written,
 * and schedules its next event at CVAL + CNTVOFF, taking a sum that wraps
 * for "never" (target/arm gt_recalc_timer). With the virtual count ahead
 * of the physical one -- a VM restored with a larger count than this
 * boot's -- its timer then neither fires nor updates ISTATUS while the
 * guest runs; hardware has no such problem. In that case only: write
 * CNTVOFF again (ISTATUS is re-evaluated) and let the EL2 backup deadline
 * cover the running vCPU (its expiry makes it exit; the next entry comes
 * back here and presents the interrupt).
 */
void vtimer_entry(struct vcpu *v)
{
	uint64_t ctl, cval, off = v->vm->cntvoff;

	arch_vtimer_read(&cval, &ctl);
	if ((ctl & (TIMER_CTL_ENABLE | TIMER_CTL_IMASK)) == TIMER_CTL_ENABLE &&
	    cval + off < cval) {
		arch_vtimer_refresh(off);
		arch_vtimer_read(&cval, &ctl);
		if (!(ctl & TIMER_CTL_ISTATUS))
			vtimer_arm_backup(v);
	}
	/* Unchanged (the common case at an entry): no call. */
	if (!(__atomic_load_n(&v->st.vgic.priv[VTIMER_INTID].flags,
			      __ATOMIC_RELAXED) &
	      VGIC_LINE) != !line_of(ctl))
		vgic_set_line(v, VTIMER_INTID, line_of(ctl));
}

bool vtimer_fires_in_wfi(const struct vcpu *v)
{
	/*
	 * A virtual count ahead of the physical one: the timer may not fire
	 * in the hardware (vtimer_entry()), and only the backup deadline a
	 * trapped WFI arms for the CVAL it waits on wakes it then.
	 */
	return (int64_t)v->vm->cntvoff >= 0;
}

void vtimer_load(struct vcpu *v)
{
	const struct vcpu_vtimer *t = &v->st.vtimer;

	vtimer_cancel_backup(v);
	arch_vtimer_load(v->vm->cntvoff, t->cval, t->ctl);
	vtimer_sync(v);
}

void vtimer_put(struct vcpu *v)
{
	struct vcpu_vtimer *t = &v->st.vtimer;

	arch_vtimer_save(&t->cval, &t->ctl);
}

/*
 * @v's timer as it is now: in the hardware while @v is the vCPU loaded on
 * this pCPU, else as saved at put. Only ENABLE, IMASK and CVAL are used:
 * a saved ISTATUS is stale (T2).
 */
static void timer_state(struct vcpu *v, uint64_t *cval, uint64_t *ctl)
{
	if (cpu_current()->loaded == v) {
		arch_vtimer_read(cval, ctl);
	} else {
		*cval = v->st.vtimer.cval;
		*ctl = v->st.vtimer.ctl;
	}
}

/*
 * The backup deadline only wakes (T1): it never writes timer or vGIC
 * state; injection happens at load. Found due before the virtual deadline
 * (a coarse or early timer, or CNTVOFF changed since it was armed) it
 * re-arms and wakes nothing (T4); a timer that can no longer fire (its
 * vCPU reset) wakes nothing either.
 */
static void backup_expired(struct timerq_entry *e, uint64_t now)
{
	struct vcpu *v = e->arg;
	uint64_t ctl, cval, when;

	timer_state(v, &cval, &ctl);
	if ((ctl & (TIMER_CTL_ENABLE | TIMER_CTL_IMASK)) != TIMER_CTL_ENABLE)
		return;
	when = time_phys_deadline(now, v->vm->cntvoff, cval);
	if (when > now) {
		timerq_arm(&cpu_current()->timerq, e, when);
		return;
	}
	sched_wake_irq(v);
}

bool vtimer_arm_backup(struct vcpu *v)
{
	uint64_t ctl, cval, now, when;

	timer_state(v, &cval, &ctl);
	if ((ctl & (TIMER_CTL_ENABLE | TIMER_CTL_IMASK)) != TIMER_CTL_ENABLE)
		return true;
	now = arch_timer_now();
	when = time_phys_deadline(now, v->vm->cntvoff, cval);
	if (when <= now)
		return false;
	if (v->backup.fn != backup_expired)
		timerq_entry_init(&v->backup, backup_expired, v);
	timerq_arm(&cpus[v->pcpu].timerq, &v->backup, when);
	return true;
}

void vtimer_cancel_backup(struct vcpu *v)
{
	if (v->backup.armed)
		timerq_cancel(&cpus[v->pcpu].timerq, &v->backup);
}
