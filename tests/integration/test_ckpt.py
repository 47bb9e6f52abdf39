# SPDX-License-Identifier: MIT
"""Checkpoint and restore of whole VMs (docs/design.md §7; invariants
T13, T14, T17, T18) under the ckpttest guest (guests/tests/ckpttest): a
2-vCPU, 64 MiB VM on 2 pCPUs with a 2-slot store. The guest runs a test
for a few seconds of guest time and prints "# ckpt <test>: ..." lines;
the test checkpoints and restores the VM meanwhile and reads the guest's
counts and verdict at the end. A restore rewinds the guest with its
memory: its counts are those of its final timeline.

Real time, not -icount: the console must be read while the guest waits
in WFI, and the checkpoint's own duration (tens of ms) is what puts
deadlines inside a hold.

Slot images are read out of QEMU with its monitor (pmemsave) and taken
apart with ckpt_image.py."""
import os
import re
import shlex
import subprocess
import time

import pytest

from kairos_qemu import ROOT, SUMMARY_RE, TOOLS, qemu_monitor
from ckpt_image import (HDR, IRQ_ACTIVE, IRQ_LINE, IRQ_SIZE, VCPU_APR,
                        VCPU_APR0, VCPU_PRIV, VCPU_VTIMER_CTL,
                        VCPU_VTIMER_CVAL, Image, memory_diff)

CKPTTEST = os.path.join(ROOT, "build", "guests", "ckpttest.bin")
VM = "g"
# struct ckpt_vcpu up to fpsr: x, sp_el0, pc, pstate, sys, fp_v.
VCPU_REGS_END = 984
VM_PAGES = 64 * 1024 * 1024 // 4096
VTIMER_PPI = 27

STORE_RE = re.compile(rb"kairos: checkpoint store: (\d+) slots of (\d+) MiB "
                      rb"at (0x[0-9a-f]+)[\r\n]")
# Whole lines: pexpect matches what has arrived so far.
VERDICT_RE = r"\[g\] TEST {}: (PASS|FAIL|SKIP)([^\r\n]*)[\r\n]"


@pytest.fixture(autouse=True, scope="module")
def ckpttest_built():
    if not os.path.exists(CKPTTEST):
        pytest.fail(f"{CKPTTEST} missing: run 'make guests' first")


# ---- The shell's checkpoint commands ----
# test_ckpt2 needs each checkpoint's hold, test_ckpt1/10 each restore's
# pages copied: the messages say both.

def checkpoint(con, vm, slot):
    """Checkpoint @vm into @slot; returns how long the VM was held (ms)."""
    con.send_line(f"vm checkpoint {vm} {slot}")
    m = con.expect(rf"vm: (?:{vm} checkpointed into slot {slot} \(\d+ "
                   rf"bytes, ([0-9.]+) ms\)|checkpoint of [^\r\n]* failed: "
                   rf"([^\r\n]*))\r*\n")
    assert m.group(1), f"checkpoint of {vm} into {slot} failed: " \
        f"{m.group(2).decode()}"
    return float(m.group(1))


def restore(con, vm, slot, policy="pause"):
    """Restore @vm from @slot with @policy (pause or catch-up); returns
    (pages copied, ms)."""
    con.send_line(f"vm restore {vm} {slot} {policy}")
    m = con.expect(rf"vm: (?:{vm} restored from slot {slot} \((\d+) pages "
                   rf"copied, ([0-9.]+) ms\)|restore of [^\r\n]* failed: "
                   rf"([^\r\n]*))\r*\n")
    assert m.group(1), f"restore of {vm} from {slot} failed: " \
        f"{m.group(3).decode()}"
    return int(m.group(1)), float(m.group(2))


def pause(con, vm, paused=True):
    con.send_line(f"vm {'pause' if paused else 'resume'} {vm}")
    con.send_line("vm list")
    con.expect(rf"\n\s+\d+\s+{vm}\s+{'paused' if paused else 'running'}")


# ---- Booting, the monitor ----

class Run:
    """A booted ckpttest VM: the console, the counter frequency and the
    store; with a monitor, slot images can be read out."""

    def __init__(self, con, freq, store, slot_size, monitor):
        self.con, self.freq = con, freq
        self.store, self.slot_size = store, slot_size
        self.monitor = monitor

    def verdict(self, test, timeout=60):
        m = self.con.expect(VERDICT_RE.format(test), timeout)
        return m.group(1).decode(), m.group(2).decode()

    def lines(self):
        with open(self.con.log_path, errors="replace") as f:
            return f.read()

    def dump_slot(self, slot, path):
        """The image in @slot, via pmemsave, once its CRC is done: a
        checkpoint's is computed after the VM's release, and `vm slots`
        waits for it (docs/checkpoint.md)."""
        self.con.send_line("vm slots")
        self.con.expect(rf"\n  {slot} +(used|empty) ")
        base = self.store + slot * self.slot_size
        self.monitor_cmd(f'pmemsave {base:#x} {HDR.size} "{path}"')
        with open(path, "rb") as f:
            raw = f.read()
        size = HDR.unpack(raw)[3]
        assert 0 < size <= self.slot_size, raw
        self.monitor_cmd(f'pmemsave {base:#x} {size} "{path}"')
        with open(path, "rb") as f:
            return Image(f.read())

    def monitor_cmd(self, line):
        """One command on the QEMU monitor; its output."""
        return qemu_monitor(self.monitor, line)


def start(boot, tmp_path, bootargs, gic=3, vm_opts="", slot_images=(),
          before_shell=None):
    """Boot the ckpttest VM with a store, console input at the shell.
    @before_shell: a line Kairos prints at boot, before the VM runs, to
    wait for (run.t_before: when it came)."""
    monitor = str(tmp_path / f"mon{len(os.listdir(tmp_path))}.sock")
    # The shell keeps console input from the start, so that no switch
    # (Ctrl-A k) races the guest's first lines.
    cmd = [f"{TOOLS}/kairos-qemu", "--gic", str(gic), "--smp", "2",
           "--store", "256M", "--slots", "2", "--console-input", "shell"]
    for slot, path in slot_images:
        cmd += ["--slot-image", f"{slot}={path}"]
    cmd += ["--vm", f"name={VM},image={CKPTTEST},vcpus=2,cpus=0:1,mem=64M,"
            f"{vm_opts}bootargs={bootargs}",
            "--", "-no-reboot", "-monitor", f"unix:{monitor},server,nowait"]
    con = boot(cmd)
    freq = int(con.expect(SUMMARY_RE).group(4))
    m = con.expect(STORE_RE)
    slots, mib, base = int(m.group(1)), int(m.group(2)), int(m.group(3), 16)
    assert slots == 2
    t_before = None
    if before_shell:
        con.expect(before_shell)
        t_before = time.monotonic()
    run = Run(con, freq, base, mib << 20, monitor)
    run.t_before = t_before
    return run


def timer_counts(log, test):
    """{(cpu, timer): {armed, fired, bogus, early, late, max_late_us}}."""
    out = {}
    for m in re.finditer(
            rf"# ckpt {test}: CPU(\d) (\w+) armed (\d+) fired (\d+) "
            r"bogus (\d+) early (\d+) late (\d+) max_late_us (\d+)", log):
        out[(int(m.group(1)), m.group(2))] = dict(zip(
            ("armed", "fired", "bogus", "early", "late", "max_late_us"),
            map(int, m.groups()[2:])))
    return out


def storm_sequence(run):
    """Checkpoints and restores during a storm: a restore right after its
    checkpoint, one after the guest went on, a full one (an older slot),
    an incremental one. Returns the checkpoint holds (ms) and the
    restores' (pages, ms)."""
    con = run.con
    holds, restores = [], []
    time.sleep(0.2)
    holds.append(checkpoint(con, VM, 0))
    restores.append(restore(con, VM, 0))
    time.sleep(0.3)
    holds.append(checkpoint(con, VM, 1))
    time.sleep(0.4)
    restores.append(restore(con, VM, 1))
    time.sleep(0.2)
    restores.append(restore(con, VM, 0))
    time.sleep(0.3)
    restores.append(restore(con, VM, 0))
    return holds, restores


def check_storm(run, timers):
    verdict, detail = run.verdict("storm")
    counts = timer_counts(run.lines(), "storm")
    assert verdict == "PASS", detail
    assert set(counts) == {(cpu, t) for cpu in (0, 1) for t in timers}, \
        counts
    for key, c in counts.items():
        # Every arming answered, by exactly one interrupt, never early.
        # (Few rounds on a loaded host: two vCPUs' timers can be answered
        # 100-200 ms late there, with or without checkpoints.)
        assert c["armed"] == c["fired"] and c["armed"] >= 20, (key, c)
        assert c["bogus"] == 0 and c["early"] == 0, (key, c)
    return counts


@pytest.mark.parametrize("gic", [3, 2])
def test_ckpt1_timer_storm_survives_checkpoint_and_restore(boot, tmp_path,
                                                           gic):
    """Both vCPUs arm both timers 100 us - 2 ms ahead and wait in WFI;
    two checkpoints and four restores (right after the checkpoint, after
    the guest went on, full, incremental) land in the storm. Each arming
    is answered by exactly one due interrupt."""
    run = start(boot, tmp_path, "test=storm ms=4000 timers=vp", gic=gic)
    run.con.expect(r"# ckpt storm: start")
    holds, restores = storm_sequence(run)
    counts = check_storm(run, ("vtimer", "ptimer"))
    # The full restore (an older slot) copied everything, the others
    # only what the guest wrote since.
    assert restores[2][0] == VM_PAGES, restores
    for pages, _ in (restores[0], restores[1], restores[3]):
        assert pages < VM_PAGES // 100, restores
    print(f"holds {[round(t, 1) for t in holds]} ms, restores "
          f"{[(p, round(t, 1)) for p, t in restores]}, {counts}")


def test_ckpt2_deadline_inside_the_hold_fires_once(boot, tmp_path):
    """Deadlines 100 us - 1 ms ahead while each checkpoint holds the VM
    for tens of ms: deadlines pass while it is held, and each still
    fires exactly once after the hold (T14)."""
    max_us = 1000
    run = start(boot, tmp_path,
                f"test=storm ms=4000 timers=v min_us=100 max_us={max_us} "
                f"late_us={max_us}")
    run.con.expect(r"# ckpt storm: start")
    holds, _ = storm_sequence(run)
    check_storm(run, ("vtimer",))
    counts = timer_counts(run.lines(), "storm")
    # Every hold outlasted every arming's delta: whatever was armed when
    # it began came due inside it.
    for h in holds:
        assert h > 2 * max_us / 1000, (holds, run.freq)
    # And the guest saw it: the final timeline resumed from an image
    # captured late in a hold, so one answer came that late.
    late_us = max(c["max_late_us"] for c in counts.values())
    assert late_us >= 300 * min(holds), (late_us, holds)


def test_ckpt3_deadline_passed_while_stored_fires_once(boot, tmp_path):
    """vCPU0 waits for deadlines 50 ms ahead, again and again; it is
    checkpointed, goes on 0.8 s, and is restored with catch-up: the
    deadline it was waiting for at the checkpoint is 0.75 s or more in the
    past for the restored guest. It fires once right after the resume
    (one answer late by about the time stored), not never, not again."""
    run = start(boot, tmp_path, "test=late ms=3000 delay_us=50000 "
                "late_us=400000")
    run.con.expect(r"# ckpt late: start")
    time.sleep(0.3)
    checkpoint(run.con, VM, 0)
    t0 = time.monotonic()
    time.sleep(0.8)
    restore(run.con, VM, 0, "catch-up")
    stored = time.monotonic() - t0
    verdict, detail = run.verdict("late")
    counts = timer_counts(run.lines(), "late")
    c = counts[(0, "vtimer")]
    assert verdict == "PASS", detail
    assert c["armed"] == c["fired"] and c["bogus"] == 0, c
    # Exactly one arming was answered late: the one stored.
    assert c["late"] == 1, c
    assert (stored - 0.05) * 0.8e6 <= c["max_late_us"] <= (stored + 1) * 1e6, \
        (stored, c)


def test_ckpt4_istatus_set_cval_future_raises_nothing(boot, tmp_path):
    """An image patched so that vCPU0's virtual timer reads ISTATUS = 1
    and its PPI's line is up while CVAL is 2 s or more ahead: the VM
    resumed from it at boot takes no timer interrupt until CVAL, then
    exactly one."""
    run = start(boot, tmp_path, "test=wait delay_us=4000000 quiet_us=200000")
    run.con.expect(r"# ckpt wait: armed")
    checkpoint(run.con, VM, 0)
    img = run.dump_slot(0, str(tmp_path / "slot0.img"))
    run.con.close()

    vcount = img.vm()["vcount"]
    ctl = img.vcpu_u64(0, VCPU_VTIMER_CTL)
    cval = img.vcpu_u64(0, VCPU_VTIMER_CVAL)
    flags, _ = img.irq(0, VTIMER_PPI)
    assert ctl & 3 == 1, f"vtimer CTL {ctl:#x}: want enabled, unmasked"
    ahead = (cval - vcount) / run.freq
    assert ahead > 2, f"CVAL only {ahead:.2f} s ahead"
    img.patch_vcpu(0, VCPU_VTIMER_CTL, "Q", ctl | 4)  # ISTATUS
    img.patch_vcpu(0, VCPU_PRIV + VTIMER_PPI * IRQ_SIZE, "H",
                   flags | IRQ_LINE)
    patched = tmp_path / "patched.img"
    patched.write_bytes(img.data)
    again = Image(patched.read_bytes())  # every CRC holds
    assert again.vcpu_u64(0, VCPU_VTIMER_CTL) & 4
    assert again.irq(0, VTIMER_PPI)[0] & IRQ_LINE

    run = start(boot, tmp_path, "test=wait", vm_opts="resume=0,",
                slot_images=[(0, patched)],
                before_shell=rf"kairos: VM {VM} resumes from checkpoint "
                             r"slot 0")
    t0 = run.t_before
    m = run.con.expect(r"# ckpt wait: answered at 0x[0-9a-f]+, (\d+) us "
                       r"after CVAL", timeout=30)
    waited = time.monotonic() - t0
    after_us = int(m.group(1))
    verdict, detail = run.verdict("wait")
    c = timer_counts(run.lines(), "wait")[(0, "vtimer")]
    assert verdict == "PASS", detail
    assert c["fired"] == 1 and c["bogus"] == 0 and c["early"] == 0, c
    # It came when CVAL came due (the guest's time resumes at the
    # image's count), not at the resume.
    assert waited >= 0.8 * ahead, (waited, ahead)
    assert after_us < 200000, after_us


def test_ckpt5_counter_identical_across_vcpus_after_restore(boot,
                                                            tmp_path):
    """Both vCPUs publish CNTVCT samples and check theirs against the
    other's, across restores with both policies: no vCPU ever sees its
    counter behind the other's earlier sample, nor its own (no vCPU runs
    on an old or new offset while the other has another one)."""
    run = start(boot, tmp_path, "test=sync ms=3500")
    con = run.con
    con.expect(r"# ckpt sync: start")
    time.sleep(0.2)
    checkpoint(con, VM, 0)
    time.sleep(0.3)
    restore(con, VM, 0)
    time.sleep(0.2)
    restore(con, VM, 0, "catch-up")
    checkpoint(con, VM, 1)
    time.sleep(0.2)
    restore(con, VM, 1)
    restore(con, VM, 0)
    verdict, detail = run.verdict("sync")
    m = re.search(r"# ckpt sync: checks (\d+) (\d+) behind (\d+) (\d+)",
                  run.lines())
    assert verdict == "PASS", detail
    assert m and int(m.group(3)) == 0 and int(m.group(4)) == 0, m
    assert int(m.group(1)) > 1000 and int(m.group(2)) > 1000, m.groups()


@pytest.mark.parametrize("gic,eoimode", [(3, 0), (3, 1), (2, 0)])
def test_ckpt6_active_interrupt_across_checkpoint_t17(boot, tmp_path, gic,
                                                      eoimode):
    """vCPU0 is inside a nested handler (SGI 2 at 0x80 preempted SGI 1 at
    0xa0, both active) when it is checkpointed; the image holds both
    active with their active priorities; after two restores the handlers
    end, EOI (and DIR) in reverse order, and the running priority and
    active priorities end idle (T17)."""
    run = start(boot, tmp_path, f"test=nested spin_ms=1500 eoimode={eoimode}",
                gic=gic)
    con = run.con
    con.expect(r"# ckpt nested: inside")
    checkpoint(con, VM, 0)
    img = run.dump_slot(0, str(tmp_path / "slot0.img"))
    time.sleep(0.3)
    restore(con, VM, 0)
    time.sleep(0.2)
    restore(con, VM, 0)
    verdict, detail = run.verdict("nested")
    m = re.search(r"# ckpt nested: SGI1 (\d+) SGI2 (\d+) RPR inside "
                  r"0x(\w+)/0x(\w+) after 0x(\w+) APR inside 0x(\w+) after "
                  r"0x(\w+)", run.lines())
    assert verdict == "PASS", detail
    assert m, "no nested report"
    sgi1, sgi2, rpr_outer, rpr_inner, rpr_after, apr_inside, apr_after = \
        m.groups()
    assert (sgi1, sgi2) == ("1", "1"), m.groups()
    assert (rpr_outer, rpr_inner, rpr_after) == ("a0", "80", "ff"), \
        m.groups()
    assert int(apr_inside, 16) != 0 and int(apr_after, 16) == 0, m.groups()
    # The image really caught both mid-handler.
    apr = [img.vcpu_u64(0, VCPU_APR + 8 * i) for i in range(4)] + \
        [img.vcpu_u64(0, VCPU_APR0 + 8 * i) for i in range(4)]
    assert any(apr), apr
    for sgi in (1, 2):
        assert img.irq(0, sgi)[0] & IRQ_ACTIVE, (sgi, img.irq(0, sgi))


@pytest.mark.parametrize("gic", [3, 2])
def test_ckpt7_sgi_storm_across_checkpoint_t14(boot, tmp_path, gic):
    """Both vCPUs ping each other with SGIs and wait for the answer, while
    the VM is checkpointed and restored: per direction, every ping sent is
    received and answered once (T14: nothing lost or duplicated)."""
    run = start(boot, tmp_path, "test=pingpong ms=3500", gic=gic)
    run.con.expect(r"# ckpt pingpong: start")
    storm_sequence(run)
    verdict, detail = run.verdict("pingpong")
    rows = re.findall(r"# ckpt pingpong: CPU(\d)->CPU(\d) pings sent (\d+) "
                      r"received (\d+) answered (\d+) acked (\d+)",
                      run.lines())
    assert verdict == "PASS", detail
    assert len(rows) == 2, rows
    for row in rows:
        sent, received, answered, acked = map(int, row[2:])
        assert sent == received == answered == acked and sent > 100, row


def same_vcpus(a, b):
    """The vCPUs' registers (general, PC, PSTATE, EL1 system registers,
    FP/SIMD) are the same in images @a and @b."""
    n = VCPU_REGS_END
    return all(a.vcpu_bytes(k)[:n] == b.vcpu_bytes(k)[:n] for k in range(2))


def test_ckpt10_incremental_restore_equals_full_restore(boot, tmp_path):
    """The guest fills 4 MiB and then keeps dirtying 16 pages. Paused,
    it is checkpointed into slot 0, resumed, and restored from slot 0
    again (incremental: few pages copied); checkpointed again into slot 1
    while still paused, both images hold the same memory. Then a restore
    of slot 1 and one of slot 0 (full: every page) and a checkpoint into
    slot 1: the same again. The guest's own check of its memory passes."""
    run = start(boot, tmp_path, "test=dirty ms=5000 fill_kb=4096 pages=16")
    con = run.con
    con.expect(r"# ckpt dirty: filled")
    pause(con, VM)
    checkpoint(con, VM, 0)
    base = run.dump_slot(0, str(tmp_path / "base.img"))
    assert base.vm()["paused"] == 1
    pause(con, VM, False)
    time.sleep(0.4)
    pages, _ = restore(con, VM, 0)
    assert 16 <= pages < VM_PAGES // 100, pages
    checkpoint(con, VM, 1)
    incr = run.dump_slot(1, str(tmp_path / "incr.img"))
    assert incr.vm()["paused"] == 1
    assert memory_diff(base, incr) == []
    assert same_vcpus(base, incr)

    pause(con, VM, False)
    time.sleep(0.4)
    pages1, _ = restore(con, VM, 1)  # incremental too
    assert pages1 < VM_PAGES // 100, pages1
    pause(con, VM, False)
    time.sleep(0.3)
    pages0, _ = restore(con, VM, 0)  # slot 0 is not the base: full
    assert pages0 == VM_PAGES, pages0
    checkpoint(con, VM, 1)
    full = run.dump_slot(1, str(tmp_path / "full.img"))
    assert memory_diff(base, full) == []
    assert same_vcpus(base, full)
    pause(con, VM, False)
    verdict, detail = run.verdict("dirty")
    assert verdict == "PASS", detail
    m = re.search(r"# ckpt dirty: (\d+) rounds, (\d+) bad words", run.lines())
    assert m and int(m.group(2)) == 0 and int(m.group(1)) > 100, m
    print(f"incremental restore {pages} pages, then {pages1}; full {pages0}")


def boot_resume(boot, tmp_path, image, gic=3, cpu=None, mem="64M",
                fallback="cold"):
    """Kairos with @image in slot 0 and the VM resuming from it (if it
    cannot: booting cold with @fallback "cold", not at all with None)."""
    cmd = [f"{TOOLS}/kairos-qemu", "--gic", str(gic), "--smp", "2",
           "--store", "256M", "--slots", "2", "--slot-image", f"0={image}"]
    if cpu:
        cmd += ["--cpu", cpu]
    fb = f"resume-fallback={fallback}," if fallback else ""
    cmd += ["--vm", f"name={VM},image={CKPTTEST},vcpus=2,cpus=0:1,mem={mem},"
            f"resume=0,{fb}bootargs=test=wait delay_us=1000",
            "--", "-no-reboot"]
    return boot(cmd)


@pytest.mark.parametrize("case", ["gic", "cntfrq", "config", "corrupt",
                                  "truncated"])
def test_ckpt9_mismatched_or_damaged_image_boots_cold(boot, tmp_path, case):
    """An image of a GICv3 VM at 62.5 MHz with 64 MiB, offered at boot to
    a VM that differs (GICv2; a 1 GHz counter; 32 MiB) or damaged (a bit
    of guest memory flipped; cut short): Kairos names the check that
    failed, and the VM boots cold from its images, untouched."""
    run = start(boot, tmp_path, "test=wait delay_us=4000000")
    run.con.expect(r"# ckpt wait: armed")
    checkpoint(run.con, VM, 0)
    img = run.dump_slot(0, str(tmp_path / "slot0.img"))
    run.con.close()
    data = bytearray(img.data)
    if case == "corrupt":
        data[len(data) - 4096] ^= 1  # inside the last stored page
    if case == "truncated":
        data = data[:len(data) // 2]
    bad = tmp_path / "bad.img"
    bad.write_bytes(data)
    con = boot_resume(boot, tmp_path, bad,
                      gic=2 if case == "gic" else 3,
                      cpu="max" if case == "cntfrq" else None,
                      mem="32M" if case == "config" else "64M")
    why = {"gic": r"GIC version mismatch: the image has a GICv3, g has a "
                  r"GICv2",
           "cntfrq": r"counter frequency mismatch: the image was taken at "
                     r"62500000 Hz, this board counts at 1000000000 Hz",
           "config": r"configuration mismatch: property memory: the image "
                     r"has 64 MiB at 0x40000000, g has 32 MiB at 0x40000000",
           "corrupt": r"checksum of section \d+ \(memory\) does not match",
           # The slot goes on past the file with zeros, so the cut shows
           # as the memory's checksum (kairos-ckpt on the file itself
           # says "truncated": test_ckpt_tool.py).
           "truncated": r"checksum of section \d+ \(memory\) does not "
                        r"match"}[case]
    m = con.expect(rf"kairos: VM {VM} cannot resume from checkpoint slot 0: "
                   rf"([^\r\n]*); booting it cold \(resume-fallback = "
                   r'"cold"\)')
    assert re.search(why, m.group(1).decode()), m.group(1)
    # Cold: from its image's first instruction, its own test runs.
    con.expect(r"\[g\] libguest: ckpttest, 2 CPUs")
    con.expect(VERDICT_RE.format("wait"), timeout=60)
    assert b"PASS" in con.child.after, con.child.after


def test_ckpt9_passthrough_mismatch_names_both_values(boot, tmp_path):
    """An image of the VM without passthrough, offered at boot to the same
    VM given QEMU virt's PL031 RTC (devices and interrupts): Kairos names
    the property, what the image has (none) and what the VM has (the
    RTC's range and compatible), and the VM boots cold. With only the
    interrupt given, it names the interrupt."""
    run = start(boot, tmp_path, "test=wait delay_us=4000000")
    run.con.expect(r"# ckpt wait: armed")
    checkpoint(run.con, VM, 0)
    img = tmp_path / "slot0.img"
    run.dump_slot(0, str(img))
    run.con.close()
    info = subprocess.run([os.path.join(ROOT, "build", "host", "kairos-ckpt"),
                           "info", str(img)], capture_output=True, text=True,
                          check=True).stdout
    assert "passthrough: none\n" in info, info
    for devices, why in [
            (True, r"device 0: the image has none, g has 0x9010000\+0x1000 "
                   r"\(arm,pl031\)"),
            (False, r"interrupt 0: the image has none, g has INTID 34")]:
        out = tmp_path / f"dev{int(devices)}"
        lines = subprocess.run(
            [f"{TOOLS}/kairos-qemu", "--dry-run", "--out", str(out),
             "--gic", "3", "--smp", "2", "--store", "256M", "--slots", "2",
             "--slot-image", f"0={img}", "--vm",
             f"name={VM},image={CKPTTEST},vcpus=2,cpus=0:1,mem=64M,"
             "resume=0,resume-fallback=cold,bootargs=test=wait "
             "delay_us=1000"],
            check=True, capture_output=True, text=True).stdout.splitlines()
        dtb = lines[1].split(": ", 1)[1]
        if devices:
            subprocess.run(["fdtput", "-t", "x", dtb, "/hypervisor/vm@0",
                            "devices", "0", "0x9010000", "0", "0x1000"],
                           check=True)
        subprocess.run(["fdtput", "-t", "i", dtb, "/hypervisor/vm@0",
                        "interrupts", "34"], check=True)
        con = boot(shlex.split(lines[0]) + ["-no-reboot"])
        m = con.expect(rf"kairos: VM {VM} cannot resume from checkpoint "
                       r"slot 0: ([^\r\n]*); booting it cold "
                       r'\(resume-fallback = "cold"\)')
        assert re.fullmatch(r"slot 0: configuration mismatch: property "
                            r"passthrough: " + why,
                            m.group(1).decode()), m.group(1)
        con.expect(r"\[g\] libguest: ckpttest, 2 CPUs")
        con.expect(VERDICT_RE.format("wait"), timeout=60)
        assert b"PASS" in con.child.after, con.child.after
        con.close()


def test_ckpt9_refused_resume_without_fallback_is_an_error(boot, tmp_path):
    """Without resume-fallback = "cold", a resume Kairos must refuse (here:
    an image cut short) does not boot the VM cold: the VM is not started,
    and with no VM left to run the board powers off with the failure
    status (5), so a rig sees it."""
    run = start(boot, tmp_path, "test=wait delay_us=4000000")
    run.con.expect(r"# ckpt wait: armed")
    checkpoint(run.con, VM, 0)
    img = run.dump_slot(0, str(tmp_path / "slot0.img"))
    run.con.close()
    bad = tmp_path / "bad.img"
    bad.write_bytes(img.data[:len(img.data) // 2])
    con = boot_resume(boot, tmp_path, bad, fallback=None)
    con.expect(rf"kairos: VM {VM} cannot resume from checkpoint slot 0: "
               r'[^\r\n]*; not starting it \(resume-fallback = "cold" '
               r"would boot it cold\)")
    con.expect(rf"kairos: VM {VM} stopped \(cannot resume from its "
               r"checkpoint\)")
    con.expect(r"kairos: all VMs stopped")
    rest = con.output_for(30)
    assert "libguest: ckpttest" not in rest, rest
    assert con.wait_exit() == 5
