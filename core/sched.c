// SPDX-License-Identifier: MIT
/* Per-pCPU scheduling of vCPUs (see sched.h). */
#include <arch/cpu.h>
#include <arch/timer.h>
#include <arch/vcpu.h>
#include <kairos/console.h>
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
	bool ok;

	spin_lock(&c->runq_lock);
	ok = c->nr_runq < KAIROS_MAX_CPU_VCPUS;
	if (ok) {
		c->runq[c->nr_runq] = v;
		c->nr_runq++;
	}
	spin_unlock(&c->runq_lock);
	return ok;
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
	/*
	 * The vCPU loaded here is out of the guest while this runs, and this
	 * pCPU re-picks before it enters again: no kick (it would only
	 * bounce the entry that is about to present the interrupt).
	 */
	if (v != cpu_current()->loaded)
		sched_kick(__atomic_load_n(&v->pcpu, __ATOMIC_ACQUIRE));
}

static bool runnable(const struct vcpu *v)
{
	return __atomic_load_n(&v->run, __ATOMIC_ACQUIRE) == VCPU_RUN_READY &&
	       __atomic_load_n(&v->vm->state, __ATOMIC_ACQUIRE) == VM_RUNNING &&
	       !__atomic_load_n(&v->vm->hold, __ATOMIC_ACQUIRE);
}

/*
 * Highest priority first. Among equals the loaded vCPU keeps the pCPU
 * until its turn ends (slice over, yield, block); then round robin from
 * the one after it.
 */
static struct vcpu *pick(struct cpu *c, unsigned int *competitors)
{
	struct vcpu *best = NULL;
	unsigned int best_k = 0, n, ties = 0;
	bool keep = false;

	spin_lock(&c->runq_lock);
	n = c->nr_runq;
	for (unsigned int i = 0; i < n; i++) {
		unsigned int k = (c->rr_next + i) % n;
		struct vcpu *v = c->runq[k];

		if (!runnable(v))
			continue;
		if (best && v->vm->cfg->priority == best->vm->cfg->priority) {
			ties++;
			/* The loaded one goes on while its turn lasts. */
			if (v == c->loaded && !c->slice_over) {
				best = v;
				best_k = k;
				keep = true;
			}
			continue;
		}
		if (!best || v->vm->cfg->priority > best->vm->cfg->priority) {
			best = v;
			best_k = k;
			ties = 0;
			keep = v == c->loaded && !c->slice_over;
		}
	}
	if (best && !keep)
		c->rr_next = (best_k + 1) % n;
	spin_unlock(&c->runq_lock);
	*competitors = ties;
	return best;
}

/*
 * Save the loaded vCPU, only if its state in memory is still the one it
 * was loaded from (not reset meanwhile by CPU_ON or a VM reset, which
 * happen under the VM lock).
 */
static void put_loaded(struct cpu *c)
{
	struct vcpu *old = c->loaded;

	spin_lock(&old->vm->lock);
	if (old->loaded_gen == old->gen && old->st.power == VCPU_POWER_ON)
		vcpu_put(old);
	else
		vcpu_discard(old);
	spin_unlock(&old->vm->lock);
}

/* Make @v the loaded vCPU. */
static void switch_to(struct cpu *c, struct vcpu *v)
{
	if (c->loaded == v &&
	    v->loaded_gen == __atomic_load_n(&v->gen, __ATOMIC_ACQUIRE))
		return;
	if (c->loaded)
		put_loaded(c);
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
	c->slice_over = true;
	__atomic_store_n(&c->resched, 1U, __ATOMIC_RELEASE);
}

static void handle_exit(struct cpu *c, struct vcpu *v, enum vcpu_exit e)
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
		c->slice_over = true; /* WFE: let an equal run */
		break;
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

/* Take @v out of this pCPU and give it to pCPU @to (see sched_migrate). */
static void migrate_out(struct cpu *c, struct vcpu *v, unsigned int to)
{
	struct cpu *d = &cpus[to];
	enum vcpu_run blocked = VCPU_RUN_BLOCKED;
	unsigned int k;
	bool room;

	spin_lock(&d->runq_lock);
	room = d->nr_runq < KAIROS_MAX_CPU_VCPUS;
	spin_unlock(&d->runq_lock);
	__atomic_store_n(&v->migrate_to, 0U, __ATOMIC_RELAXED);
	if (!room) {
		kprintf("kairos: CPU%u is full: vCPU %s/%u stays on CPU%u\n",
			to, v->vm->cfg->name, v->id, c->id);
		return;
	}
	/* Nothing of it may stay here: its hardware state, its deadlines. */
	if (c->loaded == v) {
		put_loaded(c);
		c->loaded = NULL;
	}
	vtimer_cancel_backup(v);
	ptimer_cancel(v); /* re-armed where it is loaded next */
	spin_lock(&c->runq_lock);
	for (k = 0; k < c->nr_runq && c->runq[k] != v; k++)
		;
	for (; k + 1 < c->nr_runq; k++)
		c->runq[k] = c->runq[k + 1];
	c->nr_runq--;
	if (c->rr_next >= c->nr_runq)
		c->rr_next = 0;
	spin_unlock(&c->runq_lock);

	spin_lock(&d->runq_lock);
	__atomic_store_n(&v->pcpu, to, __ATOMIC_RELEASE);
	d->runq[d->nr_runq] = v;
	d->nr_runq++;
	spin_unlock(&d->runq_lock);
	v->migrations++;
	/* A WFI it was blocked in completes; it blocks again over there. */
	__atomic_compare_exchange_n(&v->run, &blocked, VCPU_RUN_READY, false,
				    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
	sched_kick(to);
}

static void do_migrations(struct cpu *c)
{
	for (unsigned int i = 0; i < c->nr_runq; i++) {
		struct vcpu *v = c->runq[i];
		uint32_t to = __atomic_load_n(&v->migrate_to, __ATOMIC_ACQUIRE);

		if (!to)
			continue;
		if (to - 1 == c->id) {
			__atomic_store_n(&v->migrate_to, 0U, __ATOMIC_RELAXED);
			continue;
		}
		migrate_out(c, v, to - 1);
		i--; /* the list moved up */
	}
}

/*
 * vCPUs compete for this pCPU while another one idles: move one that
 * waits (not @running) there, if its VM's cpu-affinity allows.
 */
static void balance(struct cpu *c, const struct vcpu *running)
{
	struct vcpu *w = NULL;
	unsigned int to = 0;

	spin_lock(&c->runq_lock);
	for (unsigned int i = 0; i < c->nr_runq && !w; i++) {
		struct vcpu *v = c->runq[i];
		uint32_t ok = v->vm->cfg->cpu_affinity & ~(1U << c->id);

		if (v == running || !ok || !runnable(v))
			continue;
		for (unsigned int d = 0; d < cpu_count && !w; d++)
			if ((ok & (1U << d)) &&
			    __atomic_load_n(&cpus[d].idle, __ATOMIC_ACQUIRE)) {
				w = v;
				to = d;
			}
	}
	spin_unlock(&c->runq_lock);
	if (w) {
		/* It will not be idle for long: one vCPU per pass. */
		__atomic_store_n(&cpus[to].idle, false, __ATOMIC_RELAXED);
		migrate_out(c, w, to);
	}
}

/*
 * vCPUs here whose VM is held: put the loaded one, cancel their deadlines
 * (this pCPU's timerq is only touched here), then say they are parked.
 */
static void park_held(struct cpu *c)
{
	for (unsigned int i = 0; i < c->nr_runq; i++) {
		struct vcpu *v = c->runq[i];

		if (!__atomic_load_n(&v->vm->hold, __ATOMIC_ACQUIRE) ||
		    __atomic_load_n(&v->parked, __ATOMIC_ACQUIRE))
			continue;
		if (c->loaded == v) {
			put_loaded(c);
			c->loaded = NULL;
		}
		vtimer_cancel_backup(v);
		ptimer_cancel(v);
		__atomic_store_n(&v->parked, true, __ATOMIC_RELEASE);
	}
}

void sched_hold_vm(struct vm *vm)
{
	__atomic_store_n(&vm->hold, true, __ATOMIC_SEQ_CST);
	for (unsigned int i = 0; i < cpu_count; i++)
		if (__atomic_load_n(&cpus[i].online, __ATOMIC_ACQUIRE))
			sched_kick(i);
	park_held(cpu_current());
	for (unsigned int i = 0; i < vm->nr_vcpus; i++)
		while (!__atomic_load_n(&vm->vcpus[i].parked,
					__ATOMIC_ACQUIRE)) {
			park_held(cpu_current()); /* one may move here */
			arch_cpu_relax();
		}
}

void sched_release_vm(struct vm *vm)
{
	for (unsigned int i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *v = &vm->vcpus[i];

		/* A WFI it was blocked in completes (its deadline is gone). */
		if (__atomic_load_n(&v->run, __ATOMIC_ACQUIRE) ==
		    VCPU_RUN_BLOCKED)
			__atomic_store_n(&v->run, VCPU_RUN_READY,
					 __ATOMIC_RELEASE);
		__atomic_store_n(&v->parked, false, __ATOMIC_RELEASE);
	}
	__atomic_store_n(&vm->hold, false, __ATOMIC_SEQ_CST);
	for (unsigned int i = 0; i < vm->nr_vcpus; i++)
		sched_kick(
			__atomic_load_n(&vm->vcpus[i].pcpu, __ATOMIC_ACQUIRE));
}

const char *sched_migrate(struct vcpu *v, unsigned int pcpu)
{
	if (pcpu >= cpu_count ||
	    !__atomic_load_n(&cpus[pcpu].online, __ATOMIC_ACQUIRE))
		return "no such CPU online";
	__atomic_store_n(&v->migrate_to, pcpu + 1, __ATOMIC_RELEASE);
	sched_kick(__atomic_load_n(&v->pcpu, __ATOMIC_ACQUIRE));
	return NULL;
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
		do_migrations(c);
		park_held(c);
		v = pick(c, &competitors);
		if (!v) {
			timerq_cancel(&c->timerq, &c->slice);
			c->slice_over = false;
			__atomic_store_n(&c->idle, true, __ATOMIC_RELEASE);
			if (!__atomic_load_n(&c->resched, __ATOMIC_ACQUIRE))
				arch_wait_for_interrupt();
			__atomic_store_n(&c->idle, false, __ATOMIC_RELEASE);
			irq_window();
			continue;
		}
		if (competitors)
			balance(c, v);
		if (!competitors) {
			timerq_cancel(&c->timerq, &c->slice);
		} else if (c->loaded != v || c->slice_over || !c->slice.armed) {
			/* A new turn: a whole slice. */
			timerq_arm(&c->timerq, &c->slice,
				   arch_timer_now() +
					   time_us_to_ticks(SCHED_SLICE_US));
		}
		c->slice_over = false;
		switch_to(c, v);
		handle_exit(c, v, arch_vcpu_run(v));
		irq_window();
	}
}
