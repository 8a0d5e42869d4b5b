"""Settings layering and validation; exact positions in every encoding."""

import pytest
from lsp_support import Editor, codes, copy_backend, diagnostics, has, initialize, lacks
from lsprotocol import types
from pytest_lsp import client_capabilities


async def test_initialization_options_and_configuration_changes_take_effect(client, tmp_path):
    root = copy_backend(tmp_path)
    await initialize(client, root, options={"ignore": ["P101"], "severity": {"P106": "error"}})
    schema = Editor(client, root / "prisma/schema.prisma", language="prisma")
    (p106,) = [d for d in await diagnostics(client, schema.uri, has("P106")) if d.code == "P106"]
    assert p106.severity == types.DiagnosticSeverity.Error
    doc = Editor(client, root / "src/services/user.service.ts")
    await diagnostics(client, doc.uri)
    assert codes(client.diagnostics[doc.uri], "P101") == []
    client.set_configuration({"select": ["P101"], "severity": {"P101": "hint"}}, section="perfaudit")
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
    ds = await diagnostics(client, doc.uri, has("P101"))
    assert [d.severity for d in ds if d.code == "P101"] == [types.DiagnosticSeverity.Hint]
    # `select` now names only P101: the schema rule is off.
    await diagnostics(client, schema.uri, lacks("P106"))


async def test_invalid_settings_are_shown_with_their_key_and_defaults_used(client, tmp_path):
    root = copy_backend(tmp_path)
    await initialize(client, root, options={"unsafeFixes": "yes", "severity": {"P101": "fatal"}, "trace": "loud"})
    doc = Editor(client, root / "src/services/user.service.ts")
    ds = await diagnostics(client, doc.uri, has("P101"))
    assert [d.severity for d in ds if d.code == "P101"] == [types.DiagnosticSeverity.Warning]
    shown = " | ".join(m.message for m in client.messages)
    for key in ("perfaudit.unsafeFixes", "perfaudit.severity.P101", "perfaudit.trace"):
        assert key in shown
    assert all(m.type == types.MessageType.Warning for m in client.messages)


async def test_a_broken_project_config_is_shown_and_defaults_used(client, tmp_path):
    root = copy_backend(tmp_path)
    (root / "perfaudit.toml").write_text('select = ["P101"]\n[severity]\nP101 = "loud"\n', encoding="utf-8")
    await initialize(client, root)
    doc = Editor(client, root / "src/services/user.service.ts")
    await diagnostics(client, doc.uri, has("P101"))
    assert any("perfaudit.toml" in m.message and "severity.P101" in m.message for m in client.messages)


async def test_disabled_in_settings_publishes_nothing(client, tmp_path):
    root = copy_backend(tmp_path)
    await initialize(client, root, options={"enable": False})
    doc = Editor(client, root / "src/services/user.service.ts")
    assert await diagnostics(client, doc.uri) == []


LINE = "export const greet = async () => { const tag = '👋🏽 café'; const users = await prisma.user.findMany({ take: 5 }); return users.map((u) => `${tag} ${u.name}`); };"


@pytest.mark.parametrize(
    "profile,offered,encoding",
    [
        ("visual-studio-code", None, "utf-16"),
        ("neovim", None, "utf-8"),
        ("visual-studio-code", ["utf-32"], "utf-32"),
    ],
)
async def test_positions_are_exact_on_emoji_accents_and_crlf(client, tmp_path, profile, offered, encoding):
    root = copy_backend(tmp_path)
    path = root / "src/services/greet.service.ts"
    path.write_bytes(f"import {{ prisma }} from '../lib/prisma';\r\n\r\n{LINE}\r\n".encode("utf-8"))
    caps = client_capabilities(profile)
    if offered:
        caps.general = types.GeneralClientCapabilities(position_encodings=offered)
    result = await initialize(client, root, capabilities=caps)
    assert result.capabilities.position_encoding == encoding
    doc = Editor(client, path)
    (d,) = [d for d in await diagnostics(client, doc.uri, has("P101")) if d.code == "P101"]

    def units(s: str) -> int:
        if encoding == "utf-8":
            return len(s.encode("utf-8"))
        if encoding == "utf-16":
            return len(s.encode("utf-16-le")) // 2
        return len(s)

    prefix = LINE[: LINE.index("prisma.user.findMany")]
    assert d.range.start == types.Position(2, units(prefix))
    assert d.range.end == types.Position(2, units(prefix + "prisma.user.findMany"))
    # An edit after the emoji, in the client's units, lands exactly there.
    after_emoji = LINE.index(" café")
    at = types.Position(2, units(LINE[:after_emoji]))
    doc.replace(at, at, "🎉", encoding)
    assert "👋🏽🎉 café" in doc.text
    moved = units(prefix) + units("🎉")
    ds = await diagnostics(client, doc.uri, lambda ds: any(x.code == "P101" and x.range.start.character == moved for x in ds))
    assert [x.range.start for x in ds if x.code == "P101"] == [types.Position(2, moved)]


def test_an_empty_lua_table_is_no_settings() -> None:
    """Neovim encodes an empty table `{}` as `[]`: no warning, the defaults."""
    from perfaudit.server.lsp.settings import EditorSettings, layered, parse_settings

    for raw in ([], {"perfaudit": []}, {"settings": {"perfaudit": []}}):
        assert parse_settings(raw) == (EditorSettings(), []), raw
    assert parse_settings(["P104"])[1] == ["perfaudit: expected an object of settings, got ['P104']"]
    assert layered([], {"perfaudit": {"trace": "verbose"}}) == {"trace": "verbose"}


async def test_file_roles_from_the_editor_settings(client, tmp_path):
    """`perfaudit.roles` as perfaudit.toml's `[roles]`: a script folder's
    request-path findings go, and `reportNonServing` brings them back."""
    root = copy_backend(tmp_path)
    await initialize(client, root, options={"roles": {"script": ["src/services/**"]}})
    doc = Editor(client, root / "src/services/user.service.ts")
    await diagnostics(client, doc.uri)
    assert codes(client.diagnostics[doc.uri], "P101") == []
    client.set_configuration({"roles": {"script": ["src/services/**"], "reportNonServing": True}}, section="perfaudit")
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
    await diagnostics(client, doc.uri, has("P101"))
    client.set_configuration({"roles": {"script": ["src/services/**"]}}, section="perfaudit")
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
    await diagnostics(client, doc.uri, lacks("P101"))
    # A misspelt role is shown with its key; the roles setting is then ignored whole.
    client.set_configuration({"roles": {"scripts": ["src/services/**"]}}, section="perfaudit")
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
    await diagnostics(client, doc.uri, has("P101"))
    assert any("perfaudit.roles.scripts" in m.message and "unknown role setting" in m.message for m in client.messages)
