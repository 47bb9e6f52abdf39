# SPDX-License-Identifier: MIT
# fuzz.mk: libFuzzer targets of the parsers of hostile or untrusted input
# (docs/security.md), built with clang's fuzzer, ASan and UBSan from the
# real core/ sources against arch/fake, as the unit tests are (mk/unit.mk).
# The checkpoint image fuzzer has its own rules in mk/ckpt.mk.
#
#   fuzz_config     a board DTB: board_parse(), config_parse() (/hypervisor),
#                   and guest_dtb_build() for every VM accepted
#   fuzz_guest_dtb  guest_dtb_build() on fuzzed parameters
#   fuzz_shell      console input: the shell, its VM commands, control mode
#
#   make fuzz                    each for FUZZ_SECONDS (30), then ckpt_parse
#                                for FUZZ_TIME (mk/ckpt.mk)
#   make fuzz-long FUZZ_SECONDS=N   every fuzzer, the checkpoint image
#                                parser and restore ones too, N s each
#   make fuzz-parsers-smoke      each for FUZZ_PARSERS_SMOKE s (15): make test
#   make fuzz-regress            only the stored inputs, no fuzzing
#
# Seeds and regression inputs: tests/fuzz/corpus/<name>/ (kept in git; a
# crash found becomes a file there). New inputs go to
# build/host/fuzz-parsers/<name>/corpus; crashes to
# build/host/fuzz-parsers/<name>/crash-*.

FUZZ_SECONDS       ?= 30
FUZZ_PARSERS_SMOKE ?= 15
FUZZP_CC   ?= clang
FUZZP_B    := $(BUILD)/host/fuzz-parsers
FUZZP_NAMES := config guest_dtb shell
FUZZP_BINS := $(patsubst %,$(FUZZP_B)/fuzz_%,$(FUZZP_NAMES))

FUZZP_SAN   := -fsanitize=address,undefined -fno-sanitize-recover=all \
	       -fno-omit-frame-pointer
FUZZP_CFLAGS := -std=gnu11 -g -O1 -fsanitize=fuzzer-no-link $(FUZZP_SAN)
FUZZP_WARN  := -Wall -Wextra -Werror -Wshadow -Wmissing-prototypes \
	       -Wconversion -Wvla -Wstrict-prototypes
FUZZP_CPPFLAGS := -Iinclude -Iarch/fake -isystem $(DEPS)/src/libfdt -MMD -MP

FUZZP_FDT := $(patsubst %,$(FUZZP_B)/obj/libfdt/%.o,fdt fdt_ro fdt_wip \
	       fdt_sw fdt_rw fdt_strerror fdt_empty_tree fdt_addresses \
	       fdt_overlay)
FUZZP_FAKE := arch/fake/fake.c arch/fake/fake_gic.c

# fdt_check_full(): from the host's libfdt (tests/fuzz/fdt_check.c).
FUZZP_SRCS_config    := core/config/config.c core/config/board.c core/vm_layout.c \
			core/guest_dtb.c tests/fuzz/fdt_check.c
FUZZP_SRCS_guest_dtb := core/guest_dtb.c tests/fuzz/fdt_check.c
FUZZP_SRCS_shell     := core/vm.c core/vdev/vuart.c core/vdev/vdev.c core/vdev/vpsci.c core/vmmio.c \
			core/sched.c core/ui/shell_vm.c core/ui/shell.c \
			core/console.c core/panic.c core/irq.c core/timerq.c \
			core/time.c core/guest_dtb.c core/vgic/vgic.c \
			core/vgic/vgic_mmio.c core/vtimer.c core/vpmu.c core/ptimer.c \
			core/ui/ctl.c core/ui/ctl_xfer.c core/ui/xfer.c core/ui/vm_cmd.c core/ckpt/ckpt.c core/vm_layout.c core/vm_image.c \
			core/task.c core/vm_events.c core/vdev/virtio_mmio.c core/vdev/shmem.c core/vdev/vpci.c core/run.c \
			lib/ckpt_format.c arch/fake/fake_vcpu.c \
			arch/fake/fake_memops.c core/vm_ram.c

# The run: new inputs into the first directory, seeds from the others.
# Extra seed directories per fuzzer: the unit tests' DTB fixtures.
FUZZP_SEEDS_config := $(UNIT_B)/dts
FUZZP_DICT = $(wildcard tests/fuzz/$(1).dict)
FUZZP_RUN = mkdir -p $(FUZZP_B)/$(1)/corpus && \
	ASAN_OPTIONS=detect_leaks=1 $(FUZZP_B)/fuzz_$(1) -timeout=10 \
	-rss_limit_mb=2048 -print_final_stats=1 \
	-artifact_prefix=$(FUZZP_B)/$(1)/ \
	$(addprefix -dict=,$(call FUZZP_DICT,$(1))) $(3) \
	$(if $(2),-max_total_time=$(2)) $(FUZZP_B)/$(1)/corpus \
	tests/fuzz/corpus/$(1) $(FUZZP_SEEDS_$(1))

.PHONY: fuzz-parsers fuzz-parsers-smoke fuzz-long fuzz-regress \
	$(patsubst %,fuzz-%,$(FUZZP_NAMES))

fuzz-parsers: $(patsubst %,fuzz-%,$(FUZZP_NAMES))
fuzz: fuzz-parsers

# Every fuzzer, the checkpoint image ones too, for FUZZ_SECONDS each.
fuzz-long: FUZZ_TIME = $(FUZZ_SECONDS)
fuzz-long: fuzz fuzz-restore

$(patsubst %,fuzz-%,$(FUZZP_NAMES)): fuzz-%: $(FUZZP_B)/fuzz_% $(UNIT_DTBS)
	@echo "  FUZZ    $* for $(FUZZ_SECONDS) s"
	$(Q)$(call FUZZP_RUN,$*,$(FUZZ_SECONDS))

# make test: a short run of each; the log's tail if it fails.
fuzz-parsers-smoke: $(FUZZP_BINS) $(UNIT_DTBS)
	$(Q)for n in $(FUZZP_NAMES); do \
	  echo "  FUZZ    $$n for $(FUZZ_PARSERS_SMOKE) s"; \
	  log=$(FUZZP_B)/$$n/smoke.log; mkdir -p $(FUZZP_B)/$$n; \
	  $(MAKE) -s --no-print-directory fuzz-run-$$n \
	    FUZZ_SECONDS=$(FUZZ_PARSERS_SMOKE) >$$log 2>&1 || { \
	    tail -50 $$log; echo "fuzz: $$n failed (log: $$log)"; exit 1; }; \
	  grep -E '^stat::number_of_executed_units' $$log; \
	done
test: fuzz-parsers-smoke

# Only the stored inputs (the regressions): each must pass.
fuzz-regress: $(FUZZP_BINS)
	$(Q)for n in $(FUZZP_NAMES); do \
	  echo "  REGRESS $$n"; \
	  ASAN_OPTIONS=detect_leaks=1 $(FUZZP_B)/fuzz_$$n -runs=0 \
	    tests/fuzz/corpus/$$n >$(FUZZP_B)/$$n.regress.log 2>&1 || { \
	    tail -30 $(FUZZP_B)/$$n.regress.log; exit 1; }; \
	done

# The run alone, without rebuilding (the smoke loop's sub-make).
fuzz-run-%:
	$(Q)$(call FUZZP_RUN,$*,$(FUZZ_SECONDS))

define FUZZP_LINK
$(FUZZP_B)/fuzz_$(1): $(patsubst %.c,$(FUZZP_B)/obj/%.o,tests/fuzz/fuzz_$(1).c \
		$(FUZZP_SRCS_$(1)) $(FUZZP_FAKE)) $(FUZZP_FDT)
	@echo "  FUZZLD  $$@"
	$$(Q)$$(FUZZP_CC) -fsanitize=fuzzer $$(FUZZP_SAN) $$^ -lcmocka -ldl -o $$@
endef
$(foreach n,$(FUZZP_NAMES),$(eval $(call FUZZP_LINK,$(n))))

$(FUZZP_B)/obj/%.o: %.c $(UNIT_STAMP)
	@mkdir -p $(dir $@)
	@echo "  FUZZCC  $<"
	$(Q)$(FUZZP_CC) $(FUZZP_CPPFLAGS) $(FUZZP_CFLAGS) $(FUZZP_WARN) \
		-c $< -o $@

# Third-party, instrumented for coverage; its warnings are not ours.
$(FUZZP_B)/obj/libfdt/%.o: $(UNIT_STAMP)
	@mkdir -p $(dir $@)
	@echo "  FUZZCC  $(DEPS)/src/libfdt/$*.c"
	$(Q)$(FUZZP_CC) -I$(DEPS)/src/libfdt $(FUZZP_CFLAGS) -w \
		-c $(DEPS)/src/libfdt/$*.c -o $@

-include $(patsubst %.c,$(FUZZP_B)/obj/%.d,$(sort tests/fuzz/fuzz_config.c \
	tests/fuzz/fuzz_guest_dtb.c tests/fuzz/fuzz_shell.c \
	$(FUZZP_SRCS_config) $(FUZZP_SRCS_shell) $(FUZZP_FAKE)))
