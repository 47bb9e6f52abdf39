// SPDX-License-Identifier: MIT
/*
 * A kernel loaded into a stopped VM over the control channel (the HIL
 * step of flashing a new build into the device under test; docs/control.md,
 * "Loading a new image"). The bytes stay where the transfer staged them,
 * in a checkpoint slot's memory: vm_boot() copies them instead of the
 * configured kernel, laid out as config_parse() lays out a configured one
 * (vm_layout_compute()). A slot written again (a checkpoint, an import)
 * bumps its generation: the next boot sees it and falls back to the
 * configured kernel, and a boot already copying fails the VM, so that no
 * boot ever enters stale bytes.
 */
#include <kairos/log.h>
#include <kairos/vm.h>
#include <kairos/vm_layout.h>
#include <stdio.h>

bool vm_image_fits(const struct vm *vm, const uint8_t *bytes, uint64_t size,
		   struct vm_layout *out, char *why, size_t why_len)
{
	const struct vm_config *cfg = vm->cfg;
	struct vm_images in = { .mem_size = cfg->mem_size,
				.initrd_size = cfg->initrd.size,
				.dtb_size = cfg->dtb_size };
	struct vm_layout_err lerr;
	size_t hdr = size < VM_KERNEL_HEADER_SIZE ? (size_t)size :
						    VM_KERNEL_HEADER_SIZE;

	if (!size) {
		snprintf(why, why_len, "an image of 0 bytes is no kernel");
		return false;
	}
	vm_layout_kernel_header(bytes, bytes ? hdr : 0, size, &in);
	if (vm_layout_compute(&in, out, &lerr))
		return true;
	snprintf(why, why_len, "VM %s: %s: %s", cfg->name, lerr.prop, lerr.msg);
	return false;
}

bool vm_image_set(struct vm *vm, const struct vm_image_stage *stage,
		  const uint8_t *bytes, uint64_t size, uint32_t crc, char *why,
		  size_t why_len)
{
	struct vm_layout l;

	if (__atomic_load_n(&vm->state, __ATOMIC_ACQUIRE) != VM_STOPPED ||
	    __atomic_load_n(&vm->resetting, __ATOMIC_ACQUIRE)) {
		snprintf(why, why_len, "VM %s is not stopped", vm->cfg->name);
		return false;
	}
	if (!vm_image_fits(vm, bytes, size, &l, why, why_len))
		return false;
	__atomic_store_n(&vm->image.active, false, __ATOMIC_RELEASE);
	vm->image.slot = stage->slot;
	vm->image.gen_at = stage->gen_at;
	vm->image.gen = stage->gen;
	vm->image.bytes = bytes;
	vm->image.size = size;
	vm->image.crc = crc;
	vm->image.layout = l;
	__atomic_store_n(&vm->image.active, true, __ATOMIC_RELEASE);
	return true;
}

bool vm_image_revert(struct vm *vm)
{
	return __atomic_exchange_n(&vm->image.active, false, __ATOMIC_ACQ_REL);
}

bool vm_image_intact(const struct vm *vm)
{
	/* After the bytes were read: a write of the slot bumps it first. */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	return __atomic_load_n(vm->image.gen_at, __ATOMIC_RELAXED) ==
	       vm->image.gen;
}

bool vm_image_current(struct vm *vm)
{
	if (!__atomic_load_n(&vm->image.active, __ATOMIC_ACQUIRE))
		return false;
	if (vm_image_intact(vm)) {
		kprintf("kairos: VM %s: boots its loaded kernel (%llu bytes in slot %u, CRC32C %08x)\n",
			vm->cfg->name, (unsigned long long)vm->image.size,
			vm->image.slot, (unsigned int)vm->image.crc);
		return true;
	}
	__atomic_store_n(&vm->image.active, false, __ATOMIC_RELEASE);
	kprintf("kairos: VM %s: slot %u, which held its loaded kernel, was written since: it boots its configured kernel\n",
		vm->cfg->name, vm->image.slot);
	return false;
}
