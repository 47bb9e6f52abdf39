# SPDX-License-Identifier: MIT
"""Slot images in and out of a board over the control channel
(docs/control.md, "Moving slot images"), as a hardware-in-the-loop rig
uses them through the package python/kairos: a checkpoint exported to a
file and imported into another Kairos, where the guest goes on; chunks
that arrive damaged, imports cut short, images that do not validate;
errors of the board or the line that must end in a Python exception,
never a hang; and close() leaving no QEMU behind."""
import os
import re
import subprocess
import sys
import threading
import time

import pytest

from ckpt_image import Image
from kairos import ctl, xfer
from kairos.ctl import CtlError, CtlReboot, CtlTimeout, KairosCtl
from kairos_qemu import ROOT, TOOLS, qemu_monitor

CKPTTEST = os.path.join(ROOT, "build", "guests", "ckpttest.bin")
VMTEST = os.path.join(ROOT, "build", "guests", "vmtest.bin")
# A guest that arms its virtual timer for 3 s and says when it fired:
# checkpointed while it waits, it must answer after the restore.
WAIT_VM = (f"name=g,image={CKPTTEST},vcpus=1,cpus=0,mem=16M,"
           "bootargs=test=wait delay_us=3000000 quiet_us=200000")
STORE = ["--smp", "2", "--store", "64M", "--slots", "2"]


@pytest.fixture
def kairos(kairos_ctl):
    """kairos(kairos-qemu args, qemu_args) -> a connected KairosCtl."""
    return kairos_ctl


def checkpointed(kairos, slot=0):
    """A Kairos whose guest g was checkpointed into @slot while its
    timer was armed, then paused (so that it does not end the run)."""
    k = kairos(STORE + ["--vm", WAIT_VM])
    k.wait_guest("g", r"# ckpt wait: armed", timeout=60)
    k.checkpoint("g", slot)
    k.pause("g")
    return k


def slot_row(k, slot):
    return next(s for s in k.slots() if s["slot"] == slot)


def expect_goes_on(k, timeout):
    """Restore g from slot 1: it goes on from its checkpoint (its armed
    timer fires, its test passes) instead of booting again."""
    mark = len(k.guest_lines("g"))
    assert k.restore("g", 1)["state"] == "running"
    k.wait_guest("g", r"TEST wait: (PASS|FAIL)", since=mark,
                 timeout=timeout)
    after = k.guest_lines("g")[mark:]
    assert any(re.search(r"# ckpt wait: answered at 0x[0-9a-f]+, \d+ us "
                         r"after CVAL", line) for line in after), after
    assert "TEST wait: PASS" in after, after
    # It went on: no cold boot, no second arming.
    assert not any("libguest" in line or "armed" in line and "fired" not in
                   line for line in after), after


def test_round_trip_through_a_file(kairos, tmp_path):
    """Checkpoint into slot 0, export it to a file, import the file into
    slot 1 of a freshly booted Kairos and restore from it: the guest goes
    on from where it was checkpointed (its armed timer fires, its test
    passes) instead of booting again."""
    k = checkpointed(kairos)
    saved = slot_row(k, 0)
    path = tmp_path / "slot0.img"
    assert k.slot_save(0, str(path)) == saved["size"]
    data = path.read_bytes()
    img = Image(data, check_mem=True)  # every CRC, by another parser
    assert img.vm()["name"] == "g"
    assert img.vm()["vcount"] == saved["vcount"]
    k.close()

    k = kairos(STORE + ["--vm", WAIT_VM])
    k.stop("g")  # its cold boot must not be what answers below
    row = k.slot_load(1, str(path))
    assert (row["slot"], row["vm"], row["size"]) == (1, "g", len(data))
    assert row["vcount"] == saved["vcount"]
    s1 = slot_row(k, 1)
    assert (s1["state"], s1["verified"], s1["size"]) == ("used", 1, len(data))
    assert slot_row(k, 0)["state"] == "empty"
    # The same image comes back out of slot 1.
    assert xfer.export_slot(k, 1) == data
    expect_goes_on(k, timeout=60)


def test_damaged_chunks_are_refused_and_resent(kairos, tmp_path,
                                               monkeypatch):
    """A put whose CRC does not match its data is refused, the slot's
    position stays; a put past that position is refused; the import then
    resumes and completes. An export chunk damaged on the way is asked
    for again and the image comes out whole."""
    k = checkpointed(kairos)
    image = xfer.export_slot(k, 0)
    first = image[:xfer.CHUNK]
    k.request("import", 1, len(image))

    words = xfer.put_line(1, 0, first, crc=xfer.crc32c(first) ^ 1)
    r = k.request(*words, check=False, max_len=xfer.DATA_LINE_MAX)
    assert r.status == ctl.FAILED
    assert "CRC32C" in r.message and "resend from offset 0" in r.message
    assert r.rows[-1]["next"] == "0"
    # Damaged data under the right CRC: the same.
    bad = bytes([first[0] ^ 0xff]) + first[1:]
    words = xfer.put_line(1, 0, bad, crc=xfer.crc32c(first))
    r = k.request(*words, check=False, max_len=xfer.DATA_LINE_MAX)
    assert r.status == ctl.FAILED and r.rows[-1]["next"] == "0"
    # One good chunk, then one that skips a chunk.
    r = k.request(*xfer.put_line(1, 0, first), max_len=xfer.DATA_LINE_MAX)
    assert r.rows[-1]["next"] == str(len(first))
    off = 2 * xfer.CHUNK
    r = k.request(*xfer.put_line(1, off, image[off:off + xfer.CHUNK]),
                  check=False, max_len=xfer.DATA_LINE_MAX)
    assert r.status == ctl.FAILED
    assert f"resend from offset {len(first)}" in r.message
    assert k.request("import-status").rows[0]["next"] == str(len(first))
    assert slot_row(k, 1)["state"] == "empty"  # not before import-end
    row = xfer.import_slot(k, 1, image, resume=True)
    assert row["vm"] == "g" and int(row["size"]) == len(image)
    assert slot_row(k, 1)["state"] == "used"

    # Export: the first chunk row is damaged once on its way in.
    asked, real = [], xfer.decode_chunk
    orig_request = k.request

    def spy(verb, *args, **kw):
        if verb == "export":
            asked.append(int(args[1]))
        return orig_request(verb, *args, **kw)

    def damaged_once(row):
        off, data = real(row)
        if not damaged_once.done and data and data.count(0) != len(data):
            damaged_once.done = True
            row = dict(row, crc=f"{xfer.crc32c(data) ^ 1:08x}")
        return real(row)
    damaged_once.done = False
    monkeypatch.setattr(xfer, "decode_chunk", damaged_once)
    monkeypatch.setattr(k, "request", spy)
    assert xfer.export_slot(k, 1) == image
    assert damaged_once.done and asked[:2] == [0, 0], asked


def test_pipelined_puts_stay_in_the_buffer_and_resume(kairos, monkeypatch):
    """import_slot() keeps several `put`s on the way, never more
    characters unanswered than hello's rx_buffer (what Kairos's console
    holds: nothing it sends can be dropped); when one is refused (its
    chunk damaged on the way), those sent behind it are refused too, and
    it goes on from Kairos's `next`: the slot gets the image whole."""
    k = checkpointed(kairos)
    image = xfer.export_slot(k, 0)
    window = int(k.hello_row["rx_buffer"])
    assert window >= 3 * (xfer.DATA_LINE_MAX + 1)
    bad_at = next(off for off in range(2 * xfer.CHUNK, len(image),
                                       xfer.CHUNK)
                  if image[off:off + xfer.CHUNK].count(0) != xfer.CHUNK)
    unanswered, most, refused = {}, [0, 0], []
    send, wait, put = k.send_request, k.wait_answer, xfer.put_line

    def spy_send(*words, **kw):
        tag, n = send(*words, **kw)
        unanswered[tag] = n
        most[0] = max(most[0], sum(unanswered.values()))
        most[1] = max(most[1], len(unanswered))
        return tag, n

    def spy_wait(tag, *args, **kw):
        r = wait(tag, *args, **kw)
        unanswered.pop(tag)
        if r.status:
            refused.append(r.message)
        return r

    def damaged_once(slot, off, data, crc=None):
        if off == bad_at and not damaged_once.done:
            damaged_once.done = True
            crc = xfer.crc32c(data) ^ 1
        return put(slot, off, data, crc)
    damaged_once.done = False
    monkeypatch.setattr(k, "send_request", spy_send)
    monkeypatch.setattr(k, "wait_answer", spy_wait)
    monkeypatch.setattr(xfer, "put_line", damaged_once)
    row = xfer.import_slot(k, 1, image)
    assert (row["vm"], int(row["size"])) == ("g", len(image))
    assert most[1] >= 3 and most[0] <= window, (most, window)
    assert len(refused) >= 2, refused
    assert "CRC32C" in refused[0] and \
        f"resend from offset {bad_at}" in refused[0], refused
    assert all(f"resend from offset {bad_at}" in m for m in refused[1:]), \
        refused
    monkeypatch.undo()
    assert xfer.export_slot(k, 1) == image


def test_a_flood_past_rx_buffer_corrupts_nothing(kairos):
    """A client that sends three times rx_buffer of `put`s without
    waiting for any answer: whatever Kairos had to drop, it answers on,
    the import's position is a chunk boundary, and the import resumed
    from there ends with the image whole."""
    k = checkpointed(kairos)
    image = xfer.export_slot(k, 0)
    k.request("import", 1, len(image))
    window, blob, off, n = int(k.hello_row["rx_buffer"]), [], 0, 0
    while sum(map(len, blob)) < 3 * window:
        words, end = xfer._chunk_at(1, image, off % len(image))
        blob.append(f"f{n} {' '.join(map(str, words))}\r".encode())
        off, n = end % len(image), n + 1
    k.send_raw(b"".join(blob), timeout=120)
    assert k.request("hello").rows[0]["protocol"] == "1"
    nxt = int(k.request("import-status").rows[0]["next"])
    assert 0 < nxt <= len(image), nxt
    assert nxt % xfer.CHUNK == 0 or nxt == len(image), nxt
    row = xfer.import_slot(k, 1, image, resume=True)
    assert (row["vm"], int(row["size"])) == ("g", len(image))
    assert xfer.export_slot(k, 1) == image


def test_cut_or_bad_imports_leave_the_slot_empty(kairos, tmp_path):
    """import-end before every byte came, or of an image that does not
    validate (ckpt_parse, as a restore): refused with the reason, and
    the slot holds nothing a restore would take."""
    k = checkpointed(kairos)
    image = xfer.export_slot(k, 0)
    # Cut: half of it.
    k.request("import", 1, len(image))
    half = len(image) // 2 // xfer.CHUNK * xfer.CHUNK
    for off in range(0, half, xfer.CHUNK):
        k.request(*xfer.put_line(1, off, image[off:off + xfer.CHUNK]),
                  max_len=xfer.DATA_LINE_MAX)
    with pytest.raises(CtlError) as e:
        k.request("import-end", 1)
    assert e.value.status == ctl.FAILED
    assert f"{half} of the image's {len(image)} bytes came" in \
        e.value.message and "stays empty" in e.value.message
    k.request("import-abort")
    assert slot_row(k, 1)["state"] == "empty"
    with pytest.raises(CtlError) as e:
        k.restore("g", 1)
    assert e.value.status == ctl.FAILED and "slot 1" in e.value.message

    # A whole file, one byte of its memory changed (chunk CRCs fine).
    bad = bytearray(image)
    bad[len(bad) // 2] ^= 0x40
    path = tmp_path / "bad.img"
    path.write_bytes(bad)
    with pytest.raises(CtlError) as e:
        k.slot_load(1, str(path))
    assert e.value.status == ctl.FAILED
    assert re.search(r"slot 1: .*checksum.*does not match.*the slot is "
                     r"left empty", e.value.message), e.value.message
    assert slot_row(k, 1)["state"] == "empty"
    # An image bigger than the slot: refused before anything is written,
    # slot 0 keeps its image.
    with pytest.raises(CtlError) as e:
        k.request("import", 0, 1 << 40)
    assert "does not fit slot 0" in e.value.message
    assert slot_row(k, 0)["state"] == "used"
    # The channel and the store still work: the good image goes in.
    assert k.slot_load(1, str(_write(tmp_path / "good.img", image)))[
        "vm"] == "g"


def _write(path, data):
    path.write_bytes(data)
    return path


def test_unknown_vm_and_reboot_mid_request(kairos, tmp_path):
    """An unknown VM is a CtlError naming it; a Kairos that reboots while
    a request waits raises CtlReboot at once, not after the timeout."""
    mon = str(tmp_path / "mon.sock")
    k = kairos(STORE + ["--vm", WAIT_VM],
               qemu_args=("-monitor", f"unix:{mon},server,nowait"))
    with pytest.raises(CtlError) as e:
        k.restore("nosuch", 0)
    assert e.value.status == ctl.NO_VM and "nosuch" in e.value.message
    k.wait_guest("g", r"# ckpt wait: armed", timeout=60)
    k.checkpoint("g", 0)
    k.pause("g")
    # A long export in flight when the board resets.
    result = {}

    def export():
        t0 = time.monotonic()
        try:
            for _ in range(100):
                xfer.export_slot(k, 0, chunks=1, timeout=100)
        except Exception as e:  # noqa: BLE001 - the point is which
            result["error"] = e
        result["took"] = time.monotonic() - t0
    th = threading.Thread(target=export)
    th.start()
    time.sleep(1)
    reset_at = time.monotonic()
    qemu_monitor(mon, "system_reset")
    th.join(timeout=60)
    assert not th.is_alive(), "the export hangs after a reboot"
    assert isinstance(result.get("error"), CtlReboot), result
    assert "rebooted" in str(result["error"])
    assert time.monotonic() - reset_at < 60
    # Connected again, the channel works (the store survived in RAM).
    k.connect(timeout=120)
    assert k.hello()["slots"] == 2


FAKE_KAIROS = r'''
import os, sys
out = sys.stdout
def say(s):
    out.write(s + "\r\n"); out.flush()
say("Kairos 0.1.0 (gfake)")
out.write("kairos> "); out.flush()
buf = b""
while True:
    c = os.read(0, 4096)
    if not c:
        break
    buf += c
    while b"\r" in buf:
        line, buf = buf.split(b"\r", 1)
        words = line.decode().replace("\x01k", "").replace("\x15", "").split()
        if words == ["ctl"]:
            say("@ctl 0 control mode, protocol 1")
        elif len(words) < 2:
            continue
        elif words[1] == "hello":
            say(f"@{words[0]} - protocol=1 kairos=fake vms=0 slots=1 freq=1")
            say(f"@{words[0]} 0 Kairos fake")
        elif words[1] == "export":
            say(f"@{words[0]} - off={words[3]} len=3 crc=00000000 data=AAAA")
            say(f"@{words[0]} - slot=0 size=3 gen=1 next=3")
            say(f"@{words[0]} 0 end")
        elif words[1] == "slots":
            say(f"@{words[0]} zz not a status")
        elif words[1] == "list":
            say("")
            say("Kairos 0.1.0 (gfake)")
'''


def test_malformed_lines_give_exceptions(tmp_path):
    """A console that answers nonsense (a stand-in for a broken line or
    firmware): a chunk that never matches its CRC ends in TransferError
    after the retries, a final line that is no final line in CtlTimeout
    after the request's timeout, a boot banner in CtlReboot at once."""
    fake = tmp_path / "fake_kairos.py"
    fake.write_text(FAKE_KAIROS)
    with KairosCtl.spawn([sys.executable, str(fake)],
                         log=str(tmp_path / "fake.log")) as k:
        k.connect(timeout=30)
        with pytest.raises(xfer.TransferError) as e:
            xfer.export_slot(k, 0)
        assert "CRC32C" in e.value.message and \
            f"{xfer.RETRIES + 1} times" in e.value.message
        t0 = time.monotonic()
        with pytest.raises(CtlTimeout) as e:
            k.request("slots", timeout=2)
        assert 2 <= time.monotonic() - t0 < 10
        assert "no answer in 2 s" in str(e.value)
        t0 = time.monotonic()
        with pytest.raises(CtlReboot):
            k.request("list", timeout=60)
        assert time.monotonic() - t0 < 10


def _qemu_pids(pids):
    out = []
    for p in pids:
        try:
            with open(f"/proc/{p}/comm") as f:
                if f.read().startswith("qemu-system"):
                    out.append(p)
        except OSError:
            pass
    return out


@pytest.mark.parametrize("wrapper", [
    # A shell that starts the wrapper as its child and waits for it.
    'tools/kairos-qemu "$@"; echo wrapper done',
    # One whose QEMU leaves the process group (setsid).
    'setsid tools/kairos-qemu "$@"; echo wrapper done',
    # One that ignores SIGTERM itself.
    'trap "" TERM; tools/kairos-qemu "$@"; sleep 600',
], ids=["child", "setsid", "wrapper-ignores-term"])
def test_close_leaves_no_qemu(tmp_path, wrapper):
    """close() ends the whole tree it started, QEMU included, however
    the wrapper script started it."""
    cmd = ["bash", "-c", wrapper, "wrapper", "--vm",
           f"name=a,image={VMTEST}", "--", "-no-reboot"]
    k = KairosCtl.spawn(cmd, log=str(tmp_path / "close.log"), cwd=ROOT)
    deadline = time.monotonic() + 60
    qemus = []
    while not qemus and time.monotonic() < deadline:
        qemus = _qemu_pids(ctl.descendants(k.proc.pid))
        time.sleep(0.1)
    assert qemus, "the wrapper never started QEMU"
    t0 = time.monotonic()
    k.close(timeout=3)
    assert time.monotonic() - t0 < 20
    alive = [p for p in qemus if ctl._alive(p)]
    assert not alive, f"QEMU {alive} survived close()"
    assert k.proc.poll() is not None


def test_cli_slot_save_and_load(tmp_path):
    """kairosctl slot-save / slot-load: rows on stdout, a missing file is
    exit status 1 with its name, a refusal 10 + its status."""
    path = tmp_path / "a.img"
    tool = os.path.join(TOOLS, "kairosctl")
    args = ["--", "--store", "64M", "--slots", "2", "--vm",
            f"name=a,image={VMTEST},mem=16M,bootargs=test=fp_preserved "
            "iters=1000000000", "--", "-no-reboot"]
    p = subprocess.run([tool, "--qemu", "-c", "checkpoint a 0", "-c",
                        f"slot-save 0 {path}", "-c", "slot-save 1 "
                        f"{tmp_path / 'none.img'}", *args],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == ctl.EXIT_REFUSED_BASE + ctl.FAILED, p
    assert re.search(rf"slot=0 size=(\d+) file={re.escape(str(path))}",
                     p.stdout), p.stdout
    assert "slot 1 holds no image" in p.stderr, p.stderr
    assert not (tmp_path / "none.img").exists()
    size = int(re.search(r"slot=0 size=(\d+)", p.stdout).group(1))
    assert path.stat().st_size == size
    p = subprocess.run([tool, "--qemu", "-c", f"slot-load 1 {path}", "-c",
                        "restore a 1", "-c", f"slot-load 0 {path}.missing",
                        *args], capture_output=True, text=True, timeout=300)
    assert p.returncode == ctl.EXIT_FILE, p
    assert re.search(rf"slot=1 size={size} vm=a vcount=\d+", p.stdout), \
        p.stdout
    assert "vm=a slot=1 state=running" in p.stdout, p.stdout
    assert f"{path}.missing" in p.stderr, p.stderr


def test_package_installs_offline(tmp_path):
    """pip install --no-build-isolation --no-deps -e python, offline,
    into a venv: the kairosctl it installs is the checkout's."""
    venv = tmp_path / "venv"
    subprocess.run(["/usr/bin/python3", "-m", "venv",
                    "--system-site-packages", str(venv)], check=True,
                   timeout=120)
    py = str(venv / "bin" / "python")
    p = subprocess.run([py, "-m", "pip", "install", "--no-index",
                        "--no-build-isolation", "--no-deps", "-e",
                        os.path.join(ROOT, "python")],
                       capture_output=True, text=True, timeout=300,
                       cwd=str(tmp_path))
    assert p.returncode == 0, p.stdout + p.stderr
    p = subprocess.run([py, "-c", "import kairos.ctl as c; print(c.__file__)"],
                       capture_output=True, text=True, timeout=60,
                       cwd=str(tmp_path))
    assert p.stdout.strip() == os.path.join(ROOT, "python", "kairos",
                                            "ctl.py"), p
    p = subprocess.run([str(venv / "bin" / "kairosctl"), "--help"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0 and "slot-save SLOT FILE" in p.stdout, p


def test_kairos_qemu_saves_slots_at_power_off(kairos, tmp_path):
    """tools/kairos-qemu --save-slot: when Kairos powers off, the image in
    the slot is in the file (every CRC holds), and a slot without one
    writes no file; --slot-image puts it back in another boot."""
    path, none = tmp_path / "s0.img", tmp_path / "s1.img"
    k = kairos(STORE + ["--vm", WAIT_VM, "--save-slot", f"0={path}",
                        "--save-slot", f"1={none}"])
    k.wait_guest("g", r"# ckpt wait: armed", timeout=60)
    size = k.checkpoint("g", 0)["size"]
    vcount = slot_row(k, 0)["vcount"]
    # The guest ends its test and stops: the last VM, Kairos powers off.
    assert k.proc.wait(timeout=60) == 0
    img = Image(path.read_bytes(), check_mem=True)
    assert img.size == size == path.stat().st_size
    assert img.vm()["vcount"] == vcount
    assert not none.exists()
    k.close()
    with open(k.log_path, "rb") as f:
        log = f.read().decode(errors="replace")
    assert f"slot 0: {size} bytes saved to {path}" in log
    assert f"slot 1 holds no image at power-off; {none} not written" in log

    k = kairos(STORE + ["--vm", WAIT_VM, "--slot-image", f"1={path}"])
    k.stop("g")
    mark = len(k.guest_lines("g"))
    k.restore("g", 1)
    k.wait_guest("g", r"TEST wait: PASS", since=mark, timeout=60)


def test_rpi4_round_trip_over_the_pl011(tmp_path):
    """The round trip of test_round_trip_through_a_file on QEMU raspi4b
    (tools/kairos-rpi4, Kairos booted with -kernel), over the Pi's PL011
    console (--console uart0: its input is interrupt-driven, the
    mini-UART's is polled; docs/rpi4.md): checkpoint into slot 0, export
    it to a file, import the file into slot 1 of a freshly booted Pi,
    restore from it: the guest goes on (its armed timer fires, its test
    passes) instead of booting again."""
    rpi4 = os.path.join(TOOLS, "kairos-rpi4")

    def pi(name):
        return [rpi4, "--console", "uart0", "--store", "64M", "--slots",
                "2", "--out", str(tmp_path / name), "--vm", WAIT_VM]

    path = tmp_path / "pi-slot0.img"
    with KairosCtl.spawn(pi("a"), log=str(tmp_path / "a.log")) as k:
        k.connect(timeout=300)
        k.wait_guest("g", r"# ckpt wait: armed", timeout=120)
        saved = k.checkpoint("g", 0)
        k.pause("g")
        assert k.slot_save(0, str(path)) == saved["size"]
    data = path.read_bytes()
    assert Image(data, check_mem=True).vm()["name"] == "g"
    with KairosCtl.spawn(pi("b"), log=str(tmp_path / "b.log")) as k:
        k.connect(timeout=300)
        k.stop("g")  # its cold boot must not be what answers below
        row = k.slot_load(1, str(path))
        assert (row["slot"], row["vm"], row["size"]) == (1, "g", len(data))
        assert slot_row(k, 1)["verified"] == 1
        expect_goes_on(k, timeout=120)


def test_rpi4_card_loads_slot_images(tmp_path):
    """tools/kairos-rpi4 --uboot --store --slot-image: an image exported
    from the Pi (QEMU raspi4b, booted from the SD card through U-Boot)
    goes on the next card as slot0.img, the boot script loads it into
    slot 0 and the VM resumes from it at boot: it goes on where it was."""
    rpi4 = os.path.join(TOOLS, "kairos-rpi4")
    vm = WAIT_VM.replace("cpus=0,", "cpus=0,resume=0,resume-fallback=cold,")
    path = tmp_path / "pi-slot0.img"
    first = [rpi4, "--uboot", "--store", "64M", "--out", str(tmp_path / "a"),
             "--vm", WAIT_VM]
    with KairosCtl.spawn(first, log=str(tmp_path / "a.log")) as k:
        k.connect(timeout=300)
        k.wait_guest("g", r"# ckpt wait: armed", timeout=120)
        k.checkpoint("g", 0)
        k.pause("g")
        k.slot_save(0, str(path))
    Image(path.read_bytes(), check_mem=True)
    second = [rpi4, "--uboot", "--store", "64M", "--slot-image",
              f"0={path}", "--out", str(tmp_path / "b"), "--vm", vm]
    script = None
    with KairosCtl.spawn(second, log=str(tmp_path / "b.log")) as k:
        k.connect(timeout=300)
        k.wait_guest("g", r"TEST wait: (PASS|FAIL)", timeout=120)
        assert any("VM g resumes from checkpoint slot 0" in line
                   for line in k.kairos_lines()), k.kairos_lines()
        lines = k.guest_lines("g")
        assert "TEST wait: PASS" in lines, lines
        assert not any("libguest" in line for line in lines), lines
    with open(tmp_path / "b" / "boot.cmd") as f:
        script = f.read()
    assert re.search(r"^load \$\{devtype\} \$\{devnum\}:\$\{distro_bootpart\}"
                     r" 0x[0-9a-f]+ slot0\.img$", script, re.M), script
