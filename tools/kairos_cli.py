# SPDX-License-Identifier: MIT
"""What every Python tool under tools/ does with its command line: a
usage error (unknown option, missing or malformed value) is one line that
names it, exit status 2; a failure is one line, exit status 1; a Python
traceback only with --debug. docs/building.md lists the tools."""
import argparse
import sys


class ArgumentParser(argparse.ArgumentParser):
    """argparse with one-line usage errors and a --debug option."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_argument("--debug", action="store_true",
                          help="on an unexpected failure, show the Python "
                               "traceback")

    def error(self, message):
        sys.stderr.write(f"{self.prog}: {message}; see --help\n")
        sys.exit(2)


def run(main, prog):
    """Call main() and exit with its status; an exception it lets through
    becomes one line (its traceback with --debug)."""
    try:
        rc = main()
    except KeyboardInterrupt:
        sys.stderr.write(f"{prog}: interrupted\n")
        rc = 130
    except Exception as e:  # noqa: BLE001 - the point is to catch all
        if "--debug" in sys.argv[1:]:
            raise
        sys.stderr.write(f"{prog}: {type(e).__name__}: {e} "
                         "(--debug shows where)\n")
        rc = 1
    sys.exit(rc)
