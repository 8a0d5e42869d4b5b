"""Broken project config files (issue 13, bad input): each gives one warning
naming the file (CLI summary, JSON, server log), resolution falls back to what
can still be read, and nothing crashes. Also `.gitignore` with git's rules."""

import json

from helpers import make_workspace, write_files
from perfaudit.command_line import main

# A small app whose service reaches the repository through an alias: the
# finding appears only when resolution works.
APP = {
    "src/lib/prisma.ts": "import { PrismaClient } from '@prisma/client';\nexport const prisma = new PrismaClient();\n",
    "src/repositories/user.repository.ts": """\
        import { prisma } from '@/lib/prisma';
        export const findUser = (id: string) => prisma.user.findUnique({ where: { id }, select: { id: true } });
        """,
    "src/services/team.service.ts": """\
        import { findUser } from '@/repositories/user.repository';
        export async function members(ids: string[]) {
          const out = [];
          for (const id of ids) {
            out.push(await findUser(id));
          }
          return out;
        }
        """,
}
PATHS = '"paths": { "@/*": ["./src/*"] }'


def warnings(ws) -> list[tuple[str, str]]:
    return [(ws.relpath(p), m) for p, m in ws.warnings()]


def resolves(ws) -> bool:
    return ws.index.resolve_module(f"{ws.root}/src/services/team.service.ts", "@/repositories/user.repository") is not None


def test_a_tsconfig_with_comments_and_trailing_commas_is_read_without_warning(tmp_path):
    ws = make_workspace(tmp_path, {**APP, "tsconfig.json": f"""\
        {{
          // TypeScript reads comments and trailing commas.
          "compilerOptions": {{ /* aliases */ {PATHS}, }},
        }}
        """})
    assert resolves(ws)
    assert warnings(ws) == []


def test_an_unreadable_tsconfig_is_one_warning_and_its_aliases_are_not_used(tmp_path):
    ws = make_workspace(tmp_path, {**APP, "tsconfig.json": '{ "compilerOptions": { "paths": { "@/*": ["./src/*"] }\n'})
    assert not resolves(ws)
    [(path, message)] = warnings(ws)
    assert path == "tsconfig.json" and message.startswith("not readable as JSON with comments")


def test_a_missing_extends_target_keeps_the_configs_own_settings(tmp_path):
    ws = make_workspace(tmp_path, {**APP, "tsconfig.json": f'{{ "extends": "./configs/base.json", "compilerOptions": {{ {PATHS} }} }}\n'})
    assert resolves(ws)
    assert warnings(ws) == [("tsconfig.json", '"extends" target "./configs/base.json" does not exist; its settings are ignored')]


def test_an_extends_loop_is_cut_with_one_warning(tmp_path):
    ws = make_workspace(tmp_path, {
        **APP,
        "tsconfig.json": '{ "extends": "./tsconfig.base.json" }\n',
        "tsconfig.base.json": f'{{ "extends": "./tsconfig.json", "compilerOptions": {{ {PATHS} }} }}\n',
    })
    assert resolves(ws)  # the base's paths still apply
    [(path, message)] = warnings(ws)
    assert path == "tsconfig.base.json"
    assert message == '"extends" loop (tsconfig.base.json -> tsconfig.json -> tsconfig.base.json); the loop is cut there'


def test_a_paths_entry_that_points_nowhere_is_named_and_the_package_is_used(tmp_path):
    ws = make_workspace(tmp_path, {
        **APP,
        "tsconfig.base.json": '{ "compilerOptions": { "paths": { "@/*": ["./src/*"], "@acme/db": ["./libs/db/src/index.ts"] } } }\n',
        "tsconfig.json": '{ "extends": "./tsconfig.base.json" }\n',
        "package.json": '{ "name": "app", "workspaces": ["packages/*"] }\n',
        "packages/db/package.json": '{ "name": "@acme/db", "main": "./dist/index.js" }\n',
        "packages/db/src/index.ts": "export const db = 1;\n",
    })
    assert resolves(ws)
    found = ws.index.resolve_module(f"{ws.root}/src/services/team.service.ts", "@acme/db")
    assert ws.relpath(found) == "packages/db/src/index.ts"
    assert warnings(ws) == [(
        "tsconfig.base.json",
        'paths entry "@acme/db" -> "libs/db/src/index.ts" points nowhere; imports through it resolve as packages',
    )]


def test_a_package_json_that_is_not_json_is_one_warning(tmp_path):
    ws = make_workspace(tmp_path, {
        **APP,
        "tsconfig.json": f'{{ "compilerOptions": {{ {PATHS} }} }}\n',
        "package.json": '{ "name": "app", "workspaces": ["packages/*"], }\n',  # Node refuses the trailing comma
        "packages/db/package.json": "<<<<<<< HEAD\n{}\n",
        "pnpm-workspace.yaml": "packages:\n  - [unclosed\n",
    })
    assert resolves(ws)
    assert [(p, m.split(" (")[0]) for p, m in warnings(ws)] == [
        ("package.json", "not valid JSON"),
        ("packages/db/package.json", "not valid JSON"),
        ("pnpm-workspace.yaml", "not valid YAML"),
    ]
    # The lenient reading of the root package.json is still used.
    assert ws.package_jsons[f"{ws.root}/package.json"]["name"] == "app"


def test_warnings_are_said_once_in_the_cli_summary_and_the_json(tmp_path, capsys):
    write_files(tmp_path, {
        **APP,
        "tsconfig.json": f'{{ "extends": ["./missing.json"], "compilerOptions": {{ {PATHS} }} }}\n',
        "packages/api/package.json": "{ name: api\n",
    })
    assert main(["check", str(tmp_path), "--select", "P104"]) == 1
    out = capsys.readouterr().out
    assert out.count("tsconfig.json") == 1 and out.count("packages/api/package.json") == 1
    assert f'warning: {tmp_path.as_posix()}/tsconfig.json: "extends" target "./missing.json" does not exist' in out
    assert f"warning: {tmp_path.as_posix()}/packages/api/package.json: not valid JSON" in out
    assert "src/services/team.service.ts:5:" in out  # the P104 still found through the alias
    main(["check", str(tmp_path), "--select", "P104", "--format", "json"])
    data = json.loads(capsys.readouterr().out)
    assert [w["path"] for w in data["warnings"]] == ["packages/api/package.json", "tsconfig.json"]


def test_config_readers_survive_what_editors_and_merges_leave():
    from perfaudit.server.analysis.project_files import read_package_json, read_tsconfig, read_yaml

    assert read_package_json('\ufeff{ "name": "api" }') == ({"name": "api"}, None)  # a BOM, as Node accepts
    assert read_tsconfig('\ufeff{ "compilerOptions": {}, }') == ({"compilerOptions": {}}, None)
    assert read_tsconfig("[" * 100_000)[1].startswith("not readable as JSON with comments")
    assert read_package_json("[" * 100_000) == ({}, "not valid JSON (nested too deeply)")
    assert read_tsconfig("[1, 2]") == ({}, "not a JSON object; its settings are ignored")
    assert read_yaml("") == ({}, None)
    # Only plain data: a tag that would build a Python object is refused.
    value, problem = read_yaml("packages: !!python/object/apply:os.system ['true']\n")
    assert value == {} and problem.startswith("not valid YAML")


# ------------------------------------------------------------ .gitignore


def test_gitignore_has_gits_own_rules(tmp_path):
    ws = make_workspace(tmp_path, {
        ".gitignore": "\n".join([
            "generated/**/*.ts",   # ** spans directories
            "!generated/keep/**",  # re-included
            "tmp[0-9].ts",         # a character class
            "\\#notes.ts",         # an escaped leading #
            "/top-only.ts",        # anchored to this directory
            "scratch/",            # a directory only
            "",
        ]),
        "src/generated/a/b/model.ts": "export const m = 1;\n",
        "generated/a/b/model.ts": "export const m = 1;\n",
        "generated/keep/x.ts": "export const k = 1;\n",
        "src/tmp1.ts": "export const t = 1;\n",
        "src/tmpx.ts": "export const t = 1;\n",
        "#notes.ts": "export const n = 1;\n",
        "top-only.ts": "export const t = 1;\n",
        "src/top-only.ts": "export const t = 1;\n",
        "scratch/a.ts": "export const s = 1;\n",
        "src/scratch.ts": "export const s = 1;\n",
        "packages/web/.gitignore": "*.gen.ts\n",
        "packages/web/src/api.gen.ts": "export const g = 1;\n",
        "src/api.gen.ts": "export const g = 1;\n",
    }, schema=False)
    loaded = sorted(ws.relpath(p) for p in ws.files)
    assert loaded == [
        "generated/keep/x.ts",
        "src/api.gen.ts",  # the nested .gitignore applies below its own directory only
        "src/generated/a/b/model.ts",
        "src/scratch.ts",
        "src/tmpx.ts",
        "src/top-only.ts",
    ]


def test_a_gitignore_line_pathspec_cannot_read_is_dropped_alone(tmp_path):
    ws = make_workspace(tmp_path, {
        ".gitignore": "secret.ts\n!\nsrc\\\n",  # a lone `!` and a trailing backslash are invalid
        "secret.ts": "export const s = 1;\n",
        "src/app.ts": "export const a = 1;\n",
    }, schema=False)
    assert sorted(ws.relpath(p) for p in ws.files) == ["src/app.ts"]
