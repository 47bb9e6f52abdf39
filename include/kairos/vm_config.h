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

/** Shared-memory regions of the system (docs/shmem.md). */
#define KAIROS_MAX_SHMEM 4
/** Participants of one region: doorbell indexes 0 .. this - 1. */
#define SHMEM_MAX_PEERS 4

/**
 * One shared-memory region as one of its participants sees it: where it
 * is mapped and the doorbell it rings with. Filled by the parser for each
 * participant VM, so that the VM's doorbell needs nothing else.
 */
struct vm_shmem {
	unsigned int region; /**< index in sys_config.shmem: its doorbell
				  page and SPI (profile_virt.h) */
	unsigned int index;  /**< its own doorbell index in the region */
	ipa_t ipa;           /**< where this VM sees the region */
	paddr_t host;        /**< the region's host RAM */
	uint64_t size;       /**< bytes (whole 4 KiB pages) */
	bool ro;             /**< access = "ro": mapped read-only */
	/** Doorbell index -> VM index (sys_config.vms), -1: no participant */
	int peer_vm[SHMEM_MAX_PEERS];
	/** Doorbell index -> that participant maps it read-only */
	bool peer_ro[SHMEM_MAX_PEERS];
	/**
	 * VM index whose checkpoint captures the region: checkpoint-with,
	 * else its only writer; -1 when neither names one (docs/shmem.md).
	 */
	int owner;
};

/** A participant of a region, as configured (a peer@N node). */
struct shmem_peer {
	unsigned int vm; /**< index in sys_config.vms */
	ipa_t ipa;
	bool ro;
	bool present; /**< peer@N exists for this index */
};

/** A shared-memory region (a shmem@N node under /hypervisor). */
struct shmem_config {
	char path[64];   /**< node path, for messages and listings */
	paddr_t host;    /**< host RAM (placed if not fixed) */
	bool host_fixed; /**< host was given */
	uint64_t size;   /**< bytes, whole 4 KiB pages */
	int ckpt_with;   /**< checkpoint-with VM index, or -1 */
	struct shmem_peer peers[SHMEM_MAX_PEERS]; /**< by doorbell index */
	unsigned int nr_peers;                    /**< peer nodes given */
};

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
	/** checkpoint-crc = "fused": the image's CRC is folded in the copy,
	 *  while the VM is held, not after its release. */
	bool ckpt_crc_fused;
	/** Identical injected faults in a row that stop it (0: never;
	 *  core/faultloop.c) */
	uint32_t fault_loop_limit;
	/** The shared-memory regions it takes part in. */
	struct vm_shmem shmem[KAIROS_MAX_SHMEM];
	unsigned int nr_shmem;
};

/** fault-loop-limit of a VM whose node does not set it. */
#define VM_FAULT_LOOP_LIMIT_DEFAULT 1000U

/** The whole system. */
struct sys_config {
	struct vm_config vms[KAIROS_MAX_VMS];
	unsigned int nr_vms;
	struct board_range ckpt_store; /**< size 0 when absent */
	unsigned int ckpt_slots;       /**< slots it is cut into (equal) */
	struct shmem_config shmem[KAIROS_MAX_SHMEM];
	unsigned int nr_shmem;
};

/** Most checkpoint slots, and the least a slot may hold. */
#define CKPT_MAX_SLOTS 16
#define CKPT_MIN_SLOT_SIZE (1UL << 20)

#endif
