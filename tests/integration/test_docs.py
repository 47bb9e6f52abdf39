# SPDX-License-Identifier: MIT
"""The docs stand on their own: everything the repository cites exists in
it. Pure Python, no QEMU, a second or two.

- test_cited_documents_exist: markdown links (and their #anchors), names
  of .md files and docs/ paths mentioned anywhere (code comments, docs,
  tests, scripts), and source paths (tools/..., core/...) named in the
  docs, resolve to files of the repository; nothing cites an
  issue or a session number, which a reader cannot look up.
- test_design_sections / test_style_rules: docs/design.md has sections
  §1-§8 and docs/style.md rules 1-14; every "design.md §N" and "style.md
  rule N" citation names one that exists.
- test_invariants_defined / test_invariant_tests_exist: every T-number
  cited in code is defined in docs/time-invariants.md; every test that
  page names exists, and every test named test_tN_* is listed under TN.
- test_bench_sample_rows: the example output in docs/bench.md has exactly
  the rows, in order, and the fields that tools/kairos-bench prints.
- test_diagrams_current: the committed docs/img/*.svg are what `make
  docs` renders from their sources (when Graphviz's dot is installed).
"""
import importlib.machinery
import importlib.util
import os
import re
import shutil
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
SELF = os.path.relpath(os.path.abspath(__file__), ROOT)
DOCS = os.path.join(ROOT, "docs")
TEXT_EXT = (".c", ".h", ".S", ".py", ".sh", ".mk", ".md", ".dts", ".dot",
            ".in", ".cmd", ".txt", ".ld")
TEXT_NAMES = ("Makefile", ".clang-format", ".clang-tidy", "run")

LINK_RE = re.compile(r"\[[^\]\n]*\]\(([^)\s]+)\)")
MD_NAME_RE = re.compile(r"(?<![\w./-])([\w./-]*\w\.md)\b")
DOCS_PATH_RE = re.compile(r"(?<![\w./-])(docs/[\w./-]*\w)")
# A path of the source tree named in a doc (build/ output aside).
SOURCE_PATH_RE = re.compile(r"(?<![\w./$-])((?:tools|tests|core|arch|boot|"
                            r"drivers|lib|include|mk|platforms|guests)/"
                            r"[\w./-]*\w)(?![\w./-]*\*)")
ISSUE_RE = re.compile(r"\b(?:[Ii]ssues?|[Ss]essions?) #?\d+\b")
DESIGN_CITE_RE = re.compile(r"design\.md(?:'s)? §(\d+)")
STYLE_CITE_RE = re.compile(r"style\.md,? rules? (\d+)")
# A document named in capitals and cited by section or invariant number,
# without ".md" (possibly across a line break).
BARE_DOC_RE = re.compile(r"\b([A-Z][A-Z_]{2,}[A-Z])\b[ \t]*(?:\n[ \t#*/]*)?"
                         r"(?:§\d|T\d|rule \d)")
T_RE = re.compile(r"\bT([1-9]\d{0,2})\b")


def load(name, path):
    loader = importlib.machinery.SourceFileLoader(name, path)
    spec = importlib.util.spec_from_loader(name, loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


def repo_files():
    """Tracked and new (not ignored) text files, relative to ROOT."""
    try:
        out = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
            cwd=ROOT, capture_output=True, text=True, check=True).stdout
        files = out.split()
    except (OSError, subprocess.CalledProcessError):
        files = []
        for d, dirs, names in os.walk(ROOT):
            dirs[:] = [x for x in dirs if x not in (".git", "build")]
            files += [os.path.relpath(os.path.join(d, n), ROOT)
                      for n in names]
    keep = []
    for f in sorted(set(files)):
        p = os.path.join(ROOT, f)
        if f == SELF or f.startswith("build/") or not os.path.isfile(p):
            continue
        base = os.path.basename(f)
        if f.endswith(TEXT_EXT) or base in TEXT_NAMES or \
                f.startswith("tools/") and "." not in base:
            keep.append(f)
    return keep


def read(rel):
    with open(os.path.join(ROOT, rel), encoding="utf-8",
              errors="replace") as f:
        return f.read()


def slug(heading):
    """The anchor a markdown renderer (GitHub's rules) gives a heading."""
    s = heading.strip().lower()
    s = re.sub(r"[^\w\- ]", "", s)
    return s.replace(" ", "-")


def anchors(rel):
    text = re.sub(r"```.*?```", "", read(rel), flags=re.S)
    return {slug(m) for m in re.findall(r"^#+\s+(.+?)\s*$", text, re.M)}


def resolve(rel, target):
    """The repository file @target names when cited from @rel, or None."""
    for base in (os.path.dirname(rel), "", "docs"):
        p = os.path.normpath(os.path.join(base, target))
        if not p.startswith("..") and os.path.exists(os.path.join(ROOT, p)):
            return p
    return None


def lines_of(rel):
    return enumerate(read(rel).split("\n"), 1)


def test_cited_documents_exist():
    bad = []
    for rel in repo_files():
        text = read(rel)
        for m in BARE_DOC_RE.finditer(text):
            n = text.count("\n", 0, m.start()) + 1
            bad.append(f"{rel}:{n}: cites {m.group(1)}, which is not a "
                       f"document of the repository")
        for n, line in lines_of(rel):
            where = f"{rel}:{n}"
            for m in LINK_RE.finditer(line):
                target = m.group(1)
                if re.match(r"[a-z]+:", target):
                    continue  # a URL
                path, _, anchor = target.partition("#")
                found = resolve(rel, path) if path else rel
                if not found:
                    bad.append(f"{where}: link to {target}: no such file")
                elif anchor and found.endswith(".md") and \
                        anchor not in anchors(found):
                    bad.append(f"{where}: link to {target}: no heading "
                               f"with anchor #{anchor} in {found}")
            for m in MD_NAME_RE.finditer(line):
                if "*" in m.group(1) or not resolve(rel, m.group(1)):
                    if "*" not in m.group(1):
                        bad.append(f"{where}: cites {m.group(1)}, which is "
                                   f"not in the repository")
            for m in DOCS_PATH_RE.finditer(line):
                if not resolve("", m.group(1)):
                    bad.append(f"{where}: cites {m.group(1)}, which is not "
                               f"in the repository")
            for m in SOURCE_PATH_RE.finditer(line):
                if (rel.endswith(".md") and "*" not in m.group(1) and
                        not os.path.exists(os.path.join(ROOT, m.group(1)))):
                    bad.append(f"{where}: cites {m.group(1)}, which is not "
                               f"in the repository")
            for m in ISSUE_RE.finditer(line):
                bad.append(f"{where}: cites \"{m.group(0)}\": say what it "
                           f"means, or cite a document of the repository")
    assert not bad, "citations of what the repository does not hold:\n" + \
        "\n".join(dict.fromkeys(bad))


def numbered(rel, pattern):
    return {int(x) for x in re.findall(pattern, read(rel), re.M)}


def check_cites(regex, defined, what):
    bad = []
    for rel in repo_files():
        for n, line in lines_of(rel):
            for m in regex.finditer(line):
                if int(m.group(1)) not in defined:
                    bad.append(f"{rel}:{n}: {m.group(0)}: no such {what}")
    return bad


@pytest.mark.parametrize("doc,heading,cite_re,count,what", [
    ("docs/design.md", r"^## §(\d+) ", DESIGN_CITE_RE, 12, "section"),
    ("docs/style.md", r"^(\d+)\. \*\*", STYLE_CITE_RE, 14, "rule"),
])
def test_numbered_parts_and_their_citations(doc, heading, cite_re, count,
                                            what):
    parts = numbered(doc, heading)
    assert parts == set(range(1, count + 1)), \
        f"{doc} has {what}s {sorted(parts)}, want 1-{count}"
    bad = check_cites(cite_re, parts, what)
    assert not bad, "\n".join(bad)


def invariants():
    return numbered("docs/time-invariants.md", r"^### T(\d+) ")


def test_invariants_defined():
    defined = invariants()
    assert defined == set(range(1, 21)), \
        f"docs/time-invariants.md defines T{sorted(defined)}, want T1-T20"
    bad = []
    for rel in repo_files():
        if not rel.endswith((".c", ".h", ".S", ".py", ".md")) and \
                not rel.startswith(("mk/", "tools/")):
            continue
        for n, line in lines_of(rel):
            for m in T_RE.finditer(line):
                if int(m.group(1)) not in defined:
                    bad.append(f"{rel}:{n}: cites {m.group(0)}, which "
                               f"docs/time-invariants.md does not define")
    assert not bad, "\n".join(bad)


def all_test_names():
    """Every test function of tests/: name -> file."""
    names = {}
    for rel in repo_files():
        if rel.startswith("tests/") and rel.endswith((".c", ".py")):
            for name in re.findall(
                    r"^(?:static void|def) (test_\w+)\(", read(rel), re.M):
                names[name] = rel
    return names


def test_invariant_tests_exist():
    doc = read("docs/time-invariants.md")
    have = all_test_names()
    parts = re.split(r"^### T(\d+) ", doc, flags=re.M)
    listed = {int(parts[i]): set(re.findall(r"`(test_\w+)`", parts[i + 1]))
              for i in range(1, len(parts), 2)}
    bad = [f"T{t}: {name} is not a test in tests/"
           for t, names in sorted(listed.items()) for name in sorted(names)
           if name not in have]
    for name, rel in sorted(have.items()):
        m = re.match(r"test_t(\d+)_", name)
        if m and name not in listed.get(int(m.group(1)), set()):
            bad.append(f"{rel}: {name} is not listed under T{m.group(1)} "
                       f"in docs/time-invariants.md")
    assert not bad, "\n".join(bad)


def bench_sample():
    lines = read("docs/bench.md").split("\n")
    mark = [i for i, ln in enumerate(lines)
            if ln.startswith("<!-- docs-example: tools/kairos-bench")]
    assert len(mark) == 1, \
        "docs/bench.md: want one docs-example block of tools/kairos-bench"
    start = mark[0] + 2
    end = lines.index("```", start)
    return lines[start:end]


def test_bench_sample_rows():
    bench = load("kairos_bench", os.path.join(ROOT, "tools", "kairos-bench"))
    src = read("tools/kairos-bench")
    sample = bench_sample()
    ckpt = ["ckpt_checkpoint", "ckpt_checkpoint_fused",
            "ckpt_restore_full"] + \
        [f"ckpt_restore_incr_{p}pct" for p in bench.CKPT_PCTS]
    for name in ckpt[:3]:
        assert f'"{name}"' in src, f"tools/kairos-bench no longer has {name}"
    metrics = [r[0] for r in bench.ROWS] + ckpt
    whats = {r[0]: r[3] for r in bench.ROWS}
    table = [ln.split() for ln in sample if ln.split() and
             ln.split()[0] in metrics]
    assert [t[0] for t in table] == metrics, \
        "docs/bench.md: the sample's table rows differ from what " \
        "tools/kairos-bench prints: run `make docs-examples`"
    for ln in sample:
        words = ln.split()
        if words and words[0] in whats:
            assert ln.endswith("  " + whats[words[0]]), \
                f"docs/bench.md: row {words[0]}: want `{whats[words[0]]}`"
    lines = [ln for ln in sample if ln.startswith("bench: ")]
    assert [ln.split()[1] for ln in lines] == metrics, \
        "docs/bench.md: the `bench:` lines differ from the bench's rows"
    for ln in lines:
        assert re.fullmatch(r"bench: \w+ native=(\d+|n/a) kairos=\d+ "
                            r"added=(-?\d+|n/a)( limit=\d+)?", ln), \
            f"docs/bench.md: `{ln}` has not the fields the bench prints"
    targets = [ln.split()[1] for ln in sample
               if ln.startswith("bench-target: ")]
    # The target lines the tool says it prints, in its order.
    documented = re.findall(r"^\s*bench-target: (\S+)", bench.__doc__,
                            re.M)
    assert bench.TARGET_METRIC in documented, bench.__doc__
    assert targets == documented, \
        f"docs/bench.md: bench-target lines for {targets}, the tool " \
        f"prints {documented}"


def test_diagrams_current(tmp_path):
    if not shutil.which("dot"):
        pytest.skip("Graphviz's dot is not installed "
                    "(tools/setup-host.sh installs it)")
    r = subprocess.run([os.path.join(ROOT, "tools", "docs-diagrams"),
                        "--check", "--out", str(tmp_path)],
                       capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stdout + r.stderr
