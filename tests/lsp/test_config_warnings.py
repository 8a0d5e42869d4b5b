"""Broken project config files are said once in the server log, naming the
file; the workspace is analysed with what could be read."""

from pathlib import Path

from lsp_support import Editor, diagnostics, has, initialize, wait_for

FILES = {
    "tsconfig.json": '{ "extends": "./configs/missing.json", "compilerOptions": { "paths": { "@/*": ["./src/*"] } } }\n',
    "package.json": '{ "name": "api", }\n',
    "prisma/schema.prisma": 'datasource db {\n  provider = "postgresql"\n  url = env("DATABASE_URL")\n}\n\nmodel User {\n  id String @id\n  email String @unique\n}\n',
    "src/lib/prisma.ts": "import { PrismaClient } from '@prisma/client';\nexport const prisma = new PrismaClient();\n",
    "src/repositories/user.repository.ts": (
        "import { prisma } from '@/lib/prisma';\n"
        "export const findUser = (id: string) => prisma.user.findUnique({ where: { id }, select: { id: true } });\n"
    ),
    "src/services/team.service.ts": (
        "import { findUser } from '@/repositories/user.repository';\n"
        "export async function members(ids: string[]) {\n"
        "  const out = [];\n"
        "  for (const id of ids) {\n"
        "    out.push(await findUser(id));\n"
        "  }\n"
        "  return out;\n"
        "}\n"
    ),
}


def logged(client, needle: str) -> list[str]:
    return [m.message for m in client.log_messages if needle in m.message]


async def test_config_problems_are_logged_once_and_resolution_goes_on(client, tmp_path: Path):
    for rel, text in FILES.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text, encoding="utf-8")
    await initialize(client, tmp_path)
    doc = Editor(client, tmp_path / "src/services/team.service.ts")
    ds = await diagnostics(client, doc.uri, has("P104"))
    assert [d.range.start.line for d in ds if d.code == "P104"] == [4]
    await wait_for(lambda: logged(client, "tsconfig.json") and logged(client, "package.json"), what="config warnings")
    [tsconfig] = logged(client, "tsconfig.json")
    assert '"extends" target "./configs/missing.json" does not exist' in tsconfig
    [package] = logged(client, "package.json:")
    assert "not valid JSON" in package
    # Another re-check does not say it again.
    doc.insert_after("return out;", "\n  // reviewed")
    await diagnostics(client, doc.uri, lambda ds: any(d.code == "P104" for d in ds))
    assert len(logged(client, "tsconfig.json")) == 1


async def test_a_tsconfig_written_on_disk_resolves_the_aliases_anew(client, tmp_path: Path):
    from lsprotocol import types
    from lsp_support import wait_scan_done

    for rel, text in FILES.items():
        if rel not in ("tsconfig.json", "package.json"):
            (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / rel).write_text(text, encoding="utf-8")
    await initialize(client, tmp_path)
    await wait_scan_done(client)
    doc = Editor(client, tmp_path / "src/services/team.service.ts")
    # `@/repositories/...` leads nowhere yet: no N+1 is claimed.
    assert codes_of(await diagnostics(client, doc.uri), "P104") == []
    (tmp_path / "tsconfig.json").write_text('{ "compilerOptions": { "paths": { "@/*": ["./src/*"] } } }\n', encoding="utf-8")
    client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(
        changes=[types.FileEvent(uri=(tmp_path / "tsconfig.json").as_uri(), type=types.FileChangeType.Created)]))
    ds = await diagnostics(client, doc.uri, has("P104"))
    assert codes_of(ds, "P104") == [4]


def codes_of(ds, code: str) -> list[int]:
    return [d.range.start.line for d in ds if d.code == code]
