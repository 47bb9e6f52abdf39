// SPDX-License-Identifier: MIT
/*
 * The device tree of a "virt"-profile guest, written with libfdt's
 * sequential-write calls. Nodes and values follow what QEMU's virt machine
 * (hw/arm/virt.c) gives a guest, less the devices Kairos does not model
 * (PCIe, fw-cfg, RTC, GPIO and its keys, the platform bus), so a guest
 * kernel built for QEMU virt finds what it expects. The output depends on
 * @p only.
 */
#include <kairos/compiler.h>
#include <kairos/guest_dtb.h>
#include <kairos/profile_virt.h>
#include <kairos/vcpu_state.h>
#include <kairos/vpci.h>
#include <libfdt.h>
#include <stdio.h>
#include <string.h>

/* Phandles are fixed: nothing else is in the tree to collide with. */
#define PHANDLE_GIC 1U
#define PHANDLE_CLK 2U

/* GIC binding: specifier <type number flags>. */
#define GIC_SPI 0U
#define GIC_PPI 1U
#define IRQ_EDGE_RISING 1U
#define IRQ_LEVEL_HIGH 4U
/* GICv2 PPIs also carry the mask of CPUs they are wired to, bits 15:8. */
#define GIC_PPI_CPUS_SHIFT 8

/* MPIDR_EL1 affinity: Aff3 (39:32) and Aff2..Aff0 (23:0). */
#define MPIDR_AFF_MASK 0xff00ffffffULL
#define MPIDR_AFF3_MASK 0xff00000000ULL

/* PSCI 0.1 function IDs QEMU writes for "arm,psci" (Arm DEN0022 §5.1). */
#define PSCI_CPU_SUSPEND 0xc4000001U
#define PSCI_CPU_OFF 0x84000002U
#define PSCI_CPU_ON 0xc4000003U
#define PSCI_MIGRATE 0xc4000005U

#define APB_PCLK_HZ 24000000U

/* The first libfdt error of a sequence of calls, or 0. */
struct fdt_w {
	void *fdt;
	int err;
};

static void w_check(struct fdt_w *w, int r)
{
	if (r < 0 && !w->err)
		w->err = r;
}

static void w_begin(struct fdt_w *w, const char *name)
{
	if (!w->err)
		w_check(w, fdt_begin_node(w->fdt, name));
}

static void w_end(struct fdt_w *w)
{
	if (!w->err)
		w_check(w, fdt_end_node(w->fdt));
}

static void w_prop(struct fdt_w *w, const char *name, const void *val,
		   size_t len)
{
	if (!w->err)
		w_check(w, fdt_property(w->fdt, name, val, (int)len));
}

/* libfdt's fdt_property() would memcpy() from NULL for an empty value. */
static void w_empty(struct fdt_w *w, const char *name)
{
	void *val;

	if (!w->err)
		w_check(w, fdt_property_placeholder(w->fdt, name, 0, &val));
}

static void w_str(struct fdt_w *w, const char *name, const char *s)
{
	w_prop(w, name, s, strlen(s) + 1);
}

/* A string list written as one C literal with embedded NULs. */
#define w_strs(w, name, lit) w_prop(w, name, lit, sizeof(lit))

static void w_u32(struct fdt_w *w, const char *name, uint32_t v)
{
	fdt32_t c = cpu_to_fdt32(v);

	w_prop(w, name, &c, sizeof(c));
}

static void w_u64(struct fdt_w *w, const char *name, uint64_t v)
{
	fdt64_t c = cpu_to_fdt64(v);

	w_prop(w, name, &c, sizeof(c));
}

static void w_cells(struct fdt_w *w, const char *name, const uint32_t *v,
		    size_t n)
{
	fdt32_t c[16];

	if (n > ARRAY_SIZE(c)) {
		w_check(w, -FDT_ERR_INTERNAL);
		return;
	}
	for (size_t i = 0; i < n; i++)
		c[i] = cpu_to_fdt32(v[i]);
	w_prop(w, name, c, n * sizeof(c[0]));
}

/* A reg entry of 2 + 2 cells, @n of them from @base/@size pairs. */
static void w_reg(struct fdt_w *w, const uint64_t *pairs, size_t n)
{
	uint32_t c[16];

	if (n > ARRAY_SIZE(c) / 4) {
		w_check(w, -FDT_ERR_INTERNAL);
		return;
	}
	for (size_t i = 0; i < 2 * n; i++) {
		c[2 * i] = (uint32_t)(pairs[i] >> 32);
		c[2 * i + 1] = (uint32_t)pairs[i];
	}
	w_cells(w, "reg", c, 4 * n);
}

static void w_name(struct fdt_w *w, const char *node, uint64_t addr)
{
	char name[32];

	snprintf(name, sizeof(name), "%s@%llx", node, (unsigned long long)addr);
	w_begin(w, name);
}

static void add_chosen(struct fdt_w *w, const struct guest_dtb_params *p,
		       const char *uart)
{
	w_begin(w, "chosen");
	w_str(w, "stdout-path", uart);
	if (p->bootargs && p->bootargs[0])
		w_str(w, "bootargs", p->bootargs);
	if (p->initrd_size) {
		w_u64(w, "linux,initrd-start", p->initrd_ipa);
		w_u64(w, "linux,initrd-end", p->initrd_ipa + p->initrd_size);
	}
	/* The PCI functions' BARs are placed: Linux must not move them. */
	if (p->nr_shmem)
		w_u32(w, "linux,pci-probe-only", 1);
	w_end(w);
	w_begin(w, "aliases");
	w_str(w, "serial0", uart);
	w_end(w);
}

static void add_memory(struct fdt_w *w, const struct guest_dtb_params *p)
{
	const uint64_t reg[] = { p->mem_ipa, p->mem_size };

	w_name(w, "memory", p->mem_ipa);
	w_str(w, "device_type", "memory");
	w_reg(w, reg, 1);
	w_end(w);
}

static void add_cpus(struct fdt_w *w, const struct guest_dtb_params *p)
{
	bool aff3 = false;

	for (unsigned int i = 0; i < p->nr_vcpus; i++)
		aff3 |= (p->vcpu_mpidr[i] & MPIDR_AFF3_MASK) != 0;
	w_begin(w, "cpus");
	w_u32(w, "#address-cells", aff3 ? 2 : 1);
	w_u32(w, "#size-cells", 0);
	for (unsigned int i = 0; i < p->nr_vcpus; i++) {
		uint64_t mpidr = p->vcpu_mpidr[i] & MPIDR_AFF_MASK;

		w_name(w, "cpu", mpidr);
		w_str(w, "device_type", "cpu");
		w_str(w, "compatible", "arm,armv8");
		if (aff3)
			w_u64(w, "reg", mpidr);
		else
			w_u32(w, "reg", (uint32_t)mpidr);
		w_str(w, "enable-method", "psci");
		w_end(w);
	}
	w_end(w);
	w_begin(w, "psci");
	w_strs(w, "compatible", "arm,psci-1.0\0arm,psci-0.2\0arm,psci");
	w_str(w, "method", "hvc");
	w_u32(w, "cpu_suspend", PSCI_CPU_SUSPEND);
	w_u32(w, "cpu_off", PSCI_CPU_OFF);
	w_u32(w, "cpu_on", PSCI_CPU_ON);
	w_u32(w, "migrate", PSCI_MIGRATE);
	w_end(w);
}

/*
 * QEMU says level-high for the timer PPIs (virt-2.9 and later; the timers
 * are level-sensitive, Arm ARM D11.2.4) and, on a GICv2, the CPUs each PPI
 * is wired to.
 */
static void add_timer(struct fdt_w *w, const struct guest_dtb_params *p)
{
	uint32_t f = IRQ_LEVEL_HIGH;
	uint32_t irqs[12];
	static const uint32_t ppi[] = { 13, 14, 11, 10 };

	if (p->gic_version == 2)
		f |= ((1U << p->nr_vcpus) - 1) << GIC_PPI_CPUS_SHIFT;
	for (size_t i = 0; i < ARRAY_SIZE(ppi); i++) {
		irqs[3 * i] = GIC_PPI;
		irqs[3 * i + 1] = ppi[i];
		irqs[3 * i + 2] = f;
	}
	w_begin(w, "timer");
	w_strs(w, "compatible", "arm,armv8-timer\0arm,armv7-timer");
	w_cells(w, "interrupts", irqs, ARRAY_SIZE(irqs));
	w_empty(w, "always-on");
	if (p->timer_freq)
		w_u32(w, "clock-frequency", (uint32_t)p->timer_freq);
	w_end(w);
}

/*
 * The PMU as QEMU describes it: its overflow interrupt PPI 7 (INTID 23,
 * VCPU_PMU_INTID), level-high, on a GICv2 with the CPUs it is wired to.
 */
static void add_pmu(struct fdt_w *w, const struct guest_dtb_params *p)
{
	uint32_t irq[3] = { GIC_PPI, VCPU_PMU_INTID - 16, IRQ_LEVEL_HIGH };

	if (!p->pmu)
		return;
	if (p->gic_version == 2)
		irq[2] |= ((1U << p->nr_vcpus) - 1) << GIC_PPI_CPUS_SHIFT;
	w_begin(w, "pmu");
	w_str(w, "compatible", "arm,armv8-pmuv3");
	w_cells(w, "interrupts", irq, ARRAY_SIZE(irq));
	w_end(w);
}

static void add_gic(struct fdt_w *w, const struct guest_dtb_params *p)
{
	/* The maintenance PPI, as QEMU gives it (no CPU mask, also on v2). */
	const uint32_t maint[] = { GIC_PPI, VIRT_GIC_MAINT_INTID - 16,
				   IRQ_LEVEL_HIGH };
	const uint64_t v3[] = { VIRT_GICD, VIRT_GICD_SIZE, VIRT_GICR,
				VIRT_GICR_STRIDE * p->nr_vcpus };
	const uint64_t v2[] = { VIRT_GICD, VIRT_GICD_SIZE, VIRT_GICC,
				VIRT_GICC_SIZE };

	w_name(w, "intc", VIRT_GICD);
	if (p->gic_version == 3) {
		w_str(w, "compatible", "arm,gic-v3");
		w_reg(w, v3, 2);
		w_u32(w, "#redistributor-regions", 1);
	} else {
		w_str(w, "compatible", "arm,cortex-a15-gic");
		w_reg(w, v2, 2);
	}
	w_u32(w, "#interrupt-cells", 3);
	w_empty(w, "interrupt-controller");
	w_u32(w, "#address-cells", 2);
	w_u32(w, "#size-cells", 2);
	w_empty(w, "ranges");
	w_cells(w, "interrupts", maint, ARRAY_SIZE(maint));
	w_u32(w, "phandle", PHANDLE_GIC);
	w_end(w);
}

static void add_uart(struct fdt_w *w)
{
	const uint64_t reg[] = { VIRT_UART, VIRT_UART_SIZE };
	const uint32_t irq[] = { GIC_SPI, VIRT_UART_INTID - 32,
				 IRQ_LEVEL_HIGH };
	const uint32_t clks[] = { PHANDLE_CLK, PHANDLE_CLK };

	w_begin(w, "apb-pclk");
	w_str(w, "compatible", "fixed-clock");
	w_u32(w, "#clock-cells", 0);
	w_u32(w, "clock-frequency", APB_PCLK_HZ);
	w_str(w, "clock-output-names", "clk24mhz");
	w_u32(w, "phandle", PHANDLE_CLK);
	w_end(w);
	w_name(w, "pl011", VIRT_UART);
	w_strs(w, "compatible", "arm,pl011\0arm,primecell");
	w_reg(w, reg, 1);
	w_cells(w, "interrupts", irq, ARRAY_SIZE(irq));
	w_cells(w, "clocks", clks, ARRAY_SIZE(clks));
	w_strs(w, "clock-names", "uartclk\0apb_pclk");
	w_end(w);
}

static void add_flash(struct fdt_w *w)
{
	const uint64_t reg[] = { VIRT_FLASH0, VIRT_FLASH_SIZE, VIRT_FLASH1,
				 VIRT_FLASH_SIZE };

	w_name(w, "flash", VIRT_FLASH0);
	w_str(w, "compatible", "cfi-flash");
	w_reg(w, reg, 2);
	w_u32(w, "bank-width", 4);
	w_end(w);
}

/*
 * The virtio-mmio transports, as QEMU lists them (in address order, each
 * with its own edge-triggered SPI). None has a device: a guest that probes
 * one reads DeviceID 0 and leaves it (core/vdev/virtio_mmio.c).
 */
static void add_virtio(struct fdt_w *w)
{
	for (unsigned int i = 0; i < VIRT_VIRTIO_COUNT; i++) {
		const uint64_t reg[] = { VIRT_VIRTIO + i * VIRT_VIRTIO_SIZE,
					 VIRT_VIRTIO_SIZE };
		const uint32_t irq[] = { GIC_SPI, VIRT_VIRTIO_INTID - 32 + i,
					 IRQ_EDGE_RISING };

		w_name(w, "virtio_mmio", reg[0]);
		w_empty(w, "dma-coherent");
		w_cells(w, "interrupts", irq, ARRAY_SIZE(irq));
		w_reg(w, reg, 1);
		w_str(w, "compatible", "virtio,mmio");
		w_end(w);
	}
}

/*
 * Shared-memory regions (docs/shmem.md): each kept out of the guest's
 * allocator (reserved-memory, no-map: it lies outside the memory node
 * anyway, but a guest that sizes RAM from the highest address it is told
 * about must not take it), and a node that Linux's uio_pdrv_genirq binds
 * when loaded with of_id=generic-uio: map0 is the doorbell page, map1 the
 * region, and the region's SPI its interrupt.
 */
static void add_shmem(struct fdt_w *w, const struct guest_dtb_params *p)
{
	char name[32];

	if (!p->nr_shmem)
		return;
	w_begin(w, "reserved-memory");
	w_u32(w, "#address-cells", 2);
	w_u32(w, "#size-cells", 2);
	w_empty(w, "ranges");
	for (unsigned int k = 0; k < p->nr_shmem; k++) {
		const uint64_t reg[] = { ipa_addr(p->shmem[k].ipa),
					 p->shmem[k].size };

		w_name(w, "shmem", reg[0]);
		w_reg(w, reg, 1);
		w_empty(w, "no-map");
		w_end(w);
	}
	w_end(w);
	for (unsigned int k = 0; k < p->nr_shmem; k++) {
		const struct vm_shmem *m = &p->shmem[k];
		const uint64_t reg[] = {
			VIRT_SHMEM_DOORBELL +
				m->region * VIRT_SHMEM_DOORBELL_SIZE,
			VIRT_SHMEM_DOORBELL_SIZE, ipa_addr(m->ipa), m->size
		};
		const uint32_t irq[] = { GIC_SPI,
					 VIRT_SHMEM_INTID - 32 + m->region,
					 IRQ_EDGE_RISING };

		w_name(w, "shmem-doorbell", reg[0]);
		w_str(w, "compatible", "generic-uio");
		w_reg(w, reg, 2);
		w_cells(w, "interrupts", irq, ARRAY_SIZE(irq));
		snprintf(name, sizeof(name), "kairos-shmem%u", m->region);
		w_str(w, "linux,uio-name", name);
		w_u32(w, "kairos,doorbell-index", m->index);
		if (m->ro)
			w_empty(w, "kairos,read-only");
		w_end(w);
	}
}

/* PCI address space codes of a ranges entry (IEEE 1275 PCI binding). */
#define PCI_SPACE_MEM32 0x02000000U
#define PCI_SPACE_MEM64_PREF 0x43000000U

/* A ranges entry mapping @size bytes at @addr 1:1 in space @space. */
static size_t pci_range(uint32_t *c, uint32_t space, uint64_t addr,
			uint64_t size)
{
	const uint32_t e[] = { space,          (uint32_t)(addr >> 32),
			       (uint32_t)addr, (uint32_t)(addr >> 32),
			       (uint32_t)addr, (uint32_t)(size >> 32),
			       (uint32_t)size };

	memcpy(c, e, sizeof(e));
	return ARRAY_SIZE(e);
}

/*
 * The ranges of the PCI host: a 32-bit window over the doorbell pages
 * (every function's BAR0) and one over each region a BAR describes, so
 * that a probe-only Linux claims the BARs where they are.
 */
static void add_pci_ranges(struct fdt_w *w, const struct guest_dtb_params *p)
{
	uint32_t c[7 * (1 + KAIROS_MAX_SHMEM)];
	size_t n = pci_range(c, PCI_SPACE_MEM32, VIRT_SHMEM_DOORBELL,
			     VIRT_SHMEM_DOORBELL_SIZE * KAIROS_MAX_SHMEM);

	for (unsigned int k = 0; k < p->nr_shmem; k++) {
		const struct vm_shmem *m = &p->shmem[k];

		if (vpci_bar2_ok(m))
			n += pci_range(c + n,
				       vpci_bar2_64(m) ? PCI_SPACE_MEM64_PREF :
							 PCI_SPACE_MEM32,
				       ipa_addr(m->ipa), m->size);
	}
	for (size_t i = 0; i < n; i++)
		c[i] = cpu_to_fdt32(c[i]);
	w_prop(w, "ranges", c, n * sizeof(c[0]));
}

/* INTA of region r's device (r) is level SPI VIRT_PCI_INTX_INTID + r. */
static void add_pci_irqs(struct fdt_w *w, const struct guest_dtb_params *p)
{
	const uint32_t mask[] = { 0xf800, 0, 0, 7 };
	uint32_t c[10 * KAIROS_MAX_SHMEM];
	size_t n = 0;

	for (unsigned int k = 0; k < p->nr_shmem; k++) {
		unsigned int r = p->shmem[k].region;
		const uint32_t e[] = { VPCI_DEVFN(r) << 8,
				       0,
				       0,
				       1,
				       PHANDLE_GIC,
				       0,
				       0,
				       GIC_SPI,
				       VIRT_PCI_INTX_INTID - 32 + r,
				       IRQ_LEVEL_HIGH };

		for (size_t i = 0; i < ARRAY_SIZE(e); i++)
			c[n++] = cpu_to_fdt32(e[i]);
	}
	w_prop(w, "interrupt-map", c, n * sizeof(c[0]));
	w_cells(w, "interrupt-map-mask", mask, ARRAY_SIZE(mask));
}

/*
 * The PCI host bridge of a region's participant (core/vdev/vpci.c): bus 0
 * only, a function per region (docs/shmem.md), for Linux's generic ECAM
 * host driver and uio_pci_generic.
 */
static void add_pci(struct fdt_w *w, const struct guest_dtb_params *p)
{
	const uint64_t reg[] = { VIRT_PCI_ECAM, VIRT_PCI_ECAM_SIZE };
	const uint32_t bus_range[] = { 0, 0 };

	if (!p->nr_shmem)
		return;
	w_name(w, "pcie", VIRT_PCI_ECAM);
	w_str(w, "compatible", "pci-host-ecam-generic");
	w_str(w, "device_type", "pci");
	w_reg(w, reg, 1);
	w_cells(w, "bus-range", bus_range, ARRAY_SIZE(bus_range));
	w_u32(w, "linux,pci-domain", 0);
	w_u32(w, "#address-cells", 3);
	w_u32(w, "#size-cells", 2);
	w_u32(w, "#interrupt-cells", 1);
	w_empty(w, "dma-coherent");
	add_pci_ranges(w, p);
	add_pci_irqs(w, p);
	w_end(w);
}

/* A passthrough device, described as the board describes it. */
static void add_devices(struct fdt_w *w, const struct guest_dtb_params *p)
{
	for (unsigned int k = 0; k < p->nr_devices; k++) {
		const struct vm_device *d = &p->devices[k];
		const uint64_t reg[] = { pa_addr(d->reg.base), d->reg.size };
		const uint32_t irq[] = { GIC_SPI, d->dt.intid - 32,
					 IRQ_LEVEL_HIGH };
		const uint32_t clk = PHANDLE_CLK;

		w_name(w, "dev", reg[0]);
		w_prop(w, "compatible", d->dt.compat, d->dt.compat_len);
		w_reg(w, reg, 1);
		if (d->dt.intid >= 32)
			w_cells(w, "interrupts", irq, ARRAY_SIZE(irq));
		if (d->dt.primecell) {
			w_cells(w, "clocks", &clk, 1);
			w_str(w, "clock-names", "apb_pclk");
		}
		w_end(w);
	}
}

enum kairos_err guest_dtb_build(void *buf, size_t len,
				const struct guest_dtb_params *p)
{
	struct fdt_w w = { buf, 0 };
	char uart[32];

	/* The caller built @p from a checked config: these cannot happen. */
	if (p->nr_vcpus < 1 || p->nr_vcpus > KAIROS_MAX_VCPUS ||
	    (p->gic_version != 2 && p->gic_version != 3) ||
	    p->timer_freq > UINT32_MAX)
		return KAIROS_ERR_MALFORMED;
	if (len > INT32_MAX)
		len = INT32_MAX;
	snprintf(uart, sizeof(uart), "/pl011@%lx", VIRT_UART);
	/*
	 * Property names are not de-duplicated: libfdt's search for an equal
	 * name tries every byte of the strings block for every property,
	 * which made this tree cost about a million instructions at every
	 * boot and reset; the few repeated names cost a few KiB instead.
	 */
	w_check(&w, fdt_create_with_flags(buf, (int)len,
					  FDT_CREATE_FLAG_NO_NAME_DEDUP));
	if (!w.err)
		w_check(&w, fdt_finish_reservemap(buf));
	w_begin(&w, "");
	w_str(&w, "compatible", "linux,dummy-virt");
	w_str(&w, "model", "linux,dummy-virt");
	w_u32(&w, "#address-cells", 2);
	w_u32(&w, "#size-cells", 2);
	w_u32(&w, "interrupt-parent", PHANDLE_GIC);
	add_chosen(&w, p, uart);
	add_memory(&w, p);
	add_cpus(&w, p);
	add_timer(&w, p);
	add_pmu(&w, p);
	add_gic(&w, p);
	add_uart(&w);
	add_flash(&w);
	add_virtio(&w);
	add_devices(&w, p);
	add_shmem(&w, p);
	add_pci(&w, p);
	w_end(&w);
	if (!w.err)
		w_check(&w, fdt_finish(buf));
	if (w.err == -FDT_ERR_NOSPACE)
		return KAIROS_ERR_LIMIT;
	return w.err ? KAIROS_ERR_MALFORMED : KAIROS_OK;
}
