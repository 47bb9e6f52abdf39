// SPDX-License-Identifier: MIT
/*
 * The VM commands of the shell and the control channel, done once: each
 * returns a struct the two surfaces print in their own forms.
 */
#include <kairos/compiler.h>
#include <kairos/ui.h>
#include <stdio.h>
#include <string.h>

static const char *const state_names[] = { "running", "paused", "stopped" };
static const char *const run_names[] = { "off", "ready", "blocked" };

const char *vm_cmd_state(const struct vm *vm)
{
	return state_names[__atomic_load_n(&vm->state, __ATOMIC_ACQUIRE)];
}

const char *vm_cmd_run_state(const struct vcpu *v)
{
	return run_names[__atomic_load_n(&v->run, __ATOMIC_ACQUIRE)];
}

void vm_cmd_counts(const struct vm *vm, struct vm_cmd_counts *out)
{
	memset(out, 0, sizeof(*out));
	for (unsigned int k = 0; k < vm->nr_vcpus; k++) {
		out->exits += vm->vcpus[k].exits;
		out->migrations += vm->vcpus[k].migrations;
	}
	ckpt_stats(vm, &out->ckpt);
}

static void result(struct vm_cmd_result *r, enum vm_cmd_status st)
{
	memset(r, 0, sizeof(*r));
	r->st = st;
}

static uint64_t snap(const uint64_t *c)
{
	return __atomic_load_n(c, __ATOMIC_RELAXED);
}

void vm_cmd_shmem(const struct vm *vm, unsigned int k, struct vm_cmd_shmem *out)
{
	const struct vm_shmem *m = &vm->cfg->shmem[k];
	const struct vm_shmem_bells *b = &vm->bells[k];

	*out = (struct vm_cmd_shmem){
		.region = m->region,
		.index = m->index,
		.ro = m->ro,
		.ipa = ipa_addr(m->ipa),
		.size = m->size,
		.bells = { snap(&b->rung), snap(&b->coalesced), snap(&b->bad),
			   snap(&b->dropped), snap(&b->received) },
	};
}

void vm_cmd_pause(struct vm *vm, bool pause, struct vm_cmd_result *r)
{
	enum vm_state was = __atomic_load_n(&vm->state, __ATOMIC_ACQUIRE);

	if (was == VM_STOPPED) {
		result(r, VM_CMD_BAD_STATE);
		return;
	}
	vm_pause(vm, pause);
	result(r, was == (pause ? VM_PAUSED : VM_RUNNING) ? VM_CMD_ALREADY :
							    VM_CMD_DONE);
}

void vm_cmd_reset(struct vm *vm, struct vm_cmd_result *r)
{
	if (__atomic_load_n(&vm->resetting, __ATOMIC_ACQUIRE)) {
		result(r, VM_CMD_BAD_STATE);
		return;
	}
	vm_reset(vm);
	result(r, VM_CMD_DONE);
}

void vm_cmd_stop(struct vm *vm, const char *why, struct vm_cmd_result *r)
{
	result(r, vm_operator_stop(vm, why) ? VM_CMD_DONE : VM_CMD_ALREADY);
}

void vm_cmd_start(struct vm *vm, struct vm_cmd_result *r)
{
	result(r, vm_start(vm) ? VM_CMD_DONE : VM_CMD_BAD_STATE);
}

void vm_cmd_checkpoint(struct vm *vm, unsigned int slot,
		       struct vm_cmd_result *r)
{
	struct ckpt_slot_info info;
	struct ckpt_stats s;

	result(r, VM_CMD_DONE);
	if (!ckpt_checkpoint(vm, slot, r->why, sizeof(r->why))) {
		r->st = VM_CMD_FAILED;
		return;
	}
	ckpt_stats(vm, &s);
	r->ticks = s.last_ticks;
	if (ckpt_slot_info(slot, &info))
		r->size = info.size;
}

void vm_cmd_restore(struct vm *vm, unsigned int slot, enum ckpt_policy policy,
		    struct vm_cmd_result *r)
{
	struct ckpt_stats s;

	result(r, VM_CMD_DONE);
	if (!ckpt_restore(vm, slot, policy, r->why, sizeof(r->why))) {
		r->st = VM_CMD_FAILED;
		return;
	}
	ckpt_stats(vm, &s);
	r->ticks = s.last_ticks;
	r->pages_copied = s.pages_copied;
}
