// SPDX-License-Identifier: MIT
/* gictest's shared helpers. */
#include "gictest.h"

static struct {
	gt_body_t body;
	uint32_t private;
	uint32_t up[LG_MAX_CPUS];
	uint32_t stop;
	gt_fn_t call[LG_MAX_CPUS];
	uint32_t posted[LG_MAX_CPUS];
	uint32_t served[LG_MAX_CPUS];
} gt;

void gt_kick_handler(struct gic_irq *irq, void *arg)
{
	(void)irq;
	(void)arg;
}

unsigned int gt_spi(unsigned int k)
{
	return gic_nr_intids() - 32 + k;
}

unsigned int gt_ncpus(unsigned int def)
{
	uint64_t n = def;

	board_arg_u64("ncpus", &n);
	if (n > board_cpu_count())
		n = board_cpu_count();
	return (unsigned int)n;
}

static void gt_secondary(void *arg)
{
	unsigned int cpu = cpu_index();

	(void)arg;
	gic_cpu_init();
	gic_set_enable(GT_SGI_KICK, true);
	gt_enable_private(gt.private);
	gt_store(&gt.up[cpu], 1);
	gt.body(cpu);
	irq_mask();
}

void gt_enable_private(uint32_t private)
{
	for (unsigned int i = 0; i < GIC_SPI_BASE; i++) {
		if (private & (1U << i))
			gic_set_enable(i, true);
	}
}

bool gt_start(unsigned int n, uint32_t private, gt_body_t body)
{
	gt.body = body;
	gt.private = private;
	gt_store(&gt.stop, 0);
	for (unsigned int i = 1; i < n; i++) {
		int32_t ret;

		gt_store(&gt.up[i], 0);
		gt.posted[i] = gt.served[i] = 0;
		ret = cpu_start(i, gt_secondary, NULL);
		if (ret != PSCI_RET_SUCCESS) {
			test_fail("CPU_ON of CPU%u: %d", i, (int)ret);
			return false;
		}
	}
	for (unsigned int i = 1; i < n; i++) {
		if (!gt_wait_ge(&gt.up[i], 1, GT_TIMEOUT_US)) {
			test_fail("CPU%u did not come up", i);
			return false;
		}
	}
	return true;
}

static bool gt_is_off(void *arg)
{
	unsigned int cpu = (unsigned int)(uintptr_t)arg;

	return psci_affinity_info(board_cpu_mpidr(cpu)) == PSCI_AFF_OFF;
}

void gt_finish(unsigned int n)
{
	gt_store(&gt.stop, 1);
	for (unsigned int i = 1; i < n; i++)
		gic_send_sgi(i, GT_SGI_KICK);
	sev();
	for (unsigned int i = 1; i < n; i++) {
		if (!time_wait_for(gt_is_off, (void *)(uintptr_t)i,
				   GT_TIMEOUT_US))
			test_abort("a secondary CPU did not stop");
	}
}

bool gt_stopping(void)
{
	return gt_load(&gt.stop) != 0;
}

bool gt_idle_until(bool (*cond)(void *arg), void *arg)
{
	bool ok;

	/* Checked with IRQs masked, so a kick between the check and the WFI
	 * still wakes it (WFI wakes on a pending IRQ even when masked). */
	irq_mask();
	while (!(ok = cond && cond(arg)) && !gt_stopping()) {
		__asm__ volatile("wfi" ::: "memory");
		irq_unmask();
		isb();
		irq_mask();
	}
	return ok;
}

bool gt_wait_ge(const uint32_t *p, uint32_t want, uint64_t us)
{
	uint64_t end = time_us() + us;

	while (gt_load(p) < want) {
		if (time_us() >= end)
			return gt_load(p) >= want;
		__asm__ volatile("yield");
	}
	return true;
}

static bool gt_has_call(void *arg)
{
	unsigned int cpu = (unsigned int)(uintptr_t)arg;

	return gt_load(&gt.posted[cpu]) != gt.served[cpu];
}

void gt_serve(unsigned int cpu)
{
	while (gt_idle_until(gt_has_call, (void *)(uintptr_t)cpu)) {
		uint32_t seq = gt_load(&gt.posted[cpu]);

		gt.call[cpu]();
		gt_store(&gt.served[cpu], seq);
	}
}

void gt_call(unsigned int cpu, gt_fn_t fn)
{
	gt.call[cpu] = fn;
	gt_store(&gt.posted[cpu], gt.posted[cpu] + 1);
	gic_send_sgi(cpu, GT_SGI_KICK);
}

bool gt_call_wait(unsigned int cpu)
{
	if (gt_wait_ge(&gt.served[cpu], gt_load(&gt.posted[cpu]),
		       GT_TIMEOUT_US))
		return true;
	test_fail("CPU%u did not run its call", cpu);
	return false;
}

bool gt_native(void)
{
	return board_arg("native", NULL, 0);
}
