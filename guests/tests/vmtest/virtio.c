// SPDX-License-Identifier: MIT
/*
 * virtio_mmio: the 32 virtio-mmio transports of QEMU virt, with no device
 * behind them, as an unmodified guest probes them: at their fixed
 * addresses, and as the DTB lists them. Each answers MagicValue "virt",
 * one version for all, DeviceID 0 (no device) and VendorID "QEMU"; every
 * other register reads zero and writes change nothing. Every value read is
 * printed ("# virtio ..."), so a host test can compare them with QEMU's.
 */
#include <libfdt.h>
#include <libguest.h>
#include <stdio.h>

#define VIRTIO_BASE 0x0a000000UL
#define VIRTIO_SIZE 0x200UL
#define VIRTIO_COUNT 32U

#define REG_MAGIC 0x000
#define REG_VERSION 0x004
#define REG_DEVICE 0x008
#define REG_VENDOR 0x00c
#define REG_GUEST_PAGE_SIZE 0x028
#define REG_QUEUE_SEL 0x030
#define REG_STATUS 0x070

#define MAGIC_VIRT 0x74726976U  /* "virt" */
#define VENDOR_QEMU 0x554d4551U /* "QEMU" */

/* OR of every register of the transport at @base past VendorID. */
static uint32_t rest_of(uintptr_t base)
{
	uint32_t any = 0;

	for (uintptr_t off = 0x010; off < VIRTIO_SIZE; off += 4)
		any |= mmio_read32(base + off);
	return any;
}

/* One transport's identity; false (the test failed) if it is wrong. */
static bool check_transport(unsigned int i, uint32_t *version)
{
	uintptr_t base = VIRTIO_BASE + i * VIRTIO_SIZE;
	uint32_t magic = mmio_read32(base + REG_MAGIC);
	uint32_t ver = mmio_read32(base + REG_VERSION);
	uint32_t dev = mmio_read32(base + REG_DEVICE);
	uint32_t vendor = mmio_read32(base + REG_VENDOR);
	uint32_t rest = rest_of(base);

	printf("# virtio %u at 0x%lx: magic 0x%x version %u device %u vendor 0x%x rest 0x%x\n",
	       i, (unsigned long)base, magic, ver, dev, vendor, rest);
	if (!i)
		*version = ver;
	if (magic != MAGIC_VIRT || dev || vendor != VENDOR_QEMU || rest ||
	    (ver != 1 && ver != 2) || ver != *version) {
		test_fail(
			"transport %u at 0x%lx: magic 0x%x version %u device %u vendor 0x%x rest 0x%x",
			i, (unsigned long)base, magic, ver, dev, vendor, rest);
		return false;
	}
	return true;
}

/* What a driver writes when it probes and resets; nothing may stick. */
static bool writes_ignored(unsigned int i)
{
	uintptr_t base = VIRTIO_BASE + i * VIRTIO_SIZE;
	uint32_t status, magic;

	mmio_write32(base + REG_GUEST_PAGE_SIZE, 4096);
	mmio_write32(base + REG_QUEUE_SEL, 1);
	mmio_write32(base + REG_STATUS, 0xf);
	mmio_write32(base + REG_MAGIC, 0);
	status = mmio_read32(base + REG_STATUS);
	magic = mmio_read32(base + REG_MAGIC);
	if (status || magic != MAGIC_VIRT || rest_of(base)) {
		test_fail("transport %u kept a write: status 0x%x magic 0x%x",
			  i, status, magic);
		return false;
	}
	return true;
}

/* Narrow and wide loads of the first transport, for comparison. */
static void print_widths(void)
{
	printf("# virtio widths: ldrb 0x%x ldrb+1 0x%x ldrh 0x%x ldrh+2 0x%x ldr x 0x%llx ldr x+8 0x%llx\n",
	       mmio_read8(VIRTIO_BASE), mmio_read8(VIRTIO_BASE + 1),
	       mmio_read16(VIRTIO_BASE), mmio_read16(VIRTIO_BASE + 2),
	       (unsigned long long)mmio_read64(VIRTIO_BASE),
	       (unsigned long long)mmio_read64(VIRTIO_BASE + 8));
}

/* Print one "virtio,mmio" node: reg, interrupts, dma-coherent. */
static void print_node(const void *fdt, int node)
{
	const fdt32_t *reg, *irq;
	int rlen, ilen;

	reg = fdt_getprop(fdt, node, "reg", &rlen);
	irq = fdt_getprop(fdt, node, "interrupts", &ilen);
	printf("# virtio dtb %s:", fdt_get_name(fdt, node, NULL));
	for (int k = 0; reg && k < rlen / 4; k++)
		printf(" 0x%x", fdt32_ld(&reg[k]));
	printf(" irq");
	for (int k = 0; irq && k < ilen / 4; k++)
		printf(" %u", fdt32_ld(&irq[k]));
	printf("%s\n", fdt_getprop(fdt, node, "dma-coherent", NULL) ?
			       " dma-coherent" :
			       "");
}

/* The transports the DTB lists, in its order; their number. */
static unsigned int print_dtb(void)
{
	const void *fdt = board_dtb();
	unsigned int n = 0;

	for (int node = fdt_node_offset_by_compatible(fdt, -1, "virtio,mmio");
	     node >= 0;
	     node = fdt_node_offset_by_compatible(fdt, node, "virtio,mmio")) {
		print_node(fdt, node);
		n++;
	}
	return n;
}

TEST(virtio_mmio)
{
	uint32_t version = 0;
	unsigned int listed;

	for (unsigned int i = 0; i < VIRTIO_COUNT; i++)
		if (!check_transport(i, &version))
			return;
	for (unsigned int i = 0; i < VIRTIO_COUNT; i++)
		if (!writes_ignored(i))
			return;
	print_widths();
	listed = print_dtb();
	EXPECT(listed == VIRTIO_COUNT,
	       "the DTB lists %u virtio,mmio transports, not %u", listed,
	       VIRTIO_COUNT);
}
