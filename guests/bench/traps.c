// SPDX-License-Identifier: MIT
/* Round trips through the hypervisor: an HVC, and a trapped MMIO read. */
#include "bench.h"

/* PSCI_VERSION over HVC: issue to return. */
TEST(hvc)
{
	struct bench_samples s = { .n = 0 };
	unsigned int n = bench_nsamples();

	if (!bench_setup(false))
		return;
	for (unsigned int i = 0; i <= n; i++) {
		uint64_t ticks;
		uint64_t ver = bench_hvc_version(&ticks);

		EXPECT(ver >= 0x2 && ver <= 0xffffffffU,
		       "PSCI_VERSION returned 0x%llx", (unsigned long long)ver);
		if (i > 0)
			bench_record(&s, ticks);
	}
	bench_report("hvc_roundtrip", &s);
}

/* One 32-bit read of GICD_TYPER (a register of the emulated distributor). */
TEST(mmio)
{
	struct bench_samples s = { .n = 0 };
	unsigned int n = bench_nsamples();
	uintptr_t reg;
	uint32_t first = 0;

	if (!bench_setup(false))
		return;
	reg = gic_dist_base() + GICD_TYPER;
	for (unsigned int i = 0; i <= n; i++) {
		uint64_t ticks;
		uint32_t v = bench_mmio_read32(reg, &ticks);

		if (i == 0)
			first = v;
		EXPECT(v == first, "GICD_TYPER read 0x%x, then 0x%x", first, v);
		if (i > 0)
			bench_record(&s, ticks);
	}
	bench_report("mmio_gicd_read", &s);
}
