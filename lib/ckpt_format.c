// SPDX-License-Identifier: MIT
/*
 * The checkpoint image format (kairos/ckpt_format.h,
 * docs/checkpoint-format.md): CRC32C, the writer and the validating
 * reader. Built into Kairos (aarch64, freestanding) and, unchanged, into
 * the host tool, the unit tests and the fuzzer, so it uses nothing but
 * memcpy/memset/snprintf and never assumes an aligned buffer (Kairos is
 * built -mstrict-align; a host file can start anywhere).
 */
#include <kairos/ckpt_format.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* The layout is the contract: any change here is a version bump. */
_Static_assert(sizeof(struct ckpt_header) == 40, "ckpt_header layout");
_Static_assert(sizeof(struct ckpt_section) == 24, "ckpt_section layout");
_Static_assert(sizeof(struct ckpt_trailer) == 24, "ckpt_trailer layout");
_Static_assert(sizeof(struct ckpt_vm) == 104, "ckpt_vm layout");
_Static_assert(sizeof(struct ckpt_irq) == 16, "ckpt_irq layout");
_Static_assert(sizeof(struct ckpt_sysregs) == 200, "ckpt_sysregs layout");
_Static_assert(sizeof(struct ckpt_vcpu) == 1624, "ckpt_vcpu layout");
_Static_assert(sizeof(struct ckpt_pmu_debug) == 1088, "ckpt_pmu_debug layout");
_Static_assert(sizeof(struct ckpt_vgic) == 4112, "ckpt_vgic layout");
_Static_assert(sizeof(struct ckpt_pt_device) == 48, "ckpt_pt_device layout");
_Static_assert(sizeof(struct ckpt_passthrough) == 232,
	       "ckpt_passthrough layout");
_Static_assert(sizeof(struct ckpt_vuart) == 360, "ckpt_vuart layout");
_Static_assert(sizeof(struct ckpt_shmem) == 16, "ckpt_shmem layout");
_Static_assert(sizeof(struct ckpt_mem) == 40, "ckpt_mem layout");
_Static_assert(CKPT_UART_RX_CAP < sizeof(((struct ckpt_vuart *)0)->rx) &&
		       CKPT_UART_LINE_MAX <=
			       sizeof(((struct ckpt_vuart *)0)->line),
	       "the UART limits fit the section's arrays");
/* Fields are stored as the CPU holds them: both ends are little-endian. */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
	       "the image format is little-endian");

#define HDR_SIZE ((uint64_t)sizeof(struct ckpt_header))
#define SEC_SIZE ((uint64_t)sizeof(struct ckpt_section))
#define TRL_SIZE ((uint64_t)sizeof(struct ckpt_trailer))
/*
 * The bytes each self-CRC covers: everything before the crc field. The
 * trailer's CRC covers the same SEC_CRC_LEN bytes of each section header,
 * not the whole 24: a CRC32C run over bytes followed by their own CRC32C
 * ends in a constant (the CRC residue), so a CRC of whole headers would
 * depend on nothing but their number.
 */
#define HDR_CRC_LEN offsetof(struct ckpt_header, crc)
#define SEC_CRC_LEN offsetof(struct ckpt_section, hcrc)

/* ---- CRC32C ---- */

/*
 * Slicing-by-8 (Intel's, as in zlib and the Linux kernel): table k maps a
 * byte to its CRC followed by k zero bytes, so 8 lookups fold 8 bytes.
 * Built on first use. The host tool and tests use it; Kairos uses the
 * CPU's CRC32C instructions through arch/memops.h and falls back to this
 * one when the CPU has none.
 */
#define CRC32C_POLY 0x82f63b78U

static uint32_t crc_tab[8][256];
static bool crc_tab_ready;

static void crc_tab_init(void)
{
	for (unsigned int i = 0; i < 256; i++) {
		uint32_t c = i;

		for (unsigned int b = 0; b < 8; b++)
			c = (c & 1U) ? (c >> 1) ^ CRC32C_POLY : c >> 1;
		crc_tab[0][i] = c;
	}
	for (unsigned int i = 0; i < 256; i++)
		for (unsigned int k = 1; k < 8; k++)
			crc_tab[k][i] = (crc_tab[k - 1][i] >> 8) ^
					crc_tab[0][crc_tab[k - 1][i] & 0xffU];
	crc_tab_ready = true;
}

static uint32_t crc_byte(uint32_t crc, uint8_t b)
{
	return (crc >> 8) ^ crc_tab[0][(crc ^ b) & 0xffU];
}

uint32_t ckpt_crc32c_sw(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	if (!crc_tab_ready)
		crc_tab_init();
	for (; len >= 8; p += 8, len -= 8) {
		uint64_t v;

		memcpy(&v, p, sizeof(v));
		v ^= crc;
		crc = crc_tab[7][v & 0xffU] ^ crc_tab[6][(v >> 8) & 0xffU] ^
		      crc_tab[5][(v >> 16) & 0xffU] ^
		      crc_tab[4][(v >> 24) & 0xffU] ^
		      crc_tab[3][(v >> 32) & 0xffU] ^
		      crc_tab[2][(v >> 40) & 0xffU] ^
		      crc_tab[1][(v >> 48) & 0xffU] ^ crc_tab[0][v >> 56];
	}
	while (len-- > 0)
		crc = crc_byte(crc, *p++);
	return crc;
}

#ifdef CKPT_CRC_ARCH
/* In Kairos: arch/memops.h, one pass for the copy and the CRC. */
#include <arch/memops.h>

static uint32_t crc_raw(uint32_t crc, const uint8_t *p, size_t len)
{
	return arch_mem_crc32c(crc, p, len);
}

static uint32_t crc_copy_raw(uint32_t crc, uint8_t *d, const uint8_t *s,
			     size_t len)
{
	return arch_mem_copy_crc32c(crc, d, s, len);
}
#else
static uint32_t crc_raw(uint32_t crc, const uint8_t *p, size_t len)
{
	return ckpt_crc32c_sw(crc, p, len);
}

static uint32_t crc_copy_raw(uint32_t crc, uint8_t *d, const uint8_t *s,
			     size_t len)
{
	memcpy(d, s, len);
	return crc_raw(crc, s, len);
}
#endif

uint32_t ckpt_crc32c(uint32_t crc, const void *p, size_t len)
{
	return ~crc_raw(~crc, p, len);
}

uint32_t ckpt_crc32c_copy(uint32_t crc, void *dst, const void *src, size_t len)
{
	return ~crc_copy_raw(~crc, dst, src, len);
}

/* ---- Writing ---- */

static bool w_room(struct ckpt_writer *w, uint64_t len)
{
	if (w->overflow || len > w->cap - w->pos) {
		w->overflow = true;
		return false;
	}
	return true;
}

void ckpt_w_init(struct ckpt_writer *w, void *buf, uint64_t cap)
{
	memset(w, 0, sizeof(*w));
	w->buf = buf;
	w->cap = cap;
	/* The header is written last, by ckpt_w_finish(). */
	if (w_room(w, HDR_SIZE))
		w->pos = HDR_SIZE;
}

void ckpt_w_begin(struct ckpt_writer *w, uint32_t type, uint32_t index)
{
	struct ckpt_section s = { .type = type, .index = index };

	/* A section inside a section, or one more than a reader takes. */
	if (w->open || w->nr >= CKPT_MAX_SECTIONS)
		w->overflow = true;
	if (!w_room(w, SEC_SIZE))
		return;
	w->sec_start = w->pos;
	/* Type and index now, so a reserve()d payload sits after them. */
	memcpy(w->buf + w->pos, &s, sizeof(s));
	w->pos += SEC_SIZE;
	w->sec_crc = 0;
	w->open = true;
}

void ckpt_w_append(struct ckpt_writer *w, const void *p, uint64_t len)
{
	if (!w->open)
		w->overflow = true;
	if (!w_room(w, len))
		return;
	w->sec_crc =
		ckpt_crc32c_copy(w->sec_crc, w->buf + w->pos, p, (size_t)len);
	w->pos += len;
}

void *ckpt_w_reserve(struct ckpt_writer *w, uint64_t len)
{
	if (!w->open)
		w->overflow = true;
	if (!w_room(w, len))
		return NULL;
	return w->buf + w->pos;
}

void ckpt_w_commit(struct ckpt_writer *w, uint64_t len)
{
	if (!w->open)
		w->overflow = true;
	if (!w_room(w, len))
		return;
	w->sec_crc = ckpt_crc32c(w->sec_crc, w->buf + w->pos, (size_t)len);
	w->pos += len;
}

void ckpt_w_end(struct ckpt_writer *w)
{
	struct ckpt_section s;
	uint64_t pad;

	if (!w->open) {
		w->overflow = true;
		return;
	}
	w->open = false;
	pad = (8 - (w->pos & 7U)) & 7U;
	if (!w_room(w, pad))
		return;
	s.type = 0;
	memcpy(&s, w->buf + w->sec_start, sizeof(s));
	s.length = w->pos - w->sec_start - SEC_SIZE;
	s.crc = w->sec_crc;
	s.hcrc = ckpt_crc32c(0, &s, SEC_CRC_LEN);
	memcpy(w->buf + w->sec_start, &s, sizeof(s));
	memset(w->buf + w->pos, 0, (size_t)pad);
	w->pos += pad;
	w->toc_crc = ckpt_crc32c(w->toc_crc, &s, SEC_CRC_LEN);
	w->nr++;
}

uint64_t ckpt_w_finish(struct ckpt_writer *w)
{
	struct ckpt_trailer t;
	struct ckpt_header h;

	if (w->open)
		ckpt_w_end(w);
	if (!w_room(w, TRL_SIZE))
		return 0;
	memset(&t, 0, sizeof(t));
	memcpy(t.magic, CKPT_TRAILER_MAGIC, sizeof(t.magic));
	t.total_size = w->pos + TRL_SIZE;
	t.nr_sections = w->nr;
	t.crc = w->toc_crc;
	memcpy(w->buf + w->pos, &t, sizeof(t));
	w->pos += TRL_SIZE;

	memset(&h, 0, sizeof(h));
	memcpy(h.magic, CKPT_MAGIC, sizeof(h.magic));
	h.version = CKPT_VERSION;
	h.header_size = (uint32_t)HDR_SIZE;
	h.total_size = w->pos;
	h.nr_sections = w->nr;
	h.crc = ckpt_crc32c(0, &h, HDR_CRC_LEN);
	memcpy(w->buf, &h, sizeof(h));
	return w->pos;
}

/* ---- Reading ---- */

/* Where a refusal is written: never NULL, so checks need not care. */
struct why {
	char *buf;
	size_t len;
};

__attribute__((format(printf, 2, 3))) static void say(const struct why *why,
						      const char *fmt, ...)
{
	va_list ap;

	if (why->buf != NULL && why->len > 0) {
		va_start(ap, fmt);
		vsnprintf(why->buf, why->len, fmt, ap);
		va_end(ap);
	}
}

/* Say why and be false: `return refuse(why, ...);` (a macro, so that the
 * analyser sees the false). */
#define refuse(why, ...) (say((why), __VA_ARGS__), false)

const char *ckpt_section_name(uint32_t type)
{
	/* Only the boot CPU and single-threaded tools name unknown types. */
	static char unknown[24];

	switch (type) {
	case CKPT_SEC_VM: return "vm";
	case CKPT_SEC_VCPU: return "vcpu";
	case CKPT_SEC_VGIC: return "vgic";
	case CKPT_SEC_VUART: return "vuart";
	case CKPT_SEC_MEM: return "memory";
	case CKPT_SEC_PMU_DEBUG: return "pmu-debug";
	case CKPT_SEC_PASSTHROUGH: return "passthrough";
	case CKPT_SEC_SHMEM: return "shmem";
	default: break;
	}
	snprintf(unknown, sizeof(unknown), "type %u", type);
	return unknown;
}

/* "vcpu 1", "memory", "type 9": a section as messages name it. */
static const char *sec_label(const struct ckpt_sec_ref *r, char *buf,
			     size_t len)
{
	if (r->type == CKPT_SEC_VCPU || r->type == CKPT_SEC_PMU_DEBUG ||
	    r->type == CKPT_SEC_SHMEM)
		snprintf(buf, len, "%s %u", ckpt_section_name(r->type),
			 r->index);
	else
		snprintf(buf, len, "%s", ckpt_section_name(r->type));
	return buf;
}

static bool check_header(const uint8_t *b, uint64_t len, struct ckpt_header *h,
			 const struct why *why)
{
	if (len < HDR_SIZE)
		return refuse(why,
			      "truncated: %llu bytes, less than a header (%llu)",
			      (unsigned long long)len,
			      (unsigned long long)HDR_SIZE);
	memcpy(h, b, sizeof(*h));
	if (memcmp(h->magic, CKPT_MAGIC, sizeof(h->magic)) != 0)
		return refuse(why, "bad magic (not a Kairos checkpoint image)");
	if (h->version != CKPT_VERSION)
		return refuse(
			why,
			"version %u is not supported (this Kairos reads version %u)",
			h->version, CKPT_VERSION);
	if (h->header_size != HDR_SIZE)
		return refuse(why, "header size %u, expected %llu",
			      h->header_size, (unsigned long long)HDR_SIZE);
	if (ckpt_crc32c(0, h, HDR_CRC_LEN) != h->crc)
		return refuse(why, "header checksum does not match");
	if (h->flags != 0)
		return refuse(why, "unknown header flags 0x%x", h->flags);
	if (h->total_size > len)
		return refuse(
			why,
			"truncated: the header says %llu bytes, the slot holds %llu",
			(unsigned long long)h->total_size,
			(unsigned long long)len);
	if (h->total_size < HDR_SIZE + TRL_SIZE || (h->total_size & 7U) != 0)
		return refuse(
			why,
			"total size %llu is impossible (at least %llu, a multiple of 8)",
			(unsigned long long)h->total_size,
			(unsigned long long)(HDR_SIZE + TRL_SIZE));
	if (h->nr_sections > CKPT_MAX_SECTIONS)
		return refuse(why, "%u sections, at most %u are allowed",
			      h->nr_sections, CKPT_MAX_SECTIONS);
	return true;
}

/*
 * Section @i at *@off, before the trailer at @end: bounds, header CRC,
 * zero padding, payload CRC (not the memory's with CKPT_PARSE_TRUST_MEM).
 * Every length is compared with what is left before it is added.
 */
static bool check_section(struct ckpt_image *img, unsigned int i, uint64_t *off,
			  uint64_t end, unsigned int flags,
			  const struct why *why)
{
	struct ckpt_sec_ref *r = &img->sec[i];
	struct ckpt_section s;
	uint64_t room, pad;
	char l[24];

	if (end - *off < SEC_SIZE)
		return refuse(
			why,
			"section %u: its header at offset %llu runs into the trailer (the header says %u sections)",
			i, (unsigned long long)*off, img->hdr.nr_sections);
	memcpy(&s, img->base + *off, sizeof(s));
	if (ckpt_crc32c(0, &s, SEC_CRC_LEN) != s.hcrc)
		return refuse(
			why,
			"section %u: header checksum does not match (at offset %llu)",
			i, (unsigned long long)*off);
	*r = (struct ckpt_sec_ref){ .type = s.type,
				    .index = s.index,
				    .offset = *off + SEC_SIZE,
				    .length = s.length,
				    .crc = s.crc };
	room = end - r->offset;
	pad = (8 - (s.length & 7U)) & 7U;
	if (s.length > room || pad > room - s.length)
		return refuse(
			why,
			"section %u (%s): length %llu runs past the trailer (%llu bytes left)",
			i, sec_label(r, l, sizeof(l)),
			(unsigned long long)s.length, (unsigned long long)room);
	for (uint64_t p = 0; p < pad; p++)
		if (img->base[r->offset + s.length + p] != 0)
			return refuse(why,
				      "section %u (%s): padding is not zero", i,
				      sec_label(r, l, sizeof(l)));
	if (!(s.type == CKPT_SEC_MEM && (flags & CKPT_PARSE_TRUST_MEM)) &&
	    ckpt_crc32c(0, img->base + r->offset, (size_t)s.length) != s.crc)
		return refuse(why, "checksum of section %u (%s) does not match",
			      i, sec_label(r, l, sizeof(l)));
	*off = r->offset + s.length + pad;
	return true;
}

static bool check_trailer(const struct ckpt_image *img, uint64_t off,
			  uint32_t toc_crc, const struct why *why)
{
	uint64_t end = img->size - TRL_SIZE;
	struct ckpt_trailer t;

	if (off != end)
		return refuse(
			why,
			"trailer missing or damaged: %llu bytes between the last section and the trailer",
			(unsigned long long)(end - off));
	memcpy(&t, img->base + end, sizeof(t));
	if (memcmp(t.magic, CKPT_TRAILER_MAGIC, sizeof(t.magic)) != 0)
		return refuse(why, "trailer missing or damaged: bad magic");
	if (t.total_size != img->size || t.nr_sections != img->nr)
		return refuse(
			why,
			"trailer missing or damaged: it says %llu bytes and %u sections, the header %llu and %u",
			(unsigned long long)t.total_size, t.nr_sections,
			(unsigned long long)img->size, img->nr);
	if (t.crc != toc_crc)
		return refuse(
			why,
			"trailer missing or damaged: the section headers do not match its checksum");
	return true;
}

/*
 * Unknown flag bits, or an active SGI source no vCPU can be (a shift
 * count when the vGIC lists it), in @n interrupts of @what (INTIDs from
 * @first).
 */
static bool check_irqs(const struct ckpt_irq *irq, unsigned int n,
		       unsigned int first, const char *what,
		       const struct why *why)
{
	for (unsigned int i = 0; i < n; i++) {
		if (irq[i].flags & ~CKPT_IRQ_KNOWN)
			return refuse(
				why,
				"%s: interrupt %u has unknown flag bits 0x%x",
				what, first + i,
				irq[i].flags & ~CKPT_IRQ_KNOWN);
		if (irq[i].active_source >= CKPT_MAX_VCPUS)
			return refuse(
				why,
				"%s: interrupt %u: active source %u, at most %u",
				what, first + i, irq[i].active_source,
				CKPT_MAX_VCPUS - 1);
	}
	return true;
}

/* The one section of @type, with index 0; NULL (refused) otherwise. */
static const struct ckpt_sec_ref *find_one(const struct ckpt_image *img,
					   uint32_t type, const struct why *why)
{
	const struct ckpt_sec_ref *r = NULL;
	unsigned int n = 0;

	for (unsigned int i = 0; i < img->nr; i++)
		if (img->sec[i].type == type) {
			r = r != NULL ? r : &img->sec[i];
			n++;
		}
	if (n == 0) {
		say(why, "no %s section", ckpt_section_name(type));
		return NULL;
	}
	if (n > 1) {
		say(why, "%u %s sections, expected one", n,
		    ckpt_section_name(type));
		return NULL;
	}
	if (r->index != 0) {
		say(why, "%s section: index %u, expected 0",
		    ckpt_section_name(type), r->index);
		return NULL;
	}
	return r;
}

/* The one section of @type, of exactly @size bytes, copied to @out. */
static bool one_section(const struct ckpt_image *img, uint32_t type, void *out,
			uint64_t size, const struct why *why)
{
	const struct ckpt_sec_ref *r = find_one(img, type, why);

	if (r == NULL)
		return false;
	if (r->length != size)
		return refuse(why, "%s section: %llu bytes, expected %llu",
			      ckpt_section_name(type),
			      (unsigned long long)r->length,
			      (unsigned long long)size);
	memcpy(out, ckpt_payload(img, r), (size_t)size);
	return true;
}

static bool check_vm(const struct ckpt_image *img, struct ckpt_vm *vm,
		     const struct why *why)
{
	if (img->nr == 0 || img->sec[0].type != CKPT_SEC_VM)
		return refuse(why,
			      "the first section is %s, not the vm section",
			      img->nr == 0 ?
				      "missing" :
				      ckpt_section_name(img->sec[0].type));
	if (!one_section(img, CKPT_SEC_VM, vm, sizeof(*vm), why))
		return false;
	if (memchr(vm->name, '\0', sizeof(vm->name)) == NULL)
		return refuse(why,
			      "vm section: the name is not NUL-terminated");
	if (vm->nr_vcpus == 0 || vm->nr_vcpus > CKPT_MAX_VCPUS)
		return refuse(why, "vm section: %u vCPUs, expected 1 to %u",
			      vm->nr_vcpus, CKPT_MAX_VCPUS);
	if (vm->gic_version != 2 && vm->gic_version != 3)
		return refuse(why,
			      "vm section: GIC version %u, expected 2 or 3",
			      vm->gic_version);
	if (vm->cntfrq == 0)
		return refuse(why, "vm section: counter frequency 0");
	if (vm->paused > 1)
		return refuse(why, "vm section: paused is %u, expected 0 or 1",
			      vm->paused);
	if (vm->mem_size > CKPT_MAX_MEM)
		return refuse(
			why,
			"vm section: %llu bytes of RAM, at most %llu (2 GiB)",
			(unsigned long long)vm->mem_size, CKPT_MAX_MEM);
	return true;
}

/* What Kairos loads into a vCPU's registers and timers. */
static bool check_vcpu_state(const struct ckpt_vcpu *v, uint32_t k,
			     const struct why *why)
{
	uint64_t mode = v->pstate & CKPT_PSTATE_MODE_MASK;

	/*
	 * EL0t, EL1t, EL1h, or AArch32 User (a guest's 32-bit EL0 under its
	 * AArch64 EL1): never EL2, never an AArch32 EL1 mode.
	 */
	if (mode != CKPT_PSTATE_EL0T && mode != CKPT_PSTATE_EL1T &&
	    mode != CKPT_PSTATE_EL1H && mode != CKPT_PSTATE_USR32)
		return refuse(
			why,
			"vcpu %u: PSTATE mode 0x%llx is not EL0t, EL1t, EL1h or AArch32 User",
			k, (unsigned long long)mode);
	if (v->power > CKPT_POWER_ON)
		return refuse(why, "vcpu %u: power state %u is unknown", k,
			      v->power);
	if ((v->vtimer_ctl | v->ptimer_ctl) & ~CKPT_TIMER_CTL_KNOWN)
		return refuse(
			why,
			"vcpu %u: timer control 0x%llx / 0x%llx has unknown bits (known: 0x%llx)",
			k, (unsigned long long)v->vtimer_ctl,
			(unsigned long long)v->ptimer_ctl,
			CKPT_TIMER_CTL_KNOWN);
	return true;
}

static bool check_vcpu(const struct ckpt_sec_ref *r, const void *payload,
		       const struct why *why)
{
	struct ckpt_vcpu v;
	char what[24];

	if (r->length != sizeof(v))
		return refuse(why, "vcpu %u section: %llu bytes, expected %zu",
			      r->index, (unsigned long long)r->length,
			      sizeof(v));
	memcpy(&v, payload, sizeof(v));
	if (!check_vcpu_state(&v, r->index, why))
		return false;
	snprintf(what, sizeof(what), "vcpu %u", r->index);
	return check_irqs(v.priv, CKPT_NR_PRIVATE, 0, what, why);
}

/* One vCPU section per vCPU 0..nr_vcpus-1, each well-formed. */
static bool check_vcpus(const struct ckpt_image *img, const struct ckpt_vm *vm,
			const struct why *why)
{
	unsigned int n = 0;
	uint32_t seen = 0;

	for (unsigned int i = 0; i < img->nr; i++) {
		const struct ckpt_sec_ref *r = &img->sec[i];

		if (r->type != CKPT_SEC_VCPU)
			continue;
		n++;
		if (r->index >= vm->nr_vcpus)
			return refuse(
				why,
				"vcpu section for vCPU %u, the VM has %u vCPUs",
				r->index, vm->nr_vcpus);
		if (seen & (1U << r->index))
			return refuse(why, "two vcpu sections for vCPU %u",
				      r->index);
		seen |= 1U << r->index;
		if (!check_vcpu(r, ckpt_payload(img, r), why))
			return false;
	}
	if (n != vm->nr_vcpus)
		return refuse(why, "vcpu sections: %u for %u vCPUs", n,
			      vm->nr_vcpus);
	return true;
}

/* At most one pmu-debug section per vCPU, each of its exact size. */
static bool check_pmu_debug(const struct ckpt_image *img,
			    const struct ckpt_vm *vm, const struct why *why)
{
	uint32_t seen = 0;

	for (unsigned int i = 0; i < img->nr; i++) {
		const struct ckpt_sec_ref *r = &img->sec[i];

		if (r->type != CKPT_SEC_PMU_DEBUG)
			continue;
		if (r->index >= vm->nr_vcpus)
			return refuse(
				why,
				"pmu-debug section for vCPU %u, the VM has %u vCPUs",
				r->index, vm->nr_vcpus);
		if (seen & (1U << r->index))
			return refuse(why, "two pmu-debug sections for vCPU %u",
				      r->index);
		seen |= 1U << r->index;
		if (r->length != sizeof(struct ckpt_pmu_debug))
			return refuse(
				why,
				"pmu-debug %u section: %llu bytes, expected %zu",
				r->index, (unsigned long long)r->length,
				sizeof(struct ckpt_pmu_debug));
	}
	return true;
}

/* At most one passthrough section (none: an image written before it). */
static bool check_passthrough(const struct ckpt_image *img,
			      const struct why *why)
{
	struct ckpt_passthrough p;
	bool present = false;

	for (unsigned int i = 0; i < img->nr; i++)
		present |= img->sec[i].type == CKPT_SEC_PASSTHROUGH;
	if (!present)
		return true;
	if (!one_section(img, CKPT_SEC_PASSTHROUGH, &p, sizeof(p), why))
		return false;
	if (p.nr_devices > CKPT_PT_DEVICES)
		return refuse(why,
			      "passthrough section: %u devices, at most %u",
			      p.nr_devices, CKPT_PT_DEVICES);
	if (p.nr_irqs > CKPT_PT_IRQS)
		return refuse(why,
			      "passthrough section: %u interrupts, at most %u",
			      p.nr_irqs, CKPT_PT_IRQS);
	for (uint32_t k = 0; k < p.nr_devices; k++)
		if (memchr(p.dev[k].compat, '\0', CKPT_PT_COMPAT) == NULL)
			return refuse(
				why,
				"passthrough section: device %u: the compatible is not NUL-terminated",
				k);
	return true;
}

/*
 * Shared-memory sections (optional): one per region at most, each a
 * header naming its own index and whole pages of bytes after it.
 */
static bool check_shmem(const struct ckpt_image *img, const struct why *why)
{
	unsigned int seen = 0;

	for (unsigned int i = 0; i < img->nr; i++) {
		const struct ckpt_sec_ref *r = &img->sec[i];
		struct ckpt_shmem h;

		if (r->type != CKPT_SEC_SHMEM)
			continue;
		if (r->index >= CKPT_MAX_SHMEM)
			return refuse(why,
				      "shmem section: region %u, at most %u",
				      r->index, CKPT_MAX_SHMEM - 1);
		if (seen & 1U << r->index)
			return refuse(why, "shmem section: region %u twice",
				      r->index);
		seen |= 1U << r->index;
		if (r->length < sizeof(h))
			return refuse(
				why,
				"shmem section %u: %llu bytes, its header alone is %zu",
				r->index, (unsigned long long)r->length,
				sizeof(h));
		memcpy(&h, img->base + r->offset, sizeof(h));
		if (h.region != r->index || h.flags & ~CKPT_SHMEM_FLAGS_KNOWN ||
		    h.pci_command & ~CKPT_SHMEM_PCI_COMMAND_KNOWN)
			return refuse(
				why,
				"shmem section %u: it says region %u, flags 0x%x, PCI command 0x%x (known: 0x%x, 0x%x)",
				r->index, h.region, h.flags, h.pci_command,
				CKPT_SHMEM_FLAGS_KNOWN,
				CKPT_SHMEM_PCI_COMMAND_KNOWN);
		if (h.size == 0 || h.size % CKPT_PAGE_SIZE != 0 ||
		    h.size != r->length - sizeof(h))
			return refuse(
				why,
				"shmem section %u: size %llu in %llu bytes of section (whole pages, after its %zu-byte header)",
				r->index, (unsigned long long)h.size,
				(unsigned long long)r->length, sizeof(h));
	}
	return true;
}

static bool check_vgic(const struct ckpt_image *img, const struct ckpt_vm *vm,
		       const struct why *why)
{
	/* 4 KiB: static, not on a hypervisor stack (boot CPU only). */
	static struct ckpt_vgic g;

	if (!one_section(img, CKPT_SEC_VGIC, &g, sizeof(g), why))
		return false;
	if (g.version != vm->gic_version)
		return refuse(why,
			      "vgic section: GIC version %u, the VM has %u",
			      g.version, vm->gic_version);
	if (g.nr_spis != CKPT_NR_SPIS)
		return refuse(why, "vgic section: %u SPIs, expected %u",
			      g.nr_spis, CKPT_NR_SPIS);
	if (g.backend > CKPT_VGIC_BACKEND_SW)
		return refuse(
			why,
			"vgic section: back end %u, expected 0 (the GIC's CPU interface) or 1 (emulated)",
			g.backend);
	if (g.ctlr & ~CKPT_GICD_CTLR_KNOWN)
		return refuse(
			why,
			"vgic section: distributor control 0x%x has unknown bits (known: 0x%x)",
			g.ctlr, CKPT_GICD_CTLR_KNOWN);
	return check_irqs(g.spi, CKPT_NR_SPIS, CKPT_NR_PRIVATE, "vgic", why);
}

static bool check_vuart(const struct ckpt_image *img, const struct why *why)
{
	struct ckpt_vuart u;

	if (!one_section(img, CKPT_SEC_VUART, &u, sizeof(u), why))
		return false;
	if (u.rx_len > CKPT_UART_RX_CAP || u.line_len > CKPT_UART_LINE_MAX)
		return refuse(
			why,
			"vuart section: %u input and %u output bytes, at most %u and %u",
			u.rx_len, u.line_len, CKPT_UART_RX_CAP,
			CKPT_UART_LINE_MAX);
	return true;
}

/* Set bits of @x (no popcount builtin: it would use SIMD on aarch64). */
static unsigned int popcount64(uint64_t x)
{
	x = x - ((x >> 1) & 0x5555555555555555ULL);
	x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
	x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
	return (unsigned int)((x * 0x0101010101010101ULL) >> 56);
}

/* Pages set in the bitmap; *@stray: a bit set past the last page. */
static uint64_t bitmap_count(const uint8_t *bm, uint64_t nr_pages, bool *stray)
{
	uint64_t words = ckpt_bitmap_bytes(nr_pages) / 8, n = 0;

	*stray = false;
	for (uint64_t w = 0; w < words; w++) {
		uint64_t v = ckpt_bitmap_word(bm, w);

		if (w == words - 1 && (nr_pages & 63U) != 0) {
			uint64_t valid = (1ULL << (nr_pages & 63U)) - 1;

			*stray = (v & ~valid) != 0;
			v &= valid;
		}
		n += popcount64(v);
	}
	return n;
}

static bool check_mem_hdr(const struct ckpt_mem *m, const struct ckpt_vm *vm,
			  const struct why *why)
{
	if (m->page_size != CKPT_PAGE_SIZE)
		return refuse(why, "memory section: page size %u, expected %u",
			      m->page_size, CKPT_PAGE_SIZE);
	if (m->size == 0 || m->size % CKPT_PAGE_SIZE != 0)
		return refuse(
			why,
			"memory section: size %llu is not a non-zero multiple of the page size",
			(unsigned long long)m->size);
	if (m->ipa != vm->mem_ipa || m->size != vm->mem_size)
		return refuse(
			why,
			"memory section: 0x%llx bytes at 0x%llx, the vm section says 0x%llx at 0x%llx",
			(unsigned long long)m->size, (unsigned long long)m->ipa,
			(unsigned long long)vm->mem_size,
			(unsigned long long)vm->mem_ipa);
	if (m->nr_pages != m->size / CKPT_PAGE_SIZE)
		return refuse(why, "memory section: %llu pages for %llu bytes",
			      (unsigned long long)m->nr_pages,
			      (unsigned long long)m->size);
	if (m->nr_data_pages > m->nr_pages)
		return refuse(why, "memory section: %llu pages stored of %llu",
			      (unsigned long long)m->nr_data_pages,
			      (unsigned long long)m->nr_pages);
	return true;
}

/*
 * The memory section: header consistent with the VM, then its length
 * (nr_pages <= 2^52 and nr_data_pages <= nr_pages, so no product below
 * can wrap; the sum is compared piecewise), then the bitmap's population.
 */
static bool check_mem(const struct ckpt_image *img, const struct ckpt_vm *vm,
		      const struct why *why)
{
	const struct ckpt_sec_ref *r = find_one(img, CKPT_SEC_MEM, why);
	const uint8_t *p;
	uint64_t bm_bytes, want, set;
	struct ckpt_mem m;
	bool stray;

	if (r == NULL)
		return false;
	if (r->length < sizeof(m))
		return refuse(
			why,
			"memory section: %llu bytes, less than its header (%zu)",
			(unsigned long long)r->length, sizeof(m));
	p = ckpt_payload(img, r);
	memcpy(&m, p, sizeof(m));
	if (!check_mem_hdr(&m, vm, why))
		return false;
	bm_bytes = ckpt_bitmap_bytes(m.nr_pages);
	/* For the message only: wraps only where size does. */
	want = sizeof(m) + bm_bytes + m.nr_data_pages * CKPT_PAGE_SIZE;
	if (r->length - sizeof(m) < bm_bytes ||
	    r->length - sizeof(m) - bm_bytes !=
		    m.nr_data_pages * CKPT_PAGE_SIZE)
		return refuse(
			why,
			"memory section: %llu bytes, but %llu pages with %llu stored take %llu",
			(unsigned long long)r->length,
			(unsigned long long)m.nr_pages,
			(unsigned long long)m.nr_data_pages,
			(unsigned long long)want);
	set = bitmap_count(p + sizeof(m), m.nr_pages, &stray);
	if (stray)
		return refuse(
			why,
			"memory section: the bitmap has bits set past page %llu",
			(unsigned long long)m.nr_pages);
	if (set != m.nr_data_pages)
		return refuse(
			why,
			"memory section: bitmap has %llu pages set, header says %llu",
			(unsigned long long)set,
			(unsigned long long)m.nr_data_pages);
	return true;
}

/* Header, sections and trailer: bytes and checksums. */
static bool check_frame(struct ckpt_image *img, unsigned int flags,
			const struct why *why)
{
	uint64_t off = HDR_SIZE, end = img->size - TRL_SIZE;
	uint32_t toc_crc = 0;

	for (unsigned int i = 0; i < img->hdr.nr_sections; i++) {
		if (!check_section(img, i, &off, end, flags, why))
			return false;
		toc_crc = ckpt_crc32c(toc_crc,
				      img->base + img->sec[i].offset - SEC_SIZE,
				      SEC_CRC_LEN);
		img->nr = i + 1;
	}
	return check_trailer(img, off, toc_crc, why);
}

bool ckpt_parse(const void *buf, uint64_t len, unsigned int flags,
		struct ckpt_image *img, char *why_buf, size_t why_len)
{
	const struct why why = { why_buf, why_len };
	struct ckpt_vm vm;

	memset(img, 0, sizeof(*img));
	img->base = buf;
	if (why_buf != NULL && why_len > 0)
		why_buf[0] = '\0';
	if (!check_header(buf, len, &img->hdr, &why))
		return false;
	img->size = img->hdr.total_size;
	/* Then the structure, on sections whose bytes are all checked. */
	if (!check_frame(img, flags, &why) || !check_vm(img, &vm, &why) ||
	    !check_vcpus(img, &vm, &why) || !check_pmu_debug(img, &vm, &why) ||
	    !check_vgic(img, &vm, &why) || !check_vuart(img, &why) ||
	    !check_mem(img, &vm, &why) || !check_passthrough(img, &why) ||
	    !check_shmem(img, &why)) {
		img->nr = 0;
		return false;
	}
	return true;
}

const struct ckpt_sec_ref *ckpt_find(const struct ckpt_image *img,
				     uint32_t type, uint32_t index)
{
	for (unsigned int i = 0; i < img->nr; i++)
		if (img->sec[i].type == type && img->sec[i].index == index)
			return &img->sec[i];
	return NULL;
}

void ckpt_mem_view(const struct ckpt_image *img, struct ckpt_mem_view *m)
{
	const struct ckpt_sec_ref *r = ckpt_find(img, CKPT_SEC_MEM, 0);
	const uint8_t *p;

	memset(m, 0, sizeof(*m));
	if (r == NULL || r->length < sizeof(m->hdr))
		return;
	p = ckpt_payload(img, r);
	memcpy(&m->hdr, p, sizeof(m->hdr));
	m->bitmap = (const uint64_t *)(const void *)(p + sizeof(m->hdr));
	m->data = p + sizeof(m->hdr) + ckpt_bitmap_bytes(m->hdr.nr_pages);
}

bool ckpt_page_stored(const struct ckpt_mem_view *m, uint64_t page)
{
	const uint8_t *bm = (const uint8_t *)m->bitmap;

	/* Bytes, not words: bit i of little-endian word w is bit i % 8 of
	 * byte 8 w + i / 8, and a byte is never misaligned. */
	if (bm == NULL || page >= m->hdr.nr_pages)
		return false;
	return ((unsigned int)bm[page / 8] >> (page % 8)) & 1U;
}

const uint8_t *ckpt_page_data(const struct ckpt_mem_view *m, uint64_t page)
{
	const uint8_t *bm = (const uint8_t *)m->bitmap;
	uint64_t before = 0, w;

	if (!ckpt_page_stored(m, page))
		return NULL;
	for (w = 0; w < page / 64; w++)
		before += popcount64(ckpt_bitmap_word(bm, w));
	if (page % 64 != 0)
		before += popcount64(ckpt_bitmap_word(bm, w) &
				     ((1ULL << (page % 64)) - 1));
	return m->data + before * CKPT_PAGE_SIZE;
}

void ckpt_pt_device_str(const struct ckpt_passthrough *p, unsigned int k,
			char *buf, size_t len)
{
	const struct ckpt_pt_device *d;
	char compat[CKPT_PT_COMPAT];

	if (k >= p->nr_devices || k >= CKPT_PT_DEVICES) {
		snprintf(buf, len, "none");
		return;
	}
	d = &p->dev[k];
	memcpy(compat, d->compat, sizeof(compat));
	compat[sizeof(compat) - 1] = '\0';
	snprintf(buf, len, "0x%llx+0x%llx (%s)", (unsigned long long)d->base,
		 (unsigned long long)d->size, compat[0] ? compat : "?");
}

/* "INTID 34" or "none": interrupt @k of @p. */
static void pt_irq_str(const struct ckpt_passthrough *p, unsigned int k,
		       char *buf, size_t len)
{
	if (k >= p->nr_irqs || k >= CKPT_PT_IRQS)
		snprintf(buf, len, "none");
	else
		snprintf(buf, len, "INTID %u", p->irq[k]);
}

static bool pt_same_device(const struct ckpt_passthrough *a,
			   const struct ckpt_passthrough *b, unsigned int k)
{
	bool in_a = k < a->nr_devices, in_b = k < b->nr_devices;

	if (!in_a || !in_b)
		return in_a == in_b;
	return a->dev[k].base == b->dev[k].base &&
	       a->dev[k].size == b->dev[k].size;
}

static bool pt_same_irq(const struct ckpt_passthrough *a,
			const struct ckpt_passthrough *b, unsigned int k)
{
	bool in_a = k < a->nr_irqs, in_b = k < b->nr_irqs;

	if (!in_a || !in_b)
		return in_a == in_b;
	return a->irq[k] == b->irq[k];
}

bool ckpt_pt_diff(const struct ckpt_passthrough *a, const char *a_name,
		  const struct ckpt_passthrough *b, const char *b_name,
		  char *buf, size_t len)
{
	char va[64], vb[64];

	for (unsigned int k = 0; k < CKPT_PT_DEVICES; k++) {
		if (pt_same_device(a, b, k))
			continue;
		ckpt_pt_device_str(a, k, va, sizeof(va));
		ckpt_pt_device_str(b, k, vb, sizeof(vb));
		snprintf(buf, len, "device %u: %s has %s, %s has %s", k, a_name,
			 va, b_name, vb);
		return true;
	}
	for (unsigned int k = 0; k < CKPT_PT_IRQS; k++) {
		if (pt_same_irq(a, b, k))
			continue;
		pt_irq_str(a, k, va, sizeof(va));
		pt_irq_str(b, k, vb, sizeof(vb));
		snprintf(buf, len, "interrupt %u: %s has %s, %s has %s", k,
			 a_name, va, b_name, vb);
		return true;
	}
	return false;
}
