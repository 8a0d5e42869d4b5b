"""The rule contract.

A rule is a module in `perfaudit/rules/` that defines:

- a module docstring with the sections `## What it does`, `## Why is this bad?`,
  `## Example`, `## Use instead`, `## Fix safety` (the `ts` blocks under
  *Example* must fire exactly once, those under *Use instead* never: they run
  as tests; an optional `prisma` block gives the schema they run against);
- `RULE = Rule(...)`: code, name, default severity, fix availability, scope,
  options with defaults;
- `check(ctx)`: yields `Finding`s. For scope "file" it runs once per
  TypeScript/JavaScript file (`FileContext`); for "workspace" once per
  workspace (`WorkspaceContext`), for rules over schemas, `.env` files or the
  whole app;
- optionally, for a workspace rule that reads files' syntax trees,
  `FILE_MEMO = FileMemo(...)` (see below).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable

from perfaudit.server.findings import Finding, Fix, Related, Severity

if TYPE_CHECKING:  # pragma: no cover
    from perfaudit.server.analysis.workspace import SourceFile, Workspace


def doc_section(doc: str, title: str) -> str:
    """The text of one `## Title` section of a rule's documentation."""
    out: list[str] = []
    inside = False
    for line in doc.splitlines():
        if line.startswith("## "):
            if inside:
                break
            inside = line[3:].strip().lower() == title.lower()
            continue
        if inside:
            out.append(line)
    return "\n".join(out).strip()


class FixAvailability(str, enum.Enum):
    ALWAYS = "always"
    SOMETIMES = "sometimes"
    NONE = "none"


class Scope(str, enum.Enum):
    FILE = "file"
    WORKSPACE = "workspace"


@dataclass(frozen=True)
class FileMemo:
    """What a workspace-scoped rule reads from each file's syntax tree, read
    while the per-file checks hold that tree.

    A workspace rule runs once, after the per-file checks, when closed
    files keep facts only: reading trees then parses each file again, one
    process doing them all. Instead `fill(ws, path)` runs right after a
    file's checks (in the forked workers too) and fills the rule's memo;
    `export(ws, path)` gives what it holds for the file as picklable data
    (None: nothing), and `adopt(ws, path, value)` stores that in the memo
    of the process that runs the workspace rules."""

    fill: Callable[["Workspace", str], None]
    export: Callable[["Workspace", str], Any]
    adopt: Callable[["Workspace", str, Any], None]


@dataclass
class Rule:
    code: str
    name: str
    summary: str
    severity: Severity = Severity.WARNING
    fix: FixAvailability = FixAvailability.NONE
    scope: Scope = Scope.FILE
    options: dict[str, Any] = field(default_factory=dict)
    # What it reports costs each request: silent in tests, seeds, scripts,
    # migrations and fixtures (see analysis/roles.py) unless configured.
    request_path: bool = False
    # What it reports inside a function (not a callback run per item, whose
    # loop lies outside it) depends on that function alone, on what the
    # index and the workspace models resolve, and on the file's tree: an
    # edit inside such a function re-checks just it with this rule
    # (server/incremental.py; tests/test_local_rules.py compares with a
    # whole check).
    local: bool = False
    # Set by the registry from the module.
    doc: str = ""
    check: Callable[..., Iterable[Finding]] | None = None
    file_memo: FileMemo | None = None
    module: str = ""

    @property
    def family(self) -> str:
        return self.code[0]


@dataclass
class _BaseContext:
    rule: Rule
    workspace: "Workspace"
    options: dict[str, Any]
    severity: Severity

    def finding(
        self,
        path: str,
        start: int,
        end: int,
        message: str,
        related: Iterable[Related] = (),
        fixes: Iterable[Fix] = (),
    ) -> Finding:
        return Finding(
            code=self.rule.code,
            name=self.rule.name,
            path=path,
            start=start,
            end=end,
            message=message,
            severity=self.severity,
            related=tuple(related),
            fixes=tuple(fixes),
        )

    @property
    def index(self):
        return self.workspace.index


@dataclass
class FileContext(_BaseContext):
    file: "SourceFile" = None  # type: ignore[assignment]

    def report(self, start: int, end: int, message: str, related=(), fixes=()) -> Finding:
        return self.finding(self.file.path, start, end, message, related, fixes)

    def report_node(self, node, message: str, related=(), fixes=()) -> Finding:
        return self.report(node.start_byte, node.end_byte, message, related, fixes)


@dataclass
class WorkspaceContext(_BaseContext):
    pass
