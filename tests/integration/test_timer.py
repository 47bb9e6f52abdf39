# SPDX-License-Identifier: MIT
"""The EL1 timers under the timertest guest (guests/tests/timertest), with
-icount shift=0,sleep=off so guest time is deterministic. Every test runs
twice: natively at EL1 on QEMU virt (env "native": the reference, which
proves the test itself) and as a VM under Kairos (env "kairos").

- test_timer_cases: the case list (CVAL/TVAL programming, timers in the
  past, above the TVAL maximum, far future, counter ahead of / behind the
  timer, reprogramming, periodic, mask/unmask, masked and disabled, ISPENDR
  of a disabled PPI, a long delay) for the virtual (vt_*) and physical
  (pt_*) timer, waiting in WFI, polling, or in WFI while a second vCPU of
  the VM busy-loops on the same pCPU (under Kairos `cpus=0:0`).
- test_tN_*: the invariants of docs/time-invariants.md the guest can prove.
- test_stress_2vms_2vcpus_one_pcpu: random armings on 4 vCPUs of 2 VMs
  sharing one pCPU.
- test_shared_pcpu_busy_*: busy VMs sharing one pCPU, each answered
  within 1 ms of its deadline (timers; SGIs from a vCPU on another pCPU),
  and each given its share of the pCPU (also beside a VM in a timer
  storm). docs/user-guide.md, "Scheduling".

One boot runs many guest tests; its verdicts are cached and each pytest
item checks its own, so the whole file boots QEMU about 40 times."""
import os
import re

import pexpect
import pytest

from kairos_qemu import ROOT, TOOLS, Console, qemu_cmd

TIMERTEST = os.path.join(ROOT, "build", "guests", "timertest.bin")

CASES = ["cval", "tval", "past_cval0", "past_tval0", "past_tval_neg",
         "past_tval_min", "tval_max", "cval_far", "cval_backwards",
         "cval_forwards", "reprogram", "periodic", "mask_unmask",
         "masked_disabled", "ispendr_disabled_ppi", "long_delay"]
MODES = ["wfi", "poll", "busy"]
# (gic, timer, mode) boots of the case list; each runs all CASES.
CASE_RUNS = {
    "native": [(3, t, m) for t in ("vt", "pt") for m in MODES]
    + [(2, "vt", "wfi"), (2, "pt", "wfi")],
    "kairos": [(3, t, m) for t in ("vt", "pt") for m in MODES]
    + [(2, "vt", "wfi"), (2, "vt", "busy")],
}
STRESS_ITERATIONS = {"native": 2000, "kairos": 2000}
# The CPU model of every boot but those that name another: the Pi 4's.
CPU = "cortex-a72"
# A CPU model with FEAT_ECV, whose CNTHCTL_EL2.EL1TVT traps the guest's
# virtual timer accesses (test_t11_eoi_before_rearm).
ECV_CPU = "max"

# Without FEAT_ECV (see test_t11_eoi_before_rearm).
KAIROS_NO_ECV_XFAIL = pytest.mark.xfail(
    strict=False,
    reason="without FEAT_ECV the guest's CNTV_CVAL/CTL writes cannot be "
    "trapped: Kairos cannot see a line the guest lowers with IRQs masked "
    "before it takes the interrupt listed for it (T11)")

VERDICT_RE = re.compile(
    r"^(?:\[(\w+)\] )?TEST (\S+): (PASS|FAIL|SKIP)(?: (.*?))?\r*$", re.M)
BOOT_TIMEOUT = 240

_runs = {}


@pytest.fixture(autouse=True, scope="module")
def timertest_built():
    if not os.path.exists(TIMERTEST):
        pytest.fail(f"{TIMERTEST} missing: run 'make guests' first")


def _boot(cmd, key, end):
    """Runs @cmd until @end (a pattern, or pexpect.EOF); returns the
    output, the log path and QEMU's exit status (None if left running)."""
    env, gic, tests, vms, vcpus, cpus, smp, args, cpu = key
    first = tests.split(",")[0]
    more = f"+{tests.count(',')}" if "," in tests else ""
    model = "" if cpu == CPU else f"-{cpu}"
    name = re.sub(r"[^A-Za-z0-9_.+-]+", "_",
                  f"timer-{env}-gic{gic}{model}-{first}{more}-{len(vms)}vm-"
                  f"{vcpus}x{cpus}-{args}")
    con = Console(cmd, name)
    try:
        con.expect(end, timeout=BOOT_TIMEOUT)
        out = con.child.before + (con.child.after
                                  if end is not pexpect.EOF else b"")
        status = None
        if end is pexpect.EOF:
            con.child.close()
            status = con.child.exitstatus
        return out.decode(errors="replace"), con.log_path, status
    finally:
        con.close()


def run(env, gic, tests, vms=("g",), vcpus=1, cpus="0", smp=1, args="",
        cpu=CPU):
    """Boots timertest once (cached) with test=@tests and @args, natively
    (smp 2: one 'VM') or under Kairos (one VM per name in @vms, each with
    @vcpus vCPUs on pCPUs @cpus, on @smp pCPUs), on QEMU CPU model @cpu.
    Returns ({vm: {test: (verdict, detail)}}, output, log path)."""
    key = (env, gic, tests, vms, vcpus, cpus, smp, args, cpu)
    if key in _runs:
        return _runs[key]
    bootargs = f"test={tests}" + (f" {args}" if args else "")
    if env == "native":
        cmd = qemu_cmd(f"virt,gic-version={gic}", cpu=cpu, smp=2, mem="256M",
                       extra=["-icount", "shift=0,sleep=off",
                              "-kernel", TIMERTEST, "-append", bootargs])
        out, log, status = _boot(cmd, key, pexpect.EOF)
        assert status == 0, f"QEMU exit {status}; log {log}"
        vms = ("g",)
    else:
        cmd = [f"{TOOLS}/kairos-qemu", "--icount", "--gic", str(gic),
               "--smp", str(smp), "--cpu", cpu]
        for i, name in enumerate(vms):
            seed = f" seed={i + 1}" if tests in ("stress", "shared") \
                else ""
            cmd += ["--vm", f"name={name},image={TIMERTEST},vcpus={vcpus},"
                    f"cpus={cpus},bootargs={bootargs}{seed}"]
        cmd += ["--", "-no-reboot"]
        out, log, _ = _boot(cmd, key, r"kairos: all VMs stopped")
    verdicts = {vm: {} for vm in vms}
    for vm, name, verdict, detail in VERDICT_RE.findall(out):
        vm = vm or "g"
        assert name not in verdicts.setdefault(vm, {}), \
            f"two verdicts for {name} in {vm}; log {log}"
        verdicts[vm][name] = (verdict, detail)
    _runs[key] = (verdicts, out, log)
    return _runs[key]


def expect_pass(result, test, vm="g"):
    verdicts, out, log = result
    got = verdicts.get(vm, {}).get(test, ("none", "no verdict"))
    assert got[0] == "PASS", f"{vm}: {test}: {got[0]} {got[1]} (log {log})"


def _case_params():
    for env, runs in CASE_RUNS.items():
        for gic, timer, mode in runs:
            for case in CASES:
                yield pytest.param(
                    env, gic, timer, mode, case,
                    id=f"{env}-gic{gic}-{timer}-{mode}-{case}")


def _case_run(env, gic, timer, mode):
    tests = ",".join(f"{timer}_{c}" for c in CASES)
    if env == "kairos" and mode == "busy":
        return run(env, gic, tests, vcpus=2, cpus="0:0", args=f"mode={mode}")
    return run(env, gic, tests, args=f"mode={mode}")


@pytest.mark.parametrize("env,gic,timer,mode,case", list(_case_params()))
def test_timer_cases(env, gic, timer, mode, case):
    expect_pass(_case_run(env, gic, timer, mode), f"{timer}_{case}")


# The vtimer invariants: one boot per (env, gic), two vCPUs on one pCPU.
INVARIANTS = "t3_wfi_busy_sibling,t8_mask_level,t9_ispendr_icactiver," \
    "t10_disabled_ppi_progress,t11_no_double_injection,t11_eoi_before_rearm"


def invariants(env, gic, cpu=CPU):
    return run(env, gic, INVARIANTS, vcpus=2, cpus="0:0", cpu=cpu)


ENV_GIC = [pytest.param(e, g, id=f"{e}-gic{g}")
           for e in ("native", "kairos") for g in (3, 2)]


@pytest.mark.parametrize("env,gic", ENV_GIC)
def test_t3_no_lost_wakeup_shared_pcpu(env, gic):
    """TVAL + WFI while the VM's other vCPU busy-loops on the same pCPU:
    every interrupt arrives, and the busy vCPU ran meanwhile."""
    expect_pass(invariants(env, gic), "t3_wfi_busy_sibling")


@pytest.mark.parametrize("env,gic", ENV_GIC)
def test_t8_mask_level_sensitive(env, gic):
    """IMASK/ENABLE lower the line and the GIC's pending state; unmasking
    fires only while the condition holds; IMASK is never written for the
    guest across exits."""
    expect_pass(invariants(env, gic), "t8_mask_level")


@pytest.mark.parametrize("env,gic", ENV_GIC)
def test_t9_hw_lr_ispendr(env, gic):
    """PPI 27 pended by ISPENDR is taken once; ICACTIVER inside the handler
    leaves the (hardware-mapped) interrupt usable."""
    expect_pass(invariants(env, gic), "t9_ispendr_icactiver")


@pytest.mark.parametrize("env,gic", ENV_GIC)
def test_t10_disabled_ppi_no_wedge(env, gic):
    """An expired timer behind a disabled PPI (also on a vCPU that then
    does CPU_OFF) costs the running vCPU no more than 3/4 of its pace."""
    expect_pass(invariants(env, gic), "t10_disabled_ppi_progress")


@pytest.mark.parametrize("env,gic", ENV_GIC)
def test_t11_no_double_injection(env, gic):
    """Exactly one interrupt per period and per arming, ISTATUS and
    count >= CVAL in every handler, no spurious acknowledges."""
    expect_pass(invariants(env, gic), "t11_no_double_injection")


@pytest.mark.parametrize("env,gic,cpu", [
    pytest.param(e, g, c, id=f"{e}-gic{g}-{c}",
                 marks=[KAIROS_NO_ECV_XFAIL] if (e, c) == ("kairos", CPU)
                 else [])
    for e, c in (("native", CPU), ("kairos", CPU), ("kairos", ECV_CPU))
    for g in (3, 2)])
def test_t11_eoi_before_rearm(env, gic, cpu):
    """The handler EOIs while the line is still up, then re-arms, all with
    IRQs masked: natively the GIC withdraws the re-raised pending state
    when the line drops. Under Kairos the physical interrupt is taken at
    EL2 and listed; with FEAT_ECV the guest's re-arming write traps and the
    next entry withdraws it (core/vtimer.c, vtimer_guard())."""
    expect_pass(invariants(env, gic, cpu), "t11_eoi_before_rearm")


@pytest.mark.parametrize("gic", [3, 2], ids=["gic3", "gic2"])
def test_invariants_with_vtimer_trap_window(gic):
    """On a CPU with FEAT_ECV, where Kairos traps the guest's virtual
    timer accesses while its interrupt waits for it with IRQs masked, all
    the vtimer invariant cases hold as on the Pi's CPU model."""
    verdicts = invariants("kairos", gic, ECV_CPU)
    for test in INVARIANTS.split(","):
        expect_pass(verdicts, test)


@pytest.mark.parametrize("env,gic,cpus", [
    pytest.param("native", 3, None, id="native-gic3"),
    pytest.param("native", 2, None, id="native-gic2"),
    pytest.param("kairos", 3, "0:0", id="kairos-gic3-same-pcpu"),
    pytest.param("kairos", 3, "0:1", id="kairos-gic3-two-pcpus"),
    pytest.param("kairos", 2, "0:0", id="kairos-gic2-same-pcpu")])
def test_t6_counter_identical_across_vcpus(env, gic, cpus):
    """CNTVCT samples exchanged through memory and SGIs: never behind the
    other vCPU's earlier sample, monotonic, across CPU_OFF/CPU_ON."""
    if env == "native":
        result = run(env, gic, "t6_counter_exchange")
    else:
        result = run(env, gic, "t6_counter_exchange", vcpus=2, cpus=cpus,
                     smp=2)
    expect_pass(result, "t6_counter_exchange")
    assert re.search(r"# \d+ rounds x 2 phases: \d+ checks on CPU0",
                     result[1]), result[2]


@pytest.mark.parametrize("env", [
    pytest.param(e, id=e)
    for e in ("native", "kairos")])
def test_t19_ptimer_isolation_two_vms(env):
    """Each VM runs its ptimer and vtimer periodic at once; under Kairos
    two such VMs share one pCPU and neither sees the other's interrupts."""
    if env == "native":
        result = run(env, 3, "t19_ptimer_beside_vtimer")
        expect_pass(result, "t19_ptimer_beside_vtimer")
        return
    result = run(env, 3, "t19_ptimer_beside_vtimer", vms=("a", "b"),
                 vcpus=1, cpus="0", smp=1)
    for vm in ("a", "b"):
        expect_pass(result, "t19_ptimer_beside_vtimer", vm)


@pytest.mark.parametrize("env,timers", [
    pytest.param(e, t, id=f"{e}-{t}")
    for e in ("native", "kairos") for t in ("v", "vp")])
def test_stress_2vms_2vcpus_one_pcpu(env, timers):
    """Random armings (past, zero, near, far, max) on every vCPU, each
    answered exactly once, far ones cancelled and never firing; CNTVCT
    exchanged between the vCPUs (T6). Under Kairos: 2 VMs x 2 vCPUs, all
    on pCPU 0."""
    n = STRESS_ITERATIONS[env]
    args = f"iterations={n} timers={timers}"
    if env == "native":
        result = run(env, 3, "stress", args=args)
        vms = ("g",)
    else:
        vms = ("a", "b")
        result = run(env, 3, "stress", vms=vms, vcpus=2, cpus="0:0", smp=1,
                     args=args)
    for vm in vms:
        expect_pass(result, "stress", vm)
    assert len(re.findall(rf"# stress: {n} rounds x 2 CPUs", result[1])) \
        == len(vms), result[2]


CKPTTEST = os.path.join(ROOT, "build", "guests", "ckpttest.bin")
STORM_RE = re.compile(
    r"# ckpt storm: CPU(\d) (\w+) armed (\d+) fired (\d+) bogus (\d+) "
    r"early (\d+) late \d+ max_late_us (\d+)")


@pytest.mark.parametrize("env,gic", [
    pytest.param(e, g, id=f"{e}-gic{g}")
    for e, g in (("native", 3), ("kairos", 3), ("kairos", 2))])
def test_one_vm_on_two_pcpus_timers_answered_on_time(boot, env, gic):
    """Both vCPUs of one VM, each on its own pCPU, arm both timers 100 us
    - 2 ms ahead and wait in WFI, for 2 s of guest time: every arming is
    answered once, never early, and within 1 ms of guest time (-icount:
    instructions, not host load). A pCPU that spun on a lock the other
    held used to burn a whole QEMU turn (100 ms) per wait: answers came
    up to 1.3 s late."""
    bootargs = "test=storm ms=2000 timers=vp"
    if env == "native":
        cmd = qemu_cmd(f"virt,gic-version={gic}", smp=2, mem="256M",
                       extra=["-icount", "shift=0,sleep=off",
                              "-kernel", CKPTTEST, "-append", bootargs])
    else:
        cmd = [f"{TOOLS}/kairos-qemu", "--icount", "--gic", str(gic),
               "--smp", "2", "--vm",
               f"name=g,image={CKPTTEST},vcpus=2,cpus=0:1,mem=64M,"
               f"bootargs={bootargs}", "--", "-no-reboot"]
    con = boot(cmd)
    m = con.expect(r"TEST storm: (PASS|FAIL)([^\r\n]*)", timeout=BOOT_TIMEOUT)
    with open(con.log_path, errors="replace") as f:
        counts = STORM_RE.findall(f.read())
    assert m.group(1) == b"PASS", m.group(0)
    assert {(c[0], c[1]) for c in counts} == {
        (cpu, t) for cpu in "01" for t in ("vtimer", "ptimer")}, counts
    for cpu, timer, armed, fired, bogus, early, late_us in counts:
        assert int(armed) == int(fired) and int(armed) >= 500, counts
        assert int(bogus) == 0 and int(early) == 0, counts
        assert int(late_us) <= 1000, (cpu, timer, late_us, con.log_path)


# Armings per vCPU: 1000 of the virtual timer take about 3 s of guest
# time; the physical timer (emulated) and the native reference, fewer.
SHARED_ITERATIONS = {("kairos", "v"): 1000, ("kairos", "p"): 300,
                     ("native", "v"): 300, ("native", "p"): 300}
SHARED_RE = re.compile(
    r"^(?:\[(\w+)\] )?# shared: (\w+) armed (\d+) answered (\d+) "
    r"\(past (\d+), zero (\d+), ahead (\d+)\) late (\d+) "
    r"max_late_us (\d+) switched_at_arming (\d+)", re.M)


@pytest.mark.parametrize("env,nvms,timer", [
    pytest.param(e, n, t, id=f"{e}-{n}vm-{t}timer")
    for e, n, t in (("native", 1, "v"), ("native", 1, "p"),
                    ("kairos", 2, "v"), ("kairos", 4, "v"),
                    ("kairos", 2, "p"), ("kairos", 4, "p"))])
def test_shared_pcpu_busy_timers_on_time(env, nvms, timer):
    """Busy VMs (one vCPU each) all on pCPU 0 arm their timer 1000 times
    (the vtimer; the ptimer 300) (in the past, TVAL 0, 50 us .. 20 ms
    ahead, log-uniform) and spin with IRQs
    unmasked: every arming is answered once, never early, and within
    1 ms of its deadline (guest-measured), although the vCPU is mostly
    not the one running when its deadline comes (a 10 ms slice)."""
    n = SHARED_ITERATIONS[env, timer]
    args = f"iterations={n} timer={timer}"
    if env == "native":
        result = run(env, 3, "shared", args=args)
        vms = ("g",)
    else:
        vms = tuple("abcd"[:nvms])
        result = run(env, 3, "shared", vms=vms, vcpus=1, cpus="0", smp=1,
                     args=args)
    for vm in vms:
        expect_pass(result, "shared", vm)
    lines = {m[0] or "g": m for m in SHARED_RE.findall(result[1])}
    assert set(lines) == set(vms), (lines, result[2])
    name = "vtimer" if timer == "v" else "ptimer"
    for vm, (_, kind, armed, answered, past, zero, ahead, late,
             max_late, switched) in lines.items():
        assert kind == name, (vm, kind)
        assert int(armed) == n and int(answered) == n, (vm, lines[vm])
        # Each kind of arming was drawn (the PRNG is seeded per VM).
        assert min(int(past), int(zero), int(ahead)) > 0, (vm, lines[vm])
        assert int(late) == 0 and int(max_late) <= 1000, \
            (vm, lines[vm], result[2])
        # Armings whose enabling write a switch interrupted are measured
        # from after it (timertest's shared.c): a rare few, not a way
        # around the bound.
        assert int(switched) * 20 <= n, (vm, lines[vm], result[2])


FAIR_RE = re.compile(
    r"^\[(\w+)\] # fair: ran (\d+) of (\d+) ms: share (\d+) permille",
    re.M)
FAIR_MS = 1000


def _fair(storm):
    """VMs a and b on pCPU 0 spinning for 1 s of guest time, b in a timer
    storm if @storm. Returns ({vm: permille}, output, log)."""
    cmd = [f"{TOOLS}/kairos-qemu", "--icount", "--gic", "3", "--smp", "1",
           "--cpu", CPU]
    for name, s in (("a", 0), ("b", 1 if storm else 0)):
        cmd += ["--vm", f"name={name},image={TIMERTEST},vcpus=1,cpus=0,"
                f"bootargs=test=fair ms={FAIR_MS} storm={s}"]
    cmd += ["--", "-no-reboot"]
    key = ("kairos", 3, f"fair-storm{int(storm)}", ("a", "b"), 1, "0", 1,
           "", CPU)
    out, log, _ = _boot(cmd, key, r"kairos: all VMs stopped")
    verdicts = {vm: v for vm, name, v, _ in VERDICT_RE.findall(out)
                if name == "fair"}
    assert verdicts == {"a": "PASS", "b": "PASS"}, (verdicts, log)
    return {vm: int(p) for vm, _, ms, p in FAIR_RE.findall(out)
            if int(ms) == FAIR_MS}, out, log


def test_shared_pcpu_busy_fair_share():
    """Two busy VMs on one pCPU each run 50% +- 5% of 1 s of guest time
    (the guest counts the time between counter reads that were not
    interrupted by a switch)."""
    shares, _, log = _fair(False)
    assert set(shares) == {"a", "b"}, (shares, log)
    for vm, permille in shares.items():
        assert 450 <= permille <= 550, (vm, permille, log)


def test_shared_pcpu_timer_storm_keeps_its_share():
    """VM b keeps its virtual timer firing (CVAL in the past, re-armed in
    the past by its handler): boosted by every interrupt, it still gets
    no more than its share; busy VM a runs >= 45% of 1 s."""
    shares, out, log = _fair(True)
    assert set(shares) == {"a"}, (shares, log)
    assert re.search(r"\[b\] # fair: storm of \d+ interrupts", out), log
    assert shares["a"] >= 450, (shares, log)


SGI_RE = re.compile(r"^(?:\[(\w+)\] )?# sgi_shared: sent (\d+) taken (\d+) "
                    r"late (\d+) max_late_us (\d+)", re.M)
SGI_ITERATIONS = 300


@pytest.mark.parametrize("env", ["native", "kairos"])
def test_shared_pcpu_busy_sgi_on_time(env):
    """vCPU1 of VM a, alone on pCPU 1, sends vCPU0 an SGI 300 times, 50 us
    .. 20 ms apart, both spinning with IRQs unmasked; vCPU0 shares pCPU 0
    with busy VM b: every SGI is taken once, within 1 ms of its sending
    (guest-measured)."""
    args = f"iterations={SGI_ITERATIONS}"
    if env == "native":
        out, log = run(env, 3, "sgi_shared", args=args)[1:]
    else:
        cmd = [f"{TOOLS}/kairos-qemu", "--icount", "--gic", "3", "--smp",
               "2", "--cpu", CPU,
               "--vm", f"name=a,image={TIMERTEST},vcpus=2,cpus=0:1,"
               f"bootargs=test=sgi_shared {args}",
               "--vm", f"name=b,image={TIMERTEST},vcpus=1,cpus=0,"
               f"bootargs=test=fair ms=1500 storm=0", "--", "-no-reboot"]
        key = ("kairos", 3, "sgi_shared", ("a", "b"), 2, "0:1", 2, args,
               CPU)
        out, log, _ = _boot(cmd, key, r"kairos: all VMs stopped")
    verdicts = {(vm or "g", name): v
                for vm, name, v, _ in VERDICT_RE.findall(out)}
    vm = "g" if env == "native" else "a"
    assert verdicts.get((vm, "sgi_shared")) == "PASS", (verdicts, log)
    m = SGI_RE.findall(out)
    assert len(m) == 1, (m, log)
    _, sent, taken, late, max_late = m[0]
    assert int(sent) == int(taken) == SGI_ITERATIONS, (m, log)
    assert int(late) == 0 and int(max_late) <= 1000, (m, log)
    if env == "kairos":
        # b was busy on pCPU 0 all along.
        assert re.search(r"^\[b\] # fair: ran \d+ of 1500 ms", out, re.M), \
            log
