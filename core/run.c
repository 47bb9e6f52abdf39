// SPDX-License-Identifier: MIT
/*
 * The vCPU run loop (see run.h, docs/design.md §6). Arch provides the
 * world switch (arch_vcpu_enter()), the trap decoder (arch_vcpu_trap())
 * and register-level hooks; everything between two entries is here, for
 * the hardware and the fake alike.
 *
 * An exit's handler decides what comes next. One that resumes the guest
 * without touching its interrupt or timer state (an HVC such as
 * PSCI_VERSION, a read of a vGIC configuration register, an FP trap)
 * re-enters at once: the list registers and timers are as the guest left
 * them, so the exit is as if it never happened. Any other exit settles
 * first (run_settle(): fold the list registers, re-sample both timer
 * lines) and the next entry derives the lines and fills the list
 * registers again (T2). A handler that needs the model whole settles
 * itself; a change to the vGIC state of the vCPU made meanwhile (it
 * raised its own interrupt, a level line dropped) marks it stale, and
 * the entry rebuilds its list registers.
 */
#include <arch/cpu.h>
#include <arch/vcpu.h>
#include <arch/vgic_hw.h>
#include <kairos/cpu.h>
#include <kairos/irq.h>
#include <kairos/ptimer.h>
#include <kairos/run.h>
#include <kairos/sched.h>
#include <kairos/task.h>
#include <kairos/vgic.h>
#include <kairos/vm.h>
#include <kairos/vm_ram.h>
#include <kairos/vpmu.h>
#include <kairos/vtimer.h>

/*
 * Before an entry: derive @v's timer lines (T2: before every entry, not
 * only at load; a vCPU woken from WFI may still be the loaded one), fill
 * and write its list registers, and put the hardware-mapped ones'
 * physical state where the model says.
 */
static void prepare(struct cpu *c, struct vcpu *v)
{
	struct vgic_fast fast = { .intid = VTIMER_INTID };
	struct vgic_lr lrs[VGIC_MAX_LRS];
	unsigned int n, maint = 0;
	bool underflow;

	vtimer_entry(v);
	ptimer_sync(v);
	/* Its PMU's overflow line (also taken at EL2 meanwhile: vpmu.c). */
	vpmu_sync(v);
	/* What changes from here on is in this fill or marks it stale. */
	__atomic_store_n(&v->lrs_stale, false, __ATOMIC_RELAXED);
	n = vgic_fill_lrs(v, lrs, arch_vgic_nr_lrs(), &underflow, &fast);
	v->lrs_left_out = underflow;
	if (underflow)
		maint |= VGIC_MAINT_UNDERFLOW;
	/* On a boost: an exit once it has taken what it was boosted for. */
	if (c->boost_untaken && c->running == v)
		maint |= VGIC_MAINT_NO_PENDING;
	arch_vgic_write_lrs(lrs, n, maint);
	if (v->ack_trap) /* set by the fill */
		arch_vgic_trap_ack(v, true);
	vgic_sync_hw(v);
	vtimer_guard(v, lrs, n);
	/* Armed for the virtual timer (arch_vgic_encode_lr(); on aarch64
	 * guest.S's guest_irq), or disarmed. */
	if (fast.ok && fast.k < arch_vgic_nr_lrs())
		arch_vgic_fast_arm(&c->arch, arch_vgic_encode_lr(&fast.lr),
				   fast.k, fast.lr.hw_intid);
	else
		arch_vgic_fast_arm(&c->arch, 0, 0, 0);
	v->lrs_n = n;
	v->lrs_live = true;
	v->lines_due = true;
}

/* A list register in @lrs (@n) is pending and not active. */
static bool lrs_pending(const struct vgic_lr *lrs, unsigned int n)
{
	for (unsigned int k = 0; k < n; k++)
		if (lrs[k].pending && !lrs[k].active)
			return true;
	return false;
}

/* Fold @v's live list registers back into the model (run_settle()). */
static void settle_lrs(struct cpu *c, struct vcpu *v)
{
	struct vgic_lr lrs[VGIC_MAX_LRS];
	unsigned int n = v->lrs_n, k, eoi;

	v->lrs_live = false;
	if (arch_vgic_fast_disarm(&c->arch, &k) && k == n)
		vgic_fast_listed(v, n++, VTIMER_INTID);
	eoi = arch_vgic_read_lrs(lrs, n);
	/*
	 * On a boost: none left pending (an active one pending again is
	 * being handled) and none waiting for room means it took them.
	 */
	if (c->boost_untaken && !v->lrs_left_out && !lrs_pending(lrs, n))
		sched_boost_taken(c, v);
	vgic_fold_lrs(v, lrs, n, eoi);
	/* Armed only while the list registers are live. */
	if (v->ack_trap) {
		v->ack_trap = false;
		arch_vgic_trap_ack(v, false);
	}
}

/* Re-sample @v's timer lines (and its PMU's), as they are after the exit. */
static void settle_lines(struct vcpu *v)
{
	v->lines_due = false;
	vtimer_sync(v);
	ptimer_sync(v);
	/* Before a WFI decides: an overflow may be what it waits for. */
	vpmu_sync(v);
}

void run_settle(struct vcpu *v)
{
	struct cpu *c = cpu_current();

	/* Live list registers are on the pCPU that runs it: this one. */
	if (v->pcpu != c->id)
		return;
	if (v->lrs_live)
		settle_lrs(c, v);
	if (v->lines_due)
		settle_lines(v);
}

enum vexit_result run_ack_trapped(struct vcpu *v)
{
	run_settle(v);
	(void)vgic_resample(v);
	return VEXIT_RESUME;
}

void run_wfi_policy(struct vcpu *v)
{
	/*
	 * Alone here, its WFI waits in hardware (design.md §6); only a pass
	 * of the scheduler, outside run_vcpu()'s loop, changes that. Its
	 * PMU's overflow ends that wait as any interrupt does where Kairos
	 * takes the physical PMU interrupt; where it does not, the line is
	 * sampled at exits only, and a WFI that waits for it must exit.
	 * Nor while its timer may not fire in the hardware.
	 */
	arch_vcpu_wfi_native(v, cpu_current()->alone && vpmu_signals(v) &&
					vtimer_fires_in_wfi(v));
}

/* Let interrupts taken at EL2 (kicks, timers, the UART) be handled. */
static void irq_window(void)
{
	arch_irq_enable();
	arch_irq_disable();
}

enum vexit_result run_vcpu(struct vcpu *v)
{
	struct cpu *c = cpu_current();
	unsigned int resumed = 0;
	enum vexit_result e;
	struct vcpu_exit x;

	/* Its RAM is being zeroed before it boots: a step, not the guest. */
	if (vm_ram_clearing(v->vm))
		return vm_boot_step(v);
	run_wfi_policy(v);
	for (;;) {
		/* Requests are re-checked with interrupts masked (rule 8). */
		if (__atomic_load_n(&c->resched, __ATOMIC_ACQUIRE)) {
			e = VEXIT_RESCHED;
			break;
		}
		/* The entry derives the timer lines again (prepare()). */
		if (__atomic_load_n(&v->lrs_stale, __ATOMIC_ACQUIRE) &&
		    v->lrs_live)
			settle_lrs(c, v);
		if (!v->lrs_live)
			prepare(c, v);
		arch_vcpu_enter(v, &x);
		v->exits++;
		if (x.kind == VCPU_EXIT_IRQ) {
			/*
			 * The list registers are folded for the handlers; the
			 * timer lines are left to the entry, which derives them
			 * anyway (T2), or to the settle before a put.
			 */
			if (v->lrs_live)
				settle_lrs(c, v);
			irq_handle();
			irq_window(); /* any that came since */
			/*
			 * Nothing asked the scheduler (a kick for its own new
			 * interrupt, its timers): straight back in, listing
			 * what is new. The request is checked at the top.
			 */
			continue;
		}
		if (x.kind == VCPU_EXIT_FATAL) {
			run_settle(v);
			vm_fatal(v, x.why);
			return VEXIT_RESCHED;
		}
		/* Lines re-sampled and not taken again by now stayed low. */
		if (v->resampled)
			vgic_resample_expire(v);
		e = arch_vcpu_trap(v, &x);
		if (e == VEXIT_RESUME) {
			/* A storm of cheap exits: see irq_refresh(). */
			if (++resumed % RUN_REFRESH_RESUMES == 0)
				irq_refresh();
			continue;
		}
		run_settle(v);
		/* WFI with an interrupt already pending completes at once. */
		if (e != VEXIT_WFI || sched_wfi(v))
			break;
	}
	run_settle(v);
	return e;
}

void run_loop(void)
{
	struct cpu *c = cpu_current();

	sched_cpu_init(c);
	arch_irq_disable();
	for (;;) {
		struct vcpu *v;

		__atomic_store_n(&c->resched, 0U, __ATOMIC_RELEASE);
		task_run_pending(c->id);
		v = sched_next(c);
		if (v)
			sched_exited(c, v, run_vcpu(v));
		else
			sched_idle(c);
		irq_window();
	}
}
