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
 * image. `load-image` stages a kernel for a stopped VM the same way: its
 * bytes go into the slot whole (it never holds a checkpoint image), and
 * `import-end` checks their CRC32C and makes them the kernel the VM
 * boots (core/vm_image.c).
 */
#include <kairos/ckpt.h>
#include <kairos/ckpt_format.h>
#include <kairos/console.h>
#include <kairos/ui.h>
#include <kairos/vm.h>
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
	struct vm *vm; /* a kernel for this VM (load-image), or NULL */
	uint32_t crc;  /* the kernel's CRC32C */
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

/*
 * A transfer of @size bytes into slot @slot begins (for @vm's kernel, or
 * NULL for an image); one still open is abandoned, and said so.
 */
static void import_open(const char *tag, unsigned int slot, uint64_t size,
			struct vm *vm)
{
	uint64_t cap;

	if (imp.active)
		ctl_row(tag, "abandoned=%u next=%llu", imp.slot,
			(unsigned long long)imp.next);
	import_drop();
	imp.base = ckpt_slot_open(slot, &cap, &imp.gen);
	imp.active = true;
	imp.slot = slot;
	imp.size = size;
	imp.next = 0;
	imp.vm = vm;
}

enum ctl_status ctl_xfer_import(const char *tag, const struct ctl_request *req,
				char *msg, size_t msg_len)
{
	struct ckpt_slot_info info;
	uint64_t size;
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
	import_open(tag, slot, size, NULL);
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
	for (; !imp.vm && len && off < HDR_SIZE; off++, len--)
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
	if (imp.vm)
		ctl_row(tag, "slot=%u size=%llu next=%llu vm=%s", imp.slot,
			(unsigned long long)imp.size,
			(unsigned long long)imp.next, imp.vm->cfg->name);
	else
		ctl_row(tag, "slot=%u size=%llu next=%llu", imp.slot,
			(unsigned long long)imp.size,
			(unsigned long long)imp.next);
	snprintf(msg, msg_len, "importing");
	return CTL_OK;
}

/*
 * All bytes of a kernel came (the import is dropped): check them whole,
 * then make them the kernel its VM boots.
 */
static enum ctl_status image_end(const char *tag, char *msg, size_t msg_len)
{
	uint32_t crc = ckpt_crc32c(0, imp.base, (size_t)imp.size);
	struct vm_image_stage stage = { imp.slot, ckpt_slot_gen_at(imp.slot),
					imp.gen };
	uint64_t entry;
	char why[240];

	if (crc != imp.crc) {
		snprintf(msg, msg_len,
			 "VM %s: CRC32C %08x of the %llu bytes is not %08x; no new kernel was taken (send the image again)",
			 imp.vm->cfg->name, (unsigned int)crc,
			 (unsigned long long)imp.size, (unsigned int)imp.crc);
		return CTL_FAILED;
	}
	if (!vm_image_set(imp.vm, &stage, imp.base, imp.size, crc, why,
			  sizeof(why))) {
		snprintf(msg, msg_len, "%s; no new kernel was taken", why);
		return __atomic_load_n(&imp.vm->state, __ATOMIC_ACQUIRE) ==
				       VM_STOPPED ?
			       CTL_FAILED :
			       CTL_BAD_STATE;
	}
	entry = ipa_addr(imp.vm->cfg->mem_ipa) + imp.vm->image.layout.kernel;
	ctl_row(tag, "vm=%s slot=%u size=%llu crc=%08x entry=0x%llx",
		imp.vm->cfg->name, imp.slot, (unsigned long long)imp.size,
		(unsigned int)crc, (unsigned long long)entry);
	snprintf(msg, msg_len, "loaded; 'start %s' boots it",
		 imp.vm->cfg->name);
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
	if (imp.vm)
		return image_end(tag, msg, msg_len);
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

/* The VM of argument 0, stopped; CTL_OK or why not. */
static enum ctl_status stopped_vm(const struct ctl_request *req, struct vm **vm,
				  char *msg, size_t msg_len)
{
	*vm = vm_by_name(req->argv[0]);
	if (!*vm) {
		snprintf(msg, msg_len, "no VM named '%s'", req->argv[0]);
		return CTL_NO_VM;
	}
	if (__atomic_load_n(&(*vm)->state, __ATOMIC_ACQUIRE) != VM_STOPPED ||
	    __atomic_load_n(&(*vm)->resetting, __ATOMIC_ACQUIRE)) {
		snprintf(msg, msg_len,
			 "VM %s is not stopped ('stop %s' first); nothing changed",
			 (*vm)->cfg->name, (*vm)->cfg->name);
		return CTL_BAD_STATE;
	}
	return CTL_OK;
}

/*
 * Whether a kernel of @size bytes may be staged in @slot for @vm: it fits
 * the slot, and the VM's RAM as a raw image (its header, when it has
 * one, is checked at the end). CTL_OK or why not.
 */
static enum ctl_status image_fits(struct vm *vm, unsigned int slot,
				  uint64_t size, char *msg, size_t msg_len)
{
	struct ckpt_slot_info info;
	struct vm_layout l;
	char why[240];

	ckpt_slot_info(slot, &info);
	if (size > info.capacity) {
		snprintf(msg, msg_len,
			 "an image of %llu bytes does not fit slot %u (%llu bytes); nothing changed",
			 (unsigned long long)size, slot,
			 (unsigned long long)info.capacity);
		return CTL_FAILED;
	}
	if (!vm_image_fits(vm, NULL, size, &l, why, sizeof(why))) {
		snprintf(msg, msg_len, "%s; nothing changed", why);
		return CTL_FAILED;
	}
	return CTL_OK;
}

enum ctl_status ctl_xfer_load_image(const char *tag,
				    const struct ctl_request *req, char *msg,
				    size_t msg_len)
{
	uint64_t size;
	unsigned int slot;
	uint32_t crc;
	struct vm *vm;
	enum ctl_status st = stopped_vm(req, &vm, msg, msg_len);

	if (st == CTL_OK)
		st = slot_arg(req, 1, &slot, msg, msg_len);
	if (st == CTL_OK)
		st = number_arg(req->argv[2], "size", &size, msg, msg_len);
	if (st != CTL_OK)
		return st;
	if (!xfer_hex32_parse(req->argv[3], &crc)) {
		snprintf(msg, msg_len, "CRC '%.20s' is not 8 hex digits",
			 req->argv[3]);
		return CTL_BAD_REQUEST;
	}
	st = image_fits(vm, slot, size, msg, msg_len);
	if (st != CTL_OK)
		return st;
	import_open(tag, slot, size, vm);
	imp.crc = crc;
	ctl_row(tag, "slot=%u size=%llu chunk=%u next=0 vm=%s", slot,
		(unsigned long long)size, CTL_XFER_CHUNK, vm->cfg->name);
	snprintf(msg, msg_len, "importing a kernel for VM %s", vm->cfg->name);
	return CTL_OK;
}

enum ctl_status ctl_xfer_load_revert(const char *tag,
				     const struct ctl_request *req, char *msg,
				     size_t msg_len)
{
	struct vm *vm = vm_by_name(req->argv[0]);

	if (!vm) {
		snprintf(msg, msg_len, "no VM named '%s'", req->argv[0]);
		return CTL_NO_VM;
	}
	ctl_row(tag, "vm=%s dropped=%u", vm->cfg->name,
		vm_image_revert(vm) ? 1U : 0U);
	snprintf(msg, msg_len, "its next boot loads its configured kernel");
	return CTL_OK;
}
