# SPDX-License-Identifier: MIT
"""The rest of QEMU virt's map that a guest probes at fixed addresses: the
32 virtio-mmio transports at 0x0a000000, empty. vmtest's virtio_mmio
reads every transport's identity registers (and the rest), writes what a
probing driver writes, reads narrow and wide, and prints what it got and
what its DTB lists. Under Kairos every line must be what native QEMU
printed: the answers are QEMU's, not ones written into this test."""
import os
import re

import pexpect
import pytest

from kairos_qemu import ROOT, TOOLS, qemu_cmd

VMTEST = os.path.join(ROOT, "build", "guests", "vmtest.bin")
PROBE_RE = re.compile(r"^(?:\[t\] )?(# virtio .*?)\r*$", re.M)


def probe_lines(out):
    lines = PROBE_RE.findall(out)
    # 32 transports, the widths line, 32 DTB nodes.
    assert len(lines) == 65, out
    return lines


def native(boot, gic):
    # Entered at EL1, as Kairos enters it.
    con = boot(qemu_cmd(f"virt,gic-version={gic}", extra=[
        "-kernel", VMTEST, "-append", "test=virtio_mmio"]))
    con.expect(pexpect.EOF, timeout=60)
    out = con.child.before.decode(errors="replace")
    assert "TEST virtio_mmio: PASS" in out, out
    return probe_lines(out)


@pytest.mark.parametrize("gic", [3, 2])
def test_virtio_transports_answer_as_qemu(boot, gic):
    want = native(boot, gic)
    con = boot([f"{TOOLS}/kairos-qemu", "--gic", str(gic), "--vm",
                f"name=t,image={VMTEST},bootargs=test=virtio_mmio",
                "--", "-no-reboot"])
    m = con.expect(r"\[t\] TEST virtio_mmio: (PASS|FAIL[^\r\n]*)",
                   timeout=120)
    out = con.child.before.decode(errors="replace")
    assert m.group(1) == b"PASS", out
    assert probe_lines(out) == want
    con.expect(r"kairos: VM t stopped \(PSCI SYSTEM_OFF\)")
    assert con.wait_exit() == 0
