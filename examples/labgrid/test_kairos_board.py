# SPDX-License-Identifier: MIT
"""An example test suite for a board running Kairos, through labgrid
(docs/labgrid.md): the strategy brings Kairos up and the Linux VM to its
golden checkpoint; labgrid's ShellDriver logs into the VM through
KairosVMConsoleDriver; the VM is driven through KairosDriver.

    PYTHONPATH=python python3 -m pytest --lg-env examples/labgrid/env.yaml \\
        examples/labgrid/test_kairos_board.py --junitxml=build/labgrid.xml
"""
import pytest


@pytest.fixture(scope="module")
def kairos(target, strategy):
    strategy.transition("ready")
    return target.get_driver("KairosDriver")


@pytest.fixture
def shell(target, strategy, kairos):
    """The Linux VM, restored from its golden slot, behind ShellDriver."""
    strategy.transition("ready")
    sh = target.get_driver("ShellDriver", activate=False)
    target.deactivate(sh)  # it logs in again after the restore
    target.activate(sh)
    return sh


def test_kairos_answers(kairos):
    hello = kairos.hello()
    assert hello["protocol"] == 1
    assert kairos.vms() == {"linux": "running"}


def test_golden_checkpoint_taken_then_restored(strategy, kairos):
    """The first transition booted the VM cold and checkpointed it; the
    next one restores it, and says how long that took."""
    first = strategy.how["linux"]
    strategy.transition("ready")
    assert strategy.how["linux"] == "restored", first
    timing = strategy.timing["linux"]
    assert timing["slot"] == 0 and timing["us"] > 0


def test_shell_login_and_command(shell):
    """ShellDriver finds the VM's prompt and runs commands in it."""
    out = shell.run_check("echo $((6 * 7)); uname -m")
    assert out == ["42", "aarch64"]
    _, _, code = shell.run("false")
    assert code == 1


def test_restore_drops_what_the_shell_left(shell, strategy, target):
    shell.run_check("echo left-over > /marker")
    assert shell.run_check("cat /marker") == ["left-over"]
    strategy.transition("ready")  # restores the golden image
    # The restored shell has forgotten everything, also the helper
    # ShellDriver put in it: it logs in anew.
    target.deactivate(shell)
    target.activate(shell)
    _, _, code = shell.run("test -e /marker")
    assert code == 1


def test_vm_lifecycle(kairos):
    assert kairos.pause("linux") == "paused"
    assert kairos.vms()["linux"] == "paused"
    assert kairos.resume("linux") == "running"
    kairos.input("linux", "echo $((3 + 4))-typed")
    kairos.expect("linux", r"^7-typed", timeout=30)
