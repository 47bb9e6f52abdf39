// SPDX-License-Identifier: MIT
/* The EL1 virtual timer of vCPUs (see vtimer.h). */
#include <arch/cpu.h>
#include <arch/timer.h>
#include <kairos/cpu.h>
#include <kairos/irq.h>
#include <kairos/sched.h>
#include <kairos/vgic.h>
#include <kairos/vtimer.h>

#define CTL_ENABLE (1UL << 0)
#define CTL_IMASK (1UL << 1)
#define CTL_ISTATUS (1UL << 2)

static uint32_t phys_intid;

/* The line as the architecture defines it (Arm ARM D11.2.4). */
static bool line_of(uint64_t ctl)
{
	return (ctl & (CTL_ENABLE | CTL_IMASK | CTL_ISTATUS)) ==
	       (CTL_ENABLE | CTL_ISTATUS);
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
	return false;
}

void vtimer_init(uint32_t intid)
{
	phys_intid = intid;
	irq_set_handler(intid, vtimer_irq, NULL);
}

void vtimer_sync(struct vcpu *v)
{
	uint64_t ctl, cval;

	arch_vtimer_read(&cval, &ctl);
	vgic_set_line(v, VTIMER_INTID, line_of(ctl));
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

static void backup_expired(struct timerq_entry *e, uint64_t now)
{
	(void)now;
	sched_wake(e->arg); /* only wakes: injection happens at load */
}

bool vtimer_arm_backup(struct vcpu *v)
{
	uint64_t ctl, cval, when;

	arch_vtimer_read(&cval, &ctl);
	if ((ctl & (CTL_ENABLE | CTL_IMASK)) != CTL_ENABLE)
		return true;
	if (line_of(ctl))
		return false;
	/* Physical time of the virtual deadline, saturating at "never". */
	when = cval > UINT64_MAX - v->vm->cntvoff ? UINT64_MAX :
						    cval + v->vm->cntvoff;
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
