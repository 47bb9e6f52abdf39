# SPDX-License-Identifier: MIT
"""What every Python tool under tools/ does with its command line: a
usage error (unknown option, missing or malformed value) is one line that
names it, exit status 2; a failure is one line, exit status 1; a Python
traceback only with --debug. docs/building.md lists the tools."""
import argparse
import os
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


# QEMU's mux reads the console's input one character per turn of its main
# loop when it multiplexes its monitor on stdio, two to four times slower
# than the UART alone takes it (docs/control.md, "Moving slot images").
STDIO_MODES = ("auto", "mux", "uart")


def add_stdio_argument(parser):
    """--stdio auto|mux|uart: what QEMU's stdio is (qemu_serial())."""
    parser.add_argument(
        "--stdio", choices=STDIO_MODES, default="auto",
        help="mux: the console with QEMU's monitor behind the escape key "
             "Ctrl-]; uart: the board's UART alone, every byte to it "
             "(faster input, for a program such as kairosctl); auto "
             "(default): mux when stdin is this process's controlling "
             "terminal (a person), uart otherwise")


def stdio_is_a_person():
    """stdin is the controlling terminal of this process: a person's
    terminal, or a program that made its pty one (pexpect). KairosCtl.spawn
    starts its command in a new session without one."""
    try:
        os.tcgetpgrp(0)
        return True
    except OSError:
        return False


def qemu_stdio(mode):
    """-> (the -serial argument that puts a UART on stdio, QEMU options
    that go with it) for --stdio @mode."""
    if mode == "auto":
        mode = "mux" if stdio_is_a_person() else "uart"
    if mode == "mux":
        return "mon:stdio", ["-echr", "0x1d"]
    # signal=off: a Ctrl-C on the line is the board's, not QEMU's end.
    return "chardev:kairos-stdio", ["-chardev",
                                    "stdio,id=kairos-stdio,signal=off"]
