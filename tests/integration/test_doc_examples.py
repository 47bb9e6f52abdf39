# SPDX-License-Identifier: MIT
"""Every example command in README.md and docs/*.md runs as written.

The examples are the fenced ```sh blocks. Each command of a block (a
line, with its backslash continuations; comments and blank lines aside)
is one test item, run from the top of the repository with no input. By
default it must exit 0 within DEFAULT_TIMEOUT seconds. Marker comments
right before the block say otherwise, per command number (1 = the first
command of the block, * = all of them):

  <!-- doc-test 1: expect "REGEX" -->        exits 0 and prints REGEX
  <!-- doc-test 2: until "REGEX" within S --> prints REGEX within S
      seconds (a boot that goes on forever); then it is stopped
  <!-- doc-test 3: skip: REASON -->          cannot run here, and why

test_doc_example_markers checks that every marker names a command of its
block, and that no example command sits in an indented code block, out of
this test's sight; test_skipped_examples_are_explained prints how many were skipped
and why (pytest -s, or the -rA summary) and fails on a skip without a
reason. test_doc_outputs_current reruns tools/docs-examples --check: the
example outputs written into the docs still have the shape of what this
build prints.
"""
import os
import re
import signal
import subprocess
import sys
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
DEFAULT_TIMEOUT = 300
MARK_RE = re.compile(r'^<!-- doc-test (\d+|\*): (?:'
                     r'expect "(?P<expect>.+)"|'
                     r'until "(?P<until>.+)" within (?P<within>\d+)|'
                     r'skip: (?P<skip>.*?)) -->\s*$')
ANY_MARK_RE = re.compile(r"^<!-- doc-test")
# A command in an indented code block, which this test would not run.
INDENTED_CMD_RE = re.compile(r"^(?: {4}|\t)(?:\$ )?(?:(?:make|python3|sudo) |"
                             r"(?:tools|build|\.|/usr/bin)/\S)")


def doc_files():
    docs = os.path.join(ROOT, "docs")
    return ["README.md"] + sorted(
        os.path.join("docs", f) for f in os.listdir(docs) if f.endswith(".md"))


def commands(block):
    """The commands of a shell block: continuations joined, comments
    and blank lines dropped."""
    out, cur = [], ""
    for line in block:
        if not cur and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.rstrip().endswith("\\"):
            cur += line.rstrip()[:-1] + " "
            continue
        out.append((cur + line).strip())
        cur = ""
    if cur:
        out.append(cur.strip())
    return out


def examples():
    """[(id, command, mode, arg, within)] and the marker problems found."""
    found, problems = [], []
    for rel in doc_files():
        with open(os.path.join(ROOT, rel), encoding="utf-8") as f:
            lines = f.read().split("\n")
        marks = []
        i = 0
        while i < len(lines):
            line = lines[i]
            if ANY_MARK_RE.match(line):
                m = MARK_RE.match(line)
                if not m:
                    problems.append(f"{rel}:{i + 1}: a doc-test marker "
                                    f"this test cannot read: {line}")
                else:
                    marks.append((i + 1, m))
                i += 1
                continue
            if line.startswith("```"):
                end = lines.index("```", i + 1)
                if line.strip() in ("```sh", "```shell", "```bash"):
                    cmds = commands(lines[i + 1:end])
                    given = {}
                    for n, m in marks:
                        k = m.group(1)
                        if k != "*" and not 1 <= int(k) <= len(cmds):
                            problems.append(
                                f"{rel}:{n}: doc-test {k}: the block has "
                                f"{len(cmds)} commands")
                        given[k] = m
                    star = given.get("*")
                    if star is not None and star.group("skip") is not None \
                            and len(given) == 1:
                        # A whole block skipped counts once.
                        found.append((f"{rel}:{i + 2}", cmds[0] + " ...",
                                      "skip", star.group("skip").strip(),
                                      None))
                        cmds = []
                    for k, cmd in enumerate(cmds, 1):
                        m = given.get(str(k)) or star
                        ident = f"{rel}:{i + 2}#{k}"
                        if m is None:
                            found.append((ident, cmd, "run", None, None))
                        elif m.group("skip") is not None:
                            found.append((ident, cmd, "skip",
                                          m.group("skip").strip(), None))
                        elif m.group("expect"):
                            found.append((ident, cmd, "expect",
                                          m.group("expect"), None))
                        else:
                            found.append((ident, cmd, "until",
                                          m.group("until"),
                                          int(m.group("within"))))
                elif marks:
                    problems.append(f"{rel}:{marks[0][0]}: doc-test markers "
                                    f"before a block that is not ```sh")
                marks = []
                i = end + 1
                continue
            if line.strip() and marks:
                problems.append(f"{rel}:{marks[0][0]}: doc-test markers not "
                                f"right before a ```sh block")
                marks = []
            i += 1
    return found, problems


EXAMPLES, PROBLEMS = examples()


def stop(p):
    try:
        os.killpg(p.pid, signal.SIGTERM)
        p.wait(timeout=10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        p.wait()


def run_until(cmd, regex, within, log):
    """Start @cmd; True once its output matches @regex, within @within s."""
    pat = re.compile(regex)
    with open(log, "wb") as out:
        p = subprocess.Popen(cmd, shell=True, cwd=ROOT, stdout=out,
                             stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL,
                             start_new_session=True)
        try:
            deadline = time.monotonic() + within
            while time.monotonic() < deadline:
                with open(log, "rb") as f:
                    text = f.read().decode(errors="replace")
                if pat.search(text):
                    return True, text
                if p.poll() is not None:
                    break
                time.sleep(0.2)
            with open(log, "rb") as f:
                text = f.read().decode(errors="replace")
            return bool(pat.search(text)), text
        finally:
            stop(p)


def run_to_end(cmd, timeout):
    p = subprocess.Popen(cmd, shell=True, cwd=ROOT, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                         start_new_session=True)
    try:
        out, _ = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        stop(p)
        pytest.fail(f"`{cmd}` did not finish within {timeout} s")
    return p.returncode, out.decode(errors="replace")


def unfenced_commands():
    """Commands in indented code blocks: examples that would go untested."""
    found = []
    for rel in doc_files():
        with open(os.path.join(ROOT, rel), encoding="utf-8") as f:
            fenced = False
            for n, line in enumerate(f.read().split("\n"), 1):
                if line.startswith("```"):
                    fenced = not fenced
                elif not fenced and INDENTED_CMD_RE.match(line):
                    found.append(f"{rel}:{n}: {line.strip()}")
    return found


def test_doc_example_markers():
    assert EXAMPLES, "no ```sh examples found in README.md and docs/"
    assert not PROBLEMS, "\n".join(PROBLEMS)
    bad = unfenced_commands()
    assert not bad, "example commands in an indented block, which no " \
        "test runs: put them in a ```sh block\n" + "\n".join(bad)


def test_skipped_examples_are_explained():
    skipped = [(i, c, why) for i, c, mode, why, _ in EXAMPLES
               if mode == "skip"]
    print(f"\n{len(EXAMPLES)} doc examples, {len(skipped)} skipped:")
    for ident, cmd, why in skipped:
        print(f"  {ident}: {cmd[:60]}: {why}")
    assert all(why for _, _, why in skipped), \
        "every skipped example needs a reason"


@pytest.mark.parametrize("ident,cmd,mode,arg,within",
                         [e for e in EXAMPLES if e[2] != "skip"],
                         ids=[e[0] for e in EXAMPLES if e[2] != "skip"])
def test_doc_example(ident, cmd, mode, arg, within, tmp_path):
    if mode == "until":
        ok, text = run_until(cmd, arg, within, tmp_path / "out.log")
        assert ok, (f"{ident}: `{cmd}` did not print /{arg}/ within "
                    f"{within} s; its output ends:\n{text[-3000:]}")
        return
    rc, text = run_to_end(cmd, DEFAULT_TIMEOUT)
    assert rc == 0, (f"{ident}: `{cmd}` exited with {rc}; its output "
                     f"ends:\n{text[-3000:]}")
    if mode == "expect":
        assert re.search(arg, text), \
            f"{ident}: `{cmd}` did not print /{arg}/:\n{text[-3000:]}"


def test_doc_outputs_current():
    r = subprocess.run([sys.executable,
                        os.path.join(ROOT, "tools", "docs-examples"),
                        "--check"], cwd=ROOT, capture_output=True, text=True,
                       stdin=subprocess.DEVNULL, check=False)
    assert r.returncode == 0, r.stdout + r.stderr
