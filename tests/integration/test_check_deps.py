# SPDX-License-Identifier: MIT
"""tools/check-deps, the include-dependency check of `make check-deps`,
on the small tree of tests/fixtures/deps (ui -> core -> base) and on
variants of it made in a temporary folder: a wrong include is printed as
file, line and rule with exit status 1; a file no subsystem claims, an
include of no file, a glob of no file and a cycle across subsystems are
errors too; a malformed rules file is refused naming its line. Pure
Python, seconds.
Also: every file of this repository belongs to a subsystem of
tools/deps.rules."""
import os
import shutil
import subprocess

from kairos_qemu import ROOT

TOOL = os.path.join(ROOT, "tools", "check-deps")
FIXTURE = os.path.join(ROOT, "tests", "fixtures", "deps")


def check(root, *args):
    return subprocess.run([TOOL, "--root", str(root), *args],
                          capture_output=True, text=True, timeout=60)


def tree(tmp_path):
    """A copy of the fixture tree, to be changed by a test."""
    dst = tmp_path / "tree"
    shutil.copytree(FIXTURE, dst)
    return dst


def add_line(path, line, after):
    """Insert line after the line numbered after; its new number."""
    lines = path.read_text().splitlines(keepends=True)
    lines.insert(after, line + "\n")
    path.write_text("".join(lines))
    return after + 1


def test_good_tree_passes():
    p = check(FIXTURE)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "6 files, 7 includes within the tree, all allowed" in p.stdout


def test_wrong_include_is_refused_with_file_line_and_rule(tmp_path):
    t = tree(tmp_path)
    n = add_line(t / "core" / "core_vm.c", "#include <ui/shell.h>", 3)
    p = check(t)
    assert p.returncode == 1, p.stdout + p.stderr
    lines = p.stdout.splitlines()
    assert lines[0] == (f"core/core_vm.c:{n}: includes include/ui/shell.h "
                        "(subsystem core -> ui), not allowed by "
                        "tools/deps.rules")
    # The wrong include also closes a loop with ui -> core.
    assert "cycle between subsystems: core -> ui -> core" in lines


def test_header_including_the_wrong_way_is_refused(tmp_path):
    t = tree(tmp_path)
    n = add_line(t / "include" / "core" / "vm.h", "#include <ui/shell.h>",
                 4)
    p = check(t)
    assert p.returncode == 1
    assert (f"include/core/vm.h:{n}: includes include/ui/shell.h "
            "(subsystem core -> ui), not allowed by tools/deps.rules"
            in p.stdout.splitlines())


def test_rules_file_elsewhere_is_named_as_given(tmp_path):
    t = tree(tmp_path)
    rules = tmp_path / "strict.rules"
    text = (t / "tools" / "deps.rules").read_text()
    rules.write_text(text.replace("allow ui -> core\n", ""))
    p = check(t, "--rules", str(rules))
    assert p.returncode == 1
    assert (f"core/ui_shell.c:2: includes include/core/vm.h (subsystem ui "
            f"-> core), not allowed by {rules}" in p.stdout.splitlines())
    assert (f"include/ui/shell.h:4: includes include/core/vm.h (subsystem "
            f"ui -> core), not allowed by {rules}" in p.stdout.splitlines())
    assert len([ln for ln in p.stdout.splitlines()
                if "not allowed" in ln]) == 2


def test_file_of_no_subsystem_is_an_error(tmp_path):
    t = tree(tmp_path)
    (t / "core" / "stray.c").write_text("int stray;\n")
    p = check(t)
    assert p.returncode == 1
    assert p.stdout.splitlines() == [
        "core/stray.c: matches no subsystem of tools/deps.rules"]


def test_glob_of_no_file_is_an_error(tmp_path):
    """A file moved away from the name its rule gives: the rule says so,
    and the file, unclaimed at its new place, too."""
    t = tree(tmp_path)
    (t / "core" / "ui_shell.c").rename(t / "core" / "shell.c")
    rules = (t / "tools" / "deps.rules").read_text().splitlines()
    n = 1 + next(i for i, ln in enumerate(rules) if "core/ui_*" in ln)
    p = check(t)
    assert p.returncode == 1
    assert p.stdout.splitlines() == [
        "core/shell.c: matches no subsystem of tools/deps.rules",
        f"tools/deps.rules:{n}: core/ui_* matches no file (a file moved "
        "or gone?)"]


def test_include_of_no_file_is_an_error(tmp_path):
    t = tree(tmp_path)
    n = add_line(t / "core" / "core_vm.c", '#include "missing.h"', 2)
    p = check(t)
    assert p.returncode == 1
    assert p.stdout.splitlines() == [
        f'core/core_vm.c:{n}: includes "missing.h", which is no file of '
        "the tree"]


def test_cycle_across_subsystems_is_an_error_even_when_allowed(tmp_path):
    t = tree(tmp_path)
    with open(t / "tools" / "deps.rules", "a") as f:
        f.write("allow core -> ui\n")
    n = add_line(t / "core" / "core_vm.c", "#include <ui/shell.h>", 3)
    p = check(t)
    assert p.returncode == 1, p.stdout
    assert p.stdout.splitlines() == [
        "cycle between subsystems: core -> ui -> core",
        f"  core -> ui: core/core_vm.c:{n} includes include/ui/shell.h",
        "  ui -> core: core/ui_shell.c:2 includes include/core/vm.h "
        "(and 1 more)"]


def test_graph_counts_includes_per_edge(tmp_path):
    t = tree(tmp_path)
    add_line(t / "core" / "core_vm.c", "#include <ui/shell.h>", 3)
    p = check(t, "--graph")
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines()[1:] == [
        "  core -> base  2", "  core -> ui  1  *", "  ui -> core  2"]
    d = check(t, "--graph", "--dot")
    assert d.returncode == 0
    assert '\t"ui" -> "core" [label="2"];' in d.stdout.splitlines()
    assert any(ln.startswith('\t"core" -> "ui" [label="1", color=')
               for ln in d.stdout.splitlines())
    assert d.stdout.rstrip().endswith("}")


def test_malformed_rules_are_refused_naming_the_line(tmp_path):
    t = tree(tmp_path)
    with open(t / "tools" / "deps.rules", "a") as f:
        f.write("allow ui -> nowhere\n")
    n = len((t / "tools" / "deps.rules").read_text().splitlines())
    p = check(t)
    assert p.returncode == 2
    assert p.stderr.strip() == (f"check-deps: tools/deps.rules:{n}: allow "
                                "names 'nowhere', which is no subsystem")


def test_every_repository_file_belongs_to_a_subsystem():
    """The rules cover the tree: no scanned file escapes them (what the
    includes between them may be is `make check-deps`'s business)."""
    p = subprocess.run([TOOL, "--graph"], capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 0, p.stderr
    assert p.stderr == ""
    assert "  ui -> ckpt  " in p.stdout
