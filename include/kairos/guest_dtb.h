/* SPDX-License-Identifier: MIT */
/* The device tree a "virt"-profile guest receives in x0. */
#ifndef KAIROS_GUEST_DTB_H
#define KAIROS_GUEST_DTB_H

#include <kairos/err.h>
#include <kairos/vm_config.h>

/**
 * Room a generated tree gets in the VM's RAM (config_parse() counts it when
 * the VM has no dtb of its own); the largest tree guest_dtb_build() makes
 * needs a few KiB.
 */
#define GUEST_DTB_MAX (64 * 1024)

/**
 * Most bytes of the largest generated tree besides its bootargs: 8 vCPUs,
 * VM_MAX_DEVICES passthrough devices with the longest compatible lists,
 * an initrd (tests/unit/test_guest_dtb.c measures it). The configuration
 * limits bootargs to VM_BOOTARGS_MAX, so every tree a checked
 * configuration asks for fits GUEST_DTB_MAX, and vm_boot() can rely on it.
 */
#define GUEST_DTB_FIXED_MAX (16 * 1024)

_Static_assert(GUEST_DTB_FIXED_MAX + VM_BOOTARGS_MAX <= GUEST_DTB_MAX,
	       "the longest bootargs fit the generated tree's room");

/** What the generated tree describes. */
struct guest_dtb_params {
	uint64_t mem_ipa, mem_size;
	unsigned int nr_vcpus;
	uint64_t vcpu_mpidr[KAIROS_MAX_VCPUS];
	unsigned int gic_version; /**< 2 or 3 */
	uint64_t timer_freq;      /**< 0: leave clock-frequency out */
	bool pmu; /**< a pmu node: its overflow interrupt is PPI 7 */
	const char *bootargs;             /**< may be empty */
	uint64_t initrd_ipa, initrd_size; /**< size 0: no initrd */
	const struct vm_device *devices;  /**< passthrough, at IPA = PA */
	unsigned int nr_devices;
	const struct vm_shmem *shmem; /**< shared-memory regions */
	unsigned int nr_shmem;
};

/**
 * Build the tree into @buf (@len bytes): memory, cpus (reg = MPIDR,
 * enable-method psci), psci (1.0, method hvc), timer (PPIs 13 14 11 10),
 * with @p->pmu a pmu (arm,armv8-pmuv3, PPI 7),
 * the GIC at profile_virt.h's addresses (v3: GICD + GICR; v2: GICD + GICC)
 * with its maintenance interrupt, the PL011 with its clock, chosen
 * (stdout-path, bootargs, linux,initrd-start/end), the two flash banks
 * and the 32 virtio-mmio transports; for each shared-memory region a
 * reserved-memory child with no-map and a "generic-uio" node (its
 * doorbell page and the region, its SPI) that Linux's uio_pdrv_genirq
 * binds (docs/shmem.md).
 */
enum kairos_err guest_dtb_build(void *buf, size_t len,
				const struct guest_dtb_params *p);

#endif
