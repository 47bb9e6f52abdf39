/* SPDX-License-Identifier: MIT */
/* Inside core/vdev/: the device class callbacks core/vdev/vdev.c registers. */
#ifndef KAIROS_VDEV_PRIV_H
#define KAIROS_VDEV_PRIV_H

#include <kairos/vm.h>

/** Register the UART at the profile's address in @vm. */
bool vuart_attach(struct vm *vm);

/** vuart_reset() of @vm's UART. */
void vuart_reset_vm(struct vm *vm);

/** Register the profile's transports in @vm (read-only, writes ignored). */
bool virtio_mmio_attach(struct vm *vm);

/**
 * Register the doorbell pages of the shared-memory regions @vm takes part
 * in (nothing without any).
 */
bool shmem_attach(struct vm *vm);

/** Power-on state of @vm's doorbells: no ring is unacknowledged. */
void shmem_reset(struct vm *vm);

/** PCI Command register: Interrupt Disable (PCI Local Bus 3.0 §6.2.2). */
#define VPCI_CMD_INTX_DISABLE (1U << 10)

/**
 * Set the INTx line of @vm's entry @k from its INTR_STATUS and its PCI
 * function's Command register; @vm->shmem_lock held.
 */
void shmem_intx_sync(struct vm *vm, unsigned int k);

/**
 * Register the PCI host bridge's ECAM window of @vm, which has a function
 * for each region it takes part in (nothing without any).
 */
bool vpci_attach(struct vm *vm);

/** Power-on state of @vm's PCI functions: Command 0, BARs as placed. */
void vpci_reset(struct vm *vm);

#endif
