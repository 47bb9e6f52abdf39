// SPDX-License-Identifier: MIT
/* Per-pCPU scheduling of vCPUs (see sched.h). */
#include <arch/cpu.h>
#include <arch/timer.h>
#include <arch/vcpu.h>
#include <kairos/cpu.h>
#include <kairos/irq.h>
#include <kairos/ptimer.h>
#include <kairos/sched.h>
#include <kairos/shell.h>
#include <kairos/time.h>
#include <kairos/vgic.h>
#include <kairos/vtimer.h>

bool sched_place(struct vcpu *v)
{
	struct cpu *c = &cpus[v->pcpu];

	if (c->nr_runq == KAIROS_MAX_CPU_VCPUS)
		return false;
	c->runq[c->nr_runq] = v;
	/* That pCPU may be scheduling already: publish the entry first. */
	__atomic_store_n(&c->nr_runq, c->nr_runq + 1, __ATOMIC_RELEASE);
	return true;
}

void sched_kick(unsigned int pcpu)
{
	__atomic_store_n(&cpus[pcpu].resched, 1U, __ATOMIC_RELEASE);
	if (pcpu != cpu_current()->id)
		irq_chip()->send_sgi(pcpu, IRQ_SGI_KICK);
}

void sched_wake(struct vcpu *v)
{
	enum vcpu_run blocked = VCPU_RUN_BLOCKED;

	__atomic_compare_exchange_n(&v->run, &blocked, VCPU_RUN_READY, false,
				    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
	sched_kick(v->pcpu);
}

static bool runnable(const struct vcpu *v)
{
	return __atomic_load_n(&v->run, __ATOMIC_ACQUIRE) == VCPU_RUN_READY &&
	       __atomic_load_n(&v->vm->state, __ATOMIC_ACQUIRE) == VM_RUNNING;
}

/* Highest priority first; round robin among equals from rr_next. */
static struct vcpu *pick(struct cpu *c, unsigned int *competitors)
{
	struct vcpu *best = NULL;
	unsigned int best_k = 0;

	unsigned int n = __atomic_load_n(&c->nr_runq, __ATOMIC_ACQUIRE);

	*competitors = 0;
	for (unsigned int i = 0; i < n; i++) {
		unsigned int k = (c->rr_next + i) % n;
		struct vcpu *v = c->runq[k];

		if (!runnable(v))
			continue;
		if (best && v->vm->cfg->priority == best->vm->cfg->priority)
			(*competitors)++;
		if (!best || v->vm->cfg->priority > best->vm->cfg->priority) {
			best = v;
			best_k = k;
			*competitors = 0;
		}
	}
	if (best)
		c->rr_next = (best_k + 1) % n;
	return best;
}

/*
 * Make @v the loaded vCPU. The old one is saved only if its state in
 * memory is still the one it was loaded from (not reset meanwhile by
 * CPU_ON or a VM reset, which happen under the VM lock).
 */
static void switch_to(struct cpu *c, struct vcpu *v)
{
	struct vcpu *old = c->loaded;

	if (old == v &&
	    v->loaded_gen == __atomic_load_n(&v->gen, __ATOMIC_ACQUIRE))
		return;
	if (old) {
		spin_lock(&old->vm->lock);
		if (old->loaded_gen == old->gen &&
		    old->st.power == VCPU_POWER_ON)
			vcpu_put(old);
		else
			vcpu_discard(old);
		spin_unlock(&old->vm->lock);
	}
	spin_lock(&v->vm->lock);
	vcpu_load(v);
	v->loaded_gen = v->gen;
	spin_unlock(&v->vm->lock);
	c->loaded = v;
}

static void slice_end(struct timerq_entry *e, uint64_t now)
{
	struct cpu *c = e->arg;

	(void)now;
	__atomic_store_n(&c->resched, 1U, __ATOMIC_RELEASE);
}

static void handle_exit(struct vcpu *v, enum vcpu_exit e)
{
	enum vcpu_run ready = VCPU_RUN_READY;

	switch (e) {
	case VCPU_EXIT_IRQ: irq_handle(); break;
	case VCPU_EXIT_WFI:
		/*
		 * Block first, then look: an interrupt made pending meanwhile
		 * either is seen here or finds the vCPU blocked and wakes it
		 * (T3: no lost wakeup).
		 */
		if (!__atomic_compare_exchange_n(&v->run, &ready,
						 VCPU_RUN_BLOCKED, false,
						 __ATOMIC_SEQ_CST,
						 __ATOMIC_ACQUIRE))
			break;
		if (vgic_has_pending(v) || !vtimer_arm_backup(v) ||
		    !ptimer_arm_wfi(v)) {
			enum vcpu_run blocked = VCPU_RUN_BLOCKED;

			__atomic_compare_exchange_n(&v->run, &blocked,
						    VCPU_RUN_READY, false,
						    __ATOMIC_SEQ_CST,
						    __ATOMIC_ACQUIRE);
		}
		break;
	case VCPU_EXIT_YIELD:
	case VCPU_EXIT_RESCHED:
	default: break;
	}
}

/* Let interrupts taken at EL2 (kicks, timers, the UART) be handled. */
static void irq_window(void)
{
	arch_irq_enable();
	arch_irq_disable();
}

void sched_loop(void)
{
	struct cpu *c = cpu_current();

	timerq_entry_init(&c->slice, slice_end, c);
	arch_irq_disable();
	for (;;) {
		unsigned int competitors;
		struct vcpu *v;

		__atomic_store_n(&c->resched, 0U, __ATOMIC_RELEASE);
		if (c->id == 0)
			shell_poll();
		v = pick(c, &competitors);
		if (!v) {
			timerq_cancel(&c->timerq, &c->slice);
			if (!__atomic_load_n(&c->resched, __ATOMIC_ACQUIRE))
				arch_wait_for_interrupt();
			irq_window();
			continue;
		}
		if (!competitors)
			timerq_cancel(&c->timerq, &c->slice);
		else if (!c->slice.armed || c->loaded != v)
			timerq_arm(&c->timerq, &c->slice,
				   arch_timer_now() +
					   time_us_to_ticks(SCHED_SLICE_US));
		switch_to(c, v);
		handle_exit(v, arch_vcpu_run(v));
		irq_window();
	}
}
