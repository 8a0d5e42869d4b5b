"""Bad input never stops a run: it is skipped and reported, the rest is checked."""

import json
import os

from helpers import APP_SCHEMA, write_files
from perfaudit.command_line import main

SERVICE = """\
import { PrismaClient } from '@prisma/client';
const prisma = new PrismaClient();

// Liste des lectures — café ☕ 😀
export async function lists(ownerId: string) {
  return prisma.readList.findMany({ where: { ownerId }, select: { id: true } });
}

export async function commentCount(userId: string) {
  return prisma.user.findUnique({ where: { id: userId }, select: { _count: { select: { comments: true } } } });
}
"""


def test_a_messy_workspace_is_checked_and_what_was_skipped_is_said(tmp_path, capsys):
    broken_schema = APP_SCHEMA.replace("model Comment {", "model Half {\n  id String @id\n  name Str\n\nmodel Comment {", 1)
    write_files(tmp_path, {
        "prisma/schema.prisma": broken_schema,
        "src/lists.service.ts": SERVICE.replace("\n", "\r\n"),  # CRLF
    })
    src = tmp_path / "src"
    (src / "vendor.min.js").write_text("var a=1;" * 1_300_000)  # a 10 MB bundle
    (src / "legacy.ts").write_bytes("// r\xe9sum\xe9\nexport const x = 1;\n".encode("latin-1"))
    (src / "logo.ts").write_bytes(bytes(range(256)) * 10)  # binary
    os.symlink(src / "missing.ts", src / "dangling.ts")  # unreadable
    os.mkfifo(src / "pipe.ts")  # would block a naive reader

    code = main(["check", str(tmp_path), "--format", "json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 1
    skipped = {s["path"]: s["reason"] for s in data["skipped"]}
    assert skipped["src/vendor.min.js"].startswith("larger than 1 MB")
    assert skipped["src/legacy.ts"] == "binary or not UTF-8"
    assert skipped["src/logo.ts"] == "binary or not UTF-8"
    assert skipped["src/dangling.ts"].startswith("unreadable")
    assert skipped["src/pipe.ts"] == "not a regular file"
    # The CRLF file with non-ASCII comments is analysed, positions exact:
    # P102 on line 6 (0-based 5), at the query call after two spaces and `return `.
    p102 = [f for f in data["findings"] if f["code"] == "P102"]
    assert [(f["path"], f["range"]["start"]) for f in p102] == [("src/lists.service.ts", {"line": 5, "character": 9})]
    # The half-typed model does not lose the model after it: Comment's
    # unindexed foreign key (which `commentCount` counts through) is found,
    # its indexed one is not.
    p106 = " ".join(f["message"] for f in data["findings"] if f["code"] == "P106")
    assert "`Comment.userId`" in p106 and "`Comment.postId`" not in p106


def test_only_unreadable_input_exits_0_and_says_so(tmp_path, capsys):
    (tmp_path / "bundle.js").write_text("x=" + "1" * 2_000_000)
    assert main(["check", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "bundle.js" in out and "larger than 1 MB" in out
