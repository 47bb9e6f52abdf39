# SPDX-License-Identifier: MIT
"""Host-side Python of Kairos (docs/control.md): kairos.ctl is the client
of the control channel, kairos.xfer the slot image transfer over it,
kairos.lava Kairos under LAVA (docs/hil.md)."""
