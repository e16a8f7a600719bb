"""An OpenAI chat stream passed through unchanged, checked as bytes: what the executor must know of each upstream
read (an in-band error, the usage chunk, the end) without parsing every event.

A read qualifies when it holds whole events only, each one `data: …` line and a blank line (LF endings), with no
`"error"` anywhere and `[DONE]` only as its own event — what OpenAI-compatible servers send. Its bytes then go
to the client as they came (less the usage chunk clawgate asked for on the client's behalf); the one usage event
is parsed for the record. Anything else (CR endings, `event:`/`id:`/comment lines, multi-line data, an event
split across reads, a possible error) goes through the full SSE parser and `StreamInspector`, as before."""

from __future__ import annotations

from clawgate.call.inspect import StreamInspector

_DATA = b"data: "
_DONE = b"data: [DONE]\n\n"
_USAGE = b'"usage":'  # followed by `{` (or ` {`): a usage object


def usage_only(raw: bytes) -> bool:
    """An OpenAI usage chunk (`choices: []`), which a client that did not ask for usage must not see."""
    return b'"choices":[]' in raw or b'"choices": []' in raw


def plain_events(chunk: bytes) -> bool:
    """Is `chunk` only whole one-line `data: ` events? With 2n newlines, n − 1 of them pairs followed by `data: `
    and the last pair at the end, every newline is in an event's end: each event is one `data: ` line."""
    if not chunk.endswith(b"\n\n") or not chunk.startswith(_DATA) or b"\r" in chunk:
        return False
    lines = chunk.count(b"\n")
    return lines % 2 == 0 and chunk.count(b"\n\ndata: ") == lines // 2 - 1


def check(chunk: bytes, inspector: StreamInspector, strip_usage: bool) -> bytes | None:
    """The bytes to forward for this read, with `inspector` updated (usage, done); None when the read must go
    through the full parser instead."""
    if b'"error"' in chunk or not plain_events(chunk):
        return None
    done = chunk.find(b"[DONE]")
    if done >= 0:
        if done != len(chunk) - len(_DONE) + len(_DATA) or not chunk.endswith(_DONE):
            return None  # a sentinel that is not exactly the last event: let the parser decide
        inspector.done = True
    inspector.saw_data = True
    pos = chunk.find(_USAGE)
    while pos >= 0:
        start = chunk.rfind(b"\n\n", 0, pos)
        start = 0 if start < 0 else start + 2
        end = chunk.find(b"\n\n", pos) + 2
        if chunk[pos + len(_USAGE) : pos + len(_USAGE) + 2].lstrip()[:1] == b"{":
            inspector.usage_data(chunk[start + len(_DATA) : end - 2])
            if strip_usage and usage_only(chunk[start:end]):
                chunk = chunk[:start] + chunk[end:]
                pos = chunk.find(_USAGE, start)
                continue
        pos = chunk.find(_USAGE, end)
    return chunk
