"""`.gitignore` files with git's own matching rules (gitwildmatch, through
`pathspec`): `**`, character classes, escapes, anchoring, `dir/`, `!negation`.
A line pathspec cannot read is dropped alone, as git ignores a bad pattern."""

from __future__ import annotations

import os

import pathspec


def _spec(lines: list[str]) -> pathspec.PathSpec:
    try:
        return pathspec.GitIgnoreSpec.from_lines(lines)
    except Exception:
        good = []
        for line in lines:
            try:
                pathspec.GitIgnoreSpec.from_lines([line])
                good.append(line)
            except Exception:
                continue
        return pathspec.GitIgnoreSpec.from_lines(good)


class GitIgnore:
    def __init__(self, base: str, lines: list[str]):
        self.base = base
        self.spec = _spec(lines)

    def ignored(self, path: str, is_dir: bool) -> bool | None:
        """True (ignored), False (re-included by `!`), None (no line matches)."""
        rel = os.path.relpath(path, self.base).replace(os.sep, "/")
        if rel.startswith(".."):
            return None
        return self.spec.check_file(rel + "/" if is_dir else rel).include
