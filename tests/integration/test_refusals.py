# SPDX-License-Identifier: MIT
"""Started wrongly or given a broken board description, Kairos says what
is wrong in one line and stops cleanly: no silent hang, no reset loop."""
import shlex
import subprocess

import pytest

from kairos_qemu import (KAIROS_BIN, ROOT, SUMMARY_RE, TOOLS, dump_dtb,
                         machine, qemu_cmd)


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


VMTEST = f"{ROOT}/build/guests/vmtest.bin"


def kairos_qemu_dry_run(out, *vm_specs, extra=()):
    """kairos-qemu's QEMU command and system DTB (--dry-run)."""
    vms = [a for spec in vm_specs for a in ("--vm", spec)]
    lines = subprocess.run(
        [f"{TOOLS}/kairos-qemu", "--dry-run", "--smp", "2", "--out", out,
         *extra, *vms],
        check=True, capture_output=True, text=True).stdout.splitlines()
    return shlex.split(lines[0]), lines[1].split(": ", 1)[1]


def test_refused_configuration_powers_off_with_status_3(boot, tmp_path):
    """A configuration that starts no VM leaves nothing to run: the board
    powers off at once, and QEMU's exit status says why."""
    cmd, dtb = kairos_qemu_dry_run(
        str(tmp_path), f"name=a,image={VMTEST},bootargs=test=psci_version",
        f"name=b,image={VMTEST},bootargs=test=psci_version")
    subprocess.run(["fdtput", "-d", dtb, "/hypervisor/vm@1", "vcpus"],
                   check=True)
    con = boot(cmd + ["-no-reboot"])
    con.expect(r"kairos: configuration refused: /hypervisor/vm@1: property "
               r"vcpus: missing; no VM started")
    con.expect(r"kairos: no VM to run: powering off \(exit status 3\)")
    assert con.wait_exit(timeout=30) == 3


def test_refused_configuration_without_semihosting_still_powers_off(
        boot, tmp_path):
    """Without semihosting (--no-semihosting) PSCI SYSTEM_OFF is all there
    is: QEMU ends, with status 0, rather than running on."""
    cmd, dtb = kairos_qemu_dry_run(
        str(tmp_path), f"name=a,image={VMTEST}", extra=["--no-semihosting"])
    assert "-semihosting-config" not in cmd
    subprocess.run(["fdtput", "-t", "s", dtb, "/hypervisor/vm@0", "profile",
                    "zynq"], check=True)
    con = boot(cmd + ["-no-reboot"])
    con.expect(r"kairos: configuration refused: /hypervisor/vm@0: property "
               r"profile: ")
    assert con.wait_exit(timeout=30) == 0


def test_vms_that_stop_themselves_give_status_0(boot):
    """Every VM stopped by itself (PSCI SYSTEM_OFF): status 0 through
    semihosting (a VM stopped on a fatal error gives 5: unit-tested)."""
    con = boot([f"{TOOLS}/kairos-qemu", "--smp", "2",
                "--vm", f"name=ok,image={VMTEST},bootargs=test=psci_version",
                "--", "-no-reboot"])
    con.expect(r"\[ok\] TEST psci_version: PASS")
    con.expect(r"kairos: all VMs stopped")
    assert con.wait_exit(timeout=30) == 0


def test_vm_creation_failure_powers_off_with_status_4(boot):
    """A configuration that parses but cannot be made: three VMs of 8
    vCPUs on a board of one CPU put 24 vCPUs on CPU0, which hosts at most
    16. The VM that does not fit is named with what failed, no VM starts,
    and QEMU's exit status is 4."""
    vms = [a for n in "abc" for a in (
        "--vm", f"name={n},image={VMTEST},vcpus=8,bootargs=test=psci_version")]
    con = boot([f"{TOOLS}/kairos-qemu", "--smp", "1", *vms, "--",
                "-no-reboot"])
    con.expect(r"kairos: /hypervisor/vm@2: property cpus: CPU0 hosts too "
               r"many vCPUs \(at most 16\)")
    con.expect(r"kairos: VM creation failed; no VM started")
    con.expect(r"kairos: no VM to run: powering off \(exit status 4\)")
    assert con.wait_exit(timeout=30) == 4
