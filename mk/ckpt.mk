# SPDX-License-Identifier: MIT
# ckpt.mk: the checkpoint image format (lib/ckpt_format.c,
# docs/checkpoint-format.md) outside the hypervisor: the host tool and the
# libFuzzer target of the reader. Included after mk/test.mk.
#
#   make ckpt-tool    build/host/kairos-ckpt (tools/kairos-ckpt)
#   make fuzz         fuzz ckpt_parse() for FUZZ_TIME seconds (600)
#   make fuzz-smoke   the same for FUZZ_SMOKE_TIME seconds (25): make test
#
# Crashes land in build/host/fuzz/ (crash-*, leak-*, timeout-*); the corpus
# grows in build/host/fuzz/corpus, seeded from images kairos-ckpt synth
# writes into build/host/fuzz/seed.

# In Kairos: the image CRCs with the FEAT_CRC32 instructions (Cortex-A72
# and QEMU's cpu max have them). `private`: not passed on to the deps.
$(B)/obj/lib/ckpt_format.c.o: private CFLAGS += -march=armv8-a+crc

CKPT_HOST_CC ?= gcc
CKPT_TOOL    := $(BUILD)/host/kairos-ckpt
CKPT_WARN    := -Wall -Wextra -Werror -Wshadow -Wmissing-prototypes \
		-Wconversion -Wvla -Wstrict-prototypes
CKPT_SRCS    := lib/ckpt_format.c $(sort $(wildcard tools/kairos-ckpt/*.c))
CKPT_HDRS    := include/kairos/ckpt_format.h $(wildcard tools/kairos-ckpt/*.h)

FUZZ_CC         ?= clang
FUZZ_TIME       ?= 600
FUZZ_SMOKE_TIME ?= 25
FUZZ_B          := $(BUILD)/host/fuzz
FUZZ_BIN        := $(FUZZ_B)/fuzz_ckpt_parse
FUZZ_FLAGS      := -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined \
		   -fno-sanitize-recover=all -Iinclude $(CKPT_WARN)
FUZZ_RUN = ASAN_OPTIONS=detect_leaks=1 $(FUZZ_BIN) -timeout=10 \
	   -artifact_prefix=$(FUZZ_B)/ -print_final_stats=1 \
	   -max_total_time=$(1) $(FUZZ_B)/corpus $(FUZZ_B)/seed

# Seed images: valid ones of every shape, and well-formed refusals (the
# fuzzer fixes up checksums, so these reach the structure checks).
FUZZ_SEEDS := \
	v1-64k:--vcpus=1,--mem=64K,--pages=0,3 \
	gic2-32k:--gic=2,--mem=32K,--pages=none \
	irqs:--vcpus=3,--mem=128K,--pages=0-2,31,--pending=0:27,--pending=40,--active=33,--vtimer=0=1,100 \
	extra:--mem=16K,--extra=9 \
	full:--vcpus=8,--mem=8K,--pages=0-1,--paused \
	omit-vuart:--mem=16K,--omit=vuart \
	dup-vgic:--mem=16K,--dup=vgic \
	lie:--mem=16K,--lie-data-pages=1

.PHONY: ckpt-tool fuzz fuzz-smoke
ckpt-tool: $(CKPT_TOOL)

$(CKPT_TOOL): $(CKPT_SRCS) $(CKPT_HDRS)
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $@"
	$(Q)$(CKPT_HOST_CC) -std=gnu11 -O2 -g $(CKPT_WARN) -Iinclude \
		$(CKPT_SRCS) -o $@

$(FUZZ_BIN): tests/fuzz/fuzz_ckpt_parse.c lib/ckpt_format.c \
		include/kairos/ckpt_format.h
	@mkdir -p $(dir $@)
	@echo "  FUZZCC  $@"
	$(Q)$(FUZZ_CC) $(FUZZ_FLAGS) tests/fuzz/fuzz_ckpt_parse.c \
		lib/ckpt_format.c -o $@

# A seed's name, then its synth options with ',' for ' ' (and '=' kept).
$(FUZZ_B)/seed.stamp: $(CKPT_TOOL) mk/ckpt.mk
	@mkdir -p $(FUZZ_B)/seed $(FUZZ_B)/corpus
	$(Q)rm -f $(FUZZ_B)/seed/*
	$(Q)for s in $(FUZZ_SEEDS); do \
	  name=$${s%%:*}; opts=$$(echo "$${s#*:}" | sed 's/,--/ --/g'); \
	  $(CKPT_TOOL) synth $(FUZZ_B)/seed/$$name $$opts || exit 1; \
	done
	@touch $@

fuzz: $(FUZZ_BIN) $(FUZZ_B)/seed.stamp
	$(call FUZZ_RUN,$(FUZZ_TIME))

fuzz-smoke: $(FUZZ_BIN) $(FUZZ_B)/seed.stamp
	@echo "  FUZZ    ckpt_parse for $(FUZZ_SMOKE_TIME) s"
	$(Q)$(call FUZZ_RUN,$(FUZZ_SMOKE_TIME)) >$(FUZZ_B)/smoke.log 2>&1 || { \
		tail -50 $(FUZZ_B)/smoke.log; exit 1; }
	@grep -E '^stat::number_of_executed_units' $(FUZZ_B)/smoke.log
