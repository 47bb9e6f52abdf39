# SPDX-License-Identifier: MIT
import os
import re
import sys

import pytest

from kairos_qemu import KAIROS_BIN, ROOT, Console

# The host-side package (python/kairos): the tests use the checkout's.
sys.path.insert(0, os.path.join(ROOT, "python"))


@pytest.fixture
def boot(request):
    """boot(cmd) -> Console; every console is closed after the test."""
    consoles = []

    def _boot(cmd):
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
        c = Console(cmd, f"{name}-{len(consoles)}")
        consoles.append(c)
        return c

    yield _boot
    for c in consoles:
        c.close()


def pytest_sessionstart(session):
    if not os.path.exists(KAIROS_BIN):
        raise pytest.UsageError(f"{KAIROS_BIN} missing: run 'make' first")


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "slow: runs for many minutes; `make test-slow` runs "
        "these, `make test` leaves them out (docs/hil.md)")
