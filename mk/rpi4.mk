# SPDX-License-Identifier: MIT
# rpi4.mk: what the Raspberry Pi 4 needs besides Kairos (docs/rpi4.md),
# all from Debian arm64 packages fetched with apt-get download:
#   make rpi4-files   the board DTBs (bcm2711-rpi-4-b.dtb; bcm2837-rpi-3-b.dtb
#                     for the Pi 3, docs/rpi3.md), from the same
#                     linux-image-arm64 as the Linux guest) and U-Boot
#                     (u-boot-rpi, the rpi_arm64 build) in build/rpi4/
#   make sdcard PLATFORM=rpi4   build/rpi4/sdcard.img: the sample system
#                     (platforms/rpi4/demo.dts) on a FAT card image that
#                     boots a Pi 4 or a Pi 3 (docs/rpi3.md)
# Included after mk/linux.mk.

RPI4_B       := $(or $(BUILD),build)/rpi4
RPI4_DTB     := $(RPI4_B)/bcm2711-rpi-4-b.dtb
# The Raspberry Pi 3 Model B's, for tools/kairos-rpi4 --board 3b
# (docs/rpi3.md): the same Kairos build boots on both.
RPI3_DTB     := $(RPI4_B)/bcm2837-rpi-3-b.dtb
RPI4_DEBS    := $(or $(DEPS),$(or $(BUILD),build)/deps)/debs-rpi4
RPI4_UBOOT   := $(RPI4_B)/u-boot-rpi/u-boot.bin
RPI4_SYSTEM  ?= platforms/rpi4/demo.dts

.PHONY: rpi4-files rpi4-test-deps sdcard
rpi4-files: $(RPI4_DTB) $(RPI3_DTB) $(RPI4_UBOOT)

$(RPI4_B)/bcm%.dtb: $(LINUX_DEBS)/.stamp
	@mkdir -p $(dir $@)
	@echo "  DTB     $@ (from $$(basename $(LINUX_DEBS)/linux-image-[0-9]*_arm64.deb))"
	$(Q)dpkg-deb --fsys-tarfile $(LINUX_DEBS)/linux-image-[0-9]*_arm64.deb | \
	  tar -xO --wildcards './usr/lib/linux-image-*/broadcom/$(notdir $@)' > $@.tmp
	$(Q)fdtget $@.tmp / model >/dev/null && mv $@.tmp $@

# Order-only on the host setup, as the Linux guest's packages.
$(RPI4_DEBS)/.stamp: | $(HOST_STAMP)
	@mkdir -p $(RPI4_DEBS)
	@echo "rpi4: downloading u-boot-rpi:arm64 into $(RPI4_DEBS)"
	$(Q)cd $(RPI4_DEBS) && rm -f *.deb && \
	  apt-get download -q u-boot-rpi:arm64 2>&1 | grep -v 'unsandboxed as root'; \
	  ls u-boot-rpi_*_arm64.deb >/dev/null
	$(Q)touch $@

$(RPI4_UBOOT): $(RPI4_DEBS)/.stamp
	@mkdir -p $(dir $@)
	@echo "  U-BOOT  $@ (rpi_arm64, from $$(basename $(RPI4_DEBS)/u-boot-rpi_*_arm64.deb))"
	$(Q)dpkg-deb --fsys-tarfile $(RPI4_DEBS)/u-boot-rpi_*_arm64.deb | \
	  tar -xO ./usr/lib/u-boot/rpi_arm64/u-boot.bin > $@.tmp
	$(Q)[ -s $@.tmp ] && mv $@.tmp $@

# What tests/integration/test_rpi4.py boots, whatever PLATFORM is.
rpi4-test-deps: rpi4-files
	$(Q)$(MAKE) --no-print-directory PLATFORM=rpi4 all

ifeq ($(PLATFORM),rpi4)
sdcard: all rpi4-files guests linux-guest
	tools/kairos-rpi4 --system $(RPI4_SYSTEM) --sdcard $(B)/sdcard.img
	@echo "built $(B)/sdcard.img (for a Pi 4 or a Pi 3): copy it to a card, add the Pi firmware (docs/rpi4.md, docs/rpi3.md)"
else
sdcard:
	@echo "make sdcard: the SD card is for the Raspberry Pi 4: make sdcard PLATFORM=rpi4"; exit 1
endif
