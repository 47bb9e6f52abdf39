# SPDX-License-Identifier: MIT
"""A VM's fresh RAM reads as zero, whatever was in that memory before:
the bench guest's ram_fresh test (guests/bench/ram.c) checks every page
above its image at boot, then fills them with a pattern on request. The
same memory then goes to a new VM started from the shell, to a VM
restored from a checkpoint taken while it was fresh, and, after a board
reset that keeps RAM (QEMU's system_reset), to the VM of the new boot;
each must read zeros, never the pattern. And the memops self-test
(tools/kairos-qemu --selftest memops): Kairos's copy, CRC32C and zeroing
routines at EL2 against references, with the CRC32C instructions and
with the tables."""
import os
import shlex
import subprocess

import pytest

from kairos_qemu import ROOT, TOOLS, qemu_monitor

BENCH = os.path.join(ROOT, "build", "guests", "bench.bin")
# Written by Kairos before its CRC32C moved into arch/aarch64/memops.S
# (the C intrinsics of lib/ckpt_format.c): the bench guest's ram_fresh
# test, 32 MiB, checkpointed into slot 0 at its first "ready".
OLD_IMAGE = os.path.join(ROOT, "tests", "fixtures", "ckpt-bench-32m-v1.img")
CKPT_TOOL = os.path.join(ROOT, "build", "host", "kairos-ckpt")
VM = "t"
FRESH = rf"\[{VM}\] # ram: fresh, (\d+) pages at 0x[0-9a-f]+ all zero"
READY = rf"\[{VM}\] # ram: ready"
FAILED = rf"\[{VM}\] TEST ram_fresh: FAIL([^\r\n]*)[\r\n]"


@pytest.fixture(autouse=True, scope="module")
def bench_built():
    if not os.path.exists(BENCH):
        pytest.fail(f"{BENCH} missing: run 'make guests' first")


def start(boot, tmp_path, store=False, no_reboot=True):
    monitor = str(tmp_path / "mon.sock")
    cmd = [f"{TOOLS}/kairos-qemu", "--smp", "1", "--console-input", "shell"]
    if store:
        cmd += ["--store", "80M", "--slots", "1"]
    cmd += ["--vm", f"name={VM},image={BENCH},mem=32M,"
            "bootargs=test=ram_fresh", "--",
            "-monitor", f"unix:{monitor},server,nowait"]
    if no_reboot:
        cmd.append("-no-reboot")
    con = boot(cmd)
    con.monitor = monitor
    return con


def fresh(con):
    """The guest found its RAM zero (else its verdict says where not)."""
    m = con.expect(rf"{FRESH}|{FAILED}", timeout=120)
    assert m.group(1), f"not zero: {m.group(2).decode()}"
    con.expect(READY)
    return int(m.group(1))


def to_vm(con, line, answer):
    """One line to the VM's UART; the guest's answer (a match, which
    may be None: @answer is a regex with groups), then console input
    back at the shell."""
    con.child.send(b"\x010")
    con.expect(rf"kairos: console input to VM {VM}")
    con.send_line(line)
    m = con.expect(answer, timeout=120)
    if m.lastindex is None or m.group(1):  # not a failed verdict
        con.expect(READY)
    con.child.send(b"\x01k")
    con.expect(r"kairos: console input to the Kairos shell")
    return m


def fill(con):
    to_vm(con, "fill", rf"\[{VM}\] # ram: filled")


def check(con):
    m = to_vm(con, "check", rf"{FRESH}|{FAILED}")
    assert m.group(1), f"not zero: {m.group(2).decode()}"
    return int(m.group(1))


def shell(con, line, answer):
    con.send_line(line)
    return con.expect(answer)


def monitor(con, line):
    return qemu_monitor(con.monitor, line)


def test_fresh_ram_after_stop_and_start_from_the_shell(boot, tmp_path):
    con = start(boot, tmp_path)
    pages = fresh(con)
    assert pages > 32 * 256 * 3 // 4, pages
    fill(con)
    shell(con, f"vm stop {VM}", rf"kairos: VM {VM} stopped")
    shell(con, f"vm start {VM}", rf"kairos: VM {VM}: started")
    assert fresh(con) == pages


def test_fresh_ram_with_passthrough_after_stop_and_start(boot, tmp_path):
    """A VM given a device (QEMU virt's PL031) is not zeroed at first
    touch but whole, by its own vCPU in steps, before its images load:
    it reads zeros all the same."""
    out = subprocess.run(
        [f"{TOOLS}/kairos-qemu", "--dry-run", "--smp", "1",
         "--console-input", "shell", "--out", str(tmp_path), "--vm",
         f"name={VM},image={BENCH},mem=32M,bootargs=test=ram_fresh"],
        check=True, capture_output=True, text=True).stdout.splitlines()
    dtb = out[1].split(": ", 1)[1]
    subprocess.run(["fdtput", "-t", "x", dtb, "/hypervisor/vm@0", "devices",
                    "0", "0x9010000", "0", "0x1000"], check=True)
    con = boot(shlex.split(out[0]) + ["-no-reboot"])
    pages = fresh(con)
    fill(con)
    shell(con, f"vm stop {VM}", rf"kairos: VM {VM} stopped")
    shell(con, f"vm start {VM}", rf"kairos: VM {VM}: started")
    assert fresh(con) == pages


def test_fresh_ram_after_restore(boot, tmp_path):
    """Checkpointed while fresh; restored over the pattern twice: right
    after the fill (an incremental restore: the pages written since) and
    after a stop and start and another fill (a full one)."""
    con = start(boot, tmp_path, store=True)
    pages = fresh(con)
    shell(con, f"vm checkpoint {VM} 0", rf"vm: {VM} checkpointed into slot 0")
    fill(con)
    m = shell(con, f"vm restore {VM} 0",
              rf"vm: {VM} restored from slot 0 \((\d+) pages copied")
    assert int(m.group(1)) >= pages, "the filled pages were not restored"
    assert check(con) == pages
    shell(con, f"vm stop {VM}", rf"kairos: VM {VM} stopped")
    shell(con, f"vm start {VM}", rf"kairos: VM {VM}: started")
    assert fresh(con) == pages
    fill(con)
    m = shell(con, f"vm restore {VM} 0",
              rf"vm: {VM} restored from slot 0 \((\d+) pages copied")
    assert int(m.group(1)) == 32 * 256, "not a full restore"
    assert check(con) == pages


def test_fresh_ram_after_board_reset_with_ram_kept(boot, tmp_path):
    con = start(boot, tmp_path, no_reboot=False)
    pages = fresh(con)
    fill(con)
    monitor(con, "system_reset")
    con.expect(r"kairos: CPU0 online")
    assert fresh(con) == pages


def test_image_written_before_memops_still_verifies_and_resumes(boot):
    """An image of the old CRC code: the host tool verifies it, and
    Kairos checks every CRC of it (a resume trusts nothing) and resumes
    the VM, which finds its RAM as it was: zero above its image."""
    p = subprocess.run([CKPT_TOOL, "verify", OLD_IMAGE],
                       capture_output=True, text=True, check=False)
    assert p.returncode == 0, p.stdout + p.stderr
    con = boot([f"{TOOLS}/kairos-qemu", "--smp", "1", "--console-input",
                "shell", "--store", "80M", "--slots", "1", "--slot-image",
                f"0={OLD_IMAGE}", "--vm",
                f"name={VM},image={BENCH},mem=32M,resume=0,"
                "bootargs=test=ram_fresh", "--", "-no-reboot"])
    con.expect(rf"kairos: VM {VM} resumes from checkpoint slot 0",
               timeout=120)
    shell(con, f"vm resume {VM}", "kairos> ")
    assert check(con) > 32 * 256 * 3 // 4


def test_memops_selftest_at_el2(boot):
    con = boot([f"{TOOLS}/kairos-qemu", "--smp", "1", "--cpu", "max",
                "--selftest", "memops", "--vm",
                f"name={VM},image={BENCH},bootargs=test=boot samples=1",
                "--", "-no-reboot"])
    m = con.expect(r"kairos: memops self-test (passed|FAILED): "
                   r"([^\r\n]*)[\r\n]", timeout=300)
    verdict, detail = m.group(1).decode(), m.group(2).decode()
    assert verdict == "passed", detail
    assert "instructions passed" in detail and "tables passed" in detail, \
        detail
