# SPDX-License-Identifier: MIT
"""vCPU migration between pCPUs on the shell's `vm migrate` (docs/design.md §6,
invariant T7): a migrated vCPU keeps its registers, FP/SIMD state and
timer; a Linux guest whose vCPUs are re-pinned again and again while its
timers fire keeps exact time; wrong requests are refused with a reason."""
import os
import re

from kairos_qemu import ROOT, TOOLS
from test_linux import LINUX, BOOTARGS

VMTEST = os.path.join(ROOT, "build", "guests", "vmtest.bin")


def vm_info(con, name):
    """-> {vcpu: (cpu, migrations)} from `vm info`."""
    con.send_line(f"vm info {name}")
    con.expect(r"vcpu\s+cpu\s+state\s+exits\s+migrations\r*\n")
    con.expect(r"kairos> ")
    text = con.child.before.decode(errors="replace")
    return {int(m.group(1)): (int(m.group(2)), int(m.group(4)))
            for m in re.finditer(r"^\s+(\d+)\s+(\d+)\s+(\w+)\s+\d+\s+(\d+)",
                                 text, re.M)}


def test_migrate_busy_vm_keeps_its_state(boot):
    """The FP/SIMD check loop of vmtest moves between pCPU 0 and 1 a
    dozen times: every register it checks survives every move."""
    con = boot([f"{TOOLS}/kairos-qemu", "--smp", "2", "--vm",
                f"name=busy,image={VMTEST},cpus=0,"
                # Long enough to outlast the moves on an idle host.
                "bootargs=test=fp_preserved iters=200000000",
                "--", "-no-reboot"])
    con.expect(r"\[busy\] # 1 CPUs, \d+ checks each")
    con.to_shell()
    for k in range(12):
        con.send_line(f"vm migrate busy 0 {(k + 1) % 2}")
        con.expect(rf"vm: vCPU busy/0 moves to CPU{(k + 1) % 2}")
        con.expect(r"kairos> ")
        con.output_for(0.2)
    info = vm_info(con, "busy")
    assert info[0] == (0, 12), info
    con.expect(r"\[busy\] TEST fp_preserved: PASS", timeout=300)
    assert con.wait_exit() == 0


def test_t7_linux_repinned_while_timers_fire(boot):
    """Both Linux vCPUs are moved between the two pCPUs (swapped, then
    both on one, then back) while its `sleep 1` loop runs: each second
    still takes 1 s +- 5 % of guest time and both vCPUs keep taking timer
    interrupts. A busy VM on a third pCPU keeps QEMU from idling: under
    -icount sleep=off QEMU leaps over idle guest time, up to a second,
    before it reads the next input."""
    bootargs = BOOTARGS.replace("kairos.loops=5", "kairos.loops=9")
    con = boot([f"{TOOLS}/kairos-qemu", "--icount", "--smp", "3",
                "--vm", f"name=linux,image={LINUX}/Image,"
                        f"initrd={LINUX}/initramfs.cpio.gz,vcpus=2,"
                        f"cpus=0:1,mem=512M,bootargs={bootargs}",
                "--vm", f"name=busy,image={VMTEST},cpus=2,"
                        "bootargs=test=fp_preserved iters=1000000000",
                "--", "-no-reboot"])
    plans = [(1, 0), (0, 0), (1, 1), (0, 1)]
    for r, (cpu0, cpu1) in enumerate(plans):
        # One placement per second of the loop. The whole line first: the
        # log records what is sent where it is sent, and a command sent
        # mid-line would split the tick this test reads back from it.
        con.expect(rf"\[linux\] KAIROS-TICK {r} [0-9.]+\r*\n", timeout=120)
        for vcpu, cpu in ((0, cpu0), (1, cpu1)):
            con.send_line(f"vm migrate linux {vcpu} {cpu}")
            con.expect(rf"vm: vCPU linux/{vcpu} moves to CPU{cpu}")
    info = vm_info(con, "linux")
    con.expect(r"kairos: VM linux stopped \(PSCI SYSTEM_OFF\)", timeout=120)
    with open(con.log_path, errors="replace") as f:
        log = f.read()
    # Every move happened while the loop ran, before its last tick.
    last_tick = log.index("KAIROS-TICK 9 ")
    assert log.rindex("vm: vCPU linux/") < last_tick
    assert sum(m for _, m in info.values()) >= 2 * len(plans) - 2, info
    ticks = [float(t) for t in
             re.findall(r"KAIROS-TICK \d+ ([0-9.]+)\r*\n", log)]
    assert len(ticks) == 10, ticks
    for a, b in zip(ticks, ticks[1:]):
        assert 0.95 <= b - a <= 1.05, ticks
    irq = re.search(r"KAIROS-IRQ\s+\d+:\s+(\d+)\s+(\d+)\s+GIC\S*"
                    r"\s+27\s+Level\s+arch_timer", log)
    assert irq and int(irq.group(1)) > 0 and int(irq.group(2)) > 0, log


def test_migrate_refusals(boot):
    con = boot([f"{TOOLS}/kairos-qemu", "--smp", "2", "--vm",
                f"name=busy,image={VMTEST},"
                "bootargs=test=fp_preserved iters=1000000000",
                "--", "-no-reboot"])
    con.expect(r"\[busy\] # 1 CPUs, \d+ checks each")
    con.to_shell()
    for cmd, answer in [
            ("vm migrate busy 3 1", r"vm: busy has no vCPU 3 \(it has 1\)"),
            ("vm migrate busy 0 7",
             r"vm: cannot move vCPU busy/0 to CPU7: no such CPU online"),
            ("vm migrate busy 0", r"vm: usage: vm migrate <name> <vcpu> "),
            ("vm migrate busy x 1", r"vm: usage: vm migrate <name> <vcpu> "),
            ("vm migrate nosuch 0 1", r"vm: no VM of that name"),
            ("vm info busy extra", r"vm: usage: vm list")]:
        con.send_line(cmd)
        con.expect(answer)
        con.expect(r"kairos> ")
    assert vm_info(con, "busy")[0][1] == 0


def test_cpu_affinity_moves_a_waiting_vcpu_to_an_idle_pcpu(boot):
    """Both vCPUs placed on pCPU 0 with cpu-affinity 0-1 and pCPU 1 idle:
    the second one, started by PSCI CPU_ON and left waiting, is moved to
    pCPU 1; the FP/SIMD loop on both still passes."""
    con = boot([f"{TOOLS}/kairos-qemu", "--smp", "2", "--vm",
                f"name=busy,image={VMTEST},vcpus=2,cpus=0:0,affinity=0-1,"
                "bootargs=test=fp_preserved iters=3000000",
                "--", "-no-reboot"])
    con.expect(r"\[busy\] # 2 CPUs, \d+ checks each")
    con.to_shell()
    info = vm_info(con, "busy")
    assert info[0][0] != info[1][0], info
    assert info[0][1] + info[1][1] >= 1, info
    con.expect(r"\[busy\] TEST fp_preserved: PASS", timeout=300)
    assert con.wait_exit() == 0
