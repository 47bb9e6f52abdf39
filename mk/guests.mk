# SPDX-License-Identifier: MIT
# guests.mk: bare-metal test guests on libguest (guests/libguest), one per
# directory under guests/tests/: `make guests` builds
# build/guests/<name>.elf and <name>.bin. Included after mk/deps.mk (for
# TARGET_CFLAGS, DEPS_CPPFLAGS, DEPS_LIBS and DEPS_STAMPS).

GUESTS_B     := $(or $(BUILD),build)/guests
GUEST_NAMES  := $(patsubst guests/tests/%/,%,$(sort $(wildcard guests/tests/*/)))
GUEST_BINS   := $(foreach g,$(GUEST_NAMES),$(GUESTS_B)/$(g).bin)
GUEST_CC     := $(CROSS)gcc
GUEST_OBJCOPY := $(CROSS)objcopy

# The hypervisor's warnings; guests are -mgeneral-regs-only too (FP/SIMD
# only in inline assembly), so newlib and libfdt link as they are.
GUEST_WARN   := -Wall -Wextra -Werror -Wshadow -Wmissing-prototypes \
		-Wconversion -Wvla -Wstrict-prototypes
GUEST_CFLAGS  = $(TARGET_CFLAGS) -std=gnu11 $(GUEST_WARN) -ffreestanding \
		-fno-asynchronous-unwind-tables -fno-unwind-tables -fno-common
GUEST_CPPFLAGS = $(DEPS_CPPFLAGS) -Iguests/libguest/include -Ilib/include -MMD -MP
GUEST_LDFLAGS := -nostdlib -nostartfiles -static -no-pie -Wl,--gc-sections \
		-Wl,--build-id=none -Wl,-z,noexecstack -Wl,--no-warn-rwx-segments
GUEST_LD     := guests/libguest/guest.ld

LIBGUEST_SRCS := $(sort $(wildcard guests/libguest/*.c guests/libguest/*.S)) \
		 lib/newlib_syscalls.c
LIBGUEST_OBJS := $(patsubst %,$(GUESTS_B)/obj/%.o,$(LIBGUEST_SRCS))
guest_srcs = $(sort $(wildcard guests/tests/$(1)/*.c guests/tests/$(1)/*.S))
guest_objs = $(patsubst %,$(GUESTS_B)/obj/%.o,$(call guest_srcs,$(1)))
GUEST_ALL_OBJS := $(LIBGUEST_OBJS) \
		  $(foreach g,$(GUEST_NAMES),$(call guest_objs,$(g)))

.PHONY: guests guests-clean
guests: $(GUEST_BINS)

$(GUESTS_B)/obj/%.c.o: %.c $(DEPS_STAMPS)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(GUEST_CC) $(GUEST_CPPFLAGS) $(GUEST_CFLAGS) -c $< -o $@

$(GUESTS_B)/obj/%.S.o: %.S $(DEPS_STAMPS)
	@mkdir -p $(dir $@)
	@echo "  AS      $<"
	$(Q)$(GUEST_CC) $(GUEST_CPPFLAGS) -D__ASSEMBLER__ -c $< -o $@

# libguest's objects are shared by every guest; the guest's name (which
# libguest prints) comes from a generated lg_guest_name.c.
define guest_rules
$(GUESTS_B)/$(1)/lg_guest_name.c: mk/guests.mk
	@mkdir -p $$(dir $$@)
	@echo 'const char lg_guest_name[] = "$(1)";' > $$@

$(GUESTS_B)/$(1)/lg_guest_name.o: $(GUESTS_B)/$(1)/lg_guest_name.c
	$(Q)$(GUEST_CC) $(GUEST_CFLAGS) \
		-c $$< -o $$@

$(GUESTS_B)/$(1).elf: $(LIBGUEST_OBJS) $(call guest_objs,$(1)) \
		$(GUESTS_B)/$(1)/lg_guest_name.o $(GUEST_LD)
	@echo "  LD      $$@"
	$(Q)$(GUEST_CC) $(GUEST_LDFLAGS) -T $(GUEST_LD) $(LIBGUEST_OBJS) \
		$(call guest_objs,$(1)) $(GUESTS_B)/$(1)/lg_guest_name.o \
		$$(DEPS_LIBS) -Wl,-Map,$(GUESTS_B)/$(1).map -o $$@

$(GUESTS_B)/$(1).bin: $(GUESTS_B)/$(1).elf
	$(Q)$(GUEST_OBJCOPY) -O binary $$< $$@
	@echo "built $$@ ($$$$(stat -c %s $$@) bytes)"
endef
$(foreach g,$(GUEST_NAMES),$(eval $(call guest_rules,$(g))))

guests-clean:
	rm -rf $(GUESTS_B)

-include $(GUEST_ALL_OBJS:.o=.d)
