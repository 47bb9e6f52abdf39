/* SPDX-License-Identifier: MIT */
/*
 * The emulated devices of a VM (core/vdev/): the PL011 UART, PSCI, the
 * empty virtio-mmio transports of the virt profile and the doorbells of
 * shared-memory regions (docs/shmem.md). They use core's
 * services; core reaches them only through the device classes they
 * register (vdev_register(), struct vm_dev_class in kairos/vm.h), so it
 * never names them (docs/design.md, "Layers").
 */
#ifndef KAIROS_VDEV_H
#define KAIROS_VDEV_H

#include <kairos/vexit_result.h>
#include <kairos/vm.h>

/** Register the device classes every VM gets; once, before VMs exist. */
void vdev_register(void);

/*
 * A VM's own state of its entry @k of vm_config.shmem (docs/shmem.md):
 * what its checkpoint holds beside the region's bytes.
 */
struct shmem_fn_state {
	uint16_t pci_command; /**< its PCI function's Command (writable bits) */
	bool unacked;         /**< INTR_STATUS: a ring not yet acknowledged */
};

/** Bits of shmem_fn_state.pci_command a VM can set. */
#define SHMEM_PCI_COMMAND_BITS 0x0406U

/** @vm's state of its entry @k. */
void shmem_fn_get(struct vm *vm, unsigned int k, struct shmem_fn_state *out);

/** Give @vm's entry @k the state @in; its PCI INTx line follows. */
void shmem_fn_set(struct vm *vm, unsigned int k,
		  const struct shmem_fn_state *in);

/*
 * The virtual PL011 of a VM: output goes to the console a line at a time,
 * labelled with the VM's name, control characters shown escaped (raw, in
 * the control channel's encoding, when the console is framed); a partial
 * line shows after VUART_IDLE_US. Input comes from the console when it is
 * switched to the VM.
 */

/** A partial line (a prompt) is printed after this long without output. */
#define VUART_IDLE_US 50000U

/** Power-on state of the registers; buffered output is dropped. */
void vuart_reset(struct vuart *u);

/** Print what @vm wrote that has no newline yet, and end its line. */
void vuart_flush(struct vm *vm);

/** Queue a received character for @vm; false when its FIFO is full. */
bool vuart_receive(struct vm *vm, char c);

/** Level of the UART's interrupt line in state @u: MIS != 0. */
bool vuart_line_level(const struct vuart *u);

/**
 * Set the UART's interrupt line (SPI 1 of the virt profile) from its
 * state: high while an unmasked interrupt is raised (MIS != 0). Called
 * after every change, and once after a restore.
 */
void vuart_sync_line(struct vm *vm);

/*
 * The virtio-mmio transports of the virt profile, with no device behind
 * them: what QEMU's virt machine shows at 0x0a000000 when nothing is
 * attached (docs/user-guide.md, "Memory map of a virt VM").
 */

/** MagicValue: "virt" in little-endian ASCII. */
#define VIRTIO_MMIO_MAGIC 0x74726976U
/**
 * Version: 1, the legacy interface, as QEMU's transports answer by
 * default (their force-legacy property is on).
 */
#define VIRTIO_MMIO_VERSION 1U
/** VendorID: "QEMU" in little-endian ASCII. */
#define VIRTIO_MMIO_VENDOR 0x554d4551U

/**
 * The 32-bit value a read of @off (from the start of one transport) gives
 * whole: magic, version and vendor ID at 0x000, 0x004 and 0x00c, zero
 * everywhere else (DeviceID 0: no device).
 */
uint32_t virtio_mmio_reg(uint64_t off);

/* PSCI, the guest's firmware interface (HVC or SMC). */

/**
 * An HVC from @v (SMCCC: function ID in x0, arguments x1..x3, results in
 * x0..). PSCI 1.1 functions are emulated; anything else returns
 * NOT_SUPPORTED (-1) in x0.
 */
enum vexit_result vpsci_call(struct vcpu *v);

#endif
