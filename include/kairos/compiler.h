/* SPDX-License-Identifier: MIT */
#ifndef KAIROS_COMPILER_H
#define KAIROS_COMPILER_H

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
/* clang-format 14 takes `(a) - 1` for a cast and writes `(a)-1`. */
/* clang-format off */
#define ALIGN_UP(x, a) (((x) + ((a) - 1)) & ~((__typeof__(x))(a) - 1))
#define ALIGN_DOWN(x, a) ((x) & ~((__typeof__(x))(a) - 1))
#define IS_ALIGNED(x, a) (((x) & ((__typeof__(x))(a) - 1)) == 0)
/* clang-format on */
#define BIT(n) (1UL << (n))
#define KiB(n) ((uint64_t)(n) << 10)
#define MiB(n) ((uint64_t)(n) << 20)

#define READ_ONCE(x) (*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v) (*(volatile __typeof__(x) *)&(x) = (v))

#define NORETURN __attribute__((noreturn))
#define UNUSED __attribute__((unused))
#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))
/*
 * Static storage that boot does not zero (boot/kairos.ld.in: .noinit, after
 * the BSS): for large buffers that are written before they are read, so
 * clearing them would only cost boot time. Its contents start undefined.
 */
#define NOINIT __attribute__((section(".noinit")))

#endif
