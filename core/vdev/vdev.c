// SPDX-License-Identifier: MIT
/*
 * The device classes of core/vdev/, registered with core at boot: core
 * attaches, resets and drains them without naming them (docs/design.md,
 * "Layers").
 */
#include <kairos/panic.h>
#include <kairos/vdev.h>

#include "vdev_priv.h"

static const struct vm_dev_class uart_class = {
	.name = "pl011",
	.attach = vuart_attach,
	.reset = vuart_reset_vm,
	.flush = vuart_flush,
};

static const struct vm_dev_class virtio_class = {
	.name = "virtio-mmio",
	.attach = virtio_mmio_attach,
};

static const struct vm_dev_class shmem_class = {
	.name = "shmem-doorbell",
	.attach = shmem_attach,
	.reset = shmem_reset,
};

static const struct vm_dev_class pci_class = {
	.name = "pci-host-ecam",
	.attach = vpci_attach,
	.reset = vpci_reset,
};

void vdev_register(void)
{
	CHECK(vm_dev_register(&uart_class));
	CHECK(vm_dev_register(&virtio_class));
	CHECK(vm_dev_register(&shmem_class));
	CHECK(vm_dev_register(&pci_class));
}
