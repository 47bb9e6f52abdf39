// SPDX-License-Identifier: MIT
/*
 * The PCI host bridge of a VM that takes part in shared-memory regions
 * (docs/shmem.md, "From Linux user space"): an ECAM window (PCI Express
 * Base 4.0 §7.2.2) for bus 0, where region r's function is device r,
 * function 0, with QEMU's ivshmem IDs. The guest's device tree marks the
 * bus probe-only and its BARs are where Kairos put them:
 *
 *   BAR0      the region's doorbell page (core/vdev/shmem.c serves it)
 *   BAR2(/3)  the region, when a BAR can describe it (kairos/vpci.h)
 *
 * A BAR is read-only: all-ones written to it answers its size mask (the
 * sizing every PCI stack does) until the next write, which restores it.
 * Command keeps Memory Space, Bus Master and Interrupt Disable; Status
 * bit 3 (Interrupt Status) is the doorbell's INTR_STATUS, and the INTx
 * line is high while it is set and Interrupt Disable is clear (PCI Local
 * Bus 3.0 §6.2.2-3): the contract of Linux's pci_check_and_mask_intx(),
 * which uio_pci_generic's interrupt handler uses. Memory Space does not
 * gate the BARs: the doorbell page and the region stay where a guest
 * without PCI finds them.
 *
 * Any width of 1, 2 or 4 bytes, naturally aligned, reaches config space;
 * an absent function reads all-ones and ignores writes (a master abort).
 * Writes of BARs take whole dwords; narrower ones are ignored.
 */
#include <kairos/profile_virt.h>
#include <kairos/spinlock.h>
#include <kairos/vdev.h>
#include <kairos/vpci.h>

#include "vdev_priv.h"

/* Type 0 header dwords (PCI Local Bus 3.0 §6.1). */
#define CFG_ID 0x00
#define CFG_CMD_STATUS 0x04
#define CFG_CLASS_REV 0x08
#define CFG_BAR0 0x10
#define CFG_BAR5 0x24
#define CFG_SUBSYS 0x2c
#define CFG_INT 0x3c

#define CMD_MEMORY (1U << 1)
#define CMD_MASTER (1U << 2)
#define CMD_WRITABLE (CMD_MEMORY | CMD_MASTER | VPCI_CMD_INTX_DISABLE)
_Static_assert(CMD_WRITABLE == SHMEM_PCI_COMMAND_BITS, "checkpointed bits");
#define STATUS_INTX (1U << 3)
#define INT_PIN_INTA 1U

#define BAR_MEM64 0x4U
#define BAR_PREFETCH 0x8U

/* The VM's entry whose function is at @devfn, or -1: nothing there. */
static int fn_entry(const struct vm *vm, unsigned int devfn)
{
	for (unsigned int k = 0; k < vm->cfg->nr_shmem; k++)
		if (VPCI_DEVFN(vm->cfg->shmem[k].region) == devfn)
			return (int)k;
	return -1;
}

/*
 * BAR dword @i of @m: *@mask gets the address bits it decodes (0: not
 * implemented), the result its value as placed.
 */
static uint32_t bar_value(const struct vm_shmem *m, unsigned int i,
			  uint32_t *mask)
{
	uint64_t size_mask = ~(m->size - 1);
	bool is64 = vpci_bar2_64(m);

	*mask = 0;
	if (i == 0) {
		*mask = (uint32_t) ~(VIRT_SHMEM_DOORBELL_SIZE - 1);
		return (uint32_t)vpci_bar0(m);
	}
	if (!vpci_bar2_ok(m) || i < 2 || i > 3 || (i == 3 && !is64))
		return 0;
	if (i == 3) {
		*mask = (uint32_t)(size_mask >> 32);
		return (uint32_t)(ipa_addr(m->ipa) >> 32);
	}
	*mask = (uint32_t)size_mask & ~0xfU;
	return (uint32_t)ipa_addr(m->ipa) |
	       (is64 ? BAR_MEM64 | BAR_PREFETCH : 0);
}

/* What BAR dword @i reads: its value, or its size while sizing. */
static uint32_t bar_read(const struct vm *vm, unsigned int k, unsigned int i)
{
	uint32_t mask;
	uint32_t v = bar_value(&vm->cfg->shmem[k], i, &mask);

	if (mask && vm->pci[k].sizing & (1U << i))
		return mask | (v & 0xfU);
	return v;
}

static uint32_t cfg_read(const struct vm *vm, unsigned int k, unsigned int reg)
{
	const struct vm_pci_fn *f = &vm->pci[k];
	bool intx = __atomic_load_n(&vm->bell_unacked[k], __ATOMIC_RELAXED);

	if (reg >= CFG_BAR0 && reg <= CFG_BAR5)
		return bar_read(vm, k, (reg - CFG_BAR0) / 4);
	switch (reg) {
	case CFG_ID: return VPCI_DEVICE << 16 | VPCI_VENDOR;
	case CFG_CMD_STATUS:
		return f->command | (intx ? STATUS_INTX : 0U) << 16;
	case CFG_CLASS_REV: return VPCI_CLASS << 8 | VPCI_REVISION;
	case CFG_SUBSYS: return VPCI_SUBSYS_ID << 16 | VPCI_SUBSYS_VENDOR;
	case CFG_INT: return INT_PIN_INTA << 8 | f->int_line;
	default: return 0;
	}
}

/* A write of the bytes @bytes (mask of the dword's bits) of dword @reg. */
static void cfg_write(struct vm *vm, unsigned int k, unsigned int reg,
		      uint32_t val, uint32_t bytes)
{
	struct vm_pci_fn *f = &vm->pci[k];
	uint32_t mask;

	spin_lock(&vm->shmem_lock);
	if (reg == CFG_CMD_STATUS) {
		/* Status: its error bits are never set, so RW1C is moot. */
		f->command = (uint16_t)((f->command & ~bytes) |
					(val & bytes & CMD_WRITABLE));
		shmem_intx_sync(vm, k);
	} else if (reg >= CFG_BAR0 && reg <= CFG_BAR5 && bytes == ~0U) {
		unsigned int i = (reg - CFG_BAR0) / 4;

		(void)bar_value(&vm->cfg->shmem[k], i, &mask);
		f->sizing = (uint8_t)(f->sizing & ~(1U << i));
		if (mask && (val & mask) == mask)
			f->sizing = (uint8_t)(f->sizing | 1U << i);
	} else if (reg == CFG_INT && bytes & 0xffU) {
		f->int_line = (uint8_t)val;
	}
	spin_unlock(&vm->shmem_lock);
}

/* Config space of bus 0: @off = device << 15 | function << 12 | register. */
static bool ecam_read(struct vcpu *v, void *dev, uint64_t off, unsigned int len,
		      uint64_t *val)
{
	int k = fn_entry(v->vm, (unsigned int)(off >> 12) & 0xffU);
	unsigned int reg = (unsigned int)off & 0xfffU;
	uint32_t ones = 0xffffffffU >> (32 - 8 * (len > 4 ? 4 : len));

	(void)dev;
	if (len > 4 || off & (len - 1))
		return false; /* PCIe has no such config request */
	if (k < 0) {
		*val = ones;
		return true;
	}
	*val = (cfg_read(v->vm, (unsigned int)k, reg & ~3U) >> 8 * (reg & 3)) &
	       ones;
	return true;
}

static bool ecam_write(struct vcpu *v, void *dev, uint64_t off,
		       unsigned int len, uint64_t val)
{
	int k = fn_entry(v->vm, (unsigned int)(off >> 12) & 0xffU);
	unsigned int reg = (unsigned int)off & 0xfffU;
	unsigned int shift = 8 * (reg & 3);

	(void)dev;
	if (len > 4 || off & (len - 1))
		return false;
	if (k >= 0)
		cfg_write(v->vm, (unsigned int)k, reg & ~3U,
			  (uint32_t)val << shift,
			  (0xffffffffU >> (32 - 8 * len)) << shift);
	return true;
}

void vpci_reset(struct vm *vm)
{
	for (unsigned int k = 0; k < vm->cfg->nr_shmem; k++) {
		spin_lock(&vm->shmem_lock);
		vm->pci[k] = (struct vm_pci_fn){ 0 };
		shmem_intx_sync(vm, k);
		spin_unlock(&vm->shmem_lock);
	}
}

bool vpci_attach(struct vm *vm)
{
	const struct mmio_region r = {
		.base = VIRT_PCI_ECAM,
		.size = VIRT_PCI_ECAM_SIZE,
		.read = ecam_read,
		.write = ecam_write,
		.dev = NULL,
	};

	/* Only a region's participant has a PCI host (docs/shmem.md). */
	return !vm->cfg->nr_shmem || vm_add_mmio(vm, &r);
}
