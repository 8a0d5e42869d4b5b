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


# ---------------------------------------------------------------- for the rules


def _model_entry(results: dict | None, model: str) -> dict | None:
    """The table entry of `model`, also by its delegate name (`readList`)."""
    for entry in (results or {}).get("tables", ()):
        name = entry.get("model") if isinstance(entry, dict) else None
        if isinstance(name, str) and model in (name, name[:1].lower() + name[1:]):
            return entry
    return None


def size_note(root: str, model: str) -> str:
    """' (`Post` holds 2.1 M rows)' from the saved results, else ''."""
    from .verdicts import human_rows

    entry = _model_entry(load(root), model)
    if entry is None or not isinstance(entry.get("rows"), int):
        return ""
    return f" (`{entry['model']}` holds {human_rows(entry['rows'])} rows)"


def index_advice(root: str, model: str, fields) -> tuple[bool, str]:
    """(quiet, note) for a suggested index: quiet when the planner turned it
    down (`not-used`, `small-table`); the note says what it found."""
    from .verdicts import CONFIRMED, QUIET, human_rows

    entry = index_result(load(root), model, fields)
    if entry is None:
        return False, ""
    verdict = entry.get("verdict")
    rows = entry.get("table_rows")
    size = f"{human_rows(rows)} rows" if isinstance(rows, int) else "rows unknown"
    if verdict in QUIET:
        return True, f"the planner turned it down ({verdict}, {size})"
    before, after = entry.get("before") or {}, entry.get("after") or {}
    if verdict == CONFIRMED:
        return False, (f"The PostgreSQL planner confirms it: cost {before.get('cost', 0):,.2f} -> "
                       f"{after.get('cost', 0):,.2f} ({before.get('node')} -> {after.get('node')}) "
                       f"on {size} (perfaudit explain).")
    return False, f"`{model}` holds {size}; without HypoPG the planner was not asked (perfaudit explain)."
