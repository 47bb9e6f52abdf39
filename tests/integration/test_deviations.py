# SPDX-License-Identifier: MIT
"""Where Kairos could deviate from the architecture, PSCI or SMCCC
(docs/user-guide.md, "Architecture conformance"): the vmtest guest's
conformance and aarch32 tests in VMs, on GICv3 and GICv2, and the
fault-loop policy, which stops a VM that faults in a loop."""
import re

import pytest

# The boot and verdict helpers of the other vmtest tests.
from test_vm import GICS, kairos, verdict, vm


@pytest.mark.parametrize("gic", GICS)
@pytest.mark.parametrize("test", ["hvc_imm", "psci_smc32_args",
                                  "mmio_exclusive", "tval_negative",
                                  "aarch32_el0"])
def test_conformance(boot, gic, test):
    con = kairos(boot, gic, 2, vm("t", test))
    assert verdict(con, "t", test) == "PASS"
    con.expect(r"kairos: all VMs stopped")
    assert con.wait_exit() == 0


@pytest.mark.parametrize("gic", GICS)
def test_cpu_on_outside_ram_is_invalid_address(boot, gic):
    con = kairos(boot, gic, 2, vm("t", "psci_cpu_on_outside_ram", 2))
    assert verdict(con, "t", "psci_cpu_on_outside_ram") == "PASS"
    # Refused before the vCPU ran: it never fetched from outside RAM.
    with open(con.log_path, errors="replace") as f:
        assert "instruction fetch outside" not in f.read()


def test_fault_loop_stops_only_that_vm(boot):
    """VM 'bad' points VBAR_EL1 past its RAM and takes an UNDEF: every
    injected fetch abort faults again at the same PC. It is stopped after
    the default fault-loop-limit (1000); 'good' runs its test to the end,
    and the board's exit status says a VM failed (5)."""
    con = kairos(boot, 3, 2, vm("bad", "fault_loop", 1, "0"),
                 vm("good", "aarch32_el0", 1, "1"))
    con.expect(r"kairos: all VMs stopped", timeout=120)
    assert con.wait_exit() == 5
    with open(con.log_path, errors="replace") as f:
        whole = f.read()
    m = re.search(r"\[bad\] # MMU off, VBAR_EL1 = (0x[0-9a-f]+)", whole)
    assert m, whole
    pc = hex(int(m.group(1), 16) + 0x200)  # current EL, SP_ELx, sync
    assert re.search(
        r"kairos: VM bad vCPU0: the same fault 1000 times in a row "
        rf"\(exception class 0x21, address {pc}; fault-loop\) at PC {pc}: "
        r"stopping the VM", whole), whole
    assert "kairos: VM bad stopped (the same fault 1000 times" in whole
    assert "[bad] TEST" not in whole
    assert "[good] TEST aarch32_el0: PASS" in whole
    assert "VM good vCPU" not in whole
