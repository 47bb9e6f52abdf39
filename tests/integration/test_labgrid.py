# SPDX-License-Identifier: MIT
"""Kairos under labgrid (docs/labgrid.md): the example suite
examples/labgrid run by pytest with --lg-env on QEMU, judged by its JUnit
XML; and KairosDriver on a fake console that answers like a broken or
rebooting Kairos: every case ends in a Python exception, never a hang."""
import base64
import os
import re
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET

import pytest

from kairos_qemu import LOG_DIR, ROOT

labgrid = pytest.importorskip("labgrid")

from labgrid import Target  # noqa: E402  pylint: disable=wrong-import-position
from kairos.labgrid import KairosDriver, KairosError  # noqa: E402

EXAMPLE = os.path.join(ROOT, "examples", "labgrid")


def test_example_suite_through_labgrid():
    """prepare, then the example suite with --lg-env: every test passes,
    the ShellDriver one included, and env.yaml's loader addresses are the
    ones kairos-qemu computes."""
    os.makedirs(LOG_DIR, exist_ok=True)
    prep = subprocess.run([os.path.join(EXAMPLE, "prepare")], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert prep.returncode == 0, prep.stderr
    with open(os.path.join(EXAMPLE, "env.yaml")) as f:
        env = f.read()
    want = re.findall(r"loader,file=\S*/build/(\S+?),addr=(0x[0-9a-f]+)",
                      prep.stdout)
    have = re.findall(r"loader,file=\$BASE/../../build/(\S+?),"
                      r"addr=(0x[0-9a-f]+)", env)
    assert want and sorted(want) == sorted(have), (want, have)

    junit = os.path.join(LOG_DIR, "labgrid-example.xml")
    if os.path.exists(junit):
        os.unlink(junit)
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
         "--lg-env", os.path.join(EXAMPLE, "env.yaml"),
         os.path.join(EXAMPLE, "test_kairos_board.py"),
         f"--junitxml={junit}"],
        cwd=ROOT, capture_output=True, text=True, timeout=900,
        env={**os.environ, "PYTHONPATH": os.path.join(ROOT, "python")})
    with open(os.path.join(LOG_DIR, "labgrid-example.out"), "w") as f:
        f.write(run.stdout + run.stderr)
    assert run.returncode == 0, run.stdout[-3000:]
    suite = ET.parse(junit).getroot()
    suite = suite if suite.tag == "testsuite" else suite.find("testsuite")
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    assert "test_shell_login_and_command" in cases, list(cases)
    assert len(cases) == 5, list(cases)
    for name, case in cases.items():
        assert not list(case), (name, ET.tostring(case)[:2000])
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props.get("ENV_CONFIG", "").endswith("env.yaml"), props


# -- hostile input, on a fake console -------------------------------------

class FakeKairos:
    """A console driver that answers the control channel from a script:
    respond(tag, words) -> the bytes Kairos would print."""

    def __init__(self, respond):
        self.respond = respond
        self.out = bytearray()
        self.cond = threading.Condition()
        self.buf = b""

    def _write(self, data):
        with self.cond:
            self.buf += data
            while b"\r" in self.buf:
                line, self.buf = self.buf.split(b"\r", 1)
                line = line.replace(b"\x01k", b"").replace(b"\x15", b"")
                words = line.decode().split()
                if words == ["ctl"]:
                    self.out += b"@ctl 0 control mode, protocol 1\r\n"
                elif words:
                    self.out += self.respond(words[0], words[1:])
            self.cond.notify_all()
        return len(data)

    def _read(self, size=4096, timeout=0.0):
        from pexpect import TIMEOUT
        with self.cond:
            if not self.out:
                self.cond.wait(timeout)
            if not self.out:
                raise TIMEOUT("nothing")
            data, self.out[:] = bytes(self.out[:size]), b""
            return data


def hello(tag):
    return (f"@{tag} - protocol=1 kairos=0.1.0 vms=1 slots=2 freq=1\r\n"
            f"@{tag} 0 Kairos 0.1.0, control protocol 1\r\n").encode()


def driver(respond, timeout=3):
    """A KairosDriver bound to a FakeKairos (activated: connected)."""
    t = Target(f"fake-{time.monotonic_ns()}")
    fake = FakeKairos(respond)
    # A minimal ConsoleProtocol driver around the fake.
    from labgrid.driver.fake import FakeConsoleDriver
    con = FakeConsoleDriver(t, "console")
    con._read, con._write = fake._read, fake._write
    k = KairosDriver(t, "kairos", connect_timeout=5, timeout=timeout)
    t.activate(k)
    return t, k


def test_unknown_vm_is_a_clear_exception():
    def respond(tag, words):
        if words[0] == "hello":
            return hello(tag)
        if words[0] == "list":
            return (f"@{tag} - vm=linux id=0 state=running vcpus=1 "
                    f"exits=0\r\n@{tag} 0 1 VMs\r\n").encode()
        return f"@{tag} 2 no VM '{words[1]}'\r\n".encode()
    t, k = driver(respond)
    with pytest.raises(KairosError, match=r"no VM 'ghost'.*status 2") as e:
        k.pause("ghost")
    assert e.value.status == 2
    with pytest.raises(KairosError, match="no VM 'ghost'.*has linux"):
        k.check_vm("ghost")
    t.deactivate(k)


def test_load_image_on_a_fake_board(tmp_path):
    """KairosDriver.load_image(): the image goes in chunks whose CRC32C
    Kairos checks, staged in the last empty slot, announced with the
    whole image's CRC; Kairos's refusal (a running VM) and a missing file
    are KairosError."""
    from kairos import xfer
    image = bytes(range(256)) * 20 + bytes(4000)
    path = tmp_path / "fw.bin"
    path.write_bytes(image)
    got, state = bytearray(), {"vm": "stopped"}

    def respond(tag, words):
        if words[0] == "hello":
            return hello(tag)
        if words[0] == "slots":
            return (f"@{tag} - slot=0 state=used\r\n@{tag} - slot=1 "
                    f"state=empty\r\n@{tag} - slot=2 state=used\r\n"
                    f"@{tag} 0 3 slots\r\n").encode()
        if words[0] == "load-image":
            if state["vm"] != "stopped":
                return f"@{tag} 5 VM dut is not stopped\r\n".encode()
            state["begin"] = words[1:]
            return f"@{tag} - slot={words[2]} next=0\r\n@{tag} 0 ok\r\n" \
                .encode()
        if words[0] == "put":
            data = base64.b64decode(words[4])
            assert int(words[3], 16) == xfer.crc32c(data)
            got.extend(data)
        elif words[0] == "zero":
            got.extend(bytes(int(words[3])))
        elif words[0] == "import-end":
            return (f"@{tag} - vm=dut slot={words[1]} size={len(got)} "
                    f"crc={xfer.crc32c(bytes(got)):08x} entry=0x40080000"
                    f"\r\n@{tag} 0 loaded\r\n").encode()
        return f"@{tag} - slot=1 next={len(got)}\r\n@{tag} 0 taken\r\n" \
            .encode()
    t, k = driver(respond)
    row = k.load_image("dut", str(path))
    assert bytes(got) == image
    assert state["begin"] == ["dut", "1", str(len(image)),
                              f"{xfer.crc32c(image):08x}"]
    assert (row["slot"], row["size"]) == (1, len(image))
    state["vm"] = "running"
    with pytest.raises(KairosError, match="not stopped") as e:
        k.load_image("dut", str(path), slot=1)
    assert e.value.status == 5
    with pytest.raises(KairosError, match="none.bin"):
        k.load_image("dut", str(tmp_path / "none.bin"))
    t.deactivate(k)


def test_malformed_answers_time_out_with_the_last_lines():
    """Lines that are no answer (garbage, a final line under another tag)
    never pass for one: the request ends after its timeout, naming what
    the console printed."""
    def respond(tag, words):
        if words[0] == "hello":
            return hello(tag)
        return (b"@@@ garbage \xff\xfe\r\n@" + str(int(tag) + 7).encode() +
                b" 0 not yours\r\n@" + tag.encode() + b" x half\r\n")
    t, k = driver(respond, timeout=2)
    start = time.monotonic()
    with pytest.raises(KairosError, match=r"(?s)no answer in 2.0 s.*garbage"):
        k.resume("linux")
    assert time.monotonic() - start < 10
    t.deactivate(k)


def test_kairos_rebooting_mid_request():
    """The boot banner while a request waits: CtlReboot at once, as a
    KairosError, not a wait for the timeout."""
    def respond(tag, words):
        if words[0] == "hello":
            return hello(tag)
        return b"Kairos 0.1.0 (g1234)\r\nkairos: 2 CPUs\r\n"
    t, k = driver(respond, timeout=60)
    start = time.monotonic()
    with pytest.raises(KairosError, match="rebooted"):
        k.checkpoint("linux", 0)
    assert time.monotonic() - start < 10
    t.deactivate(k)


def test_silent_console_fails_activation():
    """A console where nothing answers: activation gives up after
    connect_timeout with KairosError."""
    t = Target(f"fake-{time.monotonic_ns()}")
    from labgrid.driver.fake import FakeConsoleDriver
    FakeConsoleDriver(t, "console")
    k = KairosDriver(t, "kairos", connect_timeout=2)
    start = time.monotonic()
    with pytest.raises(KairosError, match="control mode"):
        t.activate(k)
    assert time.monotonic() - start < 15
