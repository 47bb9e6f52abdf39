/* SPDX-License-Identifier: MIT */
/* Per-pCPU data, reached through TPIDR_EL2 (cpu_current()). */
#ifndef KAIROS_CPU_H
#define KAIROS_CPU_H

#include <arch/cpu.h>
#include <asm/cpu_arch.h>
#include <kairos/limits.h>
#include <kairos/spinlock.h>
#include <kairos/timerq.h>
#include <kairos/types.h>

struct vcpu;

/** vCPUs one pCPU can host. */
#define KAIROS_MAX_CPU_VCPUS 16

/** Where a CPU's timerq boot self-test is (it runs in the background). */
enum cpu_selftest {
	CPU_SELFTEST_RUNNING, /**< started, or never started */
	CPU_SELFTEST_PASSED,
	CPU_SELFTEST_FAILED,
};

/** One physical CPU. */
struct cpu {
	/** The architecture's own (first: its world switch reaches it). */
	struct arch_cpu arch;
	unsigned int id; /**< index in the board's CPU list */
	uint64_t mpidr;  /**< affinity Aff3..Aff0 */
	bool online;     /**< reached its idle loop */
	/** Its timerq boot self-test (atomic). */
	enum cpu_selftest selftest;
	struct timerq timerq; /**< deadlines on this CPU's EL2 timer */
	struct vcpu *runq[KAIROS_MAX_CPU_VCPUS]; /**< vCPUs placed here */
	unsigned int nr_runq;
	struct spinlock runq_lock; /**< runq, nr_runq, rr_next */
	unsigned int rr_next;      /**< round-robin position */
	bool slice_over;           /**< the turn holder yielded its turn */
	/** running is alone here (sched's next_alone()): its WFI need not
	 *  trap (arch_vcpu_wfi_native()) */
	bool alone;
	bool idle;            /**< waiting for work (atomic) */
	struct vcpu *loaded;  /**< vCPU whose state is in the hardware */
	uint32_t resched;     /**< set by others, then kicked (atomic) */
	uint32_t migrate_req; /**< a vCPU here was asked to move (atomic) */
	uint32_t tasks_due;   /**< a task of this pCPU is pending (atomic) */
	struct timerq_entry slice; /**< next scheduling decision (turn end,
					boost end, end of a min run) */
	/* The scheduler's accounting (core/sched.c), this pCPU's only. */
	struct vcpu *turn;    /**< whose round-robin turn it is */
	struct vcpu *running; /**< picked last; charged since charged_at */
	uint64_t charged_at;  /**< when running was last charged */
	uint64_t run_start;   /**< when running was switched to */
	uint64_t boost_end;   /**< running is on a boost until then, or 0 */
	/**
	 * running's boost preempts others and it has not yet taken what it
	 * was boosted for: its list registers ask for a maintenance
	 * interrupt once none is pending (sched_boost_taken()).
	 */
	bool boost_untaken;
	bool charge;       /**< running competes: its time is charged */
	uint64_t boosts;   /**< statistics: boosts that preempted */
	uint64_t guarded;  /**< statistics: boosts the guard refused */
	uint64_t handoffs; /**< statistics: passes that took the hand-off */
};

/** The table of pCPUs, indexed by board CPU number. */
extern struct cpu cpus[KAIROS_MAX_CPUS];

/** Number of pCPUs described by the board (online or not). */
extern unsigned int cpu_count;

static inline struct cpu *cpu_current(void)
{
	return arch_cpu_current();
}

/** Board number of the CPU running this. */
static inline unsigned int cpu_id(void)
{
	return arch_cpu_current()->id;
}

/** Affinity (MPIDR Aff3..Aff0) of board CPU @cpu. */
static inline uint64_t cpu_mpidr(unsigned int cpu)
{
	return cpus[cpu].mpidr;
}

#endif
