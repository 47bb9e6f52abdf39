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

#endif
