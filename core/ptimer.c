// SPDX-License-Identifier: MIT
/*
 * The EL1 physical timer of vCPUs, emulated (see ptimer.h). Arm ARM D11.2:
 * the timer condition is met when count >= CVAL (64-bit, unsigned);
 * TVAL is the signed 32-bit view of CVAL - count.
 */
#include <arch/timer.h>
#include <kairos/cpu.h>
#include <kairos/ptimer.h>
#include <kairos/sched.h>
#include <kairos/time.h>
#include <kairos/vgic.h>

static struct timerq *here(void)
{
	return &cpu_current()->timerq;
}

/* The guest's physical count: identical to its virtual count. */
static uint64_t count_of(const struct vcpu *v)
{
	return arch_timer_now() - v->vm->cntvoff;
}

/* ENABLE and not IMASK: the line follows the timer condition. */
static bool unmasked(uint64_t ctl)
{
	return (ctl & (TIMER_CTL_ENABLE | TIMER_CTL_IMASK)) == TIMER_CTL_ENABLE;
}

/*
 * Set the line of PPI 30 if it changes. The VM's vGIC lock, which
 * vgic_set_line() takes, is shared by all its vCPUs: a guest that never
 * uses this timer should not pay for it on every entry. Only this file
 * (on the vCPU's pCPU) and a vCPU reset write this line's bit.
 */
static void set_line(struct vcpu *v, bool level)
{
	const uint16_t *flags = &v->st.vgic.priv[PTIMER_INTID].flags;

	if (((__atomic_load_n(flags, __ATOMIC_RELAXED) & VGIC_LINE) != 0) !=
	    level)
		vgic_set_line(v, PTIMER_INTID, level);
}

/*
 * The deadline expired. It only wakes (T1): the line is derived at the
 * next entry. An expiry before the guest's count reaches CVAL (the state
 * or the offset changed since it was armed) re-arms instead (T4). It may
 * race with a reset from another pCPU, which at worst costs a spurious
 * wake (WFI may end without a reason, Arm ARM D1.6.2).
 */
static void expired(struct timerq_entry *e, uint64_t now)
{
	struct vcpu *v = e->arg;
	uint64_t ctl = __atomic_load_n(&v->st.ptimer.ctl, __ATOMIC_RELAXED);
	uint64_t cval = __atomic_load_n(&v->st.ptimer.cval, __ATOMIC_RELAXED);
	uint64_t off = __atomic_load_n(&v->vm->cntvoff, __ATOMIC_RELAXED);

	if (unmasked(ctl) && now - off < cval) {
		timerq_arm(here(), e, time_phys_deadline(now, off, cval));
		return;
	}
	sched_wake_irq(v);
}

/**
 * Queue the deadline on this pCPU while the timer can still fire, drop it
 * otherwise. Returns the line (the condition is met and unmasked).
 */
bool ptimer_update(struct vcpu *v)
{
	const struct vcpu_ptimer *t = &v->st.ptimer;
	uint64_t now;
	bool line;

	if (!unmasked(t->ctl)) {
		ptimer_cancel(v);
		set_line(v, false);
		return false;
	}
	now = arch_timer_now();
	line = now - v->vm->cntvoff >= t->cval;
	if (line) {
		ptimer_cancel(v);
	} else {
		if (v->ptimer.fn != expired)
			timerq_entry_init(&v->ptimer, expired, v);
		timerq_arm(here(), &v->ptimer,
			   time_phys_deadline(now, v->vm->cntvoff, t->cval));
	}
	set_line(v, line);
	return line;
}

bool ptimer_read(struct vcpu *v, enum ptimer_reg r, uint64_t *val)
{
	const struct vcpu_ptimer *t = &v->st.ptimer;

	switch (r) {
	case PTIMER_CTL:
		/* ISTATUS is UNKNOWN while disabled: reads as 0, as QEMU's. */
		*val = t->ctl;
		if ((t->ctl & TIMER_CTL_ENABLE) && count_of(v) >= t->cval)
			*val |= TIMER_CTL_ISTATUS;
		return true;
	case PTIMER_CVAL: *val = t->cval; return true;
	case PTIMER_TVAL:
		/* TimerValue is bits [31:0]; bits [63:32] are RES0. */
		*val = (uint32_t)(t->cval - count_of(v));
		return true;
	case PTIMER_COUNT: *val = count_of(v); return true;
	default: return false;
	}
}

bool ptimer_write(struct vcpu *v, enum ptimer_reg r, uint64_t val)
{
	struct vcpu_ptimer *t = &v->st.ptimer;

	switch (r) {
	case PTIMER_CTL:
		/* ISTATUS is read-only, the other bits RES0. */
		t->ctl = val & (TIMER_CTL_ENABLE | TIMER_CTL_IMASK);
		break;
	case PTIMER_CVAL: t->cval = val; break;
	case PTIMER_TVAL:
		/* CVAL = count + SignExtend(TVAL[31:0]). */
		val &= 0xffffffffUL;
		if (val & 0x80000000UL)
			val |= ~0xffffffffUL;
		t->cval = count_of(v) + val;
		break;
	default: return false;
	}
	ptimer_update(v);
	return true;
}

bool ptimer_due(const struct vcpu *v)
{
	const struct vcpu_ptimer *t = &v->st.ptimer;

	return unmasked(t->ctl) && count_of(v) >= t->cval;
}

/** ptimer_sync() of a timer that may fire or whose line is high. */
void ptimer_sync_line(struct vcpu *v)
{
	const struct vcpu_ptimer *t = &v->st.ptimer;

	/* The counter is only read when the line can be high. */
	set_line(v, unmasked(t->ctl) && count_of(v) >= t->cval);
}

void ptimer_cancel(struct vcpu *v)
{
	if (v->ptimer.armed)
		timerq_cancel(here(), &v->ptimer);
}
