"""The CLI: exit codes, formats, config handling, --fix, rules/rule, serve."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import write_files
from perfaudit.server import engine
from perfaudit.server import registry
from perfaudit.command_line import main
from perfaudit.server.findings import Applicability, Edit, Fix
from perfaudit.server.analysis.parsing import parse
from perfaudit.server.rule import FixAvailability, Rule

SERVICE = """\
import { prisma } from '../db';

export class ReadListService {
  async list(ownerId: string) {
    return prisma.readList.findMany({ where: { ownerId } });
  }
}
"""

# A schema no rule objects to, so that only what a test plants is found.
SCHEMA = """\
datasource db {
  provider = "postgresql"
  url      = env("DATABASE_URL")
}

model ReadList {
  id      String @id @default(cuid())
  name    String
  ownerId String

  @@index([ownerId])
}
"""

# X001 needs no rule module: a suppression naming an unknown code, above a
# line that no rule reports.
SERVICE_WITH_TYPO = """\
export function titles(items: { title: string }[]) {
  // Überschriften
  // perfaudit-ignore-next-line P1O1
  return items.map((item) => item.title);
}
"""


def workspace(tmp_path: Path, files: dict[str, str]) -> Path:
    write_files(tmp_path, {"prisma/schema.prisma": SCHEMA, **files})
    return tmp_path


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# --- a fake rule with fixes, for --fix before the real rules land ------------------------

_CALL = re.compile(rb"\.(findMany)\(\)")


def _fake_check(ctx):
    """P102 look-alike: `findMany()` gets `{ take: 100 }` (safe, for the test)."""
    data = ctx.file.data
    for m in _CALL.finditer(data):
        at = m.end() - 1
        yield ctx.report(m.start(1), m.end(1), "findMany without take", fixes=[
            Fix("Add take", Applicability.SAFE, (Edit(ctx.file.path, at, at, "{ take: 100 }"),)),
        ])


def _fake_unsafe_check(ctx):
    """A rule whose fix is unsafe: `.keys(` -> `.scan(`."""
    data = ctx.file.data
    for m in re.finditer(rb"\.keys\(", data):
        yield ctx.report(m.start() + 1, m.end() - 1, "KEYS blocks the server", fixes=[
            Fix("Use scan", Applicability.UNSAFE, (Edit(ctx.file.path, m.start() + 1, m.end() - 1, "scan"),)),
        ])


@pytest.fixture
def fake_rules(monkeypatch):
    rules = dict(registry.all_rules())
    p = Rule("P102", "prisma-unbounded-find-many", "findMany with no take.", fix=FixAvailability.SOMETIMES,
             options={"default-take": 100})
    p.check, p.doc = _fake_check, "## What it does\nFinds findMany with no take.\n"
    r = Rule("R202", "redis-keys-command", "KEYS is O(N).", fix=FixAvailability.SOMETIMES)
    r.check, r.doc = _fake_unsafe_check, "## What it does\nFinds KEYS.\n"
    rules.update({"P102": p, "R202": r})
    rules = dict(sorted(rules.items()))
    monkeypatch.setattr(registry, "all_rules", lambda: rules)
    monkeypatch.setattr(engine, "all_rules", lambda: rules)
    return rules


# --- exit codes ---------------------------------------------------------------------


def test_clean_workspace_exits_0(tmp_path, capsys):
    root = workspace(tmp_path, {"src/a.service.ts": "export const a = 1;\n"})
    code, out, err = run(capsys, "check", str(root))
    assert code == 0, err
    assert out == "No findings.\n"


def test_findings_exit_1_and_fail_on(tmp_path, capsys):
    root = workspace(tmp_path, {"src/items.service.ts": SERVICE_WITH_TYPO})
    code, out, _ = run(capsys, "check", str(root))
    assert code == 1
    assert re.search(r"items\.service\.ts:3:33: warning X001 Unknown rule code `P1O1`", out)
    # X001 is a warning: --fail-on error lets it pass
    assert run(capsys, "check", str(root), "--fail-on", "error")[0] == 0
    assert run(capsys, "check", str(root), "--fail-on", "info")[0] == 1
    # its severity is configurable
    (root / "perfaudit.toml").write_text('[severity]\nX001 = "error"\n')
    assert run(capsys, "check", str(root), "--fail-on", "error")[0] == 1
    (root / "perfaudit.toml").write_text('[severity]\nX001 = "hint"\n')
    assert run(capsys, "check", str(root), "--fail-on", "info")[0] == 0


def test_ignore_flag_and_config(tmp_path, capsys):
    root = workspace(tmp_path, {"src/items.service.ts": SERVICE_WITH_TYPO})
    assert run(capsys, "check", str(root), "--ignore", "X001")[0] == 0
    assert run(capsys, "check", str(root), "--ignore", "X")[0] == 0
    (root / "perfaudit.toml").write_text('ignore = ["X001"]\n')
    assert run(capsys, "check", str(root))[0] == 0
    assert run(capsys, "check", str(root), "--no-config")[0] == 1


def test_exclude_globs_from_config(tmp_path, capsys):
    root = workspace(tmp_path, {"src/generated/items.service.ts": SERVICE_WITH_TYPO})
    assert run(capsys, "check", str(root))[0] == 1
    (root / "perfaudit.toml").write_text('exclude = ["src/generated/**"]\n')
    assert run(capsys, "check", str(root))[0] == 0


@pytest.mark.parametrize(
    "argv, message",
    [
        (["check", "--format", "xml"], "invalid choice: 'xml'"),
        (["check", "--fail-on", "fatal"], "invalid choice: 'fatal'"),
        (["check", "--select", "NOPE!"], "--select: unknown rule code, prefix or name \"NOPE!\""),
        # Well formed but no such rule: an error like a typo.
        (["check", "--select", "P999"], '--select: unknown rule code "P999"'),
        (["check", "--ignore", "P104,Q1"], '--ignore: unknown rule code "Q1"'),
        (["check", "--select", "prisma-query-in-lop"], "did you mean prisma-query-in-loop?"),
        (["routes", "--format", "sarif"], "invalid choice: 'sarif'"),
        (["check", "does-not-exist"], "no such file or directory: does-not-exist"),
        (["check", "--config", "a.toml", "--no-config"], "not allowed with argument"),
        (["check", "--statistics", "--format", "sarif"], "--statistics cannot be combined with --format sarif"),
        (["rule", "P999"], "unknown rule 'P999'"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
        ([], "required: COMMAND"),
        (["serve", "--tcp", "localhost"], "--tcp: expected HOST:PORT"),
    ],
)
def test_usage_errors_exit_2_without_traceback(tmp_path, monkeypatch, capsys, argv, message):
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert message in err
    assert "Traceback" not in err


def test_config_error_exits_2_naming_file_and_key(tmp_path, monkeypatch, capsys):
    root = workspace(tmp_path, {"src/a.service.ts": SERVICE})
    (root / "perfaudit.toml").write_text('[severity]\nP102 = "loud"\n')
    monkeypatch.chdir(root)
    code, out, err = run(capsys, "check", ".")
    assert code == 2 and out == ""
    assert err.strip() == ('perfaudit: error: perfaudit.toml: severity.P102: '
                           'expected one of error|warning|information|hint, got "loud"')
    # --no-config ignores the broken file: the check runs (and finds the
    # unpaginated findMany) instead of failing on the config.
    code, out, err = run(capsys, "check", ".", "--no-config")
    assert code in (0, 1) and "perfaudit.toml" not in err


def test_explicit_config_file(tmp_path, monkeypatch, capsys):
    root = workspace(tmp_path, {"src/items.service.ts": SERVICE_WITH_TYPO})
    (tmp_path / "ci.toml").write_text('ignore = ["X001"]\n')
    monkeypatch.chdir(root)
    assert run(capsys, "check", "--config", "ci.toml")[0] == 0
    code, _, err = run(capsys, "check", "--config", "missing.toml")
    assert code == 2 and "missing.toml: cannot read" in err


def test_help_exits_0(capsys):
    assert run(capsys, "--help")[0] == 0
    assert run(capsys, "check", "--help")[0] == 0


# --- formats --------------------------------------------------------------------------


def test_json_format(tmp_path, capsys):
    root = workspace(tmp_path, {"src/items.service.ts": SERVICE_WITH_TYPO})
    code, out, _ = run(capsys, "check", str(root), "--format", "json")
    assert code == 1
    data = json.loads(out)
    assert data["version"] == 1 and data["root"] == str(root).replace(os.sep, "/")
    (finding,) = data["findings"]
    assert finding["code"] == "X001" and finding["name"] == "unknown-rule-in-suppression"
    assert finding["path"] == "src/items.service.ts"
    assert finding["range"] == {"start": {"line": 2, "character": 32}, "end": {"line": 2, "character": 36}}


def test_sarif_format_validates(tmp_path, capsys):
    import jsonschema
    from importlib import resources

    root = workspace(tmp_path, {"src/items.service.ts": SERVICE_WITH_TYPO})
    code, out, _ = run(capsys, "check", str(root), "--format", "sarif")
    assert code == 1
    log = json.loads(out)
    schema = json.loads(resources.files("perfaudit.server").joinpath("data/sarif-2.1.0.json").read_text())
    jsonschema.Draft4Validator(schema).validate(log)
    assert log["runs"][0]["results"][0]["ruleId"] == "X001"


def test_statistics(tmp_path, capsys, fake_rules):
    root = workspace(tmp_path, {"src/a.service.ts": "prisma.user.findMany();\nprisma.post.findMany();\n",
                                "src/items.service.ts": SERVICE_WITH_TYPO})
    code, out, _ = run(capsys, "check", str(root), "--statistics")
    assert code == 1
    assert out.splitlines()[:2] == ["2  P102  [*] prisma-unbounded-find-many", "1  X001      unknown-rule-in-suppression"]
    data = json.loads(run(capsys, "check", str(root), "--statistics", "--format", "json")[1])
    assert data[0] == {"code": "P102", "name": "prisma-unbounded-find-many", "count": 2, "fixable": 2, "fixable_unsafe": 0}


# --- bad input: the run finishes and says what it skipped -------------------------------------


def test_bad_input_is_skipped_and_reported(tmp_path, capsys):
    root = workspace(tmp_path, {
        "src/items.service.ts": SERVICE_WITH_TYPO,
        "src/broken.ts": "export async function f( {\n  return prisma.user.findMany(\n",
    })
    (root / "src" / "binary.ts").write_bytes(b"\x00\x01\x02garbage\xff")
    (root / "src" / "latin1.ts").write_bytes("const s = 'caf\xe9';\n".encode("latin-1"))
    code, out, err = run(capsys, "check", str(root))
    assert code == 1, err
    assert "X001" in out
    assert re.search(r"skipped 2 files: .*binary\.ts \(binary or not UTF-8\).*latin1\.ts \(binary or not UTF-8\)", out)
    data = json.loads(run(capsys, "check", str(root), "--format", "json")[1])
    assert {s["path"] for s in data["skipped"]} == {"src/binary.ts", "src/latin1.ts"}
    # only skipped files and nothing else: exit 0
    (root / "src" / "items.service.ts").unlink()
    assert run(capsys, "check", str(root))[0] == 0


# --- --fix ----------------------------------------------------------------------------


def error_nodes(text: str) -> int:
    tree = parse(text.encode(), "typescript")
    count, stack = 0, [tree.root_node]
    while stack:
        n = stack.pop()
        count += n.is_error or n.is_missing
        stack.extend(n.children)
    return count


def test_fix_applies_safe_fixes_and_converges(tmp_path, capsys, fake_rules):
    original = ("// Überprüfung 😀\r\n"
                "export async function f() {\r\n"
                "  const a = await prisma.user.findMany();\r\n"
                "  const keys = await redis.keys('user:*');\r\n"
                "  return [a, keys];\r\n"
                "}\r\n")
    root = workspace(tmp_path, {"src/a.service.ts": original})
    path = root / "src" / "a.service.ts"
    code, out, _ = run(capsys, "check", str(root), "--fix")
    fixed = path.read_bytes().decode("utf-8")
    assert fixed == original.replace("findMany()", "findMany({ take: 100 })")  # CRLF kept, unsafe fix not applied
    assert error_nodes(fixed) == 0
    assert out.splitlines()[0] == "Fixed 1 finding."
    assert out.splitlines()[1].endswith("warning R202 [~] KEYS blocks the server")
    assert code == 1  # R202 remains

    # a second --fix changes nothing
    mtime = path.stat().st_mtime_ns
    code, out, _ = run(capsys, "check", str(root), "--fix")
    assert path.read_bytes().decode("utf-8") == fixed and path.stat().st_mtime_ns == mtime
    assert "Fixed" not in out

    # unsafe fixes only when asked
    code, out, _ = run(capsys, "check", str(root), "--fix", "--unsafe-fixes")
    assert code == 0
    assert "redis.scan('user:*')" in path.read_text(encoding="utf-8")
    assert out.splitlines() == ["Fixed 1 finding.", "No findings remain."]


def test_fix_keeps_a_bom_and_json_stays_clean(tmp_path, capsys, fake_rules):
    root = workspace(tmp_path, {})
    path = root / "src" / "b.service.ts"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\xef\xbb\xbfexport const q = () => prisma.post.findMany();\n")
    code, out, err = run(capsys, "check", str(root), "--fix", "--format", "json")
    assert code == 0
    assert json.loads(out)["findings"] == []
    assert "fixed 1 finding in 1 file" in err
    assert path.read_bytes() == b"\xef\xbb\xbfexport const q = () => prisma.post.findMany({ take: 100 });\n"


def test_fix_never_breaks_the_syntax(tmp_path, capsys, monkeypatch, fake_rules):
    def breaking_check(ctx):
        for m in _CALL.finditer(ctx.file.data):
            yield ctx.report(m.start(1), m.end(1), "bad fix", fixes=[
                Fix("Break it", Applicability.SAFE, (Edit(ctx.file.path, m.end() - 1, m.end(), "(("),)),
            ])

    fake_rules["P102"].check = breaking_check
    root = workspace(tmp_path, {"src/a.service.ts": "export const q = () => prisma.post.findMany();\n"})
    before = (root / "src" / "a.service.ts").read_text()
    code, out, _ = run(capsys, "check", str(root), "--fix")
    assert code == 1
    assert (root / "src" / "a.service.ts").read_text() == before


# --- rules / rule / serve -------------------------------------------------------------------


def test_rules_lists_codes_names_and_fixes(capsys, fake_rules):
    code, out, _ = run(capsys, "rules")
    assert code == 0
    lines = out.splitlines()
    assert any(re.match(r"P102\s+prisma-unbounded-find-many\s+fix\?\s+findMany with no take\.", l) for l in lines)
    assert any(l.startswith("X001  unknown-rule-in-suppression") for l in lines)
    data = json.loads(run(capsys, "rules", "--format", "json")[1])
    assert {"code": "P102", "fix": "sometimes"}.items() <= data[[d["code"] for d in data].index("P102")].items()


def test_rule_prints_docs_by_code_or_name(capsys, fake_rules):
    code, out, _ = run(capsys, "rule", "p102")
    assert code == 0
    assert out.startswith("# P102 prisma-unbounded-find-many\n")
    assert "## What it does" in out and "default-take = 100" in out
    assert "docs/rules.md#p102-prisma-unbounded-find-many" in out and "://" not in out
    assert run(capsys, "rule", "prisma-unbounded-find-many")[1] == out
    code, _, err = run(capsys, "rule", "prisma-unbounded-find-mny")
    assert code == 2 and "did you mean prisma-unbounded-find-many" in err


def test_serve_calls_the_language_server(monkeypatch, capsys):
    import types

    calls = []
    fake = types.ModuleType("perfaudit.server.lsp.server")
    fake.run_server = lambda tcp=None: calls.append(tcp)
    monkeypatch.setitem(sys.modules, "perfaudit.server.lsp.server", fake)
    assert main(["serve"]) == 0
    assert main(["serve", "--tcp", "127.0.0.1:2087"]) == 0
    assert calls == [None, ("127.0.0.1", 2087)]


# --- as a process -------------------------------------------------------------------------


def test_python_m_perfaudit(tmp_path):
    root = workspace(tmp_path, {"src/items.service.ts": SERVICE_WITH_TYPO})
    env = {**os.environ, "NO_COLOR": "1"}
    proc = subprocess.run([sys.executable, "-m", "perfaudit", "check", str(root), "--format", "json"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 1, proc.stderr
    assert json.loads(proc.stdout)["findings"][0]["code"] == "X001"
    proc = subprocess.run([sys.executable, "-m", "perfaudit", "check", "--format", "yaml"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 2 and "invalid choice" in proc.stderr
    (root / "perfaudit.toml").write_text("select = 1\n")
    proc = subprocess.run([sys.executable, "-m", "perfaudit", "check", "."], cwd=root,
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip() == "perfaudit: error: perfaudit.toml: select: expected a list of strings, got 1"


# --- with the real rules, once they are registered ---------------------------------------------


def _require_rule(code: str) -> None:
    rule = registry.all_rules().get(code)
    if rule is None or rule.check is None:
        pytest.skip(f"{code} not registered yet")


def test_real_rules_json_and_fix(tmp_path, capsys):
    _require_rule("P102")
    root = workspace(tmp_path, {"src/readlist.service.ts": SERVICE})
    code, out, _ = run(capsys, "check", str(root), "--format", "json", "--select", "P102")
    assert code == 1
    (finding,) = json.loads(out)["findings"]
    assert finding["code"] == "P102" and finding["range"]["start"]["line"] == 4
    run(capsys, "check", str(root), "--select", "P102", "--fix", "--unsafe-fixes")
    text = (root / "src" / "readlist.service.ts").read_text()
    assert error_nodes(text) == 0
    before = text
    run(capsys, "check", str(root), "--select", "P102", "--fix", "--unsafe-fixes")
    assert (root / "src" / "readlist.service.ts").read_text() == before


CACHE_SERVICE = """\
import Redis from 'ioredis';

const redis = new Redis(process.env.REDIS_URL!);

// Caché des profils — 😀
export async function cacheProfile(userId: string, profile: object) {
  await redis.set(`profile:${userId}`, JSON.stringify(profile));
}

export async function cacheSession(id: string, data: string) {
  // perfaudit-ignore-next-line R201 -- sessions are deleted on logout
  await redis.set(`session:${id}`, data);
}
"""


def test_real_rule_r201_end_to_end(tmp_path, capsys):
    _require_rule("R201")
    root = workspace(tmp_path, {"src/cache.service.ts": CACHE_SERVICE})
    path = root / "src" / "cache.service.ts"
    code, out, _ = run(capsys, "check", str(root), "--format", "json", "--select", "R201")
    assert code == 1
    (finding,) = json.loads(out)["findings"]  # the suppressed one is not reported
    assert finding["code"] == "R201" and finding["path"] == "src/cache.service.ts"
    assert finding["range"]["start"]["line"] == 6
    assert finding["fixes"] and finding["fixes"][0]["applicability"] == "unsafe"
    # the unsafe fix is not applied by --fix alone
    assert run(capsys, "check", str(root), "--fix", "--select", "R201")[0] == 1
    assert path.read_text(encoding="utf-8") == CACHE_SERVICE
    code, out, _ = run(capsys, "check", str(root), "--fix", "--unsafe-fixes", "--select", "R201")
    fixed = path.read_text(encoding="utf-8")
    assert code == 0, out
    assert "'EX', 300" in fixed and error_nodes(fixed) == 0
    # the configured option is used, and a second --fix changes nothing
    run(capsys, "check", str(root), "--fix", "--unsafe-fixes", "--select", "R201")
    assert path.read_text(encoding="utf-8") == fixed
    (root / "perfaudit.toml").write_text("[rules.redis-set-without-ttl]\ndefault-ttl = 60\n")
    path.write_text(CACHE_SERVICE, encoding="utf-8")
    run(capsys, "check", str(root), "--fix", "--unsafe-fixes", "--select", "R201")
    assert "'EX', 60" in path.read_text(encoding="utf-8")


def test_checking_one_file_sees_the_rest_of_its_package(tmp_path, monkeypatch, capsys):
    """A pre-commit run on one staged controller still sees the repository
    it loops over (in another file), and reports only on that controller."""
    write_files(tmp_path, {
        "package.json": '{"name": "api"}',
        "prisma/schema.prisma": SCHEMA,
        "src/db.ts": "import { PrismaClient } from '@prisma/client';\nexport const prisma = new PrismaClient();\n",
        "src/lists.repository.ts": """\
            import { prisma } from './db';
            export const listsRepository = {
              rename: (id: string, name: string) =>
                prisma.readList.update({ where: { id }, data: { name }, select: { id: true } }),
            };
            """,
        "src/lists.controller.ts": """\
            import { listsRepository } from './lists.repository';
            export async function renameAll(ids: string[], name: string) {
              for (const id of ids) {
                await listsRepository.rename(id, name);
              }
            }
            """,
        "src/other.ts": "export async function f(p: any) { return p.readList.findMany({ where: {} }); }\n",
    })
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "check", "src/lists.controller.ts", "--format", "json")
    data = json.loads(out)
    assert code == 1
    assert {(f["path"], f["code"]) for f in data["findings"]} == {("src/lists.controller.ts", "P104")}


# --- config and disk errors are messages, not tracebacks -----------------------------------


def test_a_non_utf8_config_is_exit_2_naming_the_file(tmp_path):
    root = workspace(tmp_path, {"src/items.service.ts": SERVICE_WITH_TYPO})
    (root / "perfaudit.toml").write_bytes(b'select = ["P1"]\n# r\xe9glages\n')
    proc = subprocess.run([sys.executable, "-m", "perfaudit", "check", "."], cwd=root,
                          capture_output=True, text=True, env={**os.environ, "NO_COLOR": "1"}, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip() == "perfaudit: error: perfaudit.toml: not UTF-8 text (byte 19)"


def test_an_unreadable_directory_is_listed_as_skipped_and_a_schema_once(tmp_path, capsys, monkeypatch):
    root = workspace(tmp_path, {"src/items.service.ts": SERVICE_WITH_TYPO, "src/locked/a.ts": "export {};\n"})
    (root / "prisma/schema.prisma").write_bytes(b"model User {\x00}\n")
    locked = str(root / "src/locked")
    real_scandir = os.scandir

    def scandir(path="."):
        # What the OS answers for a directory without read permission
        # (chmod cannot show it: the tests may run as root).
        if os.fspath(path) == locked:
            raise PermissionError(13, "Permission denied", locked)
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    code, out, err = run(capsys, "check", str(root), "--format", "json")
    skipped = json.loads(out)["skipped"]
    assert {"path": "src/locked", "reason": "unreadable directory: Permission denied"} in skipped
    assert [s["path"] for s in skipped].count("prisma/schema.prisma") == 1


@pytest.mark.parametrize("toml, key", [
    ('select = ["P999"]\n', "select[0]"),
    ('ignore = ["R2", "E399"]\n', "ignore[1]"),
    ('[severity]\nP199 = "error"\n', "severity.P199"),
    ('[rules.P999]\ndefault-take = 5\n', "rules.P999"),
])
def test_unknown_well_formed_codes_in_the_config_exit_2(tmp_path, capsys, toml, key):
    root = workspace(tmp_path, {"src/a.service.ts": "export const a = 1;\n"})
    (root / "perfaudit.toml").write_text(toml)
    code, _, err = run(capsys, "check", str(root))
    assert code == 2, err
    assert f"perfaudit.toml: {key}: unknown rule code" in err


def test_known_prefixes_and_codes_stay_valid(tmp_path, capsys):
    root = workspace(tmp_path, {"src/a.service.ts": "export const a = 1;\n"})
    (root / "perfaudit.toml").write_text('select = ["P1", "R", "A404", "ALL"]\nignore = ["X001"]\n[severity]\nE3 = "hint"\n')
    assert run(capsys, "check", str(root))[0] == 0


@pytest.mark.parametrize("fail_on, exit_code", [("error", 0), ("warning", 0), ("information", 1), ("info", 1), ("hint", 1)])
def test_fail_on_takes_every_severity(tmp_path, capsys, fail_on, exit_code):
    root = workspace(tmp_path, {"src/items.service.ts": SERVICE_WITH_TYPO})
    (root / "perfaudit.toml").write_text('[severity]\nX001 = "information"\n')
    assert run(capsys, "check", str(root), "--fail-on", fail_on)[0] == exit_code


def test_hint_findings_pass_unless_fail_on_hint(tmp_path, capsys):
    root = workspace(tmp_path, {"src/items.service.ts": SERVICE_WITH_TYPO})
    (root / "perfaudit.toml").write_text('[severity]\nX001 = "hint"\n')
    code, out, _ = run(capsys, "check", str(root), "--fail-on", "information")
    assert code == 0 and "X001" in out
    assert run(capsys, "check", str(root), "--fail-on", "hint")[0] == 1


def test_version(capsys):
    from perfaudit import __version__

    code, out, _ = run(capsys, "--version")
    assert code == 0 and out == f"perfaudit {__version__}\n"


def test_unsafe_fixes_without_fix_says_so(tmp_path, capsys):
    root = workspace(tmp_path, {"src/a.service.ts": "export const a = 1;\n"})
    code, _, err = run(capsys, "check", str(root), "--unsafe-fixes")
    assert code == 0
    assert "--unsafe-fixes does nothing without --fix" in err
    assert "--unsafe-fixes" not in run(capsys, "check", str(root), "--fix", "--unsafe-fixes")[2]


def test_format_names_agree_across_commands():
    """The same output is called the same in every command: text, json, markdown, html, sarif."""
    import argparse

    from perfaudit.server.cli.main import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    formats = {}
    for name, command in sub.choices.items():
        for action in command._actions:
            if "--format" in action.option_strings:
                formats[name] = set(action.choices)
    assert {"check", "rules", "routes", "report", "diff"} <= set(formats)
    assert set().union(*formats.values()) <= {"text", "json", "markdown", "html", "sarif"}
    assert all("json" in f for f in formats.values())


def test_fix_lists_what_the_user_must_still_run(tmp_path, capsys):
    """The compression fix edits package.json and the index fix the schema: the
    output says to `npm install` and to create the migration."""
    import shutil

    root = tmp_path / "backend"
    shutil.copytree(Path(__file__).resolve().parents[1] / "examples" / "backend", root)
    code, out, _ = run(capsys, "check", "--fix", str(root))
    assert code == 1  # findings remain (the unsafe ones)
    tail = out[out.index("Still to run, for the fixes to take effect:"):].splitlines()
    assert tail[1:] == ["  npm install", "  npx prisma migrate dev --name add_performance_indexes"]
    package = json.loads((root / "package.json").read_text())
    assert package["dependencies"]["compression"] and package["devDependencies"]["@types/compression"]
    # Nothing left to do: nothing said.
    code, out, _ = run(capsys, "check", "--fix", str(root))
    assert "Still to run" not in out
    # Machine-readable output stays clean: the note goes to stderr.
    shutil.rmtree(root)
    shutil.copytree(Path(__file__).resolve().parents[1] / "examples" / "backend", root)
    _, out, err = run(capsys, "check", "--fix", "--format", "json", str(root))
    assert json.loads(out)["findings"] and "npm install" in err
