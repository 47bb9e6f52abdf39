// SPDX-License-Identifier: MIT
/*
 * The doorbells of shared-memory regions (docs/shmem.md): one 4 KiB page
 * per region a VM takes part in, at VIRT_SHMEM_DOORBELL + region * 4 KiB.
 * A write of a participant's index to RING pends that participant's SPI
 * for the region (VIRT_SHMEM_INTID + region), edge-like: a ring while the
 * SPI is still pending in its vGIC merges with it and is counted as
 * coalesced. A ring to an index without a participant is ignored and
 * counted; a ring to a paused VM stays pending in its vGIC until it runs;
 * a ring to a stopped VM is dropped and counted (a start boots it cold,
 * with a fresh GIC). Registers are 32 bits wide, accessed whole.
 *
 * A ring also sets the receiver's INTR_STATUS until it writes 1 there to
 * acknowledge: that is the INTx status of the region's PCI function
 * (core/vdev/vpci.c), whose level-sensitive line (VIRT_PCI_INTX_INTID +
 * region) is high while a ring is unacknowledged and the guest has not
 * disabled INTx in the function's Command register. A guest that never
 * acknowledges (libguest) sees the edge semantics alone.
 */
#include <kairos/log.h>
#include <kairos/profile_virt.h>
#include <kairos/vdev.h>
#include <kairos/vgic.h>

#include "vdev_priv.h"

/* The VM's index in the region (read-only). */
#define BELL_SELF 0x00
/* A bit for each index with a participant, its own included (read-only). */
#define BELL_PEERS 0x04
/* Write an index: ring that participant. Reads 0. */
#define BELL_RING 0x08
/* Low 32 bits of this VM's counts (read-only; vm_shmem_bells). */
#define BELL_RUNG 0x0c
#define BELL_COALESCED 0x10
#define BELL_BAD 0x14
#define BELL_DROPPED 0x18
#define BELL_RECEIVED 0x1c
/* 1 while a ring is unacknowledged; write 1 to acknowledge (clear). */
#define BELL_INTR_STATUS 0x20

/* The VM's entry for region @r, or -1 when it does not take part. */
static int entry_of(const struct vm *vm, unsigned int r)
{
	for (unsigned int k = 0; k < vm->cfg->nr_shmem; k++)
		if (vm->cfg->shmem[k].region == r)
			return (int)k;
	return -1;
}

/* Written through the builtin, which the check does not see. */
// NOLINTNEXTLINE(readability-non-const-parameter)
static void count(uint64_t *c)
{
	__atomic_fetch_add(c, 1, __ATOMIC_RELAXED);
}

static uint32_t low(const uint64_t *c)
{
	return (uint32_t)__atomic_load_n(c, __ATOMIC_RELAXED);
}

void shmem_intx_sync(struct vm *vm, unsigned int k)
{
	bool line = vm->bell_unacked[k] &&
		    !(vm->pci[k].command & VPCI_CMD_INTX_DISABLE);

	vgic_set_line(&vm->vcpus[0],
		      VIRT_PCI_INTX_INTID + vm->cfg->shmem[k].region, line);
}

void shmem_fn_get(struct vm *vm, unsigned int k, struct shmem_fn_state *out)
{
	spin_lock(&vm->shmem_lock);
	out->pci_command = vm->pci[k].command;
	out->unacked = vm->bell_unacked[k];
	spin_unlock(&vm->shmem_lock);
}

void shmem_fn_set(struct vm *vm, unsigned int k,
		  const struct shmem_fn_state *in)
{
	spin_lock(&vm->shmem_lock);
	vm->pci[k].command = in->pci_command & SHMEM_PCI_COMMAND_BITS;
	vm->pci[k].sizing = 0;
	vm->bell_unacked[k] = in->unacked;
	shmem_intx_sync(vm, k);
	spin_unlock(&vm->shmem_lock);
}

/*
 * A ring reaches @peer's entry @pk: the edge SPI and the INTx status.
 * False when both were pending already (the ring merges with them).
 */
static bool bell_deliver(struct vm *peer, unsigned int pk)
{
	unsigned int region = peer->cfg->shmem[pk].region;
	bool edge = vgic_inject(&peer->vcpus[0], VIRT_SHMEM_INTID + region);
	bool was;

	spin_lock(&peer->shmem_lock);
	was = peer->bell_unacked[pk];
	peer->bell_unacked[pk] = true;
	shmem_intx_sync(peer, pk);
	spin_unlock(&peer->shmem_lock);
	return edge || !was;
}

/* @vm acknowledges the rings of its entry @k: the INTx status clears. */
static void bell_ack(struct vm *vm, unsigned int k)
{
	spin_lock(&vm->shmem_lock);
	vm->bell_unacked[k] = false;
	shmem_intx_sync(vm, k);
	spin_unlock(&vm->shmem_lock);
}

/* @vm rings doorbell index @idx of its entry @k. */
static void bell_ring(struct vm *vm, unsigned int k, uint64_t idx)
{
	const struct vm_shmem *m = &vm->cfg->shmem[k];
	struct vm_shmem_bells *b = &vm->bells[k];
	int t = idx < SHMEM_MAX_PEERS ? m->peer_vm[idx] : -1;
	struct vm *peer;
	int pk;

	if (t < 0 || (unsigned int)t >= vm_count) {
		count(&b->bad);
		return;
	}
	peer = &vms[t];
	pk = entry_of(peer, m->region);
	if (pk < 0) { /* the configuration made it a participant */
		count(&b->bad);
		return;
	}
	if (__atomic_load_n(&peer->state, __ATOMIC_ACQUIRE) == VM_STOPPED) {
		count(&b->dropped);
		return;
	}
	if (bell_deliver(peer, (unsigned int)pk)) {
		count(&b->rung);
		count(&peer->bells[pk].received);
	} else {
		count(&b->coalesced);
	}
}

static bool bell_read(struct vcpu *v, void *dev, uint64_t off, unsigned int len,
		      uint64_t *val)
{
	const struct vm *vm = v->vm;
	int k = entry_of(vm, (unsigned int)(off / VIRT_SHMEM_DOORBELL_SIZE));
	const struct vm_shmem_bells *b;
	uint32_t peers = 0;

	(void)dev;
	if (k < 0 || len != 4 || off & 3)
		return false;
	b = &vm->bells[k];
	for (unsigned int i = 0; i < SHMEM_MAX_PEERS; i++)
		if (vm->cfg->shmem[k].peer_vm[i] >= 0)
			peers |= 1U << i;
	switch (off % VIRT_SHMEM_DOORBELL_SIZE) {
	case BELL_SELF: *val = vm->cfg->shmem[k].index; break;
	case BELL_PEERS: *val = peers; break;
	case BELL_RUNG: *val = low(&b->rung); break;
	case BELL_COALESCED: *val = low(&b->coalesced); break;
	case BELL_BAD: *val = low(&b->bad); break;
	case BELL_DROPPED: *val = low(&b->dropped); break;
	case BELL_RECEIVED: *val = low(&b->received); break;
	case BELL_INTR_STATUS:
		*val = __atomic_load_n(&vm->bell_unacked[k], __ATOMIC_RELAXED);
		break;
	default: *val = 0; break;
	}
	return true;
}

static bool bell_write(struct vcpu *v, void *dev, uint64_t off,
		       unsigned int len, uint64_t val)
{
	int k = entry_of(v->vm, (unsigned int)(off / VIRT_SHMEM_DOORBELL_SIZE));

	(void)dev;
	if (k < 0 || len != 4 || off & 3)
		return false;
	/* Writes elsewhere in the page are ignored, as to read-only ones. */
	if (off % VIRT_SHMEM_DOORBELL_SIZE == BELL_RING)
		bell_ring(v->vm, (unsigned int)k, val);
	else if (off % VIRT_SHMEM_DOORBELL_SIZE == BELL_INTR_STATUS && val & 1)
		bell_ack(v->vm, (unsigned int)k);
	return true;
}

void shmem_reset(struct vm *vm)
{
	for (unsigned int k = 0; k < vm->cfg->nr_shmem; k++)
		bell_ack(vm, k);
}

bool shmem_attach(struct vm *vm)
{
	const struct mmio_region r = {
		.base = VIRT_SHMEM_DOORBELL,
		.size = VIRT_SHMEM_DOORBELL_SIZE * KAIROS_MAX_SHMEM,
		.read = bell_read,
		.write = bell_write,
		.dev = NULL,
	};

	/* A VM without regions has nothing there: its accesses fault. */
	return !vm->cfg->nr_shmem || vm_add_mmio(vm, &r);
}
