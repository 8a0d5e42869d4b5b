"""Applying fixes in bulk (`--fix`, fix-all).

Each finding contributes its first applicable fix: safe ones always, unsafe
ones only when asked, display-only never. Edits are UTF-8 byte offsets into
each file's text. A fix whose edits overlap (or touch) an edit already
accepted in this pass (or inserts at its edge: the order would be
undefined) is left for the next pass, when the analysis has been re-run on
the new text; an edit identical to an accepted one (two findings
proposing the same `@@index`) is applied once. Optionally a validator rejects
fixes that would break a file's syntax.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable

from perfaudit.server.findings import Applicability, Edit, Finding, Fix

# (path, old text, new text) -> whether the new text is acceptable
Validator = Callable[[str, str, str], bool]

MAX_PASSES = 5


def applicable_fix(finding: Finding, unsafe: bool) -> Fix | None:
    for fix in finding.fixes:
        if not fix.edits:
            continue
        if fix.applicability == Applicability.SAFE:
            return fix
        if fix.applicability == Applicability.UNSAFE and unsafe:
            return fix
    return None


@dataclass
class FixOutcome:
    texts: dict[str, str]  # path -> new text, changed files only
    applied: list[Finding] = field(default_factory=list)
    deferred: list[Finding] = field(default_factory=list)  # overlapped: next pass
    rejected: list[Finding] = field(default_factory=list)  # invalid edits or broke syntax
    then: list[str] = field(default_factory=list)  # commands the applied fixes leave to run, in order


def _overlaps(a: Edit, b: Edit) -> bool:
    if a.path != b.path:
        return False
    if a == b:
        return False
    if a.start < b.end and b.start < a.end:
        return True
    # An insertion at the edge of another edit has no defined order with it.
    if a.start == a.end and b.start <= a.start <= b.end:
        return True
    return b.start == b.end and a.start <= b.start <= a.end


def _splice(data: bytes, edits: Iterable[Edit]) -> bytes:
    out = data
    for edit in sorted(set(edits), key=lambda e: (e.start, e.end), reverse=True):
        out = out[: edit.start] + edit.new_text.encode("utf-8") + out[edit.end :]
    return out


def _valid_edits(fix: Fix, data: dict[str, bytes]) -> bool:
    edits = fix.edits
    for edit in edits:
        if edit.path not in data or not 0 <= edit.start <= edit.end <= len(data[edit.path]):
            return False
        buf = data[edit.path]
        # Never cut a UTF-8 sequence in two.
        for off in (edit.start, edit.end):
            if off < len(buf) and (buf[off] & 0xC0) == 0x80:
                return False
    for i, a in enumerate(edits):
        for b in edits[i + 1 :]:
            if _overlaps(a, b):
                return False
    return True


def apply_fixes_detailed(
    texts: dict[str, str],
    findings: list[Finding],
    unsafe: bool,
    validate: Validator | None = None,
) -> FixOutcome:
    data = {path: text.encode("utf-8") for path, text in texts.items()}
    accepted: list[tuple[Finding, Fix]] = []
    accepted_edits: list[Edit] = []
    outcome = FixOutcome(texts={})
    for finding in findings:
        fix = applicable_fix(finding, unsafe)
        if fix is None:
            continue
        if not _valid_edits(fix, data):
            outcome.rejected.append(finding)
            continue
        if any(_overlaps(e, a) for e in fix.edits for a in accepted_edits):
            outcome.deferred.append(finding)
            continue
        accepted.append((finding, fix))
        accepted_edits.extend(fix.edits)

    def render(chosen: list[tuple[Finding, Fix]]) -> dict[str, bytes]:
        by_path: dict[str, list[Edit]] = {}
        for _, fix in chosen:
            for edit in fix.edits:
                by_path.setdefault(edit.path, []).append(edit)
        return {path: _splice(data[path], edits) for path, edits in by_path.items()}

    new = render(accepted)
    if validate is not None:
        # Files whose result fails: re-apply their fixes one at a time and drop
        # the ones that break it (with all their edits, in every file).
        for _ in range(len(accepted) + 1):
            bad = [
                p for p, b in new.items()
                if b != data[p] and not validate(p, texts[p], b.decode("utf-8", errors="replace"))
            ]
            if not bad:
                break
            keep: list[tuple[Finding, Fix]] = []
            for finding, fix in accepted:
                if not any(e.path in bad for e in fix.edits):
                    keep.append((finding, fix))
                    continue
                trial = render(keep + [(finding, fix)])
                if all(
                    validate(p, texts[p], trial[p].decode("utf-8", errors="replace"))
                    for p in {e.path for e in fix.edits} if p in trial
                ):
                    keep.append((finding, fix))
                else:
                    outcome.rejected.append(finding)
            accepted = keep
            new = render(accepted)
    outcome.applied = [finding for finding, _ in accepted]
    outcome.then = list(dict.fromkeys(cmd for _, fix in accepted for cmd in fix.then))
    outcome.texts = {
        path: b.decode("utf-8") for path, b in new.items() if b != data[path]
    }
    return outcome


def apply_fixes(texts: dict[str, str], findings: list[Finding], unsafe: bool) -> dict[str, str]:
    """The new text of each file that the findings' fixes change (one pass)."""
    return apply_fixes_detailed(texts, findings, unsafe).texts


def syntax_validator(path: str, old: str, new: str) -> bool:
    """A fix may not add tree-sitter ERROR or MISSING nodes to a TypeScript file."""
    from perfaudit.server.analysis.parsing import language_for, parse

    language = language_for(path)
    if language is None:
        return True
    return _error_count(parse(new.encode("utf-8"), language)) <= _error_count(parse(old.encode("utf-8"), language))


def _error_count(tree) -> int:
    root = tree.root_node
    if not root.has_error:
        return 0
    count = 0
    stack = [root]
    while stack:
        node = stack.pop()
        if node.is_error or node.is_missing:
            count += 1
        if node.has_error:
            stack.extend(node.children)
    return count


@dataclass
class FixRun:
    result: object  # the AnalysisResult after the last pass
    applied: int
    changed: set[str]
    passes: int
    then: list[str] = field(default_factory=list)  # what the user still has to run


def fix_until_stable(
    analyze: Callable[[], object],
    write: Callable[[dict[str, str]], None],
    unsafe: bool,
    max_passes: int = MAX_PASSES,
    validate: Validator | None = syntax_validator,
) -> FixRun:
    """Analyse, fix, write, and again, until nothing changes (at most `max_passes`).

    `analyze()` returns an AnalysisResult (findings + workspace with
    `text_of`); `write` stores the new texts (on disk for the CLI). The
    returned result is the analysis of the final text.
    """
    result = analyze()
    applied = 0
    changed: set[str] = set()
    then: list[str] = []
    passes = 0
    while passes < max_passes:
        findings = [f for f in result.findings if applicable_fix(f, unsafe) is not None]
        if not findings:
            break
        paths = {e.path for f in findings for e in applicable_fix(f, unsafe).edits}
        texts = {}
        for path in paths:
            try:
                texts[path] = result.workspace.text_of(path)
            except Exception:  # noqa: BLE001 - a file that vanished: its fixes are dropped
                continue
        outcome = apply_fixes_detailed(texts, findings, unsafe, validate)
        if not outcome.texts:
            break
        write(outcome.texts)
        passes += 1
        applied += len(outcome.applied)
        changed |= set(outcome.texts)
        then += [cmd for cmd in outcome.then if cmd not in then]
        result = analyze()
    return FixRun(result=result, applied=applied, changed=changed, passes=passes, then=then)
