# SPDX-License-Identifier: MIT
"""A new image loaded into a stopped VM over the control channel
(docs/control.md, "Loading a new image"), as a hardware-in-the-loop rig
flashes a new build into the device under test: the VM runs one guest,
is stopped, gets another guest's image, and its next start boots that
one; a load into a running VM is refused and changes nothing."""
import os
import re
import subprocess
import sys

import pytest

from kairos import ctl, xfer
from kairos.ctl import CtlError
from kairos_qemu import ROOT, TOOLS

GUESTS = os.path.join(ROOT, "build", "guests")
VMTEST = os.path.join(GUESTS, "vmtest.bin")
TIMERTEST = os.path.join(GUESTS, "timertest.bin")
# vmtest checking its FP registers for long enough to be stopped.
BUSY = f"image={VMTEST},vcpus=1,cpus=0,mem=16M," \
       "bootargs=test=fp_preserved iters=1000000000"
# h keeps the board on when g's new guest finds no such test and stops.
ARGS = ["--store", "64M", "--slots", "2", "--vm", f"name=g,{BUSY}",
        "--vm", f"name=h,{BUSY}"]
BANNER = r"libguest: (\w+), 1 CPUs"


@pytest.fixture
def kairos(kairos_ctl):
    """A Kairos booted with ARGS, connected; closed after the test."""
    return kairos_ctl(ARGS)


def banners(k, since=0):
    return [m.group(1) for line in k.guest_lines("g")[since:]
            for m in [re.match(BANNER, line)] if m]


def test_stopped_vm_boots_the_loaded_image(kairos):
    """vmtest runs; a load while it runs is refused (status 5) and it
    runs on; stopped, it gets timertest.bin (staged in the last empty
    slot, the CRC Kairos computed being the file's); `start` boots
    timertest, not vmtest; after load-image-revert a start boots vmtest
    again."""
    k = kairos
    k.wait_guest("g", r"# running fp_preserved", timeout=60)
    assert banners(k) == ["vmtest"]

    with pytest.raises(CtlError) as e:
        k.load_image("g", TIMERTEST, slot=1)
    assert e.value.status == ctl.BAD_STATE
    assert "VM g is not stopped" in e.value.message
    assert k.info("g")["vm"]["state"] == "running"
    assert k.request("import-status").message == "no import"

    k.stop("g")
    with open(TIMERTEST, "rb") as f:
        image = f.read()
    row = k.load_image("g", TIMERTEST)
    assert (row["vm"], row["slot"], row["size"]) == ("g", 1, len(image))
    assert row["crc"] == f"{xfer.crc32c(image):08x}"
    mark, events = len(k.guest_lines("g")), len(k.events())
    r = k.request("start", "g")
    assert r.message == "started from its loaded kernel"
    k.wait_guest("g", BANNER, since=mark, timeout=60)
    assert banners(k, mark) == ["timertest"]
    k.wait_guest("g", r"SUMMARY: ", since=mark, timeout=60)
    assert any("TEST fp_preserved: FAIL no such test in timertest" in line
               for line in k.guest_lines("g")[mark:])
    assert any(f"VM g: boots its loaded kernel ({len(image)} bytes in "
               f"slot 1" in line for line in k.kairos_lines())

    # Back to the configured image; h ran on untouched.
    assert k.info("h")["vm"]["state"] == "running"
    k.wait_event("stopped", vm="g", since=events, timeout=60)
    k.request("load-image-revert", "g")
    mark = len(k.guest_lines("g"))
    assert k.request("start", "g").message == "started"
    k.wait_guest("g", r"# running fp_preserved", since=mark, timeout=60)
    assert banners(k, mark) == ["vmtest"]


def test_kairosctl_load_image(tmp_path):
    """kairosctl load-image VM FILE SLOT between `stop` and `start`: the
    image's row printed and the start taken; a missing FILE is exit
    status 1 with its name."""
    log = tmp_path / "console.log"
    cmd = [sys.executable, os.path.join(TOOLS, "kairosctl"), "--qemu",
           "--log", str(log), "-c", "stop g", "-c",
           f"load-image g {TIMERTEST} 0", "-c", "start g", "--", *ARGS,
           "--", "-no-reboot"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    size = os.path.getsize(TIMERTEST)
    assert re.search(rf"^vm=g slot=0 size={size} crc=[0-9a-f]{{8}} "
                     rf"entry=0x[0-9a-f]+ file=", out.stdout, re.M), out.stdout
    missing = str(tmp_path / "none.bin")
    out = subprocess.run([*cmd[:5], "-c", f"load-image g {missing}", "--",
                          *ARGS, "--", "-no-reboot"],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 1 and missing in out.stderr, out.stderr
