"""What perfaudit says about itself, the same in the CLI and the editor:
its version and where a rule's documentation lives."""

from __future__ import annotations

DOCS_URL = "https://perfaudit.dev/rules/"
HOME_URL = "https://perfaudit.dev"
TOOL_NAME = "perfaudit"


def docs_url(code: str) -> str:
    return f"{DOCS_URL}{code}"


def tool_version() -> str:
    try:
        from perfaudit import __version__

        return __version__
    except ImportError:  # pragma: no cover
        return "0.0.0"
