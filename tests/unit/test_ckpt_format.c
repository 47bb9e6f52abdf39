// SPDX-License-Identifier: MIT
/*
 * lib/ckpt_format.c: CRC32C against published vectors and a bitwise
 * reference; images written with the writer API read back whole; every
 * refusal of ckpt_parse() (damaged bytes, truncation at every length,
 * wrong magic or version, missing, duplicate and inconsistent sections)
 * returns false with the sentence naming the failed check; the writer
 * never writes past its capacity; CKPT_PARSE_TRUST_MEM skips exactly the
 * memory payload's CRC.
 */
#include <kairos/ckpt_format.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* cmocka.h needs <setjmp.h>, <stdarg.h> and <stddef.h> first. */
#include <cmocka.h>

#include "ckpt_corpus.h"

/* Guest RAM of the test images: 70 pages (two bitmap words, the second
 * partial), pages 0, 5, 63, 64 and 69 stored. */
#define NR_PAGES 70U
#define MEM_IPA 0x40000000ULL
#define BUF_SIZE ((size_t)64 * 1024)

static const uint64_t stored_pages[] = { 0, 5, 63, 64, 69 };
#define NR_STORED (sizeof(stored_pages) / sizeof(stored_pages[0]))

/* One section to write: payload bytes as they are. */
struct sec {
	uint32_t type, index;
	const void *p;
	uint64_t len;
};

static struct ckpt_vm vm;
static struct ckpt_vcpu vcpu[2];
static struct ckpt_vgic vgic;
static struct ckpt_vuart vuart;
static uint8_t mem[sizeof(struct ckpt_mem) + 16 + NR_STORED * CKPT_PAGE_SIZE];
static uint64_t mem_len = sizeof(mem);
static uint8_t buf[BUF_SIZE];
static struct sec secs[CKPT_MAX_SECTIONS + 2];
static unsigned int nsecs;
static struct ckpt_image img;
static char why[160];

/* A byte of page @page at @off: differs between pages and offsets. */
static uint8_t page_byte(uint64_t page, unsigned int off)
{
	return (uint8_t)(page * 7U + (uint64_t)off * 13U + 1U);
}

static void make_mem(void)
{
	struct ckpt_mem h = { .ipa = MEM_IPA,
			      .size = (uint64_t)NR_PAGES * CKPT_PAGE_SIZE,
			      .page_size = CKPT_PAGE_SIZE,
			      .nr_pages = NR_PAGES,
			      .nr_data_pages = NR_STORED };
	uint64_t bm[2] = { 0, 0 };
	uint8_t *d = mem + sizeof(h) + sizeof(bm);

	for (unsigned int i = 0; i < NR_STORED; i++) {
		bm[stored_pages[i] / 64] |= 1ULL << (stored_pages[i] % 64);
		for (unsigned int o = 0; o < CKPT_PAGE_SIZE; o++)
			d[i * CKPT_PAGE_SIZE + o] =
				page_byte(stored_pages[i], o);
	}
	memcpy(mem, &h, sizeof(h));
	memcpy(mem + sizeof(h), bm, sizeof(bm));
	mem_len = sizeof(mem);
}

static void add(uint32_t type, uint32_t index, const void *p, uint64_t len)
{
	secs[nsecs++] = (struct sec){ type, index, p, len };
}

/* The state of a 2-vCPU GICv3 VM, and its sections in the usual order. */
static int setup(void **state)
{
	(void)state;
	memset(&vm, 0, sizeof(vm));
	snprintf(vm.name, sizeof(vm.name), "unit");
	vm.config_fp = 0x1234567890abcdefULL;
	vm.cntfrq = 62500000;
	vm.vcount = 1000000;
	vm.pcount = 2000000;
	vm.boot_id = 7;
	vm.mem_ipa = MEM_IPA;
	vm.mem_size = (uint64_t)NR_PAGES * CKPT_PAGE_SIZE;
	vm.nr_vcpus = 2;
	vm.gic_version = 3;
	for (unsigned int v = 0; v < 2; v++) {
		memset(&vcpu[v], 0, sizeof(vcpu[v]));
		for (unsigned int i = 0; i < 31; i++)
			vcpu[v].x[i] = v * 100 + i;
		vcpu[v].pc = 0x40080000 + v * 4;
		vcpu[v].pstate = 0x3c5;
		vcpu[v].power = CKPT_POWER_ON;
		vcpu[v].priv[27].flags = CKPT_IRQ_ENABLED | CKPT_IRQ_LATCH;
	}
	memset(&vgic, 0, sizeof(vgic));
	vgic.version = 3;
	vgic.nr_spis = CKPT_NR_SPIS;
	vgic.spi[1].flags = CKPT_IRQ_ENABLED | CKPT_IRQ_ACTIVE;
	memset(&vuart, 0, sizeof(vuart));
	vuart.rx_len = 3;
	memcpy(vuart.rx, "abc", 3);
	make_mem();
	nsecs = 0;
	add(CKPT_SEC_VM, 0, &vm, sizeof(vm));
	add(CKPT_SEC_VCPU, 0, &vcpu[0], sizeof(vcpu[0]));
	add(CKPT_SEC_VCPU, 1, &vcpu[1], sizeof(vcpu[1]));
	add(CKPT_SEC_VGIC, 0, &vgic, sizeof(vgic));
	add(CKPT_SEC_VUART, 0, &vuart, sizeof(vuart));
	add(CKPT_SEC_MEM, 0, mem, mem_len);
	memset(why, 0, sizeof(why));
	return 0;
}

/* Write secs[] into buf with capacity @cap; the total size or 0. */
static uint64_t build_cap(uint64_t cap)
{
	struct ckpt_writer w;

	ckpt_w_init(&w, buf, cap);
	for (unsigned int i = 0; i < nsecs; i++) {
		ckpt_w_begin(&w, secs[i].type, secs[i].index);
		ckpt_w_append(&w, secs[i].p, secs[i].len);
		ckpt_w_end(&w);
	}
	return ckpt_w_finish(&w);
}

static uint64_t build(void)
{
	uint64_t n = build_cap(sizeof(buf));

	assert_true(n > 0);
	return n;
}

static bool parse(uint64_t len, unsigned int flags)
{
	return ckpt_parse(buf, len, flags, &img, why, sizeof(why));
}

/* Parsing the first @len bytes of buf is refused, saying @msg. */
static void refused(uint64_t len, unsigned int flags, const char *msg)
{
	if (parse(len, flags))
		fail_msg("accepted; expected \"%s\"", msg);
	if (strstr(why, msg) == NULL)
		fail_msg("said \"%s\"; expected \"%s\"", why, msg);
	assert_int_equal(img.nr, 0);
}

/* Rebuild with the current state and expect @msg. */
static void build_refused(const char *msg)
{
	refused(build(), 0, msg);
}

/* Set a 32-bit header field and make the header CRC right again. */
static void patch_hdr32(size_t off, uint32_t val)
{
	struct ckpt_header h;

	memcpy(buf + off, &val, sizeof(val));
	memcpy(&h, buf, sizeof(h));
	h.crc = ckpt_crc32c(0, &h, offsetof(struct ckpt_header, crc));
	memcpy(buf, &h, sizeof(h));
}

/* ---- CRC32C ---- */

/* One bit at a time, straight from the definition. */
static uint32_t crc_ref(const uint8_t *p, size_t len)
{
	uint32_t c = 0xffffffffU;

	for (size_t i = 0; i < len; i++) {
		c ^= p[i];
		for (int b = 0; b < 8; b++)
			c = (c & 1U) ? (c >> 1) ^ 0x82f63b78U : c >> 1;
	}
	return ~c;
}

static void test_crc_vectors(void **state)
{
	uint8_t b[32];

	(void)state;
	assert_int_equal(ckpt_crc32c(0, "123456789", 9), 0xe3069283U);
	assert_int_equal(ckpt_crc32c(0, "", 0), 0);
	/* RFC 3720 (iSCSI) B.4. */
	memset(b, 0, sizeof(b));
	assert_int_equal(ckpt_crc32c(0, b, sizeof(b)), 0x8a9136aaU);
	memset(b, 0xff, sizeof(b));
	assert_int_equal(ckpt_crc32c(0, b, sizeof(b)), 0x62a8ab43U);
	for (unsigned int i = 0; i < sizeof(b); i++)
		b[i] = (uint8_t)i;
	assert_int_equal(ckpt_crc32c(0, b, sizeof(b)), 0x46dd794eU);
	for (unsigned int i = 0; i < sizeof(b); i++)
		b[i] = (uint8_t)(31 - i);
	assert_int_equal(ckpt_crc32c(0, b, sizeof(b)), 0x113fdb5cU);
}

/* Every start alignment, every length, every split point. */
static void test_crc_chaining(void **state)
{
	static uint8_t b[300];

	(void)state;
	for (unsigned int i = 0; i < sizeof(b); i++)
		b[i] = (uint8_t)(i * 31U + 7U);
	for (unsigned int start = 0; start < 8; start++)
		for (unsigned int len = 0; start + len <= 100; len++)
			assert_int_equal(ckpt_crc32c(0, b + start, len),
					 crc_ref(b + start, len));
	for (unsigned int cut = 0; cut <= sizeof(b); cut++) {
		uint32_t c = ckpt_crc32c(0, b, cut);

		assert_int_equal(ckpt_crc32c(c, b + cut, sizeof(b) - cut),
				 crc_ref(b, sizeof(b)));
	}
}

/* ---- Round trip ---- */

static void test_round_trip(void **state)
{
	uint64_t n = build();
	const struct ckpt_sec_ref *r;
	struct ckpt_mem_view m;

	(void)state;
	assert_true(parse(n, 0));
	assert_string_equal(why, "");
	assert_int_equal(img.size, n);
	assert_int_equal(img.nr, 6);
	assert_int_equal(img.hdr.nr_sections, 6);
	assert_int_equal(n % 8, 0);
	r = ckpt_find(&img, CKPT_SEC_VM, 0);
	assert_non_null(r);
	assert_int_equal(r->length, sizeof(vm));
	assert_memory_equal(ckpt_payload(&img, r), &vm, sizeof(vm));
	for (uint32_t v = 0; v < 2; v++) {
		r = ckpt_find(&img, CKPT_SEC_VCPU, v);
		assert_non_null(r);
		assert_memory_equal(ckpt_payload(&img, r), &vcpu[v],
				    sizeof(vcpu[v]));
	}
	assert_null(ckpt_find(&img, CKPT_SEC_VCPU, 2));
	assert_null(ckpt_find(&img, 99, 0));
	r = ckpt_find(&img, CKPT_SEC_VGIC, 0);
	assert_memory_equal(ckpt_payload(&img, r), &vgic, sizeof(vgic));
	r = ckpt_find(&img, CKPT_SEC_VUART, 0);
	assert_memory_equal(ckpt_payload(&img, r), &vuart, sizeof(vuart));
	r = ckpt_find(&img, CKPT_SEC_MEM, 0);
	assert_int_equal(r->length, mem_len);
	assert_memory_equal(ckpt_payload(&img, r), mem, mem_len);
	/* Every payload starts 8-aligned in the image. */
	for (unsigned int i = 0; i < img.nr; i++)
		assert_int_equal(img.sec[i].offset % 8, 0);
	ckpt_mem_view(&img, &m);
	assert_int_equal(m.hdr.nr_pages, NR_PAGES);
	assert_int_equal(m.hdr.nr_data_pages, NR_STORED);
	assert_int_equal(m.hdr.ipa, MEM_IPA);
	assert_ptr_equal(m.data, (const uint8_t *)ckpt_payload(&img, r) +
					 sizeof(struct ckpt_mem) + 16);
}

static void test_page_stored_and_data(void **state)
{
	struct ckpt_mem_view m;
	unsigned int k = 0;

	(void)state;
	assert_true(parse(build(), 0));
	ckpt_mem_view(&img, &m);
	for (uint64_t p = 0; p < NR_PAGES; p++) {
		bool want = k < NR_STORED && stored_pages[k] == p;
		const uint8_t *d = ckpt_page_data(&m, p);

		assert_int_equal(ckpt_page_stored(&m, p), want);
		if (!want) {
			assert_null(d);
			continue;
		}
		assert_ptr_equal(d, m.data + (size_t)k * CKPT_PAGE_SIZE);
		assert_int_equal(d[0], page_byte(p, 0));
		assert_int_equal(d[CKPT_PAGE_SIZE - 1],
				 page_byte(p, CKPT_PAGE_SIZE - 1));
		k++;
	}
	assert_int_equal(k, NR_STORED);
	assert_false(ckpt_page_stored(&m, NR_PAGES));
	assert_false(ckpt_page_stored(&m, UINT64_MAX));
	assert_null(ckpt_page_data(&m, NR_PAGES));
}

/* A file is read from any address: a copy one byte off still parses. */
static void test_unaligned_and_trailing_junk(void **state)
{
	static uint8_t shifted[BUF_SIZE + 64];
	uint64_t n = build();
	struct ckpt_mem_view m;

	(void)state;
	memcpy(shifted + 1, buf, n);
	memset(shifted + 1 + n, 0xa5, 63);
	assert_true(ckpt_parse(shifted + 1, n + 63, 0, &img, why, sizeof(why)));
	assert_int_equal(img.size, n);
	ckpt_mem_view(&img, &m);
	assert_true(ckpt_page_stored(&m, 69));
	assert_int_equal(ckpt_page_data(&m, 69)[1], page_byte(69, 1));
}

static void test_unknown_section_skipped(void **state)
{
	static const char extra[] = "from a later version";
	const struct ckpt_sec_ref *r;
	uint64_t n;

	(void)state;
	add(99, 3, extra, sizeof(extra));
	n = build();
	assert_true(parse(n, 0));
	assert_int_equal(img.nr, 7);
	r = ckpt_find(&img, 99, 3);
	assert_non_null(r);
	assert_memory_equal(ckpt_payload(&img, r), extra, sizeof(extra));
	assert_string_equal(ckpt_section_name(99), "type 99");
	/* Unknown, but its checksum is still checked. */
	buf[r->offset] ^= 1;
	refused(n, 0, "checksum of section 6 (type 99) does not match");
}

static void test_section_names(void **state)
{
	(void)state;
	assert_string_equal(ckpt_section_name(CKPT_SEC_VM), "vm");
	assert_string_equal(ckpt_section_name(CKPT_SEC_VCPU), "vcpu");
	assert_string_equal(ckpt_section_name(CKPT_SEC_VGIC), "vgic");
	assert_string_equal(ckpt_section_name(CKPT_SEC_VUART), "vuart");
	assert_string_equal(ckpt_section_name(CKPT_SEC_MEM), "memory");
	assert_string_equal(ckpt_section_name(CKPT_SEC_PMU_DEBUG), "pmu-debug");
	assert_string_equal(ckpt_section_name(CKPT_SEC_PASSTHROUGH),
			    "passthrough");
	assert_string_equal(ckpt_section_name(0), "type 0");
}

/* ---- Refusals of damaged bytes ---- */

static void test_bad_magic_version_header(void **state)
{
	uint64_t n = build();

	(void)state;
	buf[3] ^= 0x20;
	refused(n, 0, "bad magic (not a Kairos checkpoint image)");
	buf[3] ^= 0x20;
	patch_hdr32(offsetof(struct ckpt_header, version), 7);
	refused(n, 0,
		"version 7 is not supported (this Kairos reads version 1)");
	patch_hdr32(offsetof(struct ckpt_header, version), CKPT_VERSION);
	assert_true(parse(n, 0));
	patch_hdr32(offsetof(struct ckpt_header, header_size), 48);
	refused(n, 0, "header size 48, expected 40");
	patch_hdr32(offsetof(struct ckpt_header, header_size), 40);
	patch_hdr32(offsetof(struct ckpt_header, flags), 4);
	refused(n, 0, "unknown header flags 0x4");
	patch_hdr32(offsetof(struct ckpt_header, flags), 0);
	patch_hdr32(offsetof(struct ckpt_header, nr_sections), 33);
	refused(n, 0, "33 sections, at most 32 are allowed");
	patch_hdr32(offsetof(struct ckpt_header, nr_sections), 6);
	assert_true(parse(n, 0));
	/* Any header byte changed without its CRC. */
	for (size_t i = 8; i < offsetof(struct ckpt_header, crc); i++) {
		buf[i] ^= 0x40;
		assert_false(parse(n, 0));
		buf[i] ^= 0x40;
	}
	buf[offsetof(struct ckpt_header, reserved)] ^= 1;
	refused(n, 0, "header checksum does not match");
}

/* Every length short of the image: "truncated", whatever is cut. */
static void test_truncated_everywhere(void **state)
{
	uint64_t n = build();
	char msg[96];

	(void)state;
	for (uint64_t len = 0; len < n; len++) {
		if (len < sizeof(struct ckpt_header))
			snprintf(msg, sizeof(msg),
				 "truncated: %llu bytes, less than a header (40)",
				 (unsigned long long)len);
		else
			snprintf(msg, sizeof(msg),
				 "truncated: the header says %llu bytes, the slot holds %llu",
				 (unsigned long long)n,
				 (unsigned long long)len);
		refused(len, 0, msg);
	}
	assert_true(parse(n, 0));
}

/* Each section's payload, header and padding, damaged in turn. */
static void test_section_crcs(void **state)
{
	static const char *const label[] = { "vm",   "vcpu 0", "vcpu 1",
					     "vgic", "vuart",  "memory" };
	uint64_t n = build();
	struct ckpt_sec_ref sec[6];
	char msg[96];

	(void)state;
	assert_true(parse(n, 0));
	/* A refusal clears img: keep where the sections are. */
	memcpy(sec, img.sec, sizeof(sec));
	for (unsigned int i = 0; i < 6; i++) {
		uint64_t off = sec[i].offset, len = sec[i].length;
		uint64_t hdr = off - sizeof(struct ckpt_section);

		assert_true(parse(n, 0));
		buf[off + len / 2] ^= 0x10;
		snprintf(msg, sizeof(msg),
			 "checksum of section %u (%s) does not match", i,
			 label[i]);
		refused(n, 0, msg);
		buf[off + len / 2] ^= 0x10;
		buf[hdr + offsetof(struct ckpt_section, length)] ^= 0x08;
		snprintf(msg, sizeof(msg),
			 "section %u: header checksum does not match", i);
		refused(n, 0, msg);
		buf[hdr + offsetof(struct ckpt_section, length)] ^= 0x08;
		buf[hdr + offsetof(struct ckpt_section, hcrc)] ^= 0x01;
		refused(n, 0, msg);
		buf[hdr + offsetof(struct ckpt_section, hcrc)] ^= 0x01;
	}
	assert_true(parse(n, 0));
}

/* Padding is covered by no CRC: it must be zero. */
static void test_padding_not_zero(void **state)
{
	static const char odd[5] = "12345";
	const struct ckpt_sec_ref *r;
	uint64_t n;

	(void)state;
	add(77, 0, odd, sizeof(odd));
	n = build();
	assert_true(parse(n, 0));
	r = ckpt_find(&img, 77, 0);
	assert_int_equal(buf[r->offset + 5], 0);
	buf[r->offset + 7] = 1;
	refused(n, 0, "section 6 (type 77): padding is not zero");
}

static void test_trailer(void **state)
{
	uint64_t n = build();
	uint64_t t = n - sizeof(struct ckpt_trailer);

	(void)state;
	buf[t] ^= 1;
	refused(n, 0, "trailer missing or damaged: bad magic");
	buf[t] ^= 1;
	buf[t + offsetof(struct ckpt_trailer, nr_sections)] ^= 1;
	refused(n, 0, "trailer missing or damaged");
	buf[t + offsetof(struct ckpt_trailer, nr_sections)] ^= 1;
	buf[t + offsetof(struct ckpt_trailer, crc)] ^= 1;
	refused(n, 0,
		"trailer missing or damaged: the section headers do not match its checksum");
	buf[t + offsetof(struct ckpt_trailer, crc)] ^= 1;
	assert_true(parse(n, 0));
	/* The header counts one section less: bytes left before it. */
	patch_hdr32(offsetof(struct ckpt_header, nr_sections), 5);
	refused(n, 0, "trailer missing or damaged");
	/* One more: the sixth header would be the trailer. */
	patch_hdr32(offsetof(struct ckpt_header, nr_sections), 7);
	refused(n, 0, "section 6: its header at offset");
}

/* Two images' sections swapped between them: the trailer notices. */
static void test_reordered_sections(void **state)
{
	uint64_t n;

	(void)state;
	secs[1] = (struct sec){ CKPT_SEC_VCPU, 1, &vcpu[1], sizeof(vcpu[1]) };
	secs[2] = (struct sec){ CKPT_SEC_VCPU, 0, &vcpu[0], sizeof(vcpu[0]) };
	n = build();
	/* Reordered by the writer: valid, vCPUs are found by index. */
	assert_true(parse(n, 0));
	assert_int_equal(ckpt_find(&img, CKPT_SEC_VCPU, 0)->offset,
			 img.sec[2].offset);
	/* Reordered afterwards (the two vCPU sections are the same size):
	 * every CRC holds, the trailer's list of headers does not. */
	{
		static uint8_t tmp[sizeof(struct ckpt_section) +
				   sizeof(struct ckpt_vcpu)];
		uint64_t a = img.sec[1].offset - sizeof(struct ckpt_section);
		uint64_t b = img.sec[2].offset - sizeof(struct ckpt_section);

		memcpy(tmp, buf + a, sizeof(tmp));
		memmove(buf + a, buf + b, sizeof(tmp));
		memcpy(buf + b, tmp, sizeof(tmp));
	}
	refused(n, 0,
		"trailer missing or damaged: the section headers do not match its checksum");
}

static void test_trust_mem(void **state)
{
	uint64_t n = build();
	const struct ckpt_sec_ref *r;
	uint64_t page_byte_off;

	(void)state;
	assert_true(parse(n, 0));
	r = ckpt_find(&img, CKPT_SEC_MEM, 0);
	page_byte_off = r->offset + sizeof(struct ckpt_mem) + 16 + 100;
	buf[page_byte_off] ^= 0xff;
	refused(n, 0, "checksum of section 5 (memory) does not match");
	assert_true(parse(n, CKPT_PARSE_TRUST_MEM));
	assert_string_equal(why, "");
	/* The other payloads are still checked... */
	r = ckpt_find(&img, CKPT_SEC_VCPU, 1);
	buf[r->offset + 8] ^= 1;
	refused(n, CKPT_PARSE_TRUST_MEM,
		"checksum of section 2 (vcpu 1) does not match");
	buf[r->offset + 8] ^= 1;
	/* ...and so is the memory section's header and bitmap population. */
	setup(state);
	n = build();
	assert_true(parse(n, 0));
	r = ckpt_find(&img, CKPT_SEC_MEM, 0);
	buf[r->offset + sizeof(struct ckpt_mem)] ^= 0x02; /* page 1 */
	refused(n, CKPT_PARSE_TRUST_MEM,
		"memory section: bitmap has 6 pages set, header says 5");
}

/* ---- Refusals of well-formed bytes that make no image ---- */

static void drop(uint32_t type, uint32_t index)
{
	for (unsigned int i = 0; i < nsecs; i++)
		if (secs[i].type == type && secs[i].index == index) {
			memmove(&secs[i], &secs[i + 1],
				(nsecs - i - 1) * sizeof(secs[0]));
			nsecs--;
			return;
		}
	fail_msg("no section %u/%u to drop", type, index);
}

static void test_missing_sections(void **state)
{
	(void)state;
	drop(CKPT_SEC_MEM, 0);
	build_refused("no memory section");
	setup(state);
	drop(CKPT_SEC_VUART, 0);
	build_refused("no vuart section");
	setup(state);
	drop(CKPT_SEC_VGIC, 0);
	build_refused("no vgic section");
	setup(state);
	drop(CKPT_SEC_VCPU, 1);
	build_refused("vcpu sections: 1 for 2 vCPUs");
	setup(state);
	drop(CKPT_SEC_VM, 0);
	build_refused("the first section is vcpu, not the vm section");
	setup(state);
	nsecs = 0;
	build_refused("the first section is missing, not the vm section");
}

static void test_duplicate_and_misplaced_sections(void **state)
{
	(void)state;
	add(CKPT_SEC_VGIC, 0, &vgic, sizeof(vgic));
	build_refused("2 vgic sections, expected one");
	setup(state);
	add(CKPT_SEC_VM, 0, &vm, sizeof(vm));
	build_refused("2 vm sections, expected one");
	setup(state);
	add(CKPT_SEC_MEM, 0, mem, mem_len);
	build_refused("2 memory sections, expected one");
	setup(state);
	add(CKPT_SEC_VCPU, 1, &vcpu[1], sizeof(vcpu[1]));
	build_refused("two vcpu sections for vCPU 1");
	setup(state);
	secs[2].index = 2;
	build_refused("vcpu section for vCPU 2, the VM has 2 vCPUs");
	setup(state);
	secs[3].index = 1;
	build_refused("vgic section: index 1, expected 0");
	setup(state);
	/* The VM section somewhere other than first. */
	secs[0] = secs[4];
	secs[4] = (struct sec){ CKPT_SEC_VM, 0, &vm, sizeof(vm) };
	build_refused("the first section is vuart, not the vm section");
}

/*
 * The PMU and debug state of a vCPU: optional (an image written before
 * it parses, and restores a reset PMU), but at most one per vCPU, of a
 * vCPU that exists, of its exact size.
 */
static void test_pmu_debug_sections(void **state)
{
	static struct ckpt_pmu_debug pd;
	const struct ckpt_sec_ref *r;

	(void)state;
	assert_true(parse(build(), 0));
	assert_null(ckpt_find(&img, CKPT_SEC_PMU_DEBUG, 0));
	setup(state);
	pd.evcntr[0] = 0x1234;
	add(CKPT_SEC_PMU_DEBUG, 1, &pd, sizeof(pd));
	assert_true(parse(build(), 0));
	r = ckpt_find(&img, CKPT_SEC_PMU_DEBUG, 1);
	assert_non_null(r);
	assert_memory_equal(ckpt_payload(&img, r), &pd, sizeof(pd));
	add(CKPT_SEC_PMU_DEBUG, 1, &pd, sizeof(pd));
	build_refused("two pmu-debug sections for vCPU 1");
	setup(state);
	add(CKPT_SEC_PMU_DEBUG, 2, &pd, sizeof(pd));
	build_refused("pmu-debug section for vCPU 2, the VM has 2 vCPUs");
	setup(state);
	add(CKPT_SEC_PMU_DEBUG, 0, &pd, sizeof(pd) - 8);
	build_refused("pmu-debug 0 section: 1080 bytes, expected 1088");
}

/* The PL031 and its interrupt, as a VM given QEMU virt's RTC lists them. */
static void rtc_passthrough(struct ckpt_passthrough *p)
{
	memset(p, 0, sizeof(*p));
	p->nr_devices = 1;
	p->dev[0].base = 0x9010000;
	p->dev[0].size = 0x1000;
	snprintf(p->dev[0].compat, sizeof(p->dev[0].compat), "arm,pl031");
	p->nr_irqs = 1;
	p->irq[0] = 34;
}

static void test_passthrough_section(void **state)
{
	static struct ckpt_passthrough pt;
	const struct ckpt_sec_ref *r;

	(void)state;
	/* Optional: an image written before it has none. */
	assert_true(parse(build(), 0));
	assert_null(ckpt_find(&img, CKPT_SEC_PASSTHROUGH, 0));
	rtc_passthrough(&pt);
	add(CKPT_SEC_PASSTHROUGH, 0, &pt, sizeof(pt));
	assert_true(parse(build(), 0));
	r = ckpt_find(&img, CKPT_SEC_PASSTHROUGH, 0);
	assert_non_null(r);
	assert_memory_equal(ckpt_payload(&img, r), &pt, sizeof(pt));
	/* At its limits, and one past them. */
	pt.nr_devices = CKPT_PT_DEVICES;
	pt.nr_irqs = CKPT_PT_IRQS;
	assert_true(parse(build(), 0));
	pt.nr_devices = CKPT_PT_DEVICES + 1;
	build_refused("passthrough section: 5 devices, at most 4");
	pt.nr_devices = 1;
	pt.nr_irqs = CKPT_PT_IRQS + 1;
	build_refused("passthrough section: 9 interrupts, at most 8");
	pt.nr_irqs = 1;
	memset(pt.dev[0].compat, 'x', sizeof(pt.dev[0].compat));
	build_refused(
		"passthrough section: device 0: the compatible is not NUL-terminated");
	/* A device not listed may hold anything. */
	pt.nr_devices = 0;
	assert_true(parse(build(), 0));
	rtc_passthrough(&pt);
	add(CKPT_SEC_PASSTHROUGH, 0, &pt, sizeof(pt));
	build_refused("2 passthrough sections, expected one");
	setup(state);
	add(CKPT_SEC_PASSTHROUGH, 1, &pt, sizeof(pt));
	build_refused("passthrough section: index 1, expected 0");
	setup(state);
	add(CKPT_SEC_PASSTHROUGH, 0, &pt, sizeof(pt) - 8);
	build_refused("passthrough section: 224 bytes, expected 232");
}

/* Region @r's section of @pages pages into @b: header, then bytes. */
static uint64_t shmem_sec(uint8_t *b, uint32_t r, uint64_t pages)
{
	struct ckpt_shmem h = { .region = r, .size = pages * CKPT_PAGE_SIZE };

	memcpy(b, &h, sizeof(h));
	memset(b + sizeof(h), 0x5a, h.size);
	return sizeof(h) + h.size;
}

/* Shared-memory sections: optional, one per region, sizes consistent. */
static void test_shmem_sections(void **state)
{
	static uint8_t a[sizeof(struct ckpt_shmem) + 2UL * CKPT_PAGE_SIZE];
	static uint8_t b[sizeof(struct ckpt_shmem) + CKPT_PAGE_SIZE];
	struct ckpt_shmem *h = (struct ckpt_shmem *)(void *)a;
	const struct ckpt_sec_ref *r;
	uint64_t la = shmem_sec(a, 0, 2), lb;

	(void)state;
	assert_string_equal(ckpt_section_name(CKPT_SEC_SHMEM), "shmem");
	assert_true(parse(build(), 0));
	assert_null(ckpt_find(&img, CKPT_SEC_SHMEM, 0));
	add(CKPT_SEC_SHMEM, 0, a, la);
	lb = shmem_sec(b, CKPT_MAX_SHMEM - 1, 1);
	add(CKPT_SEC_SHMEM, CKPT_MAX_SHMEM - 1, b, lb);
	assert_true(parse(build(), 0));
	r = ckpt_find(&img, CKPT_SEC_SHMEM, 0);
	assert_non_null(r);
	assert_int_equal(r->length, la);
	assert_non_null(ckpt_find(&img, CKPT_SEC_SHMEM, CKPT_MAX_SHMEM - 1));
	/* One past the last region. */
	secs[nsecs - 1].index = CKPT_MAX_SHMEM;
	shmem_sec(b, CKPT_MAX_SHMEM, 1);
	build_refused("shmem section: region 4, at most 3");
	secs[nsecs - 1].index = 0;
	shmem_sec(b, 0, 1);
	build_refused("shmem section: region 0 twice");
	nsecs--;
	/* The header against the section: its index, flags, size. */
	h->region = 1;
	build_refused("shmem section 0: it says region 1, flags 0x0");
	h->region = 0;
	/* Every known bit, then one past. */
	h->flags = CKPT_SHMEM_FLAGS_KNOWN;
	h->pci_command = CKPT_SHMEM_PCI_COMMAND_KNOWN;
	assert_true(parse(build(), 0));
	h->flags = 2;
	build_refused("shmem section 0: it says region 0, flags 0x2");
	h->flags = 0;
	h->pci_command = 1;
	build_refused("flags 0x0, PCI command 0x1 (known: 0x1, 0x406)");
	h->pci_command = 0;
	h->size = 3UL * CKPT_PAGE_SIZE;
	build_refused("shmem section 0: size 12288 in 8208 bytes of section");
	h->size = 0;
	secs[nsecs - 1].len = sizeof(*h);
	build_refused("shmem section 0: size 0 in 16 bytes of section");
	h->size = 100;
	secs[nsecs - 1].len = sizeof(*h) + 100;
	build_refused("shmem section 0: size 100 in 116 bytes of section");
	secs[nsecs - 1].len = sizeof(*h) - 1;
	build_refused("shmem section 0: 15 bytes, its header alone is 16");
}

/* The first difference of two lists, with both values named. */
static void test_passthrough_diff(void **state)
{
	struct ckpt_passthrough a, b;
	char d[160];

	(void)state;
	rtc_passthrough(&a);
	rtc_passthrough(&b);
	assert_false(ckpt_pt_diff(&a, "the image", &b, "g", d, sizeof(d)));
	/* Compatible strings only name a device. */
	snprintf(b.dev[0].compat, sizeof(b.dev[0].compat), "other");
	assert_false(ckpt_pt_diff(&a, "the image", &b, "g", d, sizeof(d)));
	b.nr_devices = 0;
	assert_true(ckpt_pt_diff(&a, "the image", &b, "g", d, sizeof(d)));
	assert_string_equal(d, "device 0: the image has 0x9010000+0x1000 "
			       "(arm,pl031), g has none");
	assert_true(ckpt_pt_diff(&b, "the image", &a, "g", d, sizeof(d)));
	assert_string_equal(d, "device 0: the image has none, g has "
			       "0x9010000+0x1000 (arm,pl031)");
	rtc_passthrough(&b);
	b.dev[0].size = 0x2000;
	b.dev[0].compat[0] = '\0';
	assert_true(ckpt_pt_diff(&a, "A", &b, "B", d, sizeof(d)));
	assert_string_equal(d, "device 0: A has 0x9010000+0x1000 (arm,pl031), "
			       "B has 0x9010000+0x2000 (?)");
	/* Devices first, then the interrupts. */
	rtc_passthrough(&b);
	b.irq[0] = 35;
	b.nr_irqs = 2;
	b.irq[1] = 36;
	assert_true(ckpt_pt_diff(&a, "the image", &b, "g", d, sizeof(d)));
	assert_string_equal(d, "interrupt 0: the image has INTID 34, g has "
			       "INTID 35");
	b.irq[0] = 34;
	assert_true(ckpt_pt_diff(&a, "the image", &b, "g", d, sizeof(d)));
	assert_string_equal(d, "interrupt 1: the image has none, g has "
			       "INTID 36");
}

static void test_wrong_lengths(void **state)
{
	(void)state;
	secs[0].len = sizeof(vm) - 8;
	build_refused("vm section: 96 bytes, expected 104");
	setup(state);
	secs[1].len = sizeof(vcpu[0]) + 8;
	build_refused("vcpu 0 section: 1632 bytes, expected 1624");
	setup(state);
	secs[3].len = 16;
	build_refused("vgic section: 16 bytes, expected 4112");
	setup(state);
	secs[4].len = 0;
	build_refused("vuart section: 0 bytes, expected 360");
	setup(state);
	secs[5].len = 39;
	build_refused("memory section: 39 bytes, less than its header (40)");
	setup(state);
	secs[5].len = mem_len - CKPT_PAGE_SIZE;
	build_refused(
		"memory section: 16440 bytes, but 70 pages with 5 stored take 20536");
}

static void test_vm_fields(void **state)
{
	(void)state;
	vm.nr_vcpus = 0;
	build_refused("vm section: 0 vCPUs, expected 1 to 8");
	vm.nr_vcpus = CKPT_MAX_VCPUS + 1;
	build_refused("vm section: 9 vCPUs, expected 1 to 8");
	setup(state);
	vm.gic_version = 4;
	build_refused("vm section: GIC version 4, expected 2 or 3");
	setup(state);
	vm.gic_version = 2;
	build_refused("vgic section: GIC version 3, the VM has 2");
	vgic.version = 2;
	assert_true(parse(build(), 0));
	setup(state);
	memset(vm.name, 'x', sizeof(vm.name));
	build_refused("vm section: the name is not NUL-terminated");
	setup(state);
	vm.cntfrq = 0;
	build_refused("vm section: counter frequency 0");
	setup(state);
	vm.paused = 2;
	build_refused("vm section: paused is 2, expected 0 or 1");
}

static void test_irq_flags_and_states(void **state)
{
	(void)state;
	vcpu[1].priv[30].flags = CKPT_IRQ_ENABLED | 0x80;
	build_refused("vcpu 1: interrupt 30 has unknown flag bits 0x80");
	setup(state);
	vgic.spi[8].flags = 0x100 | CKPT_IRQ_HW;
	build_refused("vgic: interrupt 40 has unknown flag bits 0x100");
	setup(state);
	vgic.spi[8].flags = CKPT_IRQ_KNOWN;
	assert_true(parse(build(), 0));
	setup(state);
	vgic.nr_spis = 64;
	build_refused("vgic section: 64 SPIs, expected 256");
	setup(state);
	vcpu[0].power = 3;
	build_refused("vcpu 0: power state 3 is unknown");
	setup(state);
	vuart.rx_len = 65;
	build_refused(
		"vuart section: 65 input and 0 output bytes, at most 63 and 256");
	setup(state);
	vuart.line_len = 257;
	build_refused("vuart section: 3 input and 257 output bytes");
}

static void set_mem_hdr(size_t off, uint64_t val, size_t size)
{
	memcpy(mem + off, &val, size);
}

static void test_mem_fields(void **state)
{
	(void)state;
	set_mem_hdr(offsetof(struct ckpt_mem, page_size), 8192, 4);
	build_refused("memory section: page size 8192, expected 4096");
	setup(state);
	set_mem_hdr(offsetof(struct ckpt_mem, size), vm.mem_size - 100, 8);
	build_refused(
		"memory section: size 286620 is not a non-zero multiple of the page size");
	setup(state);
	set_mem_hdr(offsetof(struct ckpt_mem, ipa), MEM_IPA + 0x1000, 8);
	build_refused(
		"memory section: 0x46000 bytes at 0x40001000, the vm section says 0x46000 at 0x40000000");
	setup(state);
	set_mem_hdr(offsetof(struct ckpt_mem, nr_pages), NR_PAGES + 1, 8);
	build_refused("memory section: 71 pages for 286720 bytes");
	setup(state);
	set_mem_hdr(offsetof(struct ckpt_mem, nr_data_pages), NR_PAGES + 1, 8);
	build_refused("memory section: 71 pages stored of 70");
	setup(state);
	set_mem_hdr(offsetof(struct ckpt_mem, nr_data_pages), UINT64_MAX, 8);
	build_refused("pages stored of 70");
}

/* Bitmap and header disagree, with the length right for the header. */
static void test_bitmap_mismatch(void **state)
{
	uint64_t bm;

	(void)state;
	/* One bit more than the header counts (page 1), one page of data
	 * less in the length. */
	memcpy(&bm, mem + sizeof(struct ckpt_mem), 8);
	bm |= 1ULL << 1;
	memcpy(mem + sizeof(struct ckpt_mem), &bm, 8);
	build_refused("memory section: bitmap has 6 pages set, header says 5");
	setup(state);
	set_mem_hdr(offsetof(struct ckpt_mem, nr_data_pages), NR_STORED - 1, 8);
	secs[5].len = mem_len - CKPT_PAGE_SIZE;
	build_refused("memory section: bitmap has 5 pages set, header says 4");
	/* A bit past the last page (70..127 are not pages). */
	setup(state);
	memcpy(&bm, mem + sizeof(struct ckpt_mem) + 8, 8);
	bm |= 1ULL << 6;
	memcpy(mem + sizeof(struct ckpt_mem) + 8, &bm, 8);
	build_refused("memory section: the bitmap has bits set past page 70");
}

/* A section claiming more bytes than are left, even 2^64 - 1. */
static void test_huge_lengths(void **state)
{
	static const uint64_t lens[] = { UINT64_MAX, UINT64_MAX - 7,
					 UINT64_MAX - 40, 1ULL << 63,
					 BUF_SIZE };
	uint64_t n = build(), hdr;

	(void)state;
	assert_true(parse(n, 0));
	hdr = img.sec[3].offset - sizeof(struct ckpt_section);
	for (unsigned int i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		struct ckpt_section s;

		memcpy(&s, buf + hdr, sizeof(s));
		s.length = lens[i];
		s.hcrc =
			ckpt_crc32c(0, &s, offsetof(struct ckpt_section, hcrc));
		memcpy(buf + hdr, &s, sizeof(s));
		refused(n, 0, "section 3 (vgic): length");
		assert_true(strstr(why, "runs past the trailer") != NULL);
	}
}

/* ---- The writer ---- */

/* Any capacity short of the image: finish() says 0, nothing past cap. */
static void test_writer_overflow(void **state)
{
	uint64_t n = build();

	(void)state;
	for (uint64_t cap = 0; cap < n; cap += cap < 256 ? 1 : 61) {
		memset(buf, 0xee, sizeof(buf));
		assert_int_equal(build_cap(cap), 0);
		for (uint64_t i = cap; i < n + 64; i++)
			if (buf[i] != 0xee)
				fail_msg("cap %llu: byte %llu written",
					 (unsigned long long)cap,
					 (unsigned long long)i);
	}
	assert_int_equal(build_cap(n - 1), 0);
	assert_int_equal(build_cap(n), n);
	assert_true(parse(n, 0));
}

static void test_writer_reserve_commit(void **state)
{
	struct ckpt_writer w;
	uint8_t *p;
	uint64_t n, n2;

	(void)state;
	n = build();
	/* The same image with the memory payload filled in place. */
	ckpt_w_init(&w, buf, sizeof(buf));
	for (unsigned int i = 0; i < 5; i++) {
		ckpt_w_begin(&w, secs[i].type, secs[i].index);
		ckpt_w_append(&w, secs[i].p, secs[i].len);
		ckpt_w_end(&w);
	}
	ckpt_w_begin(&w, CKPT_SEC_MEM, 0);
	ckpt_w_append(&w, mem, 100);
	p = ckpt_w_reserve(&w, mem_len - 100);
	assert_non_null(p);
	memcpy(p, mem + 100, mem_len - 100);
	ckpt_w_commit(&w, mem_len - 100);
	ckpt_w_end(&w);
	n2 = ckpt_w_finish(&w);
	assert_int_equal(n2, n);
	assert_true(parse(n2, 0));
	/* Too big: NULL, and the image is lost. */
	ckpt_w_init(&w, buf, 1024);
	ckpt_w_begin(&w, CKPT_SEC_MEM, 0);
	assert_null(ckpt_w_reserve(&w, 1024));
	assert_true(w.overflow);
	ckpt_w_end(&w);
	assert_int_equal(ckpt_w_finish(&w), 0);
}

static void test_writer_misuse(void **state)
{
	struct ckpt_writer w;

	(void)state;
	/* Payload outside a section. */
	ckpt_w_init(&w, buf, sizeof(buf));
	ckpt_w_append(&w, &vm, sizeof(vm));
	assert_int_equal(ckpt_w_finish(&w), 0);
	/* A section inside a section. */
	ckpt_w_init(&w, buf, sizeof(buf));
	ckpt_w_begin(&w, CKPT_SEC_VM, 0);
	ckpt_w_begin(&w, CKPT_SEC_VM, 0);
	assert_int_equal(ckpt_w_finish(&w), 0);
	/* end() without begin(). */
	ckpt_w_init(&w, buf, sizeof(buf));
	ckpt_w_end(&w);
	assert_int_equal(ckpt_w_finish(&w), 0);
	/* More sections than a reader takes. */
	ckpt_w_init(&w, buf, sizeof(buf));
	for (unsigned int i = 0; i <= CKPT_MAX_SECTIONS; i++) {
		ckpt_w_begin(&w, 100, i);
		ckpt_w_end(&w);
	}
	assert_int_equal(ckpt_w_finish(&w), 0);
}

/* finish() closes a section left open. */
static void test_writer_finish_closes(void **state)
{
	struct ckpt_writer w;
	uint64_t n;

	(void)state;
	ckpt_w_init(&w, buf, sizeof(buf));
	for (unsigned int i = 0; i < nsecs; i++) {
		ckpt_w_begin(&w, secs[i].type, secs[i].index);
		ckpt_w_append(&w, secs[i].p, secs[i].len);
		if (i + 1 < nsecs)
			ckpt_w_end(&w);
	}
	n = ckpt_w_finish(&w);
	assert_true(n > 0);
	assert_true(parse(n, 0));
	assert_int_equal(img.nr, nsecs);
}

/* A short or absent message buffer: still refused, never overrun. */
static void test_why_buffers(void **state)
{
	char small[8];
	uint64_t n = build();

	(void)state;
	buf[0] = 'X';
	assert_false(ckpt_parse(buf, n, 0, &img, NULL, 0));
	memset(small, 'z', sizeof(small));
	assert_false(ckpt_parse(buf, n, 0, &img, small, 4));
	assert_string_equal(small, "bad");
	assert_int_equal(small[4], 'z');
}

/*
 * The corpus of fields at their limit and one past it (ckpt_corpus.c),
 * which test_ckpt.c also restores into a VM: accepted or refused with
 * the sentence it names, by the reader kairos-ckpt verify runs.
 */
static void test_corpus_limits(void **state)
{
	uint64_t len;

	for (unsigned int i = 0; i < ckpt_corpus_len; i++) {
		const struct ckpt_edit *e = &ckpt_corpus[i];
		uint64_t got;

		setup(state);
		len = build();
		if (!ckpt_corpus_apply(buf, len, e))
			fail_msg("%s: the image has no such field", e->name);
		if (parse(len, 0) != (e->refusal == NULL))
			fail_msg("%s: %s (%s)", e->name,
				 e->refusal ? "accepted" : "refused", why);
		if (e->refusal && !strstr(why, e->refusal))
			fail_msg("%s: \"%s\" lacks \"%s\"", e->name, why,
				 e->refusal);
		if (!e->refusal) {
			assert_true(ckpt_corpus_read(&img, e, &got));
			assert_int_equal(got, e->value);
		}
	}
}

/* A bare RAM size at the limit and past it, section and header agreeing. */
static void test_mem_size_limit(void **state)
{
	uint64_t len;

	(void)state;
	vm.mem_size = CKPT_MAX_MEM + CKPT_PAGE_SIZE;
	build_refused("vm section: 2147487744 bytes of RAM, at most");
	setup(state);
	vm.mem_size = CKPT_MAX_MEM;
	len = build();
	assert_false(parse(len, 0));
	/* Past the VM check: the memory section is the next to differ. */
	assert_non_null(strstr(why, "memory section: 0x46000 bytes"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_corpus_limits, setup),
		cmocka_unit_test_setup(test_mem_size_limit, setup),
		cmocka_unit_test(test_crc_vectors),
		cmocka_unit_test(test_crc_chaining),
		cmocka_unit_test_setup(test_round_trip, setup),
		cmocka_unit_test_setup(test_page_stored_and_data, setup),
		cmocka_unit_test_setup(test_unaligned_and_trailing_junk, setup),
		cmocka_unit_test_setup(test_unknown_section_skipped, setup),
		cmocka_unit_test(test_section_names),
		cmocka_unit_test_setup(test_bad_magic_version_header, setup),
		cmocka_unit_test_setup(test_truncated_everywhere, setup),
		cmocka_unit_test_setup(test_section_crcs, setup),
		cmocka_unit_test_setup(test_padding_not_zero, setup),
		cmocka_unit_test_setup(test_trailer, setup),
		cmocka_unit_test_setup(test_reordered_sections, setup),
		cmocka_unit_test_setup(test_trust_mem, setup),
		cmocka_unit_test_setup(test_missing_sections, setup),
		cmocka_unit_test_setup(test_duplicate_and_misplaced_sections,
				       setup),
		cmocka_unit_test_setup(test_pmu_debug_sections, setup),
		cmocka_unit_test_setup(test_passthrough_section, setup),
		cmocka_unit_test_setup(test_shmem_sections, setup),
		cmocka_unit_test(test_passthrough_diff),
		cmocka_unit_test_setup(test_wrong_lengths, setup),
		cmocka_unit_test_setup(test_vm_fields, setup),
		cmocka_unit_test_setup(test_irq_flags_and_states, setup),
		cmocka_unit_test_setup(test_mem_fields, setup),
		cmocka_unit_test_setup(test_bitmap_mismatch, setup),
		cmocka_unit_test_setup(test_huge_lengths, setup),
		cmocka_unit_test_setup(test_writer_overflow, setup),
		cmocka_unit_test_setup(test_writer_reserve_commit, setup),
		cmocka_unit_test_setup(test_writer_misuse, setup),
		cmocka_unit_test_setup(test_writer_finish_closes, setup),
		cmocka_unit_test_setup(test_why_buffers, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
