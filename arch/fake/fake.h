/* SPDX-License-Identifier: MIT */
/*
 * arch/fake: every arch_* and plat_* hook, for host unit tests. The
 * "hardware" here is deliberately unkind (docs/style.md rule 11):
 *
 * - the counter starts at an odd, large value, can be told to move on every
 *   read and to jump forward at a chosen read;
 * - after fake_reset() the EL2 timer is enabled with a stale CVAL in the
 *   past, as CNTHP_CTL_EL2.ENABLE is UNKNOWN out of reset (Arm ARM D11);
 * - the timer interrupt is level-sensitive and is only taken when
 *   interrupts are unmasked, never inside arch_wait_for_interrupt();
 * - arch_wait_for_interrupt() with interrupts unmasked fails the test (the
 *   hook's contract), and with nothing armed it wakes spuriously after
 *   FAKE_IDLE_TICKS, as the architecture allows;
 * - the timer interrupt can be made to fire early or to be lost;
 * - a vCPU's EL1 registers live in the fake "hardware" between
 *   arch_vcpu_load() and arch_vcpu_put(), and every guest run changes them
 *   there (the guest turns its MMU on), so saving state that was reset in
 *   memory meanwhile shows; put and discard scribble over the hardware
 *   copy; loading over an unsaved vCPU or running one that is not loaded
 *   fails the test;
 * - arch_vcpu_enter() follows a script of exits the test queues, around
 *   which core/run.c's loop runs as on the hardware;
 * - stage-2 roots come from a small pool that runs out;
 * - list registers hold stale pending interrupts out of reset, read back
 *   only their state, and writing the same INTID twice, or an HW one
 *   pending and active, fails the test; the EOI count wraps at 5 bits;
 * - the virtual timer's ISTATUS reads as set while it is disabled
 *   (UNKNOWN in the Arm ARM), and reading a pCPU's virtual timer when no
 *   vCPU's timer is loaded there (after a save) fails the test.
 *
 * Tests call fake_reset() before each test and inspect the recorded
 * hardware state rather than assume it.
 */
#ifndef ARCH_FAKE_H
#define ARCH_FAKE_H

#include <arch/mmu.h>
#include <arch/stage2.h>
#include <arch/vcpu.h>
#include <kairos/irq.h>
#include <kairos/types.h>
#include <kairos/vcpu_state.h>
#include <kairos/vgic.h>

/** Counter value after fake_reset(): not zero, not aligned to anything. */
#define FAKE_COUNTER_START 0x123456789abcULL

/** Counter frequency after fake_reset() (QEMU's 62.5 MHz). */
#define FAKE_FREQ 62500000ULL

/** How far a spurious wakeup from WFI moves the counter (1 ms). */
#define FAKE_IDLE_TICKS (FAKE_FREQ / 1000)

/** Put every piece of fake hardware back into its after-reset state. */
void fake_reset(void);

/* ---- The physical counter (CNTPCT_EL0) ---- */

/** Set the counter. It may go backwards only through this call. */
void fake_counter_set(uint64_t v);

/** Move the counter forward by @ticks. */
void fake_counter_advance(uint64_t ticks);

/** The counter's value, without counting as a read. */
uint64_t fake_counter_peek(void);

/** After this, every arch_timer_now() moves the counter on by @ticks. */
void fake_counter_set_step(uint64_t ticks);

/** The arch_timer_now() call @nth reads from now (1 = next) jumps by @ticks. */
void fake_counter_jump_at_read(unsigned int nth, uint64_t ticks);

/** Number of arch_timer_now() calls since fake_reset(). */
unsigned long fake_counter_reads(void);

/* ---- The EL2 physical timer (CNTHP_CTL_EL2/CNTHP_CVAL_EL2) ---- */

/** CNTHP_CTL_EL2.ENABLE as last written. */
bool fake_hyp_enabled(void);

/** CNTHP_CVAL_EL2 as last written (meaningful only while enabled). */
uint64_t fake_hyp_cval(void);

/** Number of arch_timer_hyp_arm() + arch_timer_hyp_stop() calls. */
unsigned int fake_hyp_writes(void);

/** The timer's interrupt line: enabled and the counter at or past CVAL. */
bool fake_hyp_line(void);

/* ---- Interrupts ---- */

/** The handler run when the EL2 timer interrupt is taken. */
typedef void (*fake_irq_fn)(void *arg);

/** Install @fn as the EL2 timer interrupt handler (NULL: none). */
void fake_set_timer_irq(fake_irq_fn fn, void *arg);

/**
 * Install @fn as the taker of interrupts from the fake irqchip (what the
 * IRQ vector's irq_handle() does): from then on, while interrupts are
 * unmasked and the current pCPU's irqchip signals one (the vtimer's output
 * high and its PPI inactive, or one fake_irq_raise()d), @fn runs with
 * interrupts masked, before the EL2 timer's handler; WFI wakes for it.
 * NULL (after reset): only the EL2 timer interrupt is delivered.
 */
void fake_set_gic_irq(fake_irq_fn fn, void *arg);

/** True while interrupts are masked (PSTATE.I). Masked after reset. */
bool fake_irqs_masked(void);

/** Number of timer interrupts handed to the handler. */
unsigned int fake_timer_irqs(void);

/**
 * Lose timer interrupt number @nth (1 = the next one taken): the handler is
 * not called and the timer's ENABLE clears behind software's back, so the
 * deadline it held never fires.
 */
void fake_timer_drop_irq(unsigned int nth);

/**
 * From now on, a WFI that waits for the timer wakes @ticks before CVAL and
 * the timer interrupt is taken anyway (an early, spurious interrupt).
 */
void fake_timer_fire_early(uint64_t ticks);

/** Number of arch_wait_for_interrupt() calls. */
unsigned long fake_wfi_count(void);

/* ---- CPU ---- */

void fake_set_mpidr(uint64_t mpidr);
void fake_set_boot_el(unsigned int el);

/** Number of arch_trigger_fault() calls. */
unsigned int fake_faults(void);

/**
 * Number of arch_cpu_halt() calls. The hook itself reports through
 * cmocka's mock_assert(), so a test expecting a halt wraps the call in
 * expect_assert_failure(); anywhere else a halt fails the test.
 */
unsigned int fake_halts(void);

/* ---- Board power (plat/power.h) ---- */

/** What plat_power_off() and plat_reset() return. */
void fake_power_set_result(bool power_off_ok, bool reset_ok);
unsigned int fake_power_off_calls(void);
/** Exit status of the last power-off, -1 if there was none. */
int fake_power_off_status(void);
unsigned int fake_reset_calls(void);

/* ---- EL2 MMU and SMCCC ---- */

#define FAKE_MMU_MAX 32

/** A range given to arch_mmu_map(). */
struct fake_mmu_map {
	paddr_t base;
	uint64_t size;
	enum mmu_kind kind;
};

/** The @i-th successful arch_mmu_map(), or NULL. */
const struct fake_mmu_map *fake_mmu_mapping(unsigned int i);

/** The SMC arguments last seen, and what arch_smccc_smc() returns. */
void fake_smc_set_result(uint64_t x0);
uint64_t fake_smc_last(unsigned int reg);
unsigned int fake_smc_calls(void);

/**
 * A CPU without CRC32C instructions (@absent): arch_mem_set_crc_impl()
 * refuses MEM_CRC_INSN and the tables are used.
 */
void fake_mem_crc_insn_absent(bool absent);
/** A defect to plant in arch/memops.h (so its self-test can be seen failing). */
enum fake_mem_fault {
	FAKE_MEM_NONE,
	FAKE_MEM_COPY_LAST_BYTE, /**< a copy's last byte flipped */
	FAKE_MEM_COPY_OVERRUN,   /**< a copy writes one byte past its end */
	FAKE_MEM_CRC,            /**< a CRC off by one bit */
	FAKE_MEM_ZERO_SHORT,     /**< zeroing leaves its last byte */
};
/** Plant @what in every call of length @len (FAKE_MEM_NONE: none). */
void fake_mem_break(enum fake_mem_fault what, size_t len);
/** Number of arch_s2_map_live() calls (RAM mapped at its first touch). */
unsigned int fake_s2_live_maps(void);
/** Number of arch_icache_invalidate_all() calls. */
unsigned int fake_icache_invalidations(void);

/* ---- Stage 2 (arch/stage2.h) ---- */

/** Stage-2 roots arch_s2_create() hands out after fake_reset(). */
#define FAKE_S2_ROOTS 8
#define FAKE_S2_MAX 1024

/** A range given to arch_s2_map(). */
struct fake_s2_map {
	const uint64_t *root;
	uint64_t ipa;
	paddr_t pa;
	uint64_t size;
	enum s2_kind kind;
};

/** The @i-th successful arch_s2_map(), or NULL. */
const struct fake_s2_map *fake_s2_mapping(unsigned int i);

/** Make arch_s2_create() return NULL once @n more roots are handed out. */
void fake_s2_limit_roots(unsigned int n);

/** Pages a test may mark written (arch_s2_track_write) between collects. */
#define FAKE_S2_WRITES 64

/** Number of arch_s2_flush() calls, and the VMID of the last one. */
unsigned int fake_s2_flushes(void);
unsigned int fake_s2_last_vmid(void);

/* ---- Interrupt controller (fake_gic.c) ---- */

/** The physical PPI of the virtual timer (QEMU virt: PPI 11). */
#define FAKE_VTIMER_PPI 27U

/**
 * The physical PPI of the PMU (QEMU virt: PPI 7). Its level is the fake
 * PMU's overflow output on that pCPU: PMCR.E and a PMOVSSET bit whose
 * PMINTENSET bit is set, of the claimed vCPU loaded there (a put or a
 * discard leaves the PMU quiet; a load of a vCPU with pmu_dbg_live set
 * gives it that vCPU's st.pmu.pmcr, intenset and ovsset).
 */
#define FAKE_PMU_PPI 23U

/**
 * The guest of the claimed vCPU loaded on this pCPU writes its PMU:
 * PMCR_EL0 (bit 0: E), PMINTENSET_EL1, PMOVSSET_EL0.
 */
void fake_pmu_set(uint64_t pmcr, uint64_t intenset, uint64_t ovsset);

/** PMOVSSET_EL0 of the PMU of this pCPU. */
uint64_t fake_pmu_ovsset(void);

/**
 * GICv3 and GICv2 doubles for core/irq.c, alike but for the version they
 * report (VMs created while one is registered get a vGIC of its version).
 * ack() returns the virtual timer's PPI while the fake vtimer's output is
 * high and that PPI is not active, else the lowest raised interrupt,
 * else spurious; ack makes it active, EOI of an inactive one and
 * deactivation of an inactive one fail the test. SGIs are only counted,
 * per target CPU (the kicks). SGIs and PPIs are banked per CPU.
 */
extern const struct irqchip fake_irqchip, fake_irqchip_v2;
/** fake_irqchip_v2 with irqchip.ppi_eoi_unsignalled (QEMU's GICv2). */
extern const struct irqchip fake_irqchip_v2_qemu;

/** SGIs @sgi sent to @cpu through the fake irqchip. */
unsigned int fake_sgis(unsigned int cpu, uint32_t sgi);

/** Calls of the GICv2 fake's irqchip.refresh since the last reset. */
unsigned int fake_refreshes(void);

/** Times @intid was acknowledged at @cpu (SPIs: any @cpu). */
unsigned int fake_irq_acks(unsigned int cpu, uint32_t intid);

/** Make @intid pending (edge) at @cpu: the next ack there may take it. */
void fake_irq_raise(unsigned int cpu, uint32_t intid);

/** The physical active state of @intid at @cpu (SPIs: any @cpu). */
bool fake_irq_active(unsigned int cpu, uint32_t intid);

/** Set it behind software's back (stale state). */
void fake_irq_set_active(unsigned int cpu, uint32_t intid, bool active);

/** Number of irqchip set_active() calls. */
unsigned int fake_set_active_calls(void);

/* ---- Virtual CPU interface (arch/vgic_hw.h, fake_gic.c) ---- */

/** List registers after fake_reset() (QEMU has 4). */
#define FAKE_NR_LRS 4

/**
 * Each pCPU has an interface with list registers, held as struct vgic_lr
 * (an LR is empty when neither pending nor active). Out of reset they
 * hold stale pending interrupts; arch_vgic_put() and
 * arch_vgic_read_lrs() empty them, as the real back ends do. Writing
 * more LRs than exist, the same INTID twice (GICv2 SGIs: the same source
 * twice), a hardware LR pending and active, reading back more than was
 * written, or using the interface while not loaded fails the test. Read
 * back gives the state (and, for GICv2, the source) only.
 *
 * The accessors below act on the interface of the current pCPU.
 */
void fake_vgic_set_nr_lrs(unsigned int n);

/**
 * What arch_vgic_cpuif_emulated() answers: false (a GIC) after reset,
 * true for a board without one (docs/rpi3.md). Only what asks it changes:
 * the list registers stay the fake's.
 */
void fake_vgic_set_cpuif_emulated(bool on);

/** What fake_vgic_set_cpuif_emulated() last set. */
bool fake_vgic_cpuif_emulated(void);

/** The version arch_vgic_hw_init() chose (3 after reset). */
unsigned int fake_vgic_hw_version(void);

/** Between arch_vgic_load() and arch_vgic_put(). */
bool fake_vgic_loaded(void);

/** arch_vgic_trap_ack() left the acknowledge trap armed on @pcpu. */
bool fake_ack_trap_armed(unsigned int pcpu);

/** LRs written by the last arch_vgic_write_lrs(). */
unsigned int fake_vgic_written(void);

/** The last write asked for an underflow maintenance interrupt. */
bool fake_vgic_underflow(void);

/**
 * The last write on any pCPU asked for a maintenance interrupt once no
 * list register is pending (VGIC_MAINT_NO_PENDING).
 */
bool fake_vgic_no_pending_asked(void);

/** List register @k, which the test may change (guest behaviour). */
struct vgic_lr *fake_vgic_lr(unsigned int k);

/** The LR holding @intid (pending or active), or -1. */
int fake_vgic_find(uint32_t intid);

/**
 * The guest reads IAR: the highest-priority pending LR (lowest value;
 * equal ones: the lowest LR) becomes active. Returns its INTID, or 1023.
 * Running priority is not modelled.
 */
uint32_t fake_vgic_guest_ack(void);

/**
 * The guest writes EOIR (EOImode 0: drop and deactivate): the active LR
 * with @intid becomes inactive, a hardware one deactivating its physical
 * INTID; with no such LR the EOI count goes up (ICH_HCR_EL2.EOIcount,
 * 5 bits: it wraps).
 */
void fake_vgic_guest_eoi(uint32_t intid);

/** The EOI count arch_vgic_read_lrs() will return (and clear). */
unsigned int fake_vgic_eoi_count(void);

/**
 * The maintenance interrupt's level: underflow asked and at most one LR
 * in use, an EOI-maintenance LR EOIed, a non-zero EOI count, or no LR
 * pending with that asked.
 */
bool fake_vgic_maintenance(void);

/** ICH_VMCR_EL2 as loaded (and as put will save it). */
uint64_t fake_vgic_vmcr(void);
void fake_vgic_set_vmcr(uint64_t vmcr);

/* ---- EL1 virtual timer (arch/timer.h, fake_gic.c) ---- */

/*
 * One per pCPU. ISTATUS is computed from the fake counter:
 * (counter - CNTVOFF) >= CVAL; with ENABLE clear it is UNKNOWN and reads
 * as set. Its output (ENABLE, not IMASK, ISTATUS) is the level of
 * FAKE_VTIMER_PPI at the fake irqchip.
 */

/** The guest programs its timer (ISTATUS in @ctl is ignored). */
void fake_vtimer_set(uint64_t ctl, uint64_t cval);

/** CNTV_CTL_EL0 (with ISTATUS), CNTV_CVAL_EL0, CNTVOFF_EL2 of this pCPU. */
uint64_t fake_vtimer_ctl(void);
uint64_t fake_vtimer_cval(void);
uint64_t fake_vtimer_cntvoff(void);

/** The timer's output line. */
bool fake_vtimer_line(void);

/** Number of arch_vtimer_load() calls on this pCPU. */
unsigned int fake_vtimer_loads(void);

/**
 * The virtual timer hooks called, oldest first, each with its pCPU:
 * "cntvoff 1 cval 1 ctl 1" (one arch_vtimer_load(), registers in the order
 * written), "save 0" (arch_vtimer_save()), "read 1" (arch_vtimer_read()).
 */
const char *fake_vtimer_log(void);

/** Clear fake_vtimer_log(). */
void fake_vtimer_log_clear(void);

/** CNTV_CTL_EL0 (with ISTATUS) of pCPU @cpu, from any pCPU. */
uint64_t fake_vtimer_ctl_on(unsigned int cpu);

/**
 * Whether arch_vtimer_can_trap() says yes (FEAT_ECV); no after
 * fake_gic_reset(). Read by vtimer_init().
 */
void fake_vtimer_set_can_trap(bool can);

/** The guest's virtual timer accesses trap on this pCPU (EL1TVT). */
bool fake_vtimer_trapping(void);

/* ---- vCPUs (arch/vcpu.h) ---- */

/** Most guest runs one test may queue. */
#define FAKE_RUN_MAX 1024

/** What the guest did before it exited: a trap handled at EL2 (HVC...). */
typedef void (*fake_guest_fn)(struct vcpu *v, void *arg);

/** How a scripted guest run ends. */
enum fake_exit {
	FAKE_EXIT_IRQ,     /**< an interrupt at EL2 (no handler runs) */
	FAKE_EXIT_WFI,     /**< a trap whose handler says VEXIT_WFI */
	FAKE_EXIT_YIELD,   /**< ... VEXIT_YIELD (WFE) */
	FAKE_EXIT_RESCHED, /**< ... VEXIT_RESCHED */
	FAKE_EXIT_RESUME,  /**< ... VEXIT_RESUME: the loop enters again */
};

/**
 * Queue one guest run: the next arch_vcpu_enter() lets the guest run for
 * @ticks of the counter and exits. For a trap, arch_vcpu_trap() calls @fn
 * (if not NULL) as the trap's handler and returns the result @e stands
 * for; for FAKE_EXIT_IRQ, @fn is called at the exit.
 */
void fake_vcpu_push(enum fake_exit e, uint64_t ticks, fake_guest_fn fn,
		    void *arg);

/**
 * The same, and @guest (if not NULL) is what the guest does while it runs,
 * with the list registers as core/run.c left them (fake_vgic_guest_ack()
 * ...): called after the ticks, before the exit.
 */
void fake_vcpu_push_guest(enum fake_exit e, uint64_t ticks, fake_guest_fn guest,
			  fake_guest_fn fn, void *arg);

/** Where in the run loop a scripted event happens (fake_vcpu_on()). */
enum fake_phase {
	FAKE_AT_LOAD,      /**< arch_vcpu_load(), the vCPU not yet loaded */
	FAKE_AT_LRS_WRITE, /**< list registers just written, not entered */
	FAKE_AT_ENTER,     /**< entering, before the guest runs */
	FAKE_AT_TRAP,      /**< exited, before the trap's handler runs */
	FAKE_AT_LRS_READ,  /**< list registers being read back (a fold) */
	FAKE_NR_PHASES,
};

/**
 * Call @fn(@v, @arg) at the @nth time (1: the next) the run loop of any
 * pCPU reaches @phase, @v being the vCPU concerned (loaded, or being
 * loaded). One event per phase at a time.
 */
void fake_vcpu_on(enum fake_phase phase, unsigned int nth, fake_guest_fn fn,
		  void *arg);

/** Times the list registers were written and read back, on any pCPU. */
unsigned int fake_vgic_lr_writes(void);
unsigned int fake_vgic_lr_reads(void);

/** Queued runs not yet consumed. */
unsigned int fake_vcpu_pending(void);

/** Guest runs so far, and the vCPU of run @i (NULL beyond). */
unsigned int fake_vcpu_runs(void);
struct vcpu *fake_vcpu_ran(unsigned int i);

/** Run @i was entered with its WFI not trapped (arch_vcpu_wfi_native()). */
bool fake_vcpu_ran_wfi_native(unsigned int i);

/**
 * What the vCPU hooks did, oldest first, as "load 0.1 run 0.1 put 0.1":
 * load, put, discard and run (entered the guest), each with VM index and
 * vCPU index.
 */
const char *fake_vcpu_log(void);

/** Clear fake_vcpu_log(). */
void fake_vcpu_log_clear(void);

/** The vCPU whose registers are in the hardware of this pCPU, or NULL. */
struct vcpu *fake_vcpu_loaded(void);

/** The EL1 registers in the hardware of this pCPU (as the guest left them). */
const struct vcpu_sysregs *fake_vcpu_hw(void);

/** SCTLR_EL1.M: every guest run sets it in the hardware copy. */
#define FAKE_SCTLR_M 1UL

/**
 * Call @loop (run_loop()) and return once the script is used up and
 * nothing is left to do: when arch_vcpu_enter() is asked to enter the
 * guest with nothing queued, or the pCPU goes idle with nothing queued
 * and no fake_on_idle() hook left. Idling while runs are still queued
 * fails the test after a while (the queued vCPU never becomes runnable).
 */
void fake_vcpu_run_script(void (*loop)(void));

/**
 * On the @nth idle wait (arch_wait_for_interrupt()) from now, call
 * @fn(@arg) first: an event from elsewhere (another pCPU's wake).
 */
void fake_on_idle(unsigned int nth, void (*fn)(void *arg), void *arg);

#endif
