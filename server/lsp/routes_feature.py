"""Routes in the editor: a code lens on each route registration
("4 queries (3 sequential) - not cached - paginated") that jumps to the
handler, and document / workspace symbols named `GET /api/users/:id`.

The content comes from `perfaudit.server.express.routes` (`route_lenses`,
`route_symbols`); this module only converts to LSP. `register(server)` adds
the symbol handlers, the code lens handler (which also serves the schema
lenses of `schema_feature`, since a method has one handler in pygls) and the
`perfaudit.goToHandler` command, which asks the client to show the handler
(`window/showDocument`).
"""

from __future__ import annotations

from lsprotocol import types

from perfaudit.server.express.routes import route_lenses, route_symbols
from perfaudit.server.analysis.workspace import is_source_path

from perfaudit.server.lsp.convert import path_to_uri, to_range, uri_to_path

GO_TO_HANDLER = "perfaudit.goToHandler"


def code_lenses(session, uri: str) -> list[types.CodeLens]:
    path = uri_to_path(uri)
    if path is None or not is_source_path(path):
        return []
    ws = session.root_for(path).ws
    if path not in ws.files:
        return []
    index = session.index_of(path)
    out = []
    # Measured latency from the `perfaudit.logs` setting (server/request_logs.py, issue 9).
    from perfaudit.server.express.request_logs import lens_suffixes

    latency = lens_suffixes(session.root_for(path), path)
    for i, (start, end, title, target) in enumerate(route_lenses(ws, path)):
        if i < len(latency) and latency[i]:
            title = f"{title} - {latency[i]}"
        arguments = None
        if target is not None:
            tpath, offset = target
            pos = to_range(session.index_of(tpath), offset, offset, session.encoding).start
            arguments = [path_to_uri(tpath), {"line": pos.line, "character": pos.character}]
        command = types.Command(title=title, command=GO_TO_HANDLER if arguments else "", arguments=arguments)
        out.append(types.CodeLens(range=to_range(index, start, end, session.encoding), command=command))
    return out


def document_symbols(session, uri: str) -> list[types.DocumentSymbol]:
    path = uri_to_path(uri)
    if path is None or not is_source_path(path):
        return []
    ws = session.root_for(path).ws
    if path not in ws.files:
        return []
    index = session.index_of(path)
    return [
        types.DocumentSymbol(
            name=s.name, detail=s.detail, kind=types.SymbolKind.Method,
            range=to_range(index, s.start, s.end, session.encoding),
            selection_range=to_range(index, s.start, s.selection_end, session.encoding),
        )
        for s in route_symbols(ws, path)
    ]


def workspace_symbols(session, query: str) -> list[types.WorkspaceSymbol]:
    """Routes of every root whose name contains the query's words (in order-free, case-free match)."""
    words = query.lower().split()
    out = []
    for root in list(session.roots) + list(session.loose.values()):
        for s in route_symbols(root.ws):
            if all(w in s.name.lower() for w in words):
                index = session.index_of(s.path)
                out.append(types.WorkspaceSymbol(
                    name=s.name, kind=types.SymbolKind.Method, container_name=s.detail,
                    location=types.Location(path_to_uri(s.path), to_range(index, s.start, s.selection_end, session.encoding)),
                ))
    return out


def register(server) -> None:
    """Wire routes into a pygls LanguageServer whose `session` is a `Session` (once)."""
    if getattr(server, "_perfaudit_routes_registered", False):
        return
    server._perfaudit_routes_registered = True

    @server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    def on_document_symbol(ls, params: types.DocumentSymbolParams):
        return document_symbols(ls.session, params.text_document.uri)

    @server.feature(types.WORKSPACE_SYMBOL)
    def on_workspace_symbol(ls, params: types.WorkspaceSymbolParams):
        return workspace_symbols(ls.session, params.query)

    @server.feature(types.TEXT_DOCUMENT_CODE_LENS, types.CodeLensOptions(resolve_provider=False))
    def on_code_lens(ls, params: types.CodeLensParams):
        uri = params.text_document.uri
        lenses = code_lenses(ls.session, uri)
        try:
            from perfaudit.server.lsp import schema_feature

            lenses += schema_feature.code_lenses(ls.session, uri)
        except ImportError:  # pragma: no cover - schema lenses are optional
            pass
        return lenses or None

    @server.command(GO_TO_HANDLER)
    async def on_go_to_handler(ls, *args):
        args = args[0] if len(args) == 1 and isinstance(args[0], list) else list(args)
        if len(args) < 2:
            return None
        pos = types.Position(int(args[1]["line"]), int(args[1]["character"]))
        await ls.window_show_document_async(
            types.ShowDocumentParams(uri=args[0], take_focus=True, selection=types.Range(pos, pos))
        )
        return None
