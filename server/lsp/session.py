"""The server's state and the analysis loop, independent of the wire.

Everything that touches the engine runs on the event loop thread, one piece
at a time: an edited document is analysed at once (changes that arrive
meanwhile are coalesced into one more run), the work it implies elsewhere
(open files that depend on it, the workspace-scoped rules) follows after a
short pause, and the background scan yields between files. So there are no
locks, and no request waits for more than one file's worth of scanning.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import logging
import time
from dataclasses import dataclass

from lsprotocol import types

from perfaudit.server.findings import Finding
from perfaudit.server.analysis.text import UTF16
from perfaudit.server.analysis.workspace import is_source_path, norm

from perfaudit.server.lsp import convert
from perfaudit.server.lsp.documents import Document, Documents, TextEdit
from perfaudit.server.lsp.roots import Root, deepest_root, standalone_root
from perfaudit.server.lsp.settings import EditorSettings

log = logging.getLogger("perfaudit.lsp")

# Pause before re-checking dependents and running workspace rules after an
# edit: they cost more than one file and rarely change per keystroke.
FOLLOW_UP_DELAY = 0.4


@dataclass
class Report:
    """What the client was last given (or can pull) for one document."""

    version: int | None
    findings: list[Finding]
    diagnostics: list[types.Diagnostic]
    result_id: str


def result_id_of(diagnostics: list[types.Diagnostic]) -> str:
    return hashlib.sha1(repr(diagnostics).encode("utf-8")).hexdigest()[:16]


class Session:
    def __init__(self, client) -> None:
        # `client` sends to the editor: publish(uri, version, diagnostics),
        # refresh(), log(level, message), show(level, message).
        self.client = client
        self.documents = Documents()
        self.roots: list[Root] = []
        self.loose: dict[str, Root] = {}  # documents outside every folder
        self.encoding = UTF16
        self.push = True  # False: the client pulls diagnostics
        self.settings = EditorSettings()
        self.reports: dict[str, Report] = {}
        self._analysing = False
        self._dirty: dict[str, Document] = {}  # uri -> document waiting for analysis
        self._timer: asyncio.TimerHandle | None = None
        self._follow_up: asyncio.TimerHandle | None = None
        self._follow_roots: dict[str, set[str] | None] = {}  # root -> open paths to re-check (None: all)
        self._rule_errors: set[tuple[str, str]] = set()
        self._config_warnings: set[tuple[str, str]] = set()

    # ------------------------------------------------------------ roots

    def add_root(self, path: str, settings: EditorSettings | None = None) -> Root:
        root = Root(path, settings=settings or self.settings)
        root.engine.on_rule_error = self._rule_failed
        root.load_project_config()
        if root.config_problem:
            self.client.show(types.MessageType.Error, f"perfaudit: {root.config_problem}; using the defaults")
        self.roots.append(root)
        return root

    def remove_root(self, path: str) -> None:
        path = norm(path)
        self.roots = [r for r in self.roots if r.path != path]

    def root_for(self, path: str) -> Root:
        root = deepest_root(self.roots, path)
        if root is not None:
            return root
        if path not in self.loose:
            loose = standalone_root(path)
            loose.settings = self.settings
            loose.engine.on_rule_error = self._rule_failed
            loose.load_project_config()
            self.loose[path] = loose
        return self.loose[path]

    def _log_config_warnings(self, root: Root) -> None:
        """Config files read with a fallback (broken tsconfig, package.json):
        said in the log once per file and problem, not on every re-check."""
        for path, message in root.ws.warnings():
            if (path, message) not in self._config_warnings:
                self._config_warnings.add((path, message))
                self.client.log(types.MessageType.Warning, f"perfaudit: {path}: {message}")

    def _rule_failed(self, code: str, exc: BaseException) -> None:
        key = (code, f"{type(exc).__name__}: {exc}")
        if key in self._rule_errors:
            return  # once per distinct failure, not once per keystroke
        self._rule_errors.add(key)
        self.client.log(types.MessageType.Error, f"perfaudit: rule {code} failed and was skipped: {key[1]}")

    # ------------------------------------------------------------ documents

    def open(self, uri: str, version: int, text: str) -> Document | None:
        path = convert.uri_to_path(uri)
        if path is None:
            return None
        doc = self.documents.open(uri, path, version, text)
        self.analyse_now(doc)
        return doc

    def change(self, uri: str, version: int, changes) -> None:
        doc = self.documents.get(uri)
        if doc is None:
            return
        edits = doc.apply(version, changes, self.encoding)
        if edits is None:
            return  # stale
        self._shift_workspace_findings(doc, edits)
        self.schedule(doc)

    def close(self, uri: str) -> None:
        doc = self.documents.close(uri)
        self.reports.pop(uri, None)
        self._dirty.pop(uri, None)
        if doc is None:
            return
        root = self.root_for(doc.path)
        if root.standalone:
            self.loose.pop(doc.path, None)
        else:
            self._reload_from_disk(root, doc.path)
            root.ws.drop_tree(doc.path)
        if self.push:
            self.client.publish(uri, None, [])

    def _reload_from_disk(self, root: Root, path: str) -> None:
        """After close, the file on disk is the truth again (unsaved edits are gone)."""
        if path.endswith(".prisma"):
            text = _read(path)
            if text is None:
                root.ws.remove(path)
            else:
                root.ws.set_side_text(path, text)
            self._queue_follow_up(root, None)
        elif is_source_path(path):
            text = _read(path)
            if text is None:
                root.ws.remove(path)
            elif root.ws.set_source(path, text):
                self._queue_follow_up(root, root.ws.index.dependents(path))

    # ------------------------------------------------------------ analysis

    def schedule(self, doc: Document) -> None:
        """Analyse soon; while one analysis runs, later changes coalesce."""
        self._dirty[doc.uri] = doc
        if self._analysing or self._timer is not None:
            return
        delay = max(self.settings.debounce_ms, 0) / 1000
        loop = asyncio.get_event_loop()
        self._timer = loop.call_later(delay, self._drain) if delay else loop.call_soon(self._drain)

    def flush(self, uri: str) -> None:
        """Analyse `uri` now if a change is waiting: a pull must not see an old version."""
        doc = self._dirty.pop(uri, None)
        if doc is not None and self.documents.get(uri) is doc and not self._analysing:
            self.analyse_now(doc)

    def _drain(self) -> None:
        self._timer = None
        self._analysing = True
        try:
            while self._dirty:
                _, doc = self._dirty.popitem()
                if self.documents.get(doc.uri) is doc:
                    self.analyse_now(doc)
        finally:
            self._analysing = False

    def analyse_now(self, doc: Document) -> None:
        root = self.root_for(doc.path)
        try:
            if doc.is_source:
                self._analyse_source(root, doc)
            elif doc.is_schema:
                root.ws.set_side_text(doc.path, doc.text)
                self._queue_follow_up(root, None, delay=0.0)
            elif root.ws.set_project_text(doc.path, doc.text):
                # `.env*`, package.json, tsconfig: the workspace rules read them.
                self._queue_follow_up(root, None, delay=0.0)
        except Exception as exc:  # an engine bug must not take the server down
            log.exception("analysis of %s failed", doc.path)
            self.client.log(types.MessageType.Error, f"perfaudit: analysis of {doc.path} failed: {type(exc).__name__}: {exc}")
        self.publish(root, doc)

    def _analyse_source(self, root: Root, doc: Document) -> None:
        dependents = root.ws.index.dependents(doc.path)
        changed = root.ws.set_source(doc.path, doc.text, tree=doc.tree, keep_tree=True, version=doc.version)
        source = root.ws.files[doc.path]
        source._line_index = doc.line_index  # same bytes; spares the engine a slow rebuild
        root.file_findings[doc.path] = root.engine.check_file(doc.path) if root.settings.enable else []
        if changed:
            self._queue_follow_up(root, dependents | root.ws.index.dependents(doc.path))

    def _shift_workspace_findings(self, doc: Document, edits: list[TextEdit]) -> None:
        """Keep workspace-rule findings on an edited file in place until they are recomputed."""
        root = self.root_for(doc.path)
        found = root.workspace_findings.get(doc.path)
        if not found:
            return
        for edit in edits:
            found = [f for f in (shift(f, doc.path, edit) for f in found) if f is not None]
        root.workspace_findings[doc.path] = found

    # ------------------------------------------------------------ follow-up

    def _queue_follow_up(self, root: Root, paths: set[str] | None, delay: float = FOLLOW_UP_DELAY) -> None:
        if root.standalone:
            return
        if root.path in self._follow_roots and self._follow_roots[root.path] is not None and paths is not None:
            self._follow_roots[root.path] |= set(paths)
        elif root.path not in self._follow_roots or paths is None:
            self._follow_roots[root.path] = None if paths is None else set(paths)
        if self._follow_up is not None:
            self._follow_up.cancel()
        loop = asyncio.get_event_loop()
        self._follow_up = loop.call_later(delay, self.run_follow_up)

    def run_follow_up(self) -> None:
        self._follow_up = None
        pending, self._follow_roots = self._follow_roots, {}
        for root in list(self.roots):
            if root.path not in pending:
                continue
            wanted = pending[root.path]
            self.recheck(root, wanted)

    def recheck(self, root: Root, paths: set[str] | None = None) -> None:
        """Re-run workspace rules, re-check open files (those in `paths`, or all), publish what changed."""
        try:
            self.run_workspace_rules(root)
            self._log_config_warnings(root)
        except Exception as exc:
            log.exception("workspace rules failed")
            self.client.log(types.MessageType.Error, f"perfaudit: workspace analysis failed: {type(exc).__name__}: {exc}")
        for doc in self.documents:
            if self.root_for(doc.path) is not root:
                continue
            if doc.is_source and (paths is None or doc.path in paths) and doc.uri not in self._dirty:
                try:
                    self._analyse_source_quiet(root, doc)
                except Exception:
                    log.exception("re-check of %s failed", doc.path)
            self.publish(root, doc, only_if_changed=True)
        if not self.push:
            self.client.refresh()

    def _analyse_source_quiet(self, root: Root, doc: Document) -> None:
        source = root.ws.files.get(doc.path)
        if source is None or source.data != doc.data:
            root.ws.set_source(doc.path, doc.text, tree=doc.tree, keep_tree=True, version=doc.version)
            source = root.ws.files[doc.path]
        source._line_index = doc.line_index
        root.file_findings[doc.path] = root.engine.check_file(doc.path) if root.settings.enable else []

    def run_workspace_rules(self, root: Root) -> None:
        grouped: dict[str, list[Finding]] = {}
        if root.settings.enable and not root.standalone:
            for f in root.engine.check_workspace_rules():
                grouped.setdefault(f.path, []).append(f)
        root.workspace_findings = grouped

    def recheck_all(self) -> None:
        for root in list(self.roots):
            self.recheck(root, None)
        for loose in list(self.loose.values()):
            doc = self.documents.by_path(loose.path)
            if doc is not None:
                self.analyse_now(doc)

    # ------------------------------------------------------------ files on disk

    def files_changed(self, changes: list[tuple[str, bool]]) -> None:
        """Files changed on disk: (path, deleted). Open documents keep the editor's text."""
        touched: dict[str, Root] = {}
        for path, deleted in changes:
            root = deepest_root(self.roots, path)
            if root is None or self.documents.by_path(path) is not None:
                continue
            touched[root.path] = root
            name = path.rsplit("/", 1)[-1]
            if name == "perfaudit.toml" or (name == "package.json" and path == f"{root.path}/package.json"):
                root.load_project_config()
                if root.config_problem:
                    self.client.show(types.MessageType.Error, f"perfaudit: {root.config_problem}; using the defaults")
            if deleted:
                root.ws.remove(path)
                root.file_findings.pop(path, None)
                root.workspace_findings.pop(path, None)
            else:
                root.ws.load_file(path)
                if path in root.file_findings and path in root.ws.files:
                    try:
                        root.file_findings[path] = root.engine.check_file(path)
                    finally:
                        root.ws.drop_tree(path)
            if name.endswith(".prisma") or name == "package.json" or name.startswith("prisma.config."):
                root.ws.side_changed()
        for root in touched.values():
            self._queue_follow_up(root, None, delay=0.0)

    # ------------------------------------------------------------ publishing

    def index_of(self, path: str):
        doc = self.documents.by_path(path)
        if doc is not None:
            return doc.line_index
        return self.root_for(path).ws.line_index(path)

    def version_of(self, path: str) -> int | None:
        doc = self.documents.by_path(path)
        return doc.version if doc is not None else None

    def report_for(self, root: Root, path: str, version: int | None) -> Report:
        findings = root.findings_for(path)
        diagnostics = [convert.to_diagnostic(f, self.index_of, self.version_of, self.encoding) for f in findings]
        return Report(version, findings, diagnostics, result_id_of(diagnostics))

    def publish(self, root: Root, doc: Document, only_if_changed: bool = False) -> None:
        report = self.report_for(root, doc.path, doc.version)
        old = self.reports.get(doc.uri)
        self.reports[doc.uri] = report
        if not self.push:
            return
        if only_if_changed and old is not None and old.result_id == report.result_id and old.version == report.version:
            return
        self.client.publish(doc.uri, doc.version, report.diagnostics)

    def closed_reports(self) -> dict[str, Report]:
        """Reports of files that are not open but have findings (for workspace pull)."""
        out: dict[str, Report] = {}
        open_paths = {d.path for d in self.documents}
        for root in self.roots:
            for path in sorted(root.paths_with_findings() - open_paths):
                out[convert.path_to_uri(path)] = self.report_for(root, path, None)
        return out

    def finding_at(self, uri: str, line: int, character: int) -> list[tuple[Finding, types.Diagnostic]]:
        report = self.reports.get(uri)
        if report is None:
            return []
        pos = (line, character)
        return [
            (f, d) for f, d in zip(report.findings, report.diagnostics)
            if (d.range.start.line, d.range.start.character) <= pos <= (d.range.end.line, d.range.end.character)
        ]


def shift(f: Finding, path: str, edit: TextEdit) -> Finding | None:
    """`f` moved past an edit of `path`; None when the edit touched its range."""
    delta = edit.new_end - edit.old_end

    def moved(start: int, end: int) -> tuple[int, int] | None:
        if end < edit.start or (end == edit.start and start < end):
            return start, end
        if start >= edit.old_end:
            return start + delta, end + delta
        return None

    span = moved(f.start, f.end)
    if span is None:
        return None
    related = []
    for r in f.related:
        if r.path != path:
            related.append(r)
            continue
        rs = moved(r.start, r.end)
        if rs is not None:
            related.append(dataclasses.replace(r, start=rs[0], end=rs[1]))
    fixes = []
    for fix in f.fixes:
        edits = []
        for e in fix.edits:
            if e.path != path:
                edits.append(e)
                continue
            es = moved(e.start, e.end)
            if es is None:
                edits = None
                break
            edits.append(dataclasses.replace(e, start=es[0], end=es[1]))
        if edits is not None:
            fixes.append(dataclasses.replace(fix, edits=tuple(edits)))
    return dataclasses.replace(f, start=span[0], end=span[1], related=tuple(related), fixes=tuple(fixes))


def _read(path: str) -> str | None:
    from perfaudit.server.analysis.text import decode_source

    try:
        with open(path, "rb") as fh:
            return decode_source(fh.read())
    except OSError:
        return None


def monotonic_ms() -> float:
    return time.monotonic() * 1000
