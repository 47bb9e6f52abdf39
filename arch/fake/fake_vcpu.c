// SPDX-License-Identifier: MIT
/*
 * The fake world switch and trap decoder: each entry is one scripted
 * guest run (fake_vcpu_push()), and its exit's "handler" is the script's.
 * The loop around them is core/run.c's, the one that ships. Apart from
 * the rest of arch/fake because the run loop it serves calls core/vgic/vgic.c
 * and core/vtimer.c: only the tests that link those link this.
 */
#include <arch/vgic_hw.h>
#include <kairos/vm.h>

#include "fake_priv.h"

/* The run entered last: its exit is being handled. */
static struct fake_step cur;

static enum vexit_result result_of(enum fake_exit e)
{
	switch (e) {
	case FAKE_EXIT_WFI: return VEXIT_WFI;
	case FAKE_EXIT_YIELD: return VEXIT_YIELD;
	case FAKE_EXIT_RESUME: return VEXIT_RESUME;
	default: return VEXIT_RESCHED;
	}
}

void arch_vcpu_enter(struct vcpu *v, struct vcpu_exit *x)
{
	fake_vcpu_enter(v, &cur);
	fake_phase(FAKE_AT_ENTER);
	fake_vcpu_guest(v, &cur);
	x->kind = cur.e == FAKE_EXIT_IRQ ? VCPU_EXIT_IRQ : VCPU_EXIT_TRAP;
	x->syndrome = (uint64_t)cur.e;
	x->va = 0;
	x->ipa_page = 0;
	/* An interrupt exit has no handler: what the script does comes now. */
	if (cur.e == FAKE_EXIT_IRQ && cur.fn)
		cur.fn(v, cur.arg);
}

enum vexit_result arch_vcpu_trap(struct vcpu *v, const struct vcpu_exit *x)
{
	(void)x;
	fake_phase(FAKE_AT_TRAP);
	if (cur.fn)
		cur.fn(v, cur.arg);
	return result_of(cur.e);
}

/* No EL2 fast path: every interrupt is presented at an entry. */
uint64_t arch_vgic_encode_lr(const struct vgic_lr *l)
{
	(void)l;
	return 0;
}

/* The acknowledge trap as the last arch_vgic_trap_ack() left it. */
static bool ack_trap[KAIROS_MAX_CPUS];

void arch_vgic_trap_ack(struct vcpu *v, bool on)
{
	ack_trap[v->pcpu] = on;
}

bool fake_ack_trap_armed(unsigned int pcpu)
{
	return ack_trap[pcpu];
}

bool arch_vgic_ack_trap_hit(struct vcpu *v, uint64_t ipa)
{
	(void)v;
	(void)ipa;
	return false;
}

/* A GIC back end unless a test says the board has none (fake_gic.c). */
bool arch_vgic_cpuif_emulated(void)
{
	return fake_vgic_cpuif_emulated();
}

bool arch_vgic_cpuif_access(struct vcpu *v, uint64_t off, unsigned int len,
			    uint64_t *val, bool write)
{
	(void)v;
	(void)off;
	(void)len;
	if (!write)
		*val = 0;
	return false;
}
