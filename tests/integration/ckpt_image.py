# SPDX-License-Identifier: MIT
"""Parse and patch Kairos checkpoint images (include/kairos/ckpt_format.h)
on the host: the header, the sections, the VM, vCPU and memory payloads;
patching a vCPU field recomputes the section's payload CRC, its header
CRC and the trailer's CRC of all section headers (each without its own
CRC, its last 4 bytes)."""
import struct

# The package's CRC32C (python/kairos: conftest.py puts it on the path).
from kairos.xfer import crc32c

MAGIC = b"KAIROSCK"
TRAILER_MAGIC = b"KCKPTEND"
SEC_VM, SEC_VCPU, SEC_VGIC, SEC_VUART, SEC_MEM = 1, 2, 3, 4, 5
HDR = struct.Struct("<8sIIQIIII")      # struct ckpt_header, 40 bytes
SEC = struct.Struct("<IIQII")          # struct ckpt_section, 24 bytes
TRAILER = struct.Struct("<8sQII")      # struct ckpt_trailer, 24 bytes
VM = struct.Struct("<32sQQQQQQQIIII")  # struct ckpt_vm, 104 bytes
MEM = struct.Struct("<QQIIQQ")         # struct ckpt_mem, 40 bytes
PAGE = 4096

# struct ckpt_vcpu: offsets of the fields tests read or patch.
VCPU_SIZE = 1624
VCPU_PC = 256
VCPU_VTIMER_CTL, VCPU_VTIMER_CVAL = 1000, 1008
VCPU_PTIMER_CTL, VCPU_PTIMER_CVAL = 1016, 1024
VCPU_APR, VCPU_APR0 = 1048, 1080  # 4 x u64 each
VCPU_PRIV, IRQ_SIZE = 1112, 16     # struct ckpt_irq priv[32]
IRQ_ENABLED, IRQ_LATCH, IRQ_LINE, IRQ_ACTIVE = 1, 8, 16, 32


class Section:
    def __init__(self, hdr_off, type_, index, length, crc, hcrc):
        self.hdr_off, self.type, self.index = hdr_off, type_, index
        self.length, self.crc, self.hcrc = length, crc, hcrc
        self.off = hdr_off + SEC.size  # of the payload


class Image:
    """An image in a bytearray; checks every CRC but the memory payload's
    (pure Python is slow) unless @check_mem."""

    def __init__(self, data, check_mem=False):
        self.data = bytearray(data)
        (magic, version, hsize, self.size, nr, _flags, _res,
         crc) = HDR.unpack_from(self.data, 0)
        assert magic == MAGIC, f"not an image (magic {magic!r})"
        assert version == 1 and hsize == HDR.size, (version, hsize)
        assert crc32c(self.data[:HDR.size - 4]) == crc, "header CRC"
        assert self.size <= len(self.data), "truncated"
        self.sections = []
        off, toc = HDR.size, 0
        for _ in range(nr):
            s = Section(off, *SEC.unpack_from(self.data, off))
            raw = self.data[off:off + SEC.size]
            assert crc32c(raw[:20]) == s.hcrc, f"section {s.type} hcrc"
            if s.type != SEC_MEM or check_mem:
                assert crc32c(self.payload(s)) == s.crc, \
                    f"section {s.type}/{s.index} payload CRC"
            toc = crc32c(raw[:20], toc)
            want = {SEC_VM: VM.size, SEC_VCPU: VCPU_SIZE}.get(s.type)
            assert want is None or s.length == want, \
                f"section {s.type}: {s.length} bytes, this file knows {want}"
            self.sections.append(s)
            off = s.off + (s.length + 7) // 8 * 8
        magic, tsize, tnr, tcrc = TRAILER.unpack_from(self.data, off)
        assert (magic, tsize, tnr, tcrc) == (TRAILER_MAGIC, self.size, nr,
                                             toc), "trailer"
        self.trailer_off = off

    def payload(self, s):
        return bytes(self.data[s.off:s.off + s.length])

    def find(self, type_, index=0):
        for s in self.sections:
            if (s.type, s.index) == (type_, index):
                return s
        raise KeyError((type_, index))

    def vm(self):
        f = VM.unpack_from(self.data, self.find(SEC_VM).off)
        keys = ("name", "config_fp", "cntfrq", "vcount", "pcount",
                "boot_id", "mem_ipa", "mem_size", "nr_vcpus",
                "gic_version", "profile", "paused")
        d = dict(zip(keys, f))
        d["name"] = d["name"].split(b"\0")[0].decode()
        return d

    def vcpu_u64(self, k, offset):
        return struct.unpack_from("<Q", self.data,
                                  self.find(SEC_VCPU, k).off + offset)[0]

    def irq(self, k, intid):
        """(flags, priority) of private interrupt @intid of vCPU @k."""
        off = self.find(SEC_VCPU, k).off + VCPU_PRIV + intid * IRQ_SIZE
        return struct.unpack_from("<HB", self.data, off)

    def vcpu_bytes(self, k):
        return self.payload(self.find(SEC_VCPU, k))

    def patch_vcpu(self, k, offset, fmt, value):
        """Write @value (struct @fmt) at @offset of vCPU @k's payload and
        fix the CRCs that cover it."""
        self.patch(SEC_VCPU, k, offset, fmt, value)

    def patch(self, type_, index, offset, fmt, *values):
        """Write @values (struct @fmt) at @offset of the payload of
        section (@type_, @index) and fix the CRCs that cover it."""
        s = self.find(type_, index)
        struct.pack_into("<" + fmt, self.data, s.off + offset, *values)
        s.crc = crc32c(self.payload(s))
        struct.pack_into("<I", self.data, s.hdr_off + 16, s.crc)
        s.hcrc = crc32c(self.data[s.hdr_off:s.hdr_off + 20])
        struct.pack_into("<I", self.data, s.hdr_off + 20, s.hcrc)
        toc = 0
        for t in self.sections:
            toc = crc32c(self.data[t.hdr_off:t.hdr_off + SEC.size - 4], toc)
        struct.pack_into("<I", self.data, self.trailer_off + 20, toc)

    def memory(self):
        """(struct ckpt_mem fields, bitmap bytes, page data bytes)."""
        s = self.find(SEC_MEM)
        ipa, size, psize, _res, nr, nr_data = MEM.unpack_from(self.data,
                                                              s.off)
        bm = (nr + 63) // 64 * 8
        start = s.off + MEM.size
        return ({"ipa": ipa, "size": size, "page_size": psize,
                 "nr_pages": nr, "nr_data_pages": nr_data},
                bytes(self.data[start:start + bm]),
                bytes(self.data[start + bm:start + bm + nr_data * PAGE]))

    def pages(self):
        """{page number: bytes} of the pages stored (all others zero)."""
        hdr, bitmap, data = self.memory()
        out, n = {}, 0
        for p in range(hdr["nr_pages"]):
            if bitmap[p // 8] >> (p % 8) & 1:
                out[p] = data[n * PAGE:(n + 1) * PAGE]
                n += 1
        assert n == hdr["nr_data_pages"], (n, hdr)
        return out


def memory_diff(a, b):
    """Page numbers whose contents differ between images @a and @b."""
    pa, pb = a.pages(), b.pages()
    return sorted(p for p in set(pa) | set(pb) if pa.get(p) != pb.get(p))
