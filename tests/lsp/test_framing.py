"""The frame reader on its own: split reads, corrupt frames, resynchronising."""

import json

from perfaudit.server.lsp.framing import Framer


def _frame(obj, length=None) -> bytes:
    body = json.dumps(obj).encode()
    return b"Content-Length: %d\r\n\r\n" % (len(body) if length is None else length) + body


def _bodies(frames):
    return [json.loads(f.body) for f in frames if f.body is not None]


def test_messages_split_at_every_byte_come_out_whole():
    stream = _frame({"id": 1, "text": "é 👍"}) + _frame({"id": 2})
    framer = Framer()
    frames = []
    for i in range(len(stream)):
        frames += framer.feed(stream[i : i + 1])
    assert _bodies(frames) == [{"id": 1, "text": "é 👍"}, {"id": 2}]
    assert not [f for f in frames if f.problem]


def test_a_header_in_a_body_string_is_only_text():
    # Escaped line breaks: a body can mention the header without ending.
    obj = {"id": 1, "text": "Content-Length: 12\r\n\r\n{}"}
    assert _bodies(Framer().feed(_frame(obj))) == [obj]


def test_junk_then_a_header_split_across_reads_resynchronises():
    framer = Framer()
    first = framer.feed(b"}} junk Content-Le")
    rest = framer.feed(b"ngth: 9\r\n\r\n{\"id\": 3}")
    assert [f.problem for f in first] == ["unexpected bytes between messages"]
    assert _bodies(rest) == [{"id": 3}]


def test_a_body_cut_short_by_a_wrong_length_is_kept_when_whole():
    framer = Framer()
    frames = framer.feed(_frame({"id": 1}, length=500) + _frame({"id": 2}))
    assert _bodies(frames) == [{"id": 1}, {"id": 2}]
    assert frames[0].problem == "Content-Length larger than the message"


def test_an_absurd_length_is_dropped_not_buffered():
    frames = Framer().feed(b"Content-Length: 99999999999999\r\n\r\n{}" + _frame({"id": 2}))
    assert _bodies(frames) == [{"id": 2}]
    assert "too large" in frames[0].problem


def test_junk_without_any_header_is_not_kept():
    framer = Framer()
    for _ in range(100):
        framer.feed(b"x" * 1000 + b"\n")
    assert len(framer.buf) < 100


from hypothesis import given, settings
from hypothesis import strategies as st


@settings(max_examples=200, deadline=None)
@given(junk=st.binary(max_size=200), cuts=st.lists(st.integers(min_value=1, max_value=50), max_size=30))
def test_any_junk_then_a_message_in_any_pieces_ends_with_that_message(junk, cuts):
    stream = junk + b"\r\n" + _frame({"id": "last"})
    framer = Framer()
    frames, at = [], 0
    for cut in cuts:
        frames += framer.feed(stream[at : at + cut])
        at += cut
    frames += framer.feed(stream[at:])
    # The junk may swallow nothing after it: the last message always arrives.
    assert _bodies(frames)[-1:] == [{"id": "last"}]
