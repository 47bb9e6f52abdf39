# SPDX-License-Identifier: MIT
import os
import re
import sys

import pytest

from kairos_qemu import KAIROS_BIN, LOG_DIR, ROOT, TOOLS, Console

# The host-side package (python/kairos): the tests use the checkout's.
sys.path.insert(0, os.path.join(ROOT, "python"))


def _test_name(request):
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)


@pytest.fixture
def boot(request):
    """boot(cmd) -> Console; every console is closed after the test."""
    consoles = []

    def _boot(cmd):
        c = Console(cmd, f"{_test_name(request)}-{len(consoles)}")
        consoles.append(c)
        return c

    yield _boot
    for c in consoles:
        c.close()


@pytest.fixture
def kairos_ctl(request):
    """kairos_ctl(kairos-qemu args, qemu_args, connect) -> a KairosCtl on
    a Kairos booted through tools/kairos-qemu, its console logged to
    build/test/logs/<test>-<n>.log (k.log_path), connected unless
    @connect is false; each is closed (its whole process tree) after the
    test."""
    opened = []

    def _start(args, qemu_args=("-no-reboot",), connect=True):
        from kairos.ctl import KairosCtl

        os.makedirs(LOG_DIR, exist_ok=True)
        name = f"{_test_name(request)}-{len(opened)}"
        log = os.path.join(LOG_DIR, f"{name}.log")
        if os.path.exists(log):
            os.unlink(log)
        k = KairosCtl.spawn([os.path.join(TOOLS, "kairos-qemu"), *args, "--",
                             *qemu_args], log=log)
        k.log_path = log
        opened.append(k)
        if connect:
            k.connect(timeout=120)
        return k

    yield _start
    for k in opened:
        k.close()


def pytest_sessionstart(session):
    if not os.path.exists(KAIROS_BIN):
        raise pytest.UsageError(f"{KAIROS_BIN} missing: run 'make' first")


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "slow: runs for many minutes; `make test-slow` runs "
        "these, `make test` leaves them out (docs/hil.md)")
