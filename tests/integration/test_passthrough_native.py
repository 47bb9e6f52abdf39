# SPDX-License-Identifier: MIT
"""gictest's passthrough_rtc natively on QEMU's GICv3 and GICv2 (no
Kairos): the guest finds the PL031 RTC in its DTB, sets its alarm N times
and takes each level-sensitive SPI exactly once, clearing the RTC before
the EOI. The reference for the same test with the RTC passed through to a
Kairos VM. Each alarm is about a second of wall-clock time."""
import os
import re
import subprocess

import pexpect
import pytest

from kairos_qemu import ROOT, dump_dtb, qemu_cmd

GICTEST = os.path.join(ROOT, "build", "guests", "gictest.bin")
TEST = "passthrough_rtc"
VERDICT_RE = re.compile(rf"^TEST {TEST}: (PASS|FAIL|SKIP)(?: (.*?))?\r*$",
                        re.M)
SUMMARY_RE = re.compile(
    r"^SUMMARY: (\d+) passed, (\d+) failed(?:, (\d+) skipped)?\r*$", re.M)
ALARM_RE = re.compile(r"^# alarm (\d+): taken after (\d+) ms\r*$", re.M)
# iters=3 takes ~3 s natively; each alarm may take up to 3 s.
RUN_TIMEOUT = 60


@pytest.fixture(autouse=True)
def gictest_built():
    if not os.path.exists(GICTEST):
        pytest.fail(f"{GICTEST} missing: run 'make guests' first")


def run(boot, gic, append, extra=()):
    """Boot gictest natively; return (output, (verdict, detail), summary)."""
    con = boot(qemu_cmd(f"virt,gic-version={gic}", smp=2, mem="256M",
                        extra=["-kernel", GICTEST, "-append", append,
                               *extra]))
    con.expect(pexpect.EOF, timeout=RUN_TIMEOUT)
    out = con.child.before.decode(errors="replace")
    con.child.close()
    assert con.child.exitstatus == 0, f"QEMU exit {con.child.exitstatus}"
    verdicts = VERDICT_RE.findall(out)
    assert len(verdicts) == 1, out
    m = SUMMARY_RE.search(out)
    summary = (int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)) \
        if m else None
    return out, verdicts[0], summary


@pytest.mark.parametrize("gic", [3, 2])
def test_passthrough_rtc_native(boot, gic):
    out, (verdict, detail), summary = run(boot, gic, f"test={TEST}")
    assert verdict == "PASS", f"GICv{gic}: {detail}\n{out}"
    assert summary == (1, 0, 0), out
    assert "# pl031 at 0x9010000, INTID 34 (level), 3 alarms" in out, out
    alarms = ALARM_RE.findall(out)
    assert [int(i) for i, _ in alarms] == [0, 1, 2], out
    # MR = DR + 1: QEMU fires a second after the write.
    for _, ms in alarms:
        assert 500 <= int(ms) <= 2500, out


def test_passthrough_rtc_iters(boot):
    out, (verdict, detail), summary = run(boot, 3, f"test={TEST} iters=1")
    assert verdict == "PASS", f"{detail}\n{out}"
    assert len(ALARM_RE.findall(out)) == 1, out


def test_passthrough_rtc_named_only(boot):
    """It takes seconds: test=all leaves it out."""
    con = boot(qemu_cmd("virt,gic-version=3", smp=1, mem="256M",
                        extra=["-kernel", GICTEST, "-append", "test=all"]))
    con.expect(pexpect.EOF, timeout=RUN_TIMEOUT)
    out = con.child.before.decode(errors="replace")
    assert f"# skipping {TEST}: runs only when named" in out, out
    assert not VERDICT_RE.search(out), out


def test_passthrough_rtc_skips_without_pl031(boot, tmp_path):
    dtb = dump_dtb(str(tmp_path / "virt.dtb"), "virt,gic-version=3", smp=2,
                   mem="256M")
    subprocess.run(["fdtput", "-r", dtb, "/pl031@9010000"], check=True)
    out, (verdict, detail), summary = run(boot, 3, f"test={TEST}",
                                          extra=["-dtb", dtb])
    assert (verdict, detail) == ("SKIP", "no pl031 in the DTB"), out
    assert summary == (0, 0, 1), out


@pytest.mark.parametrize("gic", [3, 2])
@pytest.mark.parametrize("eoimode", [0, 1])
def test_passthrough_rtc_storm_native(boot, gic, eoimode):
    """The reference for test_rtc_passthrough_level_storm: on QEMU's own
    GIC, 10000 RTC events with the RTC cleared after EOI and DIR are 10000
    interrupts (a level interrupt whose line drops is not taken)."""
    con = boot(qemu_cmd(f"virt,gic-version={gic}", smp=2, mem="256M",
                        extra=["-kernel", GICTEST, "-append",
                               "test=passthrough_rtc_storm events=10000 "
                               f"after=1 eoimode={eoimode}"]))
    con.expect(pexpect.EOF, timeout=RUN_TIMEOUT)
    out = con.child.before.decode(errors="replace")
    assert re.search(r"^TEST passthrough_rtc_storm: PASS\r*$", out, re.M), \
        out
    assert "# pl031 storm: 10000 interrupts for 10000 events" in out, out
