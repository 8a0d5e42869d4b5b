"""Path globs as TypeScript (`include`/`exclude`) and the package managers
(`workspaces`, pnpm `packages`) write them: `*` and `?` stay inside one
path segment, `**` spans any number of directories."""

from __future__ import annotations

import posixpath
import re


def glob_regex(pattern: str, directory_means_contents: bool = False) -> re.Pattern:
    """A regex that fully matches the paths `pattern` (an absolute, normalised
    path) names. With `directory_means_contents`, a last segment with no
    wildcard and no extension is a directory, standing for every file under
    it (TypeScript's rule for `include`/`exclude`)."""
    segments = posixpath.normpath(pattern).split("/")
    if directory_means_contents and not any(c in segments[-1] for c in "*?."):
        segments += ["**", "*"]
    out = []
    for i, seg in enumerate(segments):
        last = i == len(segments) - 1
        if seg == "**":
            out.append(".*" if last else "(?:[^/]+/)*")
            continue
        out.append(re.escape(seg).replace(r"\*", "[^/]*").replace(r"\?", "[^/]"))
        if not last:
            out.append("/")
    return re.compile("".join(out))


def matches(regexes, path: str) -> bool:
    return any(r.fullmatch(path) for r in regexes)
