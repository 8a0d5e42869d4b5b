"""Code actions: each finding's fixes, a suppression comment, fix-all.

Fixes come from the diagnostic's `data` (converted when the finding was
published), so no second analysis runs. Edits carry the document versions
they were computed for: a client applying them to a newer text refuses.
"""

from __future__ import annotations

from lsprotocol import types

from perfaudit.server.fixes import apply_fixes_detailed
from perfaudit.server.suppress import suppression_comment_edit

from perfaudit.server.lsp import convert

FIX_ALL_KIND = "source.fixAll.perfaudit"


def kind_wanted(only, kind: str) -> bool:
    if not only:
        return kind != FIX_ALL_KIND  # source actions only when asked for
    return any(kind == k or kind.startswith(f"{k}.") for k in only)


class EditBuilder:
    """A WorkspaceEdit, with versioned document edits when the client takes them."""

    def __init__(self, document_changes: bool):
        self.document_changes = document_changes
        self._edits: dict[str, tuple[int | None, list[types.TextEdit]]] = {}

    def add(self, uri: str, version: int | None, rng: types.Range, new_text: str) -> None:
        _, edits = self._edits.setdefault(uri, (version, []))
        edits.append(types.TextEdit(range=rng, new_text=new_text))

    def build(self) -> types.WorkspaceEdit:
        if self.document_changes:
            return types.WorkspaceEdit(document_changes=[
                types.TextDocumentEdit(
                    text_document=types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version),
                    edits=edits,
                )
                for uri, (version, edits) in self._edits.items()
            ])
        return types.WorkspaceEdit(changes={uri: edits for uri, (_, edits) in self._edits.items()})


def _fix_title(fix: dict) -> str:
    title = fix["title"]
    if fix.get("applicability") == "unsafe" and "unsafe" not in title.lower():
        return f"{title} (unsafe: may change behaviour)"
    return title


def _fixes_of(session, uri: str, diag: types.Diagnostic) -> list[dict]:
    data = diag.data if isinstance(diag.data, dict) else None
    if data is not None and "fixes" in data:
        return data["fixes"]
    # A client that drops `data`: find the diagnostic we published.
    report = session.reports.get(uri)
    for published in report.diagnostics if report else []:
        if published.code == diag.code and published.range == diag.range:
            return published.data.get("fixes", []) if isinstance(published.data, dict) else []
    return []


def code_actions(session, params: types.CodeActionParams, document_changes: bool) -> list[types.CodeAction]:
    uri = params.text_document.uri
    doc = session.documents.get(uri)
    if doc is None:
        return []
    only = params.context.only
    actions: list[types.CodeAction] = []
    if kind_wanted(only, types.CodeActionKind.QuickFix):
        ours = [d for d in params.context.diagnostics if d.source == convert.SOURCE and isinstance(d.code, str)]
        for diag in ours:
            fixes = _fixes_of(session, uri, diag)
            safe = [f for f in fixes if convert.is_safe(f)]
            for fix in fixes:
                builder = EditBuilder(document_changes)
                for edit in fix["edits"]:
                    builder.add(edit["uri"], edit.get("version"), convert.range_from_json(edit["range"]), edit["newText"])
                actions.append(types.CodeAction(
                    title=_fix_title(fix),
                    kind=types.CodeActionKind.QuickFix,
                    diagnostics=[diag],
                    is_preferred=convert.is_safe(fix) and len(safe) == 1,
                    edit=builder.build(),
                ))
        for diag in ours:
            action = suppress_action(doc, diag, session.encoding, document_changes)
            if action is not None and all(a.title != action.title for a in actions):
                actions.append(action)
    if kind_wanted(only, FIX_ALL_KIND):
        action = fix_all_action(session, doc, document_changes)
        if action is not None:
            actions.append(action)
    return actions


def suppress_action(doc, diag: types.Diagnostic, encoding: str, document_changes: bool) -> types.CodeAction | None:
    line = diag.range.start.line
    found = suppression_comment_edit(doc.data, line, diag.code)
    if found is None:
        return None
    offset, text = found
    pos = doc.line_index.position(offset, encoding)
    builder = EditBuilder(document_changes)
    at = types.Position(pos.line, pos.character)
    builder.add(doc.uri, doc.version, types.Range(at, at), text)
    return types.CodeAction(
        title=f"Suppress {diag.code} on this line",
        kind=types.CodeActionKind.QuickFix,
        diagnostics=[diag],
        edit=builder.build(),
    )


def fix_all_action(session, doc, document_changes: bool) -> types.CodeAction | None:
    report = session.reports.get(doc.uri)
    if report is None or report.version != doc.version:
        return None  # never fix a text the findings were not computed on
    root = session.root_for(doc.path)
    paths = {doc.path} | {e.path for f in report.findings for fix in f.fixes for e in fix.edits}
    texts = {}
    for path in paths:
        other = session.documents.by_path(path)
        text = other.text if other is not None else root.ws.text_of(path)
        if text is not None:
            texts[path] = text
    outcome = apply_fixes_detailed(texts, report.findings, unsafe=root.config.unsafe_fixes)
    if not outcome.texts:
        return None
    builder = EditBuilder(document_changes)
    for path, new_text in sorted(outcome.texts.items()):
        index = session.index_of(path)
        whole = convert.to_range(index, 0, len(index.data), session.encoding)
        builder.add(convert.path_to_uri(path), session.version_of(path), whole, new_text)
    return types.CodeAction(
        title="perfaudit: fix all auto-fixable problems",
        kind=FIX_ALL_KIND,
        edit=builder.build(),
    )
