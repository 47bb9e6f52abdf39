/* SPDX-License-Identifier: MIT */
/*
 * The VM commands both command surfaces offer (core/ui/vm_cmd.c): the
 * shell's `vm` command and the control channel do the work through these
 * and only print the results, each in its own form.
 */
#ifndef KAIROS_VM_CMD_H
#define KAIROS_VM_CMD_H

#include <kairos/ckpt.h>
#include <kairos/types.h>
#include <kairos/vm.h>

/** How a command ended. */
enum vm_cmd_status {
	VM_CMD_DONE,      /**< it did what was asked */
	VM_CMD_ALREADY,   /**< the VM was in that state already */
	VM_CMD_BAD_STATE, /**< not in the VM's present state (vm_cmd_state()) */
	VM_CMD_FAILED,    /**< tried and failed; why says why */
};

/** Longest reason a failed command gives. */
#define VM_CMD_WHY_MAX 160

/** The result of a command, for the printers. */
struct vm_cmd_result {
	enum vm_cmd_status st;
	char why[VM_CMD_WHY_MAX]; /**< VM_CMD_FAILED: the reason */
	uint64_t size;            /**< checkpoint: bytes in the slot */
	uint64_t pages_copied;    /**< restore: pages copied back */
	uint64_t ticks;           /**< checkpoint, restore: time it took */
};

/** A VM's totals over its vCPUs, and its checkpoint counters. */
struct vm_cmd_counts {
	uint64_t exits;
	uint64_t migrations;
	struct ckpt_stats ckpt;
};

/** One shared-memory region of a VM, its doorbell's counts included. */
struct vm_cmd_shmem {
	unsigned int region; /**< region number (docs/shmem.md) */
	unsigned int index;  /**< the VM's doorbell index */
	bool ro;
	uint64_t ipa, size;
	struct vm_shmem_bells bells; /**< a snapshot */
};

/** Entry @k (< vm->cfg->nr_shmem) of @vm's regions into *@out. */
void vm_cmd_shmem(const struct vm *vm, unsigned int k,
		  struct vm_cmd_shmem *out);

/** "running", "paused" or "stopped". */
const char *vm_cmd_state(const struct vm *vm);

/** "off", "ready" or "blocked": where @v is in its life. */
const char *vm_cmd_run_state(const struct vcpu *v);

/** Totals of @vm into *@out. */
void vm_cmd_counts(const struct vm *vm, struct vm_cmd_counts *out);

/** Hold (@pause) or release @vm's vCPUs; BAD_STATE when it is stopped. */
void vm_cmd_pause(struct vm *vm, bool pause, struct vm_cmd_result *r);

/** Reboot @vm from its images; BAD_STATE while a reset is under way. */
void vm_cmd_reset(struct vm *vm, struct vm_cmd_result *r);

/** Stop @vm (@why goes into Kairos's message); ALREADY if it was. */
void vm_cmd_stop(struct vm *vm, const char *why, struct vm_cmd_result *r);

/** Boot a stopped @vm cold; BAD_STATE if it is not stopped. */
void vm_cmd_start(struct vm *vm, struct vm_cmd_result *r);

/**
 * Save @vm into checkpoint slot @slot (a valid slot number). Refused for
 * a VM that takes part in a shared-memory region (docs/shmem.md).
 */
void vm_cmd_checkpoint(struct vm *vm, unsigned int slot,
		       struct vm_cmd_result *r);

/**
 * Bring @vm back from slot @slot, the clock under @policy. Refused as a
 * checkpoint is for a VM with a shared-memory region.
 */
void vm_cmd_restore(struct vm *vm, unsigned int slot, enum ckpt_policy policy,
		    struct vm_cmd_result *r);

#endif
