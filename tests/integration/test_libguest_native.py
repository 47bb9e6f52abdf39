# SPDX-License-Identifier: MIT
"""libguest and the vmtest guest, natively on QEMU virt (no Kairos): the
guest is entered at EL1 with x0 = DTB, as Kairos will enter it, so the tests
whose meaning is the same without a hypervisor are checked here, and the
runner's verdict lines are checked for the cases Kairos tests rely on."""
import os
import re

import pexpect
import pytest

from kairos_qemu import ROOT, qemu_cmd

GUESTS = os.path.join(ROOT, "build", "guests")
VMTEST = os.path.join(GUESTS, "vmtest.bin")
SELFTEST = os.path.join(GUESTS, "selftest.bin")

# Test names are a contract with the Kairos integration tests.
VMTEST_NAMES = {"psci_version", "psci_cpus", "psci_off_secondary",
                "hvc_unknown", "undef", "mmio_widths", "fault_past_ram",
                "isolation", "fp_preserved", "console_io", "aarch32_el0",
                "fault_loop", "hvc_imm", "mmio_exclusive",
                "psci_cpu_on_outside_ram", "psci_smc32_args",
                "tval_negative", "virtio_mmio", "pmu_debug_own",
                "pmu_overflow_irq", "pmu_overflow_prompt"}
# Run only when named: they need a second VM, stop their VM, or check what
# Kairos does where QEMU's own firmware may do otherwise.
VMTEST_NAMED_ONLY = {"psci_off_secondary", "isolation", "console_io",
                     "fault_loop", "hvc_imm", "mmio_exclusive",
                     "psci_cpu_on_outside_ram", "psci_smc32_args",
                     "pmu_debug_own", "pmu_overflow_irq",
                     "pmu_overflow_prompt"}

VERDICT_RE = re.compile(r"^TEST (\S+): (PASS|FAIL)(?: (.*?))?\r*$", re.M)
SUMMARY_RE = re.compile(r"^SUMMARY: (\d+) passed, (\d+) failed\r*$", re.M)

# A boot runs one test to SYSTEM_OFF; QEMU then exits. Hangs end here.
BOOT_TIMEOUT = 60


@pytest.fixture(autouse=True)
def guests_built():
    for path in (VMTEST, SELFTEST):
        if not os.path.exists(path):
            pytest.fail(f"{path} missing: run 'make guests' first")


def run_guest(boot, image, append, smp=1, mem="256M"):
    """Boot @image natively (EL1), wait for QEMU to exit; return
    (output, {test: (verdict, detail)}, (passed, failed) or None)."""
    con = boot(qemu_cmd("virt", smp=smp, mem=mem,
                        extra=["-kernel", image, "-append", append]))
    con.expect(pexpect.EOF, timeout=BOOT_TIMEOUT)
    out = con.child.before.decode(errors="replace")
    con.child.close()
    assert con.child.exitstatus == 0, f"QEMU exit {con.child.exitstatus}"
    verdicts = {}
    for name, verdict, detail in VERDICT_RE.findall(out):
        assert name not in verdicts, f"two verdicts for {name}:\n{out}"
        verdicts[name] = (verdict, detail)
    m = SUMMARY_RE.search(out)
    summary = (int(m.group(1)), int(m.group(2))) if m else None
    return out, verdicts, summary


def assert_passes(out, verdicts, summary, names):
    for name in names:
        assert verdicts.get(name, ("none",))[0] == "PASS", \
            f"{name}: {verdicts.get(name)}\n{out}"
    assert summary == (len(names), 0), out


@pytest.mark.parametrize("name,smp,args", [
    ("psci_version", 1, ""),
    ("hvc_unknown", 1, ""),
    ("undef", 1, ""),
    ("fault_past_ram", 1, ""),
    ("psci_cpus", 4, "ncpus=4"),
    ("psci_cpus", 2, "ncpus=2"),
    ("fp_preserved", 1, ""),
    # The default 200000 checks: long enough that the other CPUs' threads
    # run during each loop even on a loaded 2-core host.
    ("fp_preserved", 4, "seed=7"),
])
def test_vmtest_native(boot, name, smp, args):
    out, verdicts, summary = run_guest(boot, VMTEST,
                                       f"test={name} {args}", smp=smp)
    assert_passes(out, verdicts, summary, [name])


@pytest.mark.parametrize("mem,end", [("255M", "0x4ff00000"),
                                     ("2G", "0xc0000000")])
def test_fault_past_ram_follows_dtb(boot, mem, end):
    """The end of RAM comes from the DTB, whatever its alignment."""
    out, verdicts, summary = run_guest(boot, VMTEST, "test=fault_past_ram",
                                       mem=mem)
    assert f"# RAM ends at {end}" in out, out
    assert_passes(out, verdicts, summary, ["fault_past_ram"])


def test_vmtest_lists_contract_names(boot):
    out, verdicts, summary = run_guest(boot, VMTEST, "test=list")
    listed = set(re.findall(r"^  (\w+)", out, re.M))
    assert listed == VMTEST_NAMES, out
    assert verdicts == {} and summary == (0, 0), out


def test_vmtest_all(boot):
    """test=all runs everything but the named-only tests; natively only
    the flash half of mmio_widths fails (see test_mmio_widths_native)."""
    out, verdicts, summary = run_guest(boot, VMTEST, "test=all", smp=4)
    expected = VMTEST_NAMES - VMTEST_NAMED_ONLY
    assert set(verdicts) == expected, out
    for name in expected - {"mmio_widths"}:
        assert verdicts[name][0] == "PASS", f"{name}: {verdicts[name]}"
    assert verdicts["mmio_widths"][0] == "FAIL"
    assert summary == (len(expected) - 1, 1), out


def test_mmio_widths_native(boot):
    """mmio_widths is Kairos-only in part: Kairos shows the flash banks as
    erased (0xff), QEMU's unbacked pflash reads 0. The PL011 ID registers
    (every width, sign extension, EL1 and EL0) are checked first, so the
    first failure natively must be the flash, at EL1."""
    out, verdicts, summary = run_guest(boot, VMTEST, "test=mmio_widths")
    assert verdicts["mmio_widths"] == (
        "FAIL", "EL1: ldrb of flash at 0x0 = 0x0, "
        "want 0xff (erased flash)"), out
    assert summary == (0, 1), out


def test_fp_preserved_sees_corruption(boot):
    """The check is real: a CPU that overwrites its own registers fails."""
    out, verdicts, summary = run_guest(boot, VMTEST,
                                       "test=fp_preserved corrupt", smp=2)
    verdict, detail = verdicts["fp_preserved"]
    assert verdict == "FAIL" and detail.startswith("CPU1: v0 = "), out
    assert summary == (0, 1), out


def test_psci_off_secondary(boot):
    """SYSTEM_OFF from CPU1 stops the machine: no verdict, no summary."""
    out, verdicts, summary = run_guest(boot, VMTEST,
                                       "test=psci_off_secondary", smp=2)
    assert "# CPU1: PSCI SYSTEM_OFF" in out, out
    assert verdicts == {} and summary is None, out


def test_isolation_past_ram(boot):
    """Natively, memory past RAM aborts like another VM's under Kairos."""
    out, verdicts, summary = run_guest(
        boot, VMTEST, "test=isolation addr=0x50000000")
    assert len(re.findall(r"^# \S+.* at 0x50000000: EC 0x25 DFSC 0x10",
                          out, re.M)) == 8, out
    assert_passes(out, verdicts, summary, ["isolation"])


def test_isolation_fails_on_readable_memory(boot):
    out, verdicts, summary = run_guest(
        boot, VMTEST, "test=isolation addr=0x4f000000")
    assert verdicts["isolation"] == (
        "FAIL", "ldrb at 0x4f000000 returned 0x0"), out
    assert summary == (0, 1), out


def test_isolation_needs_addr(boot):
    out, verdicts, summary = run_guest(boot, VMTEST, "test=isolation")
    assert verdicts["isolation"] == (
        "FAIL", "needs addr=<address> on the command line"), out


def test_selftest_all(boot):
    out, verdicts, summary = run_guest(boot, SELFTEST, "test=all", smp=2)
    assert_passes(out, verdicts, summary, ["el0", "mmu"])


def test_selftest_args(boot):
    out, verdicts, summary = run_guest(
        boot, SELFTEST, "test=args alpha=42 beta=0x10 flag")
    assert_passes(out, verdicts, summary, ["args"])


def test_runner_reports_failure(boot):
    out, verdicts, summary = run_guest(boot, SELFTEST,
                                       "test=fails,nosuch,el0")
    assert verdicts == {"fails": ("FAIL", "deliberate failure 42"),
                        "nosuch": ("FAIL", "no such test in selftest"),
                        "el0": ("PASS", "")}, out
    assert summary == (1, 2), out


@pytest.mark.parametrize("name,cpu", [("crash", 0), ("crash_secondary", 1)])
def test_runner_reports_crash(boot, name, cpu):
    """An exception nobody expected, on any CPU, ends the run with FAIL."""
    out, verdicts, summary = run_guest(boot, SELFTEST, f"test={name}",
                                       smp=2)
    verdict, detail = verdicts[name]
    assert verdict == "FAIL", out
    assert detail.startswith(
        f"unexpected sync exception on CPU{cpu}: EC 0x0 (unknown (UNDEF))"), \
        out
    assert "still running" not in out, out
    assert summary == (0, 1), out
