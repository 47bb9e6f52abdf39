// SPDX-License-Identifier: MIT
/*
 * Exceptions taken to EL2. Interrupts go to core/irq; anything else is,
 * until guests exist, a hypervisor bug: print a crash report and stop
 * this CPU. The other CPUs keep running.
 */
#include <arch/cpu.h>
#include <asm/frame.h>
#include <asm/sysreg.h>
#include <kairos/console.h>
#include <kairos/cpu.h>
#include <kairos/irq.h>

/** Called from the vectors with the saved frame. */
void exc_irq(struct exc_frame *f);
/** Called from the vectors for anything unexpected; never returns. */
NORETURN void exc_fatal(struct exc_frame *f, unsigned long vector);

void exc_irq(struct exc_frame *f)
{
	(void)f;
	irq_handle();
}

/* Exception classes, ESR_ELx.EC (Arm ARM D19.2.37). */
static const char *ec_name(uint32_t ec)
{
	switch (ec) {
	case 0x00: return "unknown reason";
	case 0x01: return "WFI/WFE";
	case 0x07: return "FP/SIMD access (CPTR_EL2.TFP)";
	case 0x0e: return "illegal execution state";
	case 0x15: return "SVC (AArch64)";
	case 0x16: return "HVC (AArch64)";
	case 0x17: return "SMC (AArch64)";
	case 0x18: return "MSR/MRS/system instruction";
	case 0x19: return "SVE access";
	case 0x20: return "instruction abort from a lower EL";
	case 0x21: return "instruction abort at EL2";
	case 0x22: return "PC alignment fault";
	case 0x24: return "data abort from a lower EL";
	case 0x25: return "data abort at EL2";
	case 0x26: return "SP alignment fault";
	case 0x2c: return "floating-point exception";
	case 0x2f: return "SError";
	case 0x30:
	case 0x31: return "breakpoint";
	case 0x32:
	case 0x33: return "software step";
	case 0x34:
	case 0x35: return "watchpoint";
	case 0x3c: return "BRK instruction";
	default: return "reserved or AArch32 class";
	}
}

/* Fault status code of an abort (ESR ISS DFSC/IFSC, bits 5:0). */
static const char *fsc_name(uint32_t fsc)
{
	switch (fsc & 0x3c) {
	case 0x00: return "address size fault";
	case 0x04: return "translation fault";
	case 0x08: return "access flag fault";
	case 0x0c: return "permission fault";
	case 0x10:
		return fsc == 0x10 ? "synchronous external abort" :
				     "external abort on table walk";
	case 0x20: return fsc == 0x21 ? "alignment fault" : "other fault";
	default: return "other fault";
	}
}

/* Data aborts (EC 0x24/0x25) say which access faulted: ISS.WnR, bit 6. */
static const char *abort_access(uint32_t ec, uint64_t esr)
{
	if (ec < 0x24)
		return "";
	return (esr & (1UL << 6)) ? ", write" : ", read";
}

static const char *const vector_names[16] = {
	"synchronous, EL2 on SP_EL0",
	"IRQ, EL2 on SP_EL0",
	"FIQ, EL2 on SP_EL0",
	"SError, EL2 on SP_EL0",
	"synchronous, EL2",
	"IRQ, EL2",
	"FIQ, EL2",
	"SError, EL2",
	"synchronous, from AArch64 EL1/EL0",
	"IRQ, from AArch64 EL1/EL0",
	"FIQ, from AArch64 EL1/EL0",
	"SError, from AArch64 EL1/EL0",
	"synchronous, from AArch32",
	"IRQ, from AArch32",
	"FIQ, from AArch32",
	"SError, from AArch32",
};

void exc_fatal(struct exc_frame *f, unsigned long vector)
{
	const struct cpu *c = cpu_current();
	unsigned int id = c ? c->id : 0;
	uint32_t ec = (uint32_t)(f->esr >> 26) & 0x3f;

	/* This CPU may have died holding the console lock. */
	console_disable_locking();
	kprintf("\nkairos: CPU%u: unexpected exception (%s)\n", id,
		vector_names[vector & 15]);
	kprintf("kairos:   EC 0x%02x: %s", ec, ec_name(ec));
	if (ec == 0x20 || ec == 0x21 || ec == 0x24 || ec == 0x25)
		kprintf(": %s, level %u%s", fsc_name((uint32_t)f->esr & 0x3f),
			(unsigned int)(f->esr & 3), abort_access(ec, f->esr));
	kprintf("\nkairos:   ESR 0x%08llx  ELR 0x%016llx  FAR 0x%016llx\n",
		(unsigned long long)f->esr, (unsigned long long)f->elr,
		(unsigned long long)f->far);
	kprintf("kairos:   SPSR 0x%08llx  SP 0x%016llx\n",
		(unsigned long long)f->spsr, (unsigned long long)f->sp);
	for (unsigned int i = 0; i < 31; i += 2) {
		if (i < 30)
			kprintf("kairos:   x%-2u 0x%016llx  x%-2u 0x%016llx\n",
				i, (unsigned long long)f->x[i], i + 1,
				(unsigned long long)f->x[i + 1]);
		else
			kprintf("kairos:   x30 0x%016llx\n",
				(unsigned long long)f->x[30]);
	}
	kprintf("kairos: CPU%u stopped\n", id);
	arch_cpu_halt();
}
