// SPDX-License-Identifier: MIT
/* Per-pCPU scheduling of vCPUs (see sched.h). */
#include <arch/cpu.h>
#include <arch/timer.h>
#include <arch/vcpu.h>
#include <kairos/cpu.h>
#include <kairos/irq.h>
#include <kairos/log.h>
#include <kairos/panic.h>
#include <kairos/ptimer.h>
#include <kairos/sched.h>
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

/* Boost @v, unless it is already: the earliest boost counts. */
static void boost(struct vcpu *v)
{
	uint64_t none = 0;

	__atomic_compare_exchange_n(&v->boost, &none, arch_timer_now() | 1,
				    false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

void sched_wake_irq(struct vcpu *v)
{
	/* Boosted before it can be seen ready: a pick that sees it ready
	 * sees the boost. */
	boost(v);
	sched_wake(v);
}

static bool can_wait(struct cpu *c, const struct vcpu *v);

void sched_wake(struct vcpu *v)
{
	enum vcpu_run blocked = VCPU_RUN_BLOCKED;
	struct cpu *c = cpu_current();
	unsigned int pcpu;
	bool woken;

	woken = __atomic_compare_exchange_n(&v->run, &blocked, VCPU_RUN_READY,
					    false, __ATOMIC_SEQ_CST,
					    __ATOMIC_ACQUIRE);
	/*
	 * The vCPU loaded here is out of the guest while this runs: no kick
	 * (it would only bounce the entry that is about to present the
	 * interrupt), but its list registers are rebuilt before that entry
	 * (core/run.c).
	 */
	__atomic_store_n(&v->lrs_stale, true, __ATOMIC_SEQ_CST);
	if (v == c->loaded)
		return;
	/* What was made pending before is seen by a put after this. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	pcpu = __atomic_load_n(&v->pcpu, __ATOMIC_ACQUIRE);
	/* Here, and the pass would only say when to look again. */
	if (pcpu == c->id && can_wait(c, v))
		return;
	/*
	 * Already running there (loaded and not blocked): nothing to decide,
	 * the kick only makes it exit so that its next entry lists what is
	 * new (core/run.c re-enters it without a scheduling pass). Should
	 * that pCPU put it meanwhile, its put sees the interrupt pending and
	 * reconsiders (watch_put()).
	 */
	if (!woken &&
	    __atomic_load_n(&cpus[pcpu].loaded, __ATOMIC_SEQ_CST) == v)
		irq_chip()->send_sgi(pcpu, IRQ_SGI_KICK);
	else
		sched_kick(pcpu);
}

/* Inlined: a pass asks it several times of each vCPU. */
static inline __attribute__((always_inline)) bool runnable(const struct vcpu *v)
{
	return __atomic_load_n(&v->run, __ATOMIC_ACQUIRE) == VCPU_RUN_READY &&
	       __atomic_load_n(&v->vm->state, __ATOMIC_ACQUIRE) == VM_RUNNING &&
	       !__atomic_load_n(&v->vm->hold, __ATOMIC_ACQUIRE);
}

static inline unsigned int prio(const struct vcpu *v)
{
	return v->vm->cfg->priority;
}

/* Runnable at priority @p, the highest runnable one. Inlined too. */
static inline __attribute__((always_inline)) bool eligible(const struct vcpu *v,
							   unsigned int p)
{
	return runnable(v) && prio(v) == p;
}

/* The scheduler's spans in counter ticks, converted once (sched_cpu_init). */
static struct {
	int64_t slice, guard, boost, min_run;
} span;

/*
 * Charge the vCPU picked last for the time since it was last charged, if
 * it competed for this pCPU (alone, its time is nobody's loss). The floor
 * only bounds what a vCPU can owe: a boost stops at -SCHED_GUARD_US.
 */
static void charge(struct cpu *c, uint64_t now)
{
	struct vcpu *r = c->running;
	int64_t floor = -(span.guard + span.slice);

	if (r && c->charge) {
		r->credit -= (int64_t)(now - c->charged_at);
		if (r->credit < floor)
			r->credit = floor;
	}
	c->charged_at = now;
}

/*
 * A vCPU of priority @p back from WFI earns its share of the time it was
 * away (1/@n of it, @n vCPUs competing, to a slice at most): one that
 * mostly waits keeps its boosts, which a turn would otherwise refill only
 * if it happened to be runnable when its turn came.
 */
static void refund(struct cpu *c, unsigned int p, unsigned int n, uint64_t now)
{
	int64_t slice = span.slice;

	for (unsigned int i = 0; i < c->nr_runq; i++) {
		struct vcpu *v = c->runq[i];

		if (!v->blocked_at || !eligible(v, p))
			continue;
		v->credit += (int64_t)((now - v->blocked_at) / n);
		if (v->credit > slice)
			v->credit = slice;
		v->blocked_at = 0;
	}
}

/*
 * The wake-up boost: of the vCPUs at priority @p but @cur (the one
 * running) woken with a newly pending interrupt, the one boosted first,
 * unless the guard refuses it (its credit SCHED_GUARD_US overdrawn) or
 * @cur was switched to less than SCHED_MIN_RUN_US ago (then *@recheck says
 * when). First come, first served: n vCPUs woken at once each wait at
 * most n - 1 minimum runs.
 */
static struct vcpu *pick_boosted(struct cpu *c, const struct vcpu *cur,
				 unsigned int p, uint64_t now,
				 uint64_t *recheck)
{
	uint64_t min_run = (uint64_t)span.min_run, first = 0;
	struct vcpu *best = NULL;

	for (unsigned int i = 0; i < c->nr_runq; i++) {
		struct vcpu *v = c->runq[i];
		uint64_t at = __atomic_load_n(&v->boost, __ATOMIC_ACQUIRE);

		if (v == cur || !at || !eligible(v, p))
			continue;
		if (v->credit <= -span.guard) {
			c->guarded++;
			continue;
		}
		if (!best || at < first) {
			best = v;
			first = at;
		}
	}
	if (best && cur && now - c->run_start < min_run) {
		*recheck = c->run_start + min_run;
		return NULL;
	}
	return best;
}

/*
 * A new round-robin turn at priority @p, from the one after the last
 * turn: each gets a slice more (at most a slice in all) and the first
 * with credit left runs. A few rounds repay any debt; should the run
 * queue change under it, the first eligible one runs.
 */
static struct vcpu *next_turn(struct cpu *c, unsigned int p)
{
	int64_t slice = span.slice;
	unsigned int n = c->nr_runq;
	struct vcpu *first = NULL;

	for (unsigned int round = 0; round < 8; round++) {
		for (unsigned int i = 0; i < n; i++) {
			unsigned int k = (c->rr_next + i) % n;
			struct vcpu *v = c->runq[k];

			if (!eligible(v, p))
				continue;
			if (!first)
				first = v;
			v->credit += slice;
			if (v->credit > slice)
				v->credit = slice;
			if (v->credit > 0) {
				c->turn = v;
				c->rr_next = (k + 1) % n;
				return v;
			}
		}
	}
	c->turn = first;
	return first;
}

/*
 * Highest priority first. Among equals: a boosted vCPU (pick_boosted());
 * else the one on a boost goes on until the boost ends; else the turn
 * holder while it has credit and has not yielded; else the next turn.
 * Sets *@competitors to the number of others runnable at that priority.
 */
static struct vcpu *pick(struct cpu *c, uint64_t now, unsigned int *competitors,
			 uint64_t *recheck)
{
	struct vcpu *best = NULL, *cur;
	unsigned int n, ties = 0, p = 0;

	spin_lock(&c->runq_lock);
	n = c->nr_runq;
	for (unsigned int i = 0; i < n; i++) {
		struct vcpu *v = c->runq[i];

		if (!runnable(v))
			continue;
		if (!best || prio(v) > p) {
			best = v;
			p = prio(v);
			ties = 0;
		} else if (prio(v) == p) {
			ties++;
		}
	}
	*competitors = ties;
	if (!best) {
		spin_unlock(&c->runq_lock);
		return NULL;
	}
	refund(c, p, ties + 1, now);
	cur = c->running && eligible(c->running, p) ? c->running : NULL;
	best = pick_boosted(c, cur, p, now, recheck);
	if (best && (best != c->turn || best->credit <= 0)) {
		int64_t left = best->credit + span.guard;

		c->boost_end =
			now + (uint64_t)(left < span.boost ? left : span.boost);
		c->boost_untaken = ties != 0;
		if (cur)
			c->boosts++; /* a preemption */
	} else if (best) {
		c->boost_end = 0; /* the turn holder itself: its turn resumes */
		c->boost_untaken = false;
	} else if (cur && c->boost_end && now < c->boost_end) {
		best = cur; /* the boost goes on */
	} else {
		c->boost_end = 0;
		c->boost_untaken = false;
		best = c->turn;
		if (!best || !eligible(best, p) || best->credit <= 0 ||
		    c->slice_over)
			best = next_turn(c, p);
		c->slice_over = false;
	}
	if (!best) {
		/*
		 * What was runnable in the scan above stopped being so before
		 * the turn was chosen (held for a checkpoint, blocked, stopped
		 * on another pCPU): pick again rather than wait.
		 */
		__atomic_store_n(&c->resched, 1U, __ATOMIC_RELEASE);
		spin_unlock(&c->runq_lock);
		return NULL;
	}
	__atomic_store_n(&best->boost, 0, __ATOMIC_RELEASE);
	spin_unlock(&c->runq_lock);
	return best;
}

/*
 * @v, on this pCPU @c and not loaded, was just woken or made an interrupt
 * pending while the vCPU running here has not had its min run: the pass a
 * kick asks for would keep that one (pick_boosted()) and only arm the
 * decision for the end of its min run. Done here instead, without a pass:
 * one decision per wake-up, the one that switches. Not when the pass
 * would do more: @v of a higher priority (it preempts at once), refused
 * by the guard, or another pCPU idle that @v may move to (balance()).
 */
static bool can_wait(struct cpu *c, const struct vcpu *v)
{
	const struct vcpu *r = c->running;
	uint32_t away = v->vm->cfg->cpu_affinity & ~(1U << c->id);
	uint64_t now, when;

	if (!r || r != c->loaded || c->alone || !runnable(r) ||
	    prio(v) > prio(r) || v->credit <= -span.guard)
		return false;
	for (unsigned int d = 0; away && d < cpu_count; d++)
		if ((away & (1U << d)) &&
		    __atomic_load_n(&cpus[d].idle, __ATOMIC_ACQUIRE))
			return false;
	now = arch_timer_now();
	when = c->run_start + (uint64_t)span.min_run;
	if (now >= when)
		return false;
	/* It competes from now on (the pass would say so). */
	if (!c->charge) {
		c->charged_at = now;
		c->charge = true;
	}
	if (!c->slice.armed || c->slice.deadline > when)
		timerq_arm(&c->timerq, &c->slice, when);
	return true;
}

/*
 * @v was just put and is still runnable: a deadline of its virtual timer
 * must still reach its pCPU (its ptimer's stays queued anyway). With an
 * interrupt already pending that it has not taken (it was switched out
 * before it could), it is boosted as if woken now. Returns true then.
 * That includes its physical timer's deadline when it fired after the
 * last exit: its wake-up found it loaded and did not kick, and its line
 * is derived only at its next load (T1, T2).
 */
static bool watch_put(struct vcpu *v)
{
	if (__atomic_load_n(&v->run, __ATOMIC_ACQUIRE) != VCPU_RUN_READY)
		return false;
	if (vtimer_arm_backup(v) && !ptimer_due(v) && !vgic_has_pending(v))
		return false;
	boost(v);
	return true;
}

/*
 * Save @old, the loaded vCPU, only if its state in memory is still the
 * one it was loaded from (not reset meanwhile by CPU_ON or a VM reset,
 * which happen under the VM lock, held here). Returns true if it saved.
 */
static bool put_locked(struct vcpu *old)
{
	bool saved;

	spin_assert_held(&old->vm->lock);
	saved = old->loaded_gen == old->gen && old->st.power == VCPU_POWER_ON;
	if (saved)
		vcpu_put(old);
	else
		vcpu_discard(old);
	return saved;
}

/* After put_locked(@old) (@saved) on @c: no longer loaded, then looked at. */
static bool put_done(struct cpu *c, struct vcpu *old, bool saved)
{
	/*
	 * Not loaded, then look (watch_put()): a sched_wake() that saw it
	 * loaded only kicked, and its interrupt is seen pending here.
	 */
	__atomic_store_n(&c->loaded, NULL, __ATOMIC_SEQ_CST);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	/* A boost from while it ran is stale: watch_put() looks again. */
	__atomic_store_n(&old->boost, 0, __ATOMIC_RELEASE);
	return saved && watch_put(old);
}

/* Put the loaded vCPU. Returns true if it is boosted (watch_put()). */
static bool put_loaded(struct cpu *c)
{
	struct vcpu *old = c->loaded;
	bool saved;

	spin_lock(&old->vm->lock);
	saved = put_locked(old);
	spin_unlock(&old->vm->lock);
	return put_done(c, old, saved);
}

/* Make @v the loaded vCPU. Returns true if the one put is boosted. */
static bool switch_to(struct cpu *c, struct vcpu *v)
{
	struct vcpu *old = c->loaded;
	bool boosted = false, saved;

	if (c->loaded == v &&
	    v->loaded_gen == __atomic_load_n(&v->gen, __ATOMIC_ACQUIRE))
		return false;
	if (old && old->vm == v->vm) {
		/* Two vCPUs of one VM: its lock once, for the put and load. */
		spin_lock(&v->vm->lock);
		saved = put_locked(old);
		vcpu_load(v);
		v->loaded_gen = v->gen;
		spin_unlock(&v->vm->lock);
		boosted = put_done(c, old, saved);
	} else {
		if (old)
			boosted = put_loaded(c);
		spin_lock(&v->vm->lock);
		vcpu_load(v);
		v->loaded_gen = v->gen;
		spin_unlock(&v->vm->lock);
	}
	__atomic_store_n(&c->loaded, v, __ATOMIC_RELEASE);
	return boosted;
}

static void slice_end(struct timerq_entry *e, uint64_t now)
{
	struct cpu *c = e->arg;

	(void)now;
	__atomic_store_n(&c->resched, 1U, __ATOMIC_RELEASE);
}

/*
 * Arm the next decision for @v, picked at @now: the end of its boost or
 * of its turn while others compete, or @recheck (a boost waits for @v's
 * min run), whichever comes first; nothing if neither.
 */
static void arm_decision(struct cpu *c, const struct vcpu *v, uint64_t now,
			 unsigned int competitors, uint64_t recheck)
{
	uint64_t when = recheck;

	if (competitors) {
		uint64_t end = c->boost_end;

		if (!end)
			end = now + (uint64_t)(v->credit > 0 ? v->credit : 0);

		if (end < when)
			when = end;
	}
	if (when == UINT64_MAX)
		timerq_cancel(&c->timerq, &c->slice);
	else if (!c->slice.armed || c->slice.deadline != when)
		timerq_arm(&c->timerq, &c->slice, when);
}

void sched_boost_taken(struct cpu *c, struct vcpu *v)
{
	uint64_t end;

	if (!c->boost_untaken || c->running != v)
		return;
	c->boost_untaken = false;
	/* Its handler's time, as long as a min run; never a longer boost. */
	end = arch_timer_now() + (uint64_t)span.min_run;
	if (!c->boost_end || end >= c->boost_end)
		return;
	c->boost_end = end;
	if (!c->slice.armed || end < c->slice.deadline)
		timerq_arm(&c->timerq, &c->slice, end);
}

bool sched_wfi(struct vcpu *v)
{
	enum vcpu_run ready = VCPU_RUN_READY, blocked = VCPU_RUN_BLOCKED;

	/*
	 * Block first, then look: an interrupt made pending meanwhile either
	 * is seen here or finds the vCPU blocked and wakes it (T3: no lost
	 * wakeup).
	 */
	if (!__atomic_compare_exchange_n(&v->run, &ready, VCPU_RUN_BLOCKED,
					 false, __ATOMIC_SEQ_CST,
					 __ATOMIC_ACQUIRE))
		return true; /* not ready: powered off meanwhile */
	if (vgic_has_pending(v)) {
		__atomic_compare_exchange_n(&v->run, &blocked, VCPU_RUN_READY,
					    false, __ATOMIC_SEQ_CST,
					    __ATOMIC_ACQUIRE);
		return false;
	}
	if (!vtimer_arm_backup(v) || !ptimer_arm_wfi(v)) {
		/* A deadline already due: the WFI ends, through a pass. */
		__atomic_compare_exchange_n(&v->run, &blocked, VCPU_RUN_READY,
					    false, __ATOMIC_SEQ_CST,
					    __ATOMIC_ACQUIRE);
		return true;
	}
	v->blocked_at = arch_timer_now() | 1;
	return true;
}

void sched_exited(struct cpu *c, struct vcpu *v, enum vexit_result e)
{
	(void)v;
	switch (e) {
	case VEXIT_WFI: break; /* sched_wfi() blocked it, or it ran on */
	case VEXIT_YIELD:
		/* WFE: let an equal run (end the boost, or else the turn). */
		if (c->boost_end) {
			c->boost_end = 0;
			c->boost_untaken = false;
		} else
			c->slice_over = true;
		break;
	case VEXIT_RESUME:
	case VEXIT_RESCHED:
	default: break;
	}
}

/* @v leaves this pCPU: no decision may refer to it any more. */
static void forget(struct cpu *c, const struct vcpu *v)
{
	if (c->running == v) {
		c->running = NULL;
		c->boost_end = 0;
		c->boost_untaken = false;
	}
	if (c->turn == v)
		c->turn = NULL;
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
	if (c->loaded == v)
		put_loaded(c);
	forget(c, v);
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
	__atomic_store_n(&v->pcpu, to, __ATOMIC_SEQ_CST);
	d->runq[d->nr_runq] = v;
	d->nr_runq++;
	spin_unlock(&d->runq_lock);
	v->migrations++;
	/* Its deadlines are not queued there until it is loaded: it goes
	 * first (a boost, under the guard). */
	boost(v);
	/* A WFI it was blocked in completes; it blocks again over there. */
	__atomic_compare_exchange_n(&v->run, &blocked, VCPU_RUN_READY, false,
				    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
	/* A move asked of it meanwhile, seen by the pCPU it sits on now
	 * (sched_migrate() stores migrate_to before it reads pcpu). */
	if (__atomic_load_n(&v->migrate_to, __ATOMIC_SEQ_CST))
		__atomic_store_n(&d->migrate_req, 1U, __ATOMIC_RELEASE);
	sched_kick(to);
}

static void do_migrations(struct cpu *c)
{
	/* Only when asked (sched_migrate(), migrate_out()): no scan. */
	if (!__atomic_exchange_n(&c->migrate_req, 0U, __ATOMIC_ACQ_REL))
		return;
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
		if (c->loaded == v)
			put_loaded(c);
		if (c->running == v)
			c->running = NULL;
		vtimer_cancel_backup(v);
		ptimer_cancel(v);
		__atomic_store_n(&v->parked, true, __ATOMIC_RELEASE);
	}
}

/* VMs held (sched_hold_vm()): while none is, passes skip park_held(). */
static unsigned int holds;

void sched_hold_vm(struct vm *vm)
{
	__atomic_add_fetch(&holds, 1U, __ATOMIC_SEQ_CST);
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

		/* Its deadlines are gone: it goes first when released. */
		boost(v);
		/* A WFI it was blocked in completes (its deadline is gone). */
		if (__atomic_load_n(&v->run, __ATOMIC_ACQUIRE) ==
		    VCPU_RUN_BLOCKED)
			__atomic_store_n(&v->run, VCPU_RUN_READY,
					 __ATOMIC_RELEASE);
		__atomic_store_n(&v->parked, false, __ATOMIC_RELEASE);
	}
	__atomic_store_n(&vm->hold, false, __ATOMIC_SEQ_CST);
	__atomic_sub_fetch(&holds, 1U, __ATOMIC_SEQ_CST);
	for (unsigned int i = 0; i < vm->nr_vcpus; i++)
		sched_kick(
			__atomic_load_n(&vm->vcpus[i].pcpu, __ATOMIC_ACQUIRE));
}

const char *sched_migrate(struct vcpu *v, unsigned int pcpu)
{
	unsigned int at;

	if (pcpu >= cpu_count ||
	    !__atomic_load_n(&cpus[pcpu].online, __ATOMIC_ACQUIRE))
		return "no such CPU online";
	__atomic_store_n(&v->migrate_to, pcpu + 1, __ATOMIC_SEQ_CST);
	at = __atomic_load_n(&v->pcpu, __ATOMIC_SEQ_CST);
	__atomic_store_n(&cpus[at].migrate_req, 1U, __ATOMIC_RELEASE);
	sched_kick(at);
	return NULL;
}

void sched_cpu_init(struct cpu *c)
{
	span.slice = (int64_t)time_us_to_ticks(SCHED_SLICE_US);
	span.guard = (int64_t)time_us_to_ticks(SCHED_GUARD_US);
	span.boost = (int64_t)time_us_to_ticks(SCHED_BOOST_US);
	span.min_run = (int64_t)time_us_to_ticks(SCHED_MIN_RUN_US);
	timerq_entry_init(&c->slice, slice_end, c);
}

/*
 * The pick when one vCPU is placed on @c and nothing is asked of it (no
 * move, its VM not held): static partitioning, the common case. Nothing
 * competes, so there is no turn, boost or charge to weigh; what the full
 * pick would leave in them is set directly. NULL: take the full path.
 */
static struct vcpu *next_alone(struct cpu *c, uint64_t now)
{
	struct vcpu *v = c->runq[0];

	if (__atomic_load_n(&c->nr_runq, __ATOMIC_ACQUIRE) != 1 ||
	    __atomic_load_n(&v->migrate_to, __ATOMIC_ACQUIRE) ||
	    __atomic_load_n(&v->vm->hold, __ATOMIC_ACQUIRE) || !runnable(v))
		return NULL;
	if (v != c->running)
		c->run_start = now;
	c->running = v;
	c->alone = true;
	c->turn = v;
	c->charge = false;
	c->charged_at = now;
	c->boost_end = 0;
	c->boost_untaken = false;
	c->slice_over = false;
	v->blocked_at = 0;
	__atomic_store_n(&v->boost, 0, __ATOMIC_RELEASE);
	if (c->slice.armed)
		timerq_cancel(&c->timerq, &c->slice);
	switch_to(c, v);
	return v;
}

/* @v's credit once refund() has paid it for its WFI, alone at its priority. */
static int64_t refunded(const struct vcpu *v, uint64_t now)
{
	int64_t credit = v->credit;

	if (!v->blocked_at)
		return credit;
	credit += (int64_t)(now - v->blocked_at);
	return credit > span.slice ? span.slice : credit;
}

/*
 * The hand-off: the vCPU that ran here last is no longer runnable (it
 * blocked in WFI, typically right after its SGI woke @w), and @w, boosted
 * and let by the guard, is the only runnable one. The full pick would
 * take @w (pick_boosted(), nobody to compete with, nobody to preempt)
 * with nothing to balance; what it leaves in the turn, boost and charge
 * state is set here directly, without its scans. NULL: the full path.
 * Tests compare both paths' decisions (tests/unit/test_sched.c).
 */
static struct vcpu *next_handoff(struct cpu *c, uint64_t now)
{
	struct vcpu *w = NULL;
	int64_t credit, left;

	if ((c->running && runnable(c->running)) || sched_no_handoff ||
	    __atomic_load_n(&c->migrate_req, __ATOMIC_ACQUIRE) ||
	    __atomic_load_n(&holds, __ATOMIC_ACQUIRE))
		return NULL;
	spin_lock(&c->runq_lock);
	for (unsigned int i = 0; i < c->nr_runq; i++) {
		struct vcpu *v = c->runq[i];

		if (!runnable(v))
			continue;
		if (w) {
			w = NULL;
			break;
		}
		w = v;
	}
	if (!w || !__atomic_load_n(&w->boost, __ATOMIC_ACQUIRE))
		goto full;
	credit = refunded(w, now);
	if (credit <= -span.guard)
		goto full;
	charge(c, now);
	w->credit = credit;
	w->blocked_at = 0;
	left = credit + span.guard;
	c->boost_end = w != c->turn || credit <= 0 ?
			       now + (uint64_t)(left < span.boost ?
							left :
							span.boost) :
			       0;
	c->boost_untaken = false;
	__atomic_store_n(&w->boost, 0, __ATOMIC_RELEASE);
	spin_unlock(&c->runq_lock);
	c->alone = false;
	c->run_start = now;
	c->running = w;
	c->charge = false;
	c->handoffs++;
	return w;
full:
	spin_unlock(&c->runq_lock);
	return NULL;
}

bool sched_no_handoff;

struct vcpu *sched_next(struct cpu *c)
{
	unsigned int competitors;
	uint64_t now, recheck = UINT64_MAX;
	struct vcpu *v;

	now = arch_timer_now();
	v = next_alone(c, now);
	if (v)
		return v;
	v = next_handoff(c, now);
	if (v) {
		/* One put with an interrupt pending waits for v's min run. */
		if (switch_to(c, v))
			recheck = now + (uint64_t)span.min_run;
		arm_decision(c, v, now, 0, recheck);
		return v;
	}
	c->alone = false;
	do_migrations(c);
	if (__atomic_load_n(&holds, __ATOMIC_ACQUIRE))
		park_held(c);
	now = arch_timer_now();
	charge(c, now);
	v = pick(c, now, &competitors, &recheck);
	if (!v) {
		timerq_cancel(&c->timerq, &c->slice);
		c->running = NULL;
		c->boost_end = 0;
		c->boost_untaken = false;
		c->slice_over = false;
		return NULL;
	}
	if (competitors)
		balance(c, v);
	if (v != c->running)
		c->run_start = now;
	c->running = v;
	c->charge = competitors != 0;
	/* One put with an interrupt pending waits for v's min run. */
	if (switch_to(c, v))
		recheck = c->run_start + (uint64_t)span.min_run;
	arm_decision(c, v, now, competitors, recheck);
	return v;
}

void sched_idle(struct cpu *c)
{
	__atomic_store_n(&c->idle, true, __ATOMIC_RELEASE);
	if (!__atomic_load_n(&c->resched, __ATOMIC_ACQUIRE))
		arch_wait_for_interrupt();
	__atomic_store_n(&c->idle, false, __ATOMIC_RELEASE);
}
