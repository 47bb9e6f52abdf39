# SPDX-License-Identifier: MIT
"""Kairos boots at EL2 on QEMU virt, learns the board from its DTB and
brings every CPU up; the boot log is what rigs and users rely on."""
import re

import pytest

from kairos_qemu import (KAIROS_BIN, SUMMARY_RE, TOOLS, machine, qemu_cmd)

# QEMU 10's generic-timer defaults: 1 GHz for -cpu max (FEAT_ECV era
# models), 62.5 MHz for older cores such as the Cortex-A72.
QEMU_DEFAULT_CNTFRQ = {"max": 1_000_000_000, "cortex-a72": 62_500_000}


def check_boot(con, ncpus, gic, mem_mib, freq):
    """Read the boot log up to the summary line and each CPU's timerq
    self-test verdict, and judge it. The self-tests run in the background
    (nothing waits for them), so their verdicts may come after the
    summary."""
    m = con.expect(SUMMARY_RE)
    log = con.child.before.decode(errors="replace")
    online = [int(x) for x in re.findall(r"kairos: CPU(\d+) online", log)]
    assert sorted(online) == list(range(ncpus)), log
    assert m.group(0).decode() == (f"kairos: {ncpus} CPUs, GICv{gic}, "
                                   f"{mem_mib} MiB RAM, counter {freq} Hz")
    verdicts, text = con.selftests_and_prompt(ncpus, log)
    log += text
    assert "FAILED" not in log, log
    assert verdicts == {i: "passed" for i in range(ncpus)}, log


@pytest.mark.parametrize("cpu", ["max", "cortex-a72"])
@pytest.mark.parametrize("smp", [1, 4])
@pytest.mark.parametrize("gic", [3, 2])
def test_boot_matrix(boot, gic, smp, cpu):
    con = boot(qemu_cmd(machine(gic), cpu=cpu, smp=smp,
                        extra=["-kernel", KAIROS_BIN]))
    check_boot(con, smp, gic, 1024, QEMU_DEFAULT_CNTFRQ[cpu])


def test_boot_reports_board_values(boot):
    """RAM size and counter frequency come from the board, not constants."""
    con = boot(qemu_cmd(machine(3), smp=3, mem="768M",
                        extra=["-global", "cortex-a72-arm-cpu.cntfrq=54000000",
                               "-kernel", KAIROS_BIN]))
    check_boot(con, 3, 3, 768, 54_000_000)


def test_boot_gicv2_with_security_extensions(boot):
    """secure=on gives a GICv2 with Security Extensions, seen Non-secure
    from EL2 as on a Raspberry Pi 4's GIC-400."""
    con = boot(qemu_cmd(machine(2, "secure=on"), smp=2,
                        extra=["-kernel", KAIROS_BIN]))
    check_boot(con, 2, 2, 1024, QEMU_DEFAULT_CNTFRQ["cortex-a72"])


@pytest.mark.parametrize("gic", [3, 2])
def test_boot_through_uboot(boot, gic):
    """Debian's U-Boot finds boot.scr on a partitioned FAT disk, loads
    kairos.bin and starts it with booti, as on a board."""
    cmd = [f"{TOOLS}/kairos-qemu", "--uboot", "--gic", str(gic), "--smp", "4",
           "--", "-no-reboot"]
    con = boot(cmd)
    con.expect(r"Found U-Boot script /boot.scr")
    con.expect(r"Starting kernel")
    check_boot(con, 4, gic, 1024, QEMU_DEFAULT_CNTFRQ["cortex-a72"])
