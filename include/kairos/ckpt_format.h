/* SPDX-License-Identifier: MIT */
/*
 * The checkpoint image format (docs/checkpoint-format.md), shared by
 * Kairos and the host tool tools/kairos-ckpt. Pure C: fixed-width
 * little-endian fields, no pointers, nothing of the hypervisor.
 *
 *   header | section... | trailer
 *
 * Each section is a struct ckpt_section followed by its payload, padded
 * with zeros to a multiple of 8 bytes. Every payload has its own CRC32C;
 * the header and every section header carry a CRC of themselves; the
 * trailer repeats the size and count and carries a CRC of all section
 * headers (but their own CRCs), so truncation and reordering are caught.
 */
#ifndef KAIROS_CKPT_FORMAT_H
#define KAIROS_CKPT_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CKPT_MAGIC "KAIROSCK"         /**< 8 bytes, no NUL */
#define CKPT_TRAILER_MAGIC "KCKPTEND" /**< 8 bytes, no NUL */
#define CKPT_VERSION 1U
#define CKPT_PAGE_SIZE 4096U
#define CKPT_MAX_SECTIONS 32U
#define CKPT_NAME_MAX 32U
#define CKPT_NR_PRIVATE 32U
#define CKPT_NR_SPIS 256U
#define CKPT_MAX_VCPUS 8U
/**
 * Bytes of guest input the virtual UART's receive ring holds: a ring of
 * CKPT_UART_RX_CAP + 1 slots, one always empty to tell full from empty
 * (core/vdev/vuart.c checks its ring against this). struct ckpt_vuart.rx has
 * room for one more, which an image must not use.
 */
#define CKPT_UART_RX_CAP 63U
/** Bytes of UART output a VM may have buffered: its whole line. */
#define CKPT_UART_LINE_MAX 256U
/** Largest guest RAM an image may hold (Kairos's capture bitmap). */
#define CKPT_MAX_MEM (2ULL << 30)
/** struct ckpt_vcpu.pstate: the mode field (M[4:0], with nRW) and the
 *  three modes a guest may be restored in, all AArch64 (Arm ARM C5.2.18) */
#define CKPT_PSTATE_MODE_MASK 0x1fULL
#define CKPT_PSTATE_EL0T 0x0ULL
#define CKPT_PSTATE_EL1T 0x4ULL
#define CKPT_PSTATE_EL1H 0x5ULL
/** AArch32 User: a guest's 32-bit EL0 under its AArch64 EL1. */
#define CKPT_PSTATE_USR32 0x10ULL
/** struct ckpt_vcpu timer controls: ENABLE, IMASK, ISTATUS */
#define CKPT_TIMER_CTL_KNOWN 7ULL
/** struct ckpt_vgic.ctlr: EnableGrp0, EnableGrp1 */
#define CKPT_GICD_CTLR_KNOWN 3U

/** At offset 0. */
struct ckpt_header {
	char magic[8];        /**< CKPT_MAGIC */
	uint32_t version;     /**< CKPT_VERSION */
	uint32_t header_size; /**< sizeof(struct ckpt_header) */
	uint64_t total_size;  /**< header + sections + trailer, in bytes */
	uint32_t nr_sections;
	uint32_t flags; /**< 0 */
	uint32_t reserved;
	uint32_t crc; /**< CRC32C of the bytes above */
};

enum ckpt_section_type {
	CKPT_SEC_VM = 1,    /**< struct ckpt_vm, exactly one, first */
	CKPT_SEC_VCPU = 2,  /**< struct ckpt_vcpu, one per vCPU, index = id */
	CKPT_SEC_VGIC = 3,  /**< struct ckpt_vgic, exactly one */
	CKPT_SEC_VUART = 4, /**< struct ckpt_vuart, exactly one */
	CKPT_SEC_MEM = 5,   /**< struct ckpt_mem + bitmap + pages, one */
	/**
	 * struct ckpt_pmu_debug, at most one per vCPU, index = id. Optional:
	 * a vCPU without one is restored with its PMU reset and no
	 * breakpoint or watchpoint armed (images written before it).
	 */
	CKPT_SEC_PMU_DEBUG = 6,
	/**
	 * struct ckpt_passthrough, at most one, index 0: what the VM was
	 * given of the board, to name a mismatch. Optional: an image without
	 * one (written before it) is compared by its fingerprint only.
	 */
	CKPT_SEC_PASSTHROUGH = 7,
	/**
	 * struct ckpt_shmem and the region's bytes, index = region number
	 * (< CKPT_MAX_SHMEM), at most one per region: a shared-memory region
	 * captured with the VM whose checkpoint holds it. Optional.
	 */
	CKPT_SEC_SHMEM = 8,
};

/** Before each payload. */
struct ckpt_section {
	uint32_t type;   /**< enum ckpt_section_type; unknown ones skipped */
	uint32_t index;  /**< vCPU number for CKPT_SEC_VCPU, else 0 */
	uint64_t length; /**< payload bytes, without the padding */
	uint32_t crc;    /**< CRC32C of the payload */
	uint32_t hcrc;   /**< CRC32C of the 20 bytes above */
};

/** At the end. */
struct ckpt_trailer {
	char magic[8];       /**< CKPT_TRAILER_MAGIC */
	uint64_t total_size; /**< as in the header */
	uint32_t nr_sections;
	/**
	 * CRC32C of the section headers in order, each without its hcrc (its
	 * first 20 bytes): a CRC over whole headers, each ending in its own
	 * CRC, would be a constant for a given number of sections.
	 */
	uint32_t crc;
};

/** The VM as a whole. */
struct ckpt_vm {
	char name[CKPT_NAME_MAX]; /**< NUL-terminated */
	uint64_t config_fp;       /**< fingerprint of the VM's configuration */
	uint64_t cntfrq;          /**< counter frequency, Hz */
	uint64_t vcount;          /**< the VM's virtual count at capture */
	uint64_t pcount;          /**< physical count at capture */
	uint64_t boot_id;         /**< the Kairos boot that captured it */
	uint64_t mem_ipa, mem_size;
	uint32_t nr_vcpus;
	uint32_t gic_version; /**< 2 or 3, what the guest sees */
	uint32_t profile;     /**< 0: virt */
	uint32_t paused;      /**< 1: the VM was paused by the user */
};

/* struct ckpt_irq.flags: the same bits as VGIC_* of kairos/vgic.h. */
#define CKPT_IRQ_ENABLED (1U << 0)
#define CKPT_IRQ_GROUP1 (1U << 1)
#define CKPT_IRQ_EDGE (1U << 2)
#define CKPT_IRQ_LATCH (1U << 3) /**< pending latch */
#define CKPT_IRQ_LINE (1U << 4)  /**< input line level */
#define CKPT_IRQ_ACTIVE (1U << 5)
#define CKPT_IRQ_HW (1U << 6) /**< mapped to a physical INTID */
#define CKPT_IRQ_KNOWN 0x7fU

/** One virtual interrupt: latch and line level kept apart. */
struct ckpt_irq {
	uint16_t flags; /**< CKPT_IRQ_* */
	uint8_t priority;
	uint8_t targets;     /**< GICv2 ITARGETSR (SPIs) */
	uint8_t sgi_sources; /**< GICv2 SGIs: pending per source vCPU */
	/** GICv2 SGIs: source of the active one, below CKPT_MAX_VCPUS */
	uint8_t active_source;
	uint16_t hw_intid; /**< with CKPT_IRQ_HW */
	uint64_t route;    /**< GICv3 IROUTER (SPIs) */
};

/* enum of struct ckpt_vcpu.power */
#define CKPT_POWER_OFF 0U
#define CKPT_POWER_ON_PENDING 1U
#define CKPT_POWER_ON 2U

/** EL1 system registers, in this order. */
struct ckpt_sysregs {
	uint64_t sctlr, actlr, cpacr;
	uint64_t ttbr0, ttbr1, tcr, mair, amair;
	uint64_t vbar, contextidr;
	uint64_t tpidr_el0, tpidrro_el0, tpidr_el1;
	uint64_t esr, far, afsr0, afsr1, par;
	uint64_t cntkctl, csselr, mdscr;
	uint64_t sp_el1, elr_el1, spsr_el1;
	uint64_t vmpidr;
};

/** One vCPU, with its redistributor and virtual CPU interface. */
struct ckpt_vcpu {
	uint64_t x[31];
	uint64_t sp_el0, pc, pstate;
	struct ckpt_sysregs sys;
	uint64_t fp_v[64]; /**< V0-V31, low half first */
	uint64_t fpsr, fpcr;
	uint64_t vtimer_ctl, vtimer_cval; /**< CNTV_CTL (ISTATUS as read) */
	uint64_t ptimer_ctl, ptimer_cval; /**< CNTP_CTL: ENABLE, IMASK */
	uint32_t power;                   /**< CKPT_POWER_* */
	uint32_t waker;                   /**< GICR_WAKER.ProcessorSleep */
	uint64_t vmcr;                    /**< ICH_VMCR_EL2 / GICH_VMCR */
	uint64_t apr[4], apr0[4];         /**< active priorities */
	struct ckpt_irq priv[CKPT_NR_PRIVATE];
};

/** Event counters and breakpoint/watchpoint pairs an image holds. */
#define CKPT_PMU_COUNTERS 31
#define CKPT_DBG_POINTS 16

/** A vCPU's PMU and debug registers, in this order. */
struct ckpt_pmu_debug {
	uint64_t pmcr; /**< PMCR_EL0: E, D, X, DP, LC, LP */
	uint64_t cntenset, intenset, ovsset, selr, userenr, ccntr, ccfiltr;
	uint64_t evcntr[CKPT_PMU_COUNTERS], evtyper[CKPT_PMU_COUNTERS];
	uint64_t bcr[CKPT_DBG_POINTS], bvr[CKPT_DBG_POINTS];
	uint64_t wcr[CKPT_DBG_POINTS], wvr[CKPT_DBG_POINTS];
	uint64_t mdccint; /**< MDCCINT_EL1 */
	uint64_t oslk;    /**< 0 or 1: OSLSR_EL1.OSLK */
};

/** Passthrough devices and interrupts an image lists, at most. */
#define CKPT_PT_DEVICES 4U
#define CKPT_PT_IRQS 8U
/** Bytes of a device's compatible string, with its NUL. */
#define CKPT_PT_COMPAT 32U

/** One passthrough device: an MMIO range mapped at IPA = PA. */
struct ckpt_pt_device {
	uint64_t base, size;
	/** its first compatible string, NUL-terminated (cut to fit) */
	char compat[CKPT_PT_COMPAT];
};

/** What the VM was given of the board (its configuration's lists). */
struct ckpt_passthrough {
	uint32_t nr_devices; /**< <= CKPT_PT_DEVICES */
	uint32_t nr_irqs;    /**< <= CKPT_PT_IRQS */
	struct ckpt_pt_device dev[CKPT_PT_DEVICES];
	uint32_t irq[CKPT_PT_IRQS]; /**< physical = virtual SPI INTIDs */
};

/** Shared-memory regions an image can hold, at most (region numbers). */
#define CKPT_MAX_SHMEM 4U

/** ckpt_shmem.flags: a ring the VM has not acknowledged (INTR_STATUS). */
#define CKPT_SHMEM_UNACKED 1U
#define CKPT_SHMEM_FLAGS_KNOWN 1U
/** ckpt_shmem.pci_command: the Command bits a VM can set (1, 2, 10). */
#define CKPT_SHMEM_PCI_COMMAND_KNOWN 0x0406U

/**
 * A shared-memory region's header, with the VM's own state of it (its
 * doorbell's INTR_STATUS and its PCI function's Command register); the
 * region's @size bytes follow.
 */
struct ckpt_shmem {
	uint32_t region;      /**< its number, = the section's index */
	uint16_t pci_command; /**< the VM's PCI function's Command */
	uint16_t flags;       /**< CKPT_SHMEM_UNACKED */
	uint64_t size;        /**< bytes: whole 4 KiB pages, not 0 */
};

/**
 * struct ckpt_vgic.backend: what the guest's CPU interface was. Images
 * written before the field existed have 0 there (the word was reserved),
 * and were all taken on a GIC.
 */
enum ckpt_vgic_backend {
	CKPT_VGIC_BACKEND_GIC = 0, /**< the GIC's own (GICV frame, ICH_*) */
	CKPT_VGIC_BACKEND_SW = 1,  /**< emulated, no GIC (docs/rpi3.md) */
};

/** The distributor. */
struct ckpt_vgic {
	uint32_t ctlr;
	uint32_t version; /**< 2 or 3 */
	uint32_t nr_spis; /**< CKPT_NR_SPIS */
	uint32_t backend; /**< enum ckpt_vgic_backend */
	struct ckpt_irq spi[CKPT_NR_SPIS];
};

/** The virtual PL011, with output not yet printed and input not read. */
struct ckpt_vuart {
	uint32_t cr, lcr_h, ibrd, fbrd, imsc, ris, ifls;
	uint32_t rx_len; /**< bytes in rx, oldest first: <= CKPT_UART_RX_CAP */
	uint32_t line_len; /**< bytes in line: <= CKPT_UART_LINE_MAX */
	uint32_t reserved;
	char rx[64];
	char line[256];
};

/**
 * Guest RAM: this header, then a bitmap of nr_pages bits (64-bit words,
 * bit i of word w is page 64 w + i; set: the page is stored), then the
 * stored pages in page order. Pages not stored are zero.
 */
struct ckpt_mem {
	uint64_t ipa, size;
	uint32_t page_size; /**< CKPT_PAGE_SIZE */
	uint32_t reserved;
	uint64_t nr_pages;      /**< size / page_size */
	uint64_t nr_data_pages; /**< bits set in the bitmap */
};

/** Bytes of the bitmap of @nr_pages pages. */
static inline uint64_t ckpt_bitmap_bytes(uint64_t nr_pages)
{
	return (nr_pages + 63) / 64 * 8;
}

/* ---- CRC32C (Castagnoli, reflected 0x82f63b78) ---- */

/**
 * Continue a CRC32C: start with @crc = 0; the usual pre- and
 * post-inversion are done inside, so ckpt_crc32c(ckpt_crc32c(0, a), b)
 * equals the CRC of a followed by b.
 */
uint32_t ckpt_crc32c(uint32_t crc, const void *p, size_t len);
/** Copies @len bytes from @src to @dst and returns their CRC as above. */
uint32_t ckpt_crc32c_copy(uint32_t crc, void *dst, const void *src, size_t len);
/**
 * The table-driven CRC32C, raw (no inversion before or after): Kairos's
 * fallback on a CPU without the CRC32C instructions, and the host's.
 */
uint32_t ckpt_crc32c_sw(uint32_t crc, const void *p, size_t len);

/* ---- Writing ---- */

/** An image being written into a caller's buffer. */
struct ckpt_writer {
	uint8_t *buf;
	uint64_t cap, pos;
	uint64_t sec_start; /**< offset of the open section's header */
	uint32_t sec_crc;   /**< CRC of its payload so far */
	uint32_t toc_crc;   /**< trailer CRC of the sections closed so far */
	uint32_t nr;        /**< sections closed so far */
	bool open;          /**< a section is open */
	bool overflow;      /**< something did not fit: finish fails */
};

void ckpt_w_init(struct ckpt_writer *w, void *buf, uint64_t cap);

/**
 * Open a section. Misuse (a section already open, a payload outside one,
 * more than CKPT_MAX_SECTIONS) marks the image overflowed, like a buffer
 * too small: ckpt_w_finish() then returns 0.
 */
void ckpt_w_begin(struct ckpt_writer *w, uint32_t type, uint32_t index);

/** Append @len bytes of payload to the open section (copied, CRC'd). */
void ckpt_w_append(struct ckpt_writer *w, const void *p, uint64_t len);

/**
 * Room for @len bytes of payload at the current position, which the
 * caller fills itself and then passes to ckpt_w_commit(); NULL when it
 * does not fit (and the image is marked overflowed).
 */
void *ckpt_w_reserve(struct ckpt_writer *w, uint64_t len);

/** The @len bytes reserved last are filled: CRC them, move on. */
void ckpt_w_commit(struct ckpt_writer *w, uint64_t len);

/** Close the open section: its header, padding. */
void ckpt_w_end(struct ckpt_writer *w);

/**
 * Close a section still open, write the trailer and the final header.
 * Total size, or 0 (overflow). Nothing is ever written past the capacity.
 */
uint64_t ckpt_w_finish(struct ckpt_writer *w);

/* ---- Reading ---- */

/** Where a section is in an image. */
struct ckpt_sec_ref {
	uint32_t type, index;
	uint64_t offset; /**< of its payload, from the image start */
	uint64_t length;
	uint32_t crc;
};

/** A parsed image (points into the caller's buffer). */
struct ckpt_image {
	const uint8_t *base;
	uint64_t size; /**< total_size */
	struct ckpt_header hdr;
	unsigned int nr;
	struct ckpt_sec_ref sec[CKPT_MAX_SECTIONS];
};

/* ckpt_parse() flags */
/** Don't recompute the payload CRC of the memory section (an image Kairos
 *  wrote or verified itself and nothing else can have written since). */
#define CKPT_PARSE_TRUST_MEM (1U << 0)

/**
 * Validate @len bytes at @buf as an image: magic, version, sizes and
 * truncation, every header and payload CRC, the trailer; then the
 * structure (one VM section first, one section per vCPU 0..n-1, one vGIC,
 * one UART, one memory section) and the consistency of each known
 * payload (lengths, counts, bitmap population, page size, flags, and
 * every value Kairos would use as a bound or an index: UART lengths,
 * vCPU modes and power states, timer controls, interrupt sources, the
 * RAM size). This is the one validation of an image: Kairos runs it
 * before a restore and adds only the comparisons with the VM it restores
 * into (configuration, counter frequency, GIC version, sizes). On
 * failure returns false and writes which check failed to @why (a
 * sentence without a trailing newline).
 */
bool ckpt_parse(const void *buf, uint64_t len, unsigned int flags,
		struct ckpt_image *img, char *why, size_t why_len);

/** The first section of @type with @index, or NULL. */
const struct ckpt_sec_ref *ckpt_find(const struct ckpt_image *img,
				     uint32_t type, uint32_t index);

/** Payload of @ref. */
static inline const void *ckpt_payload(const struct ckpt_image *img,
				       const struct ckpt_sec_ref *ref)
{
	return img->base + ref->offset;
}

/** The memory section of a parsed image, taken apart. */
struct ckpt_mem_view {
	struct ckpt_mem hdr;
	const uint64_t *bitmap; /**< may be unaligned in a host file: use
				   ckpt_page_stored() */
	const uint8_t *data;    /**< the stored pages */
};

/** Take the memory section of a parsed image apart. */
void ckpt_mem_view(const struct ckpt_image *img, struct ckpt_mem_view *m);

/**
 * Word @w of the page bitmap @bm (bit i: page 64 @w + i), read at any
 * alignment without a call: the bitmap's words are little-endian, as the
 * hosts and Kairos are.
 */
static inline uint64_t ckpt_bitmap_word(const void *bm, uint64_t w)
{
	const uint8_t *b = (const uint8_t *)bm + w * 8;
	uint64_t v;

	if (((uintptr_t)b & 7U) == 0)
		return *(const uint64_t *)(const void *)b;
	__builtin_memcpy(&v, b, sizeof(v));
	return v;
}

/** Is page @page stored (not zero) in @m? */
bool ckpt_page_stored(const struct ckpt_mem_view *m, uint64_t page);

/**
 * The CKPT_PAGE_SIZE bytes of page @page in @m, or NULL when the page is
 * not stored (it is zero). Counts the bitmap up to @page: to walk all
 * pages, keep a running pointer instead.
 */
const uint8_t *ckpt_page_data(const struct ckpt_mem_view *m, uint64_t page);

/** Name of a section type, for messages ("vcpu", "memory", "type 9"). */
const char *ckpt_section_name(uint32_t type);

/**
 * The first difference between two passthrough lists, @a of @a_name and
 * @b of @b_name, as "device 0: the image has 0x9010000+0x1000
 * (arm,pl031), g has none" into @buf: false when both list the same MMIO
 * ranges and interrupts in the same order (what the configuration's
 * fingerprint covers; compatible strings only name the devices).
 */
bool ckpt_pt_diff(const struct ckpt_passthrough *a, const char *a_name,
		  const struct ckpt_passthrough *b, const char *b_name,
		  char *buf, size_t len);

/** "0x9010000+0x1000 (arm,pl031)": device @k of @p, for messages. */
void ckpt_pt_device_str(const struct ckpt_passthrough *p, unsigned int k,
			char *buf, size_t len);

#endif
