"""SSEParser and is_done: spec line handling, chunk-boundary independence and exact raw bytes."""

from __future__ import annotations

import itertools
import random

import pytest

from clawgate.call.sse import SSEEvent, SSEParser, is_done

# One stream exercising every rule: BOM, LF/CRLF/CR endings, comments, multi-line data, id/retry, unknown
# fields, a no-colon field, multi-byte UTF-8, a block without data, keep-alive blank lines, and a final
# event with no terminating blank line.
MIXED = (
    b"\xef\xbb\xbf"
    b": OPENROUTER PROCESSING\n\n"
    b'data: {"a":1}\n\n'
    b"event: content_block_delta\r\n"
    b'data: {"text":"h\xc3\xa9llo \xe4\xb8\x96\xe7\x95\x8c \xf0\x9f\x8e\x89"}\r\n\r\n'
    b"data: line one\r"
    b"data:line two\r"
    b"data:  two spaces\r\r"
    b"id: 42\n"
    b"retry: 1500\n"
    b"foo: ignored\n"
    b": a comment inside an event\n"
    b"data\n"
    b"\n"
    b"event: ping\n\n"
    b"\n\n"
    b": keep-alive\r\n\r\n"
    b"data: [DONE]\n\n"
    b"data: tail without blank line"
)

MIXED_EXPECTED = [
    SSEEvent(None, '{"a":1}', None, None, b'data: {"a":1}\n\n'),
    SSEEvent(
        "content_block_delta",
        '{"text":"héllo 世界 🎉"}',
        None,
        None,
        b"event: content_block_delta\r\n"
        b'data: {"text":"h\xc3\xa9llo \xe4\xb8\x96\xe7\x95\x8c \xf0\x9f\x8e\x89"}\r\n\r\n',
    ),
    SSEEvent(
        None,
        "line one\nline two\n two spaces",
        None,
        None,
        b"data: line one\rdata:line two\rdata:  two spaces\r\r",
    ),
    SSEEvent(
        None, "", "42", 1500, b"id: 42\nretry: 1500\nfoo: ignored\n: a comment inside an event\ndata\n\n"
    ),
    SSEEvent(None, "[DONE]", None, None, b"data: [DONE]\n\n"),
    SSEEvent(None, "tail without blank line", None, None, b"data: tail without blank line"),
]


def parse_chunks(chunks: list[bytes]) -> tuple[list[SSEEvent], SSEParser]:
    parser = SSEParser()
    events: list[SSEEvent] = []
    for chunk in chunks:
        events.extend(parser.feed(chunk))
    events.extend(parser.close())
    return events, parser


def split_at(data: bytes, cuts: list[int]) -> list[bytes]:
    bounds = [0, *sorted(cuts), len(data)]
    return [data[a:b] for a, b in itertools.pairwise(bounds)]


def test_mixed_stream_whole():
    events, parser = parse_chunks([MIXED])
    # The BOM belongs to no event: the first block (a comment) is discarded along with it.
    assert events == MIXED_EXPECTED
    # comment lines: OPENROUTER PROCESSING, the in-event comment, keep-alive; bare blank lines: 2 after ping
    assert parser.comments == 5
    assert parser.last_event_id == "42"
    assert parser.retry == 1500


def test_every_two_way_split_gives_identical_events():
    reference, ref_parser = parse_chunks([MIXED])
    for i in range(len(MIXED) + 1):
        events, parser = parse_chunks([MIXED[:i], MIXED[i:]])
        assert events == reference, f"split at {i}"
        assert parser.comments == ref_parser.comments, f"split at {i}"


def test_byte_by_byte_feed():
    events, parser = parse_chunks([MIXED[i : i + 1] for i in range(len(MIXED))])
    assert events == MIXED_EXPECTED
    assert parser.comments == 5


def test_random_splits_with_fixed_seed():
    rng = random.Random(20240611)
    for _ in range(300):
        cuts = [rng.randint(0, len(MIXED)) for _ in range(rng.randint(1, 12))]
        events, parser = parse_chunks(split_at(MIXED, cuts))
        assert events == MIXED_EXPECTED, cuts
        assert parser.comments == 5


@pytest.mark.parametrize("eol", [b"\n", b"\r\n", b"\r"])
def test_line_endings_are_equivalent(eol: bytes):
    lines = [b"event: message_start", b'data: {"x":1}', b"", b": ping", b"", b"data: a", b"data: b", b"", b""]
    stream = eol.join(lines)
    events, _ = parse_chunks([stream])
    assert [(e.event, e.data) for e in events] == [("message_start", '{"x":1}'), (None, "a\nb")]
    assert events[0].raw == b"event: message_start" + eol + b'data: {"x":1}' + eol + eol
    # the same at every split point (CR then LF across chunks is one line break)
    for i in range(len(stream) + 1):
        assert parse_chunks([stream[:i], stream[i:]])[0] == events


def test_crlf_split_between_cr_and_lf_is_one_line_break():
    parser = SSEParser()
    assert parser.feed(b"data: x\r\n\r") == []  # the final CR may still be followed by LF
    out = parser.feed(b"\ndata: y\r\n\r\n")
    assert [(e.data, e.raw) for e in out] == [("x", b"data: x\r\n\r\n"), ("y", b"data: y\r\n\r\n")]
    assert parser.close() == []


def test_bare_cr_at_end_of_stream_is_flushed_by_close():
    parser = SSEParser()
    assert parser.feed(b"data: x\r\r") == []  # held: the last CR might be the first half of CRLF
    assert parser.feed(b"data: y\r") == [SSEEvent(None, "x", raw=b"data: x\r\r")]
    assert parser.close() == [SSEEvent(None, "y", raw=b"data: y\r")]


def test_raw_round_trip_of_an_openai_stream():
    chunks = [
        b'data: {"id":"c1","choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}\n\n',
        b'data: {"id":"c1","choices":[{"index":0,"delta":{"content":"Hel"}}]}\n\n',
        b'data: {"id":"c1","choices":[{"index":0,"delta":{"content":"lo"}}]}\n\n',
        b'data: {"id":"c1","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n',
        b"data: [DONE]\n\n",
    ]
    stream = b"".join(chunks)
    events, _ = parse_chunks([stream])
    assert [e.raw for e in events] == chunks
    assert b"".join(e.raw for e in events) == stream
    assert is_done(events[-1]) and not any(is_done(e) for e in events[:-1])
    rng = random.Random(7)
    for _ in range(50):
        cuts = [rng.randint(0, len(stream)) for _ in range(5)]
        assert b"".join(e.raw for e in parse_chunks(split_at(stream, cuts))[0]) == stream


def test_anthropic_named_events_with_ping_and_no_done():
    stream = (
        b'event: message_start\ndata: {"type":"message_start"}\n\n'
        b'event: content_block_start\ndata: {"type":"content_block_start","index":0}\n\n'
        b'event: ping\ndata: {"type": "ping"}\n\n'
        b'event: content_block_delta\ndata: {"type":"content_block_delta","delta":{"text":"Hi"}}\n\n'
        b'event: message_stop\ndata: {"type":"message_stop"}\n\n'
    )
    events, _ = parse_chunks([stream])
    assert [e.event for e in events] == [
        "message_start",
        "content_block_start",
        "ping",
        "content_block_delta",
        "message_stop",
    ]
    assert not any(is_done(e) for e in events)


def test_comments_and_blank_keep_alives_are_counted_not_emitted():
    parser = SSEParser()
    assert parser.feed(b": keep-alive\n\n: keep-alive\n\n") == []
    assert parser.comments == 2
    assert parser.feed(b"\n\n\n") == []  # DeepSeek-style blank lines
    assert parser.comments == 5
    out = parser.feed(b": OPENROUTER PROCESSING\n\ndata: {}\n\n")
    assert [e.data for e in out] == ["{}"]
    assert out[0].raw == b"data: {}\n\n"
    assert parser.comments == 6


def test_missing_final_blank_line_variants():
    for tail, raw in (
        (b"data: z", b"data: z"),
        (b"data: z\n", b"data: z\n"),
        (b"data: z\r\n", b"data: z\r\n"),
    ):
        parser = SSEParser()
        assert parser.feed(b"data: a\n\n" + tail) == [SSEEvent(None, "a", raw=b"data: a\n\n")]
        assert parser.close() == [SSEEvent(None, "z", raw=raw)]
    parser = SSEParser()
    parser.feed(b": only a comment")
    assert parser.close() == []
    assert parser.close() == []  # idempotent


def test_field_rules():
    stream = (
        b"data\n\n"  # no colon: field name with empty value
        b"data:\ndata:\n\n"  # two empty data lines -> "\n"
        b"Data: ignored (field names are case-sensitive)\ndata: kept\n\n"
        b"id: a\x00b\ndata: nul id ignored\n\n"
        b"retry: 12x\ndata: bad retry ignored\n\n"
        b"event:\ndata: empty event name\n\n"
        b"event: only-event-no-data\nid: 7\n\n"  # not dispatched, but the id is remembered
        b"data: after\n\n"
    )
    events, parser = parse_chunks([stream])
    assert [(e.event, e.data, e.id, e.retry) for e in events] == [
        (None, "", None, None),
        (None, "\n", None, None),
        (None, "kept", None, None),
        (None, "nul id ignored", None, None),
        (None, "bad retry ignored", None, None),
        (None, "empty event name", None, None),
        (None, "after", None, None),
    ]
    assert parser.last_event_id == "7"
    assert parser.retry is None


def test_invalid_utf8_is_replaced_not_raised():
    events, _ = parse_chunks([b"data: \xff\xfe ok\n\n"])
    assert events[0].data == "\ufffd\ufffd ok"


def test_feed_accepts_bytearray_and_memoryview_and_empty():
    parser = SSEParser()
    assert parser.feed(b"") == []
    assert parser.feed(bytearray(b"data: a\n")) == []
    assert [e.data for e in parser.feed(memoryview(b"\ndata: b\n\n"))] == ["a", "b"]


def test_partial_bom_then_data():
    events, _ = parse_chunks([b"\xef", b"\xbb", b"\xbfdata: x\n\n"])
    assert [e.data for e in events] == ["x"]
    events, _ = parse_chunks([b"\xef\xbbdata: x\n\n"])  # not a BOM: a bogus field name, ignored
    assert events == []


def test_many_events_in_one_chunk():
    stream = b"".join(b'data: {"i":%d}\n\n' % i for i in range(2000))
    events, _ = parse_chunks([stream])
    assert len(events) == 2000
    assert events[1234].data == '{"i":1234}'


@pytest.mark.parametrize(
    "data, done",
    [
        ("[DONE]", True),
        (" [DONE]", True),
        ("[DONE] ", True),
        ("\t[DONE]\r", True),
        ("[DONE]x", False),
        ("DONE", False),
        ("[done]", False),
        ("", False),
        ('{"done": "[DONE]"}', False),
    ],
)
def test_is_done(data: str, done: bool):
    assert is_done(SSEEvent(None, data)) is done
    assert is_done(data) is done


@pytest.mark.parametrize(
    "wire", [b"data: [DONE]\n\n", b"data:[DONE]\n\n", b"data:  [DONE] \r\n\r\n", b"data: [DONE]"]
)
def test_done_sentinel_on_the_wire(wire: bytes):
    events, _ = parse_chunks([wire])
    assert len(events) == 1 and is_done(events[0])
