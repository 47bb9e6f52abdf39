// SPDX-License-Identifier: MIT
/*
 * Memory: everything a VM was not given aborts (a synchronous external
 * abort injected, EC 0x25 DFSC 0x10): the board's RAM outside its own
 * (other VMs, Kairos), GIC frames, devices, the top of the IPA space.
 */
#include "hostile.h"

#define SCAN_STEP 0x200000UL
#define SCAN_END_DEFAULT 0x100000000UL
#define KAIROS_TEXT_OFFSET 0x200000UL
#define ARM64_MAGIC_OFFSET 0x38
#define ARM64_MAGIC 0x644d5241U /* "ARM\x64" */

/* Every 2 MiB from the end of this VM's RAM to scan_end=. */
static void host_ram_scan(bool store)
{
	uint64_t end = SCAN_END_DEFAULT, n = 0;
	struct probe p;

	board_arg_u64("scan_end", &end);
	for (uint64_t a = board_ram_end(); a < end; a += SCAN_STEP) {
		if (store)
			probe_str64(a, 0x686f7374696c6521UL, &p);
		else
			probe_ldr64(a, &p);
		if (!want_sea(store ? "str x" : "ldr x", a, &p))
			return;
		n++;
	}
	printf("# %llu addresses 0x%llx-0x%llx, every 0x%lx: all aborted\n",
	       (unsigned long long)n, (unsigned long long)board_ram_end(),
	       (unsigned long long)end, SCAN_STEP);
}

TEST(mem_host_ram_load)
{
	outcome("a load every 2 MiB past this VM's RAM (other VMs, Kairos) takes a synchronous external abort");
	host_ram_scan(false);
}

TEST(mem_host_ram_store)
{
	outcome("a store every 2 MiB past this VM's RAM takes a synchronous external abort; the innocent VM's pattern survives");
	host_ram_scan(true);
}

TEST(mem_kairos_image)
{
	uint64_t a = ram_base() + KAIROS_TEXT_OFFSET;
	volatile uint32_t *w = (volatile uint32_t *)(uintptr_t)a;
	volatile uint64_t *far = (volatile uint64_t *)(uintptr_t)(a + 0x100000);

	outcome("the IPA of Kairos's own image (RAM base + 2 MiB on the board) is this VM's own RAM (its DTB or zeroes), never Kairos's: no arm64 Image header, writes stick");
	EXPECT(w[ARM64_MAGIC_OFFSET / 4] != ARM64_MAGIC,
	       "0x%llx holds an arm64 Image header (Kairos's?)",
	       (unsigned long long)a);
	EXPECT(*far == 0, "0x%llx = 0x%llx: this VM's RAM is not zeroed",
	       (unsigned long long)(a + 0x100000), (unsigned long long)*far);
	*far = 0x600dcafe600dcafeUL;
	EXPECT(*far == 0x600dcafe600dcafeUL,
	       "0x%llx does not keep what was written",
	       (unsigned long long)(a + 0x100000));
	*far = 0;
}

TEST(mem_gic_gich)
{
	outcome("the GICv2 hypervisor interface frame (GICH) is not mapped: every access aborts");
	want_sea_all("GICH", VIRT_GICH);
	want_sea_all("GICH + 0x100 (LRs)", VIRT_GICH + 0x100);
}

TEST(mem_gic_gicv)
{
	outcome("the board's GICV frame at its own address is not mapped: every access aborts");
	want_sea_all("GICV", VIRT_GICV);
	want_sea_all("GICV + 0x1000", VIRT_GICV + 0x1000);
}

TEST(mem_gic_its_v2m)
{
	outcome("the ITS and GICv2m frames are not given: every access aborts");
	want_sea_all("ITS", VIRT_GIC_ITS);
	want_sea_all("ITS translater", VIRT_GIC_ITS + 0x10040);
	want_sea_all("GICv2m", VIRT_GIC_V2M);
}

TEST(mem_gic_cpuif_extra)
{
	gic_init();
	if (gic_version() == 3) {
		outcome("GICv3: no memory-mapped CPU interface (GICC frame) is given: every access aborts");
		want_sea_all("GICC (GICv3)", VIRT_GICC);
		want_sea_all("GICC DIR page (GICv3)", VIRT_GICC + 0x1000);
	} else {
		outcome("GICv2: past the 8 KiB of GICC (GICV + trapped DIR page) nothing is mapped: accesses abort");
		want_sea_all("GICC + 0x2000", VIRT_GICC + 0x2000);
		want_sea_all("GICC + 0xf000", VIRT_GICC + 0xf000);
	}
}

TEST(mem_gicr_past_last)
{
	uint64_t a = VIRT_GICR + board_cpu_count() * VIRT_GICR_FRAME;

	outcome("the redistributor frames past the VM's last vCPU (all of them on GICv2) are not mapped: accesses abort");
	want_sea_all("GICR past the last vCPU", a);
	want_sea_all("GICR SGI frame past the last vCPU", a + 0x10000);
}

TEST(mem_dev_platform)
{
	static const uint64_t devs[] = { VIRT_RTC,          VIRT_FW_CFG,
					 VIRT_GPIO,         VIRT_SECURE_UART,
					 VIRT_SMMU,         VIRT_PLATFORM_BUS,
					 VIRT_UART + 0x1000 };

	outcome("devices of the board not given to the VM (RTC, fw_cfg, GPIO, secure UART, SMMU, platform bus) abort");
	for (unsigned int i = 0; i < ARRAY_SIZE(devs); i++)
		if (!want_sea_all("device", devs[i]))
			return;
}

TEST(mem_dev_virtio)
{
	struct probe p;

	outcome("every virtio-mmio transport answers as QEMU's with no backend (magic \"virt\", device ID 0), read-only: a write changes nothing");
	for (unsigned int i = 0; i < 32; i++) {
		uint64_t base = VIRT_MMIO + 0x200UL * i;

		probe_str32(base + 0x70, 0xf, &p); /* Status: a driver's ACK */
		EXPECT(p.completed, "virtio-mmio %u: a write aborted", i);
		probe_ldr32(base, &p);
		EXPECT(p.completed && p.val == 0x74726976,
		       "virtio-mmio %u magic: 0x%llx", i,
		       (unsigned long long)p.val);
		probe_ldr32(base + 0x8, &p);
		EXPECT(p.completed && p.val == 0,
		       "virtio-mmio %u device ID: %llu", i,
		       (unsigned long long)p.val);
		probe_ldr32(base + 0x70, &p);
		EXPECT(p.completed && p.val == 0,
		       "virtio-mmio %u status after a write: 0x%llx", i,
		       (unsigned long long)p.val);
		if (test_failed())
			return;
	}
}

TEST(mem_dev_pcie)
{
	static const uint64_t regs[] = { VIRT_PCIE_MMIO, VIRT_PCIE_PIO,
					 VIRT_PCIE_ECAM, 0x4010000000UL };

	outcome("PCIe (MMIO, PIO, ECAM low and high) is not given: accesses abort");
	for (unsigned int i = 0; i < ARRAY_SIZE(regs); i++)
		if (!want_sea_all("PCIe", regs[i]))
			return;
}

TEST(mem_ipa_top)
{
	outcome("the last pages below the 39-bit IPA limit abort");
	want_sea_all("last page of the IPA space", 0x7ffffff000UL);
	want_sea_all("last 8 bytes of the IPA space", 0x7ffffffff8UL);
}

TEST(mem_ipa_beyond)
{
	uint64_t parange = read_sysreg(id_aa64mmfr0_el1) & 0xf;
	static const unsigned int bits_of[] = { 32, 36, 40, 42, 44, 48, 52 };
	unsigned int pa_bits = parange < 7 ? bits_of[parange] : 52;
	uint64_t addrs[] = { 1UL << 39, (1UL << 39) + 0x40000000UL,
			     (1UL << pa_bits) - 8 };

	outcome("MMU off, addresses at and past the 39-bit IPA limit (below the CPU's PA size) take a synchronous external abort");
	if (pa_bits <= 39)
		SKIP("the CPU's PA size is %u bits: nothing past 39 bits",
		     pa_bits);
	for (unsigned int i = 0; i < ARRAY_SIZE(addrs); i++) {
		struct probe p = { 0 };
		uint64_t v = 0x1234;

		exc_catch_begin();
		hs_mmuoff_load(addrs[i], &v);
		p.completed = !exc_catch_end(&p.rec);
		p.val = v;
		printf("# MMU off: load at 0x%llx: %s, ESR 0x%llx\n",
		       (unsigned long long)addrs[i],
		       p.completed ? "completed" : "aborted",
		       (unsigned long long)p.rec.esr);
		if (!want_sea("MMU-off load", addrs[i], &p))
			return;
		EXPECT(v == 0x1234, "the aborted load wrote 0x%llx",
		       (unsigned long long)v);
	}
}

TEST(mem_flash_write_ignored)
{
	static const uint64_t banks[] = { VIRT_FLASH0, VIRT_FLASH1,
					  VIRT_FLASH1 - 8 };
	struct probe p;

	outcome("stores to the erased flash banks are ignored: they still read all ones");
	for (unsigned int i = 0; i < ARRAY_SIZE(banks); i++) {
		probe_str64(banks[i], 0, &p);
		EXPECT(p.completed,
		       "store to flash 0x%llx aborted (ESR 0x%llx)",
		       (unsigned long long)banks[i],
		       (unsigned long long)p.rec.esr);
		probe_strb(banks[i] + 1, 0, &p);
		EXPECT(p.completed, "strb to flash 0x%llx aborted",
		       (unsigned long long)banks[i] + 1);
		EXPECT(mmio_read64(banks[i]) == ~0UL,
		       "flash 0x%llx reads 0x%llx after the stores, want all ones",
		       (unsigned long long)banks[i],
		       (unsigned long long)mmio_read64(banks[i]));
	}
}

TEST(mem_ram_alias)
{
	static const uint64_t offs[] = { 0x100000000UL, 0x1000000000UL,
					 0x4000000000UL };

	outcome("this VM's RAM has no alias higher up: RAM base + 4 GiB, 64 GiB, 256 GiB abort");
	for (unsigned int i = 0; i < ARRAY_SIZE(offs); i++)
		if (!want_sea_all("RAM alias", ram_base() + offs[i]))
			return;
}
