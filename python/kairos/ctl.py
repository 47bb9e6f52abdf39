# SPDX-License-Identifier: MIT
"""Client of the Kairos control channel (docs/control.md).

Kairos's console has a machine-readable mode for test rigs: requests
"<tag> <verb> [args]", answered by data lines "@<tag> - key=value ..." and
one final line "@<tag> <status> <message>"; guest output keeps its
"[vm] " label (in control mode its bytes are encoded: decoded here, raw
bytes in guest_bytes()), events come as "@event <kind> key=value ...".

    from kairos.ctl import KairosCtl
    with KairosCtl.spawn(["tools/kairos-qemu", "--vm", "..."]) as k:
        k.connect()
        k.pause("linux")
        k.wait_guest("linux", r"login:", timeout=60)

KairosCtl.open_serial("/dev/ttyUSB0", 115200) talks to a board instead.
Only the Python standard library is used.
"""
import collections
import os
import random
import re
import select
import shutil
import signal
import subprocess
import sys
import termios
import threading
import time
import tty

PROTOCOL = 1
PROMPT = "kairos> "
LINE_MAX = 127
#: Longest encoded text of one `type` request (its line stays in LINE_MAX
#: with a 16-character tag and a 31-character VM name).
TYPE_TEXT_MAX = 72

OK, BAD_REQUEST, NO_VM, NO_SLOT, FAILED, BAD_STATE, UNKNOWN_VERB, \
    TOO_LONG = range(8)
STATUS_NAMES = {
    OK: "ok", BAD_REQUEST: "bad request", NO_VM: "no such VM",
    NO_SLOT: "no such slot", FAILED: "failed", BAD_STATE: "wrong state",
    UNKNOWN_VERB: "unknown verb", TOO_LONG: "line too long",
}

_GUEST_RE = re.compile(r"\[([A-Za-z0-9_-]{1,31})\] ?(.*)\Z", re.S)
_RESPONSE_RE = re.compile(r"@(\S+) (-|\d+)(?: (.*))?\Z", re.S)
_WORD_RE = re.compile(r"[\x21-\x7e]+\Z")
# Kairos's first line at boot (boot/main.c): "Kairos <version>".
_BOOT_RE = re.compile(r"Kairos \d+\.\d+\S*( \(.*\))?\Z")
_ESCAPE_RE = re.compile(r"\\(\\|x[0-9a-fA-F]{2}|\Z)")


def decode_guest(text):
    """A guest line in control mode's encoding (docs/control.md) -> (the
    bytes the guest wrote, whether its line goes on in the next one)."""
    out, pos, more = bytearray(), 0, False
    for m in _ESCAPE_RE.finditer(text):
        out += text[pos:m.start()].encode("ascii", "replace")
        esc = m.group(1)
        if esc == "\\":
            out += b"\\"
        elif esc:
            out.append(int(esc[1:], 16))
        else:
            more = True
        pos = m.end()
    out += text[pos:].encode("ascii", "replace")
    return bytes(out), more


class CtlError(Exception):
    """A request answered with a non-zero status."""

    def __init__(self, status, message, request):
        self.status = status
        self.message = message
        self.request = request
        name = STATUS_NAMES.get(status, "status")
        super().__init__(f"{request!r}: {name} ({status}): {message}")


class CtlTimeout(Exception):
    """Kairos did not answer in time (or the console closed)."""


class CtlReboot(CtlTimeout):
    """Kairos rebooted (its boot banner came) since connect(): control
    mode is gone, an answer waited for will not come; connect() again."""


Response = collections.namedtuple("Response", "status message rows")
Event = collections.namedtuple("Event", "kind fields")


def parse_fields(text):
    """'a=1 b=x' -> {'a': '1', 'b': 'x'} (values are single words)."""
    out = {}
    for word in text.split():
        key, sep, value = word.partition("=")
        if sep:
            out[key] = value
    return out


def numeric(row):
    """A row with its decimal values as ints (the VM name stays a str)."""
    return {k: int(v) if v.isdigit() and k != "vm" else v
            for k, v in row.items()}


def descendants(pid):
    """The pids of every live process below @pid (from /proc; Linux)."""
    children = collections.defaultdict(list)
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                stat = f.read()
        except OSError:
            continue  # gone meanwhile
        # "pid (comm) state ppid ...": comm may hold blanks and ")".
        fields = stat[stat.rindex(")") + 2:].split()
        children[int(fields[1])].append(int(name))
    out, todo = [], [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            out.append(c)
            todo.append(c)
    return out


def _alive(pid):
    """@pid exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


def _group_alive(pgid):
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def _signal_all(pgid, pids, sig):
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass
    for p in pids:
        try:
            os.kill(p, sig)
        except (ProcessLookupError, PermissionError):
            pass


def kill_tree(proc, timeout=10):
    """End @proc (a Popen started in its own session, as spawn() does)
    and everything it started: SIGTERM to its process group and to every
    descendant (one that left the group, e.g. with setsid, too), then up to
    @timeout seconds for all of them to end, then SIGKILL and a wait.
    A wrapper script (tools/kairos-qemu, or a shell around it) and the
    QEMU it started go together."""
    pgid = proc.pid
    tree = descendants(proc.pid)
    _signal_all(pgid, tree, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for sig in (signal.SIGTERM, signal.SIGKILL):
        if sig == signal.SIGKILL:
            tree += [p for p in descendants(proc.pid) if p not in tree]
            _signal_all(pgid, tree, signal.SIGKILL)
            deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                tree += [p for p in descendants(proc.pid) if p not in tree]
            if (proc.poll() is not None and not _group_alive(pgid) and
                    not any(_alive(p) for p in tree)):
                return
            time.sleep(0.05)
    left = [p for p in tree if _alive(p)]
    if proc.poll() is None or left:
        raise CtlError(FAILED, f"processes {[proc.pid] + left} survived "
                       "SIGKILL", "close")


class FdTransport:
    """A console on a file descriptor (a pty, a serial port): what
    KairosCtl reads from and writes to. Another transport (a labgrid
    console, a socket) has the same three methods."""

    def __init__(self, fd):
        self.fd = fd
        os.set_blocking(fd, False)  # no write may wait without a bound

    def read(self, timeout):
        """Bytes that came within @timeout seconds: None if none came,
        b"" when the console is closed."""
        try:
            ready, _, _ = select.select([self.fd], [], [], timeout)
            if not ready:
                return None
            return os.read(self.fd, 4096)
        except BlockingIOError:
            return None
        except OSError:
            return b""  # a pty whose other side is gone: EIO

    def write(self, data, timeout):
        """Write all of @data; CtlTimeout if the console takes none of it
        for @timeout seconds, or is closed."""
        deadline = time.monotonic() + timeout
        while data:
            try:
                n = os.write(self.fd, data)
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise CtlTimeout(f"the console took no input for "
                                     f"{timeout} s") from None
                select.select([], [self.fd], [], 0.2)
                continue
            except OSError as e:
                raise CtlTimeout(f"the console closed ({e.strerror})") \
                    from None
            deadline = time.monotonic() + timeout
            data = data[n:]

    def close(self):
        os.close(self.fd)


class KairosCtl:
    """One console of Kairos: a QEMU on a pty, or a board's serial port.

    A reader thread takes everything Kairos prints and sorts it by line:
    responses by tag, events, guest lines per VM, the rest as Kairos
    lines. Requests wait for their final line."""

    def __init__(self, fd=None, proc=None, log=None, transport=None):
        """@fd: a console's file descriptor (a pty, a serial port), or
        @transport: any object with read(timeout) and write(data, timeout)
        (FdTransport's interface; kairos.labgrid wraps a labgrid
        console in one)."""
        if transport is None:
            if fd is None:
                raise ValueError("KairosCtl needs an fd or a transport")
            transport = FdTransport(fd)
        self.transport = transport
        self.fd = fd
        self.proc = proc
        self.hello_row = None
        self._log = open(log, "ab") if log else None
        self._cond = threading.Condition()
        self._partial = b""
        self._closed = False
        self._eof = False
        # Tags go on from a random base: a late answer to another client's
        # request (one that gave up on this serial line) is not ours.
        self._tag = random.randrange(1000, 10000) * 1000
        self._rows = collections.defaultdict(list)
        self._finals = {}
        self._ctl_banners = 0
        self._prompts = 0
        self._guest = collections.defaultdict(list)
        self._guest_raw = collections.defaultdict(bytearray)
        self._guest_open = set()  # VMs whose last line goes on
        self._ctl_mode = False
        self._console_ready = False
        self._kairos = []
        self._events = []
        self._boots = 0  # boot banners seen
        self._boots_at_connect = None
        self._tail = collections.deque(maxlen=40)
        self.on_line = None  # callable(kind, name, text) for live output
        self.timeout = 30.0  # default wait of the command line's requests
        self._reader = threading.Thread(target=self._read_loop, daemon=True)
        self._reader.start()

    # -- opening and closing -------------------------------------------

    @classmethod
    def spawn(cls, cmd, log=None, cwd=None):
        """Start @cmd (e.g. a tools/kairos-qemu command line) with its
        stdio on a new pty."""
        # The log first: a log that cannot be written leaves no QEMU behind.
        if log:
            with open(log, "ab") as f:
                f.write(("$ " + " ".join(cmd) + "\n").encode())
        master, slave = os.openpty()
        tty.setraw(slave)
        try:
            proc = subprocess.Popen(cmd, stdin=slave, stdout=slave,
                                    stderr=slave, cwd=cwd,
                                    start_new_session=True)
        finally:
            os.close(slave)
        try:
            return cls(master, proc=proc, log=log)
        except BaseException:
            kill_tree(proc)
            raise

    @classmethod
    def open_serial(cls, path, baud=115200, log=None):
        """Open a serial device (8N1, raw, no flow control)."""
        speed = getattr(termios, f"B{baud}", None)
        if speed is None:
            raise ValueError(f"unsupported baud rate {baud}")
        fd = os.open(path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        tty.setraw(fd)
        attrs = termios.tcgetattr(fd)
        attrs[2] |= termios.CLOCAL | termios.CREAD
        attrs[2] &= ~getattr(termios, "CRTSCTS", 0)
        attrs[4] = attrs[5] = speed
        termios.tcsetattr(fd, termios.TCSANOW, attrs)
        termios.tcflush(fd, termios.TCIFLUSH)
        return cls(fd, log=log)

    def close(self, timeout=10):
        """Stop reading; a spawned process tree is ended (kill_tree())."""
        if self._closed:
            return
        self._closed = True
        if self.proc:
            kill_tree(self.proc, timeout)
        self._reader.join(timeout=5)
        self.transport.close()
        if self._log:
            self._log.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- reading ---------------------------------------------------------

    def _read_loop(self):
        while not self._closed:
            try:
                data = self.transport.read(0.2)
            except Exception as e:  # pylint: disable=broad-except
                # Whatever the transport raised, the console is gone for
                # this client: every wait ends with CtlTimeout.
                self._tail.append(f"(the console failed: {e!r})")
                data = b""
            if data is None:
                continue
            if not data:
                with self._cond:
                    self._eof = True
                    self._cond.notify_all()
                return
            if self._log:
                self._log.write(data)
                self._log.flush()
            with self._cond:
                self._feed(data)
                self._cond.notify_all()

    def _feed(self, data):
        self._partial += data
        *lines, self._partial = self._partial.split(b"\n")
        for raw in lines:
            self._line(raw.rstrip(b"\r").decode("utf-8", "replace"))
        if self._partial.endswith(PROMPT.encode()):
            # The prompt has no newline; count it once.
            self._prompts += 1
            self._partial = b""

    def _line(self, text):
        self._tail.append(text)
        # The human shell's prompt stays on the line the next output
        # goes to; it is never part of that output.
        while text.startswith(PROMPT):
            self._prompts += 1
            text = text[len(PROMPT):]
        m = _RESPONSE_RE.match(text)
        if text.startswith("@event "):
            kind, _, rest = text[7:].partition(" ")
            self._events.append(Event(kind, parse_fields(rest)))
            self._emit("event", None, text)
        elif m:
            tag, kind, rest = m.group(1), m.group(2), m.group(3) or ""
            if kind == "-":
                self._rows[tag].append(parse_fields(rest))
            elif tag == "ctl":
                self._ctl_banners += 1
                self._ctl_mode = True
            else:
                self._finals[tag] = Response(int(kind), rest,
                                             self._rows.pop(tag, []))
                if kind == "0" and rest == "back to the shell":
                    self._ctl_mode = False
        elif (g := _GUEST_RE.match(text)):
            self._guest_line(g.group(1), g.group(2))
        elif text:
            if _BOOT_RE.match(text):
                self._boots += 1
                self._ctl_mode = False
            if text.startswith("kairos: console input to "):
                self._console_ready = True
            self._kairos.append(text)
            self._emit("kairos", None, text)

    def _guest_line(self, vm, text):
        """In control mode a line is encoded and may go on in the next
        one; guest_lines() gets whole lines (the one going on grows)."""
        if self._ctl_mode:
            data, more = decode_guest(text)
        else:
            data, more = text.encode(), False
        self._guest_raw[vm] += data if more else data + b"\n"
        piece = data.decode("utf-8", "replace")
        lines = self._guest[vm]
        if vm in self._guest_open:
            lines[-1] += piece
        else:
            lines.append(piece)
        if more:
            self._guest_open.add(vm)
        else:
            self._guest_open.discard(vm)
            lines[-1] = lines[-1].rstrip("\r")
        self._emit("guest", vm, piece)

    def _emit(self, kind, name, text):
        if self.on_line:
            self.on_line(kind, name, text)

    def _wait(self, pred, timeout, what):
        """Wait (reader lock held) until pred() is true."""
        deadline = time.monotonic() + timeout
        while True:
            r = pred()
            if r:
                return r
            left = deadline - time.monotonic()
            if self._eof or left <= 0:
                tail = "\n".join(self._tail)
                why = "the console closed" if self._eof else \
                    f"no answer in {timeout} s"
                raise CtlTimeout(f"waiting for {what}: {why}; last "
                                 f"lines:\n{tail}")
            self._cond.wait(min(left, 0.5))

    # -- writing -----------------------------------------------------------

    def send_raw(self, data, timeout=30):
        """Write bytes to the console as they are; CtlTimeout if the
        console takes none of them for @timeout seconds."""
        if isinstance(data, str):
            data = data.encode()
        self.transport.write(data, timeout)

    # -- the protocol ------------------------------------------------------

    def connect(self, timeout=120):
        """Enter control mode and check the protocol with `hello`.

        Works whatever state the console is in: Ctrl-A k takes input back
        from a VM (and is ignored in control mode), Ctrl-U drops a half
        typed line, `ctl` enters the mode or, in it, is answered the same.
        Repeated until Kairos answers (a board may still be booting)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            if self.proc:
                # A fresh boot: the first prompt (or, with one VM, console
                # input going to it) says the shell is there.
                self._wait(lambda: self._prompts or self._ctl_banners or
                           self._console_ready, timeout, "the Kairos prompt")
            while True:
                seen = self._ctl_banners
                self.send_raw(b"\x01k\x15ctl\r")
                try:
                    self._wait(lambda: self._ctl_banners > seen,
                               min(5.0, max(0.1, deadline -
                                            time.monotonic())),
                               "control mode")
                    break
                except CtlTimeout:
                    if self._eof or time.monotonic() >= deadline:
                        raise
        with self._cond:
            self._boots_at_connect = self._boots
        r = self.request("hello")
        self.hello_row = r.rows[0] if r.rows else {}
        proto = int(self.hello_row.get("protocol", "0"))
        if proto != PROTOCOL:
            raise CtlError(FAILED, f"Kairos speaks control protocol "
                           f"{proto}, this client {PROTOCOL}", "hello")
        return self.hello_row

    def _answer(self, tag, what):
        """The final line of @tag if it came (reader lock held)."""
        if self._boots_at_connect not in (None, self._boots):
            raise CtlReboot(f"waiting for {what}: Kairos rebooted "
                            f"(boot banner seen), control mode is "
                            f"gone; connect() again")
        return self._finals.pop(tag, None)

    def send_line(self, tag, line, timeout=30):
        """Send @line verbatim as request @tag without waiting for its
        answer (wait_answer() does). -> the characters sent."""
        with self._cond:
            self._finals.pop(tag, None)
            self._answer(tag, f"the answer to {line[:60]!r}")
        # Not under the lock: the reader thread must go on taking what
        # Kairos prints while a long line is written, or both sides could
        # wait for each other (a full pty one way, a full one the other).
        data = line.encode() + b"\r"
        self.send_raw(data, timeout)
        return len(data)

    def wait_answer(self, tag, timeout=30, what=None):
        """Wait for the final line of request @tag (sent with
        send_line() or send_request()). -> Response."""
        what = what or f"the answer to request {tag}"
        with self._cond:
            return self._wait(lambda: self._answer(tag, what), timeout,
                              what)

    def request_line(self, tag, line, timeout=30):
        """Send @line verbatim and wait for the final line of @tag."""
        self.send_line(tag, line, timeout)
        return self.wait_answer(tag, timeout,
                                f"the answer to {line[:60]!r}")

    def send_request(self, verb, *args, timeout=30, max_len=LINE_MAX):
        """Send one request without waiting for its answer: requests are
        answered in order, and a client may have up to the hello row's
        rx_buffer characters on the way unanswered (docs/control.md).
        -> (tag, characters sent); wait_answer(tag) gets the Response."""
        words = [verb, *map(str, args)]
        for w in words:
            if not _WORD_RE.match(w):
                raise ValueError(f"{w!r}: a request word is printable "
                                 f"ASCII without blanks")
        self._tag += 1
        tag = str(self._tag)
        line = f"{tag} {' '.join(words)}"
        if len(line) > max_len:
            raise ValueError(f"request longer than {max_len} characters")
        return tag, self.send_line(tag, line, timeout)

    def request(self, verb, *args, timeout=30, check=True,
                max_len=LINE_MAX):
        """Send one request; -> Response(status, message, rows).

        rows are dicts of the data lines. A non-zero status raises
        CtlError unless check is False. @max_len: longest line (only a
        `put` may be longer than LINE_MAX)."""
        tag, _ = self.send_request(verb, *args, timeout=timeout,
                                   max_len=max_len)
        r = self.wait_answer(tag, timeout, f"the answer to "
                             f"{' '.join([verb, *map(str, args)])[:60]!r}")
        if check and r.status != OK:
            raise CtlError(r.status, r.message,
                           " ".join([verb, *map(str, args)]))
        return r

    def exit_control(self, timeout=30):
        """Back to the human shell; waits for its prompt."""
        with self._cond:
            prompts = self._prompts
        self.request("exit", timeout=timeout)
        with self._cond:
            self._wait(lambda: self._prompts > prompts, timeout,
                       "the shell prompt")

    def shell_command(self, line, timeout=30):
        """In the human shell (after exit_control()): type @line and
        return the Kairos lines it printed up to the next prompt."""
        with self._cond:
            prompts, start = self._prompts, len(self._kairos)
            self.send_raw(line.encode() + b"\r")
            self._wait(lambda: self._prompts > prompts, timeout,
                       f"the prompt after {line!r}")
            return self._kairos[start:]

    # -- convenience ---------------------------------------------------------

    def hello(self):
        return numeric(self.request("hello").rows[0])

    def list_vms(self):
        """-> [{'vm': name, 'id', 'state', 'vcpus', 'exits'}, ...]"""
        return [numeric(r) for r in self.request("list").rows]

    def _state(self, verb, vm, timeout=30):
        return self.request(verb, vm, timeout=timeout).rows[0]["state"]

    def pause(self, vm, timeout=30):
        """-> the VM's state afterwards ('paused')."""
        return self._state("pause", vm, timeout)

    def resume(self, vm, timeout=30):
        return self._state("resume", vm, timeout)

    def reset(self, vm, timeout=60):
        return self._state("reset", vm, timeout)

    def stop(self, vm, timeout=60):
        """-> 'stopped': its vCPUs no longer run, memory kept."""
        return self._state("stop", vm, timeout)

    def start(self, vm, timeout=60):
        """Boot a stopped VM cold from its images. -> 'running'."""
        return self._state("start", vm, timeout)

    def info(self, vm):
        """-> {'vm': {...}, 'vcpus': [{...}, ...]}"""
        return self._split_vcpus(self.request("info", vm).rows)

    def counters(self, vm):
        """-> {'vm': {exits, migrations, checkpoints, ...},
        'vcpus': [{'vcpu', 'exits', 'migrations'}, ...]}"""
        return self._split_vcpus(self.request("counters", vm).rows)

    @staticmethod
    def _split_vcpus(rows):
        rows = [numeric(r) for r in rows]
        return {"vm": next(r for r in rows if "vm" in r),
                "vcpus": [r for r in rows if "vcpu" in r]}

    def checkpoint(self, vm, slot, timeout=120):
        """-> {'vm', 'slot', 'size', 'us', 'ticks'}"""
        return numeric(self.request("checkpoint", vm, slot,
                                    timeout=timeout).rows[0])

    def restore(self, vm, slot, policy=None, timeout=120):
        """policy: None (Kairos's default, pause), 'pause' or 'catch-up'.
        -> {'vm', 'slot', 'state', 'pages_copied', 'us', 'ticks'}"""
        args = [vm, slot] + ([policy] if policy else [])
        return numeric(self.request("restore", *args,
                                    timeout=timeout).rows[0])

    def input(self, vm, *words):
        """Type @words (one blank between them) and Enter into @vm's
        UART. -> {'vm', 'chars'}"""
        return numeric(self.request("input", vm, *words).rows[0])

    def type_bytes(self, vm, data, timeout=30):
        """Type @data (bytes or str; CR for Enter, control characters
        too) into @vm's UART exactly, with `type` requests of a few dozen
        characters; when the VM's receive FIFO is full, waits for the
        guest to read it and types the rest. -> characters typed.
        CtlTimeout if the guest reads none of it for @timeout seconds."""
        if isinstance(data, str):
            data = data.encode()
        done = 0
        deadline = time.monotonic() + timeout
        while done < len(data):
            piece, text = 0, ""
            for b in data[done:]:
                enc = chr(b) if 0x21 <= b <= 0x7e and b != 0x5c else \
                    "\\\\" if b == 0x5c else f"\\x{b:02x}"
                if len(text) + len(enc) > TYPE_TEXT_MAX:
                    break
                text += enc
                piece += 1
            r = self.request("type", vm, text, timeout=timeout, check=False)
            took = int(r.rows[0].get("chars", 0)) if r.rows else 0
            if r.status not in (OK, FAILED) or (r.status == FAILED and
                                                not r.rows):
                raise CtlError(r.status, r.message, f"type {vm}")
            done += took
            if took:
                deadline = time.monotonic() + timeout
            elif time.monotonic() > deadline:
                raise CtlTimeout(f"VM {vm} read none of what was typed "
                                 f"for {timeout} s (its receive FIFO "
                                 f"stays full)")
            if r.status == FAILED:
                time.sleep(0.02)  # the FIFO is full: let the guest read
        return done

    def slots(self):
        """-> [{'slot', 'state', 'verified', 'vm', 'size', ...}, ...]"""
        return [numeric(r) for r in self.request("slots").rows]

    def slot_save(self, slot, path, timeout=60):
        """Export the image in slot @slot into the file @path (written
        whole or not at all). -> its size in bytes."""
        from . import xfer
        image = xfer.export_slot(self, slot, timeout=timeout)
        tmp = f"{path}.part"
        with open(tmp, "wb") as f:
            f.write(image)
        os.replace(tmp, path)
        return len(image)

    def slot_load(self, slot, path, resume=False, timeout=60):
        """Import the image file @path into slot @slot; Kairos validates
        it as a restore would before the slot holds it.
        -> {'slot', 'size', 'vm', 'vcount'}"""
        from . import xfer
        with open(path, "rb") as f:
            image = f.read()
        return numeric(xfer.import_slot(self, slot, image, resume=resume,
                                        timeout=timeout))

    def load_image(self, vm, path, slot=None, resume=False, timeout=60):
        """Load the kernel or bare-metal guest in file @path into the
        stopped VM @vm: its next start (and reset) boots it instead of
        its configured kernel (docs/control.md, "Loading a new image").
        It is staged in checkpoint slot @slot, by default the
        highest-numbered one that holds no image.
        -> {'vm', 'slot', 'size', 'crc', 'entry'}"""
        from . import xfer
        with open(path, "rb") as f:
            image = f.read()
        if slot is None:
            empty = [s["slot"] for s in self.slots()
                     if s["state"] == "empty"]
            if not empty:
                raise CtlError(FAILED, "no empty checkpoint slot to stage "
                               "the image in (name one)", "load-image")
            slot = empty[-1]
        row = xfer.load_image(self, vm, slot, image, resume=resume,
                              timeout=timeout)
        return {**numeric(row), "crc": row["crc"]}  # hex, even if all digits

    # -- output of guests, Kairos, events ------------------------------------

    def guest_lines(self, vm):
        """Every line VM @vm printed so far (without its label, its CR LF
        or LF); the last one may still grow (a prompt)."""
        with self._cond:
            return list(self._guest[vm])

    def guest_bytes(self, vm):
        """What VM @vm wrote, as raw bytes (exact from when control mode
        was entered on; before it, the console's escaped text)."""
        with self._cond:
            return bytes(self._guest_raw[vm])

    def wait_guest(self, vm, regex, timeout=60, since=0):
        """Wait for a line of @vm matching @regex (re.search), looking at
        its lines from index @since on (len(guest_lines(vm)) before an
        action: only what it printed after). -> the match."""
        pat = re.compile(regex)

        def find():
            for line in self._guest[vm][since:]:
                m = pat.search(line)
                if m:
                    return m
            return None
        with self._cond:
            return self._wait(find, timeout, f"[{vm}] {regex!r}")

    def kairos_lines(self):
        """Kairos's own lines (neither responses nor guest output)."""
        with self._cond:
            return list(self._kairos)

    def events(self):
        """Events so far: [Event(kind, fields)]."""
        with self._cond:
            return list(self._events)

    def wait_event(self, kind, vm=None, timeout=60, since=0):
        """Wait for an event @kind (of VM @vm) from index @since on."""
        def find():
            for e in self._events[since:]:
                if e.kind == kind and (vm is None or e.fields.get("vm") == vm):
                    return e
            return None
        with self._cond:
            return self._wait(find, timeout, f"event {kind} {vm or ''}")


# -- the command line --------------------------------------------------------

USAGE = """\
usage: kairosctl (--qemu | --serial DEV [--baud N]) [--timeout S]
                 [--log FILE] [-c COMMAND]... [COMMAND [ARG...] | shell]
                 [-- KAIROS-QEMU ARGS]

Talk to Kairos's control channel (docs/control.md).

  --qemu            boot Kairos with tools/kairos-qemu and the arguments
                    after "--", on a pty; QEMU is stopped at the end
  --serial DEV      a board's console (e.g. /dev/ttyUSB0), 8N1 raw
  --baud N          its speed (default 115200)
  --timeout S       how long to wait for Kairos to answer (default 120)
  --log FILE        append everything the console prints to FILE
  -c COMMAND        a request ("pause linux"); repeatable, run in order
  COMMAND ARG...    one request, as words: list | info VM | counters VM |
                    pause VM | resume VM | reset VM | stop VM | start VM |
                    checkpoint VM SLOT |
                    restore VM SLOT [pause|catch-up] | slots | hello |
                    input VM WORD... (typed into the VM's UART, then Enter) |
                    slot-save SLOT FILE (export the slot's image to FILE) |
                    slot-load SLOT FILE (import FILE into the slot) |
                    load-image VM FILE [SLOT] (the stopped VM boots FILE
                    from its next start on, staged in SLOT: by default
                    the last empty one) | load-image-revert VM
  shell             type requests interactively; guest output is shown

  --debug           on an unexpected failure, show the Python traceback
  -h, --help        this text

Data lines are printed as "key=value ..." on stdout; a refusal is printed
on stderr. Exit status: 0 when every request succeeded; 10 + the first
refusal's status (11 bad request, 12 no such VM, 13 no such slot,
14 failed, 15 wrong state, 16 unknown verb, 17 line too long); 2 for a
usage error; 1 when slot-save/slot-load/load-image cannot read or write
FILE; 69
when Kairos cannot be reached or does not answer.
"""


#: The exit status of a refused request is this plus its status.
EXIT_REFUSED_BASE = 10
EXIT_USAGE = 2
EXIT_UNREACHABLE = 69


def _usage_error(msg):
    print(f"kairosctl: {msg}; see --help", file=sys.stderr)
    return EXIT_USAGE


def _number(option, value, kind):
    """@value as a positive @kind, or ValueError naming @option."""
    try:
        n = kind(value)
    except ValueError:
        raise ValueError(f"{option} {value!r} is not a number") from None
    if not n > 0:
        raise ValueError(f"{option} {value!r} must be above 0")
    return n


def _parse_args(argv):
    opts = {"qemu": False, "serial": None, "baud": 115200, "timeout": 120.0,
            "log": None, "commands": [], "qemu_args": []}
    if "--" in argv:
        i = argv.index("--")
        argv, opts["qemu_args"] = argv[:i], argv[i + 1:]
    words = []
    it = iter(argv)
    for a in it:
        if a in ("-h", "--help"):
            opts["help"] = True
        elif a == "--qemu":
            opts["qemu"] = True
        elif a == "--debug":
            opts["debug"] = True
        elif a in ("--serial", "--baud", "--timeout", "--log", "-c"):
            v = next(it, None)
            if v is None:
                raise ValueError(f"{a} needs a value")
            if a == "-c":
                opts["commands"].append(v.split())
            elif a == "--baud":
                opts["baud"] = _number(a, v, int)
                if not hasattr(termios, f"B{opts['baud']}"):
                    raise ValueError(f"--baud {v}: not a speed this host's "
                                     f"serial driver has (e.g. 115200)")
            elif a == "--timeout":
                opts["timeout"] = _number(a, v, float)
            else:
                opts[a[2:]] = v
        elif a.startswith("-") and not words:
            raise ValueError(f"unknown option '{a}'")
        else:
            words.append(a)
    if words:
        opts["commands"].append(words)
    return opts


def _print_response(r, out):
    for row in r.rows:
        print(" ".join(f"{k}={v}" for k, v in row.items()), file=out)


def _interactive(k):

    def live(kind, name, text):
        print(f"[{name}] {text}" if kind == "guest" else text, flush=True)
    k.on_line = live
    status = 0
    print("kairosctl: requests as words ('list', 'pause linux'); "
          "Ctrl-D ends", file=sys.stderr)
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        try:
            r = k.request(*words, timeout=k.timeout, check=False)
        except ValueError as e:
            print(f"kairosctl: {e}", file=sys.stderr)
            continue
        _print_response(r, sys.stdout)
        print(f"{r.status} {r.message}", flush=True)
        status = r.status
        if words[0] == "exit":
            break
    return status


def kairos_qemu_tool():
    """tools/kairos-qemu of the checkout this package is in (an editable
    install, or the repo's python/ on sys.path), else the one on PATH."""
    here = os.path.dirname(os.path.abspath(__file__))
    tool = os.path.join(here, os.pardir, os.pardir, "tools", "kairos-qemu")
    if os.path.exists(tool):
        return os.path.normpath(tool)
    return shutil.which("kairos-qemu") or "kairos-qemu"


#: Commands of the command line that move a slot image to or from a file.
FILE_COMMANDS = ("slot-save", "slot-load", "load-image")
#: The exit status when a file cannot be read or written.
EXIT_FILE = 1


def _file_command(k, words, timeout):
    """slot-save SLOT FILE / slot-load SLOT FILE / load-image VM FILE
    [SLOT]; -> the exit status."""
    if words[0] == "load-image":
        if len(words) not in (3, 4) or len(words) == 4 and \
                not words[3].isdigit():
            return _usage_error("usage: load-image VM FILE [SLOT]")
        vm, path = words[1], words[2]
        slot = int(words[3]) if len(words) == 4 else None
    elif len(words) != 3 or not words[1].isdigit():
        return _usage_error(f"usage: {words[0]} SLOT FILE")
    else:
        slot, path = int(words[1]), words[2]
    try:
        if words[0] == "load-image":
            row = k.load_image(vm, path, slot=slot, timeout=timeout)
            print(" ".join(f"{k_}={v}" for k_, v in row.items()) +
                  f" file={path}")
        elif words[0] == "slot-save":
            size = k.slot_save(slot, path, timeout=timeout)
            print(f"slot={slot} size={size} file={path}")
        else:
            row = k.slot_load(slot, path, timeout=timeout)
            print(" ".join(f"{k_}={v}" for k_, v in row.items()) +
                  f" file={path}")
    except CtlError as e:
        print(f"kairosctl: {' '.join(words)}: {e.message} (status "
              f"{e.status}, {STATUS_NAMES.get(e.status, '?')})",
              file=sys.stderr)
        return EXIT_REFUSED_BASE + e.status
    except OSError as e:
        print(f"kairosctl: {words[0]}: {path}: {e.strerror or e}",
              file=sys.stderr)
        return EXIT_FILE
    return 0


def main(argv=None):
    """The kairosctl command; returns the exit status."""
    argv = sys.argv[1:] if argv is None else argv
    try:
        opts = _parse_args(argv)
    except ValueError as e:
        return _usage_error(str(e))
    if opts.get("help"):
        print(USAGE, end="")
        return 0
    if opts["qemu"] == bool(opts["serial"]):
        return _usage_error("give exactly one of --qemu and --serial")
    if not opts["commands"]:
        return _usage_error("no command")
    interactive = opts["commands"] == [["shell"]]
    if opts["log"]:
        try:
            open(opts["log"], "ab").close()
        except OSError as e:
            return _usage_error(f"--log {opts['log']}: {e.strerror}")
    try:
        if opts["qemu"]:
            tool = kairos_qemu_tool()
            k = KairosCtl.spawn([tool, *opts["qemu_args"]], log=opts["log"])
        else:
            k = KairosCtl.open_serial(opts["serial"], opts["baud"],
                                      log=opts["log"])
    except OSError as e:
        what = "--serial " + opts["serial"] if opts["serial"] else "--qemu"
        print(f"kairosctl: {what}: {e.strerror or e}", file=sys.stderr)
        return EXIT_UNREACHABLE
    except ValueError as e:
        print(f"kairosctl: {e}", file=sys.stderr)
        return EXIT_UNREACHABLE
    k.timeout = opts["timeout"]
    with k:
        try:
            k.connect(timeout=opts["timeout"])
            if interactive:
                return _interactive(k)
            for words in opts["commands"]:
                if words[0] in FILE_COMMANDS:
                    rc = _file_command(k, words, opts["timeout"])
                    if rc:
                        return rc
                    continue
                r = k.request(*words, timeout=opts["timeout"], check=False)
                _print_response(r, sys.stdout)
                if r.status != OK:
                    print(f"kairosctl: {' '.join(words)}: {r.message} "
                          f"(status {r.status}, "
                          f"{STATUS_NAMES.get(r.status, '?')})",
                          file=sys.stderr)
                    return EXIT_REFUSED_BASE + r.status
        except ValueError as e:
            return _usage_error(str(e))
        except (CtlTimeout, CtlError) as e:
            print(f"kairosctl: {e}", file=sys.stderr)
            return EXIT_UNREACHABLE
    return 0
