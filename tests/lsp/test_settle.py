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


async def test_the_pass_after_the_scan_derives_what_every_route_reaches(tmp_path):
    """Whether a route sends a query (P101) rests on what every route of the
    workspace reaches: the pass that follows the scan derives it, so the
    first check of a service does not."""
    backend = copy_backend(tmp_path)
    service = backend / "src/services/user.service.ts"
    service.write_text(service.read_text().replace(
        "  async findByEmail(", "  async listAll() {\n    return prisma.user.findMany({ take: 50 });\n  }\n\n  async findByEmail("))
    router = backend / "src/routes/users.ts"
    router.write_text(router.read_text() + "\nusersRouter.get('/users/all', async (_req, res) => {\n"
                      "  res.json(await userService.listAll());\n});\n")
    session = Session(RecordingClient())
    root = session.add_root(str(backend))
    root.ws.load()
    session.recheck_root(root)  # as the scan does at its end
    session.run_follow_up()
    await session._followed.wait()

    derived = getattr(root.ws, "_perfaudit_route_queries", None)  # what routes reach, for this version
    assert derived is not None
    session.open(uri(service), 1, service.read_text())
    await session.settle(uri(service))
    sent = [d for d in session.reports[uri(service)].diagnostics if d.code == "P101" and "leaves through a route" in d.message]
    assert sent  # `listAll`'s rows go whole to GET /users/all: known only from what the route reaches
    assert root.ws._perfaudit_route_queries is derived  # read, not derived again
