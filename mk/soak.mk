# SPDX-License-Identifier: MIT
# make soak: SOAK_MINUTES (default 60) of timer and SGI storms on 2 VMs x
# 2 vCPUs sharing one pCPU, with a checkpoint and restore of one VM every
# SOAK_CKPT_EVERY seconds (tools/kairos-soak). Not part of make test.
SOAK_MINUTES    ?= 60
SOAK_CKPT_EVERY ?= 5

.PHONY: soak
soak: all guests
	tools/kairos-soak --minutes $(SOAK_MINUTES) --ckpt-every $(SOAK_CKPT_EVERY)
