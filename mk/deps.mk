# SPDX-License-Identifier: MIT
# deps.mk: newlib (libc) and libfdt for the bare-metal AArch64 EL2 target,
# fetched from Debian source packages and built once into $(DEPS); stamp files
# make later builds reuse them. See docs/building.md.

DEPS_DEBS   = $(DEPS)/debs
NEWLIB_SRC  = $(DEPS)/src/newlib
NEWLIB_BLD  = $(DEPS)/build/newlib
NEWLIB      = $(abspath $(DEPS))/newlib
LIBFDT_SRC  = $(DEPS)/src/libfdt
LIBFDT      = $(DEPS)/libfdt
# Evaluated on first use, not at parse time: on a fresh machine the cross
# compiler only exists once the host setup has run.
GCC_INC     = $(eval GCC_INC := $(shell $(CROSS)gcc -print-file-name=include))$(GCC_INC)
LIBGCC      = $(eval LIBGCC := $(shell $(CROSS)gcc -print-libgcc-file-name))$(LIBGCC)

# Every target object (newlib, libfdt, hypervisor) is built with these: no
# FP/SIMD, no unaligned accesses (safe with the MMU off), no outline atomics
# (they would need getauxval), no PIE/GOT, no stack protector.
TARGET_CFLAGS = -O2 -g -ffunction-sections -fdata-sections -mgeneral-regs-only \
		-mstrict-align -mno-outline-atomics -fno-pie -fno-stack-protector

NEWLIB_CONFIG = --target=aarch64-none-elf --prefix=$(NEWLIB) \
  --disable-newlib-supplied-syscalls --enable-newlib-reent-small \
  --enable-newlib-retargetable-locking --disable-newlib-fvwrite-in-streamio \
  --disable-newlib-fseek-optimization --disable-newlib-wide-orient \
  --disable-newlib-unbuf-stream-opt --enable-newlib-nano-malloc \
  --enable-lite-exit --enable-newlib-global-atexit --disable-newlib-io-float \
  --enable-newlib-io-c99-formats --enable-newlib-io-long-long --disable-nls \
  --disable-dependency-tracking

DEPS_STAMPS = $(DEPS)/.newlib.stamp $(DEPS)/.libfdt.stamp

.PHONY: deps deps-clean
deps: $(DEPS_STAMPS)

$(DEPS_DEBS)/.stamp: | $(HOST_STAMP)
	@tools/first-use 2 "downloading newlib-source and linux-source-6.1, building newlib for aarch64"
	mkdir -p $(DEPS_DEBS)
	cd $(DEPS_DEBS) && rm -f *.deb && apt-get download -q newlib-source linux-source-6.1 2>&1 | \
	  grep -v "unsandboxed as root"; ls newlib-source_*.deb linux-source-6.1_*.deb >/dev/null
	touch $@

$(DEPS)/.newlib.stamp: $(DEPS_DEBS)/.stamp
	@echo "deps: building newlib for aarch64 (once)"
	rm -rf $(NEWLIB_SRC) $(NEWLIB_BLD) $(NEWLIB) $(DEPS)/src/newlib-deb
	mkdir -p $(NEWLIB_SRC) $(NEWLIB_BLD)
	dpkg-deb -x $(DEPS_DEBS)/newlib-source_*_all.deb $(DEPS)/src/newlib-deb
	tar -xJf $(DEPS)/src/newlib-deb/usr/src/newlib/newlib-*.tar.xz \
		-C $(NEWLIB_SRC) --strip-components=1
	cd $(NEWLIB_BLD) && GRO_CC_REAL=$(CROSS)gcc \
	  $(abspath $(NEWLIB_SRC))/configure $(NEWLIB_CONFIG) \
	  CC_FOR_TARGET="$(abspath tools/deps/gro-cc)" \
	  AR_FOR_TARGET=$(CROSS)ar AS_FOR_TARGET=$(CROSS)as LD_FOR_TARGET=$(CROSS)ld \
	  NM_FOR_TARGET=$(CROSS)nm RANLIB_FOR_TARGET=$(CROSS)ranlib \
	  STRIP_FOR_TARGET=$(CROSS)strip OBJDUMP_FOR_TARGET=$(CROSS)objdump \
	  OBJCOPY_FOR_TARGET=$(CROSS)objcopy READELF_FOR_TARGET=$(CROSS)readelf \
	  CFLAGS_FOR_TARGET="$(TARGET_CFLAGS)" > configure.log 2>&1
	GRO_CC_REAL=$(CROSS)gcc GRO_CC_LOG=$(abspath $(NEWLIB_BLD))/fp-stubbed.txt \
	  $(MAKE) -C $(NEWLIB_BLD) all-target-newlib > $(NEWLIB_BLD)/make.log 2>&1 \
	  || { tail -30 $(NEWLIB_BLD)/make.log; exit 1; }
	$(MAKE) -C $(NEWLIB_BLD) install-target-newlib > $(NEWLIB_BLD)/install.log 2>&1
	tools/deps/newlib-nosimd-fixup.sh $(abspath $(NEWLIB_SRC)) $(NEWLIB) \
		"$(TARGET_CFLAGS)" all
	touch $@

$(DEPS)/.libfdt.stamp: $(DEPS_DEBS)/.stamp $(DEPS)/.newlib.stamp
	@tools/first-use 3 "building libfdt for aarch64"
	rm -rf $(LIBFDT_SRC) $(LIBFDT) $(DEPS)/src/linux-deb
	mkdir -p $(LIBFDT_SRC) $(LIBFDT)/obj $(LIBFDT)/include
	dpkg-deb --fsys-tarfile $(DEPS_DEBS)/linux-source-6.1_*_all.deb | \
	  tar -xO ./usr/src/linux-source-6.1.tar.xz | \
	  tar -xJ -C $(LIBFDT_SRC) --strip-components=4 \
		--wildcards 'linux-source-6.1/scripts/dtc/libfdt/*'
	for f in $(LIBFDT_SRC)/fdt*.c; do \
	  $(CROSS)gcc $(TARGET_CFLAGS) -std=gnu11 -ffreestanding -nostdinc \
	    -isystem $(NEWLIB)/aarch64-none-elf/include -isystem $(GCC_INC) \
	    -I$(LIBFDT_SRC) -Wall -c $$f \
	    -o $(LIBFDT)/obj/$$(basename $$f .c).o || exit 1; \
	done
	$(CROSS)ar rcs $(LIBFDT)/libfdt.a $(LIBFDT)/obj/*.o
	cp $(LIBFDT_SRC)/libfdt.h $(LIBFDT_SRC)/fdt.h $(LIBFDT_SRC)/libfdt_env.h \
		$(LIBFDT)/include/
	tools/deps/fpcheck.sh $(LIBFDT)/libfdt.a
	touch $@

deps-clean:
	rm -rf $(DEPS)

# libfdt's headers are third-party: -isystem, so no -Wconversion there.
DEPS_CPPFLAGS = -nostdinc -isystem $(NEWLIB)/aarch64-none-elf/include \
		-isystem $(GCC_INC) -isystem $(LIBFDT)/include
DEPS_LIBS     = $(LIBFDT)/libfdt.a -Wl,--start-group \
		$(NEWLIB)/aarch64-none-elf/lib/libc.a \
		$(LIBGCC) -Wl,--end-group
