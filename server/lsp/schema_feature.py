"""In `.prisma` files: how the code queries each model and field.

Hover on a model or field name shows the query sites, the filters and sorts,
and which index serves each (or the `@@index` to add); a code lens on each
model says "N query sites, K unindexed filters". The content comes from pure
functions over the engine's `Workspace` (`schema_hover`, `schema_lenses`),
so it is tested without LSP; `register(server)` wires the code lens, and
`hover(session, uri, position)` is what the server's hover handler calls for
schema documents (a method has one handler in pygls).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from perfaudit.server.prisma.index_advisor import MIGRATE_HINT, advisor_for, p105_options
from perfaudit.server.prisma import schema_file as prisma_schema_file

MAX_SITES = 10


@dataclass(frozen=True)
class SchemaLens:
    model: str
    start: int  # the model's name, bytes
    end: int
    title: str


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _min_sites(ws) -> float:
    options = p105_options(ws)
    return options.get("min-sites", 1) if options is not None else 1


def _located(ws, path: str):
    schema, schema_file = prisma_schema_file(ws, path)
    if schema is None or schema_file is None:
        return None, None
    return schema, advisor_for(ws).usage(schema)


def schema_lenses(ws, path: str) -> list[SchemaLens]:
    """One lens per model of the schema file at `path`."""
    schema, usage = _located(ws, path)
    if schema is None:
        return []
    min_sites = _min_sites(ws)
    out = []
    for model in schema.file(path).models:
        model_usage = usage.models.get(model.name)
        if model.kind != "model" or model_usage is None:
            continue
        n = len(model_usage.sites)
        k = len(model_usage.unindexed(min_sites))
        out.append(SchemaLens(model.name, model.name_start, model.name_end,
                              f"{_plural(n, 'query site')}, {_plural(k, 'unindexed filter')}{_rows(ws.root, model.name)}"))
    return out


def _rows(root: str, model: str) -> str:
    """', 200 k rows' from the saved `perfaudit explain` results, else ''."""
    from perfaudit.server.postgres.results import load, table_rows
    from perfaudit.server.postgres.verdicts import human_rows

    rows = table_rows(load(root), model)
    return f", {human_rows(rows)} rows" if rows is not None else ""


def _site_line(ws, site) -> str:
    line = ws.line_index(site.path).line_of(site.start) + 1
    return f"`{site.op}` in {ws.relpath(site.path)}:{line}"


def _planner(root: str, need) -> str:
    """What the saved `perfaudit explain` results say about an unserved need."""
    from perfaudit.server.postgres.results import index_result, load

    entry = index_result(load(root), need.model, need.columns)
    if entry is None:
        return ""
    before, after = entry.get("before") or {}, entry.get("after")
    cost = f"cost {before.get('cost', 0):,.2f}" + (f" -> {after.get('cost', 0):,.2f}" if after else "")
    return f" (planner: **{entry.get('verdict')}**, {cost})"


def _describe_need(need, root: str = "") -> str:
    parts = []
    if need.eq:
        ordered = [c for c in need.columns if c in need.eq]
        parts.append("where " + ", ".join(f"`{c}`" for c in ordered))
    if need.slot:
        parts.append(("range on " if need.slot_is_range else "sorted by ") + f"`{need.slot}`")
    head = "; ".join(parts)
    sites = len({(s.path, s.start) for s, _ in need.sites})
    ix = need.served_by
    shown = f"`@@{ix.kind}([{', '.join(ix.fields)}])`" if ix is not None else ""
    if need.coverage == "full":
        verdict = f"served by {shown}"
    elif need.sort_unserved:
        verdict = (f"{shown} serves the filter but not the sort; "
                   f"`@@index([{', '.join(need.columns)}])` serves both")
    elif need.coverage == "partial":
        verdict = f"partly served by {shown}; `@@index([{', '.join(need.columns)}])` would serve it fully"
    else:
        verdict = f"**no index**: add `@@index([{', '.join(need.columns)}])`{_planner(root, need)}"
    return f"- {head} ({_plural(sites, 'site')}): {verdict}"


def _hover_model(ws, model, model_usage, min_sites) -> str:
    lines = [f"**{model.name}**: {_plural(len(model_usage.sites), 'query site')}, "
             f"{_plural(len(model_usage.unindexed(min_sites)), 'unindexed filter')}"]
    if model_usage.needs:
        lines.append("")
        lines.extend(_describe_need(n, ws.root) for n in model_usage.needs)
    if model_usage.sites:
        lines.append("")
        lines.append("Query sites:")
        lines.extend(f"- {_site_line(ws, s)}" for s in model_usage.sites[:MAX_SITES])
        if len(model_usage.sites) > MAX_SITES:
            lines.append(f"- ... and {len(model_usage.sites) - MAX_SITES} more")
    if model_usage.unindexed(min_sites):
        lines += ["", MIGRATE_HINT]
    return "\n".join(lines)


def _hover_field(ws, model, field, model_usage, min_sites) -> str:
    kinds = Counter()
    sites = []
    for site in model_usage.sites:
        hits = {u.kind for u in site.uses if u.model == model.name and u.field == field.name}
        if hits:
            sites.append(site)
            kinds.update(hits)
    lines = [f"**{model.name}.{field.name}**: used by {_plural(len(sites), 'query site')}"]
    if kinds:
        lines.append("; ".join(f"{kind} in {_plural(n, 'site')}" for kind, n in sorted(kinds.items())))
    needs = [n for n in model_usage.needs if field.name in n.columns]
    if needs:
        lines.append("")
        lines.extend(_describe_need(n, ws.root) for n in needs)
    if sites:
        lines.append("")
        lines.extend(f"- {_site_line(ws, s)}" for s in sites[:MAX_SITES])
    if any(n.coverage == "none" and n.weight >= min_sites for n in needs):
        lines += ["", MIGRATE_HINT]
    return "\n".join(lines)


def schema_hover(ws, path: str, offset: int) -> str | None:
    """Markdown for the model or field name at `offset` in a schema file."""
    schema, usage = _located(ws, path)
    if schema is None:
        return None
    min_sites = _min_sites(ws)
    for model in schema.file(path).models:
        if not model.start <= offset <= model.end or model.kind != "model":
            continue
        model_usage = usage.models.get(model.name)
        if model_usage is None:
            return None
        if model.name_start <= offset <= model.name_end:
            return _hover_model(ws, model, model_usage, min_sites)
        for field in model.fields:
            if field.name_start <= offset <= field.name_end and not schema.is_model(field.type):
                return _hover_field(ws, model, field, model_usage, min_sites)
    return None


# ---------------------------------------------------------------- LSP wiring


def hover(session, uri: str, position):
    """The hover for a schema document, or None (not a schema, nothing there)."""
    from lsprotocol import types

    from perfaudit.server.lsp.convert import uri_to_path

    path = uri_to_path(uri)
    if path is None or not path.endswith(".prisma"):
        return None
    ws = session.root_for(path).ws
    index = session.index_of(path)
    offset = index.offset(position.line, position.character, session.encoding)
    text = schema_hover(ws, path, offset)
    if text is None:
        return None
    return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=text))


def code_lenses(session, uri: str) -> list:
    from lsprotocol import types

    from perfaudit.server.lsp.convert import to_range, uri_to_path

    path = uri_to_path(uri)
    if path is None or not path.endswith(".prisma"):
        return []
    ws = session.root_for(path).ws
    index = session.index_of(path)
    return [
        types.CodeLens(range=to_range(index, lens.start, lens.end, session.encoding),
                       command=types.Command(title=lens.title, command=""))
        for lens in schema_lenses(ws, path)
    ]


def register(server) -> None:
    """Add the schema code lens to a pygls LanguageServer whose `session` is a
    `Session`. Hover goes through the server's own hover handler: call
    `hover(session, uri, position)` there for `.prisma` documents."""
    from lsprotocol import types

    @server.feature(types.TEXT_DOCUMENT_CODE_LENS, types.CodeLensOptions(resolve_provider=False))
    def on_code_lens(ls, params: types.CodeLensParams):
        return code_lenses(ls.session, params.text_document.uri) or None
