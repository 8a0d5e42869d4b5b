"""Hover on a finding: the rule's documentation."""

from __future__ import annotations

from lsprotocol import types

from perfaudit.server.about import docs_ref
from perfaudit.server.registry import all_rules
from perfaudit.server.rule import doc_section

SECTIONS = ("What it does", "Why is this bad?", "Example", "Fix safety")


def rule_markdown(code: str, message: str) -> str:
    rule = all_rules().get(code)
    head = f"**{code}** `{rule.name}`: {message}" if rule else f"**{code}**: {message}"
    parts = [head]
    if rule is not None:
        for title in SECTIONS:
            body = doc_section(rule.doc, title)
            if body:
                parts.append(f"### {title}\n{body}")
    # No web page to link: the page in the repository, and the command that prints it.
    parts.append(f"All of it: `perfaudit rule {code}`, or `{docs_ref(code)}` in the perfaudit repository.")
    return "\n\n".join(parts)


def hover(session, uri: str, position: types.Position) -> types.Hover | None:
    found = session.finding_at(uri, position.line, position.character)
    if not found:
        return related_hover(session, uri, position)
    text = "\n\n---\n\n".join(rule_markdown(f.code, f.message) for f, _ in found)
    return types.Hover(
        contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=text),
        range=found[0][1].range,
    )


def related_hover(session, uri: str, position: types.Position) -> types.Hover | None:
    """At a place another file's finding lists as related information (a
    query site of a P105 schema finding): that finding, and where it is."""
    from perfaudit.server.lsp.convert import uri_to_path

    path = uri_to_path(uri)
    if path is None:
        return None
    root = session.root_for(path)
    offset = session.index_of(path).offset(position.line, position.character, session.encoding)
    parts = []
    for other, findings in sorted(root.workspace_findings.items()):
        for f in root.findings_for(other) if other != path else ():
            for r in f.related:
                if r.path == path and r.start <= offset <= r.end:
                    where = f"{root.ws.relpath(f.path)}:{root.ws.line_index(f.path).line_of(f.start) + 1}"
                    parts.append(f"{rule_markdown(f.code, f.message)}\n\n(reported at `{where}`)")
                    break
    if not parts:
        return None
    return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value="\n\n---\n\n".join(parts)))
