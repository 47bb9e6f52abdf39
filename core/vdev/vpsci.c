// SPDX-License-Identifier: MIT
/*
 * PSCI 1.1 for guests (Arm DEN0022D) over HVC, plus the SMCCC version
 * query Linux makes first (DEN0028). Power state changes of a vCPU are
 * made under its VM's lock; the pCPU that runs the target is kicked.
 */
#include <kairos/sched.h>
#include <kairos/vdev.h>

#define SMCCC_VERSION 0x80000000U
#define SMCCC_ARCH_FEATURES 0x80000001U
#define PSCI_VERSION 0x84000000U
#define PSCI_CPU_SUSPEND 0x84000001U
#define PSCI_CPU_OFF 0x84000002U
#define PSCI_CPU_ON 0x84000003U
#define PSCI_AFFINITY_INFO 0x84000004U
#define PSCI_MIGRATE_INFO_TYPE 0x84000006U
#define PSCI_SYSTEM_OFF 0x84000008U
#define PSCI_SYSTEM_RESET 0x84000009U
#define PSCI_FEATURES 0x8400000aU
#define SMC64 0x40000000U /* the SMC64 variant of a function ID */

#define PSCI_SUCCESS 0
#define PSCI_NOT_SUPPORTED (-1)
#define PSCI_INVALID_PARAMETERS (-2)
#define PSCI_ALREADY_ON (-4)
#define PSCI_ON_PENDING (-5)
#define PSCI_INVALID_ADDRESS (-9)

#define MPIDR_AFF 0xff00ffffffUL

/* The function ID is w0 (SMCCC); the SMC64 forms map to their base. */
static uint32_t base_id(uint64_t fid)
{
	uint32_t f = (uint32_t)fid;

	switch (f) {
	case PSCI_CPU_SUSPEND | SMC64:
	case PSCI_CPU_ON | SMC64:
	case PSCI_AFFINITY_INFO | SMC64: return f & ~SMC64;
	default: return f;
	}
}

static bool known(uint32_t id)
{
	switch (id) {
	case SMCCC_VERSION:
	case PSCI_VERSION:
	case PSCI_CPU_SUSPEND:
	case PSCI_CPU_OFF:
	case PSCI_CPU_ON:
	case PSCI_AFFINITY_INFO:
	case PSCI_MIGRATE_INFO_TYPE:
	case PSCI_SYSTEM_OFF:
	case PSCI_SYSTEM_RESET:
	case PSCI_FEATURES: return true;
	default: return false;
	}
}

static struct vcpu *find_vcpu(struct vm *vm, uint64_t mpidr)
{
	for (unsigned int i = 0; i < vm->nr_vcpus; i++)
		if ((vm->vcpus[i].st.sys.vmpidr & MPIDR_AFF) ==
		    (mpidr & MPIDR_AFF))
			return &vm->vcpus[i];
	return NULL;
}

static int64_t cpu_on(struct vcpu *v, uint64_t mpidr, uint64_t entry,
		      uint64_t ctx)
{
	struct vm *vm = v->vm;
	struct vcpu *t = find_vcpu(vm, mpidr);
	int64_t r = PSCI_SUCCESS;

	if (!t)
		return PSCI_INVALID_PARAMETERS;
	/*
	 * PSCI (DEN0022D, CPU_ON): an entry point the caller cannot execute from is
	 * INVALID_ADDRESS. Only its RAM holds code a vCPU can run (flash is
	 * erased, devices are not memory).
	 */
	if (!vm_ipa_to_host(vm, entry, 4))
		return PSCI_INVALID_ADDRESS;
	spin_lock(&vm->lock);
	if (t->st.power == VCPU_POWER_ON)
		r = PSCI_ALREADY_ON;
	else if (t->st.power == VCPU_POWER_ON_PENDING)
		r = PSCI_ON_PENDING;
	else
		vcpu_power_on(t, entry, ctx);
	spin_unlock(&vm->lock);
	if (r == PSCI_SUCCESS)
		sched_wake(t);
	return r;
}

static int64_t affinity_info(struct vcpu *v, uint64_t mpidr, uint64_t level)
{
	const struct vcpu *t = find_vcpu(v->vm, mpidr);

	if (!t || level != 0)
		return PSCI_INVALID_PARAMETERS;
	switch (__atomic_load_n(&t->st.power, __ATOMIC_ACQUIRE)) {
	case VCPU_POWER_ON: return 0;
	case VCPU_POWER_ON_PENDING: return 2;
	default: return 1;
	}
}

/*
 * Argument @i of the call in x0: for the SMC32/HVC32 convention (bit 30 of
 * the function ID clear) only its lower 32 bits, as SMCCC (DEN0028, 2.6)
 * says the upper halves of x1-x7 are ignored for those.
 */
static uint64_t arg(const struct vcpu *v, unsigned int i)
{
	uint64_t a = v->st.regs.x[i];

	return ((uint32_t)v->st.regs.x[0] & SMC64) ? a : (uint32_t)a;
}

enum vexit_result vpsci_call(struct vcpu *v)
{
	uint64_t *x = v->st.regs.x;
	uint32_t id = base_id(x[0]);
	int64_t r = PSCI_NOT_SUPPORTED;

	switch (id) {
	case SMCCC_VERSION: r = 0x10001; break; /* SMCCC 1.1 */
	case SMCCC_ARCH_FEATURES: break;        /* no workarounds to offer */
	case PSCI_VERSION: r = 0x10001; break;  /* PSCI 1.1 */
	case PSCI_FEATURES:
		r = known(base_id(arg(v, 1))) ? PSCI_SUCCESS :
						PSCI_NOT_SUPPORTED;
		break;
	case PSCI_MIGRATE_INFO_TYPE: r = 2; break; /* no Trusted OS */
	case PSCI_CPU_ON: r = cpu_on(v, arg(v, 1), arg(v, 2), arg(v, 3)); break;
	case PSCI_AFFINITY_INFO:
		r = affinity_info(v, arg(v, 1), arg(v, 2));
		break;
	case PSCI_CPU_SUSPEND: x[0] = PSCI_SUCCESS; return VEXIT_WFI;
	case PSCI_CPU_OFF: vcpu_power_off(v); return VEXIT_RESCHED;
	case PSCI_SYSTEM_OFF:
		vm_stop(v->vm, "PSCI SYSTEM_OFF");
		return VEXIT_RESCHED;
	case PSCI_SYSTEM_RESET: vm_reset(v->vm); return VEXIT_RESCHED;
	default: break;
	}
	x[0] = (uint64_t)r;
	return VEXIT_RESUME;
}
