// SPDX-License-Identifier: MIT
/*
 * libFuzzer target of the checkpoint image reader (make fuzz, mk/ckpt.mk):
 * ckpt_parse() must never read outside the buffer it is given, whatever
 * the bytes. The input is parsed as it is, and again with every checksum
 * made right (header, section headers and payloads, trailer), so that
 * mutations get past the CRCs to the structure and payload checks. An
 * image that parses is walked: every section through ckpt_find(), the
 * memory through ckpt_mem_view(), ckpt_page_stored() and ckpt_page_data()
 * for every page, whose bytes are all read.
 *
 * The input is copied to a buffer of exactly its size, so AddressSanitizer
 * catches a read one byte past the end.
 */
#include <kairos/ckpt_format.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Read every byte of every stored page (and sum them, so it is done). */
static uint64_t walk_mem(const struct ckpt_image *img)
{
	struct ckpt_mem_view m;
	uint64_t sum = 0, stored = 0;

	ckpt_mem_view(img, &m);
	for (uint64_t p = 0; p < m.hdr.nr_pages; p++) {
		const uint8_t *d = ckpt_page_data(&m, p);

		if (ckpt_page_stored(&m, p) != (d != NULL))
			abort();
		if (d == NULL)
			continue;
		/* Pages are stored in order: the running pointer agrees. */
		if (d != m.data + stored * CKPT_PAGE_SIZE)
			abort();
		stored++;
		for (unsigned int i = 0; i < CKPT_PAGE_SIZE; i += 64)
			sum += d[i] + d[i + 63];
	}
	if (stored != m.hdr.nr_data_pages)
		abort();
	/* Past the last page: not stored, whatever the bitmap's tail. */
	if (ckpt_page_stored(&m, m.hdr.nr_pages) ||
	    ckpt_page_stored(&m, UINT64_MAX))
		abort();
	return sum;
}

static uint64_t walk(const struct ckpt_image *img)
{
	uint64_t sum = 0;

	for (unsigned int i = 0; i < img->nr; i++) {
		const struct ckpt_sec_ref *r = &img->sec[i];
		const struct ckpt_sec_ref *f =
			ckpt_find(img, r->type, r->index);
		const uint8_t *p;

		/* The first of its type and index, at or before this one. */
		if (f == NULL || f > r || f->type != r->type)
			abort();
		p = ckpt_payload(img, r);
		if (r->length > 0)
			sum += p[0] + p[r->length - 1];
		sum += (uint64_t)strlen(ckpt_section_name(r->type));
	}
	return sum + walk_mem(img);
}

static void parse(const uint8_t *buf, size_t size)
{
	static const unsigned int flags[] = { 0, CKPT_PARSE_TRUST_MEM };
	static volatile uint64_t sink;

	for (unsigned int i = 0; i < 2; i++) {
		struct ckpt_image img;
		char why[160];

		if (ckpt_parse(buf, size, flags[i], &img, why, sizeof(why))) {
			sink = walk(&img);
		} else {
			/* A refusal always says why, in one line. */
			if (why[0] == '\0' || strchr(why, '\n') != NULL)
				abort();
			if (img.nr != 0)
				abort();
		}
	}
	(void)sink;
}

/* Make every checksum of @b right, as far as the structure can be read. */
static void fix_crcs(uint8_t *b, size_t size)
{
	struct ckpt_header h;
	struct ckpt_trailer t;
	uint64_t off = sizeof(h), end;
	uint32_t toc = 0, n = 0;
	bool whole;

	if (size < sizeof(h))
		return;
	memcpy(&h, b, sizeof(h));
	/* The trailer where the header says, if that is in the buffer. */
	whole = h.total_size <= size && h.total_size >= sizeof(h) + sizeof(t);
	end = whole ? h.total_size - sizeof(t) : size;
	for (; n < h.nr_sections && n < CKPT_MAX_SECTIONS; n++) {
		struct ckpt_section s;
		uint64_t avail;

		if (off > size || size - off < sizeof(s))
			break;
		memcpy(&s, b + off, sizeof(s));
		/* A length past the end stays: its header is made right, so
		 * the reader's bounds checks are what refuses it. */
		avail = size - off - sizeof(s);
		if (avail > s.length)
			avail = s.length;
		s.crc = ckpt_crc32c(0, b + off + sizeof(s), (size_t)avail);
		s.hcrc =
			ckpt_crc32c(0, &s, offsetof(struct ckpt_section, hcrc));
		memcpy(b + off, &s, sizeof(s));
		toc = ckpt_crc32c(toc, &s, offsetof(struct ckpt_section, hcrc));
		if (avail < s.length)
			break;
		off += sizeof(s) + ((s.length + 7) & ~7ULL);
	}
	if (whole) {
		memcpy(&t, b + end, sizeof(t));
		t.crc = toc;
		memcpy(b + end, &t, sizeof(t));
	}
	h.crc = ckpt_crc32c(0, &h, offsetof(struct ckpt_header, crc));
	memcpy(b, &h, sizeof(h));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy = malloc(size ? size : 1);

	if (copy == NULL)
		return 0;
	memcpy(copy, data, size);
	parse(copy, size);
	fix_crcs(copy, size);
	parse(copy, size);
	free(copy);
	return 0;
}
