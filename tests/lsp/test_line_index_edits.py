"""The line index kept up to date edit by edit equals one built afresh."""

from hypothesis import given, settings
from hypothesis import strategies as st

from perfaudit.server.analysis.text import LineIndex
from perfaudit.server.lsp.documents import edited_line_index, fast_line_index

TEXT = st.text(alphabet="ab\r\né👍", max_size=40).map(lambda t: t.encode("utf-8"))


@settings(max_examples=500, deadline=None)
@given(before=TEXT, inserted=TEXT, cut=st.tuples(st.floats(0, 1), st.floats(0, 1)))
def test_an_edited_index_equals_a_fresh_one(before, inserted, cut):
    a, b = sorted(int(x * len(before)) for x in cut)
    after = before[:a] + inserted + before[b:]
    edited = edited_line_index(fast_line_index(before), after, a, b, len(inserted))
    assert edited.line_starts == LineIndex(after).line_starts
    assert edited.data is after


def test_fast_index_equals_the_reference_at_every_line_break_kind():
    for data in (b"", b"a", b"a\n", b"a\r\nb", b"a\rb\r", b"\n\n", b"x\r\n\r\ny", b"\r"):
        assert fast_line_index(data).line_starts == LineIndex(data).line_starts
