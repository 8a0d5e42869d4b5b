"""Suppression comments: parsing, scope, unknown codes' byte ranges, the insert edit."""

from __future__ import annotations

import pytest

from perfaudit.server import registry
from perfaudit.server.rule import Rule
from perfaudit.server.suppress import parse_suppressions, suppression_comment_edit


@pytest.fixture(autouse=True)
def fake_registry(monkeypatch):
    rules = {
        r.code: r
        for r in [
            Rule("P101", "prisma-no-select", ""),
            Rule("P104", "prisma-query-in-loop", ""),
            Rule("R201", "redis-set-without-ttl", ""),
            registry.UNKNOWN_SUPPRESSION,
        ]
    }
    monkeypatch.setattr(registry, "all_rules", lambda: rules)


def test_next_line_with_codes():
    text = (
        "async function f() {\n"
        "  // perfaudit-ignore-next-line P104, R201\n"
        "  for (const x of xs) await prisma.user.create({ data: x });\n"
        "  await redis.set(k, v);\n"
        "}\n"
    )
    s = parse_suppressions(text)
    assert s.is_suppressed("P104", 2)
    assert s.is_suppressed("R201", 2)
    assert not s.is_suppressed("P101", 2)
    assert not s.is_suppressed("R201", 3)
    assert not s.is_suppressed("P104", 1)


def test_next_line_without_code_suppresses_all():
    s = parse_suppressions("// perfaudit-ignore-next-line\nprisma.user.findMany();\nprisma.user.findMany();\n")
    assert s.is_suppressed("P101", 1) and s.is_suppressed("ANY", 1)
    assert not s.is_suppressed("P101", 2)


def test_stacked_next_line_comments_apply_to_the_code_line():
    s = parse_suppressions(
        "x();\n// perfaudit-ignore-next-line P101\n// perfaudit-ignore-next-line P104\nprisma.user.findMany();\n"
    )
    assert s.is_suppressed("P101", 3) and s.is_suppressed("P104", 3)


def test_codes_by_name_space_separated_and_with_reason():
    s = parse_suppressions("// perfaudit-ignore-next-line prisma-no-select p104 -- tiny table, R201\nq();\n")
    assert s.is_suppressed("P101", 1)
    assert s.is_suppressed("P104", 1)
    assert not s.is_suppressed("R201", 1)  # after `--`: a reason, not a code
    assert [c for _, _, c in s.codes_with_ranges] == ["P101", "P104"]


def test_not_a_directive():
    s = parse_suppressions(
        'const s = "// perfaudit-ignore-next-line";\nq();\n// perfaudit-ignore-next-lines P101\nq();\n'
    )
    assert not s.is_suppressed("P101", 1)
    assert not s.is_suppressed("P101", 3)
    assert s.codes_with_ranges == []


def test_ignore_file_in_leading_comment_block():
    text = (
        "#!/usr/bin/env node\n"
        "/**\n * Copyright\n * perfaudit-ignore-file P104\n */\n"
        "\n"
        "// perfaudit-ignore-file P101\n"
        "import { prisma } from './db';\n"
        "// perfaudit-ignore-file R201\n"
        "prisma.user.findMany();\n"
    )
    s = parse_suppressions(text)
    assert s.is_suppressed("P101", 9)
    assert s.is_suppressed("P101", 0)
    assert not s.is_suppressed("R201", 9)  # below the first line of code: inactive
    assert not s.is_suppressed("P104", 9)  # inside a block comment is not a `//` directive
    # inactive directives still expose their codes (so typos are reported)
    assert [c for _, _, c in s.codes_with_ranges] == ["P101", "R201"]


def test_ignore_file_without_code_and_after_block_comment_on_one_line():
    s = parse_suppressions("/* header */ // perfaudit-ignore-file\n// perfaudit-ignore-file\nx();\n")
    assert s.is_suppressed("P101", 2) and s.suppresses_file


def test_prisma_schema_file():
    text = (
        "// perfaudit-ignore-file P106\n"
        "model Post {\n"
        "  id String @id\n"
        "  // perfaudit-ignore-next-line P105\n"
        "  authorId String\n"
        "}\n"
    )
    s = parse_suppressions(text)
    assert s.is_suppressed("P106", 4)
    assert s.is_suppressed("P105", 4)
    assert not s.is_suppressed("P105", 2)


def test_crlf_and_lone_cr_line_numbers():
    crlf = "a();\r\n// perfaudit-ignore-next-line P101\r\nprisma.user.findMany();\r\nb();\r\n"
    s = parse_suppressions(crlf)
    assert s.is_suppressed("P101", 2) and not s.is_suppressed("P101", 3)
    # the CR is not part of the code token
    (start, end, code), = s.codes_with_ranges
    assert crlf.encode()[start:end] == b"P101" and code == "P101"
    cr = "a();\r// perfaudit-ignore-next-line P101\rq();\r"
    assert parse_suppressions(cr).is_suppressed("P101", 2)


def test_unknown_code_byte_offsets_after_non_ascii_text():
    text = (
        "// Überprüfung der Leselisten — 読みリスト 😀\n"
        "const s = 'ñ'; // perfaudit-ignore-next-line P101\n"  # trailing: not a directive
        "  // perfaudit-ignore-next-line P104, P999,  prisma-nope -- 理由\n"
        "  await Promise.all(items.map((i) => prisma.item.create({ data: i })));\n"
    )
    s = parse_suppressions(text)
    data = text.encode("utf-8")
    got = [(data[a:b].decode(), code) for a, b, code in s.codes_with_ranges]
    assert got == [("P104", "P104"), ("P999", "P999"), ("prisma-nope", "prisma-nope")]
    unknown = s.unknown_codes()
    assert [c for _, _, c in unknown] == ["P999", "prisma-nope"]
    for start, end, code in unknown:
        assert data[start:end].decode() == code
    assert s.is_suppressed("P104", 3)


def test_no_directives_fast_path():
    s = parse_suppressions("const a = 1;\n")
    assert s.codes_with_ranges == [] and not s.is_suppressed("P101", 0)


# --- the edit the "suppress" code action inserts --------------------------------------


def apply(text: str, edit) -> str:
    offset, new = edit
    data = text.encode("utf-8")
    return (data[:offset] + new.encode("utf-8") + data[offset:]).decode("utf-8")


def test_edit_inserts_a_comment_with_indentation():
    text = "function f() {\n    const u = await prisma.user.findMany();\n}\n"
    out = apply(text, suppression_comment_edit(text, 1, "P101"))
    assert out == "function f() {\n    // perfaudit-ignore-next-line P101\n    const u = await prisma.user.findMany();\n}\n"
    assert parse_suppressions(out).is_suppressed("P101", 2)


def test_edit_keeps_crlf_and_tabs_and_non_ascii():
    text = "// ñandú 😀\r\nfunction f() {\r\n\tconst u = await prisma.user.findMany();\r\n}\r\n"
    out = apply(text, suppression_comment_edit(text, 2, "P102"))
    assert out == "// ñandú 😀\r\nfunction f() {\r\n\t// perfaudit-ignore-next-line P102\r\n\tconst u = await prisma.user.findMany();\r\n}\r\n"


def test_edit_appends_to_an_existing_comment():
    text = "  // perfaudit-ignore-next-line P101 -- small table\n  q();\n"
    out = apply(text, suppression_comment_edit(text, 1, "P104"))
    assert out == "  // perfaudit-ignore-next-line P101, P104 -- small table\n  q();\n"
    assert suppression_comment_edit(out, 1, "P104") is None  # already there
    assert suppression_comment_edit("// perfaudit-ignore-next-line\nq();\n", 1, "P101") is None  # all codes


def test_edit_on_first_line_of_a_file_without_newline():
    out = apply("q()", suppression_comment_edit("q()", 0, "P101"))
    assert out == "// perfaudit-ignore-next-line P101\nq()"
