"""The check cache: `.perfaudit_cache/` at the workspace root, as Ruff and
ESLint keep one.

It holds each source file's facts, keyed by a digest of its content, and the
findings of the last full check of each file with the files that check read,
and what the workspace rules read of each file's tree then (their `FileMemo`s).
Facts are reused whenever the content is the same. Findings are reused only
while the file and every file it read are unchanged, no file was added or
removed, no file's structure (what other files see of it: imports, exports,
classes, named functions...) changed, and the perfaudit code, the config, the
root and the project files (schemas, .env, package.json, tsconfig) are the
same as when they were stored.

The cache is a pickle, so it is read with an unpickler that builds nothing
but perfaudit's frozen data classes and plain containers: a cache that came
with the repository, or any other file put there, cannot run code. One that
does not load, or was written by another perfaudit, for another root, is
discarded and rebuilt.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import logging
import os
import pickle
import tempfile
from pathlib import Path

log = logging.getLogger("perfaudit")

CACHE_DIR = ".perfaudit_cache"
CACHE_FILE = "check.pickle"
MAGIC = "perfaudit-check-cache"
FORMAT = 4  # 4: the facts in pickles of their own, 100 files each
_PACKAGE_DIRS = ("server", "rules", "entry")


def digest(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=16).digest()


def _code_key() -> str:
    """The perfaudit version and a digest of its own code's sizes and
    modification times, so that a changed rule never reuses old findings."""
    from perfaudit import __version__

    base = Path(__file__).resolve().parents[1]
    h = hashlib.blake2b(__version__.encode(), digest_size=16)
    for sub in _PACKAGE_DIRS:
        for path in sorted((base / sub).rglob("*.py")):
            try:
                info = path.stat()
            except OSError:
                continue
            h.update(f"{path.relative_to(base)}:{info.st_size}:{info.st_mtime_ns};".encode())
    return h.hexdigest()


def _config_key(config) -> str:
    if config is None:
        return "none"
    if dataclasses.is_dataclass(config):
        values = {k: v for k, v in dataclasses.asdict(config).items() if k != "source"}
        return repr(sorted(values.items()))
    return repr(config)


class _SafeUnpickler(pickle.Unpickler):
    """Builds only perfaudit's data classes and enums and a few builtins."""

    _BUILTINS = {"frozenset": frozenset, "set": set}

    def find_class(self, module: str, name: str):
        if module == "builtins" and name in self._BUILTINS:
            return self._BUILTINS[name]
        if module.startswith("perfaudit.") and "." not in name:
            obj = super().find_class(module, name)
            if isinstance(obj, type) and (dataclasses.is_dataclass(obj) or issubclass(obj, enum.Enum)):
                return obj
            if obj is getattr(getattr(obj, "builds", None), "build", None):  # a fact's builder (facts.fast_pickle)
                return obj
        raise pickle.UnpicklingError(f"{module}.{name} is not cache data")


class CheckCache:
    """One workspace's cache, loaded at the start of a run and saved at its end."""

    def __init__(self, root: str, config=None):
        self.root = root
        self.dir = os.path.join(root, CACHE_DIR)
        self.file = os.path.join(self.dir, CACHE_FILE)
        self.code_key = _code_key()
        self.config_key = _config_key(config)
        # From the last run: path -> (digest, facts); path -> (findings, paths read).
        self.old_files: dict[str, tuple[bytes, object]] = {}
        self.old_findings: dict[str, tuple[tuple, tuple[str, ...]]] = {}
        self.old_findings_key: str | None = None
        self.old_memos: dict[str, dict[str, object]] = {}  # path -> rule code -> memo value
        # This run's.
        self.files: dict[str, tuple[bytes, object]] = {}
        self.found: dict[str, tuple[bytes, object]] = {}
        self.findings: dict[str, tuple[tuple, tuple[str, ...]]] = {}
        self.findings_key: str | None = None
        self.memos: dict[str, dict[str, object]] = {}
        self.changed: set[str] = set()
        self.structure_changed = True
        self.hits = 0
        self.dirty = False  # anything to write: an unchanged tree leaves the file untouched

    # ------------------------------------------------------------ reading

    def load(self, keep_bad: bool = False, facts_only: bool = False) -> None:
        """Read the stored cache; one that cannot be trusted is ignored
        (and removed, unless `keep_bad`). With `facts_only` (the server,
        which checks files itself) the findings and memos are not read."""
        try:
            fh = open(self.file, "rb")
        except OSError:
            return
        try:
            with fh:
                # A small header first: a cache for another perfaudit or
                # another root is refused before its body is read.
                if _SafeUnpickler(fh).load() != self._header():
                    raise ValueError("written by another perfaudit or for another root")
                files = {}
                for _ in range(_SafeUnpickler(fh).load()):  # a fresh memo for each pickle
                    files.update(_SafeUnpickler(fh).load())
                stored = {} if facts_only else _SafeUnpickler(fh).load()
            findings, memos = stored.get("findings", {}), stored.get("memos", {})
            if not isinstance(files, dict) or not isinstance(findings, dict) or not isinstance(memos, dict):
                raise ValueError("not a cache")
        except Exception as exc:  # noqa: BLE001 - anything wrong with it: start afresh
            log.info("discarding the cache %s: %s", self.file, exc)
            if not keep_bad:
                self.discard()
            return
        self.old_files = files
        self.old_findings = findings
        self.old_memos = memos
        self.old_findings_key = stored.get("findings_key")

    def _header(self) -> tuple:
        return (MAGIC, FORMAT, self.code_key, self.root)

    def discard(self) -> None:
        self.old_files, self.old_findings, self.old_findings_key, self.old_memos = {}, {}, None, {}
        try:
            os.remove(self.file)
        except OSError:
            pass

    def add_facts(self, path: str, key: bytes, facts) -> None:
        """Facts found outside this process this run (the server's forked
        parse), under `key` (`digest` of the content): used like stored
        ones, and written with the others."""
        self.found[path] = (key, facts)

    def facts_for(self, path: str, data: bytes):
        """The stored (or found) facts of `path` when its content is the same, else None."""
        old = self.found.get(path) or self.old_files.get(path)
        if old is None:
            return None
        d = digest(data)
        if old[0] != d:
            return None
        self.files[path] = old
        self.hits += 1
        return old[1]

    def store_facts(self, path: str, data: bytes, facts) -> None:
        self.files[path] = (digest(data), facts)
        self.dirty = True

    # ------------------------------------------------------------ findings

    def begin_findings(self, ws, whole_root: bool) -> None:
        """After the load: which files changed since the last run, and
        whether stored findings may be reused at all (only for checks of the
        whole root: a narrower check reads less of the workspace)."""
        h = hashlib.blake2b(digest_size=16)
        h.update(f"{self.code_key}\0{self.config_key}\0{self.root}\0".encode())
        for table in (ws.side_texts, ws.env_files):
            for path in sorted(table):
                h.update(f"{path}\0{table[path]}\0".encode())
        for table in (ws.package_jsons, ws.tsconfigs):
            for path in sorted(table):
                h.update(f"{path}\0{table[path]!r}\0".encode())
        self.findings_key = h.hexdigest() if whole_root else None
        current = set(ws.files)
        old = set(self.old_files)
        self.changed = (current ^ old) | {p for p in current & old if self.files.get(p, (None,))[0] != self.old_files[p][0]}
        self.structure_changed = bool(current ^ old) or any(
            _structure(self.old_files[p][1]) != _structure(ws.files[p].facts) for p in self.changed if p in ws.files and p in self.old_files
        )

    def findings_for(self, path: str):
        """The stored findings of `path` when nothing they rest on changed."""
        if self.findings_key is None or self.findings_key != self.old_findings_key or self.structure_changed:
            return None
        entry = self.old_findings.get(path)
        if entry is None or path in self.changed or any(dep in self.changed for dep in entry[1]):
            return None
        self.findings[path] = entry
        return list(entry[0])

    def store_findings(self, path: str, findings, read: set[str] | tuple) -> None:
        if self.findings_key is not None:
            self.merge_findings({path: (tuple(findings), tuple(sorted(read)))})

    def memos_for(self, path: str) -> dict[str, object]:
        """What the workspace rules read of `path`'s tree in the last run,
        while its content is the same (their users check the rest)."""
        entry = self.old_memos.get(path)
        if entry is None or path in self.changed or path not in self.files:
            return {}
        self.memos[path] = entry
        return entry

    def store_memos(self, path: str, values: dict[str, object]) -> None:
        if values:
            self.memos[path] = values
            self.dirty = True

    def merge_findings(self, stored: dict) -> None:
        """Findings stored here or by a forked worker."""
        if stored:
            self.findings.update(stored)
            self.dirty = True

    # ------------------------------------------------------------ writing

    def save(self, whole_root: bool) -> None:
        """Write this run's facts (and findings, after a whole-root check);
        a narrower run keeps the stored facts of the files it did not read."""
        if whole_root and (set(self.files) != set(self.old_files) or self.findings_key != self.old_findings_key
                           or set(self.findings) != set(self.old_findings) or set(self.memos) != set(self.old_memos)):
            self.dirty = True
        if not self.dirty:
            return
        files = self.files if whole_root else {**self.old_files, **self.files}
        findings = self.findings if whole_root else self.old_findings
        memos = self.memos if whole_root else {**self.old_memos, **self.memos}
        self._write({"files": files, "findings": findings, "memos": memos,
                     "findings_key": self.findings_key if whole_root else self.old_findings_key})

    def save_facts(self, paths: set[str]) -> None:
        """Write the facts a run read without checking (the server's scan of
        the files in `paths`). When any file's facts differ from the stored
        ones, the stored findings go: they were checked against the old
        facts, and the next `check` compares with the new ones. So do the
        memos, which `check` adopts for files it does not check again."""
        files = {p: v for p, v in self.old_files.items() if p in paths}
        files.update(self.files)
        if files.keys() == self.old_files.keys() and all(files[p][0] == self.old_files[p][0] for p in files):
            return  # nothing new: the file (and the findings in it) stay as they are
        self._write({"files": files, "findings": {}, "memos": {}, "findings_key": None})

    def _write(self, stored: dict) -> None:
        try:
            os.makedirs(self.dir, exist_ok=True)
            ignore = os.path.join(self.dir, ".gitignore")
            if not os.path.exists(ignore):
                with open(ignore, "w", encoding="utf-8") as fh:
                    fh.write("# Written by perfaudit: the cache is never committed.\n*\n")
            fd, tmp = tempfile.mkstemp(dir=self.dir, prefix=".check-", suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as fh:
                    # The header, the facts in chunks, the rest (which the server skips).
                    pickle.dump(self._header(), fh, protocol=pickle.HIGHEST_PROTOCOL)
                    chunks = _chunks(stored.pop("files"))
                    pickle.dump(len(chunks), fh, protocol=pickle.HIGHEST_PROTOCOL)
                    for chunk in chunks:
                        pickle.dump(chunk, fh, protocol=pickle.HIGHEST_PROTOCOL)
                    pickle.dump(stored, fh, protocol=pickle.HIGHEST_PROTOCOL)
                os.replace(tmp, self.file)
            except BaseException:
                os.unlink(tmp)
                raise
        except OSError as exc:  # a read-only checkout still gets its findings
            log.info("could not write the cache %s: %s", self.file, exc)


# Files per pickle of facts. Unpickling keeps every argument tuple it built
# until the end of its pickle (the memo holds them): in one pickle for 4,000
# files they peaked at 59 MB, and the holes they left kept the RSS up.
CHUNK_FILES = 100


def _chunks(files: dict) -> list[dict]:
    items = list(files.items())
    return [dict(items[i:i + CHUNK_FILES]) for i in range(0, len(items), CHUNK_FILES)]


def _structure(facts) -> tuple:
    return facts.structure if facts is not None else ()
