# SPDX-License-Identifier: MIT
# U-Boot boot script for Kairos on QEMU virt (compiled to boot.scr by
# tools/mkbootdisk). Distro boot sets devtype, devnum and distro_bootpart.
# booti starts Kairos at EL2 with x0 = the device tree U-Boot runs on.
echo "Kairos: loading kairos.bin from ${devtype} ${devnum}:${distro_bootpart}"
load ${devtype} ${devnum}:${distro_bootpart} ${kernel_addr_r} kairos.bin
booti ${kernel_addr_r} - ${fdtcontroladdr}
