# SPDX-License-Identifier: MIT
"""VMs under Kairos: the vmtest guest (guests/tests/vmtest) runs its
tests in VMs configured through tools/kairos-qemu, on GICv3 and GICv2.
Each boot runs one test and is judged by its verdict line."""
import os
import re

import pytest

from kairos_qemu import ROOT, TOOLS

VMTEST = os.path.join(ROOT, "build", "guests", "vmtest.bin")
GICS = [3, 2]


def kairos(boot, gic, smp, *vms):
    args = [f"{TOOLS}/kairos-qemu", "--gic", str(gic), "--smp", str(smp)]
    for vm in vms:
        args += ["--vm", vm]
    return boot(args + ["--", "-no-reboot"])


def vm(name, test, vcpus=1, cpus=None, extra=""):
    spec = f"name={name},image={VMTEST},vcpus={vcpus}"
    if cpus:
        spec += f",cpus={cpus}"
    return spec + f",bootargs=test={test}{extra}"


def verdict(con, name, test):
    """The VM's verdict for @test; the VM then powers itself off."""
    m = con.expect(rf"\[{name}\] TEST {test}: (PASS|FAIL[^\r\n]*)",
                   timeout=120)
    con.expect(rf"\[{name}\] SUMMARY: ")
    con.expect(rf"kairos: VM {name} stopped \(PSCI SYSTEM_OFF\)")
    return m.group(1).decode()


@pytest.mark.parametrize("gic", GICS)
@pytest.mark.parametrize("test", ["psci_version", "hvc_unknown", "undef",
                                  "mmio_widths", "fault_past_ram"])
def test_vmtest_single_vcpu(boot, gic, test):
    con = kairos(boot, gic, 2, vm("t", test))
    assert verdict(con, "t", test) == "PASS"
    con.expect(r"kairos: all VMs stopped")
    assert con.wait_exit() == 0


@pytest.mark.parametrize("gic", GICS)
def test_psci_four_vcpus_on_four_cpus(boot, gic):
    con = kairos(boot, gic, 4, vm("t", "psci_cpus", 4, extra=" ncpus=4"))
    con.expect(r"kairos: VM t: 4 vCPUs on CPU0,1,2,3")
    assert verdict(con, "t", "psci_cpus") == "PASS"


@pytest.mark.parametrize("gic", GICS)
def test_system_off_from_secondary_stops_the_vm(boot, gic):
    con = kairos(boot, gic, 2, vm("t", "psci_off_secondary", 2))
    con.expect(r"\[t\] # CPU1: PSCI SYSTEM_OFF")
    con.expect(r"kairos: VM t stopped \(PSCI SYSTEM_OFF\)")
    rest = con.output_for(1)
    assert "TEST psci_off_secondary" not in rest, rest
    assert "kairos: all VMs stopped" in rest
    assert con.wait_exit() == 0


@pytest.mark.parametrize("gic", GICS)
def test_fp_simd_preserved_across_vcpu_switches(boot, gic):
    """Two vCPUs share pCPU 0, each hammering its own vector pattern; the
    guest checks its loops really interleaved."""
    con = kairos(boot, gic, 2, vm("t", "fp_preserved", 2, "0:0"))
    con.expect(r"kairos: VM t: 2 vCPUs on CPU0,0")
    assert verdict(con, "t", "fp_preserved") == "PASS"


@pytest.mark.parametrize("gic", GICS)
def test_vms_side_by_side_one_crashes(boot, gic):
    """On 4 CPUs, VM 'bad' touches the host memory of VM 'good' (an
    abort in 'bad' only, logged once) and then stops; 'good' runs its
    4-vCPU test undisturbed."""
    con = kairos(boot, gic, 4,
                 vm("good", "psci_cpus", 2, "0:1", " ncpus=2"),
                 vm("bad", "isolation", 2, "2:3", " addr=GOOD_HOST"))
    # The address is only known once Kairos has placed 'good': boot a
    # first time to learn it, as a user would read it from the log.
    m = con.expect(r"kairos: VM good: .* \(host (0x[0-9a-f]+)\)")
    host = m.group(1).decode()
    con.close()
    con = kairos(boot, gic, 4,
                 vm("good", "psci_cpus", 2, "0:1", " ncpus=2"),
                 vm("bad", "isolation", 2, "2:3", f" addr={host}"))
    # The two VMs' lines interleave in any order: judge the whole log.
    con.expect(r"kairos: all VMs stopped", timeout=120)
    assert con.wait_exit() == 0
    with open(con.log_path, errors="replace") as f:
        whole = f.read()
    assert "[bad] TEST isolation: PASS" in whole
    assert "[good] TEST psci_cpus: PASS" in whole
    assert len(re.findall(r"kairos: VM bad vCPU\d: access outside its "
                          r"memory and devices at IPA " + host, whole)) == 1
    assert "VM good vCPU" not in whole


def test_vm_booted_through_uboot(boot):
    """U-Boot loads Kairos from a disk and starts it with booti; the VM
    configuration arrives in the device tree it passes on."""
    con = boot([f"{TOOLS}/kairos-qemu", "--uboot", "--smp", "2", "--vm",
                vm("t", "psci_version"), "--", "-no-reboot"])
    con.expect(r"Starting kernel")
    con.expect(r"kairos: VM t: 1 vCPUs on CPU0")
    assert verdict(con, "t", "psci_version") == "PASS"
    con.expect(r"kairos: all VMs stopped")
    assert con.wait_exit() == 0
