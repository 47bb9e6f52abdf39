# SPDX-License-Identifier: MIT
"""A Linux VM's checkpoint moved between two boards over the control
channel (docs/control.md, "Moving slot images"), as a hardware-in-the-loop
rig keeps a golden image on its host: checkpointed into slot 0 of one
Kairos, exported to a file, imported into slot 1 of a freshly booted
Kairos (a new QEMU) with the same configuration, restored there: the
guest goes on.

What must move is kept small where that is honest: Linux boots with
`init_on_free=1`, so the pages it frees (its init sections, the initramfs
archive once unpacked) are zero, and zero pages are not in a checkpoint
image: some 45 MB instead of 53, nearly all of it the running kernel (the
Debian arm64 kernel of build/guests/linux; a smaller RAM does not shrink
it). The round trip took 68 minutes on a loaded 2-core host under QEMU
TCG (export 704 s, import 3341 s), so the test is marked slow: `make test-slow` runs it, `make test`
does not (docs/hil.md)."""
import os
import random
import re
import time

import pytest

import test_hil_loop
from kairos.ctl import KairosCtl
from kairos.hil import PROMPT
from kairos_qemu import LOG_DIR

UPTIME_RE = r"^UPTIME-{tag} ([0-9]+\.[0-9]+)\r?$"


def linux_cmd():
    return test_hil_loop.linux_cmd(" init_on_free=1")


def shell(k, line, regex, since, timeout=60):
    """Type @line into the guest's shell; -> the match of @regex in what
    it printed after guest line @since."""
    k.type_bytes("linux", line + "\r")
    return k.wait_guest("linux", regex, timeout=timeout, since=since)


def uptime(k, tag, first=":"):
    """The guest's /proc/uptime (CLOCK_BOOTTIME), in seconds, read after
    the shell command @first."""
    mark = len(k.guest_lines("linux"))
    m = shell(k, f"{first}; read up _ </proc/uptime; echo UPTIME-{tag} $up",
              UPTIME_RE.format(tag=tag), mark)
    return float(m.group(1))


@pytest.mark.slow
def test_linux_round_trip_between_two_boards(tmp_path):
    """State that a cold boot would not have - a shell variable and a
    file in the guest's tmpfs root - is there after the restore on the
    second board; its shell answers a new command; its clock goes on from
    where it was checkpointed."""
    os.makedirs(LOG_DIR, exist_ok=True)
    secret = f"{random.randrange(1 << 32):08x}"
    path = tmp_path / "linux-slot0.img"
    times = {}
    with KairosCtl.spawn(linux_cmd(),
                         log=os.path.join(LOG_DIR, "xfer-linux-a.log")) as k:
        k.connect()
        k.wait_guest("linux", PROMPT, timeout=300)
        mark = len(k.guest_lines("linux"))
        shell(k, f"KAIROS_SECRET={secret}; echo {secret} >/xfer-state; "
                 f"echo SET-$KAIROS_SECRET-$(cat /xfer-state)",
              rf"^SET-{secret}-{secret}\r?$", mark)
        before = uptime(k, "a")
        saved = k.checkpoint("linux", 0)
        k.pause("linux")
        t = time.monotonic()
        assert k.slot_save(0, str(path), timeout=300) == saved["size"]
        times["export"] = time.monotonic() - t

    with KairosCtl.spawn(linux_cmd(),
                         log=os.path.join(LOG_DIR, "xfer-linux-b.log")) as k:
        k.connect()
        k.stop("linux")  # its cold boot must not be what answers below
        t = time.monotonic()
        row = k.slot_load(1, str(path), timeout=300)
        times["import"] = time.monotonic() - t
        assert (row["slot"], row["vm"], row["size"]) == \
            (1, "linux", saved["size"])
        mark = len(k.guest_lines("linux"))
        assert k.restore("linux", 1)["state"] == "running"
        m = shell(k, "echo GOT-$KAIROS_SECRET-$(cat /xfer-state)",
                  r"^GOT-([0-9a-f]*)-([0-9a-f]*)\r?$", mark)
        assert m.groups() == (secret, secret), m.groups()
        after = uptime(k, "b")
        later = uptime(k, "c", "sleep 1")
        mark = len(k.guest_lines("linux"))
        shell(k, "echo ANSWER-$((6 * 7))", r"^ANSWER-42\r?$", mark)
        lines = k.guest_lines("linux")
    size = saved["size"]
    with open(os.path.join(LOG_DIR, "xfer-linux.times"), "w") as f:
        for what, secs in times.items():
            f.write(f"{what} {size} bytes {secs:.1f} s "
                    f"{size / secs / 1000:.1f} kB/s\n")
    # Its clock went on from the checkpoint (restore's default policy:
    # from where it was), not from a cold boot's zero, and it runs.
    assert before <= after < before + 60, (before, after)
    assert after + 0.9 <= later < after + 30, (after, later)
    assert not any(re.search(r"KAIROS-LINUX-READY", line)
                   for line in lines[mark:]), lines[mark:]
