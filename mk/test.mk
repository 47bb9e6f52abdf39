# SPDX-License-Identifier: MIT
# make test: host unit tests, a short fuzzing run, then the integration
# tests (QEMU, and the host tools).
PYTHON ?= /usr/bin/python3
PYTEST_ARGS ?=

-include mk/unit.mk

# fuzz-smoke and ckpt-tool: mk/ckpt.mk (the checkpoint image format).
test: unit fuzz-smoke integration

# Tests marked slow (many minutes each: a Linux VM's image moved over the
# control channel) run only with `make test-slow` (docs/hil.md).
integration: all guests linux-guest ckpt-tool rpi4-test-deps lava-deps
	$(PYTHON) -m pytest -v -p no:cacheprovider -m "not slow" $(PYTEST_ARGS) \
		tests/integration

.PHONY: test-slow
test-slow: all guests linux-guest ckpt-tool
	$(PYTHON) -m pytest -v -p no:cacheprovider -m slow $(PYTEST_ARGS) \
		tests/integration
