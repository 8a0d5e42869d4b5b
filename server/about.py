"""What perfaudit says about itself, the same in the CLI and the editor:
its version and where a rule's documentation lives.

The documentation lives in the repository, docs/rules.md (generated from the
rule docstrings by `perfaudit rules --format markdown`), and in the tool
itself (`perfaudit rule CODE`, the editor's hover). perfaudit has no web
site, so no URL is made up for it: `docs_ref` is a path in the repository."""

from __future__ import annotations

TOOL_NAME = "perfaudit"
DOCS_PAGE = "docs/rules.md"


def docs_anchor(code: str, name: str) -> str:
    """The heading anchor of a rule on the docs page (`## P104 prisma-query-in-loop`)."""
    return f"{code}-{name}".lower()


def docs_ref(code: str) -> str:
    """Where a rule's documentation is, relative to the repository root: docs/rules.md#p104-prisma-query-in-loop."""
    from perfaudit.server import registry

    rule = registry.all_rules().get(code.upper())
    return f"{DOCS_PAGE}#{docs_anchor(rule.code, rule.name)}" if rule else DOCS_PAGE


def tool_version() -> str:
    try:
        from perfaudit import __version__

        return __version__
    except ImportError:  # pragma: no cover
        return "0.0.0"
