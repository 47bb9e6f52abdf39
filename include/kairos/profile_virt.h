/* SPDX-License-Identifier: MIT */
/*
 * Profile "virt": the memory map and interrupts of QEMU's virt machine
 * (hw/arm/virt.c), so images built for it run unchanged.
 */
#ifndef KAIROS_PROFILE_VIRT_H
#define KAIROS_PROFILE_VIRT_H

#define VIRT_FLASH0 0x00000000UL
#define VIRT_FLASH1 0x04000000UL
#define VIRT_FLASH_SIZE 0x04000000UL
#define VIRT_GICD 0x08000000UL
#define VIRT_GICD_SIZE 0x10000UL
#define VIRT_GICC 0x08010000UL /* GICv2 CPU interface (GICV mapped here) */
#define VIRT_GICC_SIZE 0x2000UL
#define VIRT_GICR 0x080a0000UL /* GICv3 redistributors, 128 KiB each */
#define VIRT_GICR_STRIDE 0x20000UL
#define VIRT_UART 0x09000000UL
#define VIRT_UART_SIZE 0x1000UL
#define VIRT_UART_INTID 33U /* SPI 1 */
/*
 * The virtio-mmio transports, all without a backend: VIRT_VIRTIO_COUNT of
 * VIRT_VIRTIO_SIZE bytes each, edge-triggered SPIs 16-47 in the DTB.
 */
#define VIRT_VIRTIO 0x0a000000UL
#define VIRT_VIRTIO_SIZE 0x200UL
#define VIRT_VIRTIO_COUNT 32U
#define VIRT_VIRTIO_INTID 48U /* SPI 16, of the first transport */
/*
 * Shared-memory doorbells (docs/shmem.md): region r's page at
 * VIRT_SHMEM_DOORBELL + r * VIRT_SHMEM_DOORBELL_SIZE, its edge-triggered
 * SPI VIRT_SHMEM_INTID + r (SPIs 12-15: free in QEMU's virt map, between
 * its platform SPIs and the virtio-mmio transports'). The window lies in
 * a gap of QEMU's virt map, between the virtio-mmio transports and the
 * platform bus.
 */
#define VIRT_SHMEM_DOORBELL 0x0b000000UL
#define VIRT_SHMEM_DOORBELL_SIZE 0x1000UL
#define VIRT_SHMEM_INTID 44U /* SPI 12, of region 0 */
/*
 * The emulated PCI host bridge of a VM that takes part in a region
 * (core/vdev/vpci.c, docs/shmem.md): an ECAM window for bus 0 only, where
 * QEMU's virt puts its own (low) PCIe ECAM, below RAM and clear of every
 * other window Kairos gives a guest. Region r's function is device r; its
 * INTA is level-sensitive SPI 3 + r (INTID 35 + r), QEMU's PCIe INTx SPIs
 * (its swizzle of INTA for slot r).
 */
#define VIRT_PCI_ECAM 0x3f000000UL
#define VIRT_PCI_ECAM_SIZE 0x100000UL /* bus 0: 32 devices x 8 functions */
#define VIRT_PCI_INTX_INTID 35U       /* SPI 3, INTA of region 0's device */
#define VIRT_RAM 0x40000000UL

/* Generic timer PPIs as INTIDs: secure, non-secure phys, virt, hyp. */
#define VIRT_TIMER_SEC_INTID 29U
#define VIRT_TIMER_PHYS_INTID 30U
#define VIRT_TIMER_VIRT_INTID 27U
#define VIRT_TIMER_HYP_INTID 26U
#define VIRT_GIC_MAINT_INTID 25U

#endif
