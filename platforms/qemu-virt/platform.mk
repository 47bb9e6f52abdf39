# SPDX-License-Identifier: MIT
# QEMU virt (-M virt,virtualization=on): RAM at 0x40000000. Kairos is
# loaded 2 MiB above it, where QEMU -kernel and U-Boot booti put an Image
# whose text_offset is 0x200000.
RAM_BASE    = 0x40000000
TEXT_OFFSET = 0x200000
