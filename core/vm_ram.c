// SPDX-License-Identifier: MIT
/*
 * Zero-on-first-touch of VM RAM (kairos/vm_ram.h). A fresh 2 MiB chunk
 * is unmapped in stage 2; the guest's first access to it faults, and
 * Kairos zeroes it, cleans it to the PoC (the guest may read with its
 * caches off) and maps it as one block. Images Kairos loads touch their
 * chunks first. A VM with passthrough devices is zeroed whole at boot
 * instead: a device may DMA into RAM the CPU never touched, and a later
 * first touch would wipe it. So is one whose RAM is not 2 MiB aligned or
 * larger than VM_RAM_CHUNKS_MAX chunks. That zeroing is not done in one
 * go where the VM is (re)booted, with interrupts masked, but by the VM's
 * own vCPU 0, VM_RAM_CLEAR_STEP bytes per scheduled run before its images
 * are loaded, as they are in steps too (vm_boot_step()): charged to the
 * VM, preemptible between steps, so that resets of one VM cannot stall
 * another on its pCPU.
 */
#include <arch/memops.h>
#include <arch/stage2.h>
#include <kairos/panic.h>
#include <kairos/vm_ram.h>

static uint64_t nr_chunks(const struct vm *vm)
{
	return vm->cfg->mem_size / VM_RAM_CHUNK;
}

static bool can_be_lazy(const struct vm *vm)
{
	const struct vm_config *cfg = vm->cfg;

	return !cfg->nr_devices && !cfg->nr_irqs &&
	       !((ipa_addr(cfg->mem_ipa) | pa_addr(cfg->mem_host) |
		  cfg->mem_size) &
		 (VM_RAM_CHUNK - 1)) &&
	       nr_chunks(vm) <= VM_RAM_CHUNKS_MAX;
}

static bool is_fresh(const struct vm *vm, uint64_t c)
{
	return (__atomic_load_n(&vm->ram.fresh[c / 64], __ATOMIC_ACQUIRE) >>
		(c % 64)) &
	       1U;
}

/* Chunk @c zeroed (unless @zero is false) and mapped; ram.lock held. */
static void materialize(struct vm *vm, uint64_t c, bool zero)
{
	const struct vm_config *cfg = vm->cfg;
	uint64_t off = c * VM_RAM_CHUNK;

	spin_assert_held(&vm->ram.lock);
	if (zero)
		arch_mem_zero_clean((uint8_t *)pa_to_ptr(cfg->mem_host) + off,
				    VM_RAM_CHUNK);
	/* The tables were made at creation: no page is needed. */
	CHECK(arch_s2_map_live(vm->s2_root, ipa_addr(cfg->mem_ipa) + off,
			       pa_init(pa_addr(cfg->mem_host) + off),
			       VM_RAM_CHUNK));
	/* Mapped before it stops being fresh: a racing fault retries. */
	__atomic_fetch_and(&vm->ram.fresh[c / 64], ~(1UL << (c % 64)),
			   __ATOMIC_RELEASE);
}

void vm_ram_fresh(struct vm *vm)
{
	const struct vm_config *cfg = vm->cfg;
	uint64_t n = nr_chunks(vm);

	vm->ram.lazy = can_be_lazy(vm);
	vm->ram.cleared = vm->ram.lazy ? cfg->mem_size : 0;
	__atomic_store_n(&vm->ram.clearing, true, __ATOMIC_RELEASE);
	if (!vm->ram.lazy)
		return;
	arch_s2_unmap(vm->s2_root, ipa_addr(cfg->mem_ipa), cfg->mem_size);
	arch_s2_flush(vm->id + 1, vm->s2_root);
	for (uint64_t w = 0; w < (n + 63) / 64; w++)
		vm->ram.fresh[w] = n - w * 64 >= 64 ? ~0UL :
						      (1UL << (n - w * 64)) - 1;
}

bool vm_ram_clearing(const struct vm *vm)
{
	return __atomic_load_n(&vm->ram.clearing, __ATOMIC_ACQUIRE);
}

bool vm_ram_clear_step(struct vm *vm)
{
	const struct vm_config *cfg = vm->cfg;
	uint64_t left = cfg->mem_size - vm->ram.cleared;
	uint64_t n = left < VM_RAM_CLEAR_STEP ? left : VM_RAM_CLEAR_STEP;

	if (!left)
		return true;
	arch_mem_zero_clean((uint8_t *)pa_to_ptr(cfg->mem_host) +
				    vm->ram.cleared,
			    n);
	vm->ram.cleared += n;
	return false;
}

void vm_ram_ready(struct vm *vm)
{
	__atomic_store_n(&vm->ram.clearing, false, __ATOMIC_RELEASE);
}

/* Chunks [@first, @last] materialized. */
static void touch_chunks(struct vm *vm, uint64_t first, uint64_t last,
			 bool zero)
{
	if (!vm->ram.lazy)
		return;
	spin_lock(&vm->ram.lock);
	for (uint64_t c = first; c <= last && c < nr_chunks(vm); c++)
		if (is_fresh(vm, c))
			materialize(vm, c, zero);
	spin_unlock(&vm->ram.lock);
}

void vm_ram_touch(struct vm *vm, uint64_t off, uint64_t len)
{
	if (len)
		touch_chunks(vm, off / VM_RAM_CHUNK,
			     (off + len - 1) / VM_RAM_CHUNK, true);
}

void vm_ram_touch_all(struct vm *vm)
{
	touch_chunks(vm, 0, nr_chunks(vm) - 1, true);
}

void vm_ram_claim_all(struct vm *vm)
{
	/* Every byte is written: no zeroing left to do before a boot. */
	__atomic_store_n(&vm->ram.clearing, false, __ATOMIC_RELEASE);
	touch_chunks(vm, 0, nr_chunks(vm) - 1, false);
}

bool vm_ram_first_touch(struct vm *vm, uint64_t ipa)
{
	uint64_t base = ipa_addr(vm->cfg->mem_ipa), c;

	if (!vm->ram.lazy || ipa < base || ipa - base >= vm->cfg->mem_size)
		return false;
	/* Not fresh any more: another vCPU's touch mapped it meanwhile. */
	c = (ipa - base) / VM_RAM_CHUNK;
	touch_chunks(vm, c, c, true);
	return true;
}
