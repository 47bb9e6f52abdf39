// SPDX-License-Identifier: MIT
/*
 * libFuzzer target of checkpoint restore (make fuzz-restore, mk/ckpt.mk):
 * not the reader alone but core/ckpt/ckpt.c, on a VM made as boot makes it
 * (tests/unit/util.c on arch/fake). Once, a 2-vCPU VM with some state is
 * checkpointed: the base image. Each input is a list of patches to that
 * image -- a field offset (within everything before the memory pages), a
 * width of 1, 2, 4 or 8 bytes and a value -- after which every checksum
 * is made right, so each patch reaches the checks of values. The patched
 * image is restored into the VM; when the restore accepts it, the VM is
 * checkpointed again, which must succeed and give an image that parses.
 * Then the base image is restored, so every input starts from one state.
 *
 * A restore that writes outside the VM's state, a capture that loops for
 * ever (-timeout) or writes past its buffers (ASan), or an accepted image
 * that cannot be checkpointed again is a crash.
 */
#include <kairos/ckpt.h>
#include <kairos/ckpt_format.h>
#include <kairos/vdev.h>
#include <kairos/vgic.h>
#include <kairos/vm.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/ckpt_corpus.h"
#include "../unit/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define STORE_SIZE (2UL << 20)
#define SLOT (STORE_SIZE / 2)
#define PATCH 11U /* offset (2), width (1), value (8) */

static uint8_t store[STORE_SIZE] __attribute__((aligned(4096)));
static uint8_t base[SLOT];
static uint64_t base_len, meta_len;
static struct vm *vm;

/* Bytes of the base image before its memory pages: the fields. */
static uint64_t fields_end(const struct ckpt_image *img)
{
	const struct ckpt_sec_ref *m = ckpt_find(img, CKPT_SEC_MEM, 0);
	struct ckpt_mem hdr;

	memcpy(&hdr, ckpt_payload(img, m), sizeof(hdr));
	return m->offset + sizeof(hdr) + ckpt_bitmap_bytes(hdr.nr_pages);
}

static void init(void)
{
	struct ckpt_image img;
	char why[200];

	util_setup(1);
	util_vm_add("f", 2, NULL, 1);
	util_sys.ckpt_store =
		(struct board_range){ pa_init((uint64_t)(uintptr_t)store),
				      STORE_SIZE };
	util_sys.ckpt_slots = 2;
	ckpt_init(&util_sys);
	util_create();
	vm = &vms[0];
	/* Something in every part: a second vCPU on, interrupts, input. */
	vcpu_power_on(&vm->vcpus[1], 0x40080000, 0);
	vm->vgic.ctlr = 3;
	vm->vgic.spi[8].flags |= VGIC_ENABLED | VGIC_GROUP1 | VGIC_LATCH;
	vm->vcpus[0].st.vgic.priv[1].flags |= VGIC_ENABLED | VGIC_LATCH;
	vm->vcpus[1].st.vgic.priv[1].sgi_sources = 1;
	for (const char *s = "fuzz"; *s; s++)
		vuart_receive(vm, *s);
	if (!util_checkpoint(vm, 0, why, sizeof(why)) ||
	    !ckpt_parse(store, SLOT, 0, &img, why, sizeof(why)))
		abort();
	base_len = img.size;
	meta_len = fields_end(&img);
	memcpy(base, store, sizeof(base));
}

/* Back to the base state: the base image restored from slot 0. */
static void reset(void)
{
	char why[200];

	memcpy(store, base, sizeof(base));
	if (!ckpt_restore(vm, 0, CKPT_POLICY_PAUSE, why, sizeof(why)))
		abort();
}

static void patch(uint8_t *img, const uint8_t *p)
{
	static const unsigned int widths[] = { 1, 2, 4, 8 };
	uint16_t off;
	unsigned int w = widths[p[2] & 3];

	memcpy(&off, p, sizeof(off));
	if (off % meta_len + w > meta_len)
		return;
	memcpy(img + off % meta_len, p + 3, w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	uint8_t *slot1 = store + SLOT;
	struct ckpt_image img;
	char why[300];

	if (!ready) {
		init();
		ready = true;
	}
	util_out_clear(); /* what a restore prints, per input, not for ever */
	memcpy(slot1, base, SLOT);
	for (size_t k = 0; k + PATCH <= size; k += PATCH)
		patch(slot1, data + k);
	if (!ckpt_corpus_fix_crcs(slot1, base_len))
		return 0;
	if (ckpt_restore(vm, 1, CKPT_POLICY_PAUSE, why, sizeof(why))) {
		/* Accepted: the VM must checkpoint again, and validly. */
		if (!util_checkpoint(vm, 0, why, sizeof(why)) ||
		    !ckpt_parse(store, SLOT, 0, &img, why, sizeof(why)))
			abort();
	} else if (why[0] == '\0') {
		abort(); /* a refusal always says why */
	}
	reset();
	return 0;
}
