# SPDX-License-Identifier: MIT
"""tools/kairos-qemu: the system DTB it generates for --vm/--system (QEMU's
own DTB plus /hypervisor, docs/configuration.md), the -device loader
placements it matches, refusals of bad input, and a real boot proving
Kairos accepts the merged DTB and the images land where the DTB says."""
import glob
import os
import re
import shlex
import struct
import subprocess

import sys

import pexpect
import pytest

from kairos_qemu import KAIROS_BIN, ROOT, SUMMARY_RE, TOOLS

sys.path.insert(0, TOOLS)
import kairos_sysdtb as sd  # noqa: E402

TOOL = os.path.join(TOOLS, "kairos-qemu")
MiB = 1 << 20
RAM_BASE = 0x40000000


def qemu_dtb_at(ram_size, uboot=False):
    """Where QEMU puts the DTB: RAM base for firmware; for -kernel where
    an initrd would go, RAM base + min(RAM / 2, 128 MiB)."""
    return RAM_BASE if uboot else RAM_BASE + min(ram_size // 2, 128 * MiB)
IDLE_GUEST = struct.pack("<II", 0xd503207f, 0x17ffffff)  # wfi; b .


def run_tool(*args):
    # stdin not a terminal, whoever runs the tests: --stdio auto is uart.
    return subprocess.run([TOOL, *args], capture_output=True, text=True,
                          timeout=60, stdin=subprocess.DEVNULL)


def kairos_end():
    with open(KAIROS_BIN, "rb") as f:
        image_size = struct.unpack_from("<Q", f.read(64), 16)[0]
    return RAM_BASE + 2 * MiB + (image_size + 2 * MiB - 1) // (2 * MiB) * (
        2 * MiB)


def fdtget(dtb, node, prop, typ="x"):
    out = subprocess.run(["fdtget", "-t", typ, dtb, node, prop],
                         capture_output=True, text=True, check=True).stdout
    if typ == "s":
        return out.rstrip("\n")
    return [int(x, 16) for x in out.split()]


def fdt_nodes(dtb, node):
    return subprocess.run(["fdtget", "-l", dtb, node], capture_output=True,
                          text=True, check=True).stdout.split()


def u64s(cells):
    return [cells[i] << 32 | cells[i + 1] for i in range(0, len(cells), 2)]


def image(tmp_path, name, size, head=IDLE_GUEST):
    p = tmp_path / name
    p.write_bytes(head + os.urandom(size - len(head)))
    return str(p)


def dry_run(tmp_path, *args):
    """-> (QEMU argv, system DTB path, {file: [addr, ...]})."""
    r = run_tool("--out", str(tmp_path / "out"), "--dry-run", *args)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    cmd = shlex.split(lines[0])
    assert lines[1].startswith("# system DTB: ")
    dtb = lines[1][len("# system DTB: "):]
    assert cmd[cmd.index("-dtb") + 1] == dtb
    loads = {}
    for i, a in enumerate(cmd):
        if a == "-device" and cmd[i + 1].startswith("loader,"):
            m = re.fullmatch(r"loader,file=(.+),addr=0x([0-9a-f]+),"
                             r"force-raw=on", cmd[i + 1])
            assert m, cmd[i + 1]
            loads.setdefault(m.group(1), []).append(int(m.group(2), 16))
    return cmd, dtb, loads


def vm_nodes(dtb):
    """{name: node path} of the VMs in /hypervisor."""
    return {fdtget(dtb, f"/hypervisor/{n}", "vm-name", "s"): f"/hypervisor/{n}"
            for n in fdt_nodes(dtb, "/hypervisor")}


def check_layout(dtb, loads, ram_size, uboot=False):
    """Every image: where a loader puts it, 2 MiB aligned, inside RAM,
    clear of QEMU's DTB, Kairos and every other image."""
    regions = []
    for name, node in vm_nodes(dtb).items():
        for kind in ("kernel", "initrd", "dtb"):
            try:
                addr, size = u64s(fdtget(dtb, node, kind))
            except subprocess.CalledProcessError:
                continue
            regions.append((addr, size, name, kind))
    loaded = sorted(a for addrs in loads.values() for a in addrs)
    assert loaded == sorted(r[0] for r in regions)
    regions.sort()
    for addr, size, name, kind in regions:
        assert addr % (2 * MiB) == 0, (name, kind)
        assert addr >= kairos_end(), (name, kind, hex(addr))
        dtb_at = qemu_dtb_at(ram_size, uboot)
        assert addr + size <= dtb_at or addr >= dtb_at + 2 * MiB
        assert addr + size <= RAM_BASE + ram_size, (name, kind)
    for a, b in zip(regions, regions[1:]):
        assert a[0] + a[1] <= b[0], (a, b)
    return regions


def test_vm_nodes_and_placements(tmp_path):
    k1 = image(tmp_path, "one.bin", 300_001)
    rd = image(tmp_path, "one.rd", 3 * MiB + 5)
    k2 = image(tmp_path, "two,comma.bin", 70_000)
    bootargs = 'console=ttyAMA0 root=/dev/ram0 a=b,c "q" x\\y'
    cmd, dtb, loads = dry_run(
        tmp_path, "--smp", "4", "--mem", "512M",
        "--vm", f"name=one,image={k1},initrd={rd},bootargs={bootargs}",
        "--vm", f"name=two,image={k2.replace(',', ',,')},vcpus=2,"
        "mem=64M,priority=3")
    assert fdtget(dtb, "/hypervisor", "compatible", "s") == \
        "kairos,hypervisor"
    assert fdtget(dtb, "/hypervisor", "#address-cells") == [2]
    assert fdtget(dtb, "/hypervisor", "#size-cells") == [2]
    vms = vm_nodes(dtb)
    assert sorted(vms) == ["one", "two"]
    one, two = vms["one"], vms["two"]
    assert one.endswith("/vm@0") and two.endswith("/vm@1")
    for node in (one, two):
        assert fdtget(dtb, node, "profile", "s") == "virt"
        props = subprocess.run(["fdtget", "-p", dtb, node], text=True,
                               capture_output=True, check=True).stdout
        assert "memory-host" not in props.split()
    assert u64s(fdtget(dtb, one, "memory")) == [RAM_BASE, 128 * MiB]
    assert u64s(fdtget(dtb, two, "memory")) == [RAM_BASE, 64 * MiB]
    assert fdtget(dtb, one, "vcpus") == [1]
    assert fdtget(dtb, two, "vcpus") == [2]
    assert fdtget(dtb, one, "cpus") == [0]
    assert fdtget(dtb, two, "cpus") == [1, 2]    # round-robin continues
    assert fdtget(dtb, two, "priority") == [3]
    assert fdtget(dtb, one, "bootargs", "s") == bootargs
    k1_at, k1_size = u64s(fdtget(dtb, one, "kernel"))
    rd_at, rd_size = u64s(fdtget(dtb, one, "initrd"))
    k2_at, k2_size = u64s(fdtget(dtb, two, "kernel"))
    assert (k1_size, rd_size, k2_size) == (300_001, 3 * MiB + 5, 70_000)
    # Filling RAM from the top, in command-line order.
    assert k1_at == RAM_BASE + 512 * MiB - 2 * MiB
    assert rd_at == k1_at - 4 * MiB
    assert k2_at == rd_at - 2 * MiB
    assert loads == {k1: [k1_at], rd: [rd_at],
                     k2.replace(",", ",,"): [k2_at]}
    check_layout(dtb, loads, 512 * MiB)
    # The board is QEMU's own, for the same machine.
    assert cmd[:cmd.index("-display")] == [
        "qemu-system-aarch64", "-M", "virt,virtualization=on,gic-version=3",
        "-cpu", "cortex-a72", "-smp", "4", "-m", "512M"]
    # Run by a program (no controlling terminal): the UART alone on stdio.
    assert cmd[cmd.index("-serial") + 1] == "chardev:kairos-stdio"
    assert "stdio,id=kairos-stdio,signal=off" in cmd
    assert cmd[cmd.index("-kernel") + 1] == KAIROS_BIN
    board = os.path.join(os.path.dirname(dtb), "board.dtb")
    assert set(fdt_nodes(dtb, "/")) == set(fdt_nodes(board, "/")) | {
        "hypervisor"}
    assert u64s(fdtget(dtb, "/memory@40000000", "reg")) == [RAM_BASE,
                                                            512 * MiB]


def test_board_dtb_follows_machine_options(tmp_path):
    k = image(tmp_path, "k.bin", 4096)
    _, dtb, _ = dry_run(tmp_path, "--gic", "2", "--smp", "3",
                        "--mem", "768M", "--cpu", "cortex-a53",
                        "--vm", f"name=a,image={k}")
    cpus = [n for n in fdt_nodes(dtb, "/cpus") if n.startswith("cpu@")]
    assert len(cpus) == 3
    assert fdtget(dtb, "/intc@8000000", "compatible", "s") == \
        "arm,cortex-a15-gic"
    assert fdtget(dtb, "/cpus/cpu@0", "compatible", "s") == \
        "arm,cortex-a53"
    assert u64s(fdtget(dtb, "/memory@40000000", "reg")) == [RAM_BASE,
                                                            768 * MiB]
    assert u64s(fdtget(dtb, "/hypervisor/vm@0", "kernel")) == [
        RAM_BASE + 768 * MiB - 2 * MiB, 4096]


def test_stdio_mux_for_a_person_uart_for_a_program(tmp_path):
    """--stdio mux: QEMU's monitor behind Ctrl-] on stdio; uart: the
    UART alone (no escape, Ctrl-C the board's); auto is mux only when
    stdin is the tool's controlling terminal (pexpect's pty is, as a
    person's terminal)."""
    k = image(tmp_path, "k.bin", 4096)
    mux, _, _ = dry_run(tmp_path, "--stdio", "mux", "--vm",
                        f"name=a,image={k}")
    assert mux[mux.index("-serial") + 1] == "mon:stdio"
    assert mux[mux.index("-echr") + 1] == "0x1d"
    uart, _, _ = dry_run(tmp_path, "--stdio", "uart", "--vm",
                         f"name=a,image={k}")
    assert uart[uart.index("-serial") + 1] == "chardev:kairos-stdio"
    assert "stdio,id=kairos-stdio,signal=off" in uart
    assert "-echr" not in uart and "mon:stdio" not in uart
    child = pexpect.spawn(TOOL, ["--out", str(tmp_path / "p"), "--dry-run",
                                 "--vm", f"name=a,image={k}"],
                          timeout=60)
    child.expect(pexpect.EOF)
    assert " -serial mon:stdio " in child.before.decode(), child.before


def test_cpus_and_sizes(tmp_path):
    k = image(tmp_path, "k.bin", 4096)
    _, dtb, _ = dry_run(
        tmp_path, "--smp", "2", "--mem", "2G",
        "--vm", f"name=a,image={k}",
        "--vm", f"name=b,image={k},vcpus=3,mem=65536K",
        "--vm", f"name=c,image={k},mem=1G",
        "--vm", f"name=d,image={k},cpus=1,0",        # bare continuation
        "--vm", f"name=e,image={k},cpus=0-1:1,vcpus=4")
    vms = vm_nodes(dtb)
    assert fdtget(dtb, vms["a"], "cpus") == [0]
    assert fdtget(dtb, vms["b"], "cpus") == [1, 0, 1]
    assert fdtget(dtb, vms["c"], "cpus") == [0]
    assert fdtget(dtb, vms["d"], "cpus") == [1, 0]
    assert fdtget(dtb, vms["d"], "vcpus") == [2]    # implied by cpus
    assert fdtget(dtb, vms["e"], "cpus") == [0, 1, 1]
    assert fdtget(dtb, vms["e"], "vcpus") == [4]
    assert u64s(fdtget(dtb, vms["b"], "memory"))[1] == 64 * MiB
    assert u64s(fdtget(dtb, vms["c"], "memory"))[1] == 1024 * MiB


def test_images_skip_busy_ranges(tmp_path):
    """Placement steps over QEMU's DTB and Kairos, and refuses when RAM
    runs out; VM memory must fit in a free block."""
    a = sd.Vm("a", mem=2 * MiB,
              files={"kernel": image(tmp_path, "a", 126 * MiB)})
    b = sd.Vm("b", mem=2 * MiB, files={"kernel": image(tmp_path, "b", MiB)})
    ram = 256 * MiB
    dtb = sd.qemu_dtb_range(RAM_BASE, ram, firmware=False)
    assert dtb == (0x48000000, 0x48200000)
    assert sd.qemu_dtb_range(RAM_BASE, 128 * MiB, False)[0] == 0x44000000
    assert sd.qemu_dtb_range(RAM_BASE, ram, True)[0] == RAM_BASE
    busy = [(RAM_BASE, 0x40600000), dtb]
    free = sd.place_images([a, b], RAM_BASE, ram, busy)
    assert a.placed["kernel"] == (0x48200000, 126 * MiB)
    assert b.placed["kernel"] == (0x47e00000, MiB)     # below the DTB
    assert free == [(0x40600000, 0x47e00000)]
    b.mem = 122 * MiB
    with pytest.raises(sd.ConfigError, match="mem 122 MiB does not fit"):
        sd.place_images([a, b], RAM_BASE, ram, busy)
    b.mem = 2 * MiB
    b.files["kernel"] = image(tmp_path, "b", 121 * MiB)
    with pytest.raises(sd.ConfigError, match="does not fit in the board's"):
        sd.place_images([a, b], RAM_BASE, ram, busy)


def test_print_dts_is_the_overlay(tmp_path):
    k = image(tmp_path, "k.bin", 4096)
    args = ["--out", str(tmp_path / "out"), "--vm",
            f"name=hello,image={k},bootargs=test=psci_version, a b"]
    r = run_tool("--print-dts", *args)
    assert r.returncode == 0, r.stderr
    src = r.stdout
    assert "/plugin/;" in src and "&{/} {" in src
    assert 'bootargs = "test=psci_version, a b";' in src
    with open(tmp_path / "out" / "vms.dts") as f:
        assert f.read() in src
    # --print-dts alone does not boot: nothing but the source is printed.
    assert "qemu-system-aarch64" not in src


def test_system_file_and_vm(tmp_path):
    """A system file names its images relative to itself; --vm adds VMs
    after it; kairos-qemu,* properties do not reach Kairos."""
    (tmp_path / "guests").mkdir()
    image(tmp_path / "guests", "g.bin", 10_000)
    image(tmp_path / "guests", "g.rd", 20_000)
    extra = image(tmp_path, "extra.bin", 30_000)
    sysfile = tmp_path / "sys.dts"
    sysfile.write_text("""/dts-v1/;
/plugin/;
&{/} {
	hypervisor {
		compatible = "kairos,hypervisor";
		#address-cells = <2>;
		#size-cells = <2>;
		vm@0 {
			vm-name = "alpha";
			profile = "virt";
			memory = <0x0 0x40000000 0x0 0x2000000>;
			vcpus = <2>;
			cpus = <1 0>;
			kairos-qemu,kernel-file = "guests/g.bin";
			kairos-qemu,initrd-file = "guests/g.rd";
			bootargs = "x y";
		};
	};
};
""")
    cmd, dtb, loads = dry_run(tmp_path, "--system", str(sysfile),
                              "--vm", f"name=beta,image={extra}")
    vms = vm_nodes(dtb)
    assert vms == {"alpha": "/hypervisor/vm@0", "beta": "/hypervisor/vm@1"}
    props = subprocess.run(["fdtget", "-p", dtb, vms["alpha"]], text=True,
                           capture_output=True, check=True).stdout.split()
    assert not [p for p in props if p.startswith("kairos-qemu,")]
    assert fdtget(dtb, vms["alpha"], "cpus") == [1, 0]
    assert fdtget(dtb, vms["alpha"], "bootargs", "s") == "x y"
    assert u64s(fdtget(dtb, vms["alpha"], "kernel"))[1] == 10_000
    assert u64s(fdtget(dtb, vms["alpha"], "initrd"))[1] == 20_000
    assert fdtget(dtb, vms["beta"], "cpus") == [2]  # after alpha's vCPUs
    assert str(tmp_path / "guests" / "g.bin") in loads
    check_layout(dtb, loads, 1024 * MiB)


@pytest.mark.parametrize("dts", sorted(glob.glob(
    os.path.join(ROOT, "platforms", "qemu-virt", "*.dts"))))
def test_sample_system_files(tmp_path, dts):
    """Samples compile with plain dtc -@ (as the build does) and, once the
    test guests are built, make a valid system DTB."""
    subprocess.run(["dtc", "-@", "-q", "-I", "dts", "-O", "dtb", "-o",
                    str(tmp_path / "s.dtbo"), dts], check=True)
    r = run_tool("--out", str(tmp_path / "out"), "--system", dts,
                 "--dry-run")
    if r.returncode == 2 and "no such file" in r.stderr:
        pytest.skip(f"sample's guest not built: {r.stderr.strip()}")
    assert r.returncode == 0, r.stderr
    dtb = tmp_path / "out" / "system.dtb"
    assert vm_nodes(str(dtb))


@pytest.mark.parametrize("args, message", [
    (["--frobnicate"], r"unrecognized arguments: --frobnicate"),
    (["--vm", "name=a,image=K,colour=red"], r"unknown option 'colour'"),
    (["--vm", "name=a,image=K,vcpus=0"], r"vcpus: 0 is out of range 1\.\.8"),
    (["--vm", "name=a,image=K,vcpus=9"], r"vcpus: 9 is out of range"),
    (["--vm", "name=a,image=/nonexistent/Image"],
     r"image: no such file: /nonexistent/Image"),
    (["--vm", "name=a,image=K,initrd=/nonexistent/rd"],
     r"initrd: no such file"),
    (["--vm", "image=K"], r"name= is required"),
    (["--vm", "name=a"], r"image= is required"),
    (["--vm", "name=a b,image=K"], r"bad VM name 'a b'"),
    (["--vm", "name=a,image=K", "--vm", "name=a,image=K"],
     r"VM name 'a' is also used"),
    (["--mem", "256M", "--vm", "name=a,image=K,mem=512M"],
     r"mem 512 MiB does not fit in the board's free RAM"),
    (["--mem", "256M", "--vm", "name=a,image=K,mem=128M",
      "--vm", "name=b,image=K,mem=128M"], r"does not fit in the board"),
    (["--vm", "name=a,image=K,mem=3M"], r"not a multiple of 2 MiB"),
    (["--vm", "name=a,image=K,mem=lots"], r"'lots' is not a size"),
    (["--vm", "name=a,image=K,mem=2M"], r"more than mem"),
    (["--smp", "2", "--vm", "name=a,image=K,cpus=0:2"],
     r"cpus names CPU 2, but the board has 2"),
    (["--vm", "name=a,image=K,vcpus=1,cpus=0:1"],
     r"cpus lists 2 CPUs but vcpus is 1"),
    (["--vm", "name=a,image=K,cpus=x"], r"not a CPU list"),
    (["--vm", "name=a,image=K,priority=256"], r"priority: 256 is out of"),
    (["--vm", "name=a,image=K,dtb=K"], r"is not a DTB"),
    (["--vm", "name=a,image=K", "--", "-dtb", "x.dtb"], r"-dtb among"),
    (["--print-dts"], r"--print-dts needs --vm or --system"),
    (["--system", "/nonexistent.dts"], r"no such file"),
])
def test_bad_input(tmp_path, args, message):
    k = image(tmp_path, "K", 3 * MiB)
    args = [a.replace("=K", "=" + k) for a in args]
    r = run_tool("--out", str(tmp_path / "out"), "--dry-run", *args)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert re.search(message, r.stderr), r.stderr
    assert "Traceback" not in r.stderr


def test_bad_system_files(tmp_path):
    bad = tmp_path / "bad.dts"
    bad.write_text("/dts-v1/; /plugin/; &{/} { hypervisor { vm@0 { } ; };")
    r = run_tool("--out", str(tmp_path / "o"), "--system", str(bad))
    assert r.returncode == 2 and "syntax error" in r.stderr, r.stderr
    noh = tmp_path / "noh.dts"
    noh.write_text("/dts-v1/; /plugin/; &{/} { other { }; };")
    r = run_tool("--out", str(tmp_path / "o"), "--system", str(noh))
    assert r.returncode == 2 and "no hypervisor node" in r.stderr, r.stderr
    nofile = tmp_path / "nofile.dts"
    nofile.write_text('/dts-v1/; /plugin/; &{/} { hypervisor { vm@0 { '
                      'vm-name = "a"; memory = <0 0x40000000 0 '
                      '0x200000>; kairos-qemu,kernel-file = "gone"; }; }; };')
    r = run_tool("--out", str(tmp_path / "o"), "--system", str(nofile))
    assert r.returncode == 2, r.stderr
    assert re.search(r"vm@0: kairos-qemu,kernel-file: no such file: "
                     r"\S*/gone", r.stderr), r.stderr


def monitor(con, command):
    """Run a QEMU monitor command (Ctrl-] c switches console/monitor)."""
    con.child.send(b"\x1dc")
    con.expect(r"\(qemu\) ")
    con.send_line(command)
    con.expect(r"\(qemu\) ")
    con.child.send(b"\x1dc")


@pytest.mark.parametrize("uboot", [False, True], ids=["kernel", "uboot"])
def test_boot_with_vms(boot, tmp_path, uboot):
    """Kairos boots on the merged DTB (it prints its summary); QEMU kept
    /hypervisor in the DTB it hands over; every image is in RAM where the
    DTB says; kairos-qemu's exit status is QEMU's."""
    k1 = image(tmp_path, "g1.bin", 500_000)
    rd = image(tmp_path, "g1.rd", 70_000)
    k2 = image(tmp_path, "g2.bin", 123_457)
    out = tmp_path / "out"
    args = ["--out", str(out), "--smp", "2",
            "--vm", f"name=hello,image={k1},initrd={rd},bootargs=a b,c",
            "--vm", f"name=world,image={k2},vcpus=2"]
    if uboot:
        args.append("--uboot")
    con = boot([TOOL, *args, "--", "-no-reboot"])
    m = con.expect(SUMMARY_RE)
    assert m.group(0).decode().startswith("kairos: 2 CPUs, GICv3, 1024 MiB")
    con.expect(r"kairos> ")
    dtb = str(out / "system.dtb")
    if not uboot:     # U-Boot hands Kairos its own relocated copy
        monitor(con, f'pmemsave 0x{qemu_dtb_at(1024 * MiB):x} 0x200000 '
                     f'"{tmp_path}/mem.dtb"')
        vms = vm_nodes(str(tmp_path / "mem.dtb"))
        assert sorted(vms) == ["hello", "world"]
        assert fdtget(str(tmp_path / "mem.dtb"), vms["hello"], "bootargs",
                      "s") == "a b,c"
    for f, (name, kind) in {k1: ("hello", "kernel"), rd: ("hello", "initrd"),
                            k2: ("world", "kernel")}.items():
        addr, size = u64s(fdtget(dtb, vm_nodes(dtb)[name], kind))
        monitor(con, f'pmemsave 0x{addr:x} {size} "{tmp_path}/{kind}.mem"')
        with open(f, "rb") as a, open(tmp_path / f"{kind}.mem", "rb") as b:
            assert a.read() == b.read(), (name, kind)
    con.send_line("poweroff")
    assert con.wait_exit() == 0
