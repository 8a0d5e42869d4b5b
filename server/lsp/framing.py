"""Cutting the JSON-RPC byte stream into message bodies, resynchronising
after a corrupt frame.

pygls' own reader accepts only `Content-Length: N\\r\\n` spelled exactly and
otherwise keeps reading lines, so one bad header leaves the server alive and
deaf. Here a frame whose header is missing, malformed or implausible, or
whose declared length runs into the next header, is reported and dropped,
and reading starts again at the next `Content-Length` header.

Why the next header can be found: inside a valid JSON body a raw line break
never follows `Content-Length: <digits>` (strings cannot hold raw line breaks
and the words are no JSON token), so such a match always starts a frame.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

# A header line as it starts a frame; the name is case-insensitive (HTTP).
HEADER = re.compile(rb"Content-Length[ \t]*:[ \t]*(\d+)[ \t]*\r?\n", re.IGNORECASE)
# Any header line (`Content-Type` may come first); a frame starts with one.
HEADER_LINE = re.compile(rb"[A-Za-z][A-Za-z0-9-]*[ \t]*:[^\r\n]*\r?\n")
_HEADER_START = re.compile(rb"content-length[ \t]*(?::[ \t]*\d*[ \t]*\r?)?")
HEADER_END = b"\r\n\r\n"
MAX_HEADER_BYTES = 8 * 1024
# Far above any real document (the server skips files over 1 MB); a larger
# value is a corrupt header, not a reason to buffer gigabytes.
MAX_BODY_BYTES = 256 * 1024 * 1024
# Kept from a junk tail while resynchronising: a header cut between reads.
_TAIL = 64


@dataclass(frozen=True)
class Frame:
    body: bytes | None  # a message body to decode, or None
    problem: str | None = None  # what was wrong with the stream, if anything


class Framer:
    def __init__(self) -> None:
        self.buf = bytearray()
        self._scanned = 0  # body bytes already searched for an embedded header

    def feed(self, data: bytes) -> list[Frame]:
        self.buf += data
        out: list[Frame] = []
        while True:
            frame = self._next()
            if frame is None:
                return out
            out.append(frame)

    def stalled(self) -> list[Frame]:
        """No bytes came for a while (or the stream ended): a body shorter
        than its header said, if it is a whole JSON object, is taken as is,
        so a client waiting for the answer is not left waiting forever."""
        parsed = self._header()
        if parsed is None or parsed == "wait":
            return []
        start, _ = parsed
        candidate = bytes(self.buf[start:]).rstrip()
        if not candidate.endswith(b"}") or not _is_json(candidate):
            return []
        del self.buf[:]
        self._scanned = 0
        return [Frame(candidate, "Content-Length larger than the message")]

    # ------------------------------------------------------------ internals

    def _header(self):
        """(body start, body length), "wait" for more bytes, or a problem string."""
        end = self.buf.find(HEADER_END)
        if end < 0:
            if len(self.buf) > MAX_HEADER_BYTES:
                return "no end of header"
            return "wait"
        lines = bytes(self.buf[:end]).split(b"\r\n")
        length = None
        for line in lines:
            name, colon, value = line.partition(b":")
            if not colon:
                return f"malformed header line {line[:40]!r}"
            if name.strip().lower() == b"content-length":
                value = value.strip()
                if not value.isdigit():
                    return f"invalid Content-Length {value[:20]!r}"
                length = int(value)
        if length is None:
            return "no Content-Length header"
        if length > MAX_BODY_BYTES:
            return f"Content-Length {length} too large"
        return end + len(HEADER_END), length

    def _next(self) -> Frame | None:
        if not self.buf:
            return None
        if not HEADER_LINE.match(self.buf):
            if b"\n" not in self.buf and len(self.buf) <= MAX_HEADER_BYTES and HEADER_LINE.match(self.buf.rstrip(b"\r") + b":\n"):
                return None  # the first header line is still arriving
            # Not at a header: bytes left over from a corrupt frame.
            return self._resync(0, "unexpected bytes between messages")
        parsed = self._header()
        if parsed == "wait":
            return None
        if isinstance(parsed, str):
            return self._resync(1, parsed)
        start, length = parsed
        available = min(len(self.buf), start + length)
        # Search only the newly arrived part of the body for a next header.
        scan_from = max(start, start + self._scanned - _TAIL)
        embedded = HEADER.search(self.buf, scan_from, available)
        if embedded is not None:
            body = bytes(self.buf[start : embedded.start()])
            del self.buf[: embedded.start()]
            self._scanned = 0
            problem = "Content-Length larger than the message"
            return Frame(body if _is_json(body) else None, problem)
        self._scanned = available - start
        if len(self.buf) < start + length:
            return None
        body = bytes(self.buf[start : start + length])
        del self.buf[: start + length]
        self._scanned = 0
        return Frame(body)

    def _resync(self, skip: int, problem: str) -> Frame | None:
        """Drop bytes up to the next header found from `skip` on; None when
        there is nothing to drop yet (a header may be arriving)."""
        before = len(self.buf)
        found = HEADER.search(self.buf, skip)
        if found is None:
            del self.buf[: _partial_header_at(self.buf, max(skip, len(self.buf) - _TAIL))]
        else:
            del self.buf[: found.start()]
        self._scanned = 0
        return Frame(None, problem) if len(self.buf) < before else None


def _is_json(data: bytes) -> bool:
    try:
        json.loads(data)
        return True
    except ValueError:
        return False


def _partial_header_at(buf: bytearray, start: int) -> int:
    """Where the end of `buf` may be the first bytes of a Content-Length
    header cut between two reads; len(buf) when nowhere."""
    for i in range(start, len(buf)):
        rest = bytes(buf[i:]).lower()
        if b"content-length".startswith(rest) or _HEADER_START.fullmatch(rest):
            return i
    return len(buf)
