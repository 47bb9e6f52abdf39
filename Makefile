# SPDX-License-Identifier: MIT
# Kairos: make [PLATFORM=qemu-virt|rpi4|rpi3] [all|run|test|check|clean]
#         make ckpt-tool|fuzz   (checkpoint images: mk/ckpt.mk)
# See README.md and docs/building.md.

PLATFORM ?= qemu-virt
# The Raspberry Pi 3 runs the Pi 4's build (docs/rpi3.md): PLATFORM=rpi3
# is PLATFORM=rpi4 with the Pi 3 for what boots a board (bench).
RPI_BOARD := 4b
ifeq ($(PLATFORM),rpi3)
override PLATFORM := rpi4
RPI_BOARD := 3b
endif
CROSS    ?= aarch64-linux-gnu-
BUILD    ?= build
B        := $(BUILD)/$(PLATFORM)
DEPS     := $(BUILD)/deps
HOST_STAMP := $(BUILD)/host-setup.mk

ifeq ($(wildcard platforms/$(PLATFORM)/platform.mk),)
$(error unknown PLATFORM '$(PLATFORM)': see platforms/)
endif
include platforms/$(PLATFORM)/platform.mk

# The sample system descriptions (overlays adding /hypervisor) of the board.
SYSTEM_DTBOS := $(patsubst platforms/$(PLATFORM)/%.dts,$(B)/system/%.dtbo, \
		  $(wildcard platforms/$(PLATFORM)/*.dts))

# V=1 shows the full commands.
ifeq ($(V),1)
Q :=
else
Q := @
endif

.PHONY: all run test unit integration check clean distclean setup
all: $(B)/kairos.bin $(SYSTEM_DTBOS)

# First use on a fresh machine: install the Debian packages (idempotent).
# The setup's stamp is a makefile this one includes. GNU make brings the
# makefiles it includes up to date before anything else and then starts
# again, so nothing here is evaluated with a tool that setup has not yet
# installed (docs/building.md). Goals that only remove files skip it.
NO_SETUP_GOALS := clean distclean help
setup: $(HOST_STAMP)
ifneq ($(filter-out $(NO_SETUP_GOALS),$(or $(MAKECMDGOALS),all)),)
include $(HOST_STAMP)
endif
$(HOST_STAMP): tools/setup-host.sh
	@mkdir -p $(BUILD)
	tools/setup-host.sh $@

include mk/deps.mk

CC      := $(CROSS)gcc
OBJCOPY := $(CROSS)objcopy
LOAD_ADDR := $(shell printf '0x%x' $$(($(RAM_BASE) + $(TEXT_OFFSET))))

WARN := -Wall -Wextra -Werror -Wshadow -Wmissing-prototypes -Wconversion \
	-Wvla -Wstrict-prototypes
CFLAGS := $(TARGET_CFLAGS) -std=gnu11 $(WARN) -ffreestanding \
	  -fno-asynchronous-unwind-tables -fno-unwind-tables -fno-common
CPPFLAGS = $(DEPS_CPPFLAGS) -Iinclude -Iarch/aarch64/include -Ilib/include \
	    -DKAIROS_TEXT_OFFSET=$(TEXT_OFFSET) -MMD -MP
LDFLAGS := -nostdlib -nostartfiles -static -no-pie -Wl,--gc-sections \
	   -Wl,--build-id=none -Wl,-z,noexecstack -Wl,--no-warn-rwx-segments

KAIROS_SRCS := $(wildcard boot/*.c boot/*.S arch/aarch64/*.c arch/aarch64/*.S \
		 core/*.c core/*/*.c drivers/*.c lib/*.c)
KAIROS_OBJS := $(patsubst %,$(B)/obj/%.o,$(KAIROS_SRCS)) $(B)/obj/version.c.o

$(B)/obj/%.c.o: %.c $(DEPS_STAMPS)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(B)/obj/%.S.o: %.S $(DEPS_STAMPS)
	@mkdir -p $(dir $@)
	@echo "  AS      $<"
	$(Q)$(CC) $(CPPFLAGS) -D__ASSEMBLER__ -c $< -o $@

# The version: VERSION plus the git commit; rewritten only when it changes.
VERSION_STR := $(shell cat VERSION)$(shell git describe --always --dirty \
		 --abbrev=8 --exclude '*' 2>/dev/null | sed 's/^/ (g/;s/$$/)/')
$(B)/version.c: FORCE
	@mkdir -p $(dir $@)
	@echo 'const char KAIROS_VERSION[] = "$(VERSION_STR)";' > $@.tmp
	@cmp -s $@.tmp $@ && rm $@.tmp || mv $@.tmp $@
$(B)/obj/version.c.o: $(B)/version.c $(DEPS_STAMPS)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) \
		-include kairos/version.h -c $< -o $@

$(B)/kairos.ld: boot/kairos.ld.in platforms/$(PLATFORM)/platform.mk
	@mkdir -p $(dir $@)
	$(Q)$(CC) -E -P -x c -DKAIROS_LOAD_ADDR=$(LOAD_ADDR) $< -o $@

$(B)/kairos.elf: $(KAIROS_OBJS) $(B)/kairos.ld
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -T $(B)/kairos.ld $(KAIROS_OBJS) $(DEPS_LIBS) \
		-Wl,-Map,$(B)/kairos.map -o $@
	@FPCHECK_ALLOW_FPSIMD=1 tools/deps/fpcheck.sh $@ >$(B)/fpcheck.txt || { \
		echo "error: $@ contains FP/SIMD instructions:"; \
		cat $(B)/fpcheck.txt; rm -f $@; exit 1; }

$(B)/kairos.bin: $(B)/kairos.elf
	$(Q)$(OBJCOPY) -O binary $< $@
	@echo "built $@ ($$(stat -c %s $@) bytes, loads at $(LOAD_ADDR))"

# make run: the demo system with a checkpoint store (two slots of 384 MiB,
# each holds the 256 MiB Linux VM whole); RUN_ARGS replaces it
# (tools/kairos-qemu --help).
RUN_ARGS ?= --mem 2G --store 768M --slots 2 --system platforms/qemu-virt/demo.dts
$(B)/system/%.dtbo: platforms/$(PLATFORM)/%.dts | $(HOST_STAMP)
	@mkdir -p $(dir $@)
	@echo "  DTC     $<"
	$(Q)dtc -q -@ -I dts -O dtb -o $@ $<

run: all guests linux-guest
	tools/kairos-qemu $(RUN_ARGS)

include mk/guests.mk
include mk/linux.mk
include mk/lava.mk
include mk/rpi4.mk
include mk/test.mk
include mk/bench.mk
include mk/soak.mk
include mk/ckpt.mk
include mk/fuzz.mk
include mk/check.mk
include mk/docs.mk

clean:
	rm -rf $(B) $(BUILD)/host $(BUILD)/test $(BUILD)/guests

distclean:
	rm -rf $(BUILD)

FORCE:

-include $(KAIROS_OBJS:.o=.d)
