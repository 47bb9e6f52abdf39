# SPDX-License-Identifier: MIT
"""Kairos on the Raspberry Pi 3 Model B, as QEMU models it (-M raspi3b:
BCM2837, no GIC, the BCM2836 local and peripheral interrupt controllers,
spin-table CPUs, a real Pi 3's 19.2 MHz counter), booted with -kernel by
tools/kairos-rpi4 --board 3b: the same Kairos build as the Pi 4's, the
board told apart by its device tree (docs/rpi3.md). Needs
`make rpi4-test-deps guests` (make integration runs it)."""
import os
import re

import pytest

from kairos_qemu import ROOT, TOOLS

RPI = os.path.join(ROOT, "build", "rpi4")
GUESTS = os.path.join(ROOT, "build", "guests")
TOOL = os.path.join(TOOLS, "kairos-rpi4")
NEEDED = [os.path.join(RPI, "kairos.bin"),
          os.path.join(RPI, "bcm2837-rpi-3-b.dtb"),
          os.path.join(GUESTS, "vmtest.bin")]
PI3_HZ = 19200000
BANNER_RE = (rb"kairos: (\d+) CPUs, GICv(\d)( \(software\))?, (\d+) MiB RAM, "
             rb"counter (\d+) Hz")


@pytest.fixture(scope="module", autouse=True)
def rpi3_built():
    missing = [p for p in NEEDED if not os.path.exists(p)]
    if missing:
        pytest.fail("missing " + ", ".join(missing) +
                    ": run 'make rpi4-test-deps guests'")


def expect_banner(con, timeout):
    """The controllers found in the DTB, every CPU online through the spin
    table (each one's kick to CPU 0 is a mailbox SGI), the summary.
    Returns the text read before the summary."""
    m = con.expect(r"kairos: no GIC: BCM2836 local interrupt controller at "
                   r"0x([0-9a-f]+) \(([^)]*)\), peripheral controller at "
                   r"0x([0-9a-f]+)", timeout)
    assert int(m.group(1), 16) == 0x40000000, m.group(0)
    assert m.group(2) == b"/soc/local_intc@40000000", m.group(0)
    # /soc ranges: bus 0x7e00b200 is CPU 0x3f00b200.
    assert int(m.group(3), 16) == 0x3f00b200, m.group(0)
    seen, text = set(), ""
    while len(seen) < 4:
        m = con.expect(r"kairos: CPU(\d) online \(MPIDR 0x(\d)", timeout)
        text += con.child.before.decode(errors="replace")
        seen.add(int(m.group(1)))
        assert m.group(1) == m.group(2), "CPU number is not its MPIDR"
    m = con.expect(BANNER_RE, timeout)
    assert int(m.group(1)) == 4, m.group(0)
    assert m.group(2) == b"2" and m.group(3), m.group(0)
    assert int(m.group(5)) == PI3_HZ, m.group(0)
    return text + con.child.before.decode(errors="replace")


def test_kernel_banner_timers_and_pl011_console(boot, tmp_path):
    """-kernel, console on the PL011 (its interrupt is GPU interrupt 57 at
    the peripheral controller, chained to the local one): 4 CPUs, each
    passing the timerq self-test on its EL2 timer (CNTHP at the local
    controller), and the shell answering what is typed."""
    con = boot([TOOL, "--board", "3b", "--console", "uart0", "--out",
                str(tmp_path)])
    before = expect_banner(con, timeout=60)
    verdicts, log = con.selftests_and_prompt(4, before)
    assert verdicts == {i: "passed" for i in range(4)}, log
    con.send_line("cpus")
    for i in range(4):
        m = con.expect(rf"CPU{i}\s+MPIDR 0x{i}\s+online\s+timerq "
                       rf"self-test passed\s+timer callbacks (\d+)",
                       timeout=30)
        # At least the self-test's 11 deadlines, each an EL2 timer IRQ.
        assert int(m.group(1)) >= 11, m.group(0)
    con.expect(r"kairos> ", timeout=30)


def test_vm_refused_without_virtual_cpu_interface(boot, tmp_path):
    """A VM on the Pi 3 is refused with the reason until the software
    virtual CPU interface exists, and Kairos, with nothing to run, halts
    the board through the power-management watchdog: QEMU exits."""
    con = boot([TOOL, "--board", "3b", "--out", str(tmp_path),
                "--vm", f"name=t,image={os.path.join(GUESTS, 'vmtest.bin')}"])
    expect_banner(con, timeout=60)
    con.expect(r"kairos: /soc/local_intc@40000000: this board has no GIC "
               r"virtual CPU interface", timeout=30)
    con.expect(r"kairos: no VM to run: powering off", timeout=30)
    con.wait_exit(timeout=30)
    with open(con.log_path, errors="replace") as f:
        assert not re.search(r"kairos: VM t: ", f.read())
