/* SPDX-License-Identifier: MIT */
/*
 * The configuration parsers (core/config/): the board's device tree and
 * its /hypervisor node (docs/configuration.md), read into the structures
 * of kairos/board.h and kairos/vm_config.h that core works from. Parsing
 * and validation are pure (libfdt only) so host tests drive them.
 */
#ifndef KAIROS_CONFIG_H
#define KAIROS_CONFIG_H

#include <kairos/board.h>
#include <kairos/err.h>
#include <kairos/types.h>
#include <kairos/vm_config.h>

/* The board: its device tree, read by core/config/board.c. */

/** A refusal: which node and property, and what was wrong with it. */
struct board_err {
	char msg[200];
};

/**
 * Find the console UART: /chosen/stdout-path (aliases and ":options"
 * allowed). Used before anything else so later errors can be printed.
 */
enum kairos_err board_find_console(const void *fdt, struct board_uart *uart,
				   struct board_err *err);

/**
 * fdt_path_offset() for an absolute @path of the tree that the last
 * board_parse() or board_find_console() read, through its index (one
 * lookup costs what the path's nodes' siblings cost, not a walk of the
 * whole tree); libfdt's own for any other tree.
 */
int board_dt_path(const void *fdt, const char *path);

/**
 * Parse the whole board. @boot_mpidr is the affinity of the CPU running
 * this; it must match one cpu node. On failure @err names the node and
 * property.
 */
enum kairos_err board_parse(const void *fdt, uint64_t boot_mpidr,
			    struct board *b, struct board_err *err);

/**
 * The enabled node of @fdt whose first reg starts at @base: its
 * compatible and first GIC interrupt. False if there is none.
 */
bool board_find_device(const void *fdt, const struct board *b, paddr_t base,
		       struct board_device *out);

/** Total RAM in bytes. */
uint64_t board_ram_size(const struct board *b);

/** True if [base, base+size) lies entirely inside one memory range. */
bool board_in_ram(const struct board *b, paddr_t base, uint64_t size);

/* The /hypervisor node, read by core/config/config.c. */

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
