# SPDX-License-Identifier: MIT
"""Linux checkpointed in the middle of its `sleep 1`
loop and restored -- in the same boot, and after QEMU is restarted with the
image put back into the store by the boot loader (U-Boot's `load` from the
boot disk: kairos-qemu --uboot --slot-image) and the VM resuming from it
(resume-from): the
loop goes on where the image left it, each second still 1 s +- 5 % of
guest time (-icount: guest time is instructions, not host load)."""
import os
import re
import struct

from kairos_qemu import LOG_DIR, ROOT, STORE_RE, TOOLS, Monitor, monitor_args
from test_linux import BOOTARGS, LINUX

VMTEST = os.path.join(ROOT, "build", "guests", "vmtest.bin")
LOOPS = 12
TICK_RE = r"\[linux\] KAIROS-TICK (\d+) ([0-9.]+)\r*\n"


def checkpoint(con, vm, slot):
    con.send_line(f"vm checkpoint {vm} {slot}")
    m = con.expect(rf"vm: ({vm} checkpointed into|checkpoint of)[^\r\n]*")
    assert b"checkpointed" in m.group(0), m.group(0)


def restore(con, vm, slot, policy="pause"):
    con.send_line(f"vm restore {vm} {slot} {policy}")
    m = con.expect(rf"vm: ({vm} restored from|restore of)[^\r\n]*")
    assert b"restored" in m.group(0), m.group(0)


def linux_cmd(mon_path, extra=(), vm_extra=""):
    bootargs = BOOTARGS.replace("kairos.loops=5", f"kairos.loops={LOOPS}")
    # A busy VM on a third pCPU: under -icount sleep=off QEMU leaps over
    # idle guest time, up to a second, before it reads console input.
    return ([f"{TOOLS}/kairos-qemu", "--icount", "--smp", "3", "--mem", "2G",
             "--store", "640M", "--slots", "2", *extra,
             "--vm", f"name=linux,image={LINUX}/Image,"
                     f"initrd={LINUX}/initramfs.cpio.gz,vcpus=2,mem=256M,"
                     f"cpus=0:1,{vm_extra}bootargs={bootargs}",
             "--vm", f"name=busy,image={VMTEST},cpus=2,"
                     "bootargs=test=fp_preserved iters=1000000000",
             "--", "-no-reboot"] + monitor_args(mon_path))


def ticks_in(text):
    return [(int(i), float(t)) for i, t in re.findall(TICK_RE, text)]


def check_seconds(ticks):
    """Consecutive ticks of one run: each second 1 s +- 5 %."""
    for (i, a), (j, b) in zip(ticks, ticks[1:]):
        assert j == i + 1, ticks
        assert 0.95 <= b - a <= 1.05, ticks


def save_slot(mon, base, path):
    """The image in the slot at @base into @path (its own size only)."""
    head = mon.save_memory(base, 64, path + ".head")
    with open(head, "rb") as f:
        magic, _, _, total = struct.unpack_from("<8sIIQ", f.read())
    assert magic == b"KAIROSCK", magic
    return mon.save_memory(base, total, path)


def test_ckpt8_linux_sleep_loop_restored_in_place_and_after_reboot(boot):
    os.makedirs(LOG_DIR, exist_ok=True)
    mon_path = os.path.join(LOG_DIR, "ckpt8.mon")
    image = os.path.join(LOG_DIR, "ckpt8-slot0.img")
    con = boot(linux_cmd(mon_path))
    m = con.expect(STORE_RE)
    slot0 = int(m.group(3), 16)
    mon = Monitor(mon_path)

    # Checkpoint after tick 2, let it run to tick 5, restore: it goes on
    # from the checkpoint (tick 3 again), and keeps time.
    con.expect(r"\[linux\] KAIROS-TICK 2 [0-9.]+\r*\n", timeout=180)
    checkpoint(con, "linux", 0)
    con.expect(r"\[linux\] KAIROS-TICK 5 [0-9.]+\r*\n", timeout=60)
    restore(con, "linux", 0)
    after = con.expect(r"\[linux\] KAIROS-TICK 6 [0-9.]+\r*\n", timeout=60)
    text = con.child.before.decode(errors="replace") + \
        after.group(0).decode()
    ticks = ticks_in(text)
    assert ticks[0][0] == 3, text   # the loop went back to the image
    check_seconds(ticks)

    # The image out of the store, QEMU restarted with it in slot 0.
    save_slot(mon, slot0, image)
    mon.close()
    con.close()
    con = boot(linux_cmd(mon_path,
                         extra=["--uboot", "--slot-image", f"0={image}"],
                         vm_extra="resume=0,"))
    con.expect(r"Kairos: loading slot0.img into checkpoint slot 0",
               timeout=120)
    con.expect(r"kairos: VM linux resumes from checkpoint slot 0",
               timeout=300)
    con.expect(r"kairos: VM linux stopped \(PSCI SYSTEM_OFF\)", timeout=180)
    with open(con.log_path, errors="replace") as f:
        log = f.read()
    assert "KAIROS-LINUX-READY" not in log, "booted cold"
    ticks = ticks_in(log)
    assert ticks[0][0] == 3 and ticks[-1][0] == LOOPS, ticks
    check_seconds(ticks)
