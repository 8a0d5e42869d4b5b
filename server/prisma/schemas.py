"""The workspace's Prisma schemas: found and parsed once (`ties` says
which one each query runs against).

`.prisma` files are side documents of the workspace (registered in
`perfaudit.server.prisma`); what is parsed from them is kept in the
workspace's `derived` table until one of them changes.
"""

from __future__ import annotations

import os

from perfaudit.server.analysis.workspace import Workspace, norm
from perfaudit.server.prisma.discovery import discover_schemas
from perfaudit.server.prisma.schema import Schema, SchemaFile
from perfaudit.server.prisma.schema_parser import parse_schema_file


def schemas(ws: Workspace) -> list[Schema]:
    return ws.derive("prisma.schemas", _build_schemas)


def schema_file(ws: Workspace, path: str) -> tuple[Schema | None, SchemaFile | None]:
    path = norm(path)
    for schema in schemas(ws):
        f = schema.file(path)
        if f is not None:
            return schema, f
    return None, None


def _build_schemas(ws: Workspace) -> list[Schema]:
    locations = discover_schemas(ws.root, exclude_dir=ws.is_skipped_dir)
    found: list[Schema] = []
    seen: set[str] = set()
    for loc in locations:
        files = []
        for p in loc.paths:
            p = norm(p)
            seen.add(p)
            text = ws.side_texts.get(p)
            if text is None:
                text = ws.read_text(p)
                if text is None:
                    continue
                ws.side_texts[p] = text
            files.append(parse_schema_file(p, text))
        if files:
            found.append(Schema.from_files(norm(loc.root), files))
    # Open schema documents that discovery does not know still count.
    for p, text in ws.side_texts.items():
        if p not in seen and p.endswith(".prisma"):
            parent = os.path.dirname(p)
            root = os.path.dirname(parent) if os.path.basename(parent) == "prisma" else parent
            found.append(Schema.from_files(root, [parse_schema_file(p, text)]))
    return found
