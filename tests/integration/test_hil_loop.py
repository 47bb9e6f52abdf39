# SPDX-License-Identifier: MIT
"""A hardware-in-the-loop loop through the package kairos: 200 times,
restore the Linux guest from its golden slot, type a command into its
shell, check the answer. The command also writes a marker file: every
iteration checks that the one before left none (the restore took the
guest's RAM, its root file system included, back). Every iteration's
time goes to the test log (build/test-logs/hil-loop.times)."""
import os
import statistics

from kairos.ctl import KairosCtl
from kairos.hil import golden, hil_iteration
from kairos_qemu import LOG_DIR, ROOT, TOOLS

LINUX = os.path.join(ROOT, "build", "guests", "linux")
ITERATIONS = 200


def linux_cmd(bootargs=""):
    """Kairos on QEMU with two slots and one Linux VM (1 vCPU, 128 MiB)
    whose console runs a shell; @bootargs go on its command line."""
    return [f"{TOOLS}/kairos-qemu", "--smp", "2", "--mem", "1G", "--store",
            "320M", "--slots", "2",
            "--vm", f"name=linux,image={LINUX}/Image,"
                    f"initrd={LINUX}/initramfs.cpio.gz,vcpus=1,mem=128M,"
                    "bootargs=console=ttyAMA0 quiet kairos.loops=0 "
                    f"kairos.shell=1{bootargs}", "--", "-no-reboot"]


def test_hil_loop_200_restores_no_state_leaks():
    os.makedirs(LOG_DIR, exist_ok=True)
    log = os.path.join(LOG_DIR, "hil-loop.log")
    if os.path.exists(log):
        os.unlink(log)
    with KairosCtl.spawn(linux_cmd(), log=log) as k:
        k.connect()
        boot_s, ck = golden(k, "linux", 0)
        # The golden image has no marker: the first iteration writes one,
        # every later one must not see it.
        times = []
        for i in range(ITERATIONS):
            secs, row = hil_iteration(k, "linux", 0, i)
            assert row["vm"] == "linux" and row["state"] == "running"
            times.append((secs, row["us"], row["pages_copied"]))
        counters = k.counters("linux")["vm"]
    assert counters["restores"] == ITERATIONS
    with open(os.path.join(LOG_DIR, "hil-loop.times"), "w") as f:
        f.write(f"# boot to prompt {boot_s:.3f} s, golden checkpoint "
                f"{ck['us']} us, {ck['size']} bytes\n")
        f.write("# iteration seconds restore_us pages_copied\n")
        for i, (s, us, pages) in enumerate(times):
            f.write(f"{i} {s:.4f} {us} {pages}\n")
        secs = [t[0] for t in times]
        f.write(f"# median {statistics.median(secs):.4f} s, max "
                f"{max(secs):.4f} s, total {sum(secs):.1f} s\n")
    # Every restore after the first copied only what the iteration before
    # dirtied (incremental): a full copy each time would be a regression
    # of the restore, not of this loop; the log shows the numbers.
    assert counters["incremental"] >= ITERATIONS - 1, counters
