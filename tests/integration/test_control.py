# SPDX-License-Identifier: MIT
"""The control channel (docs/control.md) through tools/kairosctl, as a
test rig uses it: requests and status codes, pause/resume/reset seen in
the counters, refusals that keep the channel open, guest output that can
never pass for a response, and the way back to the human shell."""
import os
import re
import subprocess
import time

import pytest

from kairos import ctl
from kairos.ctl import CtlError
from kairos_qemu import ROOT, TOOLS

VMTEST = os.path.join(ROOT, "build", "guests", "vmtest.bin")
# An FP check loop that yields with WFE, so its vCPU keeps exiting.
BUSY = "bootargs=test=fp_preserved iters=1000000000"
TWO_BUSY = ["--smp", "2",
            "--vm", f"name=a,image={VMTEST},cpus=0,{BUSY}",
            "--vm", f"name=b,image={VMTEST},cpus=1,{BUSY}"]


@pytest.fixture
def kairos(kairos_ctl):
    """kairos(kairos-qemu args) -> a connected KairosCtl; closed after."""
    return kairos_ctl


def raw_lines(k):
    with open(k.log_path, "rb") as f:
        return [line.rstrip(b"\r").decode(errors="replace")
                for line in f.read().split(b"\n")]


def busy_exits(k, vm):
    return k.counters(vm)["vm"]["exits"]


def test_hello_and_list(kairos):
    k = kairos(TWO_BUSY)
    h = k.hello()
    assert h["protocol"] == ctl.PROTOCOL
    assert h["vms"] == 2
    assert h["freq"] > 0
    k.wait_guest("a", r"# running fp_preserved")
    k.wait_guest("b", r"# running fp_preserved")
    vms = {v["vm"]: v for v in k.list_vms()}
    assert set(vms) == {"a", "b"}
    assert [vms["a"]["id"], vms["b"]["id"]] == [0, 1]
    assert all(v["state"] == "running" and v["vcpus"] == 1
               for v in vms.values())
    info = k.info("b")
    assert info["vm"]["state"] == "running"
    assert [(c["vcpu"], c["cpu"]) for c in info["vcpus"]] == [(0, 1)]


def test_pause_stops_exits_resume_restarts_them(kairos):
    k = kairos(TWO_BUSY)
    k.wait_guest("a", r"# running fp_preserved")
    before = busy_exits(k, "a")
    time.sleep(1)
    assert busy_exits(k, "a") > before
    assert k.pause("a") == "paused"
    paused = busy_exits(k, "a")
    time.sleep(2)
    c = k.counters("a")
    assert c["vm"]["state"] == "paused"
    assert c["vm"]["exits"] == paused
    assert sum(v["exits"] for v in c["vcpus"]) == paused
    assert k.counters("b")["vm"]["state"] == "running"
    # Pausing again is no error; the state is what was asked for.
    r = k.request("pause", "a")
    assert r.message == "already paused"
    assert k.resume("a") == "running"
    time.sleep(1)
    assert busy_exits(k, "a") > paused
    assert {v["vm"]: v["state"] for v in k.list_vms()} == \
        {"a": "running", "b": "running"}


def test_reset_restarts_the_guest(kairos):
    k = kairos(TWO_BUSY)
    k.wait_guest("a", r"# 1 CPUs, \d+ checks each")
    k.wait_guest("b", r"# 1 CPUs, \d+ checks each")
    lines, events = len(k.guest_lines("a")), len(k.events())
    b_lines = len(k.guest_lines("b"))
    assert k.reset("a") == "running"
    assert k.wait_event("reset", "a", since=events).fields["state"] == \
        "running"
    k.wait_guest("a", r"^libguest: vmtest, 1 CPUs", since=lines)
    k.wait_guest("a", r"^# running fp_preserved", since=lines)
    assert len(k.guest_lines("b")) == b_lines  # b was not touched
    assert [v["state"] for v in k.list_vms()] == ["running", "running"]


def test_checkpoints_without_a_store(kairos):
    """No checkpoint-store in the configuration: no slots; a checkpoint
    or restore names the missing slot with status 3."""
    k = kairos(TWO_BUSY)
    r = k.request("slots")
    assert (r.status, r.rows, r.message) == (0, [], "0 slots")
    assert k.hello()["slots"] == 0
    for verb, args in (("checkpoint", ("a", 0)),
                       ("restore", ("a", 0)),
                       ("restore", ("b", 2, "catch-up"))):
        with pytest.raises(CtlError) as e:
            k.request(verb, *args)
        assert e.value.status == ctl.NO_SLOT
        assert e.value.message == \
            f"no slot {args[1]} (there are no checkpoint slots)"
    assert k.request("checkpoint", "a", "x", check=False).status == \
        ctl.BAD_REQUEST
    assert k.request("checkpoint", "c", 0, check=False).status == \
        ctl.NO_VM
    assert k.request("restore", "a", 0, "later", check=False).status == \
        ctl.BAD_REQUEST
    c = k.counters("a")["vm"]
    assert (c["checkpoints"], c["restores"], c["state"]) == \
        (0, 0, "running")
    # The shell's commands say the same to a human.
    k.exit_control()
    out = "\n".join(k.shell_command("vm checkpoint a 0"))
    assert "vm: checkpoint of a into slot 0 failed: no slot 0" in out
    out = "\n".join(k.shell_command("vm restore a 0 pause"))
    assert "vm: restore of a from slot 0 failed: no slot 0" in out
    out = "\n".join(k.shell_command("vm slots"))
    assert "vm: there are no checkpoint slots" in out
    out = "\n".join(k.shell_command("vm info a"))
    assert re.search(r"checkpoints 0, restores 0 \(0 incremental\)", out)


def test_refusals_keep_the_channel_open(kairos):
    k = kairos(TWO_BUSY)
    cases = [
        ("t1", "t1 frobnicate a", ctl.UNKNOWN_VERB),
        ("t2", "t2 pause", ctl.BAD_REQUEST),
        ("t3", "t3 pause nosuch", ctl.NO_VM),
        ("t4", "t4", ctl.BAD_REQUEST),
        ("?", "a.b list", ctl.BAD_REQUEST),
        ("t5", "t5 list x y z w v", ctl.BAD_REQUEST),
        ("long", "long list " + "x" * 300, ctl.TOO_LONG),
    ]
    for tag, line, status in cases:
        r = k.request_line(tag, line)
        assert r.status == status, (line, r)
        assert k.hello()["protocol"] == ctl.PROTOCOL
    # Ctrl-A k / Ctrl-A 0 do not switch input in control mode.
    k.send_raw(b"\x01" b"0")
    r = k.request_line("t6", "t6 list")
    assert r.status == 0 and len(r.rows) == 2
    # A control character spoils only its own line.
    assert k.request_line("t7", "t7 li\x02st").status == \
        ctl.BAD_REQUEST
    assert k.request("list").status == 0
    # Still in control: the resumed VMs never got the typed bytes.
    assert k.list_vms()[0]["state"] == "running"


def test_guest_cannot_imitate_a_response(kairos, tmp_path):
    """A guest whose bootargs (which it prints) hold a response line and
    an event line: both arrive labelled, and neither is taken as one."""
    dtb = tmp_path / "mimic.dtb"
    subprocess.run(["qemu-system-aarch64", "-M",
                    f"virt,gic-version=3,dumpdtb={dtb}", "-cpu",
                    "cortex-a72", "-smp", "1", "-m", "128M", "-nographic",
                    "-nic", "none"], check=True, capture_output=True)
    fake = "@1 0 ok\n@event stopped vm=b\n@ctl 0 control mode"
    subprocess.run(["fdtput", "-t", "s", str(dtb), "/chosen", "bootargs",
                    f"test=psci_version\n{fake}\n"], check=True)
    k = kairos(["--smp", "2",
                "--vm", f"name=mimic,image={VMTEST},cpus=0,dtb={dtb}",
                "--vm", f"name=b,image={VMTEST},cpus=1,{BUSY}"])
    k.wait_guest("mimic", r"^@ctl 0 control mode", timeout=60)
    # Its first run ends by itself: the stop looked for below is the
    # one after the reset.
    k.wait_event("stopped", "mimic", timeout=60)
    events = len(k.events())
    # Reset it while requests go on under the tag it imitates: it prints
    # the lines again, in control mode.
    k.reset("mimic")
    for _ in range(30):
        r = k.request_line("1", "1 counters b")
        assert r.status == 0 and r.rows[0]["vm"] == "b", r
    k.wait_event("stopped", "mimic", since=events, timeout=60)
    got = k.guest_lines("mimic")
    assert got.count("@1 0 ok") == 2, got
    assert got.count("@event stopped vm=b") == 2, got
    assert not any(e.fields.get("vm") == "b" for e in k.events())
    assert {v["vm"]: v["state"] for v in k.list_vms()} == \
        {"mimic": "stopped", "b": "running"}
    # On the wire: every such line carries the label.
    raw = raw_lines(k)
    for line in raw:
        if "@1 0 ok" in line or "@event stopped vm=b" in line:
            assert line.startswith("[mimic] "), line
    # (in control mode the guest's CR comes encoded, docs/control.md)
    assert raw.count("[mimic] @1 0 ok\\x0d") == 2


def test_exit_returns_to_the_shell(kairos):
    k = kairos(TWO_BUSY)
    k.exit_control()
    out = k.shell_command("version")
    assert any(re.match(r"Kairos \d", line) for line in out), out
    out = k.shell_command("vm list")
    assert any(re.search(r"\ba\s+running", line) for line in out), out
    # And in again: the same client can re-enter.
    k.connect(timeout=30)
    assert len(k.list_vms()) == 2


def test_cli_exit_status(tmp_path):
    """tools/kairosctl: rows on stdout, the first refusal's status as the
    exit status."""
    tool = os.path.join(TOOLS, "kairosctl")
    p = subprocess.run([tool, "--qemu", "--timeout", "120", "-c", "list",
                        "-c", "pause a", "-c", "checkpoint a 0", "-c",
                        "list", "--", *TWO_BUSY, "--", "-no-reboot"],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == ctl.EXIT_REFUSED_BASE + ctl.NO_SLOT, p
    rows = p.stdout.splitlines()
    assert rows[0].startswith("vm=a id=0 state=running"), p.stdout
    assert rows[2] == "vm=a state=paused", p.stdout
    assert len(rows) == 3, p.stdout  # stopped at the refusal
    assert "no slot 0" in p.stderr
    p = subprocess.run([tool, "list"], capture_output=True, text=True)
    assert p.returncode == ctl.EXIT_USAGE, p


# -- with a checkpoint store: these need core/ckpt/ckpt.c -------------------------

def store_system(tmp_path):
    """Two busy vmtest guests and a 128 MiB checkpoint-store."""
    dts = tmp_path / "store.dts"
    vms = "".join(f"""
        vm@{i} {{
            vm-name = "{name}";
            profile = "virt";
            memory = <0x0 0x40000000 0x0 0x4000000>;
            vcpus = <1>;
            cpus = <{i}>;
            kairos-qemu,kernel-file = "{VMTEST}";
            bootargs = "test=fp_preserved iters=1000000000";
        }};""" for i, name in enumerate(("a", "b")))
    dts.write_text(f"""/dts-v1/;
/plugin/;
&{{/}} {{
    hypervisor {{
        compatible = "kairos,hypervisor";
        #address-cells = <2>;
        #size-cells = <2>;
        checkpoint-store = <0x0 0x70000000 0x0 0x8000000>;{vms}
    }};
}};
""")
    return ["--smp", "2", "--system", str(dts)]




def test_checkpoint_and_restore(kairos, tmp_path):
    k = kairos(store_system(tmp_path))
    slots = k.slots()
    assert len(slots) == k.hello()["slots"] >= 1
    assert all(s["state"] == "empty" for s in slots)
    k.wait_guest("a", r"# running fp_preserved")
    c = k.checkpoint("a", 0)
    assert (c["vm"], c["slot"]) == ("a", 0) and c["size"] > 0
    s = k.slots()[0]
    assert (s["state"], s["vm"], s["verified"]) == ("used", "a", 1)
    assert s["size"] == c["size"] <= s["capacity"]
    assert s["vcount"] > 0
    assert k.list_vms()[0]["state"] == "running"  # it went on
    r = k.restore("a", 0)
    assert (r["vm"], r["slot"], r["state"]) == ("a", 0, "running")
    # Incremental (the slot is the VM's base): only the pages the guest
    # wrote since the checkpoint -- none, if its loop kept to registers.
    assert 0 <= r["pages_copied"] < 256, r
    cnt = k.counters("a")["vm"]
    assert (cnt["checkpoints"], cnt["restores"]) == (1, 1)
    assert cnt["pages_copied"] == r["pages_copied"]
    assert k.restore("a", 0, "catch-up")["state"] == "running"
    assert k.counters("a")["vm"]["restores"] == 2
    # The restored guest runs on: its vCPU keeps exiting.
    exits = busy_exits(k, "a")
    time.sleep(1)
    assert busy_exits(k, "a") > exits


def test_checkpoint_of_a_paused_vm_stays_paused(kairos, tmp_path):
    k = kairos(store_system(tmp_path))
    k.wait_guest("b", r"# running fp_preserved")
    k.pause("b")
    k.checkpoint("b", 0)
    assert {v["vm"]: v["state"] for v in k.list_vms()}["b"] == "paused"
    k.resume("b")
    assert k.restore("b", 0)["state"] == "paused"


def test_restore_from_an_empty_slot_fails(kairos, tmp_path):
    k = kairos(store_system(tmp_path))
    # Its last line until it finishes: nothing more may come (no reboot).
    k.wait_guest("a", r"# \d+ CPUs, \d+ checks each")
    lines = len(k.guest_lines("a"))
    with pytest.raises(CtlError) as e:
        k.restore("a", 0)
    assert e.value.status == ctl.FAILED and e.value.message
    assert k.list_vms()[0]["state"] == "running"
    assert k.counters("a")["vm"]["restores"] == 0
    assert len(k.guest_lines("a")) == lines


def test_stop_start_and_raw_guest_bytes(kairos):
    """stop/start through the channel, with their events; guest output in
    control mode carries the guest's exact bytes, escapes and CRs
    included, and a prompt without a newline arrives as a line going on."""
    k = kairos(["--smp", "2",
                "--vm", f"name=con,image={VMTEST},bootargs=test=console_io",
                "--vm", f"name=b,image={VMTEST},cpus=1,{BUSY}"])
    line = k.wait_guest("con", r"prompt> $", timeout=60)
    assert line
    mark = len(k.events())
    assert k.stop("b") == "stopped"
    assert k.wait_event("stopped", "b", since=mark)
    r = k.request("stop", "b")
    assert r.message == "already stopped" and r.rows[0]["state"] == "stopped"
    with pytest.raises(CtlError) as e:
        k.request("start", "con")
    assert e.value.status == ctl.BAD_STATE
    guest = len(k.guest_lines("b"))
    assert k.start("b") == "running"
    assert k.wait_event("started", "b", since=mark)
    k.wait_guest("b", r"# running fp_preserved", since=guest)
    k.input("con", "y")  # y, then CR: the second prompt's key
    k.wait_guest("con", r"TEST console_io: PASS", timeout=60)
    raw = k.guest_bytes("con")
    assert (b"# escapes: \x1b[2J\x1b]0;title\x07 form\x0cfeed del\x7f "
            b"nul<\x00>\r\n") in raw, raw
    assert b"# progress 1\rprogress 2\r\n" in raw, raw
    assert b"done> \r\n# got key 0x0d" in raw, raw
