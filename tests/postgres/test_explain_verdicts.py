"""`perfaudit explain` against a real PostgreSQL 15 with HypoPG: the verdicts."""

from __future__ import annotations

import json

import pytest

from perfaudit.server.cli.main import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def by_model(results):
    return {(e["model"], tuple(e["fields"])): e for e in results["indexes"]}


def test_the_planner_confirms_the_large_table_and_turns_down_the_rest(hypopg, example_copy, capsys):
    code, out, err = run(capsys, "explain", str(example_copy), "--database-url", hypopg.url("example"), "--format", "json")
    assert code == 0, err
    results = json.loads(out)
    assert results["version"] == 1
    assert results["database"]["server_version"].startswith("15")
    assert results["database"]["hypopg"]
    found = by_model(results)
    assert set(found) == {("AuditLog", ("actorId", "createdAt")), ("Book", ("isbn",)), ("Comment", ("deletedAt", "createdAt"))}

    audit = found[("AuditLog", ("actorId", "createdAt"))]
    assert audit["verdict"] == "confirmed"
    assert audit["table"] == "audit_log" and audit["columns"] == ["actor_id", "created_at"]  # @@map/@map
    assert audit["table_rows"] == 200_000
    assert audit["after"]["uses_index"] is True
    assert "Index" in audit["after"]["node"] and audit["before"]["node"] == "Seq Scan"
    assert audit["after"]["cost"] < audit["before"]["cost"] / 10
    site = audit["query_sites"][0]
    assert site["path"] == "src/services/report.service.ts" and site["op"] == "findMany"
    assert '"actor_id" = $1 AND "created_at" >= $2 ORDER BY "created_at" DESC LIMIT $3' in site["sql"]

    book = found[("Book", ("isbn",))]
    assert book["verdict"] == "small-table" and book["table_rows"] == 20

    comment = found[("Comment", ("deletedAt", "createdAt"))]
    assert comment["verdict"] == "not-used"
    assert comment["table_rows"] == 60_000
    assert comment["after"]["uses_index"] is False
    assert '"deletedAt" IS NULL AND "createdAt" >= $1 LIMIT $2' in comment["query_sites"][0]["sql"]

    tables = {t["model"]: t for t in results["tables"]}
    assert tables["AuditLog"]["rows"] == 200_000 and tables["AuditLog"]["bytes"] > 1_000_000
    assert tables["Session"]["rows"] == 0

    # The same document is saved for check, report and the editor; git ignores it.
    saved = json.loads((example_copy / ".perfaudit" / "explain.json").read_text())
    assert saved == results
    assert (example_copy / ".perfaudit" / ".gitignore").read_text().splitlines()[-1] == "*"


def test_without_hypopg_the_plan_before_and_sizes_are_still_reported(pg_cluster, example_copy, capsys):
    code, out, err = run(capsys, "explain", str(example_copy), "--database-url", pg_cluster.url("nohypopg"), "--format", "json")
    assert code == 0, err
    results = json.loads(out)
    found = by_model(results)
    assert found[("AuditLog", ("actorId", "createdAt"))]["verdict"] == "no-hypopg"
    assert found[("AuditLog", ("actorId", "createdAt"))]["before"]["node"] == "Seq Scan"
    assert found[("AuditLog", ("actorId", "createdAt"))]["after"] is None
    assert found[("Comment", ("deletedAt", "createdAt"))]["verdict"] == "no-hypopg"
    assert found[("Book", ("isbn",))]["verdict"] == "small-table"  # decided by size alone
    assert results["database"]["hypopg"] is None
    assert any("create-extension" in n for n in results["notes"])


def test_create_extension_is_the_one_write_and_only_on_request(pg_cluster, example_copy, capsys):
    with pg_cluster.connect() as conn:
        conn.execute("CREATE DATABASE withext TEMPLATE nohypopg")
    url = pg_cluster.url("withext")
    code, out, _ = run(capsys, "explain", str(example_copy), "--database-url", url, "--format", "json")
    assert code == 0 and json.loads(out)["database"]["hypopg"] is None  # not created unasked
    code, out, err = run(capsys, "explain", str(example_copy), "--database-url", url, "--format", "json", "--create-extension")
    assert code == 0, err
    assert by_model(json.loads(out))[("AuditLog", ("actorId", "createdAt"))]["verdict"] == "confirmed"
    with pg_cluster.connect("withext") as conn:
        # Nothing else was written: no real index, the hypothetical one gone with the session.
        names = [r[0] for r in conn.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'audit_log'")]
        assert names == ["audit_log_pkey"]


def test_text_and_markdown_name_every_verdict(hypopg, example_copy, capsys):
    code, out, _ = run(capsys, "explain", str(example_copy), "--database-url", hypopg.url("example"))
    assert code == 0
    assert "confirmed    @@index([actorId, createdAt]) on AuditLog (audit_log, 200 k rows)" in out
    assert "small-table  @@index([isbn]) on Book (Book, 20 rows)" in out
    assert "not-used     @@index([deletedAt, createdAt]) on Comment (Comment, 60 k rows)" in out
    code, out, _ = run(capsys, "explain", str(example_copy), "--database-url", hypopg.url("example"), "--format", "markdown")
    assert code == 0
    assert "| `AuditLog` `@@index([actorId, createdAt])` | 200 k | Seq Scan" in out
    assert "**confirmed** |" in out and "**small-table** |" in out and "**not-used** |" in out


def test_analyze_measures_the_plan_before_and_writes_nothing(hypopg, example_copy, capsys):
    code, out, err = run(capsys, "explain", str(example_copy), "--database-url", hypopg.url("example"),
                         "--format", "json", "--analyze")
    assert code == 0, err
    found = by_model(json.loads(out))
    audit = found[("AuditLog", ("actorId", "createdAt"))]
    assert audit["before"]["actual_ms"] > 0
    assert audit["query_sites"][0]["before"]["actual_ms"] == audit["before"]["actual_ms"]
    assert "actual_ms" not in audit["after"]  # a hypothetical index cannot be run
    assert audit["verdict"] == "confirmed"
    code, out, _ = run(capsys, "explain", str(example_copy), "--database-url", hypopg.url("example"), "--analyze")
    assert " ms measured)" in out
    with hypopg.connect("example") as conn:
        assert conn.execute('SELECT count(*) FROM "audit_log"').fetchone()[0] == 200_000


def test_the_planner_session_cannot_write(hypopg):
    from perfaudit.server.postgres.planner import DatabaseError, open_session
    from perfaudit.server.postgres.url import parse

    url = parse(hypopg.url("example"))
    with pytest.raises(DatabaseError) as exc:
        with open_session(url) as session:
            session.plan('DELETE FROM "Book"', 0)  # a write can be planned...
            session.measure('DELETE FROM "Book"', [])  # ...but never run
    assert "only SELECT" in str(exc.value) or "read-only" in str(exc.value)
    with pytest.raises(DatabaseError) as exc:
        with open_session(url) as session:
            session._execute('INSERT INTO "Tag" ("id", "name") VALUES (\'t\', \'t\')')
    assert "read-only transaction" in str(exc.value)
    with pytest.raises(DatabaseError) as exc:
        with open_session(url, timeout_ms=50) as session:
            session._execute("SELECT pg_sleep(1)")
    assert "statement timeout" in str(exc.value)
    with hypopg.connect("example") as conn:
        assert conn.execute('SELECT count(*) FROM "Book"').fetchone()[0] == 20
        assert conn.execute('SELECT count(*) FROM "Tag"').fetchone()[0] == 0
