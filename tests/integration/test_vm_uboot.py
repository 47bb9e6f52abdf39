# SPDX-License-Identifier: MIT
"""Unmodified images built for QEMU virt run under Kairos: Debian's U-Boot
as a guest reaches its prompt, takes a command over the switched console
and powers its VM off through PSCI — the VM alone, then the board."""
import os

import pytest

from kairos_qemu import TOOLS

UBOOT = "/usr/lib/u-boot/qemu_arm64/u-boot.bin"


@pytest.mark.parametrize("gic", [3, 2])
def test_uboot_guest_runs_a_command(boot, gic):
    assert os.path.exists(UBOOT)
    con = boot([f"{TOOLS}/kairos-qemu", "--gic", str(gic), "--smp", "2",
                "--vm", f"name=uboot,image={UBOOT}", "--", "-no-reboot"])
    con.expect(r"kairos: VM uboot: 1 vCPUs on CPU0")
    # U-Boot found its environment flash (erased: default environment).
    con.expect(r"\[uboot\] Loading Environment from Flash\.\.\. \*\*\* "
               r"Warning - bad CRC, using default environment")
    con.expect(r"\[uboot\] Hit any key to stop autoboot")
    con.child.send(b"\x010")  # Ctrl-A 0: console input to VM 0
    con.expect(r"kairos: console input to VM uboot")
    con.child.send(b" ")      # stop autoboot
    con.expect(r"\[uboot\] => ")
    con.send_line("version")
    con.expect(r"\[uboot\] U-Boot 20\d\d\.\d\d")
    con.expect(r"\[uboot\] => ")
    con.send_line("poweroff")
    con.expect(r"kairos: VM uboot stopped \(PSCI SYSTEM_OFF\)")
    con.expect(r"kairos: all VMs stopped")
    assert con.wait_exit(timeout=30) == 0
