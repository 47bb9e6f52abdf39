// SPDX-License-Identifier: MIT
/*
 * Slot images in and out of a board over the control channel
 * (docs/control.md, "Moving slot images"). `export` reads a slot's image
 * a few chunks per request; `import` empties a slot, `put` and `zero`
 * fill it in order from offset 0 (a chunk may be sent again: a client
 * resumes from the offset the last answer gave), `import-end` validates
 * the whole image with ckpt_parse(), as a restore does, before the slot
 * holds it. The image's header is kept here until then, so that nothing
 * (a restore, Kairos after a reboot) takes a half-written slot for an
 * image.
 */
#include <kairos/ckpt.h>
#include <kairos/ckpt_format.h>
#include <kairos/console.h>
#include <kairos/ui.h>
#include <stdio.h>
#include <string.h>

#define HDR_SIZE sizeof(struct ckpt_header)

/* The import going on (at most one). */
static struct {
	bool active;
	unsigned int slot;
	uint32_t gen;  /* the slot's, when it was opened */
	uint8_t *base; /* the slot's memory */
	uint64_t size; /* bytes the image has */
	uint64_t next; /* every byte below has come */
	uint8_t hdr[HDR_SIZE];
} imp;

/* One line of an export, or a received chunk (boot CPU only). */
static char line_buf[CTL_DATA_LINE_MAX + 1];
static struct xfer_chunk chunk;

/* The slot of argument @i; CTL_OK or why not in @msg. */
static enum ctl_status slot_arg(const struct ctl_request *req, unsigned int i,
				unsigned int *slot, char *msg, size_t msg_len)
{
	return ctl_slot_parse(req->argv[i], slot, msg, msg_len);
}

/* A decimal argument, or CTL_BAD_REQUEST naming it. */
static enum ctl_status number_arg(const char *s, const char *what, uint64_t *v,
				  char *msg, size_t msg_len)
{
	if (xfer_u64_parse(s, v))
		return CTL_OK;
	snprintf(msg, msg_len, "%s '%.20s' is not a number", what, s);
	return CTL_BAD_REQUEST;
}

/*
 * Up to @n chunks from @off: each a data line; a run of all-zero chunks
 * is one "zero=" line. Returns the offset after the last.
 */
static uint64_t export_chunks(const char *tag, const uint8_t *img,
			      uint64_t size, uint64_t off, uint64_t n)
{
	while (n-- && off < size) {
		uint64_t len = size - off < CTL_XFER_CHUNK ? size - off :
							     CTL_XFER_CHUNK;
		uint64_t end = off + len;
		size_t k;

		if (xfer_is_zero(img + off, (size_t)len)) {
			while (end < size &&
			       xfer_is_zero(img + end,
					    (size_t)(size - end < CTL_XFER_CHUNK ?
							     size - end :
							     CTL_XFER_CHUNK)))
				end += size - end < CTL_XFER_CHUNK ?
					       size - end :
					       CTL_XFER_CHUNK;
			k = (size_t)snprintf(line_buf, sizeof(line_buf),
					     "off=%llu zero=%llu",
					     (unsigned long long)off,
					     (unsigned long long)(end - off));
		} else {
			k = xfer_chunk_encode(off, img + off, (size_t)len,
					      line_buf);
		}
		ctl_row_text(tag, line_buf, k);
		off = end;
	}
	return off;
}

enum ctl_status ctl_xfer_export(const char *tag, const struct ctl_request *req,
				char *msg, size_t msg_len)
{
	uint64_t off, n = 1, size, next;
	const uint8_t *img;
	unsigned int slot;
	uint32_t gen;
	enum ctl_status st = slot_arg(req, 0, &slot, msg, msg_len);

	if (st == CTL_OK)
		st = number_arg(req->argv[1], "offset", &off, msg, msg_len);
	if (st == CTL_OK && req->argc > 2)
		st = number_arg(req->argv[2], "chunk count", &n, msg, msg_len);
	if (st != CTL_OK)
		return st;
	if (!n || n > CTL_XFER_CHUNKS_MAX) {
		snprintf(msg, msg_len, "chunk count %llu is not 1-%u",
			 (unsigned long long)n, CTL_XFER_CHUNKS_MAX);
		return CTL_BAD_REQUEST;
	}
	if (imp.active && imp.slot == slot) {
		snprintf(msg, msg_len, "slot %u is being imported", slot);
		return CTL_BAD_STATE;
	}
	if (!ckpt_slot_read(slot, &img, &size, &gen)) {
		snprintf(msg, msg_len, "slot %u holds no image", slot);
		return CTL_FAILED;
	}
	if (off > size) {
		snprintf(msg, msg_len,
			 "offset %llu is past the image (%llu bytes)",
			 (unsigned long long)off, (unsigned long long)size);
		return CTL_BAD_REQUEST;
	}
	next = export_chunks(tag, img, size, off, n);
	ctl_row(tag, "slot=%u size=%llu gen=%u next=%llu", slot,
		(unsigned long long)size, (unsigned int)gen,
		(unsigned long long)next);
	snprintf(msg, msg_len, "%s", next == size ? "end" : "more");
	return CTL_OK;
}

/* Drop the import; its slot stays empty. */
static void import_drop(void)
{
	imp.active = false;
}

enum ctl_status ctl_xfer_import(const char *tag, const struct ctl_request *req,
				char *msg, size_t msg_len)
{
	struct ckpt_slot_info info;
	uint64_t size, cap;
	unsigned int slot;
	enum ctl_status st = slot_arg(req, 0, &slot, msg, msg_len);

	if (st == CTL_OK)
		st = number_arg(req->argv[1], "size", &size, msg, msg_len);
	if (st != CTL_OK)
		return st;
	ckpt_slot_info(slot, &info);
	if (size < HDR_SIZE || size > info.capacity) {
		snprintf(msg, msg_len,
			 "an image of %llu bytes does not fit slot %u (%zu-%llu bytes); the slot keeps what it held",
			 (unsigned long long)size, slot, HDR_SIZE,
			 (unsigned long long)info.capacity);
		return CTL_FAILED;
	}
	if (imp.active)
		ctl_row(tag, "abandoned=%u next=%llu", imp.slot,
			(unsigned long long)imp.next);
	import_drop();
	imp.base = ckpt_slot_open(slot, &cap, &imp.gen);
	imp.active = true;
	imp.slot = slot;
	imp.size = size;
	imp.next = 0;
	memset(imp.hdr, 0, sizeof(imp.hdr));
	ctl_row(tag, "slot=%u size=%llu chunk=%u next=0", slot,
		(unsigned long long)size, CTL_XFER_CHUNK);
	snprintf(msg, msg_len, "importing");
	return CTL_OK;
}

/*
 * The import into the slot of argument 0, still valid; CTL_OK or why
 * not. A slot written meanwhile (a checkpoint into it) ends the import.
 */
static enum ctl_status import_of(const struct ctl_request *req, char *msg,
				 size_t msg_len)
{
	unsigned int slot;
	enum ctl_status st = slot_arg(req, 0, &slot, msg, msg_len);

	if (st != CTL_OK)
		return st;
	if (!imp.active || imp.slot != slot) {
		snprintf(msg, msg_len,
			 "no import into slot %u ('import %u <size>' starts one)",
			 slot, slot);
		return CTL_BAD_STATE;
	}
	if (ckpt_slot_gen(slot) != imp.gen) {
		import_drop();
		snprintf(msg, msg_len,
			 "slot %u was written during the import, which is dropped",
			 slot);
		return CTL_FAILED;
	}
	return CTL_OK;
}

/* Copy @len bytes (NULL: zeros) to image offset @off; the header aside. */
static void import_write(uint64_t off, const uint8_t *p, uint64_t len)
{
	for (; len && off < HDR_SIZE; off++, len--)
		imp.hdr[off] = p ? *p++ : 0;
	if (!len)
		return;
	if (p)
		memcpy(imp.base + off, p, (size_t)len);
	else
		memset(imp.base + off, 0, (size_t)len);
}

/* Take @len bytes at @off if they are where the import stands. */
static enum ctl_status import_take(const char *tag, uint64_t off,
				   const uint8_t *p, uint64_t len, char *msg,
				   size_t msg_len)
{
	enum ctl_status st = CTL_OK;

	if (off > imp.next) {
		snprintf(msg, msg_len,
			 "offset %llu is past the bytes received (resend from offset %llu)",
			 (unsigned long long)off, (unsigned long long)imp.next);
		st = CTL_FAILED;
	} else if (len > imp.size || off > imp.size - len) {
		snprintf(msg, msg_len,
			 "%llu bytes at offset %llu go past the image's %llu bytes",
			 (unsigned long long)len, (unsigned long long)off,
			 (unsigned long long)imp.size);
		st = CTL_BAD_REQUEST;
	} else {
		import_write(off, p, len);
		if (off + len > imp.next)
			imp.next = off + len;
		snprintf(msg, msg_len, "%s",
			 imp.next == imp.size ? "all bytes came" : "taken");
	}
	ctl_row(tag, "slot=%u next=%llu", imp.slot,
		(unsigned long long)imp.next);
	return st;
}

enum ctl_status ctl_xfer_put(const char *tag, const struct ctl_request *req,
			     char *msg, size_t msg_len)
{
	char why[120];
	enum ctl_status st = import_of(req, msg, msg_len);

	if (st != CTL_OK)
		return st;
	if (!xfer_chunk_parse(req->argv[1], req->argv[2], req->argv[3], &chunk,
			      why, sizeof(why))) {
		ctl_row(tag, "slot=%u next=%llu", imp.slot,
			(unsigned long long)imp.next);
		snprintf(msg, msg_len, "%s (resend from offset %llu)", why,
			 (unsigned long long)imp.next);
		return CTL_FAILED;
	}
	return import_take(tag, chunk.offset, chunk.data, chunk.len, msg,
			   msg_len);
}

enum ctl_status ctl_xfer_zero(const char *tag, const struct ctl_request *req,
			      char *msg, size_t msg_len)
{
	uint64_t off, len;
	enum ctl_status st = import_of(req, msg, msg_len);

	if (st == CTL_OK)
		st = number_arg(req->argv[1], "offset", &off, msg, msg_len);
	if (st == CTL_OK)
		st = number_arg(req->argv[2], "length", &len, msg, msg_len);
	if (st != CTL_OK)
		return st;
	if (!len) {
		snprintf(msg, msg_len,
			 "a run of zero bytes is at least 1 long");
		return CTL_BAD_REQUEST;
	}
	return import_take(tag, off, NULL, len, msg, msg_len);
}

enum ctl_status ctl_xfer_status(const char *tag, const struct ctl_request *req,
				char *msg, size_t msg_len)
{
	(void)req;
	if (imp.active && ckpt_slot_gen(imp.slot) != imp.gen)
		import_drop();
	if (!imp.active) {
		snprintf(msg, msg_len, "no import");
		return CTL_OK;
	}
	ctl_row(tag, "slot=%u size=%llu next=%llu", imp.slot,
		(unsigned long long)imp.size, (unsigned long long)imp.next);
	snprintf(msg, msg_len, "importing");
	return CTL_OK;
}

enum ctl_status ctl_xfer_end(const char *tag, const struct ctl_request *req,
			     char *msg, size_t msg_len)
{
	struct ckpt_slot_info info;
	char why[200];
	enum ctl_status st = import_of(req, msg, msg_len);

	if (st != CTL_OK)
		return st;
	if (imp.next != imp.size) {
		snprintf(msg, msg_len,
			 "slot %u: %llu of the image's %llu bytes came; it stays empty (resume from offset %llu)",
			 imp.slot, (unsigned long long)imp.next,
			 (unsigned long long)imp.size,
			 (unsigned long long)imp.next);
		return CTL_FAILED;
	}
	import_drop();
	if (!ckpt_slot_commit(imp.slot, imp.hdr, imp.size, why, sizeof(why))) {
		snprintf(msg, msg_len, "slot %u: %s; the slot is left empty",
			 imp.slot, why);
		return CTL_FAILED;
	}
	ckpt_slot_info(imp.slot, &info);
	ctl_row(tag, "slot=%u size=%llu vm=%s vcount=%llu", imp.slot,
		(unsigned long long)info.size, info.vm[0] ? info.vm : "-",
		(unsigned long long)info.vcount);
	snprintf(msg, msg_len, "imported");
	return CTL_OK;
}

enum ctl_status ctl_xfer_abort(const char *tag, const struct ctl_request *req,
			       char *msg, size_t msg_len)
{
	(void)req;
	if (!imp.active) {
		snprintf(msg, msg_len, "no import");
		return CTL_OK;
	}
	ctl_row(tag, "slot=%u next=%llu", imp.slot,
		(unsigned long long)imp.next);
	import_drop();
	snprintf(msg, msg_len, "import dropped; the slot is left empty");
	return CTL_OK;
}
