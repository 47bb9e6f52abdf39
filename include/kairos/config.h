/* SPDX-License-Identifier: MIT */
/*
 * The system configuration: the /hypervisor node (docs/configuration.md).
 * Parsing and validation are pure (libfdt only) so host tests drive them.
 */
#ifndef KAIROS_CONFIG_H
#define KAIROS_CONFIG_H

#include <kairos/board.h>
#include <kairos/err.h>
#include <kairos/types.h>

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
	char bootargs[VM_BOOTARGS_MAX];
	struct vm_device devices[VM_MAX_DEVICES]; /**< passthrough MMIO */
	unsigned int nr_devices;
	uint32_t irqs[VM_MAX_IRQS]; /**< passthrough SPIs (same INTID) */
	unsigned int nr_irqs;
	char path[64];   /**< node path, for messages */
	int resume_from; /**< checkpoint slot to resume from at boot, or -1 */
};

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

/** Most ranges a caller may pass to config_parse() as @busy. */
#define CONFIG_MAX_BUSY 8

/** A host range no VM memory may overlap, and what it is. */
struct config_busy {
	struct board_range r;
	const char *what; /**< for messages: "Kairos", "the device tree" */
};

/**
 * Parse /hypervisor from @fdt and validate it against @b. @busy lists host
 * ranges no VM memory may overlap (Kairos itself, the DTB; at most
 * CONFIG_MAX_BUSY); images, the checkpoint store and the board's reserved
 * memory are added by the parser. VMs without memory-host are then placed
 * in free RAM: each, in node order, at the highest 2 MiB-aligned address
 * where it overlaps nothing of the above nor a VM placed before it. A board
 * without /hypervisor gives nr_vms = 0 and KAIROS_OK. On failure @err names
 * the node and property.
 */
enum kairos_err config_parse(const void *fdt, const struct board *b,
			     const struct config_busy *busy,
			     unsigned int nr_busy, struct sys_config *cfg,
			     struct board_err *err);

#endif
