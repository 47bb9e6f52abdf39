# SPDX-License-Identifier: MIT
"""Shared memory between VMs (docs/shmem.md), with the shmemtest guest
(guests/tests/shmemtest).

Two bare-metal VMs ping-pong sequence numbers through rings in a shared
region, each waking only on its doorbell interrupt: every number arrives
once and in order, and each side's doorbell counted every ring it made as
delivered or coalesced. On GICv3 and GICv2, with the VMs on two pCPUs and
sharing one. The full issue asks for 100 000 messages; under TCG that
takes minutes, so these runs send PINGPONG_N (there and back) to stay
well under a minute each.

Then the refusals: a read-only participant's write takes a data abort,
rings to indexes without a participant are counted and pend nothing, a
VM that was not given the region finds none and aborts on its address
and on the doorbell page. A Debian Linux VM boots with a region in its
device tree and, from its shell with busybox devmem, writes requests into
the region and rings a bare-metal VM, which answers through the region
without an interrupt; then, with the stock uio and uio_pci_generic
modules bound to the region's emulated PCI function, it waits for each
answer's interrupt on /dev/uio0 (docs/shmem.md). And Kairos refuses a
configuration whose region overlaps a VM's memory, naming both nodes.
"""
import os
import re
import subprocess

import pytest

from kairos_qemu import ROOT, TOOLS

GUEST = os.path.join(ROOT, "build", "guests", "shmemtest.bin")
LINUX = os.path.join(ROOT, "build", "guests", "linux")
PINGPONG_N = 100000
REGION_IPA = 0x80000000


def _system(tmp_path, vms, region):
    """A system file: @vms (name, cpus, bootargs), then @region's text."""
    nodes = []
    for i, (name, cpus, args) in enumerate(vms):
        cpu_cells = " ".join(str(c) for c in cpus)
        nodes.append(f"""
		vm@{i} {{
			vm-name = "{name}";
			profile = "virt";
			memory = <0x0 0x40000000 0x0 0x4000000>;
			vcpus = <1>;
			cpus = <{cpu_cells}>;
			kairos-qemu,kernel-file = "{GUEST}";
			bootargs = "{args}";
		}};""")
    text = ("/dts-v1/;\n/plugin/;\n\n&{/} {\n\thypervisor {\n"
            '\t\tcompatible = "kairos,hypervisor";\n'
            "\t\t#address-cells = <2>;\n\t\t#size-cells = <2>;\n"
            + "".join(nodes) + region + "\n\t};\n};\n")
    path = tmp_path / "system.dts"
    path.write_text(text)
    return str(path)


def _peer(i, vm, access="rw"):
    return f"""
			peer@{i} {{
				vm = "{vm}";
				ipa = <0x0 {REGION_IPA:#x}>;
				access = "{access}";
			}};"""


def _region(peers, size=0x10000):
    return f"""
		shmem@0 {{
			size = <0x0 {size:#x}>;{''.join(peers)}
		}};"""


def _verdicts(con, names, test):
    got = {}
    for _ in names:
        m = con.expect(rf"\[(\w+)\] TEST {test}: (PASS|FAIL|SKIP)([^\r\n]*)",
                       timeout=240)
        got[m.group(1).decode()] = (m.group(2).decode(),
                                    m.group(3).decode())
    return got


@pytest.mark.parametrize("gic", [3, 2])
@pytest.mark.parametrize("placement", ["two_pcpus", "one_pcpu"])
def test_pingpong(boot, tmp_path, gic, placement):
    cpus = ([0], [1]) if placement == "two_pcpus" else ([0], [0])
    args = f"test=pingpong n={PINGPONG_N} window=4"
    system = _system(tmp_path, [("ping", cpus[0], args),
                                ("pong", cpus[1], args)],
                     _region([_peer(0, "ping"), _peer(1, "pong")]))
    con = boot([f"{TOOLS}/kairos-qemu", "--gic", str(gic), "--smp", "2",
                "--system", system, "--", "-no-reboot"])
    con.expect(r"kairos: /hypervisor/shmem@0: 64 KiB at host 0x[0-9a-f]+, "
               r"doorbell INTID 44, 2 participants")
    got = _verdicts(con, ["ping", "pong"], "pingpong")
    con.expect(r"kairos: all VMs stopped")
    log = con.tail()
    for vm in ("ping", "pong"):
        assert got[vm][0] == "PASS", f"{vm}: {got[vm][1]}\n{log}"
    # The pinger's count of round trips is what it was asked for.
    assert re.search(rf"\[ping\] # {PINGPONG_N} messages there and back",
                     log), log


@pytest.mark.parametrize("gic", [3, 2])
def test_refusals(boot, tmp_path, gic):
    """One boot: 'a' rings bad indexes, 'r' writes its read-only mapping,
    'x' (not a participant) reaches for the region and its doorbell."""
    system = _system(
        tmp_path,
        [("a", [0], "test=bad_index"), ("r", [1], "test=ro_write"),
         ("x", [1], f"test=not_given ipa={REGION_IPA:#x}")],
        _region([_peer(0, "a"), _peer(1, "r", "ro")]))
    con = boot([f"{TOOLS}/kairos-qemu", "--gic", str(gic), "--smp", "2",
                "--system", system, "--", "-no-reboot"])
    got = {}
    for _ in range(3):
        m = con.expect(r"\[(\w+)\] TEST (\w+): (PASS|FAIL|SKIP)([^\r\n]*)",
                       timeout=120)
        got[m.group(1).decode()] = (m.group(2).decode(), m.group(3).decode(),
                                    m.group(4).decode())
    con.expect(r"kairos: all VMs stopped")
    log = con.tail()
    assert got["a"][:2] == ("bad_index", "PASS"), log
    assert got["r"][:2] == ("ro_write", "PASS"), log
    assert got["x"][:2] == ("not_given", "PASS"), log
    # Kairos injected the aborts, and said so.
    assert re.search(r"kairos: VM r vCPU0: .*abort injected", log), log
    assert re.search(r"kairos: VM x vCPU0: .*abort injected", log), log


def test_checkpoint_of_the_only_writer(boot, tmp_path):
    """'w' writes the region, 'r' reads it. w's checkpoint holds the
    region, and its restore brings the region back with w's RAM: w checks
    the region still holds its own last count before each one, and r sees
    the count go back to the checkpoint's. r's own checkpoint and restore
    are refused, naming w."""
    n = 40
    system = _system(tmp_path, [("w", [0], f"test=tick n={n}"),
                                ("r", [1], f"test=watch n={n}")],
                     _region([_peer(0, "w"), _peer(1, "r", "ro")]))
    con = boot([f"{TOOLS}/kairos-qemu", "--gic", "3", "--smp", "2",
                "--store", "64M", "--slots", "2", "--console-input",
                "shell", "--system", system, "--", "-no-reboot"])
    con.expect(r"\[w\] # tick 3\r*\n", timeout=120)
    con.send_line("vm checkpoint w 0")
    con.expect(r"vm: w checkpointed into slot 0", timeout=60)
    # The count at the checkpoint: w's next line, or the one before.
    ck = int(con.expect(r"\[w\] # tick (\d+)\r*\n").group(1))
    con.send_line("vm checkpoint r 1")
    con.expect(r"vm: checkpoint of r into slot 1 failed: it takes part in "
               r"shared-memory region 0, which only a checkpoint of VM w "
               r"holds")
    con.send_line("vm restore r 0")
    con.expect(r"vm: restore of r from slot 0 failed: r: it takes part in "
               r"shared-memory region 0, which only a checkpoint of VM w "
               r"holds")
    top = ck + 5
    con.expect(rf"\[w\] # tick {top}\r*\n", timeout=60)
    con.send_line("vm restore w 0")
    con.expect(r"vm: w restored from slot 0", timeout=60)
    # r reads the region of the checkpoint again: a count below top (a
    # line or two it read before the restore may come first).
    seen = []
    while not seen or seen[-1] >= top:
        assert len(seen) < 10, seen
        seen.append(int(con.expect(r"\[r\] # sees (\d+)\r*\n",
                                   timeout=60).group(1)))
    assert ck - 1 <= seen[-1] <= ck + 2, (ck, seen)
    got = _verdicts(con, ["w", "r"], "(?:tick|watch)")
    log = con.tail()
    assert got["w"][0] == "PASS", f"w: {got['w'][1]}\n{log}"
    assert got["r"][0] == "PASS", f"r: {got['r'][1]}\n{log}"


def test_config_refused(tmp_path):
    """A region over a VM's memory: Kairos names the region and the VM,
    and does not start (exit status 3)."""
    region = """
		shmem@0 {
			size = <0x0 0x200000>;
			host = <0x0 0x7e000000>;
			peer@0 {
				vm = "a";
				ipa = <0x0 0x80000000>;
			};
		};"""
    system = _system(tmp_path, [("a", [0], "test=bad_index")], region)
    text = open(system).read().replace(
        'vm-name = "a";', 'vm-name = "a";\n\t\t\tmemory-host = <0x0 0x7e000000>;')
    open(system, "w").write(text)
    p = subprocess.run([f"{TOOLS}/kairos-qemu", "--gic", "3", "--smp", "1",
                        "--mem", "2G", "--system", system, "--",
                        "-no-reboot"],
                       capture_output=True, timeout=120)
    out = p.stdout.decode(errors="replace")
    assert p.returncode == 3, out
    assert ("/hypervisor/shmem@0: property host: 0x7e000000-0x7e1fffff "
            "overlaps the memory of /hypervisor/vm@0") in out, out


def _linux_and_echo(tmp_path, echo_args):
    """The system file of the Debian Linux VM (vm@0, pCPU 0, its shell on
    the console) and a bare-metal echo VM (vm@1, pCPU 1, @echo_args)
    sharing region 0 as indexes 0 and 1."""
    linux = f"""
		vm@0 {{
			vm-name = "linux";
			profile = "virt";
			memory = <0x0 0x40000000 0x0 0x10000000>;
			vcpus = <1>;
			cpus = <0>;
			kairos-qemu,kernel-file = "{LINUX}/Image";
			kairos-qemu,initrd-file = "{LINUX}/initramfs.cpio.gz";
			bootargs = "console=ttyAMA0 quiet kairos.loops=0 kairos.shell=1";
		}};"""
    system = _system(tmp_path, [("echo", [1], echo_args)],
                     linux + _region([_peer(0, "linux"), _peer(1, "echo")]))
    text = open(system).read().replace("vm@0 {\n\t\t\tvm-name = \"echo\"",
                                       "vm@1 {\n\t\t\tvm-name = \"echo\"")
    open(system, "w").write(text)
    return system


def test_linux_devmem_to_bare_metal(boot, tmp_path):
    """Linux (pCPU 0) and a bare-metal echo VM (pCPU 1): each request
    Linux writes and rings for is answered with request + 1."""
    rounds = 3
    system = _linux_and_echo(tmp_path, f"test=echo n={rounds}")
    con = boot([f"{TOOLS}/kairos-qemu", "--gic", "3", "--smp", "2",
                "--system", system, "--", "-no-reboot"])
    con.expect(r"\[echo\] # echo ready, index 1", timeout=120)
    con.expect(r"\[linux\] KAIROS-LINUX-SHELL", timeout=180)
    con.child.send(b"\x010")  # console input to VM 0, linux
    con.expect(r"console input to VM linux")
    con.send_line("devmem 0x0b000000 32; devmem 0x0b000004 32")
    con.expect(r"\[linux\] 0x00000000\r*\n", timeout=60)
    con.expect(r"\[linux\] 0x00000003\r*\n", timeout=60)
    for k in range(rounds):
        req = 0x100 + k
        con.send_line(f"devmem 0x80000000 32 {req}; "
                      "devmem 0x0b000008 32 1; sleep 1; "
                      "devmem 0x80000004 32")
        con.expect(rf"\[echo\] # echo {req} -> {req + 1}", timeout=60)
        con.expect(rf"\[linux\] 0x{req + 1:08X}\r*\n", timeout=60)
    con.send_line("exit")
    con.expect(r"\[linux\] KAIROS-LINUX-DONE", timeout=60)
    con.expect(r"kairos: all VMs stopped", timeout=60)
    with open(con.log_path, "rb") as f:
        log = f.read().decode(errors="replace")
    # Its verdict: it took a doorbell interrupt for each request.
    assert "[echo] TEST echo: PASS" in log, log[-3000:]


# About 0.1 s a round under TCG (six busybox processes): the full 1000 on
# GICv3, fewer on GICv2, whose INTx path differs only in the back end.
UIO_ROUNDS = {3: 1000, 2: 200}


@pytest.mark.parametrize("gic", [3, 2])
def test_linux_uio_pci_to_bare_metal(boot, tmp_path, gic):
    """The stock Debian kernel and modules: Linux binds uio_pci_generic to
    the region's PCI function and, from busybox sh (guests/linux/shmem-uio),
    writes UIO_ROUNDS[gic] requests, rings the bare-metal echo VM, waits for its
    answer's interrupt on /dev/uio0, acknowledges, re-enables INTx and
    checks the answer. Every answer is request + 1, in order; the UIO
    interrupt count covers every round."""
    rounds = UIO_ROUNDS[gic]
    system = _linux_and_echo(tmp_path, f"test=echo n={rounds} quiet=1")
    con = boot([f"{TOOLS}/kairos-qemu", "--gic", str(gic), "--smp", "2",
                "--system", system, "--", "-no-reboot"])
    con.expect(r"\[echo\] # echo ready, index 1", timeout=120)
    con.expect(r"\[linux\] KAIROS-LINUX-SHELL", timeout=180)
    con.child.send(b"\x010")  # console input to VM 0, linux
    con.expect(r"console input to VM linux")
    con.send_line("lspci 2>/dev/null; cat /sys/bus/pci/devices/*/vendor "
                  "/sys/bus/pci/devices/*/device /sys/bus/pci/devices/*/irq")
    con.expect(r"\[linux\] 0x1af4\r*\n", timeout=60)
    con.expect(r"\[linux\] 0x1110\r*\n", timeout=60)
    # Probe-only: Linux left BAR0 on the doorbell page, BAR2 on the region.
    con.send_line("head -3 /sys/bus/pci/devices/0000:00:00.0/resource")
    con.expect(r"\[linux\] 0x000000000b000000 0x000000000b000fff 0x0*40200",
               timeout=60)
    con.expect(r"\[linux\] 0x0+ 0x0+ 0x0+\r*\n", timeout=60)
    con.expect(rf"\[linux\] 0x0*{REGION_IPA:x} 0x0*{REGION_IPA + 0xffff:x} "
               r"0x0*40200", timeout=60)
    con.send_line(f"shmem-uio {rounds}")
    m = con.expect(r"\[linux\] KAIROS-UIO-(OK|FAIL)([^\r\n]*)\r*\n",
                   timeout=600)
    verdict, detail = m.group(1).decode(), m.group(2).decode()
    con.send_line("grep uio /proc/interrupts; exit")
    con.expect(r"\[linux\] KAIROS-LINUX-DONE", timeout=60)
    con.expect(r"kairos: all VMs stopped", timeout=60)
    with open(con.log_path, "rb") as f:
        log = f.read().decode(errors="replace")
    assert verdict == "OK", detail + "\n" + log[-4000:]
    got = re.match(r" (\d+) rounds, (\d+) interrupts", detail)
    assert got, detail
    assert int(got.group(1)) == rounds, detail
    # One interrupt per answer at least (a late ring may merge with none).
    assert int(got.group(2)) >= rounds, detail
    # The echo VM answered the last request, and took its doorbell
    # interrupt for each.
    assert f"[echo] # echo {rounds} -> {rounds + 1}" in log, \
        log[-3000:]
    assert "[echo] TEST echo: PASS" in log, log[-3000:]
    # Its interrupt is the level-sensitive INTx SPI of region 0 (SPI 3).
    assert re.search(r"\[linux\] +\d+: +\d+ +GIC\S* +35 Level +"
                     r"uio_pci_generic", log), log[-3000:]
