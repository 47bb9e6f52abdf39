// SPDX-License-Identifier: MIT
/* Exception dispatch: per-CPU handlers, catches, and crash reports. */
#include "internal.h"
#include <lg/cpu.h>
#include <lg/sysreg.h>
#include <lg/test.h>
#include <stdio.h>

/** One CPU's exception state. */
struct exc_cpu {
	exc_handler_t sync;
	exc_handler_t irq;
	bool armed;
	struct exc_record rec;
};

static struct exc_cpu exc_cpus[LG_MAX_CPUS];

void exc_set_sync_handler(exc_handler_t handler)
{
	exc_cpus[cpu_index()].sync = handler;
}

void exc_set_irq_handler(exc_handler_t handler)
{
	exc_cpus[cpu_index()].irq = handler;
}

void exc_catch_begin(void)
{
	struct exc_cpu *c = &exc_cpus[cpu_index()];

	c->rec = (struct exc_record){ 0 };
	c->armed = true;
	__asm__ volatile("" ::: "memory");
}

bool exc_catch_end(struct exc_record *rec)
{
	struct exc_cpu *c = &exc_cpus[cpu_index()];

	__asm__ volatile("" ::: "memory");
	c->armed = false;
	if (rec)
		*rec = c->rec;
	return c->rec.taken;
}

const char *exc_ec_name(uint64_t ec)
{
	switch (ec) {
	case 0x00: return "unknown (UNDEF)";
	case 0x01: return "WFI/WFE";
	case 0x07: return "FP/SIMD access";
	case 0x0e: return "illegal execution state";
	case 0x15: return "SVC";
	case 0x16: return "HVC";
	case 0x17: return "SMC";
	case 0x18: return "MSR/MRS";
	case 0x20: return "instruction abort (lower EL)";
	case 0x21: return "instruction abort";
	case 0x22: return "PC alignment";
	case 0x24: return "data abort (lower EL)";
	case 0x25: return "data abort";
	case 0x26: return "SP alignment";
	case 0x2f: return "SError";
	case 0x3c: return "BRK";
	default: return "other";
	}
}

static const char *const exc_kind_names[16] = {
	"sync (EL1t)", "IRQ (EL1t)", "FIQ (EL1t)", "SError (EL1t)",
	"sync",        "IRQ",        "FIQ",        "SError",
	"sync (EL0)",  "IRQ (EL0)",  "FIQ (EL0)",  "SError (EL0)",
	"sync (A32)",  "IRQ (A32)",  "FIQ (A32)",  "SError (A32)",
};

void exc_unexpected(const struct exc_frame *frame, unsigned int kind)
{
	static char detail[160];
	uint64_t ec = ESR_EC(frame->esr);

	printf("libguest: CPU%u: unexpected %s exception: ESR 0x%llx (EC 0x%llx %s) ELR 0x%llx FAR 0x%llx SPSR 0x%llx\n",
	       cpu_index(), exc_kind_names[kind & 15],
	       (unsigned long long)frame->esr, (unsigned long long)ec,
	       exc_ec_name(ec), (unsigned long long)frame->elr,
	       (unsigned long long)frame->far, (unsigned long long)frame->spsr);
	for (unsigned int i = 0; i < 31; i += 2) {
		printf("  x%-2u %016llx", i, (unsigned long long)frame->x[i]);
		if (i + 1 < 31)
			printf("  x%-2u %016llx", i + 1,
			       (unsigned long long)frame->x[i + 1]);
		printf("\n");
	}
	snprintf(detail, sizeof(detail),
		 "unexpected %s exception on CPU%u: EC 0x%llx (%s) ELR 0x%llx FAR 0x%llx",
		 exc_kind_names[kind & 15], cpu_index(), (unsigned long long)ec,
		 exc_ec_name(ec), (unsigned long long)frame->elr,
		 (unsigned long long)frame->far);
	test_abort(detail);
}

static bool exc_catch(struct exc_frame *frame, unsigned int kind)
{
	struct exc_cpu *c = &exc_cpus[cpu_index()];

	if (!c->armed || c->rec.taken)
		return false;
	c->rec = (struct exc_record){
		.taken = true,
		.kind = kind,
		.esr = frame->esr,
		.far = frame->far,
		.elr = frame->elr,
		.spsr = frame->spsr,
	};
	/* Every A64 instruction is 4 bytes: go on after the faulting one. */
	frame->elr += 4;
	return true;
}

void lg_exc_dispatch(struct exc_frame *frame, unsigned int kind)
{
	unsigned int idx = cpu_index();
	struct exc_cpu *c = &exc_cpus[idx];

	switch (kind) {
	case EXC_SYNC_EL0:
		/* The SVC #0 of lg_el0_trampoline: back to run_at_el0's caller. */
		if (ESR_EC(frame->esr) == ESR_EC_SVC64 &&
		    (frame->esr & 0xffff) == 0 && lg_el0_ctx[idx].active)
			lg_el0_return(frame->x[0]);
		/* fall through */
	case EXC_SYNC_EL1:
		if (c->sync && c->sync(frame, kind))
			return;
		if (exc_catch(frame, kind))
			return;
		break;
	case EXC_IRQ_EL1:
	case EXC_IRQ_EL0:
		if (c->irq && c->irq(frame, kind))
			return;
		break;
	default: break;
	}
	exc_unexpected(frame, kind);
}
