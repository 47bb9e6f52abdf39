# SPDX-License-Identifier: MIT
"""A labgrid console as a KairosCtl transport (kairos.ctl.FdTransport's
interface): KairosCtl's reader thread reads from it, requests are
written to it."""
import select
import time

from ..ctl import CtlTimeout

try:  # labgrid's read timeout is pexpect's
    from pexpect import TIMEOUT as _PexpectTimeout
except ImportError:  # pragma: no cover - labgrid needs pexpect
    _PexpectTimeout = TimeoutError


class ConsoleTransport:
    """Reads and writes a labgrid ConsoleProtocol driver.

    The reader thread calls the console's _read() (the method every
    ConsoleExpectMixin driver implements under read()), not read(): the
    public one is a labgrid step, and labgrid's steps are a stack that
    only one thread may use. Writes (from the thread that makes requests)
    use _write() for the same reason, retried until @timeout."""

    def __init__(self, console):
        self.console = console
        self._read = getattr(console, "_read", None) or console.read
        self._write = getattr(console, "_write", None) or console.write

    def read(self, timeout):
        """-> bytes, None if none came within @timeout, b"" if closed."""
        try:
            data = self._read(size=4096, timeout=timeout)
        except _PexpectTimeout:
            return None
        except (OSError, ValueError):
            return b""  # the console's socket or port is gone
        if not data:
            # labgrid consoles return b"" on a timeout (FakeConsoleDriver)
            # or raise; an empty read is never the end of the console.
            time.sleep(min(timeout, 0.05))
            return None
        return data

    def write(self, data, timeout):
        deadline = time.monotonic() + timeout
        while data:
            try:
                n = self._write(data)
            except (BlockingIOError, InterruptedError):
                n = 0
            except OSError as e:
                raise CtlTimeout(f"the console closed ({e})") from None
            if n is None:  # a driver that does not say: all of it
                n = len(data)
            data = data[n:]
            if data:
                if time.monotonic() > deadline:
                    raise CtlTimeout(f"the console took no input for "
                                     f"{timeout} s")
                select.select([], [], [], 0.01)
            else:
                break

    def close(self):
        """The console belongs to labgrid: nothing to close here."""
