# SPDX-License-Identifier: MIT
"""Images at and past their limits, under QEMU: a guest DTB larger than
the arm64 boot protocol's 2 MiB is refused before any VM starts, naming
node, property and both sizes (it used to overrun Kairos's 64 KiB DTB
buffer at EL2); a 1 MiB one boots beside a VM whose flash still reads
erased; a checkpoint whose UART holds 64 bytes of input (the ring holds
63) is refused at restore, and one holding 63 restores and checkpoints
again (the capture of a 64-byte ring never ended)."""
import os
import re
import subprocess

from kairos_qemu import ROOT, SUMMARY_RE, TOOLS
from ckpt_image import SEC_VUART, Image
from kairos_qemu import STORE_RE
from test_ckpt import CKPTTEST, VM, Run, boot_resume, checkpoint, restore

VMTEST = os.path.join(ROOT, "build", "guests", "vmtest.bin")
CKPT_TOOL = os.path.join(ROOT, "build", "host", "kairos-ckpt")
# struct ckpt_vuart: cr..ifls (7 words), rx_len, line_len, reserved, rx[64]
VUART_RX_LEN, VUART_RX = 28, 40
EL2_TROUBLE = re.compile(r"panic|exception|CHECK failed|Synchronous|SError",
                         re.I)


def guest_dtb(tmp_path, size, bootargs):
    """QEMU virt's own DTB for a 1-CPU guest with @bootargs, padded with
    dtc to a totalsize of @size bytes."""
    raw, out = tmp_path / "guest-raw.dtb", tmp_path / f"guest-{size}.dtb"
    subprocess.run(["qemu-system-aarch64", "-M",
                    f"virt,gic-version=3,dumpdtb={raw}", "-cpu",
                    "cortex-a72", "-smp", "1", "-m", "128M", "-nographic",
                    "-nic", "none"], check=True, capture_output=True)
    subprocess.run(["fdtput", "-t", "s", str(raw), "/chosen", "bootargs",
                    bootargs], check=True)
    subprocess.run(["dtc", "-q", "-I", "dtb", "-O", "dtb", "-S", str(size),
                    "-o", str(out), str(raw)], check=True)
    assert os.path.getsize(out) == size
    return out


def kairos(boot, *vms):
    args = [f"{TOOLS}/kairos-qemu", "--gic", "3", "--smp", "2"]
    for vm in vms:
        args += ["--vm", vm]
    return boot(args + ["--", "-no-reboot"])


def test_4mib_guest_dtb_refused_by_name(boot, tmp_path):
    dtb = guest_dtb(tmp_path, 4 << 20, "test=psci_version")
    con = kairos(boot, f"name=a,image={VMTEST},cpus=0,dtb={dtb}",
                 f"name=b,image={VMTEST},cpus=1,bootargs=test=psci_version")
    con.expect(SUMMARY_RE)
    m = con.expect(r"kairos: configuration refused: ([^\r\n]*); "
                   r"no VM started")
    assert re.fullmatch(r"/hypervisor/vm@[01]: property dtb: 4194304 "
                        r"bytes, at most 2097152", m.group(1).decode())
    # Nothing to run: the board powers off cleanly, QEMU's status says why.
    con.expect(r"kairos: no VM to run: powering off \(exit status 3\)")
    assert con.wait_exit(timeout=30) == 3
    with open(con.log_path, errors="replace") as f:
        whole = f.read()
    assert not EL2_TROUBLE.search(whole), whole
    assert "[b]" not in whole and "[a]" not in whole


def test_1mib_guest_dtb_beside_a_vm_reading_its_flash(boot, tmp_path):
    """The VM with its own 1 MiB DTB boots from it; the other reads its
    flash as erased (all ones), which the DTB once overwrote."""
    dtb = guest_dtb(tmp_path, 1 << 20, "test=psci_version")
    con = kairos(boot, f"name=a,image={VMTEST},cpus=0,dtb={dtb}",
                 f"name=b,image={VMTEST},cpus=1,bootargs=test=mmio_widths")
    got = {}
    for _ in range(2):
        m = con.expect(r"\[(a|b)\] TEST (psci_version|mmio_widths): "
                       r"(PASS|FAIL[^\r\n]*)", timeout=120)
        got[m.group(1).decode()] = (m.group(2).decode(),
                                    m.group(3).decode())
    assert got == {"a": ("psci_version", "PASS"),
                   "b": ("mmio_widths", "PASS")}, got
    con.expect(r"kairos: all VMs stopped", timeout=120)


def with_uart_input(img, text):
    """@img with @text as the UART's unread input (rx_len = its length),
    every CRC made right."""
    out = Image(img.data)
    out.patch(SEC_VUART, 0, VUART_RX, "64s", text.ljust(64, b"\0"))
    out.patch(SEC_VUART, 0, VUART_RX_LEN, "I", len(text))
    return out


def verify(path):
    r = subprocess.run([CKPT_TOOL, "verify", str(path)],
                       capture_output=True, text=True)
    return r.returncode, r.stdout + r.stderr


def start_waiting(boot, tmp_path):
    """The ckpttest VM waiting 4 s for its timer, the console at the
    shell; with the monitor to read slots out. Input goes to the one VM
    once it starts: Ctrl-A k is sent after that, and after the guest said
    it waits, so neither is missed."""
    monitor = str(tmp_path / "mon.sock")
    con = boot([f"{TOOLS}/kairos-qemu", "--gic", "3", "--smp", "2",
                "--store", "256M", "--slots", "2",
                "--vm", f"name={VM},image={CKPTTEST},vcpus=2,cpus=0:1,"
                "mem=64M,bootargs=test=wait delay_us=4000000",
                "--", "-no-reboot", "-monitor",
                f"unix:{monitor},server,nowait"])
    freq = int(con.expect(SUMMARY_RE).group(4))
    m = con.expect(STORE_RE)
    con.expect(rf"kairos: console input to VM {VM}")
    con.expect(r"# ckpt wait: armed")
    con.to_shell()
    return Run(con, freq, int(m.group(3), 16), int(m.group(2)) << 20,
               monitor)


def test_uart_ring_of_64_refused_63_restored_and_checkpointed(boot,
                                                              tmp_path):
    run = start_waiting(boot, tmp_path)
    checkpoint(run.con, VM, 0)
    img = run.dump_slot(0, str(tmp_path / "slot0.img"))
    run.con.close()
    text = bytes(range(0x21, 0x21 + 64))  # printable, all different

    # 64 bytes: kairos-ckpt verify and Kairos refuse it alike.
    full = tmp_path / "rx64.img"
    full.write_bytes(with_uart_input(img, text).data)
    rc, out = verify(full)
    assert rc == 1 and "vuart section: 64 input and 0 output bytes, at " \
        "most 63 and 256" in out, out
    con = boot_resume(boot, tmp_path, full)
    m = con.expect(rf"kairos: VM {VM} cannot resume from checkpoint slot 0: "
                   rf"([^\r\n]*); booting it cold")
    assert "vuart section: 64 input and 0 output bytes, at most 63 and " \
        "256" in m.group(1).decode(), m.group(1)
    con.expect(r"\[g\] libguest: ckpttest, 2 CPUs")
    con.close()

    # 63 bytes: restored, and the VM checkpoints again with that input.
    ok = tmp_path / "rx63.img"
    ok.write_bytes(with_uart_input(img, text[:63]).data)
    assert verify(ok)[0] == 0
    con = boot_resume(boot, tmp_path, ok)
    con.expect(rf"kairos: VM {VM} resumes from checkpoint slot 0")
    con.expect(rf"kairos: console input to VM {VM}")  # then to the shell
    con.to_shell()
    checkpoint(con, VM, 1)
    # What it wrote is an image Kairos restores (it parses and matches).
    restore(con, VM, 1)
    con.send_line("vm list")
    con.expect(rf"\n\s+\d+\s+{VM}\s+(running|paused)")
    assert con.alive()
