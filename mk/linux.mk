# SPDX-License-Identifier: MIT
# linux.mk: the Linux test guest (guests/linux), made only of Debian arm64
# packages: `make linux-guest` builds build/guests/linux/Image (Debian's
# linux-image-arm64 kernel, a raw arm64 Image) and initramfs.cpio.gz
# (busybox-static + guests/linux/init). The .debs are downloaded once into
# $(DEPS)/debs-arm64 and reused; `make linux-guest-update` fetches the
# current ones again. Included after mk/deps.mk. See guests/linux/README.md.

LINUX_B    := $(or $(BUILD),build)/guests/linux
LINUX_DEBS := $(or $(DEPS),$(or $(BUILD),build)/deps)/debs-arm64
LINUX_SRC  := guests/linux
LINUX_IMAGE  := $(LINUX_B)/Image
LINUX_INITRD := $(LINUX_B)/initramfs.cpio.gz

.PHONY: linux-guest linux-guest-update linux-guest-clean
linux-guest: $(LINUX_IMAGE) $(LINUX_INITRD)

# linux-image-arm64 is a metapackage: its Depends names the real kernel
# package and version (linux-image-6.1.0-NN-arm64 (= 6.1.x-y)), which is
# fetched exactly, so the pair is consistent. No version is pinned here.
# Order-only on the host setup: editing setup-host.sh must not re-download.
$(LINUX_DEBS)/.stamp: | $(HOST_STAMP)
	@mkdir -p $(LINUX_DEBS)
	@tools/first-use 4 "downloading linux-image-arm64:arm64 and busybox-static:arm64 into $(LINUX_DEBS)"
	$(Q)cd $(LINUX_DEBS) && rm -f *.deb && \
	  apt-get download -q linux-image-arm64:arm64 busybox-static:arm64 2>&1 | \
	    grep -v 'unsandboxed as root' ; \
	  dep=$$(dpkg-deb -f linux-image-arm64_*_arm64.deb Depends | \
	    sed -n 's/^\(linux-image-[^ ,]*\) *(= *\([^)]*\)).*/\1:arm64=\2/p'); \
	  [ -n "$$dep" ] || { echo "linux-guest: cannot resolve linux-image-arm64's kernel package"; exit 1; }; \
	  echo "linux-guest: linux-image-arm64 depends on $$dep; downloading it (~60 MB)"; \
	  apt-get download -q "$$dep" 2>&1 | grep -v 'unsandboxed as root'; \
	  ls linux-image-[0-9]*_arm64.deb busybox-static_*_arm64.deb >/dev/null
	@ls -l $(LINUX_DEBS)/*.deb | sed 's/^/linux-guest:   /'
	$(Q)touch $@

# Only boot/vmlinuz-* (a raw arm64 Image, ~33 MB) is taken out of the
# package; of its modules, the initramfs takes uio.ko and
# uio_pci_generic.ko (shared memory, docs/shmem.md).
$(LINUX_IMAGE): $(LINUX_DEBS)/.stamp
	@mkdir -p $(dir $@)
	@echo "  KERNEL  $@ (from $$(basename $(LINUX_DEBS)/linux-image-[0-9]*_arm64.deb))"
	$(Q)dpkg-deb --fsys-tarfile $(LINUX_DEBS)/linux-image-[0-9]*_arm64.deb | \
	  tar -xO --wildcards './boot/vmlinuz-*' > $@.tmp
	$(Q)[ "$$(dd if=$@.tmp bs=1 skip=56 count=4 2>/dev/null)" = "ARMd" ] || \
	  { echo "linux-guest: $@: no arm64 Image magic"; rm -f $@.tmp; exit 1; }
	$(Q)dpkg-deb --fsys-tarfile $(LINUX_DEBS)/linux-image-[0-9]*_arm64.deb | \
	  tar -xO --wildcards './boot/config-*' > $(LINUX_B)/config
	$(Q)mv $@.tmp $@
	@echo "built $@ ($$(stat -c %s $@) bytes)"

$(LINUX_INITRD): $(LINUX_DEBS)/.stamp $(LINUX_SRC)/init $(LINUX_SRC)/applets \
		$(LINUX_SRC)/mkinitramfs.sh $(LINUX_SRC)/shmem-uio
	@mkdir -p $(dir $@)
	@echo "  CPIO    $@"
	$(Q)$(LINUX_SRC)/mkinitramfs.sh $(LINUX_DEBS)/busybox-static_*_arm64.deb \
	  $(LINUX_DEBS)/linux-image-[0-9]*_arm64.deb $@
	@echo "built $@ ($$(stat -c %s $@) bytes)"

linux-guest-update:
	rm -f $(LINUX_DEBS)/.stamp
	$(MAKE) linux-guest

linux-guest-clean:
	rm -rf $(LINUX_B)
