// SPDX-License-Identifier: MIT
/*
 * Synchronous exits from guests: ESR_EL2 is decoded once into a struct and
 * dispatched by exception class (Arm ARM D19.2.37). A trap Kairos does not
 * emulate becomes an UNDEF in the guest, never a stop of Kairos.
 */
#include "trap.h"

#include <arch/stage2.h>
#include <arch/timer.h>
#include <asm/sysreg.h>
#include <kairos/compiler.h>
#include <kairos/ptimer.h>
#include <kairos/vexit.h>
#include <kairos/vgic.h>

#define ESR_IL (1UL << 25)
#define EC_UNKNOWN 0x00
#define EC_WFX 0x01
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

/** One decoded exit. */
struct trap {
	uint32_t ec;
	uint32_t iss;
	uint64_t far;
	uint64_t ipa; /**< for aborts: faulting IPA (HPFAR + FAR[11:0]) */
};

typedef enum trap_result (*trap_fn)(struct vcpu *v, const struct trap *t);

static bool from_el0(const struct vcpu *v)
{
	return (v->st.regs.pstate & PSR_MODE_MASK) == PSR_MODE_EL0t;
}

static void inject_undef(struct vcpu *v)
{
	trap_inject_sync(v, ESR_IL | ((uint64_t)EC_UNKNOWN << 26), 0);
}

/* A synchronous external abort, as hardware gives for a bus error. */
static void inject_abort(struct vcpu *v, bool data, const struct trap *t)
{
	uint64_t ec = data ? EC_DABT_LOW : EC_IABT_LOW;
	uint64_t iss = FSC_EXTERNAL | (data ? (t->iss & ISS_WNR) : 0);

	if (!from_el0(v))
		ec += 1; /* taken from the current EL */
	trap_inject_sync(v, ESR_IL | (ec << 26) | iss, t->far);
}

static uint64_t reg_read(const struct vcpu *v, unsigned int r)
{
	return r == 31 ? 0 : v->st.regs.x[r];
}

static enum trap_result trap_undef(struct vcpu *v, const struct trap *t)
{
	(void)t;
	inject_undef(v);
	return TRAP_RESUME;
}

static enum trap_result trap_wfx(struct vcpu *v, const struct trap *t)
{
	v->st.regs.pc += 4;
	return (t->iss & 1) ? TRAP_YIELD : TRAP_WFI;
}

static enum trap_result trap_fp_access(struct vcpu *v, const struct trap *t)
{
	(void)t;
	trap_fp(v);
	return TRAP_RESUME;
}

static enum trap_result trap_hvc(struct vcpu *v, const struct trap *t)
{
	(void)t; /* ELR already points past the HVC */
	switch (vpsci_call(v)) {
	case VEXIT_RESCHED: return TRAP_RESCHED;
	case VEXIT_WFI: return TRAP_WFI;
	default: return TRAP_RESUME;
	}
}

static enum trap_result trap_iabt(struct vcpu *v, const struct trap *t)
{
	vm_log_once(v, "instruction fetch outside its memory at IPA", t->ipa);
	inject_abort(v, false, t);
	return TRAP_RESUME;
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

static enum trap_result trap_dabt(struct vcpu *v, const struct trap *t)
{
	bool write = (t->iss & ISS_WNR) != 0;
	unsigned int len = 1U << ((t->iss >> 22) & 3);
	unsigned int srt = (t->iss >> 16) & 31;
	uint64_t val = 0;
	enum mmio_status st;

	/* A first write to RAM since a checkpoint or restore (ckpt.c). */
	if (FSC_IS_PERMISSION(t->iss & 0x3f) &&
	    __atomic_load_n(&v->vm->ckpt.tracking, __ATOMIC_ACQUIRE) &&
	    arch_s2_track_write(v->vm->s2_root, &v->vm->ckpt.written,
				permission_fault_ipa(t) & ~0xfffUL))
		return TRAP_RESUME;
	if (FSC_IS_PERMISSION(t->iss & 0x3f) && write &&
	    vm_ipa_ignores_writes(v->vm, t->ipa)) {
		v->st.regs.pc += 4;
		return TRAP_RESUME;
	}
	if (!(t->iss & ISS_ISV)) {
		vm_log_once(v, "access without a valid syndrome (ISV=0) at IPA",
			    t->ipa);
		inject_abort(v, true, t);
		return TRAP_RESUME;
	}
	if (write) {
		val = reg_read(v, srt);
		if (len < 8)
			val &= (1UL << (len * 8)) - 1;
	}
	st = vmmio_access(v, t->ipa, write, len, &val);
	if (st != MMIO_OK) {
		if (st == MMIO_NO_DEVICE)
			vm_log_once(
				v,
				"access outside its memory and devices at IPA",
				t->ipa);
		inject_abort(v, true, t);
		return TRAP_RESUME;
	}
	if (!write && srt != 31) {
		if ((t->iss & ISS_SSE) && len < 8 && (val >> (len * 8 - 1)) & 1)
			val |= ~0UL << (len * 8);
		if (!(t->iss & ISS_SF))
			val &= 0xffffffffUL;
		v->st.regs.x[srt] = val;
	}
	v->st.regs.pc += 4;
	return TRAP_RESUME;
}

/* System register of a trapped MSR/MRS, ISS encoding for EC 0x18. */
#define SYSREG_KEY(op0, op1, crn, crm, op2) \
	((op0) << 14 | (op1) << 11 | (crn) << 7 | (crm) << 3 | (op2))
#define ICC_DIR_EL1 SYSREG_KEY(3U, 0U, 12U, 11U, 1U)
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

/*
 * The EL1 physical timer and counter, emulated in core/ptimer.c. An EL0
 * access the guest's CNTKCTL_EL1 (EL0PTEN, EL0PCTEN) forbids is trapped
 * to its EL1 before CNTHCTL_EL2 applies (Arm ARM, CNTHCTL_EL2.EL1PCEN and
 * EL1PCTEN), so every one seen here is permitted.
 */
static enum trap_result trap_ptimer(struct vcpu *v, enum ptimer_reg r,
				    bool read, unsigned int rt)
{
	uint64_t val = reg_read(v, rt);

	if (read ? !ptimer_read(v, r, &val) : !ptimer_write(v, r, val)) {
		inject_undef(v);
		return TRAP_RESUME;
	}
	if (read && rt != 31)
		v->st.regs.x[rt] = val;
	v->st.regs.pc += 4;
	return TRAP_RESUME;
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

/*
 * The virtual timer, trapped while its interrupt waits in a list register
 * for a guest with IRQs masked (core/vtimer.c, vtimer_guard()): performed
 * as the guest asked; the exit itself is the point. As with the physical
 * timer, an EL0 access seen here is one the guest's CNTKCTL_EL1 permits.
 */
static enum trap_result trap_vtimer(struct vcpu *v, enum arch_vtimer_reg r,
				    bool read, unsigned int rt)
{
	uint64_t val = reg_read(v, rt);

	arch_vtimer_access(r, !read, &val);
	if (read && rt != 31)
		v->st.regs.x[rt] = val;
	v->st.regs.pc += 4;
	return TRAP_RESUME;
}

static enum trap_result trap_sysreg(struct vcpu *v, const struct trap *t)
{
	uint32_t key = SYSREG_KEY((t->iss >> 20) & 3, (t->iss >> 14) & 7,
				  (t->iss >> 10) & 15, (t->iss >> 1) & 15,
				  (t->iss >> 17) & 7);
	bool read = t->iss & 1;
	unsigned int rt = (t->iss >> 5) & 31;
	uint64_t val = reg_read(v, rt);
	enum arch_vtimer_reg vr;
	enum ptimer_reg pr;

	if (ptimer_reg_of(key, &pr))
		return trap_ptimer(v, pr, read, rt);
	if (vtimer_reg_of(key, &vr))
		return trap_vtimer(v, vr, read, rt);
	if (read) {
		inject_undef(v); /* none of the others is readable */
		return TRAP_RESUME;
	}
	switch (key) {
	case ICC_SGI1R_EL1: vgic_sgi1r(v, val); break;
	case ICC_DIR_EL1: vgic_deactivate(v, (uint32_t)val & 0xffffff); break;
	case ICC_ASGI1R_EL1:
	case ICC_SGI0R_EL1:
		break; /* Group 0 / other Security state: none here */
	default: inject_undef(v); return TRAP_RESUME;
	}
	v->st.regs.pc += 4;
	return TRAP_RESUME;
}

static const trap_fn handlers[64] = {
	[EC_WFX] = trap_wfx,       [EC_FP] = trap_fp_access,
	[EC_HVC64] = trap_hvc,     [EC_SMC64] = trap_undef,
	[EC_SYSREG] = trap_sysreg, [EC_IABT_LOW] = trap_iabt,
	[EC_DABT_LOW] = trap_dabt,
};

enum trap_result trap_sync(struct vcpu *v, uint64_t esr, uint64_t far,
			   uint64_t hpfar)
{
	struct trap t = {
		.ec = (uint32_t)(esr >> 26) & 0x3f,
		.iss = (uint32_t)esr & 0x1ffffff,
		.far = far,
		/* HPFAR_EL2.FIPA (bits 43:4) holds IPA[51:12]. */
		.ipa = ((hpfar & 0xffffffffff0UL) << 8) | (far & 0xfff),
	};
	trap_fn fn = handlers[t.ec];

	return fn ? fn(v, &t) : trap_undef(v, &t);
}
