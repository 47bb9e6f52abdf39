// SPDX-License-Identifier: MIT
/*
 * Where a VM's images go in its RAM (kairos/vm_layout.h). Pure: the
 * configuration check runs it on the images' sizes and the kernel's
 * header, and vm_boot() copies to exactly what it computed, so the two
 * cannot disagree. Every quantity of an image's header is arbitrary
 * 64-bit data: each is compared with what is left before it is added.
 */
#include <kairos/compiler.h>
#include <kairos/guest_dtb.h>
#include <kairos/vm_layout.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Offsets in the arm64 Image header (booting.rst, "Call the kernel image"). */
#define HDR_TEXT_OFFSET 8
#define HDR_IMAGE_SIZE 16
#define HDR_MAGIC 0x38

/* QEMU's initrd: min(RAM / 2, 128 MiB) up (hw/arm/boot.c). */
#define INITRD_MAX_OFFSET (128ULL << 20)
#define SZ_2M (2ULL << 20)
#define SZ_4K 4096ULL

_Static_assert((uint64_t)GUEST_DTB_MAX <= VM_DTB_MAX,
	       "a generated DTB is a DTB");
_Static_assert((uint64_t)GUEST_DTB_MAX <= VM_RAW_KERNEL_OFFSET,
	       "a generated DTB fits below a raw image");

void vm_layout_kernel_header(const void *hdr, size_t len, uint64_t size,
			     struct vm_images *in)
{
	const uint8_t *h = hdr;

	in->kernel_size = size;
	in->kernel_arm64 = false;
	in->text_offset = 0;
	in->image_size = 0;
	if (len < VM_KERNEL_HEADER_SIZE || size < VM_KERNEL_HEADER_SIZE ||
	    memcmp(h + HDR_MAGIC, "ARM\x64", 4) != 0)
		return;
	in->kernel_arm64 = true;
	memcpy(&in->text_offset, h + HDR_TEXT_OFFSET, 8);
	memcpy(&in->image_size, h + HDR_IMAGE_SIZE, 8);
}

static bool refuse(struct vm_layout_err *err, const char *prop, const char *fmt,
		   ...) __attribute__((format(printf, 3, 4)));

static bool refuse(struct vm_layout_err *err, const char *prop, const char *fmt,
		   ...)
{
	va_list ap;

	err->prop = prop;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return false;
}

/* The kernel's offset and span; false when its header is impossible. */
static bool place_kernel(const struct vm_images *in, struct vm_layout *out,
			 struct vm_layout_err *err)
{
	out->kernel = VM_RAW_KERNEL_OFFSET;
	out->kernel_span = in->kernel_size;
	if (!in->kernel_arm64 || !in->image_size)
		return true; /* raw, or a pre-3.17 header: fixed offset */
	if (in->text_offset >= VM_TEXT_OFFSET_MAX)
		return refuse(
			err, "kernel",
			"arm64 Image header: text_offset 0x%llx, at most 0x%llx",
			(unsigned long long)in->text_offset,
			(unsigned long long)(VM_TEXT_OFFSET_MAX - 1));
	/* As QEMU: keep the bottom of RAM for the DTB. */
	out->kernel = in->text_offset < SZ_4K ? in->text_offset + SZ_2M :
						in->text_offset;
	if (in->image_size > out->kernel_span)
		out->kernel_span = in->image_size;
	return true;
}

bool vm_layout_compute(const struct vm_images *in, struct vm_layout *out,
		       struct vm_layout_err *err)
{
	uint64_t mem = in->mem_size, end;

	memset(out, 0, sizeof(*out));
	err->prop = NULL;
	err->msg[0] = '\0';
	if (!place_kernel(in, out, err))
		return false;
	if (out->kernel > mem || out->kernel_span > mem - out->kernel)
		return refuse(
			err, "kernel",
			"%llu bytes%s at RAM offset 0x%llx do not fit in %llu bytes of memory",
			(unsigned long long)out->kernel_span,
			out->kernel_span > in->kernel_size ?
				" (image_size of its header)" :
				"",
			(unsigned long long)out->kernel,
			(unsigned long long)mem);
	/* mem is 2 MiB aligned: rounding up within it stays within it. */
	end = ALIGN_UP(out->kernel + out->kernel_span, SZ_4K);
	if (in->initrd_size) {
		out->initrd = mem / 2 < INITRD_MAX_OFFSET ? mem / 2 :
							    INITRD_MAX_OFFSET;
		if (out->initrd < end)
			out->initrd = end;
		if (out->initrd > mem || in->initrd_size > mem - out->initrd)
			return refuse(
				err, "initrd",
				"%llu bytes at RAM offset 0x%llx (above the kernel) do not fit in %llu bytes of memory",
				(unsigned long long)in->initrd_size,
				(unsigned long long)out->initrd,
				(unsigned long long)mem);
		end = out->initrd + in->initrd_size;
	}
	out->dtb_room = in->dtb_size ? in->dtb_size : (uint64_t)GUEST_DTB_MAX;
	out->dtb = ALIGN_UP(end, SZ_2M);
	if (out->dtb > mem || out->dtb_room > mem - out->dtb)
		return refuse(
			err, in->dtb_size ? "dtb" : "memory",
			"%llu bytes cannot hold the %s DTB (%llu bytes) at RAM offset 0x%llx, the 2 MiB boundary above the kernel%s",
			(unsigned long long)mem,
			in->dtb_size ? "VM's" : "generated",
			(unsigned long long)out->dtb_room,
			(unsigned long long)out->dtb,
			in->initrd_size ? " and initrd" : "");
	out->dtb_at_base = out->dtb_room <= out->kernel;
	return true;
}
