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


def slice_us():
    """Kairos's scheduling slice (include/kairos/sched.h)."""
    with open(os.path.join(ROOT, "include", "kairos", "sched.h")) as f:
        m = re.search(r"#define SCHED_SLICE_US (\d+)", f.read())
    assert m, "SCHED_SLICE_US not found in include/kairos/sched.h"
    return int(m.group(1))


# An overflow must reach the guest well within what one slice would give
# (an overflow seen only at the next exit waits up to a slice): a tenth.
BOUND_US = slice_us() // 10
PROMPT = f"test=pmu_overflow_prompt bound_us={BOUND_US}"


def prompt_verdict(log, vm):
    verdicts = re.findall(rf"\[{vm}\] TEST pmu_overflow_prompt: "
                          r"([^\r\n]*)", log)
    assert verdicts == ["PASS"], (vm, verdicts)


@pytest.mark.parametrize("gic", [3, 2])
def test_pmu_overflow_prompt_alone(boot, gic):
    """A vCPU alone on its pCPU (its WFI not trapped) takes each of 1000
    overflows as one interrupt, within a tenth of a slice of its own
    running time, while it busy-loops with no exit; then 100 more while
    it waits in WFI from before the overflow (it is woken by it).
    -icount: the latency in cycles is the vCPU's and Kairos's work, not
    the host's load."""
    con = boot([f"{TOOLS}/kairos-qemu", "--icount", "--gic", str(gic),
                "--smp", "2",
                "--vm", f"name=g,image={VMTEST},cpus=0,"
                f"bootargs={PROMPT} waits=l rounds=1000",
                "--vm", f"name=w,image={VMTEST},cpus=1,"
                f"bootargs={PROMPT} waits=w rounds=100"])
    con.expect(r"kairos: all VMs stopped", timeout=240)
    log = open(con.log_path, errors="replace").read()
    prompt_verdict(log, "g")
    prompt_verdict(log, "w")
    assert re.search(r"\[g\] # pmu_overflow_prompt: wait 'l': 1000 "
                     r"overflows, 1000 interrupts", log), log[-3000:]
    assert re.search(r"\[w\] # pmu_overflow_prompt: wait 'w': 100 "
                     r"overflows, 100 interrupts", log), log[-3000:]


@pytest.mark.parametrize("gic", [3, 2])
def test_pmu_overflow_prompt_shared(boot, gic):
    """Two VMs share pCPU 0 (slices). 'a' takes 1000 overflows in a busy
    loop with no exit and 100 waited for in WFI once its flag is up, each
    once and within a tenth of a slice of its running time; 'b', its PMU
    claimed and its PMU interrupt enabled, never takes one, also while
    'a''s interrupt is pending at the switches."""
    con = boot([f"{TOOLS}/kairos-qemu", "--icount", "--gic", str(gic),
                "--smp", "2",
                "--vm", f"name=a,image={VMTEST},cpus=0,"
                f"bootargs={PROMPT} waits=lf rounds=1000",
                "--vm", f"name=b,image={VMTEST},cpus=0,"
                f"bootargs={PROMPT} waits=q quiet_ms=4000"])
    con.expect(r"kairos: all VMs stopped", timeout=300)
    log = open(con.log_path, errors="replace").read()
    prompt_verdict(log, "a")
    prompt_verdict(log, "b")
    # 'b' listened for the whole of 'a''s test.
    assert (log.index("[a] TEST pmu_overflow_prompt:")
            < log.index("[b] # pmu_overflow_prompt: quiet")), log[-3000:]
