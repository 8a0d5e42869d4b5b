"""The workspace: every source file's text and facts, side documents that a
wing registers (Prisma schemas), `.env` files, package.json files, tsconfigs
and pnpm-workspace.yaml (read by `modules.ModuleResolver`).

Files are found under the root, skipping `node_modules`, build output, `.git`,
what `.gitignore` ignores, config `exclude` globs, and files that are too
large, binary or not UTF-8 (each skip is recorded with its reason). Trees are
kept only when asked (open editor documents); closed files keep facts.
"""

from __future__ import annotations

from typing import Callable

import dataclasses
import os
import stat
import zlib
from contextlib import contextmanager
from dataclasses import dataclass, field

import tree_sitter

from perfaudit.server.analysis.extract import extract_facts
from perfaudit.server.analysis.facts import FileFacts
from perfaudit.server.analysis.gitignore import GitIgnore
from perfaudit.server.analysis.modules import ModuleResolver
from perfaudit.server.analysis.parsing import SOURCE_EXTENSIONS, language_for, nodes_by_kind, nodes_under, parse
from perfaudit.server.analysis.project_files import read_package_json, read_tsconfig, read_yaml
from perfaudit.server.analysis.text import LineIndex, decode_source

SKIP_DIRS = {"node_modules", ".git", "dist", "build", "out", "coverage", ".next", ".nuxt", ".turbo", ".cache", ".venv", "__pycache__", ".perfaudit_cache"}
MAX_FILE_BYTES = 1_000_000
# A line longer than this in a file over MINIFIED_MIN_BYTES marks a bundle.
MINIFIED_LINE = 2_000
MINIFIED_MIN_BYTES = 50_000


# Suffixes of side documents (not sources) that wings read: `.prisma`.
_SIDE_SUFFIXES: set[str] = set()
# Called once before the first workspace is made: the server package loads
# the wings and rules there, so that their fact extractors and call
# classifiers are registered before any file is read.
_BEFORE_FIRST_WORKSPACE: list = []


def register_side_documents(suffix: str) -> None:
    """A wing reads files ending in `suffix` (kept as text in `side_texts`)."""
    _SIDE_SUFFIXES.add(suffix)


def before_first_workspace(hook) -> None:
    _BEFORE_FIRST_WORKSPACE.append(hook)


# Models a wing derives from every file (the route model), built on first
# use. Before checks fork, they are built once in the parent: a child that
# built its own would spend the time again and copy every page it read.
_SHARED_MODELS: list = []


class RebuildDeferred(Exception):
    """A whole-workspace model would be rebuilt inside a check that must stay
    short (an edit's check, `Workspace.defer_rebuilds`): the rule that asked
    keeps its last findings until the next whole check."""


def register_shared_model(build) -> None:
    """`build(ws)` returns the model, from its memo when it is current."""
    _SHARED_MODELS.append(build)


def _run_first_workspace_hooks() -> None:
    while _BEFORE_FIRST_WORKSPACE:
        _BEFORE_FIRST_WORKSPACE.pop(0)()


def is_side_document(name: str) -> bool:
    return any(name.endswith(suffix) for suffix in _SIDE_SUFFIXES)


def limit_problem(data: bytes) -> str | None:
    """Why a text is left out of the analysis (an editor's document, as the
    walk leaves out files on disk), or None."""
    if len(data) > MAX_FILE_BYTES:
        return f"larger than {MAX_FILE_BYTES // 1_000_000} MB"  # no count: it would change per keystroke
    if b"\x00" in data:
        return "binary (NUL bytes)"
    if len(data) > MINIFIED_MIN_BYTES and max(map(len, data.split(b"\n"))) > MINIFIED_LINE:
        return "minified (very long lines)"
    return None


def norm(path: str) -> str:
    return os.path.abspath(path).replace(os.sep, "/")


class Packed(bytes):
    """A closed file's UTF-8 text, compressed (4 to 8 times smaller): the
    workspace holds every file's text, and a check reads few of them."""

    __slots__ = ()

    @classmethod
    def of(cls, data: bytes) -> "Packed":
        return cls(zlib.compress(data, 1))

    def unpacked(self) -> bytes:
        return zlib.decompress(self)


@dataclass
class SourceFile:
    path: str
    # The UTF-8 text, the only copy kept (`text` decodes on demand); Packed
    # for files read from disk (an open document's text is kept as it is).
    _data: bytes
    language: str
    facts: FileFacts
    tree: tree_sitter.Tree | None = None
    version: int | None = None
    _line_index: LineIndex | None = field(default=None, repr=False)
    _nodes: tuple | None = field(default=None, repr=False)
    # Told of every read of the text (the index records what each check
    # depends on: a check that read this text must run again when it changes).
    _on_read: object = field(default=None, repr=False, compare=False)
    # Told when `ensure_tree` parses the file for a reader (the workspace
    # lets those trees go again: see `Workspace.release_trees`).
    _on_parse: object = field(default=None, repr=False, compare=False)

    @property
    def data(self) -> bytes:
        if self._on_read is not None:
            self._on_read(self.path)
        return self.raw_data

    @property
    def raw_data(self) -> bytes:
        """The text, without telling of the read (comparisons)."""
        data = self._data
        return data.unpacked() if type(data) is Packed else data

    def text_key(self) -> bytes:
        """The text as kept (packed or not), telling of the read: for memos
        of what a file's text says, which compare it by identity first."""
        if self._on_read is not None:
            self._on_read(self.path)
        return self._data

    def pack(self) -> None:
        """Keep the text compressed (a file read from disk, not open)."""
        if type(self._data) is not Packed:
            self._data = Packed.of(self._data)

    @property
    def text(self) -> str:
        return self.data.decode("utf-8")

    @property
    def line_index(self) -> LineIndex:
        if self._line_index is None:
            self._line_index = LineIndex(self.data)
        return self._line_index

    def ensure_tree(self) -> tree_sitter.Tree:
        """The syntax tree, re-parsed on demand for files kept as facts only."""
        if self.tree is None:
            self.tree = parse(self.data, self.language)
            self._nodes = None
            if self._on_parse is not None:
                self._on_parse(self.path)
        return self.tree

    @contextmanager
    def tree_for_now(self):
        """The tree for one read (by another file's check, or a workspace
        rule): parsed if need be, and dropped again afterwards when it was
        not held before, since closed files keep facts only."""
        held = self.tree is not None
        try:
            yield self.ensure_tree()
        finally:
            if not held:
                self.tree = None
                self._nodes = None

    def nodes(self, kind: str) -> list:
        """Every node of a kind (see `parsing.INDEXED_KINDS`), in source order.

        One tree-sitter query run in C collects them all once per tree, so
        rules never walk the whole tree in Python.
        """
        tree = self.ensure_tree()
        if self._nodes is None or self._nodes[0] is not tree:
            self._nodes = (tree, nodes_by_kind(tree, self.language))
        return self._nodes[1].get(kind, [])


@dataclass
class FunctionView(SourceFile):
    """One function of a source file, as the rules see a file: its facts
    hold that function and those inside it, `nodes` the nodes inside it.
    Checking it finds what lies in the function (see `Engine.check_function`)."""

    unit: tree_sitter.Node | None = field(default=None, repr=False)

    @classmethod
    def of(cls, source: SourceFile, unit: tree_sitter.Node) -> "FunctionView":
        inside = tuple(f for f in source.facts.functions if unit.start_byte <= f.start and f.end <= unit.end_byte)
        facts = dataclasses.replace(source.facts, functions=inside, module_calls=())
        return cls(source.path, source._data, source.language, facts, source.tree, source.version,
                   source._line_index, None, source._on_read, unit=unit)

    def nodes(self, kind: str) -> list:
        if self._nodes is None:
            self._nodes = (self.tree, nodes_under(self.unit, self.language))
        return self._nodes[1].get(kind, [])


def is_env_file(name: str) -> bool:
    return name == ".env" or name.startswith(".env.")


def is_tsconfig(name: str) -> bool:
    return name.startswith("tsconfig") and name.endswith(".json") or name == "jsconfig.json"


PNPM_WORKSPACE = "pnpm-workspace.yaml"


def is_project_file(name: str) -> bool:
    """Files other than sources and schemas that rules and module resolution read."""
    return is_env_file(name) or name in ("package.json", PNPM_WORKSPACE) or is_tsconfig(name)


def read_checked(path: str, limit: int | None = MAX_FILE_BYTES) -> tuple[str | None, str | None]:
    """(text, None), or (None, why it is left out). Touches no workspace
    state: the server scan's forked workers read with it too."""
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):
            return None, "not a regular file"  # a FIFO or device would block the read forever
        size = info.st_size
        if limit is not None and size > limit:
            return None, f"larger than {limit // 1_000_000} MB ({size:,} bytes)"
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        return None, f"unreadable: {exc.strerror or exc}"
    text = decode_source(raw)
    return (text, None) if text is not None else (None, "binary or not UTF-8")


def read_source(path: str) -> tuple[str | None, str | None]:
    """`read_checked` for a source file, which is also left out when minified."""
    text, problem = read_checked(path)
    if text is not None and len(text) > MINIFIED_MIN_BYTES and max((len(l) for l in text.splitlines()), default=0) > MINIFIED_LINE:
        return None, "minified (very long lines)"
    return text, problem


class Workspace:
    def __init__(self, root: str, config=None):
        from perfaudit.server.analysis.index import Index

        _run_first_workspace_hooks()
        self.root = norm(root)
        self.config = config
        self.files: dict[str, SourceFile] = {}
        self.side_texts: dict[str, str] = {}  # side document (.prisma) path -> text
        self.env_files: dict[str, str] = {}
        self.package_jsons: dict[str, dict] = {}
        self.tsconfigs: dict[str, dict] = {}
        self.pnpm_workspaces: dict[str, dict] = {}
        # Config files that could not be read as their tools read them.
        self.unreadable_configs: dict[str, str] = {}
        self.skipped: list[tuple[str, str]] = []
        # What wings derive from the side documents (parsed schemas), by key;
        # dropped whenever a side document changes.
        self.derived: dict[str, object] = {}
        # Files whose tree a reader parsed (not the file's own check), the
        # one read last at the end.
        self.trees_read: dict[str, None] = {}
        # Bumped whenever any file's facts or the schemas change: caches over
        # the whole workspace compare it in O(1).
        self.generation = 0
        # Bumped only when what names resolve to may have changed (imports,
        # exports, bindings, classes, feature facts such as routes): not when
        # the user types inside a function body.
        self.structure_generation = 0
        # What changed it since a generation: one file's own structure (an
        # edit) or more (files came or went, configs, schemas). Models over
        # the whole workspace keep themselves when only files they never
        # read changed.
        self.structure_changed_at: dict[str, int] = {}
        self.structure_reset_at = 0
        # Set while an edit's check runs: a model the edit made stale raises
        # RebuildDeferred instead of being rebuilt (seconds on 30 MB).
        self.defer_rebuilds = False
        self.modules = ModuleResolver(self)
        self.index = Index(self)
        # Called with each source file read by `load` (the CLI's progress line).
        self.on_read: Callable[[str], None] | None = None
        self._deferred: list[str] | None = None
        # The check cache (server/cache.py), when the caller keeps one:
        # facts of unchanged files are taken from it instead of parsing.
        self.facts_cache = None

    # ------------------------------------------------------------ reading

    def data_of(self, path: str) -> bytes:
        path = norm(path)
        if path in self.files:
            return self.files[path].data
        text = self.text_of(path)
        return text.encode("utf-8") if text is not None else b""

    def text_of(self, path: str) -> str | None:
        path = norm(path)
        if path in self.files:
            return self.files[path].text
        for table in (self.side_texts, self.env_files):
            if path in table:
                return table[path]
        try:
            with open(path, "rb") as fh:
                return decode_source(fh.read())
        except OSError:
            return None

    def line_index(self, path: str) -> LineIndex:
        path = norm(path)
        if path in self.files:
            return self.files[path].line_index
        return LineIndex(self.data_of(path))

    def relpath(self, path: str) -> str:
        prefix = self.root.rstrip("/") + "/"
        if os.sep == "/" and path.startswith(prefix) and len(path) > len(prefix) and "/." not in path and "//" not in path:
            return path[len(prefix):]  # a normalised path under the root (os.path.relpath: 30 us)
        return os.path.relpath(path, self.root).replace(os.sep, "/")

    # ------------------------------------------------------------ loading

    def load(self, paths: list[str] | None = None, workers: int = 1) -> None:
        """Read every relevant file under the root; with `paths`, the files
        of the packages those paths are in (checking one file still sees the
        services and repositories it calls). With `workers` > 1, sources are
        parsed and summarised in forked processes."""
        targets = [norm(p) for p in (paths or [self.root])]
        if paths:
            # Side documents and project files of the whole root first: the
            # checked files see their package's schema, and package.json
            # files say which workspace packages they import by name.
            self._walk(self.root, sources=False)
            packages = self._with_dependencies({self.package_of(t) for t in targets})
            targets = [t for t in targets if not any(t == p or t.startswith(p + "/") for p in packages)] + sorted(packages)
        self._deferred = [] if workers > 1 else None
        try:
            for target in targets:
                if os.path.isfile(target):
                    self.load_file(target)
                else:
                    self._walk(target)
        finally:
            deferred, self._deferred = self._deferred, None
        if deferred:
            self._load_sources(deferred, workers)
        self.derived.clear()

    def _with_dependencies(self, packages: set[str]) -> set[str]:
        """`packages` and the workspace packages they depend on, transitively
        (what their imports by package name load)."""
        members = self.modules.packages.by_name()
        todo, seen = list(packages), set(packages)
        while todo:
            manifest = self.package_jsons.get(f"{todo.pop()}/package.json") or {}
            for key in ("dependencies", "devDependencies", "peerDependencies"):
                deps = manifest.get(key)
                for name in deps if isinstance(deps, dict) else ():
                    for directory in members.get(name, ()):
                        if directory not in seen:
                            seen.add(directory)
                            todo.append(directory)
        return seen

    def _load_sources(self, paths: list[str], workers: int) -> None:
        """Read sources; those whose facts the cache holds are taken from
        it, the rest are parsed and summarised in forked workers when there
        are many. The files end in walk order, as a serial load leaves them."""
        from perfaudit.server.analysis import parallel

        misses = [p for p in paths if not self._load_cached(p)] if self.facts_cache is not None else paths
        if len(misses) < parallel.PARALLEL_MIN_FILES or not parallel.can_fork():
            for path in misses:
                self.load_file(path)
        else:
            runs = parallel.deal(misses, workers, self.package_of)
            loaded: dict[str, tuple] = {}
            skipped_by_run: dict[int, list] = {}
            for index, (sources, skipped) in parallel.run_forked(self._load_run, runs, workers, self._load_here):
                skipped_by_run[index] = skipped
                for entry in sources:
                    loaded[entry[0]] = entry
            for index in sorted(skipped_by_run):  # in run order, whichever worker finished first
                self.skipped.extend(skipped_by_run[index])
            for path in misses:
                entry = loaded.get(path)
                if entry is None:
                    continue
                self.files[path] = SourceFile(*entry, _on_read=self.index.touch, _on_parse=self._parsed_for_reading)
                if self.facts_cache is not None:
                    self.facts_cache.store_facts(path, self.files[path].raw_data, entry[3])
                if self.on_read is not None:
                    self.on_read(path)
            self.generation += 1
            self._structure_reset()
            self.index.files_changed()
        for path in paths:
            if path in self.files:
                self.files[path] = self.files.pop(path)

    def _load_cached(self, path: str) -> bool:
        """Take a source's facts from the cache; False when it must be parsed."""
        text = self._read_source(path)
        if text is None:
            return True  # skipped, and recorded as such
        data = text.encode("utf-8")
        facts = self.facts_cache.facts_for(path, data)
        if facts is None:
            return False
        self.files[path] = SourceFile(path, Packed.of(data), language_for(path) or "typescript", facts,
                                      _on_read=self.index.touch, _on_parse=self._parsed_for_reading)
        if self.on_read is not None:
            self.on_read(path)
        self.generation += 1
        self._structure_reset()
        self.index.files_changed()
        return True

    def _load_run(self, paths: list[str]):
        """In a forked worker: (path, data, language, facts) of each source
        that loads, and what was skipped."""
        skipped_before = len(self.skipped)
        self.facts_cache = None  # the parent stores what the workers found
        self.on_read = None  # and tells of the files read
        out = []
        for path in paths:
            self.load_file(path)
            source = self.files.pop(path, None)
            if source is not None:
                out.append((source.path, source._data, source.language, source.facts))
        return out, self.skipped[skipped_before:]

    def _load_here(self, paths: list[str]):
        """This process's share of a parallel load: the files go straight in;
        what was skipped is returned, to be listed in run order."""
        skipped_before = len(self.skipped)
        for path in paths:
            self.load_file(path)
        skipped = self.skipped[skipped_before:]
        del self.skipped[skipped_before:]
        return [], skipped

    def package_of(self, path: str) -> str:
        """The nearest directory at or above `path` (inside the root) with a
        package.json; the root when there is none."""
        d = path if os.path.isdir(path) else os.path.dirname(path)
        while d.startswith(self.root) and d != self.root:
            if os.path.isfile(os.path.join(d, "package.json")):
                return d
            d = os.path.dirname(d)
        return self.root

    def is_skipped_dir(self, path: str) -> bool:
        """Directories never read: build output, dependencies, config `exclude`."""
        return os.path.basename(path) in SKIP_DIRS or self._excluded(path)

    def _excluded(self, path: str) -> bool:
        if self.config is None or not hasattr(self.config, "is_excluded"):
            return False
        rel = self.relpath(path)
        return not rel.startswith("..") and self.config.is_excluded(rel)

    def _walk(self, top: str, sources: bool = True) -> None:
        ignores: list[GitIgnore] = []
        # .gitignore files of the directories above `top`, inside the root.
        here = top
        chain = []
        while here.startswith(self.root):
            chain.append(here)
            if here == self.root:
                break
            here = os.path.dirname(here)
        for d in reversed(chain[1:]):
            self._read_gitignore(d, ignores)
        # Each directory's .gitignore applies to everything below it: the
        # list a directory sees is its parent's plus its own (deeper last, so
        # it decides).
        inherited: dict[str, list[GitIgnore]] = {}

        def unreadable(exc: OSError) -> None:
            if exc.filename:
                self._skip(norm(exc.filename), f"unreadable directory: {exc.strerror or exc}")

        for dirpath, dirnames, filenames in os.walk(top, onerror=unreadable):
            dirpath = dirpath.replace(os.sep, "/")
            local = list(inherited.pop(dirpath, ignores))
            self._read_gitignore(dirpath, local)

            def ignored(p: str, is_dir: bool) -> bool:
                verdict = None
                for gi in local:
                    v = gi.ignored(p, is_dir)
                    if v is not None:
                        verdict = v
                return bool(verdict)

            dirnames[:] = sorted(
                d for d in dirnames
                if d not in SKIP_DIRS and not ignored(f"{dirpath}/{d}", True) and not self._excluded(f"{dirpath}/{d}")
            )
            for d in dirnames:
                inherited[f"{dirpath}/{d}"] = local
            for name in sorted(filenames):
                path = f"{dirpath}/{name}"
                if ignored(path, False) and not is_env_file(name):
                    continue
                if not sources and language_for(name) is not None:
                    continue
                self.load_file(path)

    def _read_gitignore(self, directory: str, into: list) -> None:
        path = os.path.join(directory, ".gitignore")
        try:
            with open(path, encoding="utf-8", errors="replace") as fh:
                into.append(GitIgnore(directory, fh.read().splitlines()))
        except OSError:
            pass

    def read_text(self, path: str, limit: int | None = MAX_FILE_BYTES) -> str | None:
        text, problem = read_checked(path, limit)
        if problem is not None:
            self._skip(path, problem)
        return text

    def _skip(self, path: str, reason: str) -> None:
        """Record a left-out file once (a schema is read by the walk and again by discovery)."""
        self.skipped = [s for s in self.skipped if s[0] != path]
        self.skipped.append((path, reason))

    def skip_reason(self, path: str) -> str | None:
        return next((reason for p, reason in self.skipped if p == norm(path)), None)

    def load_file(self, path: str) -> None:
        path = norm(path)
        name = os.path.basename(path)
        if self._excluded(path):
            return
        if language_for(name) is not None:
            if self._deferred is not None:
                self._deferred.append(path)  # loaded after the walk, in workers
                return
            text = self._read_source(path)
            if text is not None:
                self.set_source(path, text)
                self.files[path].pack()
                if self.on_read is not None:
                    self.on_read(path)
        elif is_side_document(name):
            text = self.read_text(path)
            if text is not None:
                self.side_texts[path] = text
        elif is_project_file(name):
            text = self.read_text(path, 100_000 if is_env_file(name) else MAX_FILE_BYTES)
            if text is not None:
                self.set_project_text(path, text)

    def _read_source(self, path: str) -> str | None:
        text, problem = read_source(path)
        if problem is not None:
            self._skip(path, problem)
        return text

    def set_project_text(self, path: str, text: str) -> bool:
        """The text of an `.env*` file, a package.json or a tsconfig, from
        disk or from an editor; False when `path` is none of those."""
        path = norm(path)
        name = os.path.basename(path)
        if is_env_file(name):
            self.env_files[path] = text
            return True
        if name == "package.json":
            table, reader = self.package_jsons, read_package_json
        elif name == PNPM_WORKSPACE:
            table, reader = self.pnpm_workspaces, read_yaml
        elif is_tsconfig(name):
            table, reader = self.tsconfigs, read_tsconfig
        else:
            return False
        old = (table.get(path), self.unreadable_configs.get(path))
        table[path], problem = reader(text)
        if problem:
            self.unreadable_configs[path] = problem
        else:
            self.unreadable_configs.pop(path, None)
        if old != (table[path], problem):  # not on a re-read or a whitespace edit
            self._configs_changed()
        return True

    def _configs_changed(self) -> None:
        """Module specifiers may resolve anew (aliases, workspace packages)."""
        self.modules.changed()
        self._structure_reset()  # what names resolve to may change
        self.index.files_changed()

    def warnings(self) -> list[tuple[str, str]]:
        """(config file, what is wrong with it), one per file, sorted: files
        that could not be read, then chains and aliases that lead nowhere."""
        found = dict(self.modules.warnings())
        found.update(self.unreadable_configs)
        return sorted(found.items())

    # ------------------------------------------------------------ updating

    def set_source(self, path: str, text: str, tree: tree_sitter.Tree | None = None, keep_tree: bool = False, version=None,
                   facts: FileFacts | None = None) -> bool:
        """Set a source file's text (and tree, when the caller parsed it
        incrementally; and facts, when it spliced them from the last ones:
        see splice.py). Returns True when its facts changed."""
        path = norm(path)
        language = language_for(path) or "typescript"
        data = text.encode("utf-8")
        if facts is None and tree is None and not keep_tree and self.facts_cache is not None:
            facts = self.facts_cache.facts_for(path, data)
        if facts is None:
            if tree is None:
                tree = parse(data, language)
            facts = extract_facts(tree, language)
            if self.facts_cache is not None:
                self.facts_cache.store_facts(path, data, facts)
        old = self.files.get(path)
        self.files[path] = SourceFile(path, data, language, facts, tree if keep_tree else None, version,
                                      _on_read=self.index.touch, _on_parse=self._parsed_for_reading)
        self.trees_read.pop(path, None)
        changed = old is None or old.facts != facts
        if old is None:
            self.index.files_changed()
        if changed:
            self.generation += 1
            if old is None:
                self._structure_reset()
            elif old.facts.structure != facts.structure:
                self.structure_generation += 1
                self.structure_changed_at[path] = self.structure_generation
            self.index.invalidate(path)
        return changed

    def _structure_reset(self) -> None:
        self.structure_generation += 1
        self.structure_reset_at = self.structure_generation

    def structure_changed_since(self, generation: int) -> set[str] | None:
        """The files whose own structure changed after `generation`; None
        when more than that changed."""
        if self.structure_reset_at > generation:
            return None
        return {p for p, g in self.structure_changed_at.items() if g > generation}

    def drop_tree(self, path: str) -> None:
        path = norm(path)
        self.trees_read.pop(path, None)
        f = self.files.get(path)
        if f is not None:
            f.tree = None
            f._nodes = None

    def _parsed_for_reading(self, path: str) -> None:
        self.trees_read.pop(path, None)
        self.trees_read[path] = None

    def release_trees(self, keep: int, spare=()) -> None:
        """Let the trees that readers parsed go, but the `keep` read last and
        those of `spare` (open documents). Call it between checks only: a
        check may hold nodes of the trees it read."""
        while len(self.trees_read) > keep:
            oldest = next(iter(self.trees_read))
            del self.trees_read[oldest]
            if oldest not in spare:
                self.drop_tree(oldest)

    def remove(self, path: str) -> None:
        path = norm(path)
        if self.files.pop(path, None) is not None:
            self.generation += 1
            self._structure_reset()
            self.index.files_changed()
            self.index.invalidate(path)
        if self.side_texts.pop(path, None) is not None:
            self.side_changed()
        self.env_files.pop(path, None)
        self.unreadable_configs.pop(path, None)
        configs = [t.pop(path, None) for t in (self.package_jsons, self.tsconfigs, self.pnpm_workspaces)]
        if any(c is not None for c in configs):
            self._configs_changed()

    def set_side_text(self, path: str, text: str) -> None:
        self.side_texts[norm(path)] = text
        self.side_changed()

    def side_changed(self) -> None:
        """A side document changed: what wings derived from them is stale,
        and so is every summary (a schema decides what a call is)."""
        self.generation += 1
        self._structure_reset()
        self.derived.clear()
        self.index.invalidate_all()

    def build_shared_models(self) -> None:
        for build in _SHARED_MODELS:
            build(self)

    def derive(self, key: str, build):
        """What a wing derives from the whole workspace's side documents,
        built once until one of them changes."""
        value = self.derived.get(key)
        if value is None:
            value = self.derived[key] = build(self)
        return value


def is_source_path(path: str) -> bool:
    return os.path.splitext(path)[1].lower() in SOURCE_EXTENSIONS
