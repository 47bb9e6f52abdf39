# SPDX-License-Identifier: MIT
"""Kairos on the Raspberry Pi 4, as QEMU models it (-M raspi4b: BCM2711,
GIC-400, spin-table CPUs, 54 MHz counter), booted by tools/kairos-rpi4:
through Debian's U-Boot from the SD-card image the way a real Pi boots,
and with -kernel. Guests see the virt profile on the GIC-400's virtual
interface. Needs `make rpi4-test-deps` (make integration runs it)."""
import os

import pytest

from kairos_qemu import ROOT, SUMMARY_RE, TOOLS

RPI4 = os.path.join(ROOT, "build", "rpi4")
GUESTS = os.path.join(ROOT, "build", "guests")
TOOL = os.path.join(TOOLS, "kairos-rpi4")
NEEDED = [os.path.join(RPI4, "kairos.bin"),
          os.path.join(RPI4, "bcm2711-rpi-4-b.dtb"),
          os.path.join(RPI4, "u-boot-rpi", "u-boot.bin"),
          os.path.join(GUESTS, "vmtest.bin"),
          os.path.join(GUESTS, "gictest.bin"),
          os.path.join(GUESTS, "timertest.bin")]

SGI_TESTS = ["sgi_pingpong", "sgi_source", "lr_overflow", "priority_chain"]
TIMER_TESTS = ["vt_cval", "vt_tval", "vt_periodic", "vt_mask_unmask",
               "pt_cval", "pt_tval", "t3_wfi_busy_sibling"]
VM_TESTS = ["psci_version", "psci_cpus", "mmio_widths"]
PI4_HZ = 54000000


@pytest.fixture(scope="module", autouse=True)
def rpi4_built():
    missing = [p for p in NEEDED if not os.path.exists(p)]
    if missing:
        pytest.fail("missing " + ", ".join(missing) +
                    ": run 'make rpi4-test-deps guests'")


def vm_spec(name, guest, vcpus, cpus, tests, extra=""):
    return (f"name={name},image={os.path.join(GUESTS, guest)},"
            f"vcpus={vcpus},cpus={cpus},mem=64M,bootargs=test="
            + ",".join(tests) + extra)


def expect_banner(con, timeout):
    """Every CPU online (spin-table), then the summary line."""
    seen = set()
    while len(seen) < 4:
        m = con.expect(r"kairos: CPU(\d) online \(MPIDR 0x(\d)", timeout)
        seen.add(int(m.group(1)))
        assert m.group(1) == m.group(2), "CPU number is not its MPIDR"
    m = con.expect(SUMMARY_RE, timeout)
    assert int(m.group(1)) == 4, m.group(0)
    assert m.group(2) == b"2", m.group(0)
    assert int(m.group(4)) == PI4_HZ, m.group(0)


def test_uboot_sdcard_two_vms(boot, tmp_path):
    """U-Boot (rpi_arm64) runs boot.scr from the card's FAT partition,
    loads Kairos, the /hypervisor overlay and both guests from it and
    applies the overlay to the firmware's DTB; Kairos comes up on the
    mini-UART with 4 CPUs and runs two VMs, whose SGIs and list-register
    overflow work on the GIC-400. The console takes input (polled). When
    both VMs have stopped Kairos powers the board off through the BCM2711
    power-management watchdog (the Pi has no PSCI): QEMU exits."""
    con = boot([TOOL, "--uboot", "--out", str(tmp_path),
                # linger: still running when 'vm list' is typed, however
                # fast its tests are next to the console.
                "--vm", vm_spec("sgi", "gictest.bin", 2, "0:1", SGI_TESTS,
                                " linger=3000"),
                "--vm", vm_spec("vm", "vmtest.bin", 2, "2:3", VM_TESTS)])
    con.expect(r"Kairos: loading from mmc \d+:\d+", timeout=90)
    # Every file comes off the card, whole: U-Boot says how much it read.
    files = [NEEDED[0], os.path.join(tmp_path, "card", "kairos.dtbo"),
             os.path.join(GUESTS, "gictest.bin"),
             os.path.join(GUESTS, "vmtest.bin")]
    con.expect_loads(files)
    expect_banner(con, timeout=60)
    for vm in ("sgi", "vm"):
        con.expect(rf"kairos: VM {vm}: 2 vCPUs on CPU", timeout=30)
    con.send_line("vm list")
    con.expect(r"\d+\s+sgi\s+(running|stopped)\s+2\s", timeout=30)
    con.expect(r"kairos: all VMs stopped", timeout=180)
    assert con.wait_exit(timeout=30) == 0
    with open(con.log_path, errors="replace") as f:
        log = f.read()
    for vm, tests in (("sgi", SGI_TESTS), ("vm", VM_TESTS)):
        assert f"[{vm}] SUMMARY: {len(tests)} passed, 0 failed" in log, vm
        for t in tests:
            assert f"[{vm}] TEST {t}: PASS" in log, (vm, t)


def expect_both(con, plan, timeout):
    """Verdicts of several VMs whose lines interleave."""
    got = {vm: {} for vm in plan}
    done = set()
    names = "|".join(plan)
    pat = (rf"\[({names})\] (?:TEST (\w+): (PASS|FAIL|SKIP)([^\r\n]*)|"
           rf"SUMMARY: (\d+) passed, (\d+) failed)")
    while done != set(plan):
        m = con.expect(pat, timeout)
        vm = m.group(1).decode()
        if m.group(5):
            assert int(m.group(6)) == 0, f"{vm}: {m.group(0)}: {got[vm]}"
            assert int(m.group(5)) == len(plan[vm]), m.group(0)
            done.add(vm)
        else:
            got[vm][m.group(2).decode()] = (m.group(3).decode(),
                                            m.group(4).decode())
    for vm, tests in plan.items():
        for t in tests:
            assert got[vm].get(t, ("none",))[0] == "PASS", \
                f"{vm}: {t}: {got[vm].get(t)}"


def test_kernel_timers_and_sgis_on_pl011(boot, tmp_path):
    """-kernel with the console on uart0 (the PL011), deterministic time
    (icount): the virtual and emulated physical timers at 54 MHz in one
    VM, SGIs in another, side by side."""
    con = boot([TOOL, "--console", "uart0", "--icount", "--out",
                str(tmp_path),
                "--vm", vm_spec("timer", "timertest.bin", 2, "0:1",
                                TIMER_TESTS),
                "--vm", vm_spec("sgi", "gictest.bin", 2, "2:3",
                                ["sgi_pingpong", "sgi_source"])])
    expect_banner(con, timeout=60)
    expect_both(con, {"timer": TIMER_TESTS,
                      "sgi": ["sgi_pingpong", "sgi_source"]}, timeout=240)
    con.expect(r"kairos: all VMs stopped", timeout=60)
    assert con.wait_exit(timeout=30) == 0


def test_shell_reset_and_poweroff_through_the_watchdog(boot, tmp_path):
    """The Pi has no PSCI: the shell's `reset` restarts the SoC through the
    power-management watchdog (QEMU boots Kairos again) and `poweroff`
    halts it (partition 63: QEMU exits), with a VM still running."""
    con = boot([TOOL, "--out", str(tmp_path),
                "--vm", f"name=busy,image={os.path.join(GUESTS, 'vmtest.bin')}"
                        ",bootargs=test=fp_preserved iters=1000000000"])
    expect_banner(con, timeout=60)
    con.expect(r"\[busy\] # running fp_preserved", timeout=60)
    con.to_shell()  # one VM: it has console input at first
    con.send_line("reset")
    con.expect(r"kairos: resetting", timeout=30)
    expect_banner(con, timeout=60)
    con.expect(r"\[busy\] # running fp_preserved", timeout=60)
    con.to_shell()
    con.send_line("poweroff")
    con.expect(r"kairos: powering off", timeout=30)
    assert con.wait_exit(timeout=30) == 0

@pytest.mark.parametrize("how", ["kernel", "uboot"])
def test_demo_linux_and_tests(boot, tmp_path, how):
    """The sample system of make sdcard (platforms/rpi4/demo.dts): Debian's
    Linux on 2 vCPUs beside the vmtest guest, with -kernel and through
    U-Boot (--preload: the big Linux images go in with -device loader,
    emulated SD reads being slow)."""
    linux = os.path.join(GUESTS, "linux", "Image")
    if not os.path.exists(linux):
        pytest.fail(f"{linux} missing: run 'make linux-guest'")
    extra = ["--uboot", "--preload"] if how == "uboot" else []
    con = boot([TOOL, *extra, "--out", str(tmp_path), "--system",
                os.path.join(ROOT, "platforms", "rpi4", "demo.dts")])
    expect_banner(con, timeout=60)
    m = con.expect(r"\[linux\] KAIROS-LINUX-READY (\d+) cpus|"
                   r"\[tests\] SUMMARY: (\d+) passed, (\d+) failed",
                   timeout=120)
    m2 = con.expect(r"\[tests\] SUMMARY: (\d+) passed, (\d+) failed"
                    if m.group(1) else
                    r"\[linux\] KAIROS-LINUX-READY (\d+) cpus", timeout=120)
    ready, summary = (m, m2) if m.group(1) else (m2, m)
    assert int(ready.group(1)) == 2, ready.group(0)
    failed = summary.group(3) if summary is m else summary.group(2)
    assert int(failed) == 0, summary.group(0)
    first = int(con.expect(r"\[linux\] KAIROS-TICK (\d+) ",
                           timeout=30).group(1))
    second = int(con.expect(r"\[linux\] KAIROS-TICK (\d+) ",
                            timeout=30).group(1))
    assert second == first + 1
