# SPDX-License-Identifier: MIT
"""The console: a shell on the UART's receive interrupt, a crash report
for unexpected exceptions, and power-off; guest output as the operator
sees it (prompts without a newline, control characters escaped), and a
single VM that has console input from boot on."""
import os
import re

from kairos_qemu import (KAIROS_BIN, ROOT, SUMMARY_RE, TOOLS, machine,
                         qemu_cmd)

UBOOT = "/usr/lib/u-boot/qemu_arm64/u-boot.bin"
VMTEST = f"{ROOT}/build/guests/vmtest.bin"


def booted(boot, smp=2, gic=3):
    con = boot(qemu_cmd(machine(gic), smp=smp, extra=["-kernel", KAIROS_BIN]))
    con.expect(SUMMARY_RE)
    verdicts, log = con.selftests_and_prompt(
        smp, con.child.before.decode(errors="replace"))
    assert verdicts == {i: "passed" for i in range(smp)}, log
    return con


def test_shell_help_and_cpus(boot):
    con = booted(boot, smp=3)
    con.send_line("help")
    con.expect(r"kairos> ")
    out = con.child.before.decode(errors="replace")
    for cmd in ("help", "version", "cpus", "poweroff", "reset", "crash"):
        assert re.search(rf"^\s+{cmd}\s", out, re.M), out
    con.send_line("cpus")
    con.expect(r"kairos> ")
    out = con.child.before.decode(errors="replace")
    rows = re.findall(r"CPU(\d)\s+MPIDR 0x(\w+)\s+online\s+timerq self-test "
                      r"passed\s+timer callbacks (\d+)", out)
    assert [int(r[0]) for r in rows] == [0, 1, 2], out
    assert all(int(r[2]) >= 11 for r in rows), out
    con.send_line("frobnicate")
    con.expect(r"unknown command 'frobnicate' \(try 'help'\)")


def test_crash_report(boot):
    con = booted(boot, smp=2)
    con.send_line("crash")
    con.expect(r"kairos: CPU0: unexpected exception \(synchronous, EL2\)")
    m = con.expect(r"EC 0x25: data abort at EL2: translation fault, level \d, "
                   r"read[\r\n]+[^\n]*ESR 0x(\w+)\s+ELR 0x(\w+)\s+FAR 0x(\w+)\r*\n")
    esr, far = int(m.group(1), 16), int(m.group(3), 16)
    assert esr >> 26 == 0x25
    assert far == 0xfffffff0000
    con.expect(r"SPSR 0x\w+\s+SP 0x\w+")
    for i in range(0, 30, 2):
        con.expect(rf"x{i:<2} 0x[0-9a-f]{{16}}\s+x{i + 1:<2} 0x[0-9a-f]{{16}}")
    con.expect(r"x30 0x[0-9a-f]{16}")
    con.expect(r"kairos: CPU0 stopped")
    assert con.alive()


def test_poweroff(boot):
    con = booted(boot, smp=1)
    con.send_line("poweroff")
    con.expect(r"kairos: powering off")
    assert con.wait_exit(timeout=30) == 0


def test_one_vm_has_the_console_and_its_prompt_shows(boot):
    """A newcomer's first boot: the banner says how to switch and quit,
    the only VM has console input, and U-Boot's prompt (no newline after
    it) shows without a key pressed."""
    assert os.path.exists(UBOOT)
    con = boot([f"{TOOLS}/kairos-qemu", "--smp", "2",
                "--vm", f"name=uboot,image={UBOOT}", "--", "-no-reboot"])
    con.expect(r"kairos: console: Ctrl-A then 0 gives console input to "
               r"that VM, Ctrl-A k to the Kairos shell")
    con.expect(r"kairos: console: QEMU \(tools/kairos-qemu\): Ctrl-\] then "
               r"x quits")
    con.expect(r"kairos: console input to VM uboot \(Ctrl-A k: back to "
               r"Kairos\)")
    con.expect(r"\[uboot\] Hit any key to stop autoboot")
    con.expect(r"\[uboot\] => ")  # autoboot ran out; nothing was typed
    con.send_line("version")  # no Ctrl-A: input is the VM's already
    # The echo continues the prompt's line: one label for both.
    con.expect(r"version\r*\n")
    assert b"\n" not in con.child.before, con.child.before
    con.expect(r"\[uboot\] U-Boot 20\d\d\.\d\d")
    con.expect(r"\[uboot\] => ")
    con.send_line("poweroff")
    con.expect(r"kairos: all VMs stopped")
    assert con.wait_exit(timeout=30) == 0


def test_guest_output_escaped_and_prompt_shown_while_it_waits(boot):
    """Two VMs, input at the Kairos shell: a guest's terminal controls
    are shown escaped (none reaches the terminal raw), CR LF ends a line,
    a lone CR starts another, and a prompt without a newline shows while
    the guest waits for a key, which then reaches it."""
    con = boot([f"{TOOLS}/kairos-qemu", "--smp", "2",
                "--vm", f"name=con,image={VMTEST},bootargs=test=console_io",
                "--vm", f"name=idle,image={VMTEST},"
                        "bootargs=test=fp_preserved iters=1000000000",
                "--", "-no-reboot"])
    con.expect(r"kairos> ")
    # The guest waits 30 s for its key; the prompt shows long before.
    con.expect(r"\[con\] prompt> ", timeout=20)
    con.child.send(b"\x01" b"0")
    con.expect(r"kairos: console input to VM con")
    con.child.send(b"y")
    con.expect(r"\[con\] # got key 0x79")
    con.expect(re.escape(
        rb"[con] # escapes: \x1b[2J\x1b]0;title\x07 form\x0cfeed "
        rb"del\x7f nul<\x00>") + rb"\r*\n")
    con.expect(rb"\[con\] # progress 1\r*\n\[con\] progress 2\r*\n")
    con.expect(r"\[con\] done> ", timeout=20)
    con.child.send(b"z")
    con.expect(r"\[con\] TEST console_io: PASS")
    with open(con.log_path, "rb") as f:
        log = f.read()
    assert b"\x1b" not in log and b"\x00" not in log and b"\x0c" not in log
