#!/bin/sh
# SPDX-License-Identifier: MIT
# mkinitramfs.sh BUSYBOX_STATIC_DEB LINUX_IMAGE_DEB OUT.cpio.gz
# Builds the guest's initramfs without root: the static arm64 busybox from
# Debian's busybox-static package, one symlink per name in ./applets,
# ./init and ./shmem-uio (as /bin/shmem-uio), and the kernel package's
# uio.ko and uio_pci_generic.ko in /lib/modules (for insmod); newc cpio owned by 0:0 (no device nodes: /init mounts devtmpfs,
# the kernel's built-in initramfs already has /dev/console).
set -eu

deb=$1
kdeb=$2
out=$3
here=$(cd "$(dirname "$0")" && pwd)
work=$out.d
root=$work/root

rm -rf "$work"
mkdir -p "$work/deb" "$work/kdeb" "$root/lib/modules" "$root/bin" "$root/dev" "$root/proc" "$root/sys" \
	"$root/tmp" "$root/root"
dpkg-deb -x "$deb" "$work/deb"
cp "$work/deb/bin/busybox" "$root/bin/busybox"
chmod 0755 "$root/bin/busybox"
sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$here/applets" | while read -r a; do
	ln -sf busybox "$root/bin/$a"
done
dpkg-deb --fsys-tarfile "$kdeb" | tar -x -C "$work/kdeb" --wildcards \
	'./lib/modules/*/kernel/drivers/uio/uio.ko' \
	'./lib/modules/*/kernel/drivers/uio/uio_pci_generic.ko'
for m in uio uio_pci_generic; do
	cp "$work"/kdeb/lib/modules/*/kernel/drivers/uio/$m.ko "$root/lib/modules/"
done
cp "$here/shmem-uio" "$root/bin/shmem-uio"
chmod 0755 "$root/bin/shmem-uio"
cp "$here/init" "$root/init"
chmod 0755 "$root/init"
chmod 1777 "$root/tmp"
chmod 0700 "$root/root"

# Reproducible: fixed times, sorted names, no inode/device numbers.
find "$root" -exec touch -h -d @0 {} +
(cd "$root" && find . -mindepth 1 | LC_ALL=C sort |
	cpio --quiet -o -H newc --owner=0:0 --reproducible) >"$work/initramfs.cpio"
gzip -9 -n -c "$work/initramfs.cpio" >"$out.tmp"
mv "$out.tmp" "$out"
rm -rf "$work"
