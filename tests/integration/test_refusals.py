# SPDX-License-Identifier: MIT
"""Started wrongly or given a broken board description, Kairos says what
is wrong in one line and stops cleanly: no silent hang, no reset loop."""
import subprocess

import pytest

from kairos_qemu import KAIROS_BIN, SUMMARY_RE, dump_dtb, machine, qemu_cmd


def assert_stopped_after(con, line_re):
    """The refusal is printed, then nothing else and QEMU keeps running
    (-no-reboot would make a reset or crash end it)."""
    con.expect(line_re)
    after = con.output_for(2)
    assert not SUMMARY_RE.search(after.encode()), after
    assert "kairos> " not in after, after
    assert con.alive(), "QEMU ended: Kairos reset or crashed instead of stopping"


def test_entered_at_el1(boot):
    con = boot(qemu_cmd("virt,gic-version=3", extra=["-kernel", KAIROS_BIN]))
    assert_stopped_after(
        con, r"kairos: entered at EL1, but Kairos must be started at EL2"
             r"[^\r\n]*virtualization=on[^\r\n]*; stopping")


def edited_dtb(tmp_path, edits, gic=3, smp=2):
    path = dump_dtb(str(tmp_path / "board.dtb"), machine(gic), smp=smp)
    for e in edits:
        subprocess.run(["fdtput", path, *e], check=True)
    return path


def boot_with_dtb(boot, dtb, gic=3, smp=2):
    return boot(qemu_cmd(machine(gic), smp=smp,
                         extra=["-dtb", dtb, "-kernel", KAIROS_BIN]))


@pytest.mark.parametrize("gic", [3, 2])
def test_dtb_without_gic(boot, tmp_path, gic):
    dtb = edited_dtb(tmp_path, [["-r", "/intc@8000000"]], gic=gic)
    con = boot_with_dtb(boot, dtb, gic=gic)
    assert_stopped_after(
        con, r"kairos: no interrupt controller Kairos can drive: no enabled "
             r"node compatible with arm,gic-v3[^\r\n]*; stopping")


def test_dtb_without_timer(boot, tmp_path):
    con = boot_with_dtb(boot, edited_dtb(tmp_path, [["-r", "/timer"]]))
    assert_stopped_after(
        con, r"kairos: timer: no enabled node compatible with "
             r"arm,armv8-timer; stopping")


def test_cpu_without_enable_method(boot, tmp_path):
    dtb = edited_dtb(tmp_path, [["-d", "/cpus/cpu@1", "enable-method"]])
    con = boot_with_dtb(boot, dtb)
    assert_stopped_after(
        con, r"kairos: /cpus/cpu@1: property enable-method missing")


def test_gicv2_without_virtualization_regions(boot, tmp_path):
    """A GICv2 whose reg lists only GICD and GICC cannot host guests."""
    dtb = edited_dtb(tmp_path, [["-t", "x", "/intc@8000000", "reg",
                                 "0", "0x8000000", "0", "0x10000",
                                 "0", "0x8010000", "0", "0x10000"]], gic=2)
    con = boot_with_dtb(boot, dtb, gic=2)
    assert_stopped_after(
        con, r"kairos: /intc@8000000: property reg: 2 regions; Kairos needs "
             r"GICD, GICC, GICH and GICV")


def test_spin_table_without_release_addr(boot, tmp_path):
    """(QEMU rewrites /psci in any -dtb, so PSCI refusals are unit-tested.)"""
    dtb = edited_dtb(tmp_path, [["-t", "s", "/cpus/cpu@1", "enable-method",
                                 "spin-table"]])
    con = boot_with_dtb(boot, dtb)
    assert_stopped_after(
        con, r"kairos: /cpus/cpu@1: property cpu-release-addr missing "
             r"\(spin-table needs a 64-bit address\)")
