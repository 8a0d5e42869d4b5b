"""Shared test helpers: build realistic workspaces in a temp dir and run rules."""

from __future__ import annotations

import textwrap
from pathlib import Path

from perfaudit.server.engine import analyze
from perfaudit.server.analysis.workspace import Workspace

# A schema like a real read-list app's, used where a test does not bring its own.
APP_SCHEMA = """\
datasource db {
  provider = "postgresql"
  url      = env("DATABASE_URL")
}

generator client {
  provider = "prisma-client-js"
}

enum Role {
  USER
  ADMIN
}

model User {
  id        String     @id @default(cuid())
  email     String     @unique
  name      String?
  role      Role       @default(USER)
  createdAt DateTime   @default(now())
  posts     Post[]
  readLists ReadList[]
  comments  Comment[]
}

model Post {
  id          String    @id @default(cuid())
  title       String
  body        String
  published   Boolean   @default(false)
  authorId    String
  author      User      @relation(fields: [authorId], references: [id])
  comments    Comment[]
  createdAt   DateTime  @default(now())

  @@index([authorId, createdAt])
}

model Comment {
  id        String   @id @default(cuid())
  text      String
  postId    String
  post      Post     @relation(fields: [postId], references: [id])
  userId    String
  user      User     @relation(fields: [userId], references: [id])
  createdAt DateTime @default(now())

  @@index([postId])
}

model ReadList {
  id        String         @id @default(cuid())
  name      String
  ownerId   String
  owner     User           @relation(fields: [ownerId], references: [id])
  items     ReadListItem[]
  createdAt DateTime       @default(now())

  @@index([ownerId])
}

model ReadListItem {
  id         String   @id @default(cuid())
  readListId String
  readList   ReadList @relation(fields: [readListId], references: [id])
  url        String
  title      String
  position   Int
  addedAt    DateTime @default(now())

  @@index([readListId, position])
}
"""


def write_files(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(textwrap.dedent(text) if not text.startswith("\n") else textwrap.dedent(text[1:]), encoding="utf-8", newline="")


def with_schema(files: dict[str, str]) -> dict[str, str]:
    if not any(k.endswith(".prisma") for k in files):
        files = {"prisma/schema.prisma": APP_SCHEMA, **files}
    return files


def make_workspace(tmp_path: Path, files: dict[str, str], schema: bool = True) -> Workspace:
    write_files(tmp_path, with_schema(files) if schema else files)
    ws = Workspace(str(tmp_path))
    ws.load()
    return ws


def run_rules(tmp_path: Path, files: dict[str, str], codes: list[str] | str, schema: bool = True, options=None):
    """Findings of the given rule codes on a workspace made of `files`."""
    codes = [codes] if isinstance(codes, str) else list(codes)
    write_files(tmp_path, with_schema(files) if schema else files)
    config = None
    try:
        from perfaudit.server.config import Config

        config = Config(select=codes)
        if options:
            config.options.update(options)
    except ImportError:
        pass
    result = analyze(str(tmp_path), None, config)
    return [f for f in result.findings if f.code in codes]


def location(ws_or_result, finding) -> tuple[str, int]:
    """(path relative to the root, 1-based line) of a finding."""
    ws = getattr(ws_or_result, "workspace", ws_or_result)
    line = ws.line_index(finding.path).line_of(finding.start) + 1
    return ws.relpath(finding.path), line


def lines_of(tmp_path: Path, findings) -> list[tuple[str, int, str]]:
    """Sorted (relative path, 1-based line, code) of findings, reading files from disk."""
    from perfaudit.server.analysis.text import LineIndex

    out = []
    for f in findings:
        data = Path(f.path).read_bytes()
        out.append((Path(f.path).relative_to(tmp_path).as_posix(), LineIndex(data).line_of(f.start) + 1, f.code))
    return sorted(out)


def line_containing(text: str, needle: str) -> int:
    """1-based number of the first line of `text` (dedented like write_files) containing `needle`."""
    text = textwrap.dedent(text[1:] if text.startswith("\n") else text)
    for i, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return i
    raise AssertionError(f"{needle!r} not in text")


def apply_fix(finding, index: int = 0) -> str:
    """The text of the finding's file after its fix number `index` (edits in that file)."""
    data = Path(finding.path).read_bytes()
    edits = [e for e in finding.fixes[index].edits if e.path == finding.path]
    for e in sorted(edits, key=lambda e: e.start, reverse=True):
        data = data[: e.start] + e.new_text.encode() + data[e.end :]
    return data.decode()


def parses(text: str, language: str = "typescript") -> bool:
    """True when tree-sitter reads `text` with no ERROR or MISSING node."""
    from perfaudit.server.analysis.parsing import parse

    return not parse(text.encode(), language).root_node.has_error
