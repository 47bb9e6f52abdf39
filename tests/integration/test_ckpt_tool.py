# SPDX-License-Identifier: MIT
"""tools/kairos-ckpt (build/host/kairos-ckpt, make ckpt-tool) on images it
synthesises with the writer Kairos uses: `info` shows what the options put
in, `verify` accepts good images and refuses damaged ones with the failed
check and exit 1, `diff` finds exactly the page or register group that was
changed. The image layout is re-read here from docs/checkpoint-format.md
with an independent CRC32C, so the format the document describes is the
one the C code writes. No QEMU.

Tests named ckpt9_* are issue point 9: corrupt, truncated and mismatched
images refused."""
import os
import re
import struct
import subprocess

import pytest

from ckpt_image import crc32c
from kairos_qemu import ROOT

TOOL = os.path.join(ROOT, "build", "host", "kairos-ckpt")

HDR = struct.Struct("<8sIIQIIII")   # magic version header_size total_size
                                    # nr_sections flags reserved crc
SEC = struct.Struct("<IIQII")       # type index length crc hcrc
TRL = struct.Struct("<8sQII")       # magic total_size nr_sections crc
PAGE = 4096
IPA = 0x40000000


@pytest.fixture(autouse=True)
def tool_built():
    if not os.path.exists(TOOL):
        pytest.fail(f"{TOOL} missing: run 'make ckpt-tool' first")


def run(*args):
    return subprocess.run([TOOL, *map(str, args)], capture_output=True,
                          text=True, timeout=60, check=False)


def synth(path, *opts):
    p = run("synth", path, *opts)
    assert p.returncode == 0, p.stderr
    return path.read_bytes()


def sections(img):
    """[(type, index, header offset, payload offset, length)] as the
    document lays them out."""
    _, _, _, total, nr, _, _, _ = HDR.unpack_from(img)
    out, off = [], HDR.size
    for _ in range(nr):
        typ, idx, length, _, _ = SEC.unpack_from(img, off)
        out.append((typ, idx, off, off + SEC.size, length))
        off += SEC.size + (length + 7) // 8 * 8
    assert off == total - TRL.size
    return out


def fix_header_crc(img):
    img[36:40] = struct.pack("<I", crc32c(bytes(img[:36])))


def verify(path):
    p = run("verify", path)
    return p.returncode, p.stdout + p.stderr


# ---- the format as documented ----

def test_ckpt_layout_and_crcs_as_documented(tmp_path):
    img = synth(tmp_path / "a", "--vcpus", 2, "--extra", 9)
    magic, version, hsize, total, nr, flags, _, crc = HDR.unpack_from(img)
    assert (magic, version, hsize, flags) == (b"KAIROSCK", 1, 40, 0)
    assert total == len(img) and total % 8 == 0
    assert crc == crc32c(img[:36])
    toc = 0
    secs = sections(img)
    assert [(s[0], s[1]) for s in secs] == \
        [(1, 0), (2, 0), (2, 1), (3, 0), (4, 0), (5, 0), (9, 0)]
    for typ, idx, hoff, poff, length in secs:
        _, _, _, pcrc, hcrc = SEC.unpack_from(img, hoff)
        assert hcrc == crc32c(img[hoff:hoff + 20])
        assert pcrc == crc32c(img[poff:poff + length])
        pad = (8 - length % 8) % 8
        assert img[poff + length:poff + length + pad] == bytes(pad)
        toc = crc32c(img[hoff:hoff + 20], toc)
    tmagic, ttotal, tnr, tcrc = TRL.unpack_from(img, total - TRL.size)
    assert (tmagic, ttotal, tnr, tcrc) == (b"KCKPTEND", total, nr, toc)


def test_ckpt_memory_section_as_documented(tmp_path):
    img = synth(tmp_path / "a", "--mem", "320K", "--pages", "0,2,64-65,79")
    typ, _, _, poff, length = sections(img)[5]
    assert typ == 5
    ipa, size, page_size, _, nr_pages, nr_data = \
        struct.unpack_from("<QQIIQQ", img, poff)
    assert (ipa, size, page_size, nr_pages, nr_data) == \
        (IPA, 320 * 1024, PAGE, 80, 5)
    words = struct.unpack_from("<2Q", img, poff + 40)
    stored = [p for p in range(80) if words[p // 64] >> (p % 64) & 1]
    assert stored == [0, 2, 64, 65, 79]
    assert length == 40 + 16 + 5 * PAGE


# ---- info ----

def test_ckpt_info_contents(tmp_path):
    path = tmp_path / "a"
    synth(path, "--name", "guest-7", "--vcpus", 3, "--gic", 2,
          "--cntfrq", 1000000, "--vcount", 2500000, "--fingerprint",
          "0xfeedf00d", "--paused", "--mem", "256K", "--pages", "0-4,9",
          "--pc", "1=0x40081234", "--pstate", "2=0x3c4",
          "--power", "2=off",
          "--vtimer", "0=1,2400000", "--vtimer", "1=3,2600000",
          "--ptimer", "1=1,2500000",
          "--pending", "0:27", "--pending", "1:1", "--pending", 40,
          "--pending", 41, "--pending", 42, "--active", 33,
          "--apr", "1:0=0x80000000")
    p = run("info", path)
    assert p.returncode == 0, p.stderr
    out = p.stdout
    assert re.search(r'^vm "guest-7": 3 vCPUs, GIC v2, profile 0, paused$',
                     out, re.M), out
    assert "config fingerprint 0x00000000feedf00d" in out
    assert "CNTFRQ 1000000 Hz, virtual count 2500000 (2.500000 s)" in out
    assert "memory 0x40000 bytes at IPA 0x40000000" in out
    vcpus = re.split(r"^(?=vcpu \d)", out, flags=re.M)[1:]
    assert len(vcpus) == 3, out
    assert vcpus[1].startswith("vcpu 1: on, pc 0x40081234, pstate 0x3c5 "
                               "(EL1h, D, A, I, F)")
    assert vcpus[2].startswith("vcpu 2: off, ")
    assert "pstate 0x3c4 (EL1t, D, A, I, F)" in vcpus[2]
    # Due: the count has reached cval; masked stays masked.
    assert "vtimer: ctl 0x1 cval 0x249f00: enabled, unmasked, due" \
        in vcpus[0]
    assert "vtimer: ctl 0x3 cval 0x27ac40: enabled, masked, not due" \
        in vcpus[1]
    assert "ptimer: ctl 0x1 cval 0x2625a0: enabled, unmasked, due" \
        in vcpus[1]
    assert "ptimer: ctl 0x0 cval 0x0: disabled" in vcpus[0]
    assert "  pending: 27\n" in vcpus[0]
    assert "  pending: 1\n" in vcpus[1]
    assert "  pending: none\n" in vcpus[2]
    assert "apr: apr[0]=0x80000000" in vcpus[1]
    assert "apr: none" in vcpus[0]
    assert "  pending SPIs: 40-42\n" in out
    assert "  active SPIs: 33\n" in out
    assert ("memory: 262144 bytes at 0x40000000, 64 pages: 6 stored, "
            "58 zero; 24576 bytes of page data") in out
    rows = re.findall(r"^  (\d+)\s+(\S+)\s+index (\d+)\s+length (\d+)\s+"
                      r"crc 0x([0-9a-f]{8}) (ok|BAD)$", out, re.M)
    assert [(r[1], r[2], r[5]) for r in rows] == \
        [("vm", "0", "ok"), ("vcpu", "0", "ok"), ("vcpu", "1", "ok"),
         ("vcpu", "2", "ok"), ("vgic", "0", "ok"), ("vuart", "0", "ok"),
         ("memory", "0", "ok")]
    img = path.read_bytes()
    for row, sec in zip(rows, sections(img)):
        assert int(row[3]) == sec[4]


def test_ckpt_info_unknown_section(tmp_path):
    path = tmp_path / "a"
    synth(path, "--extra", 42)
    p = run("info", path)
    assert p.returncode == 0, p.stderr
    assert re.search(r"^  6\s+type 42\s+index 0\s+length 23\s+crc 0x\S+ ok$",
                     p.stdout, re.M), p.stdout


# ---- verify ----

def test_ckpt_verify_ok(tmp_path):
    path = tmp_path / "a"
    img = synth(path)
    rc, out = verify(path)
    assert rc == 0
    assert out == f"{path}: ok (6 sections, {len(img)} bytes)\n"


def test_ckpt_verify_slot_dump_with_junk(tmp_path):
    """A dump of a whole slot: the image, then whatever the slot held."""
    path = tmp_path / "a"
    img = synth(path, "--vcpus", 1)
    path.write_bytes(img + bytes([0xA5]) * 5000)
    rc, out = verify(path)
    assert rc == 0, out
    assert f"ok (5 sections, {len(img)} bytes)" in out


def test_ckpt9_unreadable_files(tmp_path):
    rc, out = verify(tmp_path / "missing")
    assert rc == 1
    assert f"cannot open {tmp_path / 'missing'}: No such file" in out
    rc, out = verify(tmp_path)
    assert rc == 1
    assert f"cannot read {tmp_path}: Is a directory" in out
    p = run("info", tmp_path / "missing")
    assert p.returncode == 1 and "cannot open" in p.stderr


def corrupt(tmp_path, fn):
    path = tmp_path / "img"
    img = bytearray(synth(path))
    fn(img)
    bad = tmp_path / "bad"
    bad.write_bytes(bytes(img))
    return bad


def test_ckpt9_bad_magic(tmp_path):
    def f(img):
        img[0] = ord("X")
    rc, out = verify(corrupt(tmp_path, f))
    assert rc == 1
    assert "invalid: bad magic (not a Kairos checkpoint image)" in out


def test_ckpt9_version(tmp_path):
    def f(img):
        img[8:12] = struct.pack("<I", 2)
        fix_header_crc(img)
    rc, out = verify(corrupt(tmp_path, f))
    assert rc == 1
    assert "version 2 is not supported (this Kairos reads version 1)" in out


def test_ckpt9_header_crc(tmp_path):
    def f(img):
        img[32] ^= 1       # reserved, covered by the header CRC only
    rc, out = verify(corrupt(tmp_path, f))
    assert rc == 1
    assert "invalid: header checksum does not match" in out


@pytest.mark.parametrize("cut", [0, 1, 39, 40, 64, "half", "last-section",
                                 "trailer", -1])
def test_ckpt9_truncated(tmp_path, cut):
    path = tmp_path / "img"
    img = synth(path)
    n = {"half": len(img) // 2, "trailer": len(img) - TRL.size,
         "last-section": sections(img)[-1][2], -1: len(img) - 1}.get(cut, cut)
    path.write_bytes(img[:n])
    rc, out = verify(path)
    assert rc == 1
    if n < 40:
        assert f"truncated: {n} bytes, less than a header (40)" in out
    else:
        assert (f"truncated: the header says {len(img)} bytes, "
                f"the slot holds {n}") in out


@pytest.mark.parametrize("sec,label", [(0, "vm"), (1, "vcpu 0"),
                                       (2, "vcpu 1"), (3, "vgic"),
                                       (4, "vuart"), (5, "memory")])
def test_ckpt9_section_payload_crc(tmp_path, sec, label):
    def f(img):
        _, _, _, poff, length = sections(img)[sec]
        img[poff + length - 1] ^= 0x80
    bad = corrupt(tmp_path, f)
    rc, out = verify(bad)
    assert rc == 1
    assert f"checksum of section {sec} ({label}) does not match" in out
    # info still lists the sections, naming the damaged one.
    p = run("info", bad)
    assert p.returncode == 1
    assert "INVALID" in p.stdout
    bads = re.findall(r"^  (\d+) .* BAD$", p.stdout, re.M)
    assert bads == [str(sec)], p.stdout


def test_ckpt9_section_header_crc(tmp_path):
    def f(img):
        hoff = sections(img)[3][2]
        img[hoff + 8] ^= 0x10          # the vgic section's length
    rc, out = verify(corrupt(tmp_path, f))
    assert rc == 1
    assert "section 3: header checksum does not match" in out


@pytest.mark.parametrize("where", ["magic", "size", "crc"])
def test_ckpt9_trailer(tmp_path, where):
    def f(img):
        t = len(img) - TRL.size
        img[t + {"magic": 0, "size": 8, "crc": 20}[where]] ^= 1
    rc, out = verify(corrupt(tmp_path, f))
    assert rc == 1
    assert "trailer missing or damaged" in out


def test_ckpt9_sections_swapped(tmp_path):
    """vCPU sections of equal size swapped: each CRC holds, the order
    does not."""
    def f(img):
        s = sections(img)
        a, b = s[1][2], s[2][2]
        size = b - a
        img[a:a + size], img[b:b + size] = img[b:b + size], img[a:a + size]
    rc, out = verify(corrupt(tmp_path, f))
    assert rc == 1
    assert ("trailer missing or damaged: the section headers do not match "
            "its checksum") in out


@pytest.mark.parametrize("opts,msg", [
    (["--omit", "memory"], "no memory section"),
    (["--omit", "vgic"], "no vgic section"),
    (["--omit", "vuart"], "no vuart section"),
    (["--omit", "vcpu"], "vcpu sections: 1 for 2 vCPUs"),
    (["--omit", "vm"], "the first section is vcpu, not the vm section"),
    (["--dup", "vgic"], "2 vgic sections, expected one"),
    (["--dup", "memory"], "2 memory sections, expected one"),
    (["--dup", "vcpu"], "two vcpu sections for vCPU 0"),
    (["--lie-data-pages", 1],
     "memory section: bitmap has 4 pages set, header says 5"),
    (["--irq-flags", "40=0x80"],
     "vgic: interrupt 40 has unknown flag bits 0x80"),
    (["--irq-flags", "1:27=0x201"],
     "vcpu 1: interrupt 27 has unknown flag bits 0x200"),
])
def test_ckpt9_structure(tmp_path, opts, msg):
    path = tmp_path / "img"
    synth(path, *opts)
    rc, out = verify(path)
    assert rc == 1, out
    assert f"{path}: invalid: {msg}" in out


def test_ckpt9_diff_invalid_image(tmp_path):
    good = tmp_path / "good"
    synth(good)
    bad = corrupt(tmp_path, lambda img: img.__setitem__(0, 0))
    p = run("diff", good, bad)
    assert p.returncode == 2
    assert f"{bad}: invalid: bad magic" in p.stderr


# ---- diff ----

def diff(tmp_path, a_opts, b_opts):
    a, b = tmp_path / "a", tmp_path / "b"
    synth(a, *a_opts)
    synth(b, *b_opts)
    p = run("diff", a, b)
    lines = p.stdout.splitlines()
    return p.returncode, lines[:-1], lines[-1] if lines else ""


def test_ckpt_diff_identical(tmp_path):
    opts = ["--vcpus", 3, "--pages", "0-7", "--pending", 40]
    rc, lines, last = diff(tmp_path, opts, opts)
    assert rc == 0
    assert lines == [] and last.endswith("are identical")


def test_ckpt_diff_one_page(tmp_path):
    rc, lines, last = diff(tmp_path, ["--pages", "0-7"],
                           ["--pages", "0-7", "--poke", "5:100=0x5a"])
    assert rc == 1 and last.endswith("differ")
    assert lines == ["memory: 1 page differs: 0x40005000-0x40005fff"]


def test_ckpt_diff_page_ranges(tmp_path):
    """Pokes in pages 1-3 and 6, and page 9 stored on one side only."""
    rc, lines, _ = diff(tmp_path, ["--pages", "0-8"],
                        ["--pages", "0-9", "--poke", "1:0=1",
                         "--poke", "2:4095=1", "--poke", "3:7=9",
                         "--poke", "6:1=2"])
    assert rc == 1
    assert lines == ["memory: 5 pages differ: 0x40001000-0x40003fff, "
                     "0x40006000-0x40006fff, 0x40009000-0x40009fff"]


def test_ckpt_diff_vcpu_pc(tmp_path):
    rc, lines, _ = diff(tmp_path, ["--vcpus", 2],
                        ["--vcpus", 2, "--pc", "1=0x40001234"])
    assert rc == 1
    assert lines == ["vcpu 1: differs: pc/pstate"]


def test_ckpt_diff_groups(tmp_path):
    rc, lines, _ = diff(tmp_path, ["--vcpus", 2],
                        ["--vcpus", 2, "--vtimer", "0=1,5",
                         "--pending", "0:27", "--pending", 50,
                         "--vcount", 123, "--seed", 0])
    assert rc == 1
    assert lines == ["vm: differs: virtual count",
                     "vcpu 0: differs: timers, vgic",
                     "vgic: SPIs differ: 50"]


def test_ckpt_diff_seed_changes_everything(tmp_path):
    rc, lines, _ = diff(tmp_path, ["--vcpus", 1, "--pages", "0"],
                        ["--vcpus", 1, "--pages", "0", "--seed", 1])
    assert rc == 1
    assert lines == ["vcpu 0: differs: gprs, pc/pstate, sysregs, fp",
                     "memory: 1 page differs: 0x40000000-0x40000fff"]


# ---- limits: the UART ring holds 63 bytes of input ----

@pytest.mark.parametrize("n, ok", [(0, True), (63, True), (64, False)])
def test_ckpt_uart_input_limit(tmp_path, n, ok):
    """synth --uart-rx writes what it is given; verify (and Kairos, which
    runs the same check: test_hostile_images.py) takes at most 63 bytes."""
    args = ["--uart-rx", "x" * n] if n else []
    synth(tmp_path / "a", *args)
    rc, out = verify(tmp_path / "a")
    if ok:
        assert rc == 0, out
    else:
        assert rc == 1
        assert "vuart section: 64 input and 0 output bytes, at most 63 " \
            "and 256" in out, out


# ---- the passthrough section: what the VM was given of the board ----

PT_DEV = struct.Struct("<QQ32s")    # base size compat


def passthrough(img):
    """The passthrough section as the document lays it out: (devices as
    (base, size, compat), irqs), and its payload offset."""
    [(_, idx, _, poff, length)] = [s for s in sections(img) if s[0] == 7]
    assert (idx, length) == (0, 232)
    nr_dev, nr_irq = struct.unpack_from("<II", img, poff)
    devs = [PT_DEV.unpack_from(img, poff + 8 + k * PT_DEV.size)
            for k in range(nr_dev)]
    irqs = struct.unpack_from(f"<{nr_irq}I", img, poff + 8 + 4 * PT_DEV.size)
    return [(b, s, c.rstrip(b"\0").decode()) for b, s, c in devs], \
        list(irqs), poff


def test_ckpt_passthrough_section_as_documented(tmp_path):
    """synth lists what --pt-device and --pt-irq say in section type 7;
    info shows it, verify accepts it, diff names the first difference; an
    image without the section is 'not recorded'."""
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    img = synth(a, "--pt-device", "0x9010000+0x1000:arm,pl031",
                "--pt-device", "0x9030000+4K:arm,pl061", "--pt-irq", 34)
    devs, irqs, _ = passthrough(img)
    assert devs == [(0x9010000, 0x1000, "arm,pl031"),
                    (0x9030000, 0x1000, "arm,pl061")]
    assert irqs == [34]
    assert verify(a)[0] == 0
    out = run("info", a).stdout
    assert "passthrough: 2 devices, 1 interrupt\n" \
           "  device 0: 0x9010000+0x1000 (arm,pl031)\n" \
           "  device 1: 0x9030000+0x1000 (arm,pl061)\n" \
           "  interrupts: 34\n" in out, out
    synth(b, "--pt-none")
    assert passthrough(b.read_bytes())[:2] == ([], [])
    assert "passthrough: none\n" in run("info", b).stdout
    p = run("diff", a, b)
    assert p.returncode == 1
    assert "passthrough: device 0: A has 0x9010000+0x1000 (arm,pl031), " \
           "B has none" in p.stdout, p.stdout
    synth(c)
    assert not [s for s in sections(c.read_bytes()) if s[0] == 7]
    assert "passthrough: not recorded" in run("info", c).stdout


@pytest.mark.parametrize("field, value, msg", [
    (0, 5, "passthrough section: 5 devices, at most 4"),
    (4, 9, "passthrough section: 9 interrupts, at most 8"),
])
def test_ckpt9_passthrough_counts(tmp_path, field, value, msg):
    """A count past its limit, with every CRC made right: refused by
    verify (and by Kairos, which runs the same check)."""
    img = bytearray(synth(tmp_path / "a", "--pt-irq", 34))
    _, _, poff = passthrough(bytes(img))
    struct.pack_into("<I", img, poff + field, value)
    hoff = poff - SEC.size
    struct.pack_into("<I", img, hoff + 16, crc32c(bytes(img[poff:poff + 232])))
    struct.pack_into("<I", img, hoff + 20, crc32c(bytes(img[hoff:hoff + 20])))
    toc = 0
    for _, _, h, _, _ in sections(bytes(img)):
        toc = crc32c(bytes(img[h:h + 20]), toc)
    struct.pack_into("<I", img, len(img) - 4, toc)
    (tmp_path / "b").write_bytes(img)
    rc, out = verify(tmp_path / "b")
    assert rc == 1 and msg in out, out
