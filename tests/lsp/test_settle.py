"""What a request waits for before it reads a document's findings.

Driven on the session itself (no wire): the order of the editor's messages
and the server's timers would make the same checks racy end to end.
"""

from lsp_support import copy_backend, uri
from lsprotocol import types

from perfaudit.server.lsp.session import Session


class RecordingClient:
    def __init__(self) -> None:
        self.published: dict[str, list[types.Diagnostic]] = {}

    def publish(self, uri: str, version, diagnostics) -> None:
        self.published[uri] = diagnostics

    def refresh(self) -> None:
        pass

    def log(self, level, message: str) -> None:
        pass

    def show(self, level, message: str) -> None:
        pass


def _codes(session: Session, doc_uri: str) -> list[tuple[int, str]]:
    return [(d.range.start.line, d.code) for d in session.reports[doc_uri].diagnostics]


async def test_a_schema_edit_is_settled_only_once_the_workspace_rules_saw_it(tmp_path):
    backend = copy_backend(tmp_path)
    session = Session(RecordingClient())
    root = session.add_root(str(backend))
    root.ws.load()  # every file, as the background scan would
    schema = backend / "prisma/schema.prisma"
    schema_uri = uri(schema)
    text = schema.read_text()
    session.open(schema_uri, 1, text)
    await session.settle(schema_uri)
    assert (22, "P106") in _codes(session, schema_uri)  # Post.authorId has no index

    # The index goes in at the end of the model, away from the field: the
    # shifted old finding stays in place until the workspace rules run again.
    last_field = text.splitlines().index("  createdAt DateTime @default(now())")
    end_of_post = types.Range(types.Position(last_field, 35), types.Position(last_field, 35))
    session.change(schema_uri, 2, [types.TextDocumentContentChangePartial(range=end_of_post, text="\n\n  @@index([authorId])")])
    await session.settle(schema_uri)

    assert session.reports[schema_uri].version == 2
    assert (22, "P106") not in _codes(session, schema_uri)


async def test_a_source_edit_is_settled_without_waiting_for_the_workspace_rules(tmp_path):
    backend = copy_backend(tmp_path)
    session = Session(RecordingClient())
    root = session.add_root(str(backend))
    root.ws.load()
    service = backend / "src/services/user.service.ts"
    service_uri = uri(service)
    session.open(service_uri, 1, service.read_text())
    await session.settle(service_uri)
    session.change(service_uri, 2, [types.TextDocumentContentChangePartial(
        range=types.Range(types.Position(0, 0), types.Position(0, 0)), text="// edited\n")])
    await session.settle(service_uri)

    # The file's own analysis is in; the workspace pass is still to come
    # (after its pause), so a request is answered without waiting for it.
    assert session.reports[service_uri].version == 2
    assert root.path in session._follow_roots
