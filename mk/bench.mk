# SPDX-License-Identifier: MIT
# bench.mk: the bench guest (guests/bench) and `make bench`, which runs
# tools/kairos-bench (docs/bench.md). Included after mk/guests.mk, whose
# variables and pattern rules (libguest objects, flags) it reuses. The
# bench guest links its own Image header in front of libguest's (head.S
# first, plus guests/bench/bench.ld), so it has a rule of its own rather
# than being one of guests/tests/*.

# head.S first: its Image header must precede libguest's in .head.
# Kairos's own copy routine too: the optimized-copy limit (docs/bench.md).
BENCH_SRCS := guests/bench/head.S \
	      $(sort $(wildcard guests/bench/*.c guests/bench/vectors.S)) \
	      arch/aarch64/memops.S
BENCH_OBJS := $(patsubst %,$(GUESTS_B)/obj/%.o,$(BENCH_SRCS))
BENCH_LD   := guests/bench/bench.ld
BENCH_BIN  := $(GUESTS_B)/bench.bin
# BENCH_ARGS passes options to tools/kairos-bench (e.g. --samples 20).
BENCH_ARGS ?=

$(GUESTS_B)/obj/arch/aarch64/memops.S.o: \
	GUEST_CPPFLAGS += -Iarch/aarch64/include

.PHONY: bench
# `make guests` builds the bench guest too (the integration tests use it).
guests: $(BENCH_BIN)

$(GUESTS_B)/bench/lg_guest_name.c: mk/bench.mk
	@mkdir -p $(dir $@)
	@echo 'const char lg_guest_name[] = "bench";' > $@

$(GUESTS_B)/bench/lg_guest_name.o: $(GUESTS_B)/bench/lg_guest_name.c
	$(Q)$(GUEST_CC) $(GUEST_CFLAGS) -c $< -o $@

$(GUESTS_B)/bench.elf: $(BENCH_OBJS) $(LIBGUEST_OBJS) \
		$(GUESTS_B)/bench/lg_guest_name.o $(GUEST_LD) $(BENCH_LD)
	@echo "  LD      $@"
	$(Q)$(GUEST_CC) $(GUEST_LDFLAGS) -T $(GUEST_LD) $(BENCH_LD) \
		$(BENCH_OBJS) $(LIBGUEST_OBJS) $(GUESTS_B)/bench/lg_guest_name.o \
		$(DEPS_LIBS) -Wl,-Map,$(GUESTS_B)/bench.map -o $@

$(BENCH_BIN): $(GUESTS_B)/bench.elf
	$(Q)$(GUEST_OBJCOPY) -O binary $< $@
	@echo "built $@ ($$(stat -c %s $@) bytes)"

ifeq ($(RPI_BOARD),3b)
# make bench PLATFORM=rpi3: the Pi 3 (this build) beside virt's.
bench: all rpi4-files $(BENCH_BIN)
	$(Q)$(MAKE) --no-print-directory PLATFORM=qemu-virt all
	$(PYTHON) tools/kairos-bench --board 3b $(BENCH_ARGS)
else
bench: all $(BENCH_BIN)
	$(PYTHON) tools/kairos-bench $(BENCH_ARGS)
endif

-include $(BENCH_OBJS:.o=.d)

# Seconds per hardware-in-the-loop iteration with the Linux guest, beside
# its cold boot (tools/bench-hil; docs/labgrid.md).
.PHONY: bench-hil
bench-hil: all guests linux-guest
	$(Q)tools/bench-hil
