// SPDX-License-Identifier: MIT
/*
 * Fault-loop detection. Each vCPU remembers the last exception Kairos
 * injected into it (class, address, PC) and how many identical ones came
 * in a row. Any synchronous exit that injects nothing, or an injection
 * that differs in any of the three, starts the count again. Interrupt
 * exits do not: they happen in a loop too, and a guest that got anywhere
 * in between faults at another PC or address.
 */
#include <kairos/faultloop.h>
#include <kairos/vm.h>
#include <stdio.h>

/** One vCPU's loop being counted. */
struct faultloop {
	uint32_t ec;
	uint64_t addr, pc;
	uint32_t count; /**< identical injections in a row */
	bool injected;  /**< during the current exit */
};

static struct faultloop loops[KAIROS_MAX_VMS][KAIROS_MAX_VCPUS];

static struct faultloop *loop_of(const struct vcpu *v)
{
	return &loops[v->vm->id][v->id];
}

static uint32_t limit_of(const struct vm *vm)
{
	return vm->cfg->fault_loop_limit;
}

/* Stop @v's VM, saying what repeated; the count starts again after. */
static void faultloop_stop(struct vcpu *v, struct faultloop *l)
{
	/* vm_fatal() prints it before it returns: a local buffer will do. */
	char why[128];

	snprintf(why, sizeof(why),
		 "the same fault %u times in a row (exception class 0x%x, "
		 "address 0x%llx; fault-loop)",
		 l->count, (unsigned int)l->ec, (unsigned long long)l->addr);
	l->count = 0;
	vm_fatal(v, why);
}

bool faultloop_inject(struct vcpu *v, uint32_t ec, uint64_t addr)
{
	struct faultloop *l = loop_of(v);
	uint64_t pc = v->st.regs.pc;

	/* Not counting (a reset vCPU starts again): no loop so far. */
	if (!v->faultloop_live)
		l->count = 0;
	l->injected = true;
	v->faultloop_live = true;
	if (l->count && l->ec == ec && l->addr == addr && l->pc == pc) {
		l->count++;
	} else {
		l->ec = ec;
		l->addr = addr;
		l->pc = pc;
		l->count = 1;
	}
	if (!limit_of(v->vm) || l->count < limit_of(v->vm))
		return false;
	faultloop_stop(v, l);
	return true;
}

void faultloop_exit_counted(struct vcpu *v)
{
	struct faultloop *l = loop_of(v);

	if (!l->injected)
		l->count = 0;
	l->injected = false;
	/* Counted on only while the count goes on. */
	v->faultloop_live = l->count != 0;
}
