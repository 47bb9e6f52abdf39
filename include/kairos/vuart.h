/* SPDX-License-Identifier: MIT */
/*
 * The virtual PL011 of a VM: output goes to the console a line at a time,
 * labelled with the VM's name, control characters shown escaped (raw, in
 * the control channel's encoding, in control mode); a partial line shows
 * after VUART_IDLE_US. Input comes from the console when it is switched
 * to the VM.
 */
#ifndef KAIROS_VUART_H
#define KAIROS_VUART_H

#include <kairos/vm.h>

/** A partial line (a prompt) is printed after this long without output. */
#define VUART_IDLE_US 50000U

/** Register the UART at the profile's address in @vm. */
bool vuart_attach(struct vm *vm);

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

#endif
