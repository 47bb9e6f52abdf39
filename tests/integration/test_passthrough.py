# SPDX-License-Identifier: MIT
"""Passthrough: QEMU virt's PL031 RTC (0x09010000, SPI 2 = INTID 34) is
given to a VM by its configuration (devices, interrupts). The guest finds
it in the DTB Kairos generates, and each alarm's interrupt reaches it
hardware-mapped: one per alarm, none after the guest clears it. Devices
and interrupts Kairos or RAM own are refused."""
import os
import shlex
import subprocess

import pytest

from kairos_qemu import ROOT, SUMMARY_RE, TOOLS

GICTEST = os.path.join(ROOT, "build", "guests", "gictest.bin")


def configured(gic, tmp_path, devices, irqs, args="test=passthrough_rtc"):
    out = subprocess.run(
        [f"{TOOLS}/kairos-qemu", "--dry-run", "--gic", str(gic), "--smp",
         "2", "--out", str(tmp_path), "--vm",
         f"name=g,image={GICTEST},bootargs={args}"],
        check=True, capture_output=True, text=True).stdout.splitlines()
    dtb = out[1].split(": ", 1)[1]
    subprocess.run(["fdtput", "-t", "x", dtb, "/hypervisor/vm@0", "devices",
                    *devices], check=True)
    subprocess.run(["fdtput", "-t", "i", dtb, "/hypervisor/vm@0",
                    "interrupts", *irqs], check=True)
    return shlex.split(out[0]) + ["-no-reboot"]


@pytest.mark.parametrize("gic", [3, 2])
def test_rtc_passthrough(boot, tmp_path, gic):
    con = boot(configured(gic, tmp_path, ["0", "0x9010000", "0", "0x1000"],
                          ["34"]))
    con.expect(r"\[g\] # pl031 at 0x9010000, INTID 34 \(level\), 3 alarms")
    for i in range(3):
        m = con.expect(rf"\[g\] # alarm {i}: taken after (\d+) ms")
        assert 500 <= int(m.group(1)) <= 2500
    con.expect(r"\[g\] TEST passthrough_rtc: PASS")
    con.expect(r"kairos: all VMs stopped")
    assert con.wait_exit() == 0


STORM_EVENTS = 10000


@pytest.mark.parametrize("gic", [3, 2])
@pytest.mark.parametrize("eoimode", [0, 1])
@pytest.mark.parametrize("after", [0, 1], ids=["clear-before-eoi",
                                              "clear-after-eoi"])
def test_rtc_passthrough_level_storm(boot, tmp_path, gic, eoimode, after):
    """A level-sensitive passthrough SPI follows its line: the RTC is made
    to interrupt STORM_EVENTS times back to back, its handler clearing it
    before the EOI, or after EOI and DIR while the line is still high (the
    GIC then finds it pending again, and the clear withdraws it). Each
    event is taken exactly once: none lost, none taken twice, none with
    the RTC found quiet."""
    con = boot(configured(
        gic, tmp_path, ["0", "0x9010000", "0", "0x1000"], ["34"],
        f"test=passthrough_rtc_storm events={STORM_EVENTS} after={after} "
        f"eoimode={eoimode}"))
    con.expect(rf"\[g\] # pl031 storm: {STORM_EVENTS} events, clear "
               rf"{'after' if after else 'before'} EOI, EOImode {eoimode}")
    m = con.expect(r"\[g\] # pl031 storm: (\d+) interrupts for (\d+) "
                   r"events", timeout=120)
    assert int(m.group(1)) == int(m.group(2)) == STORM_EVENTS
    con.expect(r"\[g\] TEST passthrough_rtc_storm: PASS")
    con.expect(r"kairos: all VMs stopped")
    assert con.wait_exit() == 0


@pytest.mark.parametrize("devices, irqs, refusal", [
    (["0", "0x8000000", "0", "0x10000"], ["34"],
     r"property devices: 0x8000000-0x800ffff overlaps a device Kairos uses"),
    (["0", "0x40000000", "0", "0x1000"], ["34"],
     r"property devices: 0x40000000-0x40000fff overlaps RAM"),
    (["0", "0x9010000", "0", "0x1000"], ["33"],
     r"property interrupts: INTID 33 is already Kairos's"),
    (["0", "0x9010000", "0", "0x1000"], ["27"],
     r"property interrupts: INTID 27 is not an SPI"),
])
def test_passthrough_refusals(boot, tmp_path, devices, irqs, refusal):
    con = boot(configured(3, tmp_path, devices, irqs))
    con.expect(SUMMARY_RE)
    con.expect(r"kairos: configuration refused: /hypervisor/vm@0: " +
               refusal)
    con.expect(r"no VM started")
    assert con.wait_exit(timeout=30) == 3
