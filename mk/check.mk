# SPDX-License-Identifier: MIT
# check.mk: `make check` runs clang-format (check mode), clang-tidy and
# cppcheck, and fails on any finding (CI runs it); `make format` rewrites the
# sources in place. Configuration: .clang-format, .clang-tidy, and the
# cppcheck options below. Each check also runs alone: check-format,
# check-tidy, check-cppcheck. `make check-deps` checks the includes between
# subsystems against tools/deps.rules (tools/check-deps). See
# docs/building.md.

CHECK_CLANG_FORMAT ?= clang-format
CHECK_CLANG_TIDY   ?= clang-tidy
CHECK_CPPCHECK     ?= cppcheck

# Formatting covers every C source and header we own; build/ is never looked
# at, nor anything under a build/ a subproject may create.
CHECK_DIRS := $(wildcard boot arch core drivers include lib tests tools guests)
CHECK_FORMAT_FILES = $(shell find $(CHECK_DIRS) -name build -prune -o \
			-type f \( -name '*.c' -o -name '*.h' \) -print | sort)

# The hypervisor's C files, analysed as the cross build compiles them (see
# CPPFLAGS/CFLAGS in the Makefile). -nostdlibinc, unlike the build's
# -nostdinc, keeps clang-tidy's own builtin headers (stddef.h, stdarg.h: the
# counterpart of gcc's, from the same LLVM as clang-tidy) and drops only the
# host's /usr/include; newlib and libfdt come first, as in the build.
CHECK_TARGET_SRCS = $(sort $(wildcard boot/*.c arch/aarch64/*.c core/*.c \
			core/*/*.c drivers/*.c lib/*.c))
CHECK_DEPS        = $(or $(DEPS),build/deps)
CHECK_NEWLIB_INC  = $(CHECK_DEPS)/newlib/aarch64-none-elf/include
CHECK_LIBFDT_INC  = $(CHECK_DEPS)/libfdt/include
CHECK_TARGET_DEFS = -DKAIROS_TEXT_OFFSET=$(or $(TEXT_OFFSET),0x200000)
# The build's warnings (clang spells them the same), as clang sees them.
CHECK_WARN = -Wall -Wextra -Wshadow -Wmissing-prototypes -Wconversion -Wvla \
	-Wstrict-prototypes
CHECK_TARGET_FLAGS = --target=aarch64-none-elf -std=gnu11 -ffreestanding \
	-mgeneral-regs-only -nostdlibinc -isystem $(CHECK_NEWLIB_INC) \
	-isystem $(CHECK_LIBFDT_INC) -Iinclude -Iarch/aarch64/include \
	-Ilib/include $(CHECK_TARGET_DEFS) $(CHECK_WARN)

# Host-side C (arch/fake, tests/unit: core/ built against the fake for the
# cmocka tests; the fuzzer and tools/kairos-ckpt), analysed with the host flags of mk/unit.mk when it is
# included, else with an equivalent default.
CHECK_HOST_SRCS = $(sort $(wildcard arch/fake/*.c tests/unit/*.c \
			tests/fuzz/*.c tools/kairos-ckpt/*.c))
CHECK_HOST_INC = -Iinclude -Iarch/fake -isystem $(CHECK_DEPS)/src/libfdt \
	-DUNIT_DTB_DIR='"."'
CHECK_HOST_FLAGS ?= -std=gnu11 \
	$(filter-out -MMD -MP,$(or $(UNIT_CPPFLAGS),$(CHECK_HOST_INC))) \
	$(CHECK_WARN)

# cppcheck sees our headers and libfdt's, not newlib's (its headers need a
# real compiler's predefined macros); it knows the standard library anyway.
CHECK_CPPCHECK_OPTS = --enable=warning,portability,performance \
	--error-exitcode=1 --inline-suppr --std=c11 --platform=unix64 -q \
	--suppress=missingIncludeSystem \
	--template='{file}:{line}:{column}: {severity}: {message} [{id}]'
CHECK_CPPCHECK_TARGET = -D__GNUC__ -D__aarch64__ $(CHECK_TARGET_DEFS) \
	-Iinclude -Iarch/aarch64/include -Ilib/include -I$(CHECK_LIBFDT_INC)
CHECK_CPPCHECK_HOST = -D__GNUC__ -Iinclude -Iarch/fake

.PHONY: check check-format check-tidy check-cppcheck check-deps format

check: check-format check-tidy check-cppcheck check-deps
	@echo "check: clang-format, clang-tidy, cppcheck and check-deps found nothing"

check-format:
	@echo "  FORMAT  (check) $(words $(CHECK_FORMAT_FILES)) files"
	$(Q)$(CHECK_CLANG_FORMAT) --dry-run -Werror $(CHECK_FORMAT_FILES)

# clang-tidy prints "N warnings generated." for the warnings it suppressed
# (system headers, disabled checks); keep the findings, drop that noise, and
# keep its exit status (sh has no pipefail).
CHECK_TIDY_LOG = $(or $(BUILD),build)/check-tidy.log
check_tidy = $(CHECK_CLANG_TIDY) --quiet $(1) -- $(2) >$(CHECK_TIDY_LOG) 2>&1; \
	rc=$$?; grep -v '^[0-9]* warnings\? generated\.$$' $(CHECK_TIDY_LOG); \
	exit $$rc

# clang-tidy needs newlib's and libfdt's headers: they come with the deps.
check-tidy: $(DEPS_STAMPS)
	@echo "  TIDY    $(words $(CHECK_TARGET_SRCS) $(CHECK_HOST_SRCS)) files"
	@mkdir -p $(dir $(CHECK_TIDY_LOG))
	$(Q)$(call check_tidy,$(CHECK_TARGET_SRCS),$(CHECK_TARGET_FLAGS))
ifneq ($(strip $(CHECK_HOST_SRCS)),)
	$(Q)$(call check_tidy,$(CHECK_HOST_SRCS),$(CHECK_HOST_FLAGS))
endif

check-cppcheck: $(DEPS_STAMPS)
	@echo "  CPPCHECK $(words $(CHECK_TARGET_SRCS) $(CHECK_HOST_SRCS)) files"
	$(Q)$(CHECK_CPPCHECK) $(CHECK_CPPCHECK_OPTS) $(CHECK_CPPCHECK_TARGET) \
		$(CHECK_TARGET_SRCS)
ifneq ($(strip $(CHECK_HOST_SRCS)),)
	$(Q)$(CHECK_CPPCHECK) $(CHECK_CPPCHECK_OPTS) $(CHECK_CPPCHECK_HOST) \
		$(CHECK_HOST_SRCS)
endif

# Pure Python: no deps, no build.
check-deps:
	$(Q)$(or $(PYTHON),/usr/bin/python3) tools/check-deps

format:
	$(Q)$(CHECK_CLANG_FORMAT) -i $(CHECK_FORMAT_FILES)
	@echo "format: $(words $(CHECK_FORMAT_FILES)) files formatted"
