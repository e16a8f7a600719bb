"""Incremental Server-Sent Events parser: bytes in (any chunking), events out, each with its exact raw bytes."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SSEEvent", "SSEParser", "is_done"]

_LF = 0x0A
_CR = 0x0D
_COLON = 0x3A
_SPACE = 0x20
_BOM = b"\xef\xbb\xbf"


@dataclass(slots=True)
class SSEEvent:
    """One dispatched event.

    `event` is None when no (or an empty) `event:` field was sent (the spec's default type "message").
    `id` / `retry` are the values set inside this event's block (None when absent or invalid); the
    persistent last-event-id and reconnection time live on the parser. `raw` is the exact byte span of the
    event, from the first byte after the previous event (or discarded block) through its terminating blank
    line, so a pass-through proxy can forward it unchanged.
    """

    event: str | None
    data: str
    id: str | None = None
    retry: int | None = None
    raw: bytes = b""


def is_done(event: SSEEvent | str) -> bool:
    """True for the OpenAI-style `[DONE]` sentinel (surrounding whitespace tolerated)."""
    data = event if isinstance(event, str) else event.data
    return data == "[DONE]" or (len(data) < 64 and data.strip() == "[DONE]")


class SSEParser:
    """Feed network chunks with `feed()`; call `close()` at end of stream to flush a final unterminated event.

    Lines may end in LF, CRLF or CR, and chunk boundaries may fall anywhere (inside a line, between CR and
    LF, inside a multi-byte UTF-8 character). Comment lines (`: keep-alive`) and blank lines that end an
    empty block produce no events but are counted in `comments`, so callers can treat them as liveness.
    A block without any `data:` line is not dispatched (per the spec); its bytes are not part of any
    event's `raw`.

    A line ending in a bare CR at the very end of a chunk is held until the next byte shows whether an LF
    follows, so `raw` is identical however the stream was split (only CR-only streams see that delay).
    """

    __slots__ = (
        "_bom_checked",
        "_buf",
        "_data",
        "_event",
        "_has_lines",
        "_id",
        "_retry",
        "_scan",
        "comments",
        "last_event_id",
        "retry",
    )

    def __init__(self) -> None:
        self._buf = bytearray()  # bytes of the pending (undispatched) block, starting at its first byte
        self._scan = 0  # offset in _buf where the next unparsed line starts
        self._data: list[bytes] | None = None  # data lines of the pending block
        self._event: bytes | None = None
        self._id: bytes | None = None
        self._retry: int | None = None
        self._has_lines = False  # the pending block has any non-blank line (field or comment)
        self._bom_checked = False
        self.comments = 0  # comment lines + blank keep-alive lines seen so far
        self.last_event_id = ""  # the spec's persistent last event ID
        self.retry: int | None = None  # the last valid `retry:` value (milliseconds)

    def feed(self, data: bytes) -> list[SSEEvent]:
        """Parse one network chunk; return the events it completed (possibly none)."""
        if not data:
            return []
        buf: bytes | bytearray
        if self._buf:
            self._buf += data
            buf = self._buf
        else:
            buf = bytes(data) if type(data) is not bytes else data
        if not self._bom_checked:
            if len(buf) < 3 and _BOM.startswith(bytes(buf[:3])):
                self._stash(buf, 0)
                return []
            self._bom_checked = True
            if buf[:3] == _BOM:
                self._scan = 3
        return self._parse(buf, final=False)

    @property
    def between_events(self) -> bool:
        """Nothing is pending: the next byte starts a new block (a caller may look at whole chunks itself)."""
        return not self._buf and self._data is None and not self._has_lines

    def started(self) -> None:
        """The stream began without a BOM (a caller read its first bytes itself)."""
        self._bom_checked = True

    def close(self) -> list[SSEEvent]:
        """End of stream: parse any unterminated last line and dispatch a pending event that has data."""
        self._bom_checked = True
        buf = self._buf
        out = self._parse(buf, final=True) if buf else []
        buf = self._buf
        if self._scan < len(buf):  # an unterminated last line (no CR/LF at all)
            self._line(buf, self._scan, len(buf))
        if self._data is not None:
            out.append(self._dispatch(bytes(buf)))
        self._reset_block()
        self._buf = bytearray()
        self._scan = 0
        return out

    # --- internals -------------------------------------------------------------------------------------

    def _stash(self, buf: bytes | bytearray, start: int) -> None:
        """Keep buf[start:] (the pending block) for the next feed, fixing up the scan offset."""
        if buf is self._buf:
            if start:
                del self._buf[:start]
        else:
            self._buf = bytearray(buf[start:]) if start < len(buf) else bytearray()
        self._scan -= start

    def _parse(self, buf: bytes | bytearray, *, final: bool) -> list[SSEEvent]:
        out: list[SSEEvent] = []
        n = len(buf)
        pos = self._scan
        start = 0  # where the pending block's raw bytes begin
        find = buf.find
        # Next LF / CR positions, cached so each byte is scanned at most once per character (n = none left).
        nl = find(b"\n", pos)
        if nl < 0:
            nl = n
        cr = find(b"\r", pos)
        if cr < 0:
            cr = n
        while True:
            if nl < cr:
                eol = nl
                nxt = nl + 1
            elif cr < n:
                eol = cr
                if cr + 1 < n:
                    nxt = cr + 2 if buf[cr + 1] == _LF else cr + 1
                elif final:
                    nxt = cr + 1
                else:
                    break  # bare CR at the end of the chunk: wait to see if LF follows
            else:
                break  # no complete line left
            if eol == pos:  # blank line: end of block
                if self._data is not None:
                    out.append(self._dispatch(bytes(buf[start:nxt])))
                elif not self._has_lines:
                    self.comments += 1  # a bare keep-alive newline
                self._reset_block()
                start = nxt
            else:
                self._line(buf, pos, eol)
            pos = nxt
            if nl < pos:
                nl = find(b"\n", pos)
                if nl < 0:
                    nl = n
            if cr < pos:
                cr = find(b"\r", pos)
                if cr < 0:
                    cr = n
        self._scan = pos
        self._stash(buf, start)
        return out

    def _line(self, buf: bytes | bytearray, pos: int, eol: int) -> None:
        """Interpret one non-blank line buf[pos:eol]."""
        self._has_lines = True
        if buf[pos] == _COLON:
            self.comments += 1
            return
        colon = buf.find(b":", pos, eol)
        if colon < 0:
            name = bytes(buf[pos:eol])
            value = b""
        else:
            name = bytes(buf[pos:colon])
            v = colon + 1
            if v < eol and buf[v] == _SPACE:
                v += 1
            value = bytes(buf[v:eol])
        if name == b"data":
            if self._data is None:
                self._data = [value]
            else:
                self._data.append(value)
        elif name == b"event":
            self._event = value
        elif name == b"id":
            if b"\x00" not in value:
                self._id = value
                self.last_event_id = value.decode("utf-8", "replace")
        elif name == b"retry" and value.isdigit():
            self._retry = self.retry = int(value)
        # any other field name is ignored, per the spec

    def _dispatch(self, raw: bytes) -> SSEEvent:
        parts = self._data or [b""]
        data = parts[0] if len(parts) == 1 else b"\n".join(parts)
        ev = self._event
        ident = self._id
        return SSEEvent(
            ev.decode("utf-8", "replace") if ev else None,
            data.decode("utf-8", "replace"),
            ident.decode("utf-8", "replace") if ident is not None else None,
            self._retry,
            raw,
        )

    def _reset_block(self) -> None:
        self._data = None
        self._event = None
        self._id = None
        self._retry = None
        self._has_lines = False
