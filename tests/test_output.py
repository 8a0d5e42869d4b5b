"""Output formats against their contracts: text, JSON (issue part 7) and SARIF 2.1.0 (its schema)."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

from helpers import make_workspace
from perfaudit.server import registry
from perfaudit.server.engine import AnalysisResult
from perfaudit.server.findings import Applicability, Edit, Finding, Fix, Related, Severity
from perfaudit.server.cli.output import statistics, to_json, to_sarif, to_statistics_text, to_text
from perfaudit.server.rule import FixAvailability, Rule

SCHEMA = """\
model Post {
  id       String @id
  authorId String
  title    String
}
"""

# An emoji (2 UTF-16 units, 4 UTF-8 bytes) and accented letters before the query.
SERVICE = """\
// Beiträge 😀 — 読みリスト
export async function list(authorId: string) {
  const posts = /* 😀 */ await prisma.post.findMany({ where: { authorId } });
  return posts;
}
"""


@pytest.fixture
def fake_rules(monkeypatch):
    rules = {
        r.code: r
        for r in [
            Rule("P102", "prisma-unbounded-find-many", "`findMany` with no `take`.", fix=FixAvailability.SOMETIMES,
                 options={"default-take": 100}),
            Rule("P105", "prisma-missing-index", "A filtered field has no index.", fix=FixAvailability.ALWAYS,
                 severity=Severity.INFORMATION),
            registry.UNKNOWN_SUPPRESSION,
        ]
    }
    rules["P102"].doc = "## What it does\nFinds `findMany` with no `take`.\n\n## Why is this bad?\nIt reads the whole table.\n"
    monkeypatch.setattr(registry, "all_rules", lambda: rules)
    return rules


def byte(text: str, needle: str) -> int:
    return len(text[: text.index(needle)].encode("utf-8"))


@pytest.fixture
def result(tmp_path, fake_rules) -> AnalysisResult:
    ws = make_workspace(tmp_path, {"prisma/schema.prisma": SCHEMA, "src/posts.service.ts": SERVICE})
    root = str(tmp_path)
    ts = f"{root}/src/posts.service.ts"
    schema = f"{root}/prisma/schema.prisma"
    q = byte(SERVICE, "prisma.post.findMany")
    where = byte(SERVICE, "where")
    field = byte(SCHEMA, "authorId")
    close = byte(SCHEMA, "}")
    findings = [
        Finding("P102", ts, q, q + len("prisma.post.findMany"), "findMany without take", Severity.WARNING,
                fixes=(Fix("Add pagination", Applicability.UNSAFE, (Edit(ts, where, where, "take: 100, "),)),),
                name="prisma-unbounded-find-many"),
        Finding("P105", ts, where, where + 5, "`authorId` has no index", Severity.INFORMATION,
                related=(Related(schema, field, field + len("authorId"), "the field in the schema"),),
                fixes=(Fix("Add @@index([authorId])", Applicability.SAFE, (Edit(schema, close, close, "\n  @@index([authorId])\n"),)),),
                name="prisma-missing-index"),
        Finding("P105", schema, field, field + len("authorId"), "`authorId` has no index", Severity.ERROR,
                name="prisma-missing-index"),
    ]
    skipped = [(f"{root}/src/bundle.min.js", "minified (very long lines)"), (f"{root}/src/bin.ts", "binary or not UTF-8")]
    return AnalysisResult(root=ws.root, findings=findings, skipped=skipped, workspace=ws)


# --- JSON --------------------------------------------------------------------------

POSITION = {
    "type": "object", "additionalProperties": False, "required": ["line", "character"],
    "properties": {"line": {"type": "integer", "minimum": 0}, "character": {"type": "integer", "minimum": 0}},
}
RANGE = {
    "type": "object", "additionalProperties": False, "required": ["start", "end"],
    "properties": {"start": POSITION, "end": POSITION},
}
REL_PATH = {"type": "string", "pattern": r"^(?!/)(?![A-Za-z]:)[^\\]+$"}
# The contract of issue part 7, as a schema.
JSON_CONTRACT = {
    "type": "object",
    "required": ["version", "tool", "root", "findings", "summary", "skipped", "warnings"],
    "properties": {
        "version": {"const": 1},
        "tool": {"type": "object", "required": ["name", "version"],
                 "properties": {"name": {"const": "perfaudit"}, "version": {"type": "string"}}},
        "root": {"type": "string"},
        "findings": {"type": "array", "items": {
            "type": "object",
            "required": ["code", "name", "severity", "message", "path", "range", "related", "fixes"],
            "properties": {
                "code": {"type": "string", "pattern": r"^[A-Z][0-9]{3}$"},
                "name": {"type": "string", "minLength": 1},
                "severity": {"enum": ["error", "warning", "information", "hint"]},
                "message": {"type": "string", "minLength": 1},
                "path": REL_PATH,
                "range": RANGE,
                "related": {"type": "array", "items": {
                    "type": "object", "required": ["path", "range", "message"],
                    "properties": {"path": REL_PATH, "range": RANGE, "message": {"type": "string"}}}},
                "fixes": {"type": "array", "items": {
                    "type": "object", "required": ["title", "applicability", "edits"],
                    "properties": {
                        "title": {"type": "string"},
                        "applicability": {"enum": ["safe", "unsafe", "display-only"]},
                        "edits": {"type": "array", "minItems": 1, "items": {
                            "type": "object", "additionalProperties": False, "required": ["path", "range", "newText"],
                            "properties": {"path": REL_PATH, "range": RANGE, "newText": {"type": "string"}}}}}}},
            },
        }},
        "summary": {"type": "object", "required": ["findings"]},
        "skipped": {"type": "array", "items": {
            "type": "object", "additionalProperties": False, "required": ["path", "reason"],
            "properties": {"path": REL_PATH, "reason": {"type": "string"}}}},
        "warnings": {"type": "array", "items": {
            "type": "object", "additionalProperties": False, "required": ["path", "message"],
            "properties": {"path": REL_PATH, "message": {"type": "string"}}}},
    },
}


def test_json_matches_the_contract(result):
    data = to_json(result)
    jsonschema.validate(data, JSON_CONTRACT)
    json.dumps(data)  # serialisable as is


def test_json_fields(result, tmp_path):
    data = to_json(result)
    assert data["version"] == 1
    assert data["tool"]["name"] == "perfaudit" and data["tool"]["version"]
    assert data["root"] == str(tmp_path).replace("\\", "/")
    p102, p105_ts, p105_schema = data["findings"]

    assert p102["code"] == "P102"
    assert p102["name"] == "prisma-unbounded-find-many"
    assert p102["severity"] == "warning"
    assert p102["message"] == "findMany without take"
    assert p102["path"] == "src/posts.service.ts"
    # line 2; "  const posts = /* 😀 */ await " is 31 UTF-16 units (the emoji counts 2), 28 code points, 33 bytes
    line = SERVICE.splitlines()[2]
    col16 = len(line[: line.index("prisma")].encode("utf-16-le")) // 2
    assert col16 == 31
    assert p102["range"] == {"start": {"line": 2, "character": 31},
                             "end": {"line": 2, "character": 31 + len("prisma.post.findMany")}}
    assert p102["related"] == []
    (fix,) = p102["fixes"]
    assert fix["title"] == "Add pagination" and fix["applicability"] == "unsafe"
    where16 = len(line[: line.index("where")].encode("utf-16-le")) // 2
    assert fix["edits"] == [{"path": "src/posts.service.ts",
                             "range": {"start": {"line": 2, "character": where16}, "end": {"line": 2, "character": where16}},
                             "newText": "take: 100, "}]

    assert p105_ts["severity"] == "information"
    assert p105_ts["related"] == [{"path": "prisma/schema.prisma",
                                   "range": {"start": {"line": 2, "character": 2}, "end": {"line": 2, "character": 10}},
                                   "message": "the field in the schema"}]
    assert p105_ts["fixes"][0]["applicability"] == "safe"
    assert p105_ts["fixes"][0]["edits"][0]["path"] == "prisma/schema.prisma"
    assert p105_ts["fixes"][0]["edits"][0]["range"]["start"] == {"line": 4, "character": 0}
    assert p105_schema["severity"] == "error" and p105_schema["path"] == "prisma/schema.prisma"

    assert data["skipped"] == [{"path": "src/bundle.min.js", "reason": "minified (very long lines)"},
                               {"path": "src/bin.ts", "reason": "binary or not UTF-8"}]
    summary = data["summary"]
    assert summary["findings"] == 3
    assert summary["by_severity"] == {"error": 1, "warning": 1, "information": 1, "hint": 0}
    assert summary["by_code"] == {"P102": 1, "P105": 2}
    assert summary["fixable"] == {"safe": 1, "unsafe": 1}
    assert summary["skipped"] == 2


def test_json_empty_result(tmp_path, fake_rules):
    ws = make_workspace(tmp_path, {"src/a.ts": "export const a = 1;\n"})
    data = to_json(AnalysisResult(root=ws.root, findings=[], skipped=[], workspace=ws))
    jsonschema.validate(data, JSON_CONTRACT)
    assert data["findings"] == [] and data["summary"]["findings"] == 0


# --- SARIF -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sarif_schema():
    text = resources.files("perfaudit.server").joinpath("data/sarif-2.1.0.json").read_text(encoding="utf-8")
    return json.loads(text)


def validate_sarif(log, schema):
    validator = jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())
    errors = sorted(validator.iter_errors(log), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])


def test_shipped_schema_is_the_official_one(sarif_schema):
    assert sarif_schema["title"] == "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"
    assert sarif_schema["id"].endswith("/sarif-schema-2.1.0.json")
    jsonschema.Draft4Validator.check_schema(sarif_schema)


def test_sarif_validates_against_the_schema(result, sarif_schema):
    log = to_sarif(result)
    validate_sarif(log, sarif_schema)
    validate_sarif(json.loads(json.dumps(log)), sarif_schema)


def test_sarif_empty_run_validates(tmp_path, fake_rules, sarif_schema):
    ws = make_workspace(tmp_path, {"src/a.ts": "export const a = 1;\n"})
    log = to_sarif(AnalysisResult(root=ws.root, findings=[], skipped=[], workspace=ws))
    validate_sarif(log, sarif_schema)
    assert log["runs"][0]["results"] == []
    assert "toolExecutionNotifications" not in log["runs"][0]["invocations"][0]


def test_sarif_content(result, tmp_path, fake_rules):
    log = to_sarif(result)
    assert log["version"] == "2.1.0"
    (run,) = log["runs"]
    assert run["columnKind"] == "utf16CodeUnits"
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == Path(tmp_path).as_uri() + "/"
    driver = run["tool"]["driver"]
    assert driver["name"] == "perfaudit"
    rules = {r["id"]: r for r in driver["rules"]}
    assert set(rules) == set(fake_rules)
    p102 = rules["P102"]
    assert p102["name"] == "prisma-unbounded-find-many"
    assert p102["shortDescription"]["text"] == "findMany with no take."
    assert p102["fullDescription"]["text"] == "Finds findMany with no take."
    assert "It reads the whole table." in p102["help"]["markdown"]
    # No web site exists: no helpUri (SARIF wants an absolute URI); the help names the page in the repository.
    assert "helpUri" not in p102 and "informationUri" not in driver
    assert "docs/rules.md#p102-prisma-unbounded-find-many" in p102["help"]["markdown"]
    assert p102["defaultConfiguration"]["level"] == "warning"
    assert rules["P105"]["defaultConfiguration"]["level"] == "note"

    r102, r105_ts, r105_schema = run["results"]
    assert driver["rules"][r102["ruleIndex"]]["id"] == "P102" == r102["ruleId"]
    assert r102["level"] == "warning" and r105_ts["level"] == "note" and r105_schema["level"] == "error"
    assert r102["message"]["text"] == "findMany without take"
    loc = r102["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"] == {"uri": "src/posts.service.ts", "uriBaseId": "%SRCROOT%"}
    assert loc["region"] == {"startLine": 3, "startColumn": 32, "endLine": 3, "endColumn": 32 + len("prisma.post.findMany")}
    (fix,) = r102["fixes"]
    (change,) = fix["artifactChanges"]
    assert change["artifactLocation"]["uri"] == "src/posts.service.ts"
    (repl,) = change["replacements"]
    assert repl["insertedContent"]["text"] == "take: 100, "
    assert repl["deletedRegion"]["startColumn"] == repl["deletedRegion"]["endColumn"]

    (related,) = r105_ts["relatedLocations"]
    assert related["physicalLocation"]["artifactLocation"]["uri"] == "prisma/schema.prisma"
    assert related["physicalLocation"]["region"]["startLine"] == 3
    assert related["message"]["text"] == "the field in the schema"
    # stable, distinct fingerprints
    prints = [r["partialFingerprints"]["perfaudit/v1"] for r in run["results"]]
    assert len(set(prints)) == 3
    assert prints == [r["partialFingerprints"]["perfaudit/v1"] for r in to_sarif(result)["runs"][0]["results"]]

    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert [n["level"] for n in notes] == ["note", "note"]
    assert notes[0]["message"]["text"] == "skipped src/bundle.min.js: minified (very long lines)"
    assert notes[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "src/bundle.min.js"


def test_sarif_uri_is_percent_encoded(tmp_path, fake_rules, sarif_schema):
    ws = make_workspace(tmp_path, {"src/my dir/ä.ts": "export const a = prisma.post.findMany();\n"})
    path = f"{ws.root}/src/my dir/ä.ts"
    finding = Finding("P102", path, 17, 37, "m", name="prisma-unbounded-find-many")
    log = to_sarif(AnalysisResult(root=ws.root, findings=[finding], skipped=[], workspace=ws))
    validate_sarif(log, sarif_schema)
    uri = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "src/my%20dir/%C3%A4.ts"


# --- text ---------------------------------------------------------------------------


def test_text_lines_and_summary(result, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = to_text(result, color=False)
    lines = out.splitlines()
    # The severity in words (not only a colour), `[*]` safe fix, `[~]` unsafe fix only.
    assert lines[0] == "src/posts.service.ts:3:32: warning P102 [~] findMany without take"
    assert lines[1] == "src/posts.service.ts:3:55: information P105 [*] `authorId` has no index"
    assert lines[2] == "prisma/schema.prisma:3:3: error P105 `authorId` has no index"
    assert lines[3] == ""
    assert "Found 3 findings in 2 files (1 error, 1 warning, 1 information)." in lines
    assert "[*] 1 fixable with `perfaudit check --fix`." in lines
    assert "[~] 1 more fixable with `--fix --unsafe-fixes`." in lines
    assert lines[-1] == "skipped 2 files: src/bundle.min.js (minified (very long lines)), src/bin.ts (binary or not UTF-8)"
    assert "\x1b[" not in out


def test_text_colour_and_paths_outside_cwd(result, tmp_path, monkeypatch):
    other = tmp_path.parent / (tmp_path.name + "-elsewhere")
    other.mkdir()
    monkeypatch.chdir(other)
    out = to_text(result, color=True)
    assert "\x1b[1;33mwarning P102\x1b[0m" in out and "\x1b[1;31merror P105\x1b[0m" in out
    assert f"{result.root}/src/posts.service.ts:3:32:" in out


def test_text_no_findings(tmp_path, fake_rules):
    ws = make_workspace(tmp_path, {"src/a.ts": "export const a = 1;\n"})
    assert to_text(AnalysisResult(root=ws.root, findings=[], skipped=[], workspace=ws)) == "No findings.\n"


def test_statistics(result):
    rows = statistics(result)
    assert rows == [
        {"code": "P105", "name": "prisma-missing-index", "count": 2, "fixable": 1, "fixable_unsafe": 0},
        {"code": "P102", "name": "prisma-unbounded-find-many", "count": 1, "fixable": 0, "fixable_unsafe": 1},
    ]
    text = to_statistics_text(result)
    assert text.splitlines()[0] == "2  P105  [*] prisma-missing-index"
    assert "Found 3 findings." in text
