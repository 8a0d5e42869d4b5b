"""The VS Code extension offers every setting the server reads, and sends it."""

import json
import re

import attrs

from editor_support import REPO
from perfaudit.server.lsp.settings import EditorSettings

EXTENSION = REPO / "editors" / "vscode"


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def test_every_server_setting_is_contributed_and_sent():
    keys = {_camel(f.name) for f in attrs.fields(EditorSettings)}
    contributed = json.loads((EXTENSION / "package.json").read_text(encoding="utf-8"))["contributes"]["configuration"]["properties"]
    assert {f"perfaudit.{k}" for k in keys} <= set(contributed)
    source = (EXTENSION / "src" / "extension.ts").read_text(encoding="utf-8")
    sent = set(re.findall(r"'(\w+)'", re.search(r"const SERVER_KEYS = \[(.*?)\];", source, re.S).group(1)))
    assert sent == keys
