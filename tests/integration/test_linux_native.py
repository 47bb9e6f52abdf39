# SPDX-License-Identifier: MIT
"""The Debian Linux guest (guests/linux), natively on QEMU virt (no Kairos):
the reference the Kairos Linux test is compared to. 2 CPUs, GICv2 and
GICv3: it must reach user space with both CPUs online, time `sleep 1`
correctly, and power off (QEMU exit status 0). As test_linux.py, QEMU runs
with -icount shift=0,sleep=off: guest time is a function of the
instructions executed, not of the host's load, so the check is the same
on a loaded machine."""
import os
import re

import pytest

from kairos_qemu import ROOT, qemu_cmd

LINUX = os.path.join(ROOT, "build", "guests", "linux")
IMAGE = os.path.join(LINUX, "Image")
INITRD = os.path.join(LINUX, "initramfs.cpio.gz")

LOOPS = 5
SMP = 2
# `quiet`: ~10 console lines instead of ~240 (drop it to debug a boot);
# panic=-1: a panic reboots at once, which -no-reboot turns into an exit.
APPEND = (f"console=ttyAMA0 quiet panic=-1 kairos.loops={LOOPS} "
          "kairos.smp_check=1")

# The contract with guests/linux/init (and with the Kairos Linux test).
READY_RE = rb"KAIROS-LINUX-READY (\d+) cpus\r*\n"
TICK_RE = rb"KAIROS-TICK (\d+) (\d+\.\d+)\r*\n"
IRQ_RE = re.compile(r"^KAIROS-IRQ (.*?)\r*$", re.M)

# Natively under TCG user space is reached in ~2.5 s (host time).
BOOT_TIMEOUT = 60
# Each `sleep 1` is 1 s of guest time within 10% (uptime has 10 ms steps;
# the fork+exec of sleep adds ~20 ms natively).
TICK_TOLERANCE = 0.10


@pytest.fixture(autouse=True)
def linux_built():
    for path in (IMAGE, INITRD):
        if not os.path.exists(path):
            pytest.fail(f"{path} missing: run 'make linux-guest' first")


def boot_linux(boot, gic):
    return boot(qemu_cmd(f"virt,gic-version={gic}", smp=SMP, mem="512M",
                         extra=["-icount", "shift=0,sleep=off",
                                "-kernel", IMAGE, "-initrd", INITRD,
                                "-append", APPEND]))


@pytest.mark.parametrize("gic", [2, 3])
def test_linux_native(boot, gic):
    con = boot_linux(boot, gic)
    m = con.expect(READY_RE, timeout=BOOT_TIMEOUT)
    assert int(m.group(1)) == SMP, f"{m.group(1)} CPUs online, want {SMP}"

    guest = []
    for i in range(LOOPS + 1):
        m = con.expect(TICK_RE, timeout=10)
        assert int(m.group(1)) == i, f"tick {m.group(1)}, want {i}"
        guest.append(float(m.group(2)))

    con.expect(rb"KAIROS-LINUX-DONE\r*\n", timeout=20)
    irq_out = con.child.before.decode(errors="replace")
    status = con.wait_exit(timeout=20)
    assert status == 0, f"QEMU exit status {status}; log: {con.log_path}"

    g_int = [b - a for a, b in zip(guest, guest[1:])]
    print(f"GICv{gic}: guest intervals {['%.2f' % x for x in g_int]}")
    for n, dt in enumerate(g_int, 1):
        assert abs(dt - 1.0) <= TICK_TOLERANCE, \
            f"sleep 1 #{n} took {dt:.2f} s of guest time: {g_int}"

    # kairos.smp_check=1: both CPUs took timer interrupts (the arch timer
    # PPI through the GIC) and IPIs.
    irqs = {}
    for line in IRQ_RE.findall(irq_out):
        f = line.split()
        if f and f[0].endswith(":") and len(f) > SMP:
            irqs[f[0].rstrip(":")] = (f[1:1 + SMP], " ".join(f[1 + SMP:]))
    timer = [v for v in irqs.values() if v[1].endswith("arch_timer")]
    assert timer, f"no arch_timer line in /proc/interrupts:\n{irq_out}"
    chip = "GICv3" if gic == 3 else "GIC-0"
    assert timer[0][1].startswith(chip + " "), f"GICv{gic}: {timer}"
    assert all(int(c) > 0 for c in timer[0][0]), f"arch_timer: {timer}"
    assert all(int(c) > 0 for c in irqs["IPI0"][0]), \
        f"rescheduling IPIs: {irqs['IPI0']}"
