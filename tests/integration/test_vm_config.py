# SPDX-License-Identifier: MIT
"""A bad system configuration is refused before any VM starts, with the
node and property named; with no VM to run the board powers off with exit
status 3."""
import shlex
import subprocess

import pytest

from kairos_qemu import ROOT, SUMMARY_RE, TOOLS

VMTEST = f"{ROOT}/build/guests/vmtest.bin"


def configured(smp=2):
    """kairos-qemu's QEMU command and system DTB for two VMs."""
    out = subprocess.run(
        [f"{TOOLS}/kairos-qemu", "--dry-run", "--smp", str(smp),
         "--out", f"{ROOT}/build/test/cfg",
         "--vm", f"name=a,image={VMTEST},bootargs=test=psci_version",
         "--vm", f"name=b,image={VMTEST},bootargs=test=psci_version"],
        check=True, capture_output=True, text=True).stdout.splitlines()
    cmd = shlex.split(out[0])
    dtb = out[1].split(": ", 1)[1]
    return cmd, dtb


@pytest.mark.parametrize("edit, refusal", [
    ("-t i /hypervisor/vm@1 cpus 5",
     r"/hypervisor/vm@1: property cpus: cpu 5 does not exist"),
    ("-t s /hypervisor/vm@0 profile zynq",
     r"/hypervisor/vm@0: property profile: [^\r\n]*zynq"),
    ("-t x /hypervisor/vm@0 memory-host 0 0x40200000",
     r"/hypervisor/vm@0: property memory-host: [^\r\n]*overlaps Kairos"),
    ("-t s /hypervisor/vm@1 vm-name a",
     r"/hypervisor/vm@1: property vm-name: [^\r\n]*already the name"),
    ("-d /hypervisor/vm@0 vcpus",
     r"/hypervisor/vm@0: property vcpus: missing"),
])
def test_bad_configuration_refused(boot, edit, refusal):
    cmd, dtb = configured()
    words = edit.split()
    nopt = 1 if words[0] == "-d" else 2  # "-d" or "-t <type>"
    subprocess.run(["fdtput", *words[:nopt], dtb, *words[nopt:]], check=True)
    con = boot(cmd + ["-no-reboot"])
    con.expect(SUMMARY_RE)
    con.expect(r"kairos: configuration refused: " + refusal +
               r"[^\r\n]*; no VM started")
    # Nothing to run: the board powers off, QEMU's status says why.
    con.expect(r"kairos: no VM to run: powering off \(exit status 3\)")
    assert con.wait_exit(timeout=30) == 3
    assert "[a]" not in con.tail() and "[b]" not in con.tail()
