# SPDX-License-Identifier: MIT
# Raspberry Pi 4 Model B (BCM2711, GIC-400, spin-table CPUs): RAM at 0.
# U-Boot booti (the Image header's flags bit 3 clear) and QEMU -M raspi4b
# -kernel both put Kairos at RAM base + text_offset = 2 MiB, clear of the
# firmware's spin-table page at 0.
RAM_BASE    = 0x0
TEXT_OFFSET = 0x200000
