# SPDX-License-Identifier: MIT
"""labgrid drivers for a board running Kairos (docs/labgrid.md).

KairosDriver binds to the board's console (any labgrid ConsoleProtocol:
a SerialDriver, QEMUDriver, ...) and speaks Kairos's control channel on
it (docs/control.md) through kairos.ctl. KairosVMConsoleDriver is a
ConsoleProtocol for one VM on top of it, so that labgrid's ShellDriver
and anything else that wants a console drives a guest as if it were a
board of its own."""
import logging
import time

import attr
from labgrid.driver.common import Driver
from labgrid.driver.consoleexpectmixin import ConsoleExpectMixin
from labgrid.factory import target_factory
from labgrid.protocol import ConsoleProtocol
from labgrid.step import step
from pexpect import TIMEOUT

from ..ctl import CtlError, CtlTimeout, KairosCtl
from .transport import ConsoleTransport


class KairosError(Exception):
    """What went wrong talking to Kairos, in one message: a refusal
    (.status, as kairos.ctl.CtlError), no answer in time, Kairos
    rebooting, or a console that closed. Raised instead of hanging."""

    def __init__(self, message, status=None):
        super().__init__(message)
        self.status = status


def _wrap(what, fn, *args, **kwargs):
    """Call @fn; kairos.ctl's exceptions become KairosError naming @what."""
    try:
        return fn(*args, **kwargs)
    except CtlError as e:
        raise KairosError(f"Kairos refused {what}: {e.message} (status "
                          f"{e.status})", e.status) from e
    except CtlTimeout as e:
        raise KairosError(f"{what}: {e}") from e
    except ValueError as e:
        raise KairosError(f"{what}: {e}") from e


@target_factory.reg_driver
@attr.s(eq=False)
class KairosDriver(Driver):
    """Kairos's control channel on a board's console.

    Args:
        connect_timeout (float): seconds to wait for Kairos to enter
            control mode at activation (it may still be booting)
        timeout (float): seconds a request may take (checkpoint and
            restore get at least 120)
        log (str): optional file that gets everything the console prints
    """
    bindings = {"console": ConsoleProtocol}
    connect_timeout = attr.ib(default=120.0, converter=float)
    timeout = attr.ib(default=30.0, converter=float)
    log = attr.ib(default=None)

    def __attrs_post_init__(self):
        super().__attrs_post_init__()
        self.logger = logging.getLogger(f"{self}")
        self.ctl = None
        self._cursor = {}

    def on_activate(self):
        self.ctl = KairosCtl(transport=ConsoleTransport(self.console),
                             log=self.log)
        try:
            _wrap("entering control mode", self.ctl.connect,
                  timeout=self.connect_timeout)
        except BaseException:
            self.ctl.close()
            self.ctl = None
            raise

    def on_deactivate(self):
        if self.ctl:
            self.ctl.close()
            self.ctl = None

    def _call(self, what, fn, *args, **kwargs):
        return _wrap(what, fn, *args, **kwargs)

    def reconnect(self):
        """Enter control mode again (after Kairos rebooted)."""
        return self._call("entering control mode", self.ctl.connect,
                          timeout=self.connect_timeout)

    @Driver.check_active
    @step(result=True)
    def hello(self):
        """-> {'protocol', 'kairos', 'vms', 'slots', 'freq'}"""
        return self._call("hello", self.ctl.hello)

    @Driver.check_active
    @step(result=True)
    def vms(self):
        """-> {name: state} of every VM."""
        rows = self._call("list", self.ctl.list_vms)
        return {r["vm"]: r["state"] for r in rows}

    @Driver.check_active
    @step(args=["vm"], result=True)
    def pause(self, vm):
        return self._call(f"pause {vm}", self.ctl.pause, vm,
                          timeout=self.timeout)

    @Driver.check_active
    @step(args=["vm"], result=True)
    def resume(self, vm):
        return self._call(f"resume {vm}", self.ctl.resume, vm,
                          timeout=self.timeout)

    @Driver.check_active
    @step(args=["vm"], result=True)
    def reset(self, vm):
        return self._call(f"reset {vm}", self.ctl.reset, vm,
                          timeout=max(self.timeout, 60))

    @Driver.check_active
    @step(args=["vm"], result=True)
    def stop(self, vm):
        return self._call(f"stop {vm}", self.ctl.stop, vm,
                          timeout=max(self.timeout, 60))

    @Driver.check_active
    @step(args=["vm"], result=True)
    def start(self, vm):
        return self._call(f"start {vm}", self.ctl.start, vm,
                          timeout=max(self.timeout, 60))

    @Driver.check_active
    @step(args=["vm", "slot"], result=True)
    def checkpoint(self, vm, slot):
        """-> Kairos's answer: {'vm', 'slot', 'size', 'us', 'ticks'}
        (us/ticks: how long the VM was held)."""
        return self._call(f"checkpoint {vm} {slot}", self.ctl.checkpoint,
                          vm, slot, timeout=max(self.timeout, 120))

    @Driver.check_active
    @step(args=["vm", "slot"], result=True)
    def restore(self, vm, slot, policy=None):
        """-> {'vm', 'slot', 'state', 'pages_copied', 'us', 'ticks'}.
        What the VM printed before is no longer looked at by expect()."""
        row = self._call(f"restore {vm} {slot}", self.ctl.restore, vm,
                         slot, policy, timeout=max(self.timeout, 120))
        self.mark(vm)
        return row

    @Driver.check_active
    @step(args=["vm", "path", "slot"], result=True)
    def load_image(self, vm, path, slot=None):
        """Load the kernel or bare-metal guest in file @path into the
        stopped VM @vm: its next start() boots it (control.md, "Loading
        a new image"; the HIL step of flashing a new build). Staged in
        checkpoint slot @slot, by default the last empty one.
        -> {'vm', 'slot', 'size', 'crc', 'entry'}"""
        try:
            return self._call(f"load-image {vm} {path}", self.ctl.load_image,
                              vm, path, slot=slot,
                              timeout=max(self.timeout, 60))
        except OSError as e:
            raise KairosError(f"load-image {vm}: {path}: "
                              f"{e.strerror or e}") from e

    @Driver.check_active
    @step(result=True)
    def slots(self):
        return self._call("slots", self.ctl.slots)

    @Driver.check_active
    @step(args=["vm", "text"], result=True)
    def input(self, vm, text):
        """Type the line @text and Enter (CR) into @vm's UART."""
        return self.type(vm, text + "\r")

    def type(self, vm, data):
        """Type @data (bytes or str) into @vm's UART as it is. -> bytes
        typed (all of them, or KairosError)."""
        return self._call(f"type {vm}", self.ctl.type_bytes, vm, data,
                          timeout=self.timeout)

    def mark(self, vm):
        """From now on expect() looks only at what @vm prints next."""
        self._cursor[vm] = len(self.ctl.guest_lines(vm))

    @Driver.check_active
    @step(args=["vm", "pattern"], result=True)
    def expect(self, vm, pattern, timeout=30.0):
        """Wait for a line of @vm (its labelled output, label stripped)
        matching the regex @pattern, after what an earlier expect()
        matched. -> the re.Match. KairosError after @timeout seconds."""
        since = self._cursor.get(vm, 0)
        m = self._call(f"expect [{vm}] {pattern!r}", self.ctl.wait_guest,
                       vm, pattern, timeout=timeout, since=since)
        lines = self.ctl.guest_lines(vm)
        for i in range(since, len(lines)):
            if m.string is lines[i] or lines[i] == m.string:
                self._cursor[vm] = i + 1
                break
        return m

    def guest_bytes(self, vm):
        """Everything @vm printed, as bytes (kairos.ctl.guest_bytes)."""
        return self.ctl.guest_bytes(vm)

    def check_vm(self, vm):
        """KairosError unless Kairos has a VM named @vm."""
        known = self.vms()
        if vm not in known:
            raise KairosError(f"no VM {vm!r} on this Kairos (it has "
                              f"{', '.join(sorted(known)) or 'none'})", 2)


@target_factory.reg_driver
@attr.s(eq=False)
class KairosVMConsoleDriver(ConsoleExpectMixin, Driver, ConsoleProtocol):
    """One VM's console: reads are what the VM prints (its labelled lines,
    label stripped, bytes exact), writes are typed into its UART.

    Writes are typed as they are with the control channel's `type`
    request (control characters too: sendcontrol("c") is a Ctrl-C).

    Args:
        vm (str): the VM's name
    """
    bindings = {"kairos": KairosDriver}
    vm = attr.ib(validator=attr.validators.instance_of(str))
    txdelay = attr.ib(default=0.0, converter=float)

    def __attrs_post_init__(self):
        super().__attrs_post_init__()
        self.logger = logging.getLogger(f"{self}({self.vm})")
        self._pos = 0

    def on_activate(self):
        self.kairos.check_vm(self.vm)
        # What the VM printed before activation is not read again.
        self._pos = len(self.kairos.guest_bytes(self.vm))

    def _read(self, size=1, timeout=0.0):
        """What the VM printed since the last read (at least one byte, up
        to @size or 4096); pexpect's TIMEOUT if nothing came."""
        deadline = time.monotonic() + max(timeout, 0.0)
        ctl = self.kairos.ctl
        while True:
            data = ctl.guest_bytes(self.vm)
            if len(data) > self._pos:
                out = data[self._pos:self._pos + max(size, 4096)]
                self._pos += len(out)
                return out
            if time.monotonic() >= deadline:
                raise TIMEOUT(f"Timeout of {timeout:.2f} seconds exceeded "
                              f"waiting for VM {self.vm}")
            with ctl._cond:  # woken by the reader thread
                ctl._cond.wait(min(0.1, max(deadline - time.monotonic(),
                                            0.001)))

    def _write(self, data):
        if isinstance(data, str):
            data = data.encode()
        return self.kairos.type(self.vm, data)

    def open(self):
        """Nothing to open: the console is Kairos's."""

    def close(self):
        """Nothing to close."""
