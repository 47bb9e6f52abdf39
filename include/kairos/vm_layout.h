/* SPDX-License-Identifier: MIT */
/*
 * Where a VM's images go in its RAM (docs/configuration.md, "Images"): one
 * pure computation, run when the configuration is checked, whose result
 * vm_boot() follows at every boot and reset. Nothing here reads memory:
 * the caller passes the sizes and the kernel's header.
 */
#ifndef KAIROS_VM_LAYOUT_H
#define KAIROS_VM_LAYOUT_H

#include <kairos/types.h>

/**
 * Most bytes of a guest DTB: the arm64 boot protocol's limit
 * (Documentation/arch/arm64/booting.rst: "must not exceed 2 megabytes").
 */
#define VM_DTB_MAX (2ULL << 20)

/** An arm64 Image's text_offset must be below this (the boot protocol's
 *  2 MiB-aligned base plus the offset). */
#define VM_TEXT_OFFSET_MAX (2ULL << 20)

/** Where a raw image (no arm64 header) goes, as QEMU virt does. */
#define VM_RAW_KERNEL_OFFSET 0x80000ULL

/** Bytes of an arm64 Image header vm_layout_kernel_header() reads. */
#define VM_KERNEL_HEADER_SIZE 64U

/** What the layout depends on. */
struct vm_images {
	uint64_t mem_size;    /**< the VM's RAM, bytes (2 MiB aligned) */
	uint64_t kernel_size; /**< bytes of the kernel file */
	bool kernel_arm64;    /**< it has an arm64 Image header */
	uint64_t text_offset; /**< that header's, or 0 */
	uint64_t image_size;  /**< that header's (0: a pre-3.17 header) */
	uint64_t initrd_size; /**< 0: no initrd */
	/** the VM's own DTB's totalsize; 0: Kairos generates one */
	uint64_t dtb_size;
};

/** Where each image goes, as byte offsets from the VM's RAM base. */
struct vm_layout {
	uint64_t kernel;      /**< the kernel's first byte: the entry */
	uint64_t kernel_span; /**< bytes it takes: its file or image_size */
	uint64_t initrd;      /**< when there is an initrd */
	uint64_t dtb;         /**< the DTB passed in x0, 2 MiB aligned */
	uint64_t dtb_room;    /**< bytes kept for it: its size, or
				   GUEST_DTB_MAX for a generated one */
	/** a second copy at RAM base (as QEMU virt): only when it fits below
	 *  the kernel */
	bool dtb_at_base;
};

/** Why a layout is impossible: the property to blame, and the sentence. */
struct vm_layout_err {
	const char *prop;
	char msg[200];
};

/**
 * Fill the kernel fields of @in from the first @len bytes of the kernel
 * (@hdr; at most VM_KERNEL_HEADER_SIZE are read) and its file size.
 */
void vm_layout_kernel_header(const void *hdr, size_t len, uint64_t size,
			     struct vm_images *in);

/**
 * Lay @in out: an arm64 Image at RAM base + text_offset (+ 2 MiB when the
 * offset is below 4 KiB, as QEMU does; 0x80000 with image_size 0), a raw
 * image at 0x80000; the initrd at min(RAM / 2, 128 MiB), or right above
 * the kernel when that is higher; the DTB at the next 2 MiB boundary
 * above both. Every sum is checked: true when all of it lies in the VM's
 * RAM; otherwise false, with @err naming the image that does not fit and
 * the sizes involved.
 */
bool vm_layout_compute(const struct vm_images *in, struct vm_layout *out,
		       struct vm_layout_err *err);

#endif
