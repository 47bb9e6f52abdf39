# SPDX-License-Identifier: MIT
"""The console: a shell on the UART's receive interrupt, a crash report
for unexpected exceptions, and power-off."""
import re

from kairos_qemu import KAIROS_BIN, SUMMARY_RE, machine, qemu_cmd


def booted(boot, smp=2, gic=3):
    con = boot(qemu_cmd(machine(gic), smp=smp, extra=["-kernel", KAIROS_BIN]))
    con.expect(SUMMARY_RE)
    con.expect(r"kairos> ")
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
