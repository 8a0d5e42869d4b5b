"""The last `perfaudit explain` results, kept in the workspace's `.perfaudit/`.

`check`, `report` and the language server read them here instead of
connecting. The file is replaced whole (written beside, then renamed), so a
failed run leaves the previous results untouched; `.perfaudit/.gitignore`
keeps the folder out of git.
"""

from __future__ import annotations

import json
import os
import tempfile

CACHE_DIR = ".perfaudit"
RESULTS_FILE = "explain.json"

_memo: dict[str, tuple[tuple, dict | None]] = {}


def results_path(root: str) -> str:
    return os.path.join(root, CACHE_DIR, RESULTS_FILE)


def save(root: str, results: dict) -> str:
    folder = os.path.join(root, CACHE_DIR)
    os.makedirs(folder, exist_ok=True)
    ignore = os.path.join(folder, ".gitignore")
    if not os.path.exists(ignore):
        with open(ignore, "w", encoding="utf-8") as fh:
            fh.write("# perfaudit's local cache: never committed\n*\n")
    fd, tmp = tempfile.mkstemp(prefix=".explain-", suffix=".json", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(results, fh, indent=2)
            fh.write("\n")
        os.replace(tmp, results_path(root))
    except BaseException:
        os.unlink(tmp)
        raise
    _memo.pop(root, None)
    return results_path(root)


def load(root: str) -> dict | None:
    """The saved results, or None (none saved, unreadable, another version)."""
    path = results_path(root)
    try:
        st = os.stat(path)
    except OSError:
        return None
    key = (st.st_mtime_ns, st.st_size)
    held = _memo.get(root)
    if held is not None and held[0] == key:
        return held[1]
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError):
        data = None
    if not isinstance(data, dict) or data.get("version") != 1:
        data = None
    _memo[root] = (key, data)
    return data


def index_result(results: dict | None, model: str, fields) -> dict | None:
    for entry in (results or {}).get("indexes", ()):
        if isinstance(entry, dict) and entry.get("model") == model and tuple(entry.get("fields", ())) == tuple(fields):
            return entry
    return None


def table_rows(results: dict | None, model: str) -> int | None:
    for entry in (results or {}).get("tables", ()):
        if isinstance(entry, dict) and entry.get("model") == model and isinstance(entry.get("rows"), int):
            return entry["rows"]
    return None
