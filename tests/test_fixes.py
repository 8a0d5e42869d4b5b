"""Bulk fix application: byte offsets, applicability, overlaps, syntax guard, convergence."""

from __future__ import annotations

from dataclasses import dataclass, field

from perfaudit.server.findings import Applicability, Edit, Finding, Fix
from perfaudit.server.fixes import apply_fixes, apply_fixes_detailed, fix_until_stable, syntax_validator

SAFE, UNSAFE, DISPLAY = Applicability.SAFE, Applicability.UNSAFE, Applicability.DISPLAY_ONLY


def b(text: str, needle: str, after: int = 0) -> int:
    """Byte offset of `needle` in `text`."""
    return len(text[: text.index(needle, after)].encode("utf-8"))


def finding(path, *fixes, code="P101"):
    return Finding(code=code, path=path, start=0, end=1, message="m", fixes=tuple(fixes))


def fix(path, *edits, app=SAFE, title="fix"):
    return Fix(title, app, tuple(Edit(path, s, e, t) for s, e, t in edits))


def test_edit_after_multibyte_text():
    text = "// Überprüfung 😀 読み\nconst u = await prisma.user.findMany({ where });\n"
    at = b(text, "{ where }") + 1
    out = apply_fixes({"a.ts": text}, [finding("a.ts", fix("a.ts", (at, at, " take: 100,")))], unsafe=False)
    assert out == {"a.ts": "// Überprüfung 😀 読み\nconst u = await prisma.user.findMany({ take: 100, where });\n"}


def test_replacement_and_several_files():
    ts = "const ü = prisma.post.findMany({ where: { authorId } });\n"
    schema = "model Post {\n  authorId String\n}\n"
    end = b(schema, "}")
    # one fix editing two files
    f = Finding("P105", "a.ts", 0, 1, "m", fixes=(Fix("Add @@index", SAFE, (
        Edit("schema.prisma", end, end, "\n  @@index([authorId])\n"),
        Edit("a.ts", b(ts, "ü"), b(ts, "ü") + len("ü".encode()), "posts"),
    )),))
    out = apply_fixes({"a.ts": ts, "schema.prisma": schema}, [f], unsafe=False)
    assert out["schema.prisma"] == "model Post {\n  authorId String\n\n  @@index([authorId])\n}\n"
    assert out["a.ts"].startswith("const posts = prisma")


def test_applicability():
    text = "abc"
    safe = finding("a", fix("a", (0, 1, "A")))
    unsafe = finding("a", fix("a", (1, 2, "B"), app=UNSAFE))
    display = finding("a", fix("a", (2, 3, "C"), app=DISPLAY))
    assert apply_fixes({"a": text}, [safe, unsafe, display], unsafe=False) == {"a": "Abc"}
    assert apply_fixes({"a": text}, [safe, unsafe, display], unsafe=True) == {"a": "ABc"}
    assert apply_fixes({"a": text}, [display], unsafe=True) == {}


def test_first_applicable_fix_is_used():
    f = finding("a", fix("a", (0, 1, "U"), app=UNSAFE), fix("a", (0, 1, "S")))
    assert apply_fixes({"a": "x"}, [f], unsafe=False) == {"a": "S"}
    assert apply_fixes({"a": "x"}, [f], unsafe=True) == {"a": "U"}


def test_overlapping_fix_is_deferred_to_the_next_pass():
    text = "0123456789"
    first = finding("a", fix("a", (2, 5, "X")))
    overlapping = finding("a", fix("a", (4, 7, "Y")))
    touching = finding("a", fix("a", (5, 5, "T")))
    separate = finding("a", fix("a", (8, 9, "Z")))
    outcome = apply_fixes_detailed({"a": text}, [first, overlapping, touching, separate], unsafe=False)
    assert outcome.texts == {"a": "01X567Z9"}
    assert outcome.applied == [first, separate]
    assert outcome.deferred == [overlapping, touching]


def test_identical_edits_from_two_findings_apply_once():
    schema = "model Post {\n  authorId String\n}\n"
    end = b(schema, "}")
    same = fix("s", (end, end, "  @@index([authorId])\n"))
    out = apply_fixes({"s": schema}, [finding("s", same), finding("s", same, code="P106")], unsafe=False)
    assert out == {"s": "model Post {\n  authorId String\n  @@index([authorId])\n}\n"}


def test_a_partial_overlap_drops_the_whole_multi_edit_fix():
    text = "aaaa bbbb cccc"
    first = finding("a", fix("a", (0, 4, "A")))
    multi = finding("a", fix("a", (5, 9, "B"), (2, 3, "!")))
    out = apply_fixes_detailed({"a": text}, [first, multi], unsafe=False)
    assert out.texts == {"a": "A bbbb cccc"} and out.deferred == [multi]


def test_invalid_edits_are_rejected():
    text = "ñ"  # two bytes
    outside = finding("a", fix("a", (0, 9, "x")))
    mid_char = finding("a", fix("a", (1, 2, "x")))
    unknown_file = finding("a", fix("b", (0, 0, "x")))
    outcome = apply_fixes_detailed({"a": text}, [outside, mid_char, unknown_file], unsafe=False)
    assert outcome.texts == {} and len(outcome.rejected) == 3


def test_unchanged_text_is_not_returned():
    assert apply_fixes({"a": "x"}, [finding("a", fix("a", (0, 1, "x")))], unsafe=False) == {}


def test_syntax_validator_rejects_a_fix_that_breaks_the_file():
    text = "const a = f({ where });\nconst b = g();\n"
    good = finding("a.ts", fix("a.ts", (b(text, "where"), b(text, "where"), "take: 1, ")))
    bad = finding("a.ts", fix("a.ts", (b(text, "g()"), b(text, "g()") + 3, "g(((")))
    outcome = apply_fixes_detailed({"a.ts": text}, [good, bad], unsafe=False, validate=syntax_validator)
    assert outcome.texts == {"a.ts": "const a = f({ take: 1, where });\nconst b = g();\n"}
    assert outcome.rejected == [bad] and outcome.applied == [good]
    # non-source files are not parsed
    assert syntax_validator("schema.prisma", "model A {}", "model A {")
    # a file that was already broken may stay as broken, not become worse
    assert syntax_validator("a.ts", "const = ;", "const = ; // note")


@dataclass
class FakeWorkspace:
    texts: dict[str, str]

    def text_of(self, path):
        return self.texts[path]

    def data_of(self, path):
        return self.texts[path].encode("utf-8")


@dataclass
class FakeResult:
    workspace: FakeWorkspace
    findings: list = field(default_factory=list)
    root: str = "/w"
    skipped: list = field(default_factory=list)


def test_fix_until_stable_reanalyses_and_converges():
    """A toy rule: every `findMany()` without `take` gets `{ take: 100 }`; the
    second fix overlaps the first in pass one and lands in pass two."""
    files = {"a.ts": "x.findMany();x.findMany();\n"}

    def analyze():
        text = files["a.ts"]
        findings = []
        start = 0
        while (i := text.find("findMany()", start)) != -1:
            # "x.findMany();" and the character after it: neighbours overlap by one
            start_b = len(text[: i - 2].encode())
            tail = text[i + 11 : i + 12]
            findings.append(Finding("P102", "a.ts", start_b, start_b + 1, "no take", fixes=(
                Fix("Add take", SAFE, (Edit("a.ts", start_b, start_b + 13 + len(tail.encode()), "x.findMany({ take: 100 });" + tail),)),
            )))
            start = i + 1
        return FakeResult(FakeWorkspace(dict(files)), findings)

    writes = []

    def write(texts):
        writes.append(texts)
        files.update(texts)

    run = fix_until_stable(analyze, write, unsafe=False)
    assert files["a.ts"] == "x.findMany({ take: 100 });x.findMany({ take: 100 });\n"
    assert run.applied == 2 and run.passes == 2 and run.changed == {"a.ts"}
    assert run.result.findings == []
    # a second --fix changes nothing
    again = fix_until_stable(analyze, write, unsafe=False)
    assert again.applied == 0 and again.passes == 0 and len(writes) == 2


def test_fix_until_stable_stops_after_max_passes():
    files = {"a.ts": "x"}

    def analyze():  # a rule that never converges
        return FakeResult(FakeWorkspace(dict(files)), [finding("a.ts", fix("a.ts", (0, 0, "x")))])

    run = fix_until_stable(analyze, files.update, unsafe=False, max_passes=3, validate=None)
    assert run.passes == 3 and files["a.ts"] == "xxxx"
