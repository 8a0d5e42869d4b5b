"""A throwaway PostgreSQL cluster for the `perfaudit explain` tests.

One cluster per test session: `initdb` and `pg_ctl` from the installed
PostgreSQL (Debian's postgresql-15), run as `nobody` when the tests run as
root (postgres refuses root), listening on a free port on 127.0.0.1 and on a
unix socket in its own temp dir, password authentication only. Databases:
`example` (the example backend's migration, its production-shaped data and
HypoPG) and `nohypopg` (a copy without the extension). Tests skip with the
reason when PostgreSQL, HypoPG or psycopg is missing.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "backend"
MIGRATION = next(iter(sorted((EXAMPLE / "prisma" / "migrations").glob("*/migration.sql"))))
PERF_DATA = EXAMPLE / "prisma" / "perf-data.sql"
# A password with URL-special characters: it must survive quoting and never show.
PASSWORD = "Tr1cky:p@ss/w%rd-7f3a"


def _bindir() -> str | None:
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]), reverse=True):
        if os.path.exists(os.path.join(candidate, "initdb")):
            return candidate
    found = shutil.which("initdb")
    return os.path.dirname(found) if found else None


@dataclass
class Cluster:
    host: str
    port: int
    password: str
    socket_dir: str
    log_path: str

    def url(self, database: str, password: str | None = None, port: int | None = None) -> str:
        pw = quote(self.password if password is None else password, safe="")
        return f"postgresql://postgres:{pw}@{self.host}:{port or self.port}/{database}?schema=public&connection_limit=5"

    def connect(self, database: str = "postgres"):
        import psycopg

        return psycopg.connect(host=self.host, port=self.port, user="postgres", password=self.password,
                               dbname=database, autocommit=True)


def _runner():
    """(subprocess keyword arguments, uid, gid) to run postgres as a non-root user."""
    if os.geteuid() != 0:
        return {}, os.getuid(), os.getgid()
    user = pwd.getpwnam("nobody")
    return {"user": user.pw_uid, "group": user.pw_gid}, user.pw_uid, user.pw_gid


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def pg_cluster():
    pytest.importorskip("psycopg", reason="psycopg 3 is not installed (the postgres extra)")
    bindir = _bindir()
    if bindir is None:
        pytest.skip("PostgreSQL is not installed (Debian: postgresql-15)")
    run_as, uid, gid = _runner()
    base = tempfile.mkdtemp(prefix="perfaudit-pg-")
    os.chown(base, uid, gid)
    os.chmod(base, 0o700)
    pwfile = os.path.join(base, "pw")
    with open(pwfile, "w") as fh:
        fh.write(PASSWORD + "\n")
    os.chown(pwfile, uid, gid)
    data, log = os.path.join(base, "data"), os.path.join(base, "postgres.log")
    env = {"PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}
    kw = dict(run_as, cwd=base, env=env, capture_output=True, text=True, timeout=120)
    started = False
    try:
        r = subprocess.run([f"{bindir}/initdb", "-D", data, "-U", "postgres", "--auth=scram-sha-256",
                            f"--pwfile={pwfile}", "-E", "UTF8", "--no-sync"], **kw)
        if r.returncode != 0:
            pytest.skip(f"initdb failed: {r.stderr.strip()[-300:]}")
        os.unlink(pwfile)
        port = _free_port()
        opts = f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off -c autovacuum=off"
        r = subprocess.run([f"{bindir}/pg_ctl", "-D", data, "-l", log, "-w", "-o", opts, "start"], **kw)
        if r.returncode != 0:
            pytest.skip(f"pg_ctl start failed: {r.stderr.strip()[-300:]}")
        started = True
        cluster = Cluster("127.0.0.1", port, PASSWORD, base, log)
        _build_databases(cluster)
        yield cluster
    finally:
        if started:
            subprocess.run([f"{bindir}/pg_ctl", "-D", data, "-m", "fast", "-w", "stop"], **kw)
        shutil.rmtree(base, ignore_errors=True)


def _build_databases(cluster: Cluster) -> None:
    with cluster.connect() as conn:
        conn.execute("CREATE DATABASE example")
    with cluster.connect("example") as conn:
        conn.execute(MIGRATION.read_text())
        conn.execute(PERF_DATA.read_text())
    with cluster.connect() as conn:
        conn.execute("CREATE DATABASE nohypopg TEMPLATE example")


@pytest.fixture(scope="session")
def hypopg(pg_cluster):
    """HypoPG installed in `example` (skips when the package is missing)."""
    import psycopg

    with pg_cluster.connect("example") as conn:
        try:
            conn.execute("CREATE EXTENSION IF NOT EXISTS hypopg")
        except psycopg.Error as exc:
            pytest.skip(f"HypoPG is not installed (Debian: postgresql-15-hypopg): {str(exc).strip()}")
    return pg_cluster


@pytest.fixture
def example_copy(tmp_path):
    """The example backend in a temp dir: explain writes `.perfaudit/` into it."""
    dest = tmp_path / "backend"
    shutil.copytree(EXAMPLE, dest)
    return dest
