# SPDX-License-Identifier: MIT
"""The gictest guest natively on QEMU's own GICv3 and GICv2 (no Kairos):
the guest runs at EL1 and drives QEMU's GIC emulation, the reference the
Kairos vGIC must match. `native` on the command line lets the guest
tolerate QEMU's known deviations from the architecture (it reports each
as a '#' line); under Kairos they are enforced."""
import os
import re

import pexpect
import pytest

from kairos_qemu import ROOT, qemu_cmd

GICTEST = os.path.join(ROOT, "build", "guests", "gictest.bin")

# Test names are a contract with the Kairos integration tests.
GICTEST_NAMES = {"sgi_pingpong", "sgi_broadcast", "sgi_source",
                 "priority_chain", "lr_overflow", "eoimode1_dir_other_cpu",
                 "disable_while_active", "icactiver_in_handler", "dist_regs",
                 "redist_regs", "ppi_pending_level"}
# What does not apply to a GIC version: SKIP, not PASS.
ONLY_ON = {"sgi_source": 2, "redist_regs": 3}
# Tests that need a second CPU.
SMP_TESTS = {"sgi_pingpong", "sgi_broadcast", "sgi_source",
             "eoimode1_dir_other_cpu"}

VERDICT_RE = re.compile(r"^TEST (\S+): (PASS|FAIL|SKIP)(?: (.*?))?\r*$",
                        re.M)
SUMMARY_RE = re.compile(
    r"^SUMMARY: (\d+) passed, (\d+) failed(?:, (\d+) skipped)?\r*$", re.M)

BOOT_TIMEOUT = 90


@pytest.fixture(autouse=True)
def gictest_built():
    if not os.path.exists(GICTEST):
        pytest.fail(f"{GICTEST} missing: run 'make guests' first")


def run_gictest(boot, gic, append, smp=4):
    """Boot gictest natively on GICv@gic; return (output, {test: (verdict,
    detail)}, (passed, failed, skipped) or None)."""
    con = boot(qemu_cmd(f"virt,gic-version={gic}", smp=smp, mem="256M",
                        extra=["-kernel", GICTEST, "-append", append]))
    con.expect(pexpect.EOF, timeout=BOOT_TIMEOUT)
    out = con.child.before.decode(errors="replace")
    con.child.close()
    assert con.child.exitstatus == 0, f"QEMU exit {con.child.exitstatus}"
    verdicts = {}
    for name, verdict, detail in VERDICT_RE.findall(out):
        assert name not in verdicts, f"two verdicts for {name}:\n{out}"
        verdicts[name] = (verdict, detail)
    m = SUMMARY_RE.search(out)
    summary = (int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)) \
        if m else None
    return out, verdicts, summary


def expected(name, gic, smp=4):
    if ONLY_ON.get(name, gic) != gic:
        return "SKIP"
    if smp < 2 and name in SMP_TESTS:
        return "SKIP"
    return "PASS"


@pytest.mark.parametrize("gic", [3, 2])
@pytest.mark.parametrize("name", sorted(GICTEST_NAMES))
def test_gictest_native(boot, gic, name):
    out, verdicts, summary = run_gictest(boot, gic, f"test={name} native")
    want = expected(name, gic)
    assert verdicts.get(name, ("none",))[0] == want, \
        f"{name} on GICv{gic}: {verdicts.get(name)}, want {want}\n{out}"
    assert summary == ((1, 0, 0) if want == "PASS" else (0, 0, 1)), out


@pytest.mark.parametrize("gic", [3, 2])
@pytest.mark.parametrize("args", ["ncpus=4 iters=5000", "ncpus=3"])
def test_sgi_pingpong_ncpus(boot, gic, args):
    out, verdicts, summary = run_gictest(
        boot, gic, f"test=sgi_pingpong {args} native")
    assert verdicts["sgi_pingpong"][0] == "PASS", out
    n = re.search(r"ncpus=(\d+)", args).group(1)
    assert f"# {n} CPUs," in out, out


@pytest.mark.parametrize("gic", [3, 2])
@pytest.mark.parametrize("smp", [1, 4])
def test_gictest_all(boot, gic, smp):
    """test=all, one boot: the tests leave the GIC as they found it."""
    out, verdicts, summary = run_gictest(boot, gic, "test=all native",
                                         smp=smp)
    assert set(verdicts) == GICTEST_NAMES, out
    for name in GICTEST_NAMES:
        assert verdicts[name][0] == expected(name, gic, smp), \
            f"{name}: {verdicts[name]}\n{out}"
    skipped = sum(expected(n, gic, smp) == "SKIP" for n in GICTEST_NAMES)
    assert summary == (len(GICTEST_NAMES) - skipped, 0, skipped), out


def test_gictest_lists_contract_names(boot):
    out, verdicts, summary = run_gictest(boot, 3, "test=list", smp=1)
    assert set(re.findall(r"^  (\w+)\r*$", out, re.M)) == GICTEST_NAMES, out


def test_dist_regs_strict_sees_qemu_itargetsr(boot):
    """Without `native` the architecture is enforced: QEMU's GICv2 keeps
    ITARGETSR bits of absent CPU interfaces (IHI 0048B 4.3.12: RAZ/WI), so
    the check is real and fails here."""
    out, verdicts, summary = run_gictest(boot, 2, "test=dist_regs")
    verdict, detail = verdicts["dist_regs"]
    assert verdict == "FAIL" and detail.startswith("ITARGETSR of SPI "), out
    assert detail.endswith("read 0xff, want 0xf (4 CPU interfaces)"), out
