"""A subcommand of the `perfaudit` command line, as both faces define them
(the CLI's check/routes/report/diff, the language server's serve), and the
exit codes they share."""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from typing import Callable

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_ERROR = 2


class UsageError(Exception):
    """A mistake on the command line: printed without a traceback, exit 2."""


@dataclass(frozen=True)
class Command:
    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


def err(message: str) -> None:
    print(f"perfaudit: error: {message}", file=sys.stderr)
