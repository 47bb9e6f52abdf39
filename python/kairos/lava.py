# SPDX-License-Identifier: MIT
"""Kairos under LAVA (docs/hil.md): the QEMU command a LAVA `qemu` boot
runs, and the worker-side command that restores a VM between test
definitions.

LAVA owns the console of the board it boots: its connection is the
stdio of the "QEMU binary" named in the device dictionary. That binary is
tools/kairos-lava-qemu (this module's `qemu` command): it boots Kairos
through tools/kairos-qemu on a pty of its own and copies bytes both ways
between LAVA and Kairos's console, so LAVA sees the console as it is
(guest lines labelled `[vm] `). It also listens on a Unix socket; a client
there (`python3 -m kairos.lava ctl --socket PATH restore linux 0`, run by
a LAVA `command:` action between test definitions) gets one control
channel request done on the same console, docs/control.md:

    Ctrl-A k  Ctrl-U  ctl      (control mode, banner `@ctl 0`)
    <t> list                   (the id of the VM that has console input)
    <t> restore linux 0        (the request the client asked for)
    <t> exit                   (back to the shell, `kairos> `)
    Ctrl-A <id>                (console input back to that VM)

While it does so, LAVA's input waits (it stays in the pty); Kairos's
output still goes to LAVA, so the job log shows the request and answer.

Only the Python standard library is used.
"""
import ctypes
import os
import re
import select
import signal
import socket
import subprocess
import sys
import termios
import time
import tty

from kairos.ctl import kairos_qemu_tool, kill_tree

EXIT_USAGE = 2
EXIT_FAILED = 1
#: The exit status of `ctl` when Kairos refused the request: 10 + status.
EXIT_REFUSED_BASE = 10

_LABEL_RE = re.compile(r"[A-Za-z0-9_-]+\Z")
_TAG_RE = re.compile(r"[A-Za-z0-9_-]{1,16}\Z")
_FILE_REF_RE = re.compile(r'"lava:([A-Za-z0-9_-]+)"')
_LIST_ROW_RE = re.compile(rb"@(\S+) - ([^\r\n]*)")
# Kairos has printed its console help: the shell (or one VM) has input.
_CONSOLE_READY_RE = re.compile(rb"kairos: console input to VM|kairos> ")

QEMU_USAGE = """\
usage: kairos-lava-qemu [--socket PATH] [--console-vm NAME]
           [--file LABEL=PATH]... [--system FILE.dts] [KAIROS-QEMU ARGS]...
       kairos-lava-qemu --serial DEVICE [--baud N] [--socket PATH]
           [--console-vm NAME]
The command LAVA's qemu boot method runs (python3 -m kairos.lava qemu):
boots tools/kairos-qemu with KAIROS-QEMU ARGS on a pty and copies its
console to stdio both ways (docs/hil.md). With --serial, the console is
a board's serial port instead (a device dictionary's connection_command).
  --socket PATH      listen there for requests of kairos-lava-ctl
  --console-vm NAME  the VM LAVA talks to: console input goes to it once
                     Kairos is up, and again after every request
  --file LABEL=PATH  a file the job deployed (its LAVA image label)
  --system FILE.dts  a kairos-qemu system file in which a string
                     "lava:LABEL" names the --file of that LABEL
  --serial DEVICE    a board's console (8N1, raw, no flow control)
  --baud N           its speed (default 115200)
  -h, --help         this text
KAIROS-QEMU ARGS are checked first (kairos-qemu --dry-run): a refusal is
its one line, and its exit status.
"""

CTL_USAGE = """\
usage: kairos-lava-ctl --socket PATH VERB [ARG]...
One control channel request (docs/control.md) on the console of a running
kairos-lava-qemu (python3 -m kairos.lava ctl), e.g. `restore linux 0`;
prints the answer's data lines, then the request, its status and message.
  --socket PATH   the --socket of that kairos-lava-qemu
  -h, --help      this text
Exit status: 0 when Kairos answered 0, 10 + its status when it refused,
1 when the request did not get through, 2 for bad usage.
"""


class UsageError(Exception):
    """A bad command line; the message says what is wrong."""


# -- the system file -------------------------------------------------------

def resolve_system(text, files, where):
    """@text (a system file) with every "lava:LABEL" replaced by the path
    of the --file of that LABEL; UsageError naming @where and the label
    when there is none."""
    def one(m):
        label = m.group(1)
        if label not in files:
            known = ", ".join(sorted(files)) or "none"
            raise UsageError(f"{where}: \"lava:{label}\" names no --file "
                             f"(given: {known})")
        path = os.path.abspath(files[label])
        if '"' in path or "\\" in path:
            raise UsageError(f"--file {label}={files[label]}: a path with "
                             f"a quote or backslash cannot go in a DTS")
        return f'"{path}"'
    return _FILE_REF_RE.sub(one, text)


def parse_qemu_args(argv):
    """The `qemu` command line -> dict; UsageError if it is bad."""
    opts = {"socket": None, "console_vm": None, "files": {}, "system": None,
            "serial": None, "baud": 115200, "rest": []}
    it = iter(argv)
    for a in it:
        if a in ("--socket", "--console-vm", "--file", "--system", "--serial",
                 "--baud"):
            v = next(it, None)
            if not v:
                raise UsageError(f"{a} needs a value")
            if a == "--file":
                label, sep, path = v.partition("=")
                if not sep or not _LABEL_RE.match(label) or not path:
                    raise UsageError(f"--file {v!r}: not LABEL=PATH (LABEL "
                                     f"of A-Z a-z 0-9 _ -)")
                if not os.path.isfile(path):
                    raise UsageError(f"--file {label}={path}: no such file")
                opts["files"][label] = path
            elif a == "--baud":
                if not v.isdigit() or not hasattr(termios, f"B{v}"):
                    raise UsageError(f"--baud {v!r} is not a speed of this "
                                     f"host's serial driver (e.g. 115200)")
                opts["baud"] = int(v)
            elif a == "--console-vm":
                if not _LABEL_RE.match(v) or len(v) > 31:
                    raise UsageError(f"--console-vm {v!r} is not a VM name")
                opts["console_vm"] = v
            else:
                opts[a[2:]] = v
        else:
            opts["rest"].append(a)
    if opts["system"] and not os.path.isfile(opts["system"]):
        raise UsageError(f"--system {opts['system']}: no such file")
    if opts["serial"] and (opts["rest"] or opts["system"] or opts["files"]):
        extra = " ".join(opts["rest"]) or "--system/--file"
        raise UsageError(f"--serial {opts['serial']}: a board boots by "
                         f"itself; {extra} is for QEMU")
    return opts


# -- the console mux -------------------------------------------------------

def _die_with_parent():
    """In the child before exec: SIGKILL when the mux dies, however it
    dies (LAVA may end it with SIGKILL)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    os.setsid()


class Mux:
    """LAVA's stdio <-> Kairos's console, plus the request socket."""

    def __init__(self, cmd, sock_path=None, console_vm=None, fd=None):
        """@cmd runs on a new pty; or, with @fd, that is the console (a
        board's serial port) and nothing is started."""
        self.console_vm = console_vm
        self.sock_path = sock_path
        self.proc = None
        if fd is not None:
            self.master = fd
        else:
            self.master, slave = os.openpty()
            tty.setraw(slave)
            self.proc = subprocess.Popen(cmd, stdin=slave, stdout=slave,
                                         stderr=slave,
                                         preexec_fn=_die_with_parent)
            os.close(slave)
        self.listener = None
        if sock_path:
            try:
                os.unlink(sock_path)
            except FileNotFoundError:
                pass
            self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.listener.bind(sock_path)
            self.listener.listen(4)
        self.tag = 0
        self.ready = False   # Kairos printed its console line
        self.seen = b""      # output not yet scanned for readiness
        self.stdin_open = True
        self.closed = False

    # Output of Kairos goes to LAVA whatever the mux is doing.
    def _out(self, data):
        view = memoryview(data)
        while view:
            try:
                n = os.write(1, view)
            except BlockingIOError:
                select.select([], [1], [], 1)
                continue
            view = view[n:]

    def _read_console(self, timeout):
        """Read what Kairos printed within @timeout s (b"" if nothing);
        EOFError when the console is gone (QEMU ended)."""
        r, _, _ = select.select([self.master], [], [], timeout)
        if not r:
            return b""
        try:
            data = os.read(self.master, 65536)
        except OSError:
            data = b""
        if not data:
            raise EOFError
        self._out(data)
        return data

    def _send(self, data):
        while data:
            n = os.write(self.master, data)
            data = data[n:]

    def _expect(self, regex, timeout, buf=b"", resend=None, every=3.0):
        """Read the console until @regex matches what came since @buf
        started; -> (match, text). @resend is written at once and again
        every @every seconds. TimeoutError after @timeout s."""
        deadline = time.monotonic() + timeout
        last = time.monotonic() - every  # the first send at once
        while True:
            m = regex.search(buf)
            if m:
                return m, buf
            now = time.monotonic()
            if now >= deadline:
                raise TimeoutError(f"no {regex.pattern!r} from Kairos "
                                   f"within {timeout:g} s (it printed "
                                   f"{buf[-160:]!r} last)")
            if resend and now - last >= every:
                self._send(resend)
                last = now
            buf += self._read_console(min(0.2, deadline - now))

    def _request(self, line, timeout):
        """One request in control mode -> (status, message, rows)."""
        self.tag += 1
        tag = f"lava{self.tag}"
        self._send(f"{tag} {line}\r".encode())
        final = re.compile(rb"@" + tag.encode() + rb" (\d+) ([^\r\n]*)\r*\n")
        m, text = self._expect(final, timeout)
        rows = [r.group(2).decode(errors="replace")
                for r in _LIST_ROW_RE.finditer(text[:m.start()])
                if r.group(1) == tag.encode()]
        return int(m.group(1)), m.group(2).decode(errors="replace"), rows

    def _vm_id(self, name):
        status, _, rows = self._request("list", 30)
        if status == 0:
            for row in rows:
                fields = dict(w.split("=", 1) for w in row.split()
                              if "=" in w)
                if fields.get("vm") == name:
                    return int(fields["id"])
        return None

    def control(self, line, timeout=300):
        """Do @line (a request, or None for none) in control mode, then
        give console input back to the console VM. -> (status, message,
        rows); TimeoutError/EOFError if Kairos does not answer."""
        self._expect(re.compile(rb"@ctl 0 [^\r\n]*\r*\n"), 60,
                     resend=b"\x01k\x15ctl\r")
        result = (0, "attached", [])
        if line:
            result = self._request(line, timeout)
        vm_id = self._vm_id(self.console_vm) if self.console_vm else None
        self.tag += 1
        self._send(f"lava{self.tag} exit\r".encode())
        self._expect(re.compile(rb"kairos> "), 30)
        if vm_id is not None and 0 <= vm_id <= 7:
            self._send(b"\x01" + str(vm_id).encode())
            self._expect(re.compile(rb"kairos: console input to VM "), 30)
        return result

    def _serve(self, conn):
        """One client: a line of words in, the answer out."""
        conn.settimeout(10)
        data = b""
        try:
            while b"\n" not in data and len(data) < 512:
                chunk = conn.recv(512)
                if not chunk:
                    break
                data += chunk
        except OSError:
            conn.close()
            return
        line = data.split(b"\n", 1)[0].decode(errors="replace").strip()
        conn.settimeout(None)
        if not line or len(line) > 120 or not line.isprintable():
            answer = "1 mux: the request must be one line of printable " \
                     "characters, at most 120\n"
        else:
            try:
                status, message, rows = self.control(line)
                answer = "".join(f"- {r}\n" for r in rows) + \
                    f"{status} {message}\n"
            except (TimeoutError, EOFError) as e:
                answer = f"-1 mux: {e or 'the console closed'}\n"
        try:
            conn.sendall(answer.encode())
        except OSError:
            pass
        conn.close()

    def run(self):
        """Copy both ways until QEMU ends (-> its exit status) or LAVA
        closes stdin (-> QEMU is ended, 0)."""
        try:
            while True:
                fds = [self.master]
                if self.stdin_open:
                    fds.append(0)
                if self.listener and self.ready:
                    fds.append(self.listener)
                r, _, _ = select.select(fds, [], [], 1.0)
                if self.master in r:
                    data = self._read_console(0)
                    if not self.ready:
                        self.seen = (self.seen + data)[-4096:]
                        if _CONSOLE_READY_RE.search(self.seen):
                            self.ready = True
                            if self.console_vm:
                                self.control(None)
                if 0 in r:
                    data = os.read(0, 4096)
                    if not data:
                        self.stdin_open = False
                        break
                    self._send(data)
                if self.listener and self.listener in r:
                    conn, _ = self.listener.accept()
                    self._serve(conn)
        except EOFError:
            pass
        except (TimeoutError, OSError) as e:
            sys.stderr.write(f"\r\nkairos-lava-qemu: {e}\r\n")
        return self.close()

    def close(self):
        """End QEMU (if it still runs) -> its exit status."""
        if self.listener:
            self.listener.close()
            try:
                os.unlink(self.sock_path)
            except OSError:
                pass
            self.listener = None
        self.closed = True
        if self.proc is None:
            os.close(self.master)
            return 0
        if self.proc.poll() is None:
            kill_tree(self.proc, timeout=5)
        os.close(self.master)
        return self.proc.returncode if self.proc.returncode >= 0 else 0


def qemu_main(argv):
    """The `qemu` command; -> exit status."""
    if argv[:1] in (["-h"], ["--help"]):
        print(QEMU_USAGE, end="")
        return 0
    try:
        opts = parse_qemu_args(argv)
        rest = list(opts["rest"])
        if opts["system"]:
            with open(opts["system"]) as f:
                text = resolve_system(f.read(), opts["files"],
                                      f"--system {opts['system']}")
            out = os.path.join(os.path.dirname(os.path.abspath(
                opts["system"])), "kairos-lava-system.dts")
            with open(out, "w") as f:
                f.write(text)
            rest = ["--system", out] + rest
            # kairos-qemu's generated files beside it, in the job's
            # folder, which LAVA removes after the job.
            if "--out" not in rest:
                rest = ["--out", os.path.join(os.path.dirname(out),
                                              "kairos-qemu")] + rest
    except UsageError as e:
        print(f"kairos-lava-qemu: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as e:
        print(f"kairos-lava-qemu: error: {e}", file=sys.stderr)
        return EXIT_FAILED
    if opts["serial"]:
        try:
            fd = open_serial(opts["serial"], opts["baud"])
        except OSError as e:
            print(f"kairos-lava-qemu: error: --serial {opts['serial']}: "
                  f"{e.strerror or e}", file=sys.stderr)
            return EXIT_FAILED
        return _mux_main(Mux(None, opts["socket"], opts["console_vm"],
                             fd=fd))
    cmd = [kairos_qemu_tool(), *rest]
    # Its refusals before any pty: one line on stderr, its status.
    dry = subprocess.run(cmd + ["--dry-run"], capture_output=True,
                         text=True)
    if dry.returncode:
        err = [ln for ln in dry.stderr.splitlines() if ln.strip()]
        print(err[-1] if err else f"kairos-lava-qemu: kairos-qemu "
              f"--dry-run exited {dry.returncode}", file=sys.stderr)
        return dry.returncode
    print("kairos-lava-qemu: " + " ".join(cmd), flush=True)
    return _mux_main(Mux(cmd, opts["socket"], opts["console_vm"]))


def open_serial(path, baud):
    """A serial port as KairosCtl.open_serial opens it: 8N1, raw, no flow
    control, @baud; -> its fd."""
    fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
    tty.setraw(fd)
    attrs = termios.tcgetattr(fd)
    attrs[2] |= termios.CLOCAL | termios.CREAD
    attrs[2] &= ~getattr(termios, "CRTSCTS", 0)
    attrs[4] = attrs[5] = getattr(termios, f"B{baud}")
    termios.tcsetattr(fd, termios.TCSANOW, attrs)
    return fd


def _mux_main(mux):
    """Run @mux with stdio raw; -> the exit status."""
    saved = None
    if os.isatty(0):
        saved = termios.tcgetattr(0)
        tty.setraw(0)

    def stop(signum, frame):
        raise SystemExit(128 + signum)
    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(sig, stop)
    try:
        return mux.run()
    finally:
        if not mux.closed:
            mux.close()
        if saved:
            termios.tcsetattr(0, termios.TCSADRAIN, saved)


# -- the client ------------------------------------------------------------

def _ctl_usage(msg):
    print(f"kairos-lava-ctl: {msg}; see --help", file=sys.stderr)
    return EXIT_USAGE


def ctl_main(argv):
    """The `ctl` command; -> exit status."""
    if argv[:1] in (["-h"], ["--help"]):
        print(CTL_USAGE, end="")
        return 0
    path, words = None, []
    it = iter(argv)
    for a in it:
        if words:
            words.append(a)
        elif a == "--socket":
            path = next(it, None)
            if not path:
                return _ctl_usage("--socket needs a value")
        elif a.startswith("-"):
            return _ctl_usage(f"unknown option '{a}'")
        else:
            words.append(a)
    if not path:
        return _ctl_usage("--socket PATH is required")
    if not words:
        return _ctl_usage("missing VERB (e.g. restore linux 0)")
    line = " ".join(words)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(path)
        s.sendall(line.encode() + b"\n")
        answer = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            answer += chunk
    except OSError as e:
        print(f"kairos-lava-ctl: {path}: {e.strerror or e} (is "
              f"kairos-lava-qemu running with --socket {path}?)",
              file=sys.stderr)
        return EXIT_FAILED
    finally:
        s.close()
    lines = answer.decode(errors="replace").splitlines()
    if not lines:
        print(f"kairos-lava-ctl: {line}: no answer", file=sys.stderr)
        return EXIT_FAILED
    for row in lines[:-1]:
        print(row[2:] if row.startswith("- ") else row)
    status, _, message = lines[-1].partition(" ")
    print(f"{line}: {status} {message}")
    try:
        status = int(status)
    except ValueError:
        return EXIT_FAILED
    if status < 0:
        return EXIT_FAILED
    return 0 if status == 0 else EXIT_REFUSED_BASE + status


def main(argv=None):
    """python3 -m kairos.lava qemu|ctl ...; -> exit status."""
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: python3 -m kairos.lava qemu|ctl ... (qemu --help, "
              "ctl --help)")
        return 0 if argv else EXIT_USAGE
    if argv[0] == "qemu":
        return qemu_main(argv[1:])
    if argv[0] == "ctl":
        return ctl_main(argv[1:])
    print(f"kairos.lava: unknown command {argv[0]!r}; see --help",
          file=sys.stderr)
    return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
