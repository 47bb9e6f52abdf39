/* SPDX-License-Identifier: MIT */
/*
 * A VM's fresh RAM, zeroed at its first touch (core/vm_ram.c): nothing
 * another VM, an earlier run or Kairos left in that memory is ever read
 * by the guest, and booting a VM costs what it touches, not its size.
 */
#ifndef KAIROS_VM_RAM_H
#define KAIROS_VM_RAM_H

#include <kairos/vm.h>

/** Bytes a step of the zeroing of a VM that is not lazy clears, and of
 *  the copy of its images, lazy or not (vm_boot_step()). */
#define VM_RAM_CLEAR_STEP (256UL << 10)

/**
 * All of @vm's RAM becomes fresh, as at power-on: zero to the guest. The
 * VM is not running (created, stopped or quiesced for a reset), and is
 * being prepared for a boot until vm_ram_ready(). A VM whose RAM cannot be
 * zeroed at first touch is zeroed whole instead, in steps
 * (vm_ram_clear_step()) that must end before it boots.
 */
void vm_ram_fresh(struct vm *vm);

/**
 * @vm's RAM is still being prepared for its boot (zeroed, then loaded
 * with its images: vm_boot_step()); its vCPUs run no guest code.
 */
bool vm_ram_clearing(const struct vm *vm);

/**
 * Zero and clean the next VM_RAM_CLEAR_STEP bytes of @vm's RAM, while
 * vm_ram_clearing(); true (and nothing done) when no zeroing is left. The
 * VM's vCPUs run no guest code meanwhile (vm_boot_step()).
 */
bool vm_ram_clear_step(struct vm *vm);

/** @vm's RAM is ready: zeroed and its images loaded; it may boot. */
void vm_ram_ready(struct vm *vm);

/**
 * Kairos is about to write [@off, @off + @len) of @vm's RAM (an image):
 * the fresh chunks there are zeroed and mapped first.
 */
void vm_ram_touch(struct vm *vm, uint64_t off, uint64_t len);

/** Every fresh chunk of @vm zeroed and mapped (a checkpoint reads all). */
void vm_ram_touch_all(struct vm *vm);

/**
 * Every fresh chunk of the held @vm mapped without zeroing, and no zeroing
 * left to do: the caller writes every byte of its RAM before the VM runs
 * (a full restore).
 */
void vm_ram_claim_all(struct vm *vm);

/**
 * A stage-2 translation fault of a vCPU of @vm at @ipa: true when @ipa is
 * in a chunk that was fresh (now zeroed and mapped: retry the access),
 * false when it is not RAM Kairos maps lazily.
 */
bool vm_ram_first_touch(struct vm *vm, uint64_t ipa);

#endif
