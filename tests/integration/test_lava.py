# SPDX-License-Identifier: MIT
"""Kairos under LAVA (docs/hil.md): tools/kairos-lava brings up a LAVA
instance of its own (PostgreSQL, server, scheduler, one worker with the
kairos-qemu device), lavacli submits the Linux job -- three test
definitions, each after a restore of the Linux VM from its golden
checkpoint, the second of which breaks the guest (rm -rf /bin) -- and
the bare-metal interactive job. Both finish Complete, with per-test-case
results that show the third definition ran on a restored guest; then
`kairos-lava down` leaves no process behind."""
import os
import re
import select
import shutil
import signal
import subprocess
import time
import tty
import zlib

import pytest

from kairos_qemu import LOG_DIR, ROOT, TOOLS

STATE = os.path.join(ROOT, "build", "test", "lava")
# Ports of its own per checkout: two checkouts may test at once.
_SALT = zlib.crc32(ROOT.encode()) % 2000
PORT = 21000 + _SALT
PG_PORT = 23000 + _SALT
JOBS = os.path.join(ROOT, "hil", "lava", "jobs")
JOB_TIMEOUT = 600
# Where LAVA's dispatcher puts a job's files (lava_common.constants).
DISPATCHER_TMP = "/var/lib/lava/dispatcher/tmp"


def kairos_lava(*args, timeout=300):
    return subprocess.run([os.path.join(TOOLS, "kairos-lava"), "--state",
                           STATE, "--port", str(PORT), "--pg-port",
                           str(PG_PORT), *args], capture_output=True,
                          text=True, timeout=timeout)


def lavacli(uri, *args, timeout=60):
    r = subprocess.run(["lavacli", "--uri", uri, *args],
                       capture_output=True, text=True, timeout=timeout)
    assert r.returncode == 0, f"lavacli {' '.join(args)}: {r.stderr}"
    return r.stdout


def submit(uri, name):
    with open(os.path.join(JOBS, name)) as f:
        job = f.read().replace("@KAIROS_ROOT@", ROOT)
    path = os.path.join(LOG_DIR, f"lava-{name}")
    with open(path, "w") as f:
        f.write(job)
    return int(lavacli(uri, "jobs", "submit", path).split()[0])


def wait_finished(uri, job):
    import yaml  # python3-yaml comes with LAVA (make lava-deps)
    deadline = time.monotonic() + JOB_TIMEOUT
    while True:
        info = yaml.safe_load(lavacli(uri, "jobs", "show", "--yaml",
                                      str(job)))
        if info["state"] == "Finished":
            return info
        assert time.monotonic() < deadline, f"job {job}: {info}"
        time.sleep(2)


def results(uri, job):
    """{(suite, case): result} of @job, as lavacli returns them."""
    import yaml
    rows = yaml.safe_load(lavacli(uri, "results", "--yaml", str(job)))
    return {(r["suite"], r["name"]): r["result"] for r in rows}


def processes_under(path):
    """Pids of live processes whose command line names @path."""
    out = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if path in cmd:
            out.append((int(pid), cmd[:200]))
    return out


@pytest.fixture
def lava():
    """The instance up -> its lavacli URI; down afterwards, whatever
    happened (the test checks what down left)."""
    for tool in ("lava-server", "lava-worker", "lavacli"):
        if not shutil.which(tool):
            pytest.fail(f"{tool} missing: `make lava-deps` (tools/"
                        f"setup-host.sh --lava) installs LAVA")
    os.makedirs(LOG_DIR, exist_ok=True)
    up = kairos_lava("up")
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        uri = up.stdout.strip().splitlines()[-1]
        assert uri.startswith("http://admin:"), up.stdout
        yield uri
    finally:
        kairos_lava("down")


def test_lava_linux_job_restores_between_definitions(lava):
    uri = lava
    linux = submit(uri, "linux-restore.yaml")
    bare = submit(uri, "bare-interactive.yaml")

    info = wait_finished(uri, linux)
    log = lavacli(uri, "jobs", "logs", "--raw", str(linux))
    with open(os.path.join(LOG_DIR, "lava-linux-job.log"), "w") as f:
        f.write(log)
    assert info["health"] == "Complete", info
    res = results(uri, linux)
    # Each definition's test cases, each passed: the first on the golden
    # state, the second after the first's mark was undone, the third with
    # /bin back and neither mark (the second removed /bin: without the
    # restore the third's runner could not even start).
    want = {
        "0_first": ["bin-intact", "no-broken-mark", "leave-mark"],
        "1_second": ["first-mark-gone", "break-guest"],
        "2_third": ["bin-intact", "no-broken-mark", "first-mark-gone"],
    }
    for suite, cases in want.items():
        for case in cases:
            assert res.get((suite, case)) == "pass", (suite, case, res)
    assert res.get(("lava", "job")) == "pass", res
    # The worker-side commands ran: one checkpoint, three restores, each
    # answered 0 by Kairos; the guest's rm -rf /bin came in between.
    assert log.count("checkpoint linux 0: 0 checkpointed") == 1, log[-2000:]
    assert log.count("restore linux 0: 0 restored") == 3, log[-2000:]
    assert log.index("rm -rf /bin") < log.rindex(
        "restore linux 0: 0 restored")

    info = wait_finished(uri, bare)
    log = lavacli(uri, "jobs", "logs", "--raw", str(bare))
    with open(os.path.join(LOG_DIR, "lava-bare-job.log"), "w") as f:
        f.write(log)
    assert info["health"] == "Complete", info
    res = results(uri, bare)
    for case in ("first-key", "second-key", "verdict"):
        assert res.get(("0_console-io", case)) == "pass", (case, res)

    # Down: every daemon, the database and any QEMU gone.
    down = kairos_lava("down")
    assert down.returncode == 0, down.stdout + down.stderr
    status = kairos_lava("status")
    assert status.returncode != 0 and "running" not in status.stdout, \
        status.stdout
    # The daemons name the state folder; the jobs' QEMUs their files.
    names = [STATE] + [f"{DISPATCHER_TMP}/{job}/" for job in (linux, bare)]
    deadline = time.monotonic() + 10
    while any(processes_under(n) for n in names) and \
            time.monotonic() < deadline:
        time.sleep(0.5)
    assert [processes_under(n) for n in names] == [[]] * len(names)


def _read_until(fd, regex, timeout=20):
    """Bytes from @fd until @regex matches them; -> the match."""
    buf = b""
    deadline = time.monotonic() + timeout
    while True:
        m = re.search(regex, buf)
        if m:
            return m
        left = deadline - time.monotonic()
        assert left > 0, f"no {regex!r} within {timeout} s: {buf!r}"
        r, _, _ = select.select([fd], [], [], min(left, 0.5))
        if r:
            buf += os.read(fd, 4096)


def _fake_exchange(board, request, answer):
    """Play Kairos on @board for one kairos-lava-qemu exchange: control
    mode, @request (None: none) answered @answer, list, exit, Ctrl-A."""
    _read_until(board, rb"\x01k\x15ctl\r")
    os.write(board, b"@ctl 0 control mode, protocol 1\r\n")
    if request:
        tag = _read_until(board, rb"(\w+) " + re.escape(request) +
                          rb"\r").group(1)
        os.write(board, b"@%s - vm=linux slot=0\r\n@%s %s\r\n" %
                 (tag, tag, answer))
    tag = _read_until(board, rb"(\w+) list\r").group(1)
    os.write(board, b"@%s - vm=bare id=0 state=stopped\r\n"
             b"@%s - vm=linux id=1 state=running\r\n@%s 0 2 VMs\r\n" %
             (tag, tag, tag))
    tag = _read_until(board, rb"(\w+) exit\r").group(1)
    os.write(board, b"@%s 0 back to the shell\r\nkairos> " % tag)
    _read_until(board, rb"\x011")   # Ctrl-A 1: the VM linux
    os.write(board, b"kairos: console input to VM linux\r\n")


def test_lava_mux_on_a_serial_line(tmp_path):
    """kairos-lava-qemu --serial (a board's console, here a pty played by
    the test): bytes pass both ways; once Kairos is up it gives console
    input to --console-vm by its number from `list`; a kairos-lava-ctl
    request is done in control mode and answered with Kairos's status
    (0, a refusal as 10 + status); SIGTERM ends it and removes its
    socket. No LAVA, no QEMU."""
    board, line = os.openpty()   # line: kept open, or board reads EIO
    tty.setraw(board)
    sock = str(tmp_path / "ctl.sock")
    mux = subprocess.Popen(
        [os.path.join(TOOLS, "kairos-lava-qemu"), "--serial",
         os.ttyname(line), "--socket", sock, "--console-vm", "linux"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    ctl = os.path.join(TOOLS, "kairos-lava-ctl")
    try:
        # The port is open (and flushed) once the socket is there.
        deadline = time.monotonic() + 20
        while not os.path.exists(sock):
            assert time.monotonic() < deadline and mux.poll() is None
            time.sleep(0.05)
        os.write(board, b"U-Boot 2023.01\r\nKairos 0.1.0\r\nkairos> ")
        _fake_exchange(board, None, None)
        # LAVA's input reaches the board, the board's output LAVA.
        mux.stdin.write(b"echo hi\n")
        mux.stdin.flush()
        _read_until(board, rb"echo hi\n")
        os.write(board, b"[linux] hi-from-the-guest\r\n")
        _read_until(mux.stdout.fileno(), rb"hi-from-the-guest")
        for answer, status in ((b"0 restored", 0), (b"3 no slot 5", 13)):
            client = subprocess.Popen([ctl, "--socket", sock, "restore",
                                       "linux", "5"], stdout=subprocess.PIPE,
                                      text=True)
            _fake_exchange(board, b"restore linux 5", answer)
            out, _ = client.communicate(timeout=30)
            assert client.returncode == status, out
            assert f"restore linux 5: {answer.decode()}" in out, out
            assert "vm=linux slot=0" in out, out
        _read_until(mux.stdout.fileno(), rb"@event|3 no slot 5")
    finally:
        mux.terminate()
        rc = mux.wait(timeout=20)
        os.close(board)
        os.close(line)
    assert rc in (0, 128 + signal.SIGTERM), rc
    assert not os.path.exists(sock)
