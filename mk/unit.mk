# SPDX-License-Identifier: MIT
# unit.mk: host unit tests (docs/style.md rule 11). core/ compiled with the host
# gcc against arch/fake, ASan and UBSan on, cmocka for the runner; device
# tree fixtures compiled with dtc. Everything lands in $(BUILD)/host/.
#
#   make unit                                    (from the top Makefile)
#   make -f mk/unit.mk BUILD=build DEPS=build/deps Q= unit   (standalone)

BUILD ?= build
DEPS  ?= $(BUILD)/deps
Q     ?= @

UNIT_B      := $(BUILD)/host
UNIT_CC     ?= gcc
UNIT_DTC    ?= dtc
UNIT_FDTSRC := $(DEPS)/src/libfdt
UNIT_STAMP  := $(DEPS)/.libfdt.stamp

UNIT_SAN    := -fsanitize=address,undefined -fno-omit-frame-pointer \
	       -fno-sanitize-recover=all
UNIT_WARN   := -Wall -Wextra -Werror -Wshadow -Wmissing-prototypes \
	       -Wconversion -Wvla -Wstrict-prototypes
UNIT_CFLAGS := -std=gnu11 -g -O1 $(UNIT_SAN)
UNIT_CPPFLAGS := -Iinclude -Iarch/fake -isystem $(UNIT_FDTSRC) -MMD -MP \
		 -DUNIT_DTB_DIR='"$(abspath $(UNIT_B)/dts)"'
UNIT_LDLIBS := -lcmocka
UNIT_ENV    := ASAN_OPTIONS=abort_on_error=0:detect_leaks=1 \
	       UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

# The host libfdt, from the same sources the target build extracts.
UNIT_FDT_OBJS := $(patsubst %,$(UNIT_B)/libfdt/%.o,fdt fdt_ro fdt_wip \
		   fdt_sw fdt_rw fdt_strerror fdt_empty_tree fdt_addresses \
		   fdt_overlay)

# One binary per test file; UNIT_SRCS_<name> are the files it needs besides
# its own tests/unit/<name>.c and arch/fake, UNIT_LIBS_<name> prebuilt objects.
# arch/fake/fake_vcpu.c (the world switch core/run.c drives, which calls
# core/vgic, core/vtimer, core/ptimer) comes with the VM sources only.
UNIT_FAKE   := arch/fake/fake.c arch/fake/fake_gic.c
UNIT_TESTS := test_timerq test_selftest_judge test_board test_console \
	      test_shell test_irq test_config test_guest_dtb
UNIT_SRCS_test_timerq := core/timerq.c core/selftest/timerq_selftest.c core/time.c
# The judge needs no timerq, but shares a file with the run that does.
UNIT_SRCS_test_selftest_judge := core/selftest/timerq_selftest.c core/timerq.c \
				 core/time.c
UNIT_SRCS_test_board := core/config/board.c
UNIT_LIBS_test_board := $(UNIT_FDT_OBJS)
UNIT_SRCS_test_console := core/console.c core/panic.c
UNIT_SRCS_test_shell := core/ui/shell.c core/console.c
UNIT_SRCS_test_irq := core/irq.c core/console.c core/panic.c
UNIT_SRCS_test_config := core/config/config.c core/config/board.c core/vm_layout.c
UNIT_LIBS_test_config := $(UNIT_FDT_OBJS)
# The generated tree is read back with the board parser, as a guest would.
UNIT_SRCS_test_guest_dtb := core/guest_dtb.c core/config/board.c
UNIT_LIBS_test_guest_dtb := $(UNIT_FDT_OBJS)
# The VM tests make their VMs with vm_create_all(), as boot does, so they
# link the VM side of core/ whole; tests/unit/util.c builds the system.
UNIT_VM_SRCS := tests/unit/util.c core/vm.c core/vdev/vuart.c core/vdev/vpsci.c \
		core/vmmio.c core/sched.c core/ui/shell_vm.c core/ui/shell.c \
		core/console.c core/panic.c core/irq.c core/timerq.c \
		core/time.c core/guest_dtb.c core/vgic/vgic.c core/vgic/vgic_mmio.c \
		core/vtimer.c core/vpmu.c core/ptimer.c core/ui/ctl.c core/ui/ctl_xfer.c core/ui/xfer.c core/ui/vm_cmd.c core/ckpt/ckpt.c core/vdev/vdev.c \
		core/vm_layout.c core/vm_image.c core/task.c core/vm_events.c \
		core/vdev/virtio_mmio.c core/vdev/shmem.c core/vdev/vpci.c core/run.c \
		lib/ckpt_format.c arch/fake/fake_vcpu.c \
		core/vm_ram.c arch/fake/fake_memops.c
UNIT_TESTS += test_vuart test_vpsci test_sched test_shell_vm test_vmmio \
	      test_vgic test_vtimer test_run
UNIT_SRCS_test_run := $(UNIT_VM_SRCS)
UNIT_LIBS_test_run := $(UNIT_FDT_OBJS)
UNIT_SRCS_test_vuart := $(UNIT_VM_SRCS)
UNIT_LIBS_test_vuart := $(UNIT_FDT_OBJS)
UNIT_SRCS_test_vpsci := $(UNIT_VM_SRCS)
UNIT_LIBS_test_vpsci := $(UNIT_FDT_OBJS)
UNIT_SRCS_test_sched := $(UNIT_VM_SRCS)
UNIT_LIBS_test_sched := $(UNIT_FDT_OBJS)
UNIT_SRCS_test_shell_vm := $(UNIT_VM_SRCS)
UNIT_LIBS_test_shell_vm := $(UNIT_FDT_OBJS)
# The control channel (core/ui/ctl.c) through the console, as a rig uses it.
UNIT_TESTS += test_ctl
# The encoding of slot images on the control channel (core/ui/xfer.c).
UNIT_TESTS += test_xfer
UNIT_SRCS_test_xfer := core/ui/xfer.c lib/ckpt_format.c
UNIT_SRCS_test_ctl := $(UNIT_VM_SRCS)
UNIT_LIBS_test_ctl := $(UNIT_FDT_OBJS)
# The vGIC model and its MMIO through VMs made as boot makes them.
UNIT_SRCS_test_vgic := $(UNIT_VM_SRCS)
UNIT_LIBS_test_vgic := $(UNIT_FDT_OBJS)
# VM creation and life cycle (core/vm.c), on VMs made as boot makes them.
UNIT_TESTS += test_vm
UNIT_SRCS_test_vm := $(UNIT_VM_SRCS)
UNIT_LIBS_test_vm := $(UNIT_FDT_OBJS)
# Every distributor and redistributor register, register by register.
UNIT_TESTS += test_vgic_mmio
UNIT_SRCS_test_vgic_mmio := $(UNIT_VM_SRCS)
UNIT_LIBS_test_vgic_mmio := $(UNIT_FDT_OBJS)
# The timer invariants (docs/time-invariants.md) on the same VMs.
UNIT_SRCS_test_vtimer := $(UNIT_VM_SRCS)
UNIT_LIBS_test_vtimer := $(UNIT_FDT_OBJS)
# The emulated EL1 physical timer, through traps, the vGIC and sched_loop().
UNIT_TESTS += test_ptimer
UNIT_SRCS_test_ptimer := $(UNIT_VM_SRCS)
# Checkpoint and restore (T13 over every restore order, refusals).
UNIT_TESTS += test_vpmu
UNIT_SRCS_test_vpmu := $(UNIT_VM_SRCS)
UNIT_LIBS_test_vpmu := $(UNIT_FDT_OBJS)
UNIT_TESTS += test_ckpt
UNIT_SRCS_test_ckpt := $(UNIT_VM_SRCS) tests/unit/ckpt_corpus.c
UNIT_LIBS_test_ckpt := $(UNIT_FDT_OBJS)
UNIT_LIBS_test_ptimer := $(UNIT_FDT_OBJS)
# Capture then restore, round trips and refused images (core/ckpt/ckpt.c).
UNIT_TESTS += test_ckpt_capture
UNIT_SRCS_test_ckpt_capture := $(UNIT_VM_SRCS) tests/unit/ckpt_corpus.c
UNIT_LIBS_test_ckpt_capture := $(UNIT_FDT_OBJS)
# Images loaded where the configuration's layout puts them.
# Loading a new kernel into a stopped VM (core/vm_image.c, `load-image`).
UNIT_TESTS += test_load_image
UNIT_SRCS_test_load_image := $(UNIT_VM_SRCS)
UNIT_LIBS_test_load_image := $(UNIT_FDT_OBJS)
UNIT_TESTS += test_vm_boot
UNIT_SRCS_test_vm_boot := $(UNIT_VM_SRCS)
UNIT_LIBS_test_vm_boot := $(UNIT_FDT_OBJS)
# Fault-loop detection (core/faultloop.c) on VMs made as boot makes them.
UNIT_TESTS += test_faultloop
UNIT_SRCS_test_faultloop := $(UNIT_VM_SRCS) core/faultloop.c
UNIT_LIBS_test_faultloop := $(UNIT_FDT_OBJS)
# EL2 tasks (core/task.c) and VM observers (core/vm_events.c), with the
# scheduler's kick and VMs made as boot makes them.
UNIT_TESTS += test_task test_vm_events
UNIT_SRCS_test_task := $(UNIT_VM_SRCS)
UNIT_LIBS_test_task := $(UNIT_FDT_OBJS)
UNIT_SRCS_test_vm_events := $(UNIT_VM_SRCS)
UNIT_LIBS_test_vm_events := $(UNIT_FDT_OBJS)
# The virt profile's empty virtio-mmio transports, through MMIO dispatch.
UNIT_TESTS += test_shmem
UNIT_SRCS_test_shmem := $(UNIT_VM_SRCS)
UNIT_LIBS_test_shmem := $(UNIT_FDT_OBJS)
UNIT_TESTS += test_vpci
UNIT_SRCS_test_vpci := $(UNIT_VM_SRCS)
UNIT_LIBS_test_vpci := $(UNIT_FDT_OBJS)
UNIT_TESTS += test_virtio_mmio
UNIT_SRCS_test_virtio_mmio := $(UNIT_VM_SRCS)
UNIT_LIBS_test_virtio_mmio := $(UNIT_FDT_OBJS)
# MMIO dispatch alone, on VMs built by hand.
UNIT_SRCS_test_vmmio := core/vmmio.c
# The checkpoint image format, as the host tool builds it (mk/ckpt.mk).
UNIT_TESTS += test_ckpt_format
UNIT_SRCS_test_ckpt_format := lib/ckpt_format.c tests/unit/ckpt_corpus.c
# The bulk memory operations' self-test and the CRC32C implementations.
UNIT_TESTS += test_memops
UNIT_SRCS_test_memops := core/selftest/memops_selftest.c arch/fake/fake_memops.c \
			 lib/ckpt_format.c

UNIT_BINS := $(patsubst %,$(UNIT_B)/%,$(UNIT_TESTS))
UNIT_OBJS := $(sort $(foreach t,$(UNIT_TESTS), \
		$(patsubst %.c,$(UNIT_B)/obj/%.o, \
		  tests/unit/$(t).c $(UNIT_SRCS_$(t)) $(UNIT_FAKE))))
UNIT_DTBS := $(patsubst tests/unit/dts/%.dts,$(UNIT_B)/dts/%.dtb, \
		$(wildcard tests/unit/dts/*.dts))

.PHONY: unit
unit: $(UNIT_BINS) $(UNIT_DTBS)
	@fail=; for t in $(UNIT_BINS); do \
	  echo "  UNIT    $$t"; \
	  $(UNIT_ENV) $$t || fail="$$fail $${t##*/}"; \
	done; \
	if [ -n "$$fail" ]; then echo "unit: FAILED:$$fail"; exit 1; fi; \
	echo "unit: all $(words $(UNIT_BINS)) test programs passed"

$(UNIT_B)/obj/%.o: %.c $(UNIT_STAMP)
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $<"
	$(Q)$(UNIT_CC) $(UNIT_CPPFLAGS) $(UNIT_CFLAGS) $(UNIT_WARN) -c $< -o $@

# Third-party: its own warnings are not ours to fix.
$(UNIT_B)/libfdt/%.o: $(UNIT_STAMP)
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $(UNIT_FDTSRC)/$*.c"
	$(Q)$(UNIT_CC) -I$(UNIT_FDTSRC) $(UNIT_CFLAGS) -w \
		-c $(UNIT_FDTSRC)/$*.c -o $@

$(UNIT_B)/dts/%.dtb: tests/unit/dts/%.dts $(wildcard tests/unit/dts/*.dtsi)
	@mkdir -p $(dir $@)
	@echo "  DTC     $<"
	$(Q)$(UNIT_DTC) -q -I dts -O dtb -o $@ $<

# The system configuration's "name" is not the legacy OF property dtc
# checks (tools/kairos_sysdtb.py passes the same flag).
$(UNIT_B)/dts/config-%.dtb: tests/unit/dts/config-%.dts \
		$(wildcard tests/unit/dts/*.dtsi)
	@mkdir -p $(dir $@)
	@echo "  DTC     $<"
	$(Q)$(UNIT_DTC) -q -E no-name_properties -I dts -O dtb -o $@ $<

define UNIT_LINK
$(UNIT_B)/$(1): $(patsubst %.c,$(UNIT_B)/obj/%.o,tests/unit/$(1).c \
		$(UNIT_SRCS_$(1)) $(UNIT_FAKE)) $(UNIT_LIBS_$(1))
	@echo "  HOSTLD  $$@"
	$$(Q)$$(UNIT_CC) $$(UNIT_CFLAGS) $$^ $$(UNIT_LDLIBS) -o $$@
endef
$(foreach t,$(UNIT_TESTS),$(eval $(call UNIT_LINK,$(t))))

# Standalone use (make -f mk/unit.mk): the top Makefile's mk/deps.mk knows
# how to build the stamp; here we can only say so.
ifeq ($(DEPS_STAMPS),)
$(UNIT_STAMP):
	@echo "unit: $@ is missing: run 'make deps' first"; exit 1
endif

-include $(UNIT_OBJS:.o=.d)
