"""Saved `perfaudit explain` results feed check (P105, P102, E304), the report
and the editor's schema hover and lenses."""

from __future__ import annotations

import json

from perfaudit.server.cli.main import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def findings(out: str, code: str) -> list[dict]:
    return [f for f in json.loads(out)["findings"] if f["code"] == code]


def test_check_without_results_reports_every_suggestion(example_copy, capsys):
    code, out, _ = run(capsys, "check", str(example_copy), "--format", "json", "--select", "P105")
    messages = " ".join(f["message"] for f in findings(out, "P105"))
    for model in ("Book", "Comment", "AuditLog"):
        assert model in messages
    assert "planner" not in messages


def test_check_with_a_database_folds_the_verdicts_in(hypopg, example_copy, capsys):
    code, out, err = run(capsys, "check", str(example_copy), "--database-url", hypopg.url("example"), "--format", "json")
    assert code == 1, err
    p105 = findings(out, "P105")
    # Book (small-table) and Comment [deletedAt, createdAt] (not-used) are no longer warnings.
    # One finding per schema field; the query in report.service is its related information.
    assert {f["path"] for f in p105} == {"prisma/schema.prisma"}
    assert all(any(r["path"] == "src/services/report.service.ts" for r in f["related"]) for f in p105)
    assert all("AuditLog" in f["message"] for f in p105)
    assert all("The PostgreSQL planner confirms it: cost 4," in f["message"] and "on 200 k rows" in f["message"]
               for f in p105)
    p102 = findings(out, "P102")
    assert p102 and "(`ReadList` holds 5 k rows)" in p102[0]["message"]
    e304 = findings(out, "E304")
    assert e304 and "(`ReadList` holds 5 k rows)" in e304[0]["message"]


def test_database_url_env_in_perfaudit_toml(hypopg, example_copy, capsys, monkeypatch):
    (example_copy / "perfaudit.toml").write_text('[database]\nurl-env = "READLISTS_DB"\n')
    monkeypatch.delenv("READLISTS_DB", raising=False)
    code, out, err = run(capsys, "check", str(example_copy), "--format", "json", "--select", "P105")
    assert err == "" and not (example_copy / ".perfaudit").exists()  # unset: no results, no error
    assert len(findings(out, "P105")) == 5  # schema fields: Book one, Comment and AuditLog two each
    monkeypatch.setenv("READLISTS_DB", hypopg.url("example"))
    code, out, err = run(capsys, "check", str(example_copy), "--format", "json", "--select", "P105")
    assert (example_copy / ".perfaudit" / "explain.json").exists()
    assert len(findings(out, "P105")) == 2  # the AuditLog schema fields
    # Unset again: the saved results still apply, nothing connects.
    monkeypatch.delenv("READLISTS_DB")
    code, out, err = run(capsys, "check", str(example_copy), "--format", "json", "--select", "P105")
    assert len(findings(out, "P105")) == 2


def test_the_report_has_a_planner_section(hypopg, example_copy, capsys):
    code, out, _ = run(capsys, "report", str(example_copy))
    assert "Not asked: run `perfaudit explain" in out
    assert run(capsys, "explain", str(example_copy), "--database-url", hypopg.url("example"))[0] == 0
    code, out, _ = run(capsys, "report", str(example_copy))
    section = out.split("## Index advice checked by the PostgreSQL planner", 1)[1]
    assert "| `AuditLog` `@@index([actorId, createdAt])` | 200 k |" in section and "**confirmed**" in section
    assert "| `AuditLog` | `audit_log` | 200 k |" in section
    code, out, _ = run(capsys, "report", str(example_copy), "--format", "json")
    assert json.loads(out)["planner"]["indexes"]
    code, out, _ = run(capsys, "report", str(example_copy), "--format", "html")
    assert "Index advice checked by the PostgreSQL planner" in out and "<b>confirmed</b>" in out


def test_schema_hover_and_lenses_read_the_saved_results(hypopg, example_copy, capsys):
    from perfaudit.server.analysis.workspace import Workspace
    from perfaudit.server.lsp.schema_feature import schema_hover, schema_lenses

    assert run(capsys, "explain", str(example_copy), "--database-url", hypopg.url("example"))[0] == 0
    ws = Workspace(str(example_copy))
    ws.load()
    path = str(example_copy / "prisma" / "schema.prisma")
    lenses = {lens.model: lens.title for lens in schema_lenses(ws, path)}
    assert lenses["AuditLog"] == "2 query sites, 1 unindexed filter, 200 k rows"  # a create and the report read
    assert lenses["Book"].endswith(", 20 rows")
    text = (example_copy / "prisma" / "schema.prisma").read_text()
    at = text.encode().index(b"deletedAt DateTime?")
    hover = schema_hover(ws, path, at + 2)
    assert "(planner: **not-used**, cost " in hover
    at = text.encode().index(b"actorId   String")
    assert "(planner: **confirmed**, cost 4," in schema_hover(ws, path, at + 2)
