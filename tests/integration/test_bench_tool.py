# SPDX-License-Identifier: MIT
"""tools/kairos-bench (make bench, docs/bench.md) in a quick mode: every
metric gets numbers from its native and Kairos runs, the machine-readable
lines agree with each other, and a run that yields no numbers makes the
tool fail."""
import os
import re
import subprocess
import sys

import pytest

from kairos_qemu import ROOT

BENCH = os.path.join(ROOT, "tools", "kairos-bench")
BENCH_BIN = os.path.join(ROOT, "build", "guests", "bench.bin")
VMTEST = os.path.join(ROOT, "build", "guests", "vmtest.bin")

# The rows docs/bench.md defines; vcpu_switch, vtimer_shared_busy and the
# doorbell rows have no native counterpart.
METRICS = ["vtimer_vector", "vtimer_handler", "vtimer_2vcpu_vector",
           "vtimer_2vcpu_handler", "wfi_wakeup_vector", "wfi_wakeup_handler",
           "hvc_roundtrip", "mmio_gicd_read", "sgi_vector", "sgi_handler",
           "vcpu_switch", "vtimer_shared_busy", "doorbell",
           "doorbell_shared", "shmem_stream", "shmem_stream_shared",
           "boot_first_insn", "boot_first_insn_512m"]
NO_NATIVE = {"vcpu_switch", "vtimer_shared_busy", "doorbell",
             "doorbell_shared", "shmem_stream", "shmem_stream_shared"}
RATE_RE = re.compile(r"^bench-rate: (\S+) bytes=(\d+) ticks=(\d+) "
                     r"bytes_per_s=(\d+) mib_per_s=([\d.]+)$", re.M)
# The checkpoint rows: "native" is the plain copy of the same bytes.
CKPT_METRICS = ["ckpt_checkpoint", "ckpt_checkpoint_fused",
                "ckpt_restore_full",
                "ckpt_restore_incr_1pct", "ckpt_restore_incr_10pct",
                "ckpt_restore_incr_100pct"]

LINE_RE = re.compile(r"^bench: (\S+) native=(n/a|-?\d+) kairos=(-?\d+) "
                     r"added=(n/a|-?\d+)(?: limit=(\d+))?$", re.M)
TARGET_RE = re.compile(r"^bench-target: vtimer_vector added=(-?\d+) "
                       r"limit=(\d+) met=(yes|no)$", re.M)
SHARED_TARGET_RE = re.compile(r"^bench-target: vtimer_shared_busy "
                              r"kairos=(\d+) limit=(\d+) met=(yes|no)$",
                              re.M)
CKPT_TARGET_RE = re.compile(r"^bench-target: ckpt_restore_full "
                            r"ratio=([\d.]+) limit=1.2 met=(yes|no)$", re.M)
INCR_RE = re.compile(r"^bench-target: ckpt_restore_incremental "
                     r"pages=(\d+),(\d+),(\d+) ", re.M)
ROW_RE = re.compile(r"^(ckpt_\w+)\s+(\d+)\s+(\d+)\s+(\d+)\s", re.M)

TIMEOUT = 120


@pytest.fixture(autouse=True)
def bench_built():
    if not os.path.exists(BENCH_BIN):
        pytest.fail(f"{BENCH_BIN} missing: run 'make guests' first")


def run_bench(tmp_path, *args):
    return subprocess.run([sys.executable, BENCH, "--samples", "3",
                           "--out", str(tmp_path), *args],
                          capture_output=True, text=True, timeout=TIMEOUT,
                          check=False)


def test_bench_quick(tmp_path):
    p = run_bench(tmp_path)
    assert p.returncode == 0, p.stdout + p.stderr
    out = p.stdout
    # The premise of the bench: one counter tick per instruction.
    assert "counter 1000000000 Hz" in out, out
    lines = {m[0]: m[1:] for m in LINE_RE.findall(out)}
    assert list(lines) == METRICS + CKPT_METRICS, out
    for metric in CKPT_METRICS:
        # The optimized copy of the same bytes, below newlib's memcpy.
        native, limit = int(lines[metric][0]), lines[metric][3]
        assert limit and 0 < int(limit) < native, f"{metric}: {out}"
        del lines[metric]
    for metric, (native, kairos, added, limit) in lines.items():
        assert not limit, f"{metric}: {out}"
        kairos = int(kairos)
        assert kairos > 0, f"{metric}: {out}"
        if metric in NO_NATIVE:
            assert (native, added) == ("n/a", "n/a"), f"{metric}: {out}"
            continue
        native = int(native)
        assert native > 0, f"{metric}: {out}"
        assert int(added) == kairos - native, f"{metric}: {out}"
        # Each path goes through EL2 under Kairos: it cannot be free.
        assert kairos > native, f"{metric}: {out}"
    m = TARGET_RE.search(out)
    assert m, out
    added, limit, met = int(m[1]), int(m[2]), m[3]
    assert added == int(lines["vtimer_vector"][2]) and limit == 80, out
    assert met == ("yes" if added <= limit else "no"), out
    # A put runnable vCPU's deadline: 1 ms of the 1 GHz counter at most.
    m = SHARED_TARGET_RE.search(out)
    assert m, out
    kairos, limit, met = int(m[1]), int(m[2]), m[3]
    assert kairos == int(lines["vtimer_shared_busy"][1]), out
    assert limit == 1000000, out
    assert met == ("yes" if kairos <= limit else "no"), out
    # The stream rows' rates: their bytes over their ticks at 1 GHz.
    rates = {m[0]: m[1:] for m in RATE_RE.findall(out)}
    assert set(rates) == {"shmem_stream", "shmem_stream_shared"}, out
    for metric, (nbytes, ticks, bps, mibps) in rates.items():
        assert ticks == lines[metric][1], out
        want = int(nbytes) * 1000000000 / int(ticks)
        assert abs(int(bps) - want) <= 1, out
        assert abs(float(mibps) - want / (1 << 20)) <= 0.06, out
    # The table shows every metric, and each boot left its log.
    for metric in METRICS:
        assert re.search(rf"^{metric}\s", out, re.M), out
    for run in ("native", "kairos", "shared", "ckpt", "ckpt_fused"):
        assert os.path.getsize(tmp_path / f"{run}.log") > 0


BOOT_TARGET_RE = re.compile(r"^bench-target: (boot_first_insn\w*) "
                            r"added=(\d+) limit=(\d+) met=(yes|no)$", re.M)


def test_bench_boot_rows_and_targets(tmp_path):
    """Both boot rows (128 MiB and 512 MiB VMs) have their target lines,
    which agree with the rows."""
    p = run_bench(tmp_path)
    assert p.returncode == 0, p.stdout + p.stderr
    out = p.stdout
    lines = {m[0]: m[1:] for m in LINE_RE.findall(out)}
    targets = {m[0]: m[1:] for m in BOOT_TARGET_RE.findall(out)}
    assert set(targets) == {"boot_first_insn", "boot_first_insn_512m"}, out
    for metric, (added, limit, met) in targets.items():
        assert added == lines[metric][2], out
        assert int(limit) == {"boot_first_insn": 2000000,
                              "boot_first_insn_512m": 2500000}[metric]
        assert met == ("yes" if int(added) <= int(limit) else "no"), out


def test_bench_checkpoint_rows(tmp_path):
    """The checkpoint rows of a 64 MiB VM: every restore copies what it
    must (all 16384 pages in full, the dirtied ones incrementally, in the
    ratio 1 : 10 : 100), each has a limit (the plain copy) and a count,
    and the target line agrees with the full-restore row."""
    p = run_bench(tmp_path)
    assert p.returncode == 0, p.stdout + p.stderr
    out = p.stdout
    rows = {m[0]: tuple(map(int, m[1:])) for m in ROW_RE.findall(out)}
    assert list(rows) == CKPT_METRICS, out
    for metric, (pages, limit, kairos) in rows.items():
        assert pages > 0 and limit > 0 and kairos > 0, f"{metric}: {out}"
    assert rows["ckpt_restore_full"][0] == 64 * 256, out
    assert rows["ckpt_checkpoint"][0] == 64 * 256, out
    # The fused CRC: the same pages, the same limit, and the VM held for
    # longer than for the plain copy whose CRC waits for its release.
    assert rows["ckpt_checkpoint_fused"][:2] == rows["ckpt_checkpoint"][:2]
    assert rows["ckpt_checkpoint_fused"][2] > rows["ckpt_checkpoint"][2]
    m = INCR_RE.search(out)
    assert m, out
    pages = [int(x) for x in m.groups()]
    assert pages == [rows[f"ckpt_restore_incr_{p}pct"][0]
                     for p in (1, 10, 100)], out
    # The dirtied pages (1 %, 10 %, 100 % of the guest's data pages)
    # plus the few the guest wrote itself (stack, UART state).
    data = rows["ckpt_restore_incr_100pct"][0]
    for share, n in zip((1, 10), pages):
        assert abs(n - data * share / 100) < 64, (share, n, out)
    # Incremental restores cost in proportion to the pages they copy.
    assert pages[0] < pages[1] < pages[2], out
    assert rows["ckpt_restore_incr_1pct"][2] < \
        rows["ckpt_restore_incr_10pct"][2] < \
        rows["ckpt_restore_incr_100pct"][2], out
    full = rows["ckpt_restore_full"]
    m = CKPT_TARGET_RE.search(out)
    assert m, out
    ratio = float(m[1])
    assert abs(ratio - full[2] / full[1]) < 0.001, out
    assert m[2] == ("yes" if ratio <= 1.2 else "no"), out
    cap = rows["ckpt_checkpoint"]
    m = re.search(r"^bench-target: ckpt_checkpoint ratio=([\d.]+) "
                  r"limit=1.5 met=(yes|no)$", out, re.M)
    assert m and abs(float(m[1]) - cap[2] / cap[1]) < 0.001, out
    assert m[2] == ("yes" if float(m[1]) <= 1.5 else "no"), out
    inc = rows["ckpt_restore_incr_1pct"]
    m = re.search(r"^bench-target: ckpt_restore_incr_1pct added=(-?\d+) "
                  r"limit=60000 met=(yes|no)$", out, re.M)
    assert m and int(m[1]) == inc[2] - inc[1], out
    assert m[2] == ("yes" if int(m[1]) <= 60000 else "no"), out


def test_bench_fails_without_numbers(tmp_path):
    """A guest that prints no BENCH lines (vmtest knows none of the bench's
    tests): the tool says which run failed and exits non-zero."""
    p = run_bench(tmp_path, "--image", VMTEST)
    assert p.returncode != 0, p.stdout + p.stderr
    assert "native:" in p.stderr and "native.log" in p.stderr, p.stderr
    assert not LINE_RE.search(p.stdout), p.stdout


BOARD_LINE_RE = re.compile(r"^bench: rpi3_(\S+) virt=(\d+) rpi3=(\d+) "
                           r"added=(-?\d+)$", re.M)
BOARD_METRICS = ["vtimer_vector", "vtimer_handler", "wfi_wakeup_vector",
                 "wfi_wakeup_handler", "hvc_roundtrip", "mmio_gicd_read",
                 "sgi_vector", "sgi_handler", "vtimer_2vcpu_vector",
                 "vtimer_2vcpu_handler", "vcpu_switch", "vtimer_shared_busy"]


def test_bench_board_3b_quick(tmp_path):
    """--board 3b (make bench PLATFORM=rpi3, docs/rpi3.md): every row has
    numbers on virt GICv2 and on the Pi 3, at one tick per instruction;
    an interrupt costs more without a GIC, and more still at the handler,
    behind the trapped acknowledge."""
    rpi = os.path.join(ROOT, "build", "rpi4", "kairos.bin")
    if not os.path.exists(rpi):
        pytest.fail(f"{rpi} missing: run 'make rpi4-test-deps'")
    p = run_bench(tmp_path, "--board", "3b")
    assert p.returncode == 0, p.stdout + p.stderr
    out = p.stdout
    assert "counter 1000000000 Hz" in out, out
    rows = {m[0]: tuple(map(int, m[1:])) for m in
            BOARD_LINE_RE.findall(out)}
    assert list(rows) == BOARD_METRICS, out
    for metric, (virt, rpi3, added) in rows.items():
        assert virt > 0 and rpi3 > 0 and added == rpi3 - virt, \
            f"{metric}: {out}"
    for irq in ("vtimer", "wfi_wakeup", "sgi", "vtimer_2vcpu"):
        vec, hnd = rows[f"{irq}_vector"][2], rows[f"{irq}_handler"][2]
        assert 0 < vec < hnd, f"{irq}: {out}"
    assert rows["vcpu_switch"][2] > 0, out
