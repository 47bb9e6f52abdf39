# SPDX-License-Identifier: MIT
# ckpt.mk: the checkpoint image format (lib/ckpt_format.c,
# docs/checkpoint-format.md) outside the hypervisor: the host tool and the
# libFuzzer target of the reader. Included after mk/test.mk.
#
#   make ckpt-tool    build/host/kairos-ckpt (tools/kairos-ckpt)
#   make fuzz         fuzz ckpt_parse() for FUZZ_TIME seconds (600)
#   make fuzz-restore fuzz restore + checkpoint into a VM on arch/fake
#                     (tests/fuzz/fuzz_ckpt_restore.c) for FUZZ_TIME
#   make fuzz-smoke   both, for FUZZ_SMOKE_TIME and FUZZ_RESTORE_SMOKE_TIME
#                     seconds (25, 15): make test
#
# Crashes land in build/host/fuzz/ (crash-*, leak-*, timeout-*); the corpus
# grows in build/host/fuzz/corpus, seeded from images kairos-ckpt synth
# writes into build/host/fuzz/seed.

# In Kairos: the image CRCs through arch/memops.h (the FEAT_CRC32
# instructions when the CPU has them, fused with the copy). `private`: not
# passed on to the deps.
$(B)/obj/lib/ckpt_format.c.o: private CFLAGS += -DCKPT_CRC_ARCH
# make KAIROS_CRC32=table: Kairos folds CRCs with the tables even on a CPU
# with the instructions (to test the fallback).
ifeq ($(KAIROS_CRC32),table)
$(B)/obj/arch/aarch64/memops.c.o: private CFLAGS += -DMEMOPS_CRC_TABLE
endif

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
	lie:--mem=16K,--lie-data-pages=1 \
	passthrough:--mem=16K,--pt-device=0x9010000+0x1000:arm,pl031,--pt-irq=34

# The restore target: core/ckpt/ckpt.c and the VM side of core/ with arch/fake
# and tests/unit/util.c, as the unit tests link them (mk/unit.mk), built
# with clang's libFuzzer. The fake reports misuse through cmocka.
FUZZ_RESTORE_BIN := $(FUZZ_B)/fuzz_ckpt_restore
FUZZ_RESTORE_SMOKE_TIME ?= 15
FUZZ_RESTORE_SRCS := tests/fuzz/fuzz_ckpt_restore.c tests/unit/ckpt_corpus.c \
		     $(UNIT_VM_SRCS) $(UNIT_FAKE)
FUZZ_RESTORE_FDT := $(patsubst %,$(FUZZ_B)/libfdt/%.o,fdt fdt_ro fdt_wip \
		    fdt_sw fdt_rw fdt_strerror fdt_empty_tree)
FUZZ_RESTORE_RUN = ASAN_OPTIONS=detect_leaks=0 $(FUZZ_RESTORE_BIN) \
	-timeout=10 -max_len=220 -artifact_prefix=$(FUZZ_B)/restore- \
	-print_final_stats=1 -max_total_time=$(1) $(FUZZ_B)/restore-corpus

.PHONY: ckpt-tool fuzz fuzz-smoke fuzz-restore
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

# libfdt's sources are third-party: built with their own warnings off, so
# the flags of ours stay strict.
$(FUZZ_B)/libfdt/%.o: $(UNIT_STAMP)
	@mkdir -p $(dir $@)
	@echo "  FUZZCC  $(UNIT_FDTSRC)/$*.c"
	$(Q)$(FUZZ_CC) -std=gnu11 -g -O1 -w -I$(UNIT_FDTSRC) \
		-fsanitize=fuzzer-no-link,address,undefined \
		-c $(UNIT_FDTSRC)/$*.c -o $@

$(FUZZ_RESTORE_BIN): $(FUZZ_RESTORE_SRCS) $(FUZZ_RESTORE_FDT) \
		$(wildcard include/kairos/*.h arch/fake/*.h tests/unit/*.h)
	@mkdir -p $(dir $@)
	@echo "  FUZZCC  $@"
	$(Q)$(FUZZ_CC) $(FUZZ_FLAGS) -Iarch/fake -Itests/unit \
		-isystem $(UNIT_FDTSRC) $(FUZZ_RESTORE_SRCS) \
		$(FUZZ_RESTORE_FDT) -lcmocka -o $@

fuzz-restore: $(FUZZ_RESTORE_BIN)
	@mkdir -p $(FUZZ_B)/restore-corpus
	$(call FUZZ_RESTORE_RUN,$(FUZZ_TIME))

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

fuzz-smoke: $(FUZZ_BIN) $(FUZZ_B)/seed.stamp $(FUZZ_RESTORE_BIN)
	@echo "  FUZZ    ckpt_parse for $(FUZZ_SMOKE_TIME) s"
	$(Q)$(call FUZZ_RUN,$(FUZZ_SMOKE_TIME)) >$(FUZZ_B)/smoke.log 2>&1 || { \
		tail -50 $(FUZZ_B)/smoke.log; exit 1; }
	@grep -E '^stat::number_of_executed_units' $(FUZZ_B)/smoke.log
	@echo "  FUZZ    ckpt restore for $(FUZZ_RESTORE_SMOKE_TIME) s"
	@mkdir -p $(FUZZ_B)/restore-corpus
	$(Q)$(call FUZZ_RESTORE_RUN,$(FUZZ_RESTORE_SMOKE_TIME)) \
		>$(FUZZ_B)/restore-smoke.log 2>&1 || { \
		tail -50 $(FUZZ_B)/restore-smoke.log; exit 1; }
	@grep -E '^stat::number_of_executed_units' \
		$(FUZZ_B)/restore-smoke.log
