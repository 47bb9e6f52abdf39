// SPDX-License-Identifier: MIT
/*
 * vCPU context switch and the world switch. EL1 system registers stay
 * in hardware while a vCPU is loaded; FP/SIMD registers are switched
 * lazily through the CPTR_EL2.TFP trap: from the vCPU's first FP access
 * until it is put, the registers are its own and the trap is off (Kairos
 * itself never uses them), so that entries and exits touch neither.
 */
#include "pmu_debug.h"
#include "trap.h"

#include <arch/vcpu.h>
#include <arch/vgic_hw.h>
#include <asm/sysreg.h>
#include <asm/vcpu_offsets.h>
#include <kairos/cpu.h>
#include <kairos/ptimer.h>
#include <kairos/vgic.h>
#include <kairos/vm.h>
#include <kairos/vtimer.h>

/*
 * HCR_EL2 while guests run (D19.2.49): stage 2 on (VM), set/way by VA
 * upgraded (SWIO), TLB and I-cache maintenance broadcast inner shareable
 * (FB, BSU=1), WFI/WFE trapped (TWI, TWE), SMC trapped (TSC), ACTLR
 * trapped (TACR), IMPLEMENTATION DEFINED registers trapped (TIDCP).
 */
#define HCR_VM (1UL << 0)
#define HCR_SWIO (1UL << 1)
#define HCR_FB (1UL << 9)
#define HCR_BSU_IS (1UL << 10)
#define HCR_TWI (1UL << 13)
#define HCR_TWE (1UL << 14)
#define HCR_TSC (1UL << 19)
#define HCR_TIDCP (1UL << 20)
#define HCR_TACR (1UL << 21)
#define HCR_EL2_GUEST                                                       \
	(HCR_EL2_BOOT | HCR_VM | HCR_SWIO | HCR_FB | HCR_BSU_IS | HCR_TWI | \
	 HCR_TWE | HCR_TSC | HCR_TIDCP | HCR_TACR)
#define CPTR_TFP (1UL << 10)

uint64_t guest_enter(struct vcpu_regs *regs);
void __fpsimd_save(struct vcpu_fp *fp);
void __fpsimd_restore(const struct vcpu_fp *fp);

void __sysregs_save(struct vcpu_sysregs *s);
void __sysregs_restore(const struct vcpu_sysregs *s);

/* guest.S's __sysregs_* take struct vcpu_sysregs as these, in order. */
#define SYSREG_AT(field, k) \
	_Static_assert(offsetof(struct vcpu_sysregs, field) == (k)*8UL, #field);
SYSREG_AT(sctlr, 0)
SYSREG_AT(actlr, 1)
SYSREG_AT(cpacr, 2)
SYSREG_AT(ttbr0, 3)
SYSREG_AT(ttbr1, 4)
SYSREG_AT(tcr, 5)
SYSREG_AT(mair, 6)
SYSREG_AT(amair, 7)
SYSREG_AT(vbar, 8)
SYSREG_AT(contextidr, 9)
SYSREG_AT(tpidr_el0, 10)
SYSREG_AT(tpidrro_el0, 11)
SYSREG_AT(tpidr_el1, 12)
SYSREG_AT(esr, 13)
SYSREG_AT(far, 14)
SYSREG_AT(afsr0, 15)
SYSREG_AT(afsr1, 16)
SYSREG_AT(par, 17)
SYSREG_AT(cntkctl, 18)
SYSREG_AT(csselr, 19)
SYSREG_AT(mdscr, 20)
SYSREG_AT(sp_el1, 21)
SYSREG_AT(elr_el1, 22)
SYSREG_AT(spsr_el1, 23)
SYSREG_AT(vmpidr, 24)
_Static_assert(sizeof(struct vcpu_sysregs) == 25 * 8UL, "sysregs size");

void arch_vcpu_load(struct vcpu *v)
{
	const struct vm *vm = v->vm;

	__sysregs_restore(&v->st.sys);
	pmu_debug_load(&v->st);
	write_sysreg(vttbr_el2,
		     ((uint64_t)(vm->id + 1) << 48) | (uintptr_t)vm->s2_root);
	write_sysreg(hcr_el2, HCR_EL2_GUEST);
	isb();
	cpu_current()->arch.wfi_native = false;
}

void arch_vcpu_wfi_native(struct vcpu *v, bool native)
{
	struct arch_cpu *a = &cpu_current()->arch;

	(void)v;
	if (a->wfi_native == native)
		return;
	/* VI is the software interface's (vgic_sw.c): it stays as it is. */
	write_sysreg(hcr_el2, (read_sysreg(hcr_el2) & HCR_VI) |
				      (native ? HCR_EL2_GUEST & ~HCR_TWI :
						HCR_EL2_GUEST));
	isb();
	a->wfi_native = native;
}

static void fp_access(bool on)
{
	write_sysreg(cptr_el2, on ? CPTR_EL2_BOOT & ~CPTR_TFP : CPTR_EL2_BOOT);
	isb();
}

void arch_vcpu_put(struct vcpu *v)
{
	__sysregs_save(&v->st.sys);
	pmu_debug_save(&v->st);
	if (v->fp_loaded) {
		__fpsimd_save(&v->st.fp);
		fp_access(false);
		v->fp_loaded = false;
	}
}

bool arch_vcpu_pmu_line(const struct vcpu *v)
{
	return pmu_debug_overflow(&v->st);
}

void arch_vcpu_discard(struct vcpu *v)
{
	pmu_debug_drop();
	if (v->fp_loaded)
		fp_access(false);
	v->fp_loaded = false;
}

/* The guest touched FP/SIMD: give it its registers (Arm ARM D1.13). */
void trap_fp(struct vcpu *v)
{
	fp_access(true);
	__fpsimd_restore(&v->st.fp);
	v->fp_loaded = true;
}

void arch_vcpu_enter(struct vcpu *v, struct vcpu_exit *x)
{
	uint64_t kind;

	__atomic_store_n(&v->in_guest, true, __ATOMIC_RELAXED);
	kind = guest_enter(&v->st.regs);
	__atomic_store_n(&v->in_guest, false, __ATOMIC_RELEASE);
	switch (kind) {
	case 0:
		x->kind = VCPU_EXIT_TRAP;
		x->syndrome = read_sysreg(esr_el2);
		x->va = read_sysreg(far_el2);
		x->ipa_page = read_sysreg(hpfar_el2);
		break;
	case 1:
	case 2: x->kind = VCPU_EXIT_IRQ; break;
	default:
		x->kind = VCPU_EXIT_FATAL;
		x->why = kind == 3 ? "SError from the guest" :
				     "AArch32 execution";
		break;
	}
}

/* Exception injection into the guest's EL1 (D1.10: vector offsets). */
void trap_inject_sync(struct vcpu *v, uint64_t esr, uint64_t far)
{
	struct vcpu_regs *r = &v->st.regs;
	uint64_t off;

	switch (r->pstate & PSR_MODE_MASK) {
	case PSR_MODE_EL1t: off = 0x000; break;
	case PSR_MODE_EL1h: off = 0x200; break;
	default: off = r->pstate & (1UL << 4) ? 0x600 : 0x400; break; /* EL0 */
	}
	write_sysreg(elr_el1, r->pc);
	write_sysreg(spsr_el1, r->pstate);
	write_sysreg(esr_el1, esr);
	write_sysreg(far_el1, far);
	r->pc = read_sysreg(vbar_el1) + off;
	r->pstate = PSR_MODE_EL1h | PSR_DAIF;
}
