# SPDX-License-Identifier: MIT
"""The virtual GIC under real guests: the gictest guest
(guests/tests/gictest) runs each of its tests in a 4-vCPU VM on 4 pCPUs,
on GICv3 and GICv2, with the architecture's rules enforced (no 'native'
leniency). Tests that do not apply to a GIC version report SKIP."""
import os

import pytest

from kairos_qemu import ROOT, TOOLS

GICTEST = os.path.join(ROOT, "build", "guests", "gictest.bin")
TESTS = ["sgi_pingpong", "sgi_broadcast", "sgi_source", "priority_chain",
         "lr_overflow", "eoimode1_dir_other_cpu", "disable_while_active",
         "icactiver_in_handler", "dist_regs", "redist_regs",
         "ppi_pending_level"]
SKIPS = {(3, "sgi_source"), (2, "redist_regs")}


def run(boot, gic, test, vcpus=4, cpus=None, smp=4):
    spec = f"name=g,image={GICTEST},vcpus={vcpus}"
    if cpus:
        spec += f",cpus={cpus}"
    con = boot([f"{TOOLS}/kairos-qemu", "--gic", str(gic), "--smp", str(smp),
                "--vm", spec + f",bootargs=test={test}", "--", "-no-reboot"])
    m = con.expect(rf"\[g\] TEST {test}: (PASS|SKIP|FAIL)([^\r\n]*)",
                   timeout=120)
    con.expect(r"kairos: all VMs stopped")
    return m.group(1).decode(), m.group(2).decode()


@pytest.mark.parametrize("gic", [3, 2])
@pytest.mark.parametrize("test", TESTS)
def test_gictest(boot, gic, test):
    verdict, detail = run(boot, gic, test)
    assert verdict == ("SKIP" if (gic, test) in SKIPS else "PASS"), detail


@pytest.mark.parametrize("gic", [3, 2])
def test_sgi_pingpong_same_pcpu(boot, gic):
    """Both vCPUs on pCPU 0: every SGI crosses a vCPU switch."""
    verdict, detail = run(boot, gic, "sgi_pingpong", vcpus=2, cpus="0:0",
                          smp=2)
    assert verdict == "PASS", detail
