# SPDX-License-Identifier: MIT
"""The PMU and debug registers are each vCPU's own
(arch/aarch64/pmu_debug.c, docs/security.md): two VMs share pCPU 0 and
run vmtest's pmu_debug_own. 'a' counts retired instructions around a
loop and arms a watchpoint; 'b' leaves a marker in a stopped counter,
counts its own loop and arms a watchpoint of its own on another variable,
and stores to 'a''s watched address too. Each count must be its own
loop's, 'b''s marker must never move, and each VM's stores hit only its
own watchpoint. Meanwhile 'a' is checkpointed and restored: its counters
and watchpoint come back with it. -icount: instruction counts are exact
and the slices of the two VMs interleave inside each counted loop."""
import os
import re

import pytest

from kairos_qemu import ROOT, TOOLS

VMTEST = os.path.join(ROOT, "build", "guests", "vmtest.bin")
ROUNDS = 8
ARGS = f"test=pmu_debug_own rounds={ROUNDS}"


def test_pmu_debug_per_vcpu_across_checkpoint(boot):
    con = boot([f"{TOOLS}/kairos-qemu", "--icount", "--smp", "2",
                "--store", "256M", "--slots", "2",
                "--console-input", "shell",
                "--vm", f"name=a,image={VMTEST},cpus=0,mem=64M,"
                f"bootargs={ARGS} role=owner",
                "--vm", f"name=b,image={VMTEST},cpus=0,mem=64M,"
                f"bootargs={ARGS} role=other"])
    con.expect(r"\[a\] # pmu_debug owner: round 1 ok", timeout=120)
    con.send_line("vm checkpoint a 0")
    con.expect(r"vm: a checkpointed into slot 0 ")
    con.expect(r"\[a\] # pmu_debug owner: round 4 ok", timeout=120)
    con.send_line("vm restore a 0")
    con.expect(r"vm: a restored from slot 0 ")
    con.expect(r"kairos: all VMs stopped", timeout=120)
    log = open(con.log_path, errors="replace").read()
    for vm in ("a", "b"):
        verdicts = re.findall(rf"\[{vm}\] TEST pmu_debug_own: ([^\r\n]*)",
                              log)
        assert verdicts == ["PASS"], (vm, verdicts)
    # The restore rewound 'a' to before round 2: it ran rounds 2 to 4
    # twice, with the counters and the watchpoint of the image.
    done = re.findall(r"\[a\] # pmu_debug owner: round (\d+) ok", log)
    assert done.count("3") == 2 and done[-1] == str(ROUNDS - 1), done
    others = re.findall(r"\[b\] # pmu_debug other: round (\d+) ok", log)
    assert others == [str(r) for r in range(ROUNDS)], others


@pytest.mark.parametrize("gic", [3, 2])
def test_pmu_overflow_interrupt(boot, gic):
    """The PMU's overflow interrupt reaches the guest as PPI 23 through
    the vGIC, also when it waits in WFI for it: once per overflow."""
    con = boot([f"{TOOLS}/kairos-qemu", "--gic", str(gic), "--smp", "2",
                "--vm", f"name=g,image={VMTEST},"
                "bootargs=test=pmu_overflow_irq"])
    m = con.expect(r"\[g\] TEST pmu_overflow_irq: (PASS|FAIL|SKIP)"
                   r"([^\r\n]*)", timeout=60)
    assert m.group(1) == b"PASS", m.group(0)
    con.expect(r"kairos: all VMs stopped")
