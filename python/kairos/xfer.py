# SPDX-License-Identifier: MIT
"""Slot images in and out of a board over the control channel
(docs/control.md, "Moving slot images").

export_slot() reads a slot's image with `export` requests, a few chunks
each, checking every chunk's CRC32C and that the slot did not change
between requests; import_slot() writes one with `import`, `put` (base64
chunks with their CRC32C), `zero` (runs of all-zero chunks) and
`import-end`, which has Kairos validate the whole image as a restore
would before the slot holds it. A refused chunk is sent again from the
offset Kairos says it has; an import cut off (a lost connection) goes on
with import_slot(..., resume=True). load_image() sends a kernel the
same way, staged in a slot, for a stopped VM to boot from."""
import base64
import binascii
import collections
import time

from .ctl import FAILED, CtlError

#: Image bytes per chunk (Kairos's CTL_XFER_CHUNK).
CHUNK = 3072
#: Chunks per `export` request (the most Kairos sends for one).
EXPORT_CHUNKS = 16
#: Longest `put` line Kairos takes (CTL_DATA_LINE_MAX).
DATA_LINE_MAX = CHUNK // 3 * 4 + 64
#: Refusals of the same offset in a row before giving up.
RETRIES = 5
#: Characters a client may have on the way unanswered when the `hello` row
#: does not say (rx_buffer=): a console input buffer of 8192.
RX_BUFFER_DEFAULT = 8191


def _crc32c_table():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_TABLE = _crc32c_table()


def crc32c(data, crc=0):
    """CRC32C (Castagnoli), as Kairos's ckpt_crc32c(): crc32c(b) of the
    whole, or crc32c(b, crc32c(a)) to go on after a."""
    crc ^= 0xFFFFFFFF
    for b in data:
        crc = (crc >> 8) ^ _TABLE[(crc ^ b) & 0xFF]
    return crc ^ 0xFFFFFFFF


class TransferError(CtlError):
    """An export or import that could not be completed; .message says
    why (the slot's state after it is in the message)."""

    def __init__(self, message, request):
        super().__init__(FAILED, message, request)


def decode_chunk(row):
    """An export data row -> (offset, bytes); ValueError if its data is
    not base64 or does not match its len= and crc=."""
    off = int(row["off"])
    if "zero" in row:
        return off, bytes(int(row["zero"]))
    try:
        data = base64.b64decode(row["data"], validate=True)
    except (KeyError, binascii.Error) as e:
        raise ValueError(f"chunk at offset {off}: data is not base64 "
                         f"({e})") from None
    if len(data) != int(row.get("len", -1)):
        raise ValueError(f"chunk at offset {off}: {len(data)} bytes, "
                         f"len={row.get('len')}")
    crc = crc32c(data)
    if crc != int(row.get("crc", "0"), 16):
        raise ValueError(f"chunk at offset {off}: CRC32C {crc:08x} of its "
                         f"data is not crc={row.get('crc')}")
    return off, data


def export_slot(k, slot, chunks=EXPORT_CHUNKS, timeout=60):
    """The image in slot @slot of the board behind KairosCtl @k, as
    bytes. A chunk whose CRC does not match is asked for again (up to
    RETRIES times); a slot written meanwhile raises TransferError."""
    image, gen, size, bad = bytearray(), None, None, 0
    while size is None or len(image) < size:
        off = len(image)
        r = k.request("export", slot, off, chunks, timeout=timeout)
        summary = r.rows[-1] if r.rows else {}
        if "next" not in summary or "gen" not in summary:
            raise TransferError(f"export of slot {slot} at offset {off}: "
                                f"answer without its summary row",
                                f"export {slot} {off}")
        if gen is not None and (summary["gen"] != gen or
                                int(summary["size"]) != size):
            raise TransferError(f"slot {slot} was written during the "
                                f"export (generation {gen} -> "
                                f"{summary['gen']})", f"export {slot}")
        gen, size = summary["gen"], int(summary["size"])
        try:
            for row in r.rows[:-1]:
                at, data = decode_chunk(row)
                if at != len(image):
                    raise ValueError(f"chunk at offset {at}, expected "
                                     f"{len(image)}")
                image += data
            bad = 0
        except (ValueError, KeyError) as e:
            bad += 1
            if bad > RETRIES:
                raise TransferError(f"export of slot {slot}: {e}, "
                                    f"{bad} times", f"export {slot}") \
                    from None
    return bytes(image)


def _zero_run(image, off):
    """Bytes of all-zero whole chunks from @off (0 if the first is not)."""
    end = off
    while end < len(image):
        piece = image[end:end + CHUNK]
        if piece.count(0) != len(piece):
            break
        end += len(piece)
    return end - off


def put_line(slot, off, data, crc=None):
    """The words of a `put` of @data at @off (@crc: its CRC32C unless a
    test wants another)."""
    crc = crc32c(data) if crc is None else crc
    return ["put", slot, off, f"{crc:08x}",
            base64.b64encode(data).decode()]


def _resume_from(k, slot, size, timeout, vm=None):
    """Where a cut-off import of @size bytes into @slot stands (with @vm:
    a load-image for that VM)."""
    rows = k.request("import-status", timeout=timeout).rows
    row = rows[0] if rows else {}
    if row.get("slot") != str(slot) or row.get("size") != str(size) or \
            row.get("vm") != vm:
        what = f"a kernel of VM {vm}" if vm else "an import"
        raise TransferError(f"no {what} of {size} bytes into slot {slot} "
                            f"to resume (Kairos has {row or 'none'})",
                            "import-status")
    return int(row["next"])


def _window(k):
    """Characters @k may have on the way unanswered: the `hello` row's
    rx_buffer (what Kairos's console holds), RX_BUFFER_DEFAULT if it does
    not say."""
    try:
        return int((k.hello_row or {}).get("rx_buffer", RX_BUFFER_DEFAULT))
    except ValueError:
        return RX_BUFFER_DEFAULT


def _chunk_at(slot, image, off):
    """-> (request words, offset after it) of the `put` or `zero` that
    sends @image from @off."""
    run = _zero_run(image, off)
    if run:
        return ["zero", slot, off, run], off + run
    end = min(off + CHUNK, len(image))
    return put_line(slot, off, image[off:end]), end


def _send(k, slot, image, off, timeout):
    """`put` and `zero` the bytes of @image from @off into the import
    going on in @slot, resending refused chunks (RETRIES times in a row
    at most). Requests go without waiting for each answer, as many as
    Kairos's console holds (_window()): the line stays busy while Kairos
    takes a chunk, and nothing sent can overflow its input buffer."""
    window, pending, queued, bad = _window(k), collections.deque(), 0, 0
    while True:
        while off < len(image):
            words, end = _chunk_at(slot, image, off)
            # The line as sent: the tag (at most 16) and its CR too.
            if pending and queued + len(" ".join(map(str, words))) + \
                    18 > window:
                break
            tag, n = k.send_request(*words, timeout=timeout,
                                    max_len=DATA_LINE_MAX)
            pending.append((tag, n, " ".join(map(str, words[:3]))))
            queued += n
            off = end
        if not pending:
            return
        tag, n, what = pending.popleft()
        queued -= n
        r = k.wait_answer(tag, timeout, f"the answer to {what!r}")
        nxt = int(r.rows[-1]["next"]) if r.rows and \
            "next" in r.rows[-1] else None
        if r.status != 0 and (r.status != FAILED or nxt is None):
            raise CtlError(r.status, r.message, what)
        if r.status == 0:
            bad = 0
            continue
        bad += 1
        if bad > RETRIES:
            raise TransferError(f"import into slot {slot}: {r.message}"
                                f", {bad} times", "put")
        # The chunks sent after the refused one start past Kairos's
        # position (refused too) or at it: their answers say where it
        # stands, and the transfer goes on from there.
        while pending:
            r = k.wait_answer(pending.popleft()[0], timeout)
            if r.rows and "next" in r.rows[-1]:
                nxt = int(r.rows[-1]["next"])
        off, queued = nxt, 0


def import_slot(k, slot, image, resume=False, timeout=60):
    """Write @image (bytes) into slot @slot and have Kairos validate it.
    -> the row of `import-end` ({'slot', 'size', 'vm', 'vcount'}).
    With @resume, an import of the same slot and size that was cut off
    goes on from where Kairos says it stands. A refused chunk is resent
    (RETRIES times in a row at most); Kairos's refusal of the image raises
    CtlError with its reason (the slot is then empty)."""
    if resume:
        off = _resume_from(k, slot, len(image), timeout)
    else:
        k.request("import", slot, len(image), timeout=timeout)
        off = 0
    _send(k, slot, image, off, timeout)
    return k.request("import-end", slot, timeout=timeout).rows[0]


def load_image(k, vm, slot, image, resume=False, timeout=60):
    """Load @image (bytes: a kernel or bare-metal guest) into the stopped
    VM @vm, staged in slot @slot (docs/control.md, "Loading a new
    image"): its next start boots it. -> the row of `import-end` ({'vm',
    'slot', 'size', 'crc', 'entry'}). Kairos's refusals (the VM not
    stopped or missing, an image too large for its RAM, a whole-image
    CRC that does not match) raise CtlError with its reason; a refused
    chunk is resent as by import_slot(), and @resume goes on with a load
    that was cut off."""
    if resume:
        off = _resume_from(k, slot, len(image), timeout, vm=vm)
    else:
        k.request("load-image", vm, slot, len(image),
                  f"{crc32c(image):08x}", timeout=timeout)
        off = 0
    _send(k, slot, image, off, timeout)
    return k.request("import-end", slot, timeout=timeout).rows[0]


class LineRate:
    """A serial line of @baud in front of a transport (FdTransport's
    interface): 8N1, baud / 10 characters a second each way, both ways at
    once. Each write waits for the line time of its bytes before it goes
    out, each read for the line time of what it returns, as if the bytes
    had crossed such a line: what a transfer's throughput would be on a
    board's UART at @baud, where the line and not the board is the
    limit. tools/bench-hil measures with it."""

    def __init__(self, inner, baud):
        self.inner = inner
        self.cps = baud / 10
        self.tx_free = self.rx_free = 0.0

    def _pace(self, free, n):
        now = time.monotonic()
        end = max(free, now) + n / self.cps
        time.sleep(max(0.0, end - now))
        return end

    def read(self, timeout):
        data = self.inner.read(timeout)
        if data:
            self.rx_free = self._pace(self.rx_free, len(data))
        return data

    def write(self, data, timeout):
        self.tx_free = self._pace(self.tx_free, len(data))
        self.inner.write(data, timeout)

    def close(self):
        self.inner.close()
