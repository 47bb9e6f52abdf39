# SPDX-License-Identifier: MIT
# U-Boot boot script for Kairos on the Raspberry Pi 4, a template:
# tools/kairos-rpi4 (make sdcard PLATFORM=rpi4) puts the loads of the
# system in place of the marker line below and compiles it to boot.scr.
# Distro boot sets devtype, devnum and distro_bootpart.
#
# The device tree is the one the firmware handed to U-Boot (${fdt_addr}:
# on a real Pi, with the memory, MAC and serial number filled in), copied
# to ${fdt_addr_r} with room to grow, plus the /hypervisor overlay(s)
# applied with fdt apply. fdt_high = ~0 keeps booti from moving it over a
# guest image. booti starts Kairos at EL2 with x0 = that tree.
echo "Kairos: loading from ${devtype} ${devnum}:${distro_bootpart}"
load ${devtype} ${devnum}:${distro_bootpart} ${kernel_addr_r} kairos.bin
fdt addr ${fdt_addr}
fdt move ${fdt_addr} ${fdt_addr_r} 0x80000
@LOADS@
setenv fdt_high ffffffffffffffff
booti ${kernel_addr_r} - ${fdt_addr_r}
