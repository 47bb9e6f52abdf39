/* SPDX-License-Identifier: MIT */
/*
 * bench: latency benchmarks of the things a hypervisor adds, run by the
 * same image natively at EL1 on QEMU and as a Kairos VM (tools/kairos-bench,
 * docs/bench.md). Each test prints one line per metric:
 *   BENCH <metric> n=<samples> min=<ticks> median=<ticks> max=<ticks>
 * in ticks of the virtual counter (under QEMU -icount shift=0 with a 1 GHz
 * counter, one tick per instruction executed on the machine).
 */
#ifndef BENCH_H
#define BENCH_H

#include <libguest.h>

/** Most samples a metric keeps (samples=N on the command line). */
#define BENCH_MAX_SAMPLES 256
#define BENCH_DEFAULT_SAMPLES 100

/* SGIs the bench uses. */
#define BENCH_SGI_PING 1
#define BENCH_SGI_PONG 2
#define BENCH_SGI_NUDGE 3
#define BENCH_SGI_KICK 15

/** One metric's samples. */
struct bench_samples {
	unsigned int n;
	uint64_t v[BENCH_MAX_SAMPLES];
};

/* head.S: the virtual count at the guest's first instructions. */
extern uint64_t bench_t_first;

/* vectors.S */
extern const char bench_vectors[];
void bench_wait(const uint32_t *flag, uint64_t sleep);
uint64_t bench_hvc_version(uint64_t *ticks);
uint32_t bench_mmio_read32(uintptr_t addr, uint64_t *ticks);
uint64_t bench_sgi_send(uint64_t sgi1r);
/** GICv2: the address bench_sgi_send() writes (GICD_SGIR). */
extern uintptr_t bench_gicd_sgir;
/** Called by the vector for an IRQ from outside bench_wait. */
void bench_stray_irq(uint64_t elr) __attribute__((noreturn));

/** The virtual counter, after an ISB (as the IRQ vector reads it). */
static inline uint64_t bench_now(void)
{
	isb();
	return read_sysreg(cntvct_el0);
}

/** The count the IRQ vector read for the interrupt being handled. */
static inline uint64_t bench_t_vector(void)
{
	return read_sysreg(tpidr_el1);
}

static inline uint32_t bench_load(const uint32_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static inline void bench_store(uint32_t *p, uint32_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

/**
 * Per test, on CPU0: resets the GIC, installs bench_vectors, prints the
 * counter frequency once. False (test failed or skipped) if the bench
 * cannot run here; @need_v3: the test needs GICv3.
 */
bool bench_setup(bool need_v3);
/** samples=N from the command line (1..BENCH_MAX_SAMPLES). */
unsigned int bench_nsamples(void);
void bench_record(struct bench_samples *s, uint64_t v);
/** Prints the BENCH line of @metric. */
void bench_report(const char *metric, const struct bench_samples *s);

/**
 * Starts CPU1: bench vectors, GIC CPU interface, SGIs PING/PONG/KICK
 * enabled; it then sleeps in bench_wait (WFI) taking IRQs until
 * bench_stop_cpu1. Returns once it is about to sleep.
 */
bool bench_start_cpu1(void);
/** As bench_start_cpu1(), but CPU1 spins (IRQs unmasked) instead. */
bool bench_start_cpu1_busy(void);
void bench_stop_cpu1(void);
/**
 * Hands the machine to another CPU or vCPU that wants to run. QEMU runs
 * CPUs in turn and passes on at a WFE (it never traps WFE to EL2, so
 * WFE alone does not reach a hypervisor); under Kairos the HVC is an exit,
 * after which Kairos picks the other vCPU of the pCPU if it is runnable (a
 * vCPU spinning without exits would keep the pCPU for its whole slice).
 */
void bench_yield(void);
/** bench_yield() a few times: the other CPUs get to their WFI. */
void bench_settle(void);
/*
 * bench_sgi1r() on a GICv2: this bit set and GICD_SGIR's value below it,
 * which bench_sgi_send() writes to the distributor (ICC_SGI1R_EL1 has
 * bits 63:56 RES0).
 */
#define BENCH_SGI_V2 (1ULL << 63)
/**
 * The value bench_sgi_send() takes to send SGI @intid to CPU @cpu: an
 * ICC_SGI1R_EL1 value (GICv3), or BENCH_SGI_V2 and a GICD_SGIR one
 * (GICv2, CPU interface number = CPU number, as on virt and under
 * Kairos). After bench_setup().
 */
uint64_t bench_sgi1r(unsigned int cpu, unsigned int intid);

#endif
