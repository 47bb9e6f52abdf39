// SPDX-License-Identifier: MIT
/*
 * The fake arch_vcpu_run(): one scripted guest run (fake_vcpu_push()),
 * around which the list registers are filled and folded and the timer
 * line re-sampled exactly as arch/aarch64/vcpu.c does. Apart from the
 * rest of arch/fake because it calls core/vgic.c and core/vtimer.c: only
 * the tests that link those link this.
 */
#include <arch/vgic_hw.h>
#include <kairos/ptimer.h>
#include <kairos/vgic.h>
#include <kairos/vm.h>
#include <kairos/vtimer.h>

#include "fake_priv.h"

enum vcpu_exit arch_vcpu_run(struct vcpu *v)
{
	struct vgic_lr lrs[VGIC_MAX_LRS];
	struct fake_step s;
	bool underflow;
	unsigned int n;

	if (!fake_vcpu_enter(v, &s))
		return VCPU_EXIT_RESCHED;
	/* T2: the line is derived before every entry, not only at load. */
	vtimer_entry(v);
	ptimer_sync(v);
	n = vgic_fill_lrs(v, lrs, arch_vgic_nr_lrs(), &underflow);
	arch_vgic_write_lrs(lrs, n, underflow);
	vgic_sync_hw(v);
	vtimer_guard(v, lrs, n);
	fake_vcpu_guest(v, &s);
	vgic_fold_lrs(v, lrs, n, arch_vgic_read_lrs(lrs, n));
	vtimer_sync(v);
	ptimer_sync(v);
	v->exits++;
	if (s.fn)
		s.fn(v, s.arg);
	return s.e;
}
