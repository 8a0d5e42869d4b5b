"""The guess, before any parse, that a function's text leaves brackets open
(server/incremental.py): while it holds, typing is held without a parse."""

import pytest

from perfaudit.server.incremental import _open_brackets


@pytest.mark.parametrize("text", [
    b"{ const rows = await prisma.user.findMany({ where: { id } }); }",
    b"{ const s = '{ not a brace'; const t = \"(\"; }",
    b"{ const t = `a ${user.name} { b ${`${x}`} c`; }",
    b"{ // an open { in a comment\n return [1, 2]; }",
    b"{ /* ( [ { */ return f(a)[0]; }",
    b"{ const s = 'it\\'s'; }",
    b"{ return a / b / (c); }",
])
def test_paired(text):
    assert not _open_brackets(text)


@pytest.mark.parametrize("text", [
    b"{ const rows = await prisma.user.findMany({",
    b"{ for (c }",
    b"{ if (x) { }",
    b"{ } }",
    b"{ const t = `a ${x }",
    b"{ const t = `unterminated",
    b"{ /* unterminated }",
    b"{ f(a]; }",
])
def test_open(text):
    assert _open_brackets(text)
