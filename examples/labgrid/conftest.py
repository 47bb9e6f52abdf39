# SPDX-License-Identifier: MIT
"""The package kairos from this checkout (python/), for env.yaml's
`imports: kairos.labgrid`, unless it is installed."""
import os
import sys

try:
    import kairos.labgrid  # noqa: F401  pylint: disable=unused-import
except ImportError:
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), os.pardir,
                                    os.pardir, "python"))
