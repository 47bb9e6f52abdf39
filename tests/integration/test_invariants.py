# SPDX-License-Identifier: MIT
"""Named tests for the invariants of docs/time-invariants.md that gictest
cases already prove (their runs are those of test_vgic.py, under Kairos
with 4 vCPUs on 4 pCPUs unless said otherwise). The timer invariants are
in test_timer.py."""
import pytest

from test_vgic import run


@pytest.mark.parametrize("gic", [3, 2])
def test_t15_injection_kick_race_sgi_pingpong(boot, gic):
    """T15: SGI ping-pong between two vCPUs sharing pCPU 0; every message
    is counted in order, none lost while a target was being kicked."""
    verdict, detail = run(boot, gic, "sgi_pingpong", vcpus=2, cpus="0:0",
                          smp=2)
    assert verdict == "PASS", detail


@pytest.mark.parametrize("gic", [3, 2])
def test_t15_injection_kick_race_sgi_pingpong_4_pcpus(boot, gic):
    """T15 across pCPUs: each SGI kicks another pCPU."""
    verdict, detail = run(boot, gic, "sgi_pingpong")
    assert verdict == "PASS", detail


@pytest.mark.parametrize("gic", [3, 2])
def test_t16_lr_overflow(boot, gic):
    """T16: more pending SPIs than list registers: none starves, the
    highest priority is presented first."""
    verdict, detail = run(boot, gic, "lr_overflow")
    assert verdict == "PASS", detail


@pytest.mark.parametrize("gic", [3, 2])
def test_t16_priority_chain(boot, gic):
    """T16: preemption chains through the list registers."""
    verdict, detail = run(boot, gic, "priority_chain")
    assert verdict == "PASS", detail


@pytest.mark.parametrize("gic", [3, 2])
def test_t16_eoimode1_dir_other_cpu(boot, gic):
    """T16: EOI on vCPU0, DIR on vCPU1, for an interrupt no longer in a
    list register."""
    verdict, detail = run(boot, gic, "eoimode1_dir_other_cpu")
    assert verdict == "PASS", detail
