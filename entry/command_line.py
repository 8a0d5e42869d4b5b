"""The `perfaudit` command: the CLI's commands and the language server's
`serve`. The two faces never import each other; they meet here."""

from __future__ import annotations

from typing import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    from perfaudit.server.cli.main import main as cli_main
    from perfaudit.server.lsp.command import SERVE

    return cli_main(argv, extra_commands=[SERVE])
