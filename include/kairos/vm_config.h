/* SPDX-License-Identifier: MIT */
/*
 * What a VM is made of, as configured (docs/configuration.md): the
 * structures the configuration parser (kairos/config.h) fills in and core
 * creates VMs from.
 */
#ifndef KAIROS_VM_CONFIG_H
#define KAIROS_VM_CONFIG_H

#include <kairos/board.h>
#include <kairos/types.h>
#include <kairos/vm_layout.h>

#define KAIROS_MAX_VMS 8
#define KAIROS_MAX_VCPUS 8
#define VM_NAME_MAX 32
#define VM_BOOTARGS_MAX 512

enum vm_profile { VM_PROFILE_VIRT };

#define VM_MAX_DEVICES 4
#define VM_MAX_IRQS 8

/** A physical device given to a VM: mapped at IPA = PA. */
struct vm_device {
	struct board_range reg;
	struct board_device dt; /**< how the board describes it */
};

/** One VM as configured. */
struct vm_config {
	char name[VM_NAME_MAX];
	enum vm_profile profile;
	ipa_t mem_ipa;       /**< guest-physical RAM base */
	uint64_t mem_size;   /**< bytes */
	paddr_t mem_host;    /**< host RAM backing it (placed if not fixed) */
	bool mem_host_fixed; /**< memory-host was given */
	unsigned int nr_vcpus;
	unsigned int vcpu_cpu[KAIROS_MAX_VCPUS]; /**< pCPU of each vCPU */
	unsigned int priority;
	/** pCPUs (bit per CPU) its vCPUs may be moved to, to run on an idle
	 *  one; 0: each stays where placed (cpu-affinity) */
	uint32_t cpu_affinity;
	struct board_range kernel; /**< where the boot loader put the image */
	struct board_range initrd; /**< size 0 when absent */
	struct board_range dtb;    /**< size 0: generate one */
	uint64_t dtb_size;         /**< its tree's totalsize (<= dtb.size) */
	/** where vm_boot() puts the images, computed and checked by
	 *  config_parse() (vm_layout_compute()) */
	struct vm_layout layout;
	char bootargs[VM_BOOTARGS_MAX];
	struct vm_device devices[VM_MAX_DEVICES]; /**< passthrough MMIO */
	unsigned int nr_devices;
	uint32_t irqs[VM_MAX_IRQS]; /**< passthrough SPIs (same INTID) */
	unsigned int nr_irqs;
	char path[64];   /**< node path, for messages */
	int resume_from; /**< checkpoint slot to resume from at boot, or -1 */
	/** resume-fallback = "cold": a refused resume boots it cold. */
	bool resume_fallback_cold;
	/** Identical injected faults in a row that stop it (0: never;
	 *  core/faultloop.c) */
	uint32_t fault_loop_limit;
};

/** fault-loop-limit of a VM whose node does not set it. */
#define VM_FAULT_LOOP_LIMIT_DEFAULT 1000U

/** The whole system. */
struct sys_config {
	struct vm_config vms[KAIROS_MAX_VMS];
	unsigned int nr_vms;
	struct board_range ckpt_store; /**< size 0 when absent */
	unsigned int ckpt_slots;       /**< slots it is cut into (equal) */
};

/** Most checkpoint slots, and the least a slot may hold. */
#define CKPT_MAX_SLOTS 16
#define CKPT_MIN_SLOT_SIZE (1UL << 20)

#endif
