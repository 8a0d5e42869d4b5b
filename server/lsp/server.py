"""The perfaudit language server: LSP in, engine calls, LSP out.

This module only wires protocol messages to `Session` (state and analysis),
`actions`, `hover`, `scan` and `settings`; no rule logic lives here.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import sys

from lsprotocol import types
from pygls.io_ import StdoutWriter
from pygls.lsp.server import LanguageServer

from perfaudit.server.registry import all_rules

from perfaudit.server.lsp import actions, convert, hover, routes_feature, schema_feature
from perfaudit.server.lsp.extra_rules import load_extra_rules
from perfaudit.server.lsp.logs import ClientLogHandler
from perfaudit.server.lsp.progress import Progress
from perfaudit.server.lsp.scan import scan_root
from perfaudit.server.lsp.session import Session
from perfaudit.server.lsp.settings import layered, parse_settings
from perfaudit.server.lsp.wire import LifecycleProtocol, serve

NAME = "perfaudit"
CONFIG_SECTION = "perfaudit"
WATCHED = (
    "**/*.{ts,tsx,mts,cts,js,jsx,mjs,cjs}", "**/*.prisma", "**/.env*", "**/package.json", "**/perfaudit.toml",
    # Module resolution: aliases and workspace packages.
    "**/{tsconfig,jsconfig}*.json", "**/pnpm-workspace.yaml",
)

log = logging.getLogger("perfaudit.lsp")


def _version() -> str:
    try:
        from perfaudit import __version__

        return __version__
    except ImportError:  # pragma: no cover
        return "0.0.0"


class _Client:
    """What the session may send to the editor."""

    def __init__(self, server: "PerfauditServer"):
        self.server = server

    def publish(self, uri: str, version: int | None, diagnostics) -> None:
        self.server.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, version=version, diagnostics=list(diagnostics))
        )

    def refresh(self) -> None:
        caps = self.server.client_capabilities.workspace
        if caps and caps.diagnostics and caps.diagnostics.refresh_support:
            self.server.workspace_diagnostic_refresh(None)

    def log(self, level: types.MessageType, message: str) -> None:
        self.server.window_log_message(types.LogMessageParams(type=level, message=message))

    def show(self, level: types.MessageType, message: str) -> None:
        self.server.window_show_message(types.ShowMessageParams(type=level, message=message))


class PerfauditServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__(NAME, _version(), text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
                         protocol_cls=LifecycleProtocol)
        self.session = Session(_Client(self))
        self.scan_task: asyncio.Task | None = None
        self.log_handler: ClientLogHandler | None = None
        self.init_options = None  # the base layer under workspace/configuration
        self.shown_problems: set[str] = set()

    def report_server_error(self, error, source):
        # Out-of-band errors go to the log, never as a popup per keystroke.
        try:
            self.window_log_message(types.LogMessageParams(type=types.MessageType.Error, message=f"perfaudit: {error}"))
        except Exception:
            pass

    # ------------------------------------------------------------ settings

    def apply_settings(self, raw, root=None) -> bool:
        """Settings for `root` (None: every root); whether they changed."""
        settings, problems = parse_settings(raw)
        for problem in problems:
            if problem in self.shown_problems:
                continue  # the same bad value, read again from another layer
            self.shown_problems.add(problem)
            self.session.client.show(types.MessageType.Warning, f"perfaudit: invalid setting {problem}; using the default")
        targets = [root] if root is not None else [*self.session.roots, *self.session.loose.values()]
        if root is None:
            self.session.settings = settings
        changed = False
        for r in targets:
            if r.settings == settings:
                continue  # the same again: its config and what was found with it stay
            changed = True
            r.settings = settings
            r.configure()
        if self.log_handler is not None:
            self.log_handler.set_trace(settings.trace)
        return changed

    async def fetch_configuration(self) -> bool:
        """The client's settings for each root; whether any changed."""
        caps = self.client_capabilities.workspace
        if not (caps and caps.configuration) or not self.session.roots:
            return False
        items = [types.ConfigurationItem(scope_uri=convert.path_to_uri(r.path), section=CONFIG_SECTION) for r in self.session.roots]
        try:
            values = await self.workspace_configuration_async(types.ConfigurationParams(items=items))
        except Exception as exc:
            log.warning("workspace/configuration failed: %s", exc)
            return False
        changed = False
        for root, value in zip(list(self.session.roots), values or []):
            changed |= self.apply_settings(layered(self.init_options, value), root)
        if self.session.roots:
            self.session.settings = self.session.roots[0].settings
        if self.log_handler is not None:
            self.log_handler.set_trace(self.session.settings.trace)
        return changed

    # ------------------------------------------------------------ workspace scan

    async def scan_all(self) -> None:
        check_closed = not self.session.push
        for root in list(self.session.roots):
            progress = Progress(self, f"perfaudit: analysing {os.path.basename(root.path) or root.path}")
            await progress.begin("finding files")
            try:
                finished = await scan_root(self.session, root, progress, check_closed=check_closed)
            except asyncio.CancelledError:
                progress.end("stopped")
                raise
            except Exception as exc:
                log.exception("workspace scan failed")
                self.session.client.log(types.MessageType.Error, f"perfaudit: workspace scan failed: {exc}")
                finished = False
            # Cross-file facts are complete now: re-check what is open (queued
            # before the end is told, so a request that follows waits for it).
            self.session.recheck_root(root)
            progress.end("done" if finished else "cancelled")
        freeze_facts()


server = PerfauditServer()


@server.feature(types.INITIALIZE)
def initialize(ls: PerfauditServer, params: types.InitializeParams) -> None:
    session = ls.session
    session.encoding = str(ls.workspace.position_encoding or "utf-16")
    session.push = not _pulls_with_refresh(params.capabilities)
    ls.init_options = params.initialization_options
    ls.apply_settings(params.initialization_options)
    folders = [f.uri for f in params.workspace_folders or []] or ([params.root_uri] if params.root_uri else [])
    if not folders and params.root_path:
        folders = [convert.path_to_uri(params.root_path)]
    for uri in folders:
        path = convert.uri_to_path(uri)
        if path is not None:
            session.add_root(path, session.settings)


@server.feature(types.INITIALIZED)
async def initialized(ls: PerfauditServer, params: types.InitializedParams) -> None:
    session = ls.session
    if await ls.fetch_configuration():
        for doc in session.documents:
            doc.analysed = None
            session.schedule(doc, at_once=True)  # with the fetched settings
    caps = ls.client_capabilities.workspace
    if caps and caps.did_change_watched_files and caps.did_change_watched_files.dynamic_registration:
        watchers = [types.FileSystemWatcher(glob_pattern=g) for g in WATCHED]
        try:
            await ls.client_register_capability_async(types.RegistrationParams(registrations=[
                types.Registration(
                    id="perfaudit-watched-files",
                    method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                    register_options=types.DidChangeWatchedFilesRegistrationOptions(watchers=watchers),
                )
            ]))
        except Exception as exc:
            log.warning("could not register file watchers: %s", exc)
    ls.scan_task = asyncio.ensure_future(ls.scan_all())


@server.feature(types.SHUTDOWN)
def shutdown(ls: PerfauditServer, params) -> None:
    if ls.scan_task is not None and not ls.scan_task.done():
        ls.scan_task.cancel()


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: PerfauditServer, params: types.DidOpenTextDocumentParams) -> None:
    doc = params.text_document
    ls.session.open(doc.uri, doc.version, doc.text)


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: PerfauditServer, params: types.DidChangeTextDocumentParams) -> None:
    ls.session.change(params.text_document.uri, params.text_document.version, params.content_changes)


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: PerfauditServer, params: types.DidCloseTextDocumentParams) -> None:
    ls.session.close(params.text_document.uri)


@server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
def did_change_watched_files(ls: PerfauditServer, params: types.DidChangeWatchedFilesParams) -> None:
    changes = []
    for event in params.changes:
        path = convert.uri_to_path(event.uri)
        if path is not None:
            changes.append((path, event.type == types.FileChangeType.Deleted))
    ls.session.files_changed(changes)


@server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
async def did_change_configuration(ls: PerfauditServer, params: types.DidChangeConfigurationParams) -> None:
    caps = ls.client_capabilities.workspace
    if caps and caps.configuration:
        await ls.fetch_configuration()
    else:
        ls.apply_settings(params.settings)
    ls.session.recheck_all()


@server.feature(types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
def did_change_workspace_folders(ls: PerfauditServer, params: types.DidChangeWorkspaceFoldersParams) -> None:
    for folder in params.event.removed:
        path = convert.uri_to_path(folder.uri)
        if path is not None:
            ls.session.remove_root(path)
    added = []
    for folder in params.event.added:
        path = convert.uri_to_path(folder.uri)
        if path is not None:
            added.append(ls.session.add_root(path, ls.session.settings))
    if added:
        asyncio.ensure_future(_scan_added(ls, added))


async def _scan_added(ls: PerfauditServer, roots) -> None:
    await ls.fetch_configuration()
    for root in roots:
        progress = Progress(ls, f"perfaudit: analysing {os.path.basename(root.path)}")
        await progress.begin()
        await scan_root(ls.session, root, progress, check_closed=not ls.session.push)
        progress.end()
        ls.session.recheck_root(root)
    freeze_facts()


def freeze_facts() -> None:
    """The facts of every file now live as long as the server: move them out
    of the cyclic collector's sight, or each full collection walks millions
    of objects in the middle of a keystroke. Without a collection first: on
    30 MB of facts one holds the editor for seconds, and the few cycles the
    scan left are not worth it."""
    gc.freeze()


@server.feature(
    types.TEXT_DOCUMENT_CODE_ACTION,
    types.CodeActionOptions(
        code_action_kinds=[types.CodeActionKind.QuickFix, actions.FIX_ALL_KIND],
        resolve_provider=False,
    ),
)
async def code_action(ls: PerfauditServer, params: types.CodeActionParams):
    # Actions come from the findings of the text the editor holds now: a
    # "fix all on save" sent right after a keystroke waits for that analysis
    # instead of finding the last report stale and offering nothing.
    await ls.session.settle(params.text_document.uri)
    caps = ls.client_capabilities.workspace
    document_changes = bool(caps and caps.workspace_edit and caps.workspace_edit.document_changes)
    return actions.code_actions(ls.session, params, document_changes) or None


def _pulls_with_refresh(caps: types.ClientCapabilities) -> bool:
    """Pull diagnostics only for clients that pull AND accept
    `workspace/diagnostic/refresh`: findings computed later (after the
    workspace scan, or a change in another file) reach the others only by
    push. Neovim 0.11 pulls without refresh support."""
    pulls = caps.text_document is not None and caps.text_document.diagnostic is not None
    ws = caps.workspace
    refresh = bool(ws and ws.diagnostics and ws.diagnostics.refresh_support)
    return pulls and refresh


APPLY_FIXES = "perfaudit.applyFixes"


@server.command(APPLY_FIXES)
async def apply_fixes(ls: PerfauditServer, *args):
    """`perfaudit.applyFixes(uri)`: the document's safe fixes, sent to the
    client as `workspace/applyEdit` (editors' "Fix all" commands call it)."""
    args = args[0] if len(args) == 1 and isinstance(args[0], list) else list(args)
    uri = args[0] if args and isinstance(args[0], str) else None
    doc = ls.session.documents.get(uri) if uri else None
    if doc is None:
        return {"applied": False, "reason": "not an open document"}
    await ls.session.settle(uri)
    caps = ls.client_capabilities.workspace
    document_changes = bool(caps and caps.workspace_edit and caps.workspace_edit.document_changes)
    action = actions.fix_all_action(ls.session, doc, document_changes)
    if action is None or action.edit is None:
        return {"applied": False, "reason": "nothing to fix"}
    result = await ls.workspace_apply_edit_async(types.ApplyWorkspaceEditParams(edit=action.edit, label="perfaudit: fix all"))
    return {"applied": bool(result and result.applied)}


@server.feature(types.TEXT_DOCUMENT_HOVER)
def on_hover(ls: PerfauditServer, params: types.HoverParams):
    uri = params.text_document.uri
    # In a schema: how the code queries the model or field under the cursor.
    schema_hover = schema_feature.hover(ls.session, uri, params.position)
    if schema_hover is not None:
        return schema_hover
    return hover.hover(ls.session, uri, params.position)


@server.feature(
    types.TEXT_DOCUMENT_DIAGNOSTIC,
    types.DiagnosticOptions(identifier=NAME, inter_file_dependencies=True, workspace_diagnostics=True),
)
async def document_diagnostic(ls: PerfauditServer, params: types.DocumentDiagnosticParams):
    session = ls.session
    uri = params.text_document.uri
    await session.settle(uri)  # a pull must not see an old version
    report = session.reports.get(uri)
    if report is None:
        path = convert.uri_to_path(uri)
        report = session.closed_reports().get(uri) if path is not None else None
    if report is None:
        return types.RelatedFullDocumentDiagnosticReport(items=[], result_id="empty")
    if params.previous_result_id == report.result_id:
        return types.RelatedUnchangedDocumentDiagnosticReport(result_id=report.result_id)
    return types.RelatedFullDocumentDiagnosticReport(items=report.diagnostics, result_id=report.result_id)


@server.feature(types.WORKSPACE_DIAGNOSTIC)
async def workspace_diagnostic(ls: PerfauditServer, params: types.WorkspaceDiagnosticParams):
    session = ls.session
    previous = {p.uri: p.value for p in params.previous_result_ids}
    await session.settle()
    reports = dict(session.closed_reports())
    reports.update(session.reports)
    items = []
    for uri, report in sorted(reports.items()):
        if previous.get(uri) == report.result_id:
            items.append(types.WorkspaceUnchangedDocumentDiagnosticReport(uri=uri, version=report.version, result_id=report.result_id))
        else:
            items.append(types.WorkspaceFullDocumentDiagnosticReport(uri=uri, version=report.version, items=report.diagnostics, result_id=report.result_id))
    return types.WorkspaceDiagnosticReport(items=items)


# Route lenses and symbols, and the schema lenses (one code lens handler serves both).
routes_feature.register(server)


def run_server(tcp: str | tuple[str, int] | None = None) -> None:
    """Serve on stdio, or on TCP (`"HOST:PORT"` or `(host, port)`, for debugging)."""
    handler = ClientLogHandler(server)
    server.log_handler = handler
    logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)
    all_rules()  # import the rules (and their fact extractors) before any file is read
    load_extra_rules()
    if tcp:
        if isinstance(tcp, str):
            host, _, port = tcp.rpartition(":")
            tcp = (host or "127.0.0.1", int(port))
        server.start_tcp(tcp[0], int(tcp[1]))
        return
    # Our own read loop (see wire.py), not pygls' `start_io`.
    server.protocol.set_writer(StdoutWriter(sys.stdout.buffer))
    try:
        code = asyncio.run(serve(server.protocol, sys.stdin.fileno()))
    except BrokenPipeError:  # the client is gone: nobody to answer
        code = 1
    finally:
        server.shutdown()
    sys.exit(code)
