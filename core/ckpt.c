// SPDX-License-Identifier: MIT
/* Checkpoint and restore of whole VMs (see ckpt.h). Work in progress. */
#include <kairos/ckpt.h>
#include <stdio.h>
#include <string.h>

void ckpt_init(const struct sys_config *cfg)
{
	(void)cfg;
}

unsigned int ckpt_nr_slots(void)
{
	return 0;
}

bool ckpt_slot_info(unsigned int slot, struct ckpt_slot_info *out)
{
	(void)slot;
	memset(out, 0, sizeof(*out));
	return false;
}

bool ckpt_checkpoint(struct vm *vm, unsigned int slot, char *why,
		     size_t why_len)
{
	(void)vm;
	(void)slot;
	snprintf(why, why_len, "checkpoints are not available yet");
	return false;
}

bool ckpt_restore(struct vm *vm, unsigned int slot, enum ckpt_policy policy,
		  char *why, size_t why_len)
{
	(void)vm;
	(void)slot;
	(void)policy;
	snprintf(why, why_len, "checkpoints are not available yet");
	return false;
}

void ckpt_stats(const struct vm *vm, struct ckpt_stats *out)
{
	(void)vm;
	memset(out, 0, sizeof(*out));
}

void ckpt_resume_at_boot(void)
{
}
