// SPDX-License-Identifier: MIT
/*
 * Synchronous exits from guests: ESR_EL2 is decoded once into a struct and
 * dispatched by exception class (Arm ARM D19.2.37). A trap Kairos does not
 * emulate becomes an UNDEF in the guest, never a stop of Kairos.
 */
#include "trap.h"

#include "pmu_debug.h"

#include <arch/stage2.h>
#include <arch/timer.h>
#include <arch/vcpu.h>
#include <arch/vgic_hw.h>
#include <asm/sysreg.h>
#include <kairos/compiler.h>
#include <kairos/faultloop.h>
#include <kairos/ptimer.h>
#include <kairos/run.h>
#include <kairos/vdev.h>
#include <kairos/vgic.h>
#include <kairos/vm_ram.h>
#include <kairos/vmmio.h>

#define ESR_IL (1UL << 25)
#define EC_UNKNOWN 0x00
#define EC_WFX 0x01
#define EC_CP15_32 0x03 /* AArch32 MCR/MRC, coproc 0b1111 */
#define EC_CP15_64 0x04 /* AArch32 MCRR/MRRC, coproc 0b1111 */
#define EC_FP 0x07
#define EC_HVC64 0x16
#define EC_SMC64 0x17
#define EC_SYSREG 0x18
#define EC_IABT_LOW 0x20
#define EC_DABT_LOW 0x24

/* Data abort ISS (D19.2.37, ISS encoding for an exception from a DABT). */
#define ISS_ISV (1U << 24)
#define ISS_SSE (1U << 21)
#define ISS_SF (1U << 15)
#define ISS_WNR (1U << 6)
#define ISS_S1PTW (1U << 7)
#define FSC_EXTERNAL 0x10U
#define FSC_IS_PERMISSION(f) (((f)&0x3cU) == 0x0cU)
#define FSC_IS_TRANSLATION(f) (((f)&0x3cU) == 0x04U)

/* ISS of the traps from AArch32 that may be conditional (D19.2.37). */
#define ISS_CV (1U << 24)
#define ISS_COND(iss) (((iss) >> 20) & 0xfU)

/* SPSR_EL2 of a vCPU in AArch32 (EL0 only: EL1 is AArch64, HCR_EL2.RW). */
#define PSR_AA32 (1UL << 4)
#define PSR_IT_LO_SHIFT 25 /* IT[1:0] */
#define PSR_IT_HI_SHIFT 10 /* IT[7:2] */

/** One decoded exit. */
struct trap {
	uint32_t ec;
	uint32_t iss;
	bool il32; /**< ESR_EL2.IL: a 32-bit instruction (else 16-bit Thumb) */
	uint64_t far;
	uint64_t ipa; /**< for aborts: faulting IPA (HPFAR + FAR[11:0]) */
};

typedef enum vexit_result (*trap_fn)(struct vcpu *v, const struct trap *t);

static bool from_el0(const struct vcpu *v)
{
	return (v->st.regs.pstate & PSR_MODE_MASK) == PSR_MODE_EL0t;
}

static bool in_aarch32(const struct vcpu *v)
{
	return (v->st.regs.pstate & PSR_AA32) != 0;
}

/*
 * Inject an exception with @esr, @far into @v, unless it is one more of a
 * fault loop (core/faultloop.c): then its VM has been stopped.
 */
static enum vexit_result inject(struct vcpu *v, uint64_t esr, uint64_t far,
				uint64_t addr)
{
	if (faultloop_inject(v, (uint32_t)(esr >> 26) & 0x3f, addr))
		return VEXIT_RESCHED;
	trap_inject_sync(v, esr, far);
	return VEXIT_RESUME;
}

/* UNDEF: EC 0 always has IL = 1 (D19.2.37). */
static enum vexit_result inject_undef(struct vcpu *v)
{
	return inject(v, ESR_IL | ((uint64_t)EC_UNKNOWN << 26), 0, 0);
}

/*
 * A synchronous external abort, as hardware gives for a bus error. IL is
 * 1: an instruction abort, or a data abort with ISV = 0 (D19.2.37).
 */
static enum vexit_result inject_abort(struct vcpu *v, bool data,
				      const struct trap *t)
{
	uint64_t ec = data ? EC_DABT_LOW : EC_IABT_LOW;
	uint64_t iss = FSC_EXTERNAL | (data ? (t->iss & ISS_WNR) : 0);

	if (!from_el0(v))
		ec += 1; /* taken from the current EL */
	return inject(v, ESR_IL | (ec << 26) | iss, t->far, t->ipa);
}

/*
 * Register @r of a trapped instruction. In AArch32 (EL0, User mode) R0-R14
 * are X0-X14 (D1.20.1); 31 is XZR in AArch64 only.
 */
static uint64_t reg_read(const struct vcpu *v, unsigned int r)
{
	return r == 31 ? 0 : v->st.regs.x[r];
}

/* Thumb IT block: the state after one instruction (Arm ARM ITAdvance()). */
static void it_advance(struct vcpu *v)
{
	uint64_t psr = v->st.regs.pstate;
	uint32_t it = (uint32_t)((psr >> PSR_IT_HI_SHIFT) & 0x3f) << 2 |
		      (uint32_t)((psr >> PSR_IT_LO_SHIFT) & 3);

	if ((it & 7) == 0)
		it = 0;
	else
		it = (it & 0xe0) | ((it << 1) & 0x1f);
	psr &= ~((0x3fUL << PSR_IT_HI_SHIFT) | (3UL << PSR_IT_LO_SHIFT));
	psr |= (uint64_t)(it >> 2) << PSR_IT_HI_SHIFT |
	       (uint64_t)(it & 3) << PSR_IT_LO_SHIFT;
	v->st.regs.pstate = psr;
}

/*
 * Step over the trapped instruction: 4 bytes, or 2 for a 16-bit Thumb one
 * (ESR_EL2.IL = 0); in AArch32 the PC stays 32 bits and an IT block moves
 * on, as if the instruction had executed.
 */
static void skip_insn(struct vcpu *v, const struct trap *t)
{
	v->st.regs.pc += t->il32 ? 4 : 2;
	if (in_aarch32(v)) {
		v->st.regs.pc &= 0xffffffffUL;
		it_advance(v);
	}
}

/* AArch32 condition @cond against the NZCV flags of @psr (Arm ARM F2.3). */
static bool cond_holds(uint64_t psr, uint32_t cond)
{
	bool n = (psr >> 31) & 1, z = (psr >> 30) & 1, c = (psr >> 29) & 1,
	     o = (psr >> 28) & 1, r;

	switch (cond >> 1) {
	case 0: r = z; break;
	case 1: r = c; break;
	case 2: r = n; break;
	case 3: r = o; break;
	case 4: r = c && !z; break;
	case 5: r = n == o; break;
	case 6: r = n == o && !z; break;
	default: return true; /* AL */
	}
	return (cond & 1) ? !r : r;
}

/*
 * A conditional AArch32 instruction may trap even when its condition
 * fails (D19.2.37, ISS.CV/COND): then it does nothing but move on.
 */
static bool aa32_cond_failed(const struct vcpu *v, const struct trap *t)
{
	return in_aarch32(v) && (t->iss & ISS_CV) &&
	       !cond_holds(v->st.regs.pstate, ISS_COND(t->iss));
}

static enum vexit_result trap_undef(struct vcpu *v, const struct trap *t)
{
	(void)t;
	return inject_undef(v);
}

static enum vexit_result trap_wfx(struct vcpu *v, const struct trap *t)
{
	bool skip = aa32_cond_failed(v, t);

	skip_insn(v, t);
	if (skip)
		return VEXIT_RESUME;
	return (t->iss & 1) ? VEXIT_YIELD : VEXIT_WFI;
}

static enum vexit_result trap_fp_access(struct vcpu *v, const struct trap *t)
{
	(void)t;
	trap_fp(v);
	return VEXIT_RESUME;
}

/*
 * HVC #imm: SMCCC calls use immediate 0 (DEN0028, "SMC and HVC calling
 * conventions"). Any other immediate is no SMCCC call: Kairos does not act
 * on it and returns NOT_SUPPORTED (-1) in x0, as for an unknown function,
 * so a guest probing for another hypervisor's interface gets a clean
 * refusal. ELR already points past the HVC.
 */
static enum vexit_result trap_hvc(struct vcpu *v, const struct trap *t)
{
	if (t->iss & 0xffff) {
		v->st.regs.x[0] = ~0UL;
		return VEXIT_RESUME;
	}
	return vpsci_call(v);
}

static enum vexit_result trap_iabt(struct vcpu *v, const struct trap *t)
{
	/* GICv2: the acknowledge trap the fill asked for (ack_trap). */
	if (FSC_IS_TRANSLATION(t->iss & 0x3f) &&
	    arch_vgic_ack_trap_hit(v, t->ipa))
		return run_ack_trapped(v);
	/* Fresh RAM's first touch (core/vm_ram.c): zeroed, mapped, retried. */
	if (FSC_IS_TRANSLATION(t->iss & 0x3f) &&
	    vm_ram_first_touch(v->vm, t->ipa))
		return VEXIT_RESUME;
	vm_log_once(v, "instruction fetch outside its memory at IPA", t->ipa);
	return inject_abort(v, false, t);
}

/*
 * The IPA of a stage-2 permission fault. HPFAR_EL2 may not hold it when
 * the fault was not on a stage-1 walk (Arm ARM D19.2.58): translate FAR
 * with the guest's stage 1 instead, keeping its PAR_EL1.
 */
static uint64_t permission_fault_ipa(const struct trap *t)
{
	uint64_t saved, par;

	if (t->iss & ISS_S1PTW)
		return t->ipa;
	saved = read_sysreg(par_el1);
	__asm__ volatile("at s1e1r, %0\n isb" : : "r"(t->far) : "memory");
	par = read_sysreg(par_el1);
	write_sysreg(par_el1, saved);
	if (par & 1)
		return t->ipa;
	return (par & 0x0000fffffffff000UL) | (t->far & 0xfff);
}

/*
 * Finish an emulated access of @t's data abort: @st from vmmio_access(),
 * @val what a load returns. Refused or outside every device: an abort.
 */
static enum vexit_result mmio_done(struct vcpu *v, const struct trap *t,
				   enum mmio_status st, bool write,
				   unsigned int len, uint64_t val)
{
	unsigned int srt = (t->iss >> 16) & 31;

	if (st != MMIO_OK) {
		if (st == MMIO_NO_DEVICE)
			vm_log_once(
				v,
				"access outside its memory and devices at IPA",
				t->ipa);
		return inject_abort(v, true, t);
	}
	if (!write && srt != 31) {
		if ((t->iss & ISS_SSE) && len < 8 && (val >> (len * 8 - 1)) & 1)
			val |= ~0UL << (len * 8);
		if (!(t->iss & ISS_SF))
			val &= 0xffffffffUL;
		v->st.regs.x[srt] = val;
	}
	skip_insn(v, t);
	return VEXIT_RESUME;
}

static enum vexit_result trap_dabt(struct vcpu *v, const struct trap *t)
{
	bool write = (t->iss & ISS_WNR) != 0;
	unsigned int len = 1U << ((t->iss >> 22) & 3);
	unsigned int srt = (t->iss >> 16) & 31;
	uint64_t val = 0;
	enum mmio_status st = MMIO_NO_DEVICE;
	bool emulable = (t->iss & ISS_ISV) && !(in_aarch32(v) && srt == 15);

	if (write) {
		val = reg_read(v, srt);
		if (len < 8)
			val &= (1UL << (len * 8)) - 1;
	}
	/*
	 * An emulated device first, the most frequent case: its regions are
	 * unmapped (a translation fault) and hold no RAM, flash or GICv2
	 * CPU interface page, which the checks below are about.
	 */
	if (FSC_IS_TRANSLATION(t->iss & 0x3f) && emulable)
		st = vmmio_access(v, t->ipa, write, len, &val);
	if (st != MMIO_NO_DEVICE)
		return mmio_done(v, t, st, write, len, val);
	/* GICv2: the acknowledge trap the fill asked for (ack_trap). */
	if (FSC_IS_TRANSLATION(t->iss & 0x3f) &&
	    arch_vgic_ack_trap_hit(v, t->ipa))
		return run_ack_trapped(v);
	/* Fresh RAM's first touch (core/vm_ram.c): zeroed, mapped, retried. */
	if (FSC_IS_TRANSLATION(t->iss & 0x3f) &&
	    vm_ram_first_touch(v->vm, t->ipa))
		return VEXIT_RESUME;
	/* A first write to RAM since a checkpoint or restore (ckpt.c). */
	if (FSC_IS_PERMISSION(t->iss & 0x3f) &&
	    __atomic_load_n(&v->vm->ckpt.tracking, __ATOMIC_ACQUIRE) &&
	    arch_s2_track_write(v->vm->s2_root, &v->vm->ckpt.written,
				permission_fault_ipa(t) & ~0xfffUL))
		return VEXIT_RESUME;
	/*
	 * A store to read-only flash is ignored when the syndrome describes
	 * it (ISV = 1): skipping it is all it does. One with ISV = 0 (a pair,
	 * a writeback) would need its base register updated as well: it
	 * takes the external abort below, as on any emulated device.
	 */
	if (FSC_IS_PERMISSION(t->iss & 0x3f) && write && (t->iss & ISS_ISV) &&
	    vm_ipa_ignores_writes(v->vm, t->ipa)) {
		skip_insn(v, t);
		return VEXIT_RESUME;
	}
	/*
	 * ISV = 0: the access cannot be emulated from the syndrome. That
	 * includes every exclusive (LDXR/STXR and their acquire/release
	 * forms) and atomic access (D19.2.37, ISV: "excluding Load Exclusive
	 * or Store Exclusive"), which Kairos therefore never performs on an
	 * emulated device: the guest gets a synchronous external abort, as
	 * on a bus without exclusive support. In AArch32 a load to the PC
	 * (SRT 15) is refused the same way.
	 */
	if (!emulable) {
		vm_log_once(v, "access without a valid syndrome (ISV=0) at IPA",
			    t->ipa);
		return inject_abort(v, true, t);
	}
	/* A permission fault's IPA came from HPFAR_EL2 as well: no device. */
	if (!FSC_IS_TRANSLATION(t->iss & 0x3f))
		st = vmmio_access(v, t->ipa, write, len, &val);
	return mmio_done(v, t, st, write, len, val);
}

/* System register of a trapped MSR/MRS, ISS encoding for EC 0x18. */
#define SYSREG_KEY(op0, op1, crn, crm, op2) \
	((op0) << 14 | (op1) << 11 | (crn) << 7 | (crm) << 3 | (op2))
#define ICC_DIR_EL1 SYSREG_KEY(3U, 0U, 12U, 11U, 1U)
/* Trapped by ICH_HCR_EL2.TALL1: ICC_AP1R<n>_EL1 (CRm 9), ICC_IAR1_EL1,
 * EOIR1, HPPIR1, BPR1 (CRm 12, op2 0-3) and IGRPEN1 (op2 7). */
#define ICC_AP1R0_EL1 SYSREG_KEY(3U, 0U, 12U, 9U, 0U)
#define ICC_IAR1_EL1 SYSREG_KEY(3U, 0U, 12U, 12U, 0U)
#define ICC_IGRPEN1_EL1 SYSREG_KEY(3U, 0U, 12U, 12U, 7U)
#define ICC_SGI1R_EL1 SYSREG_KEY(3U, 0U, 12U, 11U, 5U)
#define ICC_ASGI1R_EL1 SYSREG_KEY(3U, 0U, 12U, 11U, 6U)
#define ICC_SGI0R_EL1 SYSREG_KEY(3U, 0U, 12U, 11U, 7U)
/* Trapped by CNTHCTL_EL2.EL1PCTEN = 0 (the counter), EL1PCEN = 0 (CNTP_*). */
#define CNTPCT_EL0 SYSREG_KEY(3U, 3U, 14U, 0U, 1U)
#define CNTPCTSS_EL0 SYSREG_KEY(3U, 3U, 14U, 0U, 5U)
#define CNTP_TVAL_EL0 SYSREG_KEY(3U, 3U, 14U, 2U, 0U)
#define CNTP_CTL_EL0 SYSREG_KEY(3U, 3U, 14U, 2U, 1U)
#define CNTP_CVAL_EL0 SYSREG_KEY(3U, 3U, 14U, 2U, 2U)
/* Trapped only in core/vtimer.c's window (CNTHCTL_EL2.EL1TVT). */
#define CNTV_TVAL_EL0 SYSREG_KEY(3U, 3U, 14U, 3U, 0U)
#define CNTV_CTL_EL0 SYSREG_KEY(3U, 3U, 14U, 3U, 1U)
#define CNTV_CVAL_EL0 SYSREG_KEY(3U, 3U, 14U, 3U, 2U)

static bool ptimer_reg_of(uint32_t key, enum ptimer_reg *r)
{
	switch (key) {
	case CNTPCT_EL0:
	case CNTPCTSS_EL0: *r = PTIMER_COUNT; return true;
	case CNTP_TVAL_EL0: *r = PTIMER_TVAL; return true;
	case CNTP_CTL_EL0: *r = PTIMER_CTL; return true;
	case CNTP_CVAL_EL0: *r = PTIMER_CVAL; return true;
	default: return false;
	}
}

static bool vtimer_reg_of(uint32_t key, enum arch_vtimer_reg *r)
{
	switch (key) {
	case CNTV_TVAL_EL0: *r = VTIMER_REG_TVAL; return true;
	case CNTV_CTL_EL0: *r = VTIMER_REG_CTL; return true;
	case CNTV_CVAL_EL0: *r = VTIMER_REG_CVAL; return true;
	default: return false;
	}
}

enum timer_access { TIMER_NONE, TIMER_DONE, TIMER_UNDEF };

/*
 * A timer register access of @v to the AArch64 register @key (@val: in
 * for a write, out for a read).
 *
 * The EL1 physical timer and counter are emulated in core/ptimer.c. An
 * EL0 access the guest's CNTKCTL_EL1 (EL0PTEN, EL0PCTEN) forbids is
 * trapped to its EL1 before CNTHCTL_EL2 applies (Arm ARM, CNTHCTL_EL2.
 * EL1PCEN and EL1PCTEN), so every one seen here is permitted.
 *
 * The virtual timer is trapped while its interrupt waits in a list
 * register for a guest with IRQs masked (core/vtimer.c, vtimer_guard()):
 * performed as the guest asked; the exit itself is the point.
 */
static enum timer_access timer_access(struct vcpu *v, uint32_t key, bool read,
				      uint64_t *val)
{
	enum arch_vtimer_reg vr;
	enum ptimer_reg pr;

	if (ptimer_reg_of(key, &pr)) {
		run_settle(v);
		if (read ? !ptimer_read(v, pr, val) :
			   !ptimer_write(v, pr, *val))
			return TIMER_UNDEF;
		return TIMER_DONE;
	}
	if (vtimer_reg_of(key, &vr)) {
		run_settle(v);
		arch_vtimer_access(vr, !read, val);
		return TIMER_DONE;
	}
	return TIMER_NONE;
}

/*
 * The CP15 names of the timer registers, for AArch32 EL0 (Arm ARM G8.2):
 * MRC/MCR p15, 0, <Rt>, c14, c2|c3, 0|1 for CNTP/CNTV_TVAL and _CTL,
 * MRRC/MCRR p15, 0|2|3, <Rt>, <Rt2>, c14 for CNTPCT, CNTP_CVAL and
 * CNTV_CVAL; ISS encodings for EC 0x03 and 0x04 (D19.2.37). 0: none.
 */
static uint32_t cp15_timer_key(const struct trap *t)
{
	uint32_t crm = (t->iss >> 1) & 15;

	if (t->ec == EC_CP15_64) {
		switch (crm == 14 ? (t->iss >> 16) & 15 : 16) {
		case 0: return CNTPCT_EL0;
		case 2: return CNTP_CVAL_EL0;
		case 3: return CNTV_CVAL_EL0;
		default: return 0;
		}
	}
	if (((t->iss >> 14) & 7) || ((t->iss >> 10) & 15) != 14 ||
	    (crm != 2 && crm != 3) || ((t->iss >> 17) & 7) > 1)
		return 0;
	return SYSREG_KEY(3U, 3U, 14U, crm, (t->iss >> 17) & 7);
}

/* A trapped CP15 access of AArch32 EL0: the timer, else UNDEF. */
static enum vexit_result trap_cp15(struct vcpu *v, const struct trap *t)
{
	bool wide = t->ec == EC_CP15_64, read = t->iss & 1;
	unsigned int rt = (t->iss >> 5) & 31, rt2 = (t->iss >> 10) & 31;
	uint64_t *x = v->st.regs.x;
	uint64_t val = (uint32_t)x[rt];

	if (aa32_cond_failed(v, t)) {
		skip_insn(v, t);
		return VEXIT_RESUME;
	}
	if (rt > 14 || (wide && rt2 > 14))
		return inject_undef(v); /* the PC or APSR: no timer's */
	if (wide)
		val |= (uint64_t)(uint32_t)x[rt2] << 32;
	if (timer_access(v, cp15_timer_key(t), read, &val) != TIMER_DONE)
		return inject_undef(v);
	if (read) {
		x[rt] = (uint32_t)val;
		if (wide)
			x[rt2] = val >> 32;
	}
	skip_insn(v, t);
	return VEXIT_RESUME;
}

static bool is_tall1_reg(uint32_t key)
{
	return (key >= ICC_AP1R0_EL1 && key <= ICC_AP1R0_EL1 + 3) ||
	       (key >= ICC_IAR1_EL1 && key <= ICC_IAR1_EL1 + 3) ||
	       key == ICC_IGRPEN1_EL1;
}

static enum vexit_result trap_sysreg(struct vcpu *v, const struct trap *t)
{
	uint32_t key = SYSREG_KEY((t->iss >> 20) & 3, (t->iss >> 14) & 7,
				  (t->iss >> 10) & 15, (t->iss >> 1) & 15,
				  (t->iss >> 17) & 7);
	bool read = t->iss & 1;
	unsigned int rt = (t->iss >> 5) & 31;
	uint64_t val = reg_read(v, rt);

	/* An SGI, the most frequent of these: first. */
	if (key == ICC_SGI1R_EL1 && !read) {
		vgic_sgi1r(v, val);
		skip_insn(v, t);
		return VEXIT_RESUME;
	}
	if (is_tall1_reg(key))
		return run_ack_trapped(v);
	/* Its first PMU or debug access: claimed, then executed again. */
	if (pmu_debug_reg((t->iss >> 20) & 3, (t->iss >> 14) & 7,
			  (t->iss >> 10) & 15, (t->iss >> 1) & 15) &&
	    pmu_debug_claim(&v->st)) {
		/* Its WFI may have to trap from now on: the overflow. */
		run_wfi_policy(v);
		return VEXIT_RESUME;
	}
	switch (timer_access(v, key, read, &val)) {
	case TIMER_UNDEF: return inject_undef(v);
	case TIMER_DONE:
		if (read && rt != 31)
			v->st.regs.x[rt] = val;
		skip_insn(v, t);
		return VEXIT_RESUME;
	default: break;
	}
	if (read)
		return inject_undef(v); /* none of the others is readable */
	switch (key) {
	case ICC_DIR_EL1:
		run_settle(v);
		vgic_deactivate(v, (uint32_t)val & 0xffffff);
		break;
	case ICC_ASGI1R_EL1:
	case ICC_SGI0R_EL1:
		break; /* Group 0 / other Security state: none here */
	default: return inject_undef(v);
	}
	skip_insn(v, t);
	return VEXIT_RESUME;
}

static const trap_fn handlers[64] = {
	[EC_WFX] = trap_wfx,       [EC_CP15_32] = trap_cp15,
	[EC_CP15_64] = trap_cp15,  [EC_FP] = trap_fp_access,
	[EC_HVC64] = trap_hvc,     [EC_SMC64] = trap_undef,
	[EC_SYSREG] = trap_sysreg, [EC_IABT_LOW] = trap_iabt,
	[EC_DABT_LOW] = trap_dabt,
};

enum vexit_result arch_vcpu_trap(struct vcpu *v, const struct vcpu_exit *x)
{
	uint64_t esr = x->syndrome;
	struct trap t = {
		.ec = (uint32_t)(esr >> 26) & 0x3f,
		.iss = (uint32_t)esr & 0x1ffffff,
		.il32 = (esr & ESR_IL) != 0,
		.far = x->va,
		/* HPFAR_EL2.FIPA (bits 43:4) holds IPA[51:12]. */
		.ipa = ((x->ipa_page & 0xffffffffff0UL) << 8) | (x->va & 0xfff),
	};
	trap_fn fn = handlers[t.ec];
	enum vexit_result r = fn ? fn(v, &t) : trap_undef(v, &t);

	faultloop_exit_done(v);
	return r;
}
