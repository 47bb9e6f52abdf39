# SPDX-License-Identifier: MIT
"""Every tool under tools/ treats its command line the same way: --help
describes every option and exits 0; an unknown option, a missing value or
a malformed value is refused in one line that names it, with exit status
2 and no Python traceback. A new executable under tools/ fails
test_every_tool_is_covered until it is listed here."""
import os
import re
import subprocess

import pytest

from kairos_qemu import ROOT

TOOLS_DIR = os.path.join(ROOT, "tools")
CKPT_TOOL = os.path.join(ROOT, "build", "host", "kairos-ckpt")

# tool (relative to tools/) -> (option whose value is left out,
#     [(arguments with something malformed, what the refusal must name)])
CASES = {
    "kairos-qemu": ("--mem", [(["--smp", "two"], "two"),
                              (["--mem", "lots"], "lots"),
                              (["--mem", "0M", "--dry-run"], "0M"),
                              (["--out", "/proc/no-such-dir", "--dry-run"],
                               "--out /proc/no-such-dir"),
                              # Not a device tree: dtc's complaint, in one
                              # line.
                              (["--system", "VERSION", "--dry-run"],
                               "VERSION"),
                              (["--vm", "no-equals-sign"], "no-equals-sign")]),
    "kairos-rpi4": ("--sdcard", [(["--console", "uart9"], "uart9"),
                                 (["--sdcard", "/proc/no-such-dir/card.img",
                                   "--vm", "name=t,image=VERSION"],
                                  "--sdcard /proc/no-such-dir/card.img"),
                                 (["--vm", "no-equals-sign"],
                                  "no-equals-sign")]),
    "kairosctl": ("--baud", [(["--qemu", "--baud", "fast", "list"], "fast"),
                             (["--qemu", "--timeout", "-1", "list"], "-1"),
                             (["--serial", "/dev/null", "--baud", "12345",
                               "list"], "12345"),
                             # Refused before QEMU starts, so none is left.
                             (["--qemu", "--log", "/no-such-dir/log",
                               "list"], "/no-such-dir/log")]),
    "kairos-bench": ("--samples", [(["--samples", "many"], "many"),
                                   (["--samples", "0"], "--samples 0"),
                                   (["--timeout", "0"], "--timeout 0")]),
    "kairos-soak": ("--minutes", [(["--minutes", "long"], "long"),
                                  (["--minutes", "0"], "--minutes"),
                                  (["--report-s", "0"], "--report-s 0"),
                                  (["--ckpt-every", "-2"],
                                   "--ckpt-every -2"),
                                  (["--timeout", "0"], "--timeout 0"),
                                  (["--out", "/proc/no-such-dir"],
                                   "--out /proc/no-such-dir")]),
    "bench-hil": ("--iterations", [(["-n", "many"], "many"),
                                   (["-n", "0"], "0")]),
    "docs-examples": (None, [(["--check", "missing-doc-file"],
                              "missing-doc-file")]),
    "docs-diagrams": ("--out", []),
    "check-deps": ("--rules", [(["--root", "no-such-dir"], "no-such-dir"),
                               (["--dot"], "--dot")]),
    "mksdcard": (None, [(["x.img", "no-such-boot.cmd", "no-such-file"],
                         "no-such-boot.cmd"),
                        # Two files of one name on the partition.
                        (["x.img", "platforms/rpi4/boot.cmd", "VERSION",
                          "tools/../VERSION"], "tools/../VERSION")]),
    "mkbootdisk": (None, [(["x.img", "no-such-boot.cmd", "no-such-file"],
                           "no-such-boot.cmd")]),
    "kairos-lava": ("--state", [(["--port", "eighty"], "eighty"),
                                (["status", "extra", "words"], "words"),
                                (["submit"], "submit")]),
    "kairos-lava-qemu": ("--socket", [(["--file", "no-equals-sign"],
                                       "no-equals-sign"),
                                      (["--file", "k=/no-such-file"],
                                       "/no-such-file"),
                                      (["--system", "/no-such.dts"],
                                       "/no-such.dts"),
                                      # kairos-qemu's own refusal.
                                      (["--smp", "two"], "two"),
                                      (["--serial", "/dev/null", "--baud",
                                        "fast"], "fast"),
                                      (["--serial", "/dev/null", "--smp",
                                        "2"], "--smp 2")]),
    "kairos-lava-ctl": ("--socket", [(["restore", "linux", "0"],
                                      "--socket"),
                                     (["--socket", "/tmp/x.sock"], "VERB")]),
    "first-use": (None, [(["9", "a stage that does not exist"], "9")]),
    "fresh-check": ("--commit", [(["--commit", "no-such-revision"],
                                  "no-such-revision"),
                                 (["--root", "relative/dir"],
                                  "relative/dir"),
                                 (["--cache", "relative/dir"],
                                  "relative/dir"),
                                 (["--mirror", "not-a-url"], "not-a-url"),
                                 (["test; rm -rf /"], "test; rm -rf /")]),
    "setup-host.sh": (None, [(["stamp-one", "stamp-two"], "STAMP"),
                             (["/no-such-dir/stamp"], "/no-such-dir")]),
    "deps/fpcheck.sh": (None, [(["no-such-object.o"], "no-such-object.o")]),
    "deps/newlib-nosimd-fixup.sh": (None, [(["src", "prefix", "-O2",
                                             "sometimes"], "sometimes")]),
}

# Executables under tools/ that are not command-line tools, and why.
NOT_TOOLS = {
    "deps/gro-cc": "a stand-in for the cross compiler (CC=): every "
                   "argument, --help included, is the compiler's",
}


def tool_path(name):
    return os.path.join(TOOLS_DIR, name)


def run(name, *args, path=None):
    return subprocess.run([path or tool_path(name), *args],
                          capture_output=True, text=True, timeout=60,
                          cwd=ROOT)


def undescribed(help_text):
    """Option lines of a --help text with no description beside or under
    them."""
    lines = help_text.splitlines()
    bare = []
    for i, line in enumerate(lines):
        m = re.match(r"^( {1,8})(-{1,2}[A-Za-z][\w-]*)", line)
        if not m:
            continue
        if re.search(r"\S {2,}\S", line.strip()):
            continue  # the description follows on the same line
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        indent = len(m.group(1))
        if (nxt.strip() and not nxt.strip().startswith("-")
                and len(nxt) - len(nxt.lstrip()) > indent + 2):
            continue  # the description is on the next line
        bare.append(m.group(2))
    return bare


def assert_one_line_refusal(p, *names):
    assert p.returncode == 2, (p.returncode, p.stdout, p.stderr)
    err = [line for line in p.stderr.splitlines() if line.strip()]
    assert len(err) == 1, p.stderr
    assert "Traceback" not in p.stderr
    for n in names:
        assert n in err[0], (n, err[0])


def test_every_tool_is_covered():
    found = set()
    for dirpath, dirs, files in os.walk(TOOLS_DIR):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        for f in files:
            path = os.path.join(dirpath, f)
            if os.access(path, os.X_OK) and not os.path.isdir(path):
                found.add(os.path.relpath(path, TOOLS_DIR))
    missing = found - set(CASES) - set(NOT_TOOLS)
    assert not missing, f"tools with no command-line test: {missing}"
    gone = (set(CASES) | set(NOT_TOOLS)) - found
    assert not gone, f"listed tools that do not exist: {gone}"


TOOL_LIST = sorted(CASES) + ["kairos-ckpt"]


def path_of(name):
    if name == "kairos-ckpt":
        if not os.path.exists(CKPT_TOOL):
            pytest.fail(f"{CKPT_TOOL} missing: run 'make ckpt-tool'")
        return CKPT_TOOL
    return tool_path(name)


@pytest.mark.parametrize("name", TOOL_LIST)
def test_help_describes_every_option(name):
    p = run(name, "--help", path=path_of(name))
    assert p.returncode == 0, p
    assert p.stdout.lower().startswith("usage:"), p.stdout[:200]
    assert "Traceback" not in p.stdout + p.stderr
    assert undescribed(p.stdout) == [], p.stdout


@pytest.mark.parametrize("name", TOOL_LIST)
def test_unknown_option_refused_in_one_line(name):
    p = run(name, "--no-such-option", path=path_of(name))
    assert_one_line_refusal(p, "--no-such-option")


# kairos-ckpt (built by make ckpt-tool) and its subcommands: (arguments,
# what the one-line refusal must name).
CKPT_CASES = [
    ([], "missing command"),
    (["info"], "missing IMAGE"),
    (["info", "a", "b"], "'b'"),
    (["info", "--no-such-option", "a"], "--no-such-option"),
    (["verify"], "missing IMAGE"),
    (["diff", "a"], "missing A and B"),
    (["synth"], "missing OUT"),
    (["synth", "--vcpus"], "--vcpus"),
    (["synth", "--no-such-option", "out"], "--no-such-option"),
    (["synth", "--vcpus", "many", "out"], "many"),
    (["synth", "--gic", "4", "out"], "--gic"),
    (["synth", "--mem", "1000", "out"], "--mem"),
]


@pytest.mark.parametrize("args,named", CKPT_CASES,
                         ids=[" ".join(a) or "none" for a, _ in CKPT_CASES])
def test_ckpt_tool_refusals_in_one_line(args, named, tmp_path):
    p = subprocess.run([path_of("kairos-ckpt"), *args], capture_output=True,
                       text=True, timeout=60, cwd=tmp_path)
    assert_one_line_refusal(p, named)
    assert not os.listdir(tmp_path), "a refused synth wrote its image"


def test_ckpt_synth_help_describes_every_option():
    p = run("kairos-ckpt", "synth", "--help", path=path_of("kairos-ckpt"))
    assert p.returncode == 0, p
    assert p.stdout.startswith("usage:"), p.stdout[:200]
    assert undescribed(p.stdout) == [], p.stdout
    src = open(os.path.join(TOOLS_DIR, "kairos-ckpt", "synth.c"),
               encoding="utf-8").read()
    for opt in re.findall(r'\{ "([\w-]+)", \w+_argument', src):
        assert re.search(rf"^ +(-\w, )?--{opt}\b", p.stdout, re.M), \
            f"synth --help does not list --{opt}"


@pytest.mark.parametrize("name", [n for n in sorted(CASES)
                                  if CASES[n][0]])
def test_missing_value_refused_in_one_line(name):
    option = CASES[name][0]
    p = run(name, option)
    assert_one_line_refusal(p, option)


@pytest.mark.parametrize("name,args,named",
                         [(n, a, w) for n in sorted(CASES)
                          for a, w in CASES[n][1]])
def test_malformed_value_refused_in_one_line(name, args, named):
    p = run(name, *args)
    assert_one_line_refusal(p, named)


def test_unforeseen_failure_one_line_traceback_only_with_debug():
    """kairos_cli.run, which every Python tool ends in: an exception the
    tool did not foresee is one line and exit status 1; with --debug, the
    traceback."""
    prog = ("import sys; sys.path.insert(0, %r); import kairos_cli\n"
            "def main():\n    raise KeyError('the unforeseen')\n"
            "kairos_cli.run(main, 'demo-tool')\n" % TOOLS_DIR)
    for debug in (False, True):
        p = subprocess.run(["/usr/bin/python3", "-c", prog]
                           + (["--debug"] if debug else []),
                           capture_output=True, text=True, timeout=60)
        assert p.returncode == 1, p
        if debug:
            assert "Traceback" in p.stderr, p.stderr
        else:
            assert p.stderr.splitlines() == [
                "demo-tool: KeyError: 'the unforeseen' (--debug shows "
                "where)"], p.stderr


def test_first_use_announces_every_stage():
    """First-time setup says, stage by stage, what runs and how long is
    left: each of the five stages is announced by the script or rule that
    runs it, the time left shrinks to the last stage's own, and the lines
    docs/building.md shows are what the stages print."""
    callers = {}
    for rel in ["tools/setup-host.sh"] + [
            os.path.join("mk", f) for f in sorted(os.listdir(
                os.path.join(ROOT, "mk")))]:
        with open(os.path.join(ROOT, rel), encoding="utf-8") as f:
            for n, what in re.findall(r"first-use\"? (\d) \"([^\"]+)\"",
                                      f.read()):
                callers.setdefault(int(n), []).append(what)
    assert sorted(callers) == [1, 2, 3, 4, 5], callers
    assert all(len(c) == 1 for c in callers.values()), callers
    with open(os.path.join(ROOT, "docs", "building.md"),
              encoding="utf-8") as f:
        documented = re.findall(r"^first use \[.*$", f.read(), re.M)
    assert len(documented) == 5, documented
    left = []
    for stage in range(1, 6):
        what = callers[stage][0]
        p = run("first-use", str(stage), what)
        assert p.returncode == 0, p
        m = re.fullmatch(rf"first use \[{stage}/5\]: .* \(about (\d+) "
                         r"min; about (\d+) min of first-time setup left\)\n",
                         p.stdout)
        assert m, p.stdout
        left.append((int(m.group(1)), int(m.group(2))))
        # docs/building.md shows what this prints (make variables in WHAT
        # expanded there).
        shown = r"\S+".join(re.escape(part) for part in
                            re.split(r"\$\(\w+\)", p.stdout.strip()))
        assert re.fullmatch(shown, documented[stage - 1]), \
            f"docs/building.md has\n  {documented[stage - 1]}\n" \
            f"stage {stage} prints\n  {p.stdout.strip()}"
    assert [lft for _, lft in left] == sorted((lft for _, lft in left),
                                               reverse=True)
    assert left[-1][0] == left[-1][1], left


def python_tools():
    out = []
    for name in sorted(CASES):
        with open(tool_path(name), encoding="utf-8") as f:
            if f.readline().startswith("#!/usr/bin/env python3"):
                out.append(name)
    return out


@pytest.mark.parametrize("name", python_tools())
def test_python_tools_end_in_kairos_cli_run(name):
    """Only kairos_cli.run keeps an unforeseen exception to one line
    (test_unforeseen_failure_one_line_traceback_only_with_debug): every
    Python tool must end in it."""
    with open(tool_path(name), encoding="utf-8") as f:
        src = f.read()
    assert re.search(r"^\s*kairos_cli\.run\(", src, re.M), \
        f"tools/{name} does not end in kairos_cli.run()"
