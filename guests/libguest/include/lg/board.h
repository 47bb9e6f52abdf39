/* SPDX-License-Identifier: MIT */
/* What the DTB in x0 says: RAM, CPUs, and the command line (bootargs). */
#ifndef LG_BOARD_H
#define LG_BOARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BOARD_MAX_MEM 8

/** A RAM range from a /memory node. */
struct mem_region {
	uint64_t base;
	uint64_t size;
};

/** The DTB the guest was entered with. */
const void *board_dtb(void);
/** RAM ranges, in DTB order. */
unsigned int board_mem_count(void);
const struct mem_region *board_mem(unsigned int i);
/** Whether [addr, addr + len) lies in RAM. */
bool board_is_ram(uint64_t addr, uint64_t len);
/** The end of the highest RAM range. */
uint64_t board_ram_end(void);

/** CPUs listed in /cpus (at most LG_MAX_CPUS); index 0 booted. */
unsigned int board_cpu_count(void);
uint64_t board_cpu_mpidr(unsigned int idx);

/** /chosen/bootargs ("" when absent). */
const char *board_bootargs(void);
/**
 * Copies the value of `key=value` from the bootargs into @buf; a bare
 * `key` gives "". Returns false when the key is absent or too long. With
 * @buf NULL, only says whether the key is present.
 */
bool board_arg(const char *key, char *buf, size_t len);
/** `key=<number>` (decimal or 0x hex); false if absent or malformed. */
bool board_arg_u64(const char *key, uint64_t *val);

/** A character from the console UART, or -1 if none has arrived. */
int uart_getc(void);

#endif
