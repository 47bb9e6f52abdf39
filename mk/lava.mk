# SPDX-License-Identifier: MIT
# lava.mk: the LAVA packages of the HIL tests (tests/integration/test_lava.py,
# docs/hil.md), installed once by tools/setup-host.sh --lava after the host
# setup. `make lava-up` / `make lava-down` start and stop the local LAVA
# instance (tools/kairos-lava, state in build/lava).

LAVA_STAMP := $(or $(BUILD),build)/host-setup-lava.stamp

.PHONY: lava-deps lava-up lava-down
lava-deps: $(LAVA_STAMP)

$(LAVA_STAMP): tools/setup-host.sh | $(HOST_STAMP)
	@mkdir -p $(dir $@)
	tools/setup-host.sh --lava $@

lava-up: all guests linux-guest lava-deps
	tools/kairos-lava up

lava-down:
	tools/kairos-lava down
