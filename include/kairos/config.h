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

/** Most ranges a caller may pass to config_parse() as @busy. */
#define CONFIG_MAX_BUSY 8

/** A host range no VM memory may overlap, and what it is. */
struct config_busy {
	struct board_range r;
	const char *what; /**< for messages: "Kairos", "the device tree" */
};

/**
 * Copies @len bytes of host RAM at @at to @out: how config_parse() reads
 * the headers of the images (an arm64 Image's, a DTB's). The ranges it
 * asks for lie in RAM and inside an image's range.
 */
typedef void (*config_read_fn)(paddr_t at, void *out, size_t len);

/**
 * Parse /hypervisor from @fdt and validate it against @b. @busy lists host
 * ranges no VM memory may overlap (Kairos itself, the DTB; at most
 * CONFIG_MAX_BUSY); images, the checkpoint store and the board's reserved
 * memory are added by the parser. VMs without memory-host are then placed
 * in free RAM: each, in node order, at the highest 2 MiB-aligned address
 * where it overlaps nothing of the above nor a VM placed before it. A board
 * without /hypervisor gives nr_vms = 0 and KAIROS_OK. Each VM's images are
 * read through @read (their headers only) and laid out in its RAM as
 * vm_boot() will copy them (vm_layout_compute(), stored in its layout); a
 * DTB must be a flattened device tree of at most VM_DTB_MAX bytes. On
 * failure @err names the node and property.
 */
enum kairos_err config_parse(const void *fdt, const struct board *b,
			     const struct config_busy *busy,
			     unsigned int nr_busy, config_read_fn read,
			     struct sys_config *cfg, struct board_err *err);

#endif
