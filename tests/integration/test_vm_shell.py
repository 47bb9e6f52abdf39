# SPDX-License-Identifier: MIT
"""The shell's VM commands: a paused VM makes no progress and resumes
where it was; a reset restarts it from its images."""
from kairos_qemu import ROOT, TOOLS

VMTEST = f"{ROOT}/build/guests/vmtest.bin"


def busy_vm(boot, iters):
    # A long FP loop that yields with WFE (so its vCPU keeps exiting).
    con = boot([f"{TOOLS}/kairos-qemu", "--smp", "2", "--vm",
                f"name=busy,image={VMTEST},"
                f"bootargs=test=fp_preserved iters={iters}",
                "--", "-no-reboot"])
    con.expect(r"\[busy\] # 1 CPUs, \d+ checks each")
    con.to_shell()  # one VM: it has console input at first
    return con


def vm_row(con, name):
    con.send_line("vm list")
    m = con.expect(rf"\d+\s+{name}\s+(\w+)\s+\d+\s+(\d+)\r*\n")
    con.expect(r"kairos> ")
    return m.group(1).decode(), int(m.group(2))


def test_pause_then_resume_where_it_was(boot):
    con = busy_vm(boot, 5_000_000)
    assert vm_row(con, "busy")[0] == "running"
    con.send_line("vm pause busy")
    con.expect(r"kairos> ")
    state, exits = vm_row(con, "busy")
    assert state == "paused"
    quiet = con.output_for(2)
    assert "[busy]" not in quiet, quiet
    assert vm_row(con, "busy") == ("paused", exits)
    con.send_line("vm resume busy")
    # It can only finish its loop if it runs again, from where it was.
    con.expect(r"\[busy\] # CPU0: 5000000 checks")
    con.expect(r"\[busy\] TEST fp_preserved: PASS")
    assert con.wait_exit() == 0


def test_reset_restarts_from_the_images(boot):
    con = busy_vm(boot, 1_000_000_000)
    con.send_line("vm reset busy")
    con.expect(r"kairos: VM busy: reset")
    con.expect(r"\[busy\] libguest: vmtest, 1 CPUs")
    con.expect(r"\[busy\] # running fp_preserved")
    assert vm_row(con, "busy")[0] == "running"
    con.send_line("vm reset nosuch")
    con.expect(r"vm: no VM of that name")


def test_stop_then_start_boots_again(boot):
    """vm stop: the VM prints nothing more, the board stays on; vm start:
    it boots cold from its images and prints again. Each verb confirms
    itself in one line."""
    con = busy_vm(boot, 1_000_000_000)
    con.send_line("vm pause busy")
    con.expect(r"vm: busy paused")
    con.send_line("vm resume busy")
    con.expect(r"vm: busy resumed")
    con.send_line("vm stop busy")
    con.expect(r"kairos: VM busy stopped \(vm stop; 'vm start' boots it "
               r"again\)")
    con.expect(r"kairos> ")
    assert vm_row(con, "busy")[0] == "stopped"
    quiet = con.output_for(2)
    assert "[busy]" not in quiet and "all VMs stopped" not in quiet, quiet
    assert con.alive()
    con.send_line("vm stop busy")
    con.expect(r"vm: busy is already stopped")
    con.send_line("vm start busy")
    con.expect(r"kairos: VM busy: started \(a cold boot from its images\)")
    con.expect(r"\[busy\] libguest: vmtest, 1 CPUs")
    con.expect(r"\[busy\] # running fp_preserved")
    assert vm_row(con, "busy")[0] == "running"
    con.send_line("vm start busy")
    con.expect(r"vm: busy is running \('vm reset busy' reboots it\)")
    con.send_line("help")
    con.expect(r"vm start <name>\s+boot a stopped VM again, cold")
    con.expect(r"kairos> ")
