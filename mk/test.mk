# SPDX-License-Identifier: MIT
# make test: host unit tests, then QEMU integration tests.
PYTHON ?= /usr/bin/python3
PYTEST_ARGS ?=

-include mk/unit.mk

test: unit integration

integration: all guests linux-guest rpi4-test-deps
	$(PYTHON) -m pytest -v -p no:cacheprovider $(PYTEST_ARGS) tests/integration
