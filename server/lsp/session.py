"""The server's state and the analysis loop, independent of the wire.

Everything that touches the engine runs as a job of the `Worker`, one at a
time and in slices (see worker.py), so requests are answered between
slices and there are no locks. An edited document is analysed first
(changes that arrive meanwhile cancel that run and coalesce into one
more), the work it implies elsewhere (open files that depend on it, the
workspace-scoped rules) follows after a short pause, and the background
scan yields to both. Publishing happens on the event loop, after a job.

An edit inside one function's body re-checks that function alone, or holds
the last findings while the syntax is broken beyond it (incremental.py);
the whole file is then checked with the follow-up, once typing pauses.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import logging
import time
from dataclasses import dataclass

from lsprotocol import types

from perfaudit.server.analysis.checkpoint import checkpoint
from perfaudit.server.findings import Finding, shift
from perfaudit.server.incremental import Analysed, check_edit
from perfaudit.server.analysis.text import UTF16
from perfaudit.server.analysis.workspace import is_source_path, norm

from perfaudit.server.lsp import convert
from perfaudit.server.lsp.documents import Document, Documents, TextEdit
from perfaudit.server.lsp.roots import Root, deepest_root, display, standalone_root
from perfaudit.server.lsp.settings import EditorSettings
from perfaudit.server.lsp.worker import Cancelled, Worker

log = logging.getLogger("perfaudit.lsp")

# Pause before re-checking dependents and running workspace rules after an
# edit: they cost more than one file and rarely change per keystroke.
FOLLOW_UP_DELAY = 0.4
# Trees of closed files that the server keeps after a job, for the next check that reads them.
TREES_READ_KEPT = 64

# Worker priorities: an edit's analysis cancels (and later redoes) the
# others; the background scan yields to everything.
SCAN, FILES, FOLLOW_UP, EDIT = 0, 1, 1, 2


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
        self.worker = Worker()
        self.worker.after_each_job = self._release_trees
        self._dirty: dict[str, Document] = {}  # uri -> document waiting for analysis
        self._draining = False
        self._analysing: str | None = None  # the uri the worker is analysing
        self._settled = asyncio.Event()
        self._tasks: set[asyncio.Task] = set()
        self._timer: asyncio.TimerHandle | None = None
        self._follow_up: asyncio.TimerHandle | None = None
        self._following = False
        self._followed = asyncio.Event()  # set each time a follow-up pass ends
        self._follow_delay = FOLLOW_UP_DELAY
        self._follow_roots: dict[str, set[str] | None] = {}  # root -> open paths to re-check (None: all)
        self._rule_errors: set[tuple[str, str]] = set()
        self._config_warnings: set[tuple[str, str]] = set()

    def _release_trees(self) -> None:
        """Trees that rules parsed to read closed files (the services a
        route calls) go again, but the last few: kept, they added up to a
        tree of every file that any check read."""
        open_paths = {doc.path for doc in self.documents}
        for root in [*self.roots, *self.loose.values()]:
            root.ws.release_trees(TREES_READ_KEPT, spare=open_paths)

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
        self.schedule(doc, at_once=True)
        return doc

    def change(self, uri: str, version: int, changes) -> None:
        doc = self.documents.get(uri)
        if doc is None:
            return
        edits = doc.apply(version, changes, self.encoding)
        if edits is None:
            return  # stale
        self.worker.cancel(about=uri)  # its result would be stale already
        self._shift_workspace_findings(doc, edits)
        self.schedule(doc)

    def close(self, uri: str) -> None:
        doc = self.documents.close(uri)
        self.reports.pop(uri, None)
        self._dirty.pop(uri, None)
        if doc is None:
            return
        self.worker.cancel(about=uri)
        root = self.root_for(doc.path)
        if root.standalone:
            self.loose.pop(doc.path, None)
        else:
            self._start(self._until_done(self._reload_from_disk, root, doc.path))
        if self.push:
            self.client.publish(uri, None, [])

    def _reload_from_disk(self, root: Root, path: str) -> None:
        """After close, the file on disk is the truth again (unsaved edits are gone)."""
        dependents = root.ws.index.dependents(path)
        # Pulling clients list closed files' findings too: those of the disk's text.
        self._reload(root, path, deleted=False, recheck=not self.push)
        self._queue_follow_up(root, None if not is_source_path(path) else dependents | root.ws.index.dependents(path))

    # ------------------------------------------------------------ analysis

    def schedule(self, doc: Document, at_once: bool = False) -> None:
        """Analyse soon (after the debounce); changes that arrive meanwhile coalesce."""
        self._dirty[doc.uri] = doc
        delay = 0 if at_once else max(self.settings.debounce_ms, 0) / 1000
        if delay and self._timer is None and not self._draining:
            self._timer = asyncio.get_event_loop().call_later(delay, self._start_drain)
        elif not delay:
            self._start_drain()

    def _start_drain(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self._draining:
            self._draining = True
            self._start(self._drain())

    async def _drain(self) -> None:
        try:
            while self._dirty:
                uri = next(iter(self._dirty))
                doc = self._dirty.pop(uri)
                if self.documents.get(uri) is not doc:
                    continue
                root = self.root_for(doc.path)
                self._analysing = uri
                try:
                    await self.worker.call(self._analyse, root, doc, priority=EDIT, about=uri)
                except Cancelled:
                    if self.documents.get(uri) is doc:
                        self._dirty.setdefault(uri, doc)  # not edited since: try again
                    continue
                except Exception as exc:  # an engine bug must not take the server down
                    log.exception("analysis of %s failed", doc.path)
                    self.client.log(types.MessageType.Error, f"perfaudit: analysis of {doc.path} failed: {type(exc).__name__}: {exc}")
                finally:
                    self._analysing = None
                    self._settled.set()
                self.publish(root, doc)
                self._arm_follow_up()
        finally:
            self._draining = False
            self._settled.set()

    async def settle(self, uri: str | None = None) -> None:
        """Wait until `uri` (or every document) has been analysed in its latest
        version. A schema or project file's findings all come from the
        workspace pass, so for those documents that pass is awaited too."""
        while True:
            if self._analysis_pending(uri):
                self._start_drain()
                self._settled.clear()
                await self._settled.wait()
            elif self._workspace_pass_pending(uri):
                if not self._following:
                    if self._follow_up is not None:
                        self._follow_up.cancel()
                    self.run_follow_up()  # now, not after the pause
                self._followed.clear()
                await self._followed.wait()
            else:
                return

    def _analysis_pending(self, uri: str | None) -> bool:
        if uri is None:
            return bool(self._dirty) or self._analysing is not None
        return uri in self._dirty or self._analysing == uri

    def _workspace_pass_pending(self, uri: str | None) -> bool:
        doc = self.documents.get(uri) if uri is not None else None
        if doc is None or doc.is_source or doc.skipped is not None:
            return False
        root = self.root_for(doc.path)
        return not root.standalone and (self._following or root.path in self._follow_roots)

    def _analyse(self, root: Root, doc: Document) -> None:
        """In the worker: bring `root` up to date with the document's text."""
        if doc.skipped is not None:
            self._forget(root, doc.path)
        elif doc.is_source:
            self._analyse_source(root, doc)
        elif doc.is_schema:
            root.ws.set_side_text(doc.path, doc.text)
            self._queue_follow_up(root, None, delay=0.0)
        elif root.ws.set_project_text(doc.path, doc.text):
            # `.env*`, package.json, tsconfig: the workspace rules read them.
            self._queue_follow_up(root, None, delay=0.0)

    def _forget(self, root: Root, path: str) -> None:
        """A file left out (too big, binary, unreadable): none of its old facts or findings stay."""
        known = path in root.ws.files or path in root.ws.side_texts or path in root.ws.env_files
        dependents = root.ws.index.dependents(path)
        root.ws.remove(path)
        root.file_findings.pop(path, None)
        root.workspace_findings.pop(path, None)
        if known:
            self._queue_follow_up(root, dependents, delay=0.0)

    def _analyse_source(self, root: Root, doc: Document, whole: bool = False) -> None:
        version, data = doc.version, doc.data
        dependents = root.ws.index.dependents(doc.path)
        if not whole and doc.analysed is not None and root.settings.enable and not root.standalone:
            done = check_edit(root.engine, doc.path, doc.analysed, doc.parsed, data, version)
            if done is not None:  # an edit inside one function: that function was checked, or the edit held
                if not done.held:
                    self._keep_line_index(root, doc, data)
                root.file_findings[doc.path] = done.findings
                doc.analysed = done.analysed
                # The whole file once typing pauses (another method may call this one).
                self._queue_follow_up(root, {doc.path} | dependents | root.ws.index.dependents(doc.path))
                return
        tree = doc.parsed()
        changed = root.ws.set_source(doc.path, data.decode("utf-8", errors="replace"), tree=tree, keep_tree=True, version=version)
        self._keep_line_index(root, doc, data)
        findings = root.file_findings[doc.path] = root.engine.check_file(doc.path) if root.settings.enable else []
        doc.analysed = Analysed.whole(data, tree, findings) if data == root.ws.files[doc.path].raw_data else None
        if changed:
            self._queue_follow_up(root, dependents | root.ws.index.dependents(doc.path))
        elif root.ws.index.workspace_rules_read(doc.path):
            # Same facts, new text that the workspace rules read (P105 reads
            # each query's argument keys): they run again, nothing else.
            self._queue_follow_up(root, set())

    def _keep_line_index(self, root: Root, doc: Document, data: bytes) -> None:
        if doc.data is data:
            root.ws.files[doc.path]._line_index = doc.line_index  # same bytes; spares the engine a slow rebuild

    def _shift_workspace_findings(self, doc: Document, edits: list[TextEdit]) -> None:
        """Keep workspace-rule findings on an edited file in place until they are recomputed."""
        root = self.root_for(doc.path)
        found = root.workspace_findings.get(doc.path)
        if not found:
            return
        for edit in edits:
            found = [f for f in (shift(f, doc.path, edit) for f in found) if f is not None]
        root.workspace_findings[doc.path] = found

    def _start(self, coro) -> asyncio.Task:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _until_done(self, fn, *args, priority: int = FILES) -> None:
        """Run a job that must not be lost: again after each cancellation."""
        while True:
            try:
                await self.worker.call(fn, *args, priority=priority)
            except Cancelled:
                continue
            except Exception:
                log.exception("background work failed")
            break
        self._arm_follow_up()

    # ------------------------------------------------------------ follow-up

    def _queue_follow_up(self, root: Root, paths: set[str] | None, delay: float = FOLLOW_UP_DELAY) -> None:
        """Note work for later (callable from the worker: the timer is set on the loop)."""
        if root.standalone:
            return
        if root.path in self._follow_roots and self._follow_roots[root.path] is not None and paths is not None:
            self._follow_roots[root.path] |= set(paths)
        elif root.path not in self._follow_roots or paths is None:
            self._follow_roots[root.path] = None if paths is None else set(paths)
        self._follow_delay = min(self._follow_delay, delay)

    def _arm_follow_up(self) -> None:
        if not self._follow_roots or self._following:
            return
        if self._follow_up is not None:
            self._follow_up.cancel()
        delay, self._follow_delay = self._follow_delay, FOLLOW_UP_DELAY
        self._follow_up = asyncio.get_event_loop().call_later(delay, self.run_follow_up)

    def run_follow_up(self) -> None:
        self._follow_up = None
        if not self._following:
            self._following = True
            self._start(self._follow())

    async def _follow(self) -> None:
        try:
            while self._follow_roots:
                pending, self._follow_roots = self._follow_roots, {}
                roots = [r for r in self.roots if r.path in pending]
                try:
                    await self.worker.call(self._recheck_roots, roots, pending, priority=FOLLOW_UP, about="follow-up")
                except Cancelled:
                    for path, paths in pending.items():  # not done: keep it for later
                        root = next((r for r in self.roots if r.path == path), None)
                        if root is not None:
                            self._queue_follow_up(root, paths)
                    break
                for root in roots:
                    self._publish_root(root)
        finally:
            self._following = False
            self._followed.set()
            self._arm_follow_up()

    def _recheck_roots(self, roots: list[Root], pending: dict) -> None:
        for root in roots:
            self.recheck(root, pending[root.path])

    def recheck(self, root: Root, paths: set[str] | None = None) -> None:
        """In the worker: re-run workspace rules, re-check open files (those in `paths`, or all)."""
        try:
            self.run_workspace_rules(root)
            self._log_config_warnings(root)
            if root.settings.enable and not root.standalone:
                # What every route reaches, here in the background: the first
                # route-aware check of an edit would otherwise derive it for
                # every route of the workspace (seconds on 30 MB).
                root.ws.build_shared_models()
        except Cancelled:
            raise
        except Exception as exc:
            log.exception("workspace rules failed")
            self.client.log(types.MessageType.Error, f"perfaudit: workspace analysis failed: {type(exc).__name__}: {exc}")
        for doc in self.documents:
            if self.root_for(doc.path) is not root or doc.skipped is not None:
                continue
            if doc.is_source and (paths is None or doc.path in paths) and doc.uri not in self._dirty:
                try:
                    self._analyse_source_quiet(root, doc)
                except Cancelled:
                    raise
                except Exception:
                    log.exception("re-check of %s failed", doc.path)

    def _publish_root(self, root: Root) -> None:
        for doc in self.documents:
            if self.root_for(doc.path) is root:
                self.publish(root, doc, only_if_changed=True)
        if not self.push:
            self.client.refresh()

    def _analyse_source_quiet(self, root: Root, doc: Document) -> None:
        source = root.ws.files.get(doc.path)
        if source is None or source.data != doc.data:
            self._analyse_source(root, doc, whole=True)
            return
        source._line_index = doc.line_index
        findings = root.file_findings[doc.path] = root.engine.check_file(doc.path) if root.settings.enable else []
        if doc.analysed is not None and doc.analysed.data == source.raw_data:
            doc.analysed = dataclasses.replace(doc.analysed, findings=findings)

    def run_workspace_rules(self, root: Root) -> None:
        grouped: dict[str, list[Finding]] = {}
        if root.settings.enable and not root.standalone:
            for f in root.engine.check_workspace_rules():
                grouped.setdefault(f.path, []).append(f)
        root.workspace_findings = grouped

    def recheck_all(self) -> None:
        """Settings changed: every document and every root again."""
        for doc in self.documents:
            doc.analysed = None  # found under the old settings: checked whole again
            self.schedule(doc, at_once=True)
        for root in list(self.roots):
            self._queue_follow_up(root, None, delay=0.0)
        self._arm_follow_up()

    def recheck_root(self, root: Root) -> None:
        """Cross-file facts of `root` are complete (after a scan): re-check what is open."""
        self._queue_follow_up(root, None, delay=0.0)
        self._arm_follow_up()

    # ------------------------------------------------------------ files on disk

    def files_changed(self, changes: list[tuple[str, bool]]) -> None:
        """Files changed on disk: (path, deleted). Open documents keep the editor's text."""
        self._start(self._until_done(self._apply_file_changes, changes))

    def _apply_file_changes(self, changes: list[tuple[str, bool]]) -> None:
        for path, deleted in changes:
            checkpoint()
            root = deepest_root(self.roots, path)
            if root is None or self.documents.by_path(path) is not None:
                continue
            name = path.rsplit("/", 1)[-1]
            if name == "perfaudit.toml" or (name == "package.json" and path == f"{root.path}/package.json"):
                root.load_project_config()
                if root.config_problem:
                    self.client.show(types.MessageType.Error, f"perfaudit: {root.config_problem}; using the defaults")
            self._reload(root, path, deleted, recheck=path in root.file_findings)
            if name.endswith(".prisma") or name == "package.json" or name.startswith("prisma.config."):
                root.ws.side_changed()
            self._queue_follow_up(root, None, delay=0.0)

    def _reload(self, root: Root, path: str, deleted: bool, recheck: bool) -> None:
        """One file again from disk: what it was is forgotten first, so a file
        that became binary, too big or unreadable keeps no stale facts."""
        root.ws.remove(path)
        root.file_findings.pop(path, None)
        root.workspace_findings.pop(path, None)
        root.ws.skipped = [s for s in root.ws.skipped if s[0] != path]
        if deleted:
            return
        root.ws.load_file(path)
        if path.endswith(".prisma"):
            root.ws.side_changed()
        reason = root.ws.skip_reason(path)
        if reason is not None:
            self.client.log(types.MessageType.Warning, f"perfaudit: skipped {display(path, root)}: {reason}")
        if recheck and path in root.ws.files:
            try:
                root.file_findings[path] = root.engine.check_file(path)
            finally:
                root.ws.drop_tree(path)

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
        doc = self.documents.by_path(path)
        if doc is not None and doc.skipped is not None:
            # Said once, on the first line: the document is not analysed.
            note = types.Diagnostic(
                range=types.Range(types.Position(0, 0), types.Position(0, 0)),
                message=f"perfaudit: this file is not analysed: {doc.skipped}",
                severity=types.DiagnosticSeverity.Information,
                source=convert.SOURCE,
            )
            return Report(version, [], [note], result_id_of([note]))
        source = root.ws.files.get(path)
        held = doc is not None and source is not None and source.raw_data != doc.data
        findings = root.findings_for(path, (doc.text, doc.line_index) if held else None)
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


def monotonic_ms() -> float:
    return time.monotonic() * 1000
