"""Engine findings to LSP diagnostics, and back, in the negotiated encoding.

Engine ranges are UTF-8 byte offsets; every range leaving the server is
converted here, once, through a `LineIndex` of the text the finding was
computed on. A diagnostic's `data` carries its fixes already converted, so a
code action needs no second analysis.
"""

from __future__ import annotations

from typing import Callable

from lsprotocol import types
from pygls.uris import from_fs_path, to_fs_path

from perfaudit.server.findings import Applicability, Finding, Severity
from perfaudit.server.analysis.text import LineIndex
from perfaudit.server.analysis.workspace import norm

SOURCE = "perfaudit"

_SEVERITY = {
    Severity.ERROR: types.DiagnosticSeverity.Error,
    Severity.WARNING: types.DiagnosticSeverity.Warning,
    Severity.INFORMATION: types.DiagnosticSeverity.Information,
    Severity.HINT: types.DiagnosticSeverity.Hint,
}

# path -> LineIndex of the text the findings were computed on
IndexOf = Callable[[str], LineIndex]
# path -> version of the open document, None when closed
VersionOf = Callable[[str], "int | None"]


def uri_to_path(uri: str) -> str | None:
    path = to_fs_path(uri)
    return norm(path) if path else None


def path_to_uri(path: str) -> str:
    return from_fs_path(path) or path


def to_range(index: LineIndex, start: int, end: int, encoding: str) -> types.Range:
    a = index.position(start, encoding)
    b = index.position(max(start, end), encoding)
    return types.Range(types.Position(a.line, a.character), types.Position(b.line, b.character))


def fix_to_data(fix, index_of: IndexOf, version_of: VersionOf, encoding: str) -> dict:
    edits = []
    for edit in fix.edits:
        rng = to_range(index_of(edit.path), edit.start, edit.end, encoding)
        edits.append({
            "uri": path_to_uri(edit.path),
            "version": version_of(edit.path),
            "range": _range_json(rng),
            "newText": edit.new_text,
        })
    return {"title": fix.title, "applicability": fix.applicability.value, "edits": edits}


def _range_json(rng: types.Range) -> dict:
    return {
        "start": {"line": rng.start.line, "character": rng.start.character},
        "end": {"line": rng.end.line, "character": rng.end.character},
    }


def range_from_json(value: dict) -> types.Range:
    return types.Range(
        types.Position(value["start"]["line"], value["start"]["character"]),
        types.Position(value["end"]["line"], value["end"]["character"]),
    )


def to_diagnostic(finding: Finding, index_of: IndexOf, version_of: VersionOf, encoding: str) -> types.Diagnostic:
    index = index_of(finding.path)
    related = [
        types.DiagnosticRelatedInformation(
            location=types.Location(path_to_uri(r.path), to_range(index_of(r.path), r.start, r.end, encoding)),
            message=r.message,
        )
        for r in finding.related
    ]
    return types.Diagnostic(
        range=to_range(index, finding.start, finding.end, encoding),
        message=finding.message,
        severity=_SEVERITY.get(finding.severity, types.DiagnosticSeverity.Warning),
        code=finding.code,
        source=SOURCE,
        related_information=related or None,
        data={
            "name": finding.name,
            "fixes": [fix_to_data(f, index_of, version_of, encoding) for f in finding.fixes if f.edits],
        },
    )


def is_safe(fix_data: dict) -> bool:
    return fix_data.get("applicability") == Applicability.SAFE.value
