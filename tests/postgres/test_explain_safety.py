"""`perfaudit explain` failing cleanly, and never showing the password."""

from __future__ import annotations

import json
import os

import pytest

from perfaudit.server.cli.main import main

from conftest import PASSWORD


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _assert_one_line_failure(code, out, err, example_copy, words):
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("perfaudit: error: ")
    for w in words:
        assert w in lines[0], lines[0]
    assert PASSWORD not in err
    assert not (example_copy / ".perfaudit").exists()  # nothing half written


def test_a_server_that_is_down(pg_cluster, example_copy, capsys):
    url = pg_cluster.url("example", port=_free_port())
    _assert_one_line_failure(*run(capsys, "explain", str(example_copy), "--database-url", url), example_copy,
                             ["cannot connect to postgresql://postgres:***@127.0.0.1:", "down or unreachable"])


def test_a_refused_password(pg_cluster, example_copy, capsys):
    url = pg_cluster.url("example", password="not-the-" + PASSWORD)
    code, out, err = run(capsys, "explain", str(example_copy), "--database-url", url)
    _assert_one_line_failure(code, out, err, example_copy, ["refused the password"])
    assert "not-the-" not in err


def test_a_missing_table(pg_cluster, example_copy, capsys):
    with pg_cluster.connect() as conn:
        conn.execute("CREATE DATABASE half_migrated TEMPLATE nohypopg")
    with pg_cluster.connect("half_migrated") as conn:
        conn.execute('DROP TABLE "ReadListItem"')
    url = pg_cluster.url("half_migrated")
    _assert_one_line_failure(*run(capsys, "explain", str(example_copy), "--database-url", url), example_copy,
                             ['no table "public"."ReadListItem" (model ReadListItem)', "migrations"])


def test_a_failed_run_keeps_the_previous_results(pg_cluster, example_copy, capsys):
    assert run(capsys, "explain", str(example_copy), "--database-url", pg_cluster.url("nohypopg"))[0] == 0
    saved = (example_copy / ".perfaudit" / "explain.json").read_bytes()
    code, _, err = run(capsys, "explain", str(example_copy), "--database-url", pg_cluster.url("example", port=_free_port()))
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert (example_copy / ".perfaudit" / "explain.json").read_bytes() == saved
    assert sorted(os.listdir(example_copy / ".perfaudit")) == [".gitignore", "explain.json"]


def test_the_password_appears_in_no_output_log_or_cache(hypopg, example_copy, capsys, monkeypatch):
    url = hypopg.url("example")
    seen = []
    for fmt in ("text", "json", "markdown"):
        code, out, err = run(capsys, "explain", str(example_copy), "--database-url", url, "--format", fmt)
        assert code == 0
        seen += [out, err]
    # From the environment and from the workspace's .env, through check and report.
    monkeypatch.setenv("DATABASE_URL", url)
    code, out, err = run(capsys, "check", str(example_copy), "--database-url", url, "--format", "json")
    assert code == 1
    seen += [out, err]
    monkeypatch.delenv("DATABASE_URL")
    (example_copy / ".env").write_text(f'DATABASE_URL="{url}"\n')
    code, out, err = run(capsys, "explain", str(example_copy))
    assert code == 0
    seen += [out, err]
    code, out, err = run(capsys, "report", str(example_copy))
    seen += [out, err]
    # Failures quote the URL: with *** for the password.
    for bad in (hypopg.url("example", port=_free_port()), hypopg.url("no_such_db")):
        code, out, err = run(capsys, "explain", str(example_copy), "--database-url", bad)
        assert code == 2 and "***" in err
        seen += [out, err]
    files = [p for p in (example_copy / ".perfaudit").iterdir()]
    assert files
    seen += [p.read_text() for p in files]
    seen.append(open(hypopg.log_path).read())  # the server's own log
    from urllib.parse import quote

    for secret in (PASSWORD, quote(PASSWORD, safe=""), quote(PASSWORD)):
        for text in seen:
            assert secret not in text
    assert any("postgresql://postgres:***@" in text for text in seen)
