# SPDX-License-Identifier: MIT
"""labgrid support for Kairos (docs/labgrid.md): importing this module
registers KairosDriver, KairosVMConsoleDriver and KairosStrategy with
labgrid's target factory (an environment file's `imports:`)."""
from .driver import KairosDriver, KairosError, KairosVMConsoleDriver
from .strategy import KairosStrategy, Status

__all__ = ["KairosDriver", "KairosError", "KairosVMConsoleDriver",
           "KairosStrategy", "Status"]
