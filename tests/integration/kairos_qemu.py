# SPDX-License-Identifier: MIT
"""Boot Kairos under QEMU and talk to its console (pexpect)."""
import os
import re
import shlex
import socket
import subprocess

import pexpect

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
BUILD = os.path.join(ROOT, "build", "qemu-virt")
KAIROS_BIN = os.path.join(BUILD, "kairos.bin")
LOG_DIR = os.path.join(ROOT, "build", "test", "logs")
TOOLS = os.path.join(ROOT, "tools")

SUMMARY_RE = re.compile(
    rb"kairos: (\d+) CPUs, GICv([23]), (\d+) MiB RAM, counter (\d+) Hz")

# Every expect() has its own bound; nothing waits for ever.
DEFAULT_TIMEOUT = 60


class Console:
    """A running QEMU with the Kairos serial console on its stdio."""

    def __init__(self, cmd, name):
        os.makedirs(LOG_DIR, exist_ok=True)
        self.log_path = os.path.join(LOG_DIR, name + ".log")
        self.log = open(self.log_path, "wb")
        self.log.write(("$ " + shlex.join(cmd) + "\n").encode())
        # Only what the console printed: input shows through its echo,
        # and logging it where it was sent could split a printed line.
        self.child = pexpect.spawn(cmd[0], cmd[1:], timeout=DEFAULT_TIMEOUT)
        self.child.logfile_read = self.log

    def expect(self, pattern, timeout=DEFAULT_TIMEOUT):
        """Wait for a regex (bytes or str); returns the match."""
        if isinstance(pattern, str):
            pattern = pattern.encode()
        try:
            self.child.expect(pattern, timeout=timeout)
        except (pexpect.TIMEOUT, pexpect.EOF) as e:
            raise AssertionError(
                f"console never showed {pattern!r} "
                f"({type(e).__name__}); log: {self.log_path}\n"
                f"last output:\n{self.tail()}") from None
        return self.child.match

    def selftests_and_prompt(self, ncpus, before=""):
        """After the boot's summary line: wait for the shell prompt and
        for the timerq self-test verdicts of @ncpus CPUs, which run in
        the background and may come before or after the prompt (or in
        @before, the log up to the summary). Returns {cpu: "passed" or
        "FAILED"} and the text read."""
        verdicts = {int(c): v for c, v in re.findall(
            r"kairos: CPU(\d+) timerq self-test (passed|FAILED)", before)}
        text, prompt = "", False
        while not prompt or len(verdicts) < ncpus:
            m = self.expect(rb"kairos: CPU(\d+) timerq self-test "
                            rb"(passed|FAILED)[^\n]*|kairos> ")
            text += self.child.before.decode(errors="replace") + \
                m.group(0).decode(errors="replace")
            if m.group(1) is None:
                prompt = True
            else:
                verdicts[int(m.group(1))] = m.group(2).decode()
        return verdicts, text

    def expect_loads(self, files, timeout=60):
        """U-Boot's `load` of each of @files in order, each whole (its
        size is what U-Boot says it read), then the jump to Kairos."""
        for f in files:
            m = self.expect(r"(\d+) bytes read in", timeout=timeout)
            assert int(m.group(1)) == os.path.getsize(f), f
        self.expect(r"Starting kernel", timeout=timeout)

    def output_for(self, seconds):
        """Everything printed during the next @seconds."""
        try:
            self.child.expect(pexpect.EOF, timeout=seconds)
        except pexpect.TIMEOUT:
            pass
        return self.child.before.decode(errors="replace")

    def send_line(self, line):
        self.child.send(line.encode() + b"\r")

    def to_shell(self):
        """Console input to the Kairos shell (Ctrl-A k): with one VM it
        goes to that VM from boot on."""
        self.child.send(b"\x01k")
        self.expect(r"kairos: console input to the Kairos shell")
        self.expect(r"kairos> ")

    def tail(self):
        with open(self.log_path, "rb") as f:
            return f.read()[-2000:].decode(errors="replace")

    def wait_exit(self, timeout=DEFAULT_TIMEOUT):
        self.expect(pexpect.EOF, timeout)
        self.child.close()
        return self.child.exitstatus

    def alive(self):
        return self.child.isalive()

    def close(self):
        if self.child.isalive():
            self.child.terminate(force=True)
        self.log.close()


def machine(gic=3, extra=""):
    m = f"virt,virtualization=on,gic-version={gic}"
    return m + ("," + extra if extra else "")


def qemu_cmd(machine_opts, cpu="cortex-a72", smp=1, mem="1G", extra=()):
    return ["qemu-system-aarch64", "-M", machine_opts, "-cpu", cpu,
            "-smp", str(smp), "-m", mem, "-nographic", "-nic", "none",
            "-no-reboot", *extra]


def dump_dtb(path, machine_opts, cpu="cortex-a72", smp=1, mem="1G"):
    """Write the DTB QEMU would hand over for this machine."""
    subprocess.run(qemu_cmd(machine_opts + ",dumpdtb=" + path, cpu, smp, mem),
                   check=True, capture_output=True)
    return path


class Monitor:
    """QEMU's QMP on a unix socket: pass monitor_args(path) to QEMU (after
    kairos-qemu's --), then Monitor(path).save_memory(...)."""

    def __init__(self, path, timeout=60):
        import socket
        import time
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX)
                self.sock.connect(path)
                break
            except OSError:
                self.sock.close()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        self.sock.settimeout(timeout)
        self.buf = b""
        self._reply()  # the greeting
        self.execute("qmp_capabilities")

    def _reply(self):
        import json
        while True:
            while b"\n" not in self.buf:
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise AssertionError("QEMU's QMP socket closed")
                self.buf += chunk
            line, self.buf = self.buf.split(b"\n", 1)
            msg = json.loads(line)
            if "event" not in msg:
                return msg

    def execute(self, cmd, **arguments):
        import json
        self.sock.sendall(json.dumps({"execute": cmd,
                                      "arguments": arguments}).encode()
                          + b"\n")
        r = self._reply()
        if "error" in r:
            raise AssertionError(f"QMP {cmd}: {r['error']}")
        return r.get("return")

    def save_memory(self, addr, size, path):
        """@size bytes of guest-physical (here: host) memory into @path."""
        self.execute("pmemsave", val=addr, size=size, filename=path)
        return path

    def close(self):
        self.sock.close()


def monitor_args(path):
    return ["-qmp", f"unix:{path},server,nowait"]


# To the end of the line: pexpect matches what has arrived so far, and a
# half-printed address would match too.
STORE_RE = re.compile(
    rb"kairos: checkpoint store: (\d+) slots of (\d+) MiB at "
    rb"0x([0-9a-f]+)[\r\n]")


def qemu_monitor(path, line):
    """One command on the QEMU human monitor at the UNIX socket @path; its
    output. Fails on an error or an unknown command."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(30)
        s.connect(path)
        out = b""
        for send in (None, line):
            if send is not None:
                s.sendall(send.encode() + b"\n")
                out = b""
            # The prompt after the banner, then after the command.
            while not out.endswith(b"(qemu) "):
                chunk = s.recv(4096)
                assert chunk, f"monitor closed: {out!r}"
                out += chunk
    out = out.decode(errors="replace")
    assert "rror" not in out and 'Try "help' not in out, out
    return out
