# SPDX-License-Identifier: MIT
"""The system DTB for Kairos on QEMU virt (used by tools/kairos-qemu).

QEMU's own DTB for the machine (dumped with dumpdtb) plus the /hypervisor
node of docs/configuration.md, added as a device-tree overlay with
fdtoverlay: the same operation as U-Boot's `fdt apply`. The guest images
are placed in host RAM by QEMU's generic loader (-device loader), from the
top of RAM downward; the node's kernel/initrd/dtb say where.

VMs come from --vm specs (VmSpec) and/or a system file (an overlay .dts,
see docs/kairos-qemu.md) whose vm nodes may name their files with
kairos-qemu,kernel-file / initrd-file / dtb-file; kairos-qemu places those
files and writes kernel / initrd / dtb.

Python 3.11 standard library plus dtc, fdtoverlay, fdtget and fdtput
(Debian package device-tree-compiler).
"""
import dataclasses
import os
import re
import shutil
import struct
import subprocess

KiB = 1 << 10
MiB = 1 << 20
GiB = 1 << 30
ALIGN = 2 * MiB

RAM_BASE = 0x40000000          # QEMU virt
DTB_RESERVE = 2 * MiB          # room kept for QEMU's DTB (qemu_dtb_range)
KAIROS_BASE = RAM_BASE + 0x200000
KAIROS_MARGIN = 2 * MiB        # after Kairos's image_size, rounded to 2 MiB
UBOOT_TOP_RESERVE = 64 * MiB   # U-Boot relocates itself to the top of RAM
VM_IPA_BASE = 0x40000000       # profile "virt": the guest's RAM base
DEFAULT_VM_MEM = 128 * MiB

MAX_VMS = 8                    # include/kairos/config.h
MAX_VCPUS = 8
NAME_RE = re.compile(r"[A-Za-z0-9_-]{1,31}")
BOOTARGS_MAX = 511             # VM_BOOTARGS_MAX - 1

# The VM's name property (docs/configuration.md): "vm-name", because dtc
# refuses a "name" property that differs from the node name.
NAME_PROP = "vm-name"
FILE_PROPS = {"kernel": "kairos-qemu,kernel-file",
              "initrd": "kairos-qemu,initrd-file",
              "dtb": "kairos-qemu,dtb-file"}
DTC_FLAGS = ["-@", "-W", "no-unit_address_vs_reg",
             "-W", "no-avoid_unnecessary_addr_size"]

VM_KEYS = ("name", "image", "initrd", "dtb", "vcpus", "cpus", "affinity",
           "mem", "priority", "resume", "resume-fallback", "checkpoint-crc",
           "bootargs")
MAX_SLOTS = 16                 # CKPT_MAX_SLOTS
MIN_SLOT = 1 * MiB             # CKPT_MIN_SLOT_SIZE
FDT_MAGIC = b"\xd0\x0d\xfe\xed"
ARM64_MAGIC = b"ARM\x64"


class ConfigError(Exception):
    """Bad input from the user: kairos-qemu exits with status 2."""


class ToolError(Exception):
    """A host tool (QEMU, dtc, ...) failed: exit status 1."""


def align_up(x, a=ALIGN):
    return (x + a - 1) // a * a


def align_down(x, a=ALIGN):
    return x // a * a


def fmt_size(n):
    for unit, div in (("GiB", GiB), ("MiB", MiB), ("KiB", KiB)):
        if n >= div and n % div == 0:
            return f"{n // div} {unit}"
    return f"{n} bytes"


def parse_size(text, what):
    """'128M', '1G', '512K', '64' (MiB, as QEMU's -m) -> bytes."""
    m = re.fullmatch(r"\s*(\d+)\s*([KMGTkmgt]?)[iI]?[bB]?\s*", text)
    if not m:
        raise ConfigError(f"{what}: '{text}' is not a size (e.g. 128M, 1G)")
    shift = {"": 20, "k": 10, "m": 20, "g": 30, "t": 40}[m.group(2).lower()]
    return int(m.group(1)) << shift


def parse_int(text, what, lo, hi):
    try:
        v = int(text, 0)
    except ValueError:
        raise ConfigError(f"{what}: '{text}' is not a number") from None
    if not lo <= v <= hi:
        raise ConfigError(f"{what}: {v} is out of range {lo}..{hi}")
    return v


def parse_cpu_list(text, what):
    """'0', '0:2', '0-3', '1:3-4' -> [0, ...]."""
    cpus = []
    for part in text.split(":"):
        m = re.fullmatch(r"(\d+)(?:-(\d+))?", part.strip())
        if not m:
            raise ConfigError(f"{what}: '{text}' is not a CPU list "
                              f"(e.g. 0, 0:1, 0-3)")
        lo = int(m.group(1))
        hi = int(m.group(2)) if m.group(2) else lo
        if hi < lo:
            raise ConfigError(f"{what}: bad range '{part}'")
        cpus += range(lo, hi + 1)
    return cpus


@dataclasses.dataclass
class Vm:
    """One VM: from --vm (node is None) or from a system file."""
    name: str
    mem: int = DEFAULT_VM_MEM
    vcpus: int = 1
    cpus: list | None = None
    priority: int | None = None
    affinity: list | None = None
    resume: int | None = None    # checkpoint slot to resume from
    resume_fallback: str | None = None  # "cold" or "none"
    checkpoint_crc: str | None = None  # "after-release" or "fused"
    bootargs: str | None = None
    files: dict = dataclasses.field(default_factory=dict)  # kind -> path
    placed: dict = dataclasses.field(default_factory=dict)  # kind -> (a, s)
    node: str | None = None      # path in the system overlay
    origin: str = ""             # for messages

    def loaders(self):
        """[(file, addr)] in placement order."""
        return [(self.files[k], self.placed[k][0]) for k in FILE_PROPS
                if k in self.files]


def split_vm_spec(spec):
    """'k=v,k=v,...' -> [(key, value)]. As in QEMU options, ',,' is a
    literal comma; bootargs= takes the rest of the string as it is (commas
    included); a bare CPU number or range after cpus= continues the list
    (cpus=0,1 is cpus=0:1)."""
    toks, cur, i = [], "", 0
    while i < len(spec):
        if not cur and spec.startswith("bootargs=", i):
            toks.append(spec[i:])
            cur, i = None, len(spec)
            break
        if spec.startswith(",,", i):
            cur, i = cur + ",", i + 2
        elif spec[i] == ",":
            toks.append(cur)
            cur, i = "", i + 1
        else:
            cur, i = cur + spec[i], i + 1
    if cur:
        toks.append(cur)
    items = []
    for tok in toks:
        if not tok:
            continue
        if "=" in tok:
            k, v = tok.split("=", 1)
            items.append((k.strip(), v))
        elif (items and items[-1][0] == "cpus"
              and re.fullmatch(r"\d+(-\d+)?", tok.strip())):
            items[-1] = ("cpus", items[-1][1] + ":" + tok.strip())
        else:
            raise ConfigError(f"--vm {spec}: '{tok}' is not key=value")
    return items


def check_file(path, what):
    if not os.path.isfile(path):
        raise ConfigError(f"{what}: no such file: {path}")
    if not os.access(path, os.R_OK):
        raise ConfigError(f"{what}: cannot read {path}")
    if os.path.getsize(path) == 0:
        raise ConfigError(f"{what}: {path} is empty")
    return os.path.abspath(path)


def check_dtb_file(path, what):
    with open(path, "rb") as f:
        if f.read(4) != FDT_MAGIC:
            raise ConfigError(f"{what}: {path} is not a DTB")


def parse_vm_spec(spec):
    """One --vm argument -> Vm (files checked; cpus not yet defaulted)."""
    what = f"--vm {spec}"
    kv = {}
    for k, v in split_vm_spec(spec):
        if k not in VM_KEYS:
            raise ConfigError(f"{what}: unknown option '{k}' "
                              f"(known: {', '.join(VM_KEYS)})")
        if k in kv:
            raise ConfigError(f"{what}: option '{k}' given twice")
        kv[k] = v
    for k in ("name", "image"):
        if k not in kv:
            raise ConfigError(f"{what}: {k}= is required")
    vm = Vm(name=kv["name"], origin=f"--vm name={kv['name']}")
    check_name(vm.name, what)
    what = vm.origin
    vm.files["kernel"] = check_file(kv["image"], f"{what}: image")
    if "initrd" in kv:
        vm.files["initrd"] = check_file(kv["initrd"], f"{what}: initrd")
    if "dtb" in kv:
        vm.files["dtb"] = check_file(kv["dtb"], f"{what}: dtb")
        check_dtb_file(vm.files["dtb"], f"{what}: dtb")
    if "cpus" in kv:
        vm.cpus = parse_cpu_list(kv["cpus"], f"{what}: cpus")
    if "vcpus" in kv:
        vm.vcpus = parse_int(kv["vcpus"], f"{what}: vcpus", 1, MAX_VCPUS)
    elif vm.cpus:
        vm.vcpus = len(vm.cpus)
    if vm.cpus is not None and len(vm.cpus) > vm.vcpus:
        raise ConfigError(f"{what}: cpus lists {len(vm.cpus)} CPUs but "
                          f"vcpus is {vm.vcpus}")
    if "mem" in kv:
        vm.mem = parse_size(kv["mem"], f"{what}: mem")
    if "priority" in kv:
        vm.priority = parse_int(kv["priority"], f"{what}: priority", 0, 255)
    if "affinity" in kv:
        vm.affinity = parse_cpu_list(kv["affinity"], f"{what}: affinity")
    if "resume" in kv:
        vm.resume = parse_int(kv["resume"], f"{what}: resume", 0,
                              MAX_SLOTS - 1)
    if "resume-fallback" in kv:
        if kv["resume-fallback"] not in ("cold", "none"):
            raise ConfigError(f"{what}: resume-fallback="
                              f"{kv['resume-fallback']}: want cold or none")
        vm.resume_fallback = kv["resume-fallback"]
    if "checkpoint-crc" in kv:
        if kv["checkpoint-crc"] not in ("after-release", "fused"):
            raise ConfigError(f"{what}: checkpoint-crc="
                              f"{kv['checkpoint-crc']}: want after-release "
                              "or fused")
        vm.checkpoint_crc = kv["checkpoint-crc"]
    if "bootargs" in kv:
        vm.bootargs = kv["bootargs"]
        check_bootargs(vm.bootargs, what)
    return vm


def check_name(name, what):
    if not NAME_RE.fullmatch(name):
        raise ConfigError(f"{what}: bad VM name '{name}': 1..31 characters "
                          f"from A-Z a-z 0-9 _ -")


def check_bootargs(s, what):
    if len(s.encode()) > BOOTARGS_MAX:
        raise ConfigError(f"{what}: bootargs longer than {BOOTARGS_MAX} "
                          f"bytes")
    if any(ord(c) < 0x20 or ord(c) == 0x7f for c in s):
        raise ConfigError(f"{what}: bootargs contains control characters")


# ---------------------------------------------------------------- host tools

def run(cmd, what, error=ToolError, **kw):
    try:
        r = subprocess.run(cmd, capture_output=True, text=True,
                           stdin=subprocess.DEVNULL, **kw)
    except FileNotFoundError:
        raise ToolError(f"{cmd[0]} not found (install device-tree-compiler "
                        f"and qemu-system-arm: tools/setup-host.sh)") from None
    if r.returncode != 0:
        # One line, as every refusal of the tools: the tool's lines joined.
        msg = "; ".join(ln.strip() for ln in
                        (r.stderr or r.stdout).splitlines() if ln.strip())
        raise error(f"{what}: {msg}" if msg else
                    f"{what}: {cmd[0]} exited with {r.returncode}")
    return r.stdout


def usable_dir(path, what):
    """Create folder @path (given as option @what) if need be; a
    ConfigError naming the option when it cannot be."""
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as e:
        raise ConfigError(f"{what} {path}: {e.strerror or e}") from None
    if not os.access(path, os.W_OK):
        raise ConfigError(f"{what} {path}: not writable")


def fdt_nodes(dtb, node):
    return run(["fdtget", "-l", dtb, node], f"fdtget -l {node}").split()


def fdt_props(dtb, node):
    return run(["fdtget", "-p", dtb, node], f"fdtget -p {node}").split()


def fdt_cells(dtb, node, prop):
    out = run(["fdtget", "-t", "x", dtb, node, prop],
              f"fdtget {node} {prop}")
    return [int(x, 16) for x in out.split()]


def fdt_string(dtb, node, prop):
    return run(["fdtget", "-t", "s", dtb, node, prop],
               f"fdtget {node} {prop}").rstrip("\n")


def fdt_put_cells(dtb, node, prop, cells):
    run(["fdtput", "-t", "x", dtb, node, prop, *[hex(c) for c in cells]],
        f"fdtput {node} {prop}")



def fdt_delete(dtb, node, prop):
    run(["fdtput", "-d", dtb, node, prop], f"fdtput -d {node} {prop}")


def cells64(*values):
    out = []
    for v in values:
        out += [v >> 32, v & 0xffffffff]
    return out


def dtc_compile(src, out, error=ToolError):
    run(["dtc", *DTC_FLAGS, "-q", "-I", "dts", "-O", "dtb", "-o", out, src],
        f"dtc {src}", error)


def dtc_decompile(dtb):
    return run(["dtc", *DTC_FLAGS, "-q", "-I", "dtb", "-O", "dts", dtb],
               f"dtc {dtb}")


def board_ram(dtb):
    """(base, size) of the first memory node of QEMU's DTB."""
    for n in fdt_nodes(dtb, "/"):
        if n == "memory" or n.startswith("memory@"):
            c = fdt_cells(dtb, "/" + n, "reg")
            if len(c) >= 4:
                return (c[0] << 32 | c[1], c[2] << 32 | c[3])
    raise ToolError(f"{dtb}: QEMU's DTB has no memory node")


def kairos_end(kairos_bin):
    """End (exclusive) of what Kairos occupies: 0x40200000 + the arm64
    header's image_size rounded to 2 MiB, plus a margin."""
    try:
        with open(kairos_bin, "rb") as f:
            hdr = f.read(64)
    except OSError as e:
        raise ConfigError(f"{kairos_bin}: {e.strerror}: run 'make' first") \
            from None
    if len(hdr) < 64 or hdr[56:60] != ARM64_MAGIC:
        raise ConfigError(f"{kairos_bin} is not an arm64 Image")
    image_size = struct.unpack_from("<Q", hdr, 16)[0] or \
        os.path.getsize(kairos_bin)
    return KAIROS_BASE + align_up(image_size) + KAIROS_MARGIN


def image_footprint(path):
    """(load offset in the VM's RAM, bytes) as Kairos will copy it
    (docs/configuration.md)."""
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        hdr = f.read(64)
    if len(hdr) == 64 and hdr[56:60] == ARM64_MAGIC:
        text_offset, image_size = struct.unpack_from("<QQ", hdr, 8)
        if image_size:
            return text_offset, max(size, image_size)
    return 0x80000, size


# ------------------------------------------------------------ system files

def read_system_file(path, workdir):
    """Compile a system file (overlay .dts, or .dtbo) into the work dir and
    read its vm nodes. -> (dtbo path, [Vm], next free vm@ index)."""
    what = f"--system {path}"
    if not os.path.isfile(path):
        raise ConfigError(f"{what}: no such file")
    dtbo = os.path.join(workdir, "system-file.dtbo")
    with open(path, "rb") as f:
        is_dtb = f.read(4) == FDT_MAGIC
    if is_dtb:
        shutil.copyfile(path, dtbo)
    else:
        dtc_compile(path, dtbo, error=ConfigError)
    hv = None
    for frag in fdt_nodes(dtbo, "/"):
        fpath = f"/{frag}"
        if "__overlay__" not in fdt_nodes(dtbo, fpath):
            continue
        props = fdt_props(dtbo, fpath)
        target = (fdt_string(dtbo, fpath, "target-path")
                  if "target-path" in props else None)
        if (target == "/" and
                "hypervisor" in fdt_nodes(dtbo, fpath + "/__overlay__")):
            hv = fpath + "/__overlay__/hypervisor"
    if hv is None:
        raise ConfigError(f"{what}: no hypervisor node in an overlay "
                          f"fragment targeting &{{/}} (see "
                          f"docs/kairos-qemu.md)")
    base = os.path.dirname(os.path.abspath(path))
    vms, next_index = [], 0
    for n in fdt_nodes(dtbo, hv):
        node = f"{hv}/{n}"
        if n.startswith("shmem@"):
            continue  # a shared-memory region: Kairos reads it as it is
        m = re.fullmatch(r"vm@(\d+)", n)
        if m:
            next_index = max(next_index, int(m.group(1)) + 1)
        vms.append(read_system_vm(dtbo, node, f"{what}: {n}", base))
    return dtbo, vms, next_index


def read_system_vm(dtbo, node, what, base):
    props = fdt_props(dtbo, node)
    if NAME_PROP not in props:
        raise ConfigError(f"{what}: property {NAME_PROP} missing")
    name = fdt_string(dtbo, node, NAME_PROP)
    check_name(name, what)
    vm = Vm(name=name, node=node, origin=what)
    if "memory" not in props:
        raise ConfigError(f"{what}: property memory missing")
    mem = fdt_cells(dtbo, node, "memory")
    if len(mem) != 4:
        raise ConfigError(f"{what}: memory must be <ipa-hi ipa-lo size-hi "
                          f"size-lo>")
    vm.mem = mem[2] << 32 | mem[3]
    if "vcpus" in props:
        c = fdt_cells(dtbo, node, "vcpus")
        vm.vcpus = c[0] if len(c) == 1 else 0
        if not 1 <= vm.vcpus <= MAX_VCPUS:
            raise ConfigError(f"{what}: vcpus must be one cell, "
                              f"1..{MAX_VCPUS}")
    if "cpus" in props:
        vm.cpus = fdt_cells(dtbo, node, "cpus")
    if "bootargs" in props:
        check_bootargs(fdt_string(dtbo, node, "bootargs"), what)
    for kind, prop in FILE_PROPS.items():
        if prop not in props:
            continue
        if kind in props:
            raise ConfigError(f"{what}: both {kind} and {prop}")
        f = fdt_string(dtbo, node, prop)
        vm.files[kind] = check_file(os.path.join(base, f), f"{what}: {prop}")
        if kind == "dtb":
            check_dtb_file(vm.files[kind], f"{what}: {prop}")
    if "kernel" not in vm.files and "kernel" not in props:
        raise ConfigError(f"{what}: neither {FILE_PROPS['kernel']} nor "
                          f"kernel")
    return vm


def fill_system_file(dtbo, vms):
    """Write the placements into the system overlay; drop the
    kairos-qemu,* properties Kairos does not know."""
    for vm in vms:
        for kind, (addr, size) in vm.placed.items():
            fdt_put_cells(dtbo, vm.node, kind, cells64(addr, size))
            fdt_delete(dtbo, vm.node, FILE_PROPS[kind])


# ------------------------------------------------------------- the layout

def assign_cpus(vms, smp, first=0):
    """Default cpus: round-robin over the pCPUs, continuing from VM to
    VM; check every entry exists."""
    nxt = first
    for vm in vms:
        if vm.cpus is None and vm.node is None:
            vm.cpus = [(nxt + i) % smp for i in range(vm.vcpus)]
            nxt = (nxt + vm.vcpus) % smp
        for c in vm.cpus or []:
            if c >= smp:
                raise ConfigError(f"{vm.origin}: cpus names CPU {c}, but "
                                  f"the board has {smp} (--smp {smp})")


def check_vms(vms):
    if len(vms) > MAX_VMS:
        raise ConfigError(f"{len(vms)} VMs: Kairos runs at most {MAX_VMS}")
    seen = {}
    for vm in vms:
        if vm.name in seen:
            raise ConfigError(f"{vm.origin}: VM name '{vm.name}' is also "
                              f"used by {seen[vm.name]}")
        seen[vm.name] = vm.origin
        if vm.mem < ALIGN or vm.mem % ALIGN:
            raise ConfigError(f"{vm.origin}: mem {fmt_size(vm.mem)} is not a "
                              f"multiple of 2 MiB")
        need = 0
        if "kernel" in vm.files:
            off, size = image_footprint(vm.files["kernel"])
            need = off + size
        if "initrd" in vm.files:
            need += os.path.getsize(vm.files["initrd"])
        if need > vm.mem:
            raise ConfigError(f"{vm.origin}: kernel and initrd need "
                              f"{need} bytes, more than mem "
                              f"({fmt_size(vm.mem)})")


def qemu_dtb_range(ram_base, ram_size, firmware):
    """Where QEMU puts the DTB (hw/arm/boot.c): at the RAM base for
    firmware (U-Boot); for -kernel where an initrd would go, RAM base +
    min(RAM / 2, 128 MiB), 2 MiB aligned. 2 MiB is kept for it."""
    at = ram_base if firmware else \
        ram_base + align_up(min(ram_size // 2, 128 * MiB))
    return at, at + DTB_RESERVE


def free_ranges(start, end, busy):
    """[start, end) minus the busy ranges, 2 MiB aligned pieces."""
    out, cur = [], start
    for b0, b1 in sorted(busy):
        if b1 <= cur or b0 >= end:
            continue
        if align_down(b0) > align_up(cur):
            out.append((align_up(cur), align_down(b0)))
        cur = max(cur, b1)
    if align_down(end) > align_up(cur):
        out.append((align_up(cur), align_down(end)))
    return out


def place_images(vms, ram_base, ram_size, busy, top_reserve=0):
    """Place every file from the top of RAM downward, 2 MiB aligned, clear
    of the @busy host ranges (Kairos, QEMU's DTB) and of @top_reserve
    bytes at the top; then check the VMs' memory fits in what is left
    (first fit in VM order, as Kairos places VMs without memory-host).
    Returns the ranges left free."""
    top = ram_base + ram_size - top_reserve
    taken = list(busy)
    for vm in vms:
        for kind in FILE_PROPS:
            if kind not in vm.files:
                continue
            size = os.path.getsize(vm.files[kind])
            addr = align_down(top - size)
            while True:
                clash = [b0 for b0, b1 in taken
                         if b0 < addr + size and addr < b1]
                if not clash:
                    break
                addr = align_down(min(clash) - size)
            if addr < ram_base:
                raise ConfigError(
                    f"{vm.origin}: {kind} {vm.files[kind]} does not fit in "
                    f"the board's RAM ({fmt_size(ram_size)}; raise --mem)")
            vm.placed[kind] = (addr, size)
            taken.append((addr, addr + size))
            top = addr
    free = free_ranges(ram_base, ram_base + ram_size - top_reserve, taken)
    left = list(free)
    for vm in vms:
        need = align_up(vm.mem)
        for i, (f0, f1) in enumerate(left):
            if f1 - f0 >= need:
                left[i] = (f0 + need, f1)
                break
        else:
            total = sum(align_up(v.mem) for v in vms)
            blocks = ", ".join(fmt_size(f1 - f0) for f0, f1 in free)
            raise ConfigError(
                f"{vm.origin}: mem {fmt_size(vm.mem)} does not fit in the "
                f"board's free RAM (VM memory {fmt_size(total)} in total; "
                f"free blocks beside Kairos, the DTB and the images: "
                f"{blocks or 'none'}; --mem is {fmt_size(ram_size)}): "
                f"lower mem= or raise --mem")
    return free


# ---------------------------------------------------- the generated overlay

def dts_string(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def comment_safe(s):
    return s.replace("*/", "* /")


def dts_cells(cells):
    return "<" + " ".join(f"0x{c:x}" for c in cells) + ">"


def overlay_source(vms, first_index=0, sources=()):
    """Overlay .dts with a /hypervisor node holding @vms (from --vm)."""
    lines = ["/dts-v1/;", "/plugin/;", "",
             "/* Generated by tools/kairos-qemu; docs/configuration.md. */"]
    lines += [f"/* {comment_safe(s)} */" for s in sources]
    lines += ["", "&{/} {", "\thypervisor {",
              '\t\tcompatible = "kairos,hypervisor";',
              "\t\t#address-cells = <2>;", "\t\t#size-cells = <2>;"]
    for i, vm in enumerate(vms):
        lines += ["", f"\t\tvm@{first_index + i} {{"]
        props = [(NAME_PROP, dts_string(vm.name), ""),
                 ("profile", '"virt"', ""),
                 ("memory", dts_cells(cells64(VM_IPA_BASE, vm.mem)),
                  f" /* IPA base, {fmt_size(vm.mem)} */"),
                 ("vcpus", f"<{vm.vcpus}>", ""),
                 ("cpus", "<" + " ".join(map(str, vm.cpus)) + ">", "")]
        if vm.priority is not None:
            props.append(("priority", f"<{vm.priority}>", ""))
        if vm.affinity is not None:
            props.append(("cpu-affinity",
                          "<" + " ".join(map(str, vm.affinity)) + ">", ""))
        if vm.resume is not None:
            props.append(("resume-from", f"<{vm.resume}>", ""))
        if vm.resume_fallback is not None:
            props.append(("resume-fallback", f'"{vm.resume_fallback}"', ""))
        if vm.checkpoint_crc is not None:
            props.append(("checkpoint-crc", f'"{vm.checkpoint_crc}"', ""))
        for kind in FILE_PROPS:
            if kind in vm.placed:
                base = comment_safe(os.path.basename(vm.files[kind]))
                props.append((kind, dts_cells(cells64(*vm.placed[kind])),
                              f" /* {base} */"))
        if vm.bootargs is not None:
            props.append(("bootargs", dts_string(vm.bootargs), ""))
        lines += [f"\t\t\t{k} = {v};{c}" for k, v, c in props]
        lines.append("\t\t};")
    lines += ["\t};", "};", ""]
    return "\n".join(lines)


def apply_overlays(board_dtb, overlays, out):
    run(["fdtoverlay", "-i", board_dtb, "-o", out, *overlays],
        "fdtoverlay")
    if "hypervisor" not in fdt_nodes(out, "/"):
        raise ToolError(f"{out}: /hypervisor missing after fdtoverlay")


def loader_args(vms):
    """-device loader arguments (QEMU doubles commas inside values)."""
    out = []
    for vm in vms:
        for f, addr in vm.loaders():
            out += ["-device", f"loader,file={f.replace(',', ',,')},"
                               f"addr=0x{addr:x},force-raw=on"]
    return out


# ---------------------------------------------------- the checkpoint store

@dataclasses.dataclass
class Store:
    """--store SIZE, --slots N and --slot-image N=FILE."""
    size: int
    slots: int
    images: dict = dataclasses.field(default_factory=dict)  # slot -> path
    base: int | None = None

    @property
    def slot_size(self):
        return self.size // self.slots // 4096 * 4096

    def slot_addr(self, k):
        return self.base + k * self.slot_size


def parse_store(size, slots, images):
    """Check the store options -> Store or None."""
    if size is None:
        if slots is not None or images:
            raise ConfigError("--slots and --slot-image need --store SIZE")
        return None
    st = Store(align_up(parse_size(size, "--store")),
               parse_int(str(slots if slots is not None else 2), "--slots",
                         1, MAX_SLOTS))
    if st.slot_size < MIN_SLOT:
        raise ConfigError(f"--store {size} in {st.slots} slots: a slot "
                          f"needs at least {fmt_size(MIN_SLOT)}")
    for spec in images:
        k, sep, path = spec.partition("=")
        if not sep:
            raise ConfigError(f"--slot-image {spec}: want SLOT=FILE")
        slot = parse_int(k, f"--slot-image {spec}: slot", 0, st.slots - 1)
        path = check_file(path, f"--slot-image {spec}")
        if os.path.getsize(path) > st.slot_size:
            raise ConfigError(
                f"--slot-image {spec}: {os.path.getsize(path)} bytes, a "
                f"slot holds {st.slot_size}")
        st.images[slot] = path
    return st


def place_store(st, ram_base, ram_size, busy, top_reserve=0):
    """The store goes at the top of RAM, below @top_reserve; -> range."""
    top = align_down(ram_base + ram_size - top_reserve)
    addr = align_down(top - st.size)
    if any(b0 < addr + st.size and addr < b1 for b0, b1 in busy) or \
            addr < ram_base:
        raise ConfigError(f"--store {fmt_size(st.size)} does not fit at the "
                          f"top of the board's RAM; raise --mem")
    st.base = addr
    return addr, addr + st.size


def store_overlay_source(st):
    return "\n".join([
        "/dts-v1/;", "/plugin/;", "",
        "/* Generated by tools/kairos-qemu: the checkpoint store. */",
        "&{/hypervisor} {",
        f"\tcheckpoint-store = {dts_cells(cells64(st.base, st.size))};",
        f"\tcheckpoint-slots = <{st.slots}>;", "};", ""])


def store_loader_args(st):
    out = []
    for k, f in sorted(st.images.items()):
        out += ["-device", f"loader,file={f.replace(',', ',,')},"
                           f"addr=0x{st.slot_addr(k):x},force-raw=on"]
    return out
