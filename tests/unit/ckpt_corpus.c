// SPDX-License-Identifier: MIT
/* The checkpoint images at the limits; see ckpt_corpus.h. */
#include "ckpt_corpus.h"

#include <string.h>

#define F(s, f) offsetof(struct s, f), sizeof(((struct s *)0)->f)
/* Interrupt @n's field @f of a vCPU's private ones / the SPIs. */
#define PRIV(n, f)                                                         \
	offsetof(struct ckpt_vcpu, priv) + (n) * sizeof(struct ckpt_irq) + \
		offsetof(struct ckpt_irq, f),                              \
		sizeof(((struct ckpt_irq *)0)->f)
#define SPI(n, f)                                                         \
	offsetof(struct ckpt_vgic, spi) + (n) * sizeof(struct ckpt_irq) + \
		offsetof(struct ckpt_irq, f),                             \
		sizeof(((struct ckpt_irq *)0)->f)

#define VM CKPT_SEC_VM, 0
#define VCPU0 CKPT_SEC_VCPU, 0
#define VCPU1 CKPT_SEC_VCPU, 1
#define VGIC CKPT_SEC_VGIC, 0
#define UART CKPT_SEC_VUART, 0

/* EL1h with DAIF masked, as Kairos starts a vCPU; the others mode bits. */
#define PSTATE(mode) (0x3c0ULL | (mode))

const struct ckpt_edit ckpt_corpus[] = {
	/* The UART's receive ring holds 63 bytes, its line 256. */
	{ "rx_len 0", UART, F(ckpt_vuart, rx_len), 0, NULL, true },
	{ "rx_len at the limit", UART, F(ckpt_vuart, rx_len), CKPT_UART_RX_CAP,
	  NULL, true },
	{ "rx_len one past", UART, F(ckpt_vuart, rx_len), CKPT_UART_RX_CAP + 1,
	  "vuart section: 64 input", false },
	{ "rx_len huge", UART, F(ckpt_vuart, rx_len), UINT32_MAX,
	  "vuart section: 4294967295 input", false },
	{ "line_len at the limit", UART, F(ckpt_vuart, line_len),
	  CKPT_UART_LINE_MAX, NULL, true },
	{ "line_len one past", UART, F(ckpt_vuart, line_len),
	  CKPT_UART_LINE_MAX + 1, "257 output bytes, at most 63 and 256",
	  false },
	{ "line_len huge", UART, F(ckpt_vuart, line_len), UINT32_MAX,
	  "4294967295 output bytes", false },
	/* vCPUs: mode, power, timers, interrupt sources. */
	{ "pstate EL0t", VCPU1, F(ckpt_vcpu, pstate), PSTATE(CKPT_PSTATE_EL0T),
	  NULL, true },
	{ "pstate EL1h", VCPU1, F(ckpt_vcpu, pstate), PSTATE(CKPT_PSTATE_EL1H),
	  NULL, true },
	{ "pstate mode 6", VCPU1, F(ckpt_vcpu, pstate), PSTATE(6),
	  "vcpu 1: PSTATE mode 0x6 is not", false },
	{ "pstate EL2h", VCPU1, F(ckpt_vcpu, pstate), PSTATE(9),
	  "vcpu 1: PSTATE mode 0x9 is not", false },
	{ "pstate AArch32 User", VCPU0, F(ckpt_vcpu, pstate),
	  PSTATE(CKPT_PSTATE_USR32), NULL, true },
	{ "pstate AArch32 Supervisor", VCPU0, F(ckpt_vcpu, pstate),
	  PSTATE(0x13), "vcpu 0: PSTATE mode 0x13 is not", false },
	{ "power at the limit", VCPU1, F(ckpt_vcpu, power), CKPT_POWER_ON, NULL,
	  true },
	{ "power one past", VCPU1, F(ckpt_vcpu, power), CKPT_POWER_ON + 1,
	  "vcpu 1: power state 3 is unknown", false },
	{ "vtimer_ctl at the limit", VCPU0, F(ckpt_vcpu, vtimer_ctl),
	  CKPT_TIMER_CTL_KNOWN, NULL, false },
	{ "vtimer_ctl one past", VCPU0, F(ckpt_vcpu, vtimer_ctl),
	  CKPT_TIMER_CTL_KNOWN + 1, "vcpu 0: timer control 0x8", false },
	{ "ptimer_ctl one past", VCPU1, F(ckpt_vcpu, ptimer_ctl),
	  CKPT_TIMER_CTL_KNOWN + 1, "has unknown bits", false },
	{ "sgi active_source at the limit", VCPU0, PRIV(1, active_source),
	  CKPT_MAX_VCPUS - 1, NULL, false },
	{ "sgi active_source one past", VCPU0, PRIV(1, active_source),
	  CKPT_MAX_VCPUS, "vcpu 0: interrupt 1: active source 8, at most 7",
	  false },
	{ "sgi active_source huge", VCPU1, PRIV(2, active_source), 255,
	  "vcpu 1: interrupt 2: active source 255", false },
	{ "sgi sources all", VCPU0, PRIV(3, sgi_sources), 0xff, NULL, false },
	{ "private flags at the limit", VCPU1, PRIV(16, flags), CKPT_IRQ_KNOWN,
	  NULL, false },
	{ "private flags one past", VCPU1, PRIV(16, flags), CKPT_IRQ_KNOWN + 1,
	  "vcpu 1: interrupt 16 has unknown flag bits", false },
	/* The distributor. */
	{ "spi active_source one past", VGIC, SPI(8, active_source),
	  CKPT_MAX_VCPUS, "vgic: interrupt 40: active source 8", false },
	{ "spi targets all", VGIC, SPI(9, targets), 0xff, NULL, false },
	{ "spi route all", VGIC, SPI(9, route), UINT64_MAX, NULL, true },
	{ "spi flags one past", VGIC, SPI(255, flags), CKPT_IRQ_KNOWN + 1,
	  "vgic: interrupt 287 has unknown flag bits 0x80", false },
	{ "gicd ctlr at the limit", VGIC, F(ckpt_vgic, ctlr),
	  CKPT_GICD_CTLR_KNOWN, NULL, true },
	{ "gicd ctlr one past", VGIC, F(ckpt_vgic, ctlr),
	  CKPT_GICD_CTLR_KNOWN + 1,
	  "vgic section: distributor control 0x4 has unknown bits", false },
	{ "nr_spis one past", VGIC, F(ckpt_vgic, nr_spis), CKPT_NR_SPIS + 1,
	  "vgic section: 257 SPIs, expected 256", false },
	/* Emulated (1) is valid too, but refused on this GIC board. */
	{ "back end the GIC's", VGIC, F(ckpt_vgic, backend),
	  CKPT_VGIC_BACKEND_GIC, NULL, true },
	{ "back end one past", VGIC, F(ckpt_vgic, backend),
	  CKPT_VGIC_BACKEND_SW + 1,
	  "vgic section: back end 2, expected 0 (the GIC's CPU interface) or 1 (emulated)",
	  false },
	/* The VM as a whole. */
	{ "paused at the limit", VM, F(ckpt_vm, paused), 1, NULL, true },
	{ "paused one past", VM, F(ckpt_vm, paused), 2,
	  "vm section: paused is 2, expected 0 or 1", false },
	{ "nr_vcpus one past", VM, F(ckpt_vm, nr_vcpus), CKPT_MAX_VCPUS + 1,
	  "vm section: 9 vCPUs, expected 1 to 8", false },
	{ "mem_size one page past", VM, F(ckpt_vm, mem_size),
	  CKPT_MAX_MEM + CKPT_PAGE_SIZE,
	  "vm section: 2147487744 bytes of RAM, at most 2147483648", false },
	{ "gic_version one past", VM, F(ckpt_vm, gic_version), 4,
	  "vm section: GIC version 4, expected 2 or 3", false },
};

const unsigned int ckpt_corpus_len =
	sizeof(ckpt_corpus) / sizeof(ckpt_corpus[0]);

#define HDR_SIZE sizeof(struct ckpt_header)
#define SEC_SIZE sizeof(struct ckpt_section)
#define TRL_SIZE sizeof(struct ckpt_trailer)

bool ckpt_corpus_fix_crcs(uint8_t *buf, uint64_t len)
{
	struct ckpt_header h;
	struct ckpt_trailer t;
	uint64_t off = HDR_SIZE;
	uint32_t toc = 0;

	if (len < HDR_SIZE + TRL_SIZE)
		return false;
	memcpy(&h, buf, sizeof(h));
	if (h.total_size > len || h.total_size < HDR_SIZE + TRL_SIZE)
		return false;
	for (uint32_t i = 0; i < h.nr_sections; i++) {
		struct ckpt_section s;

		if (h.total_size - TRL_SIZE - off < SEC_SIZE)
			return false;
		memcpy(&s, buf + off, sizeof(s));
		if (s.length > h.total_size - TRL_SIZE - off - SEC_SIZE)
			return false;
		s.crc = ckpt_crc32c(0, buf + off + SEC_SIZE, (size_t)s.length);
		s.hcrc =
			ckpt_crc32c(0, &s, offsetof(struct ckpt_section, hcrc));
		memcpy(buf + off, &s, sizeof(s));
		toc = ckpt_crc32c(toc, &s, offsetof(struct ckpt_section, hcrc));
		off += SEC_SIZE + ((s.length + 7) & ~7ULL);
	}
	if (off > h.total_size - TRL_SIZE)
		return false;
	memcpy(&t, buf + h.total_size - TRL_SIZE, sizeof(t));
	t.crc = toc;
	memcpy(buf + h.total_size - TRL_SIZE, &t, sizeof(t));
	h.crc = ckpt_crc32c(0, &h, offsetof(struct ckpt_header, crc));
	memcpy(buf, &h, sizeof(h));
	return true;
}

/* Offset of the payload of section (@type, @index) of a framed image. */
static bool find_payload(const uint8_t *buf, uint64_t len, uint32_t type,
			 uint32_t index, uint64_t *at, uint64_t *size)
{
	struct ckpt_header h;
	uint64_t off = HDR_SIZE;

	memcpy(&h, buf, sizeof(h));
	for (uint32_t i = 0; i < h.nr_sections; i++) {
		struct ckpt_section s;

		if (len - TRL_SIZE - off < SEC_SIZE)
			return false;
		memcpy(&s, buf + off, sizeof(s));
		if (s.type == type && s.index == index) {
			*at = off + SEC_SIZE;
			*size = s.length;
			return true;
		}
		off += SEC_SIZE + ((s.length + 7) & ~7ULL);
		if (off > len - TRL_SIZE)
			return false;
	}
	return false;
}

bool ckpt_corpus_apply(uint8_t *buf, uint64_t len, const struct ckpt_edit *e)
{
	uint64_t at, size;

	if (!find_payload(buf, len, e->type, e->index, &at, &size) ||
	    e->off + e->size > size)
		return false;
	/* Little-endian, as the format is (ckpt_format.c checks). */
	memcpy(buf + at + e->off, &e->value, e->size);
	return ckpt_corpus_fix_crcs(buf, len);
}

bool ckpt_corpus_read(const struct ckpt_image *img, const struct ckpt_edit *e,
		      uint64_t *value)
{
	const struct ckpt_sec_ref *r = ckpt_find(img, e->type, e->index);

	*value = 0;
	if (r == NULL || e->off + e->size > r->length)
		return false;
	memcpy(value, (const uint8_t *)ckpt_payload(img, r) + e->off, e->size);
	return true;
}
