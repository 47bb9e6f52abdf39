# SPDX-License-Identifier: MIT
"""The README's tour, typed exactly as printed into `make run`: each line
of its ```tour block is a key (Ctrl-A X) or a line typed at the console,
and the text after `# ->` must show on the console before the next line
is typed. The tour checkpoints the demo's Linux VM, breaks it, restores
it and sees the note back, so it also proves the demo's store holds the
Linux VM. Before it, the first screen must say how to switch consoles and
how to quit."""
import os
import re

import pexpect

from kairos_qemu import ROOT

README = os.path.join(ROOT, "README.md")
BOOT_TIMEOUT = 240
STEP_TIMEOUT = 120


def tour_steps():
    """[(keys to send, expected text or None)] from the README."""
    with open(README, encoding="utf-8") as f:
        text = f.read()
    m = re.search(r"^```tour\n(.*?)^```", text, re.M | re.S)
    assert m, "README.md has no ```tour block"
    steps = []
    for raw in m.group(1).splitlines():
        what, _, comment = raw.partition("#")
        what = what.strip()
        expect = None
        if comment.startswith(" ->"):
            expect = comment[3:].strip()
        key = re.fullmatch(r"Ctrl-A (\S)", what)
        steps.append(("\x01" + key.group(1) if key else what + "\r",
                      expect))
    return steps


def test_tour_steps_parse():
    """The block is what the tour test drives: keys, lines, answers."""
    steps = tour_steps()
    assert len(steps) >= 8
    sent = [s for s, _ in steps]
    assert "vm checkpoint linux 0\r" in sent
    assert "vm restore linux 0\r" in sent
    assert all(e for s, e in steps if s.startswith("\x01"))


def test_readme_tour_through_make_run(boot):
    con = boot(["make", "-s", "run"])
    # The first screen says how to switch consoles and how to quit.
    con.expect(r"kairos: console: Ctrl-A then 0-2 gives console input to "
               r"that VM, Ctrl-A k to the Kairos shell", timeout=BOOT_TIMEOUT)
    con.expect(r"kairos: console: QEMU \(tools/kairos-qemu\): Ctrl-\] then "
               r"x quits")
    con.expect(r"\[linux\] KAIROS-LINUX-SHELL", timeout=BOOT_TIMEOUT)
    for keys, expect in tour_steps():
        con.child.send(keys.encode())
        if expect:
            con.expect(re.escape(expect), timeout=STEP_TIMEOUT)
    # Nothing of the restored VM was lost: it still runs commands.
    con.child.send(b"echo $((20 + 22))-after-restore\r")
    con.expect(r"\[linux\] 42-after-restore", timeout=STEP_TIMEOUT)
    con.child.send(b"\x1dx")  # QEMU's escape here: Ctrl-] then x
    con.expect(pexpect.EOF, timeout=30)
