# SPDX-License-Identifier: MIT
"""The hardware-in-the-loop step through kairos.ctl (docs/labgrid.md):
restore a guest from its golden slot, type a command into its shell,
check the answer. Shared by tests/integration/test_hil_loop.py and
`make bench-hil`."""
import time

from .ctl import CtlError

#: The guest's shell prompt (guests/linux/init: PS1='linux:\\w# ').
PROMPT = r"linux:[^ ]*# "


def hil_iteration(k, vm, slot, i, timeout=60):
    """Restore @vm from @slot, then in its shell: say whether the marker
    file a previous iteration wrote is there, write one, and compute
    something that only the shell can (7 * @i). -> (seconds taken, the
    restore's answer). CtlError if the guest saw a marker (state left
    over) or answered wrongly; CtlTimeout if it did not answer."""
    start = time.monotonic()
    mark = len(k.guest_lines(vm))
    row = k.restore(vm, slot)
    k.type_bytes(vm, f"test -e /hil-marker && echo STALE-{i} || echo "
                     f"CLEAN-{i}; echo {i} > /hil-marker; "
                     f"echo ANSWER-{i}-$(({i} * 7))\r")
    m = k.wait_guest(vm, rf"^(STALE|CLEAN)-{i}\r?$", timeout=timeout,
                     since=mark)
    if m.group(1) != "CLEAN":
        raise CtlError(4, f"iteration {i}: the marker of an earlier "
                       f"iteration survived the restore", "hil")
    m = k.wait_guest(vm, rf"^ANSWER-{i}-(\d+)\r?$", timeout=timeout,
                     since=mark)
    if int(m.group(1)) != 7 * i:
        raise CtlError(4, f"iteration {i}: answer {m.group(1)}, not "
                       f"{7 * i}", "hil")
    return time.monotonic() - start, row


def golden(k, vm, slot, timeout=300):
    """Wait for @vm's first shell prompt, checkpoint it into @slot.
    -> (seconds from the call, the checkpoint's answer)."""
    start = time.monotonic()
    k.wait_guest(vm, PROMPT, timeout=timeout)
    return time.monotonic() - start, k.checkpoint(vm, slot)
