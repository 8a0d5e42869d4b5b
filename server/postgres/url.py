"""Database URLs: where one comes from, what libpq may see of it, and how to show it.

A Prisma URL carries settings libpq rejects (`schema`, `connection_limit`,
`pgbouncer`, ...): only libpq's own keys are passed on, and `schema` becomes
the schema tables are looked up in. The password is never shown: `shown`
puts `***` in its place, and `scrub` removes it from any text (a driver's
error message) before it is printed or written.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

DEFAULT_ENV = "DATABASE_URL"

# Connection keys libpq understands; anything else in a Prisma URL is Prisma's.
LIBPQ_KEYS = {
    "host", "hostaddr", "port", "dbname", "user", "password", "passfile", "connect_timeout",
    "client_encoding", "options", "application_name", "keepalives", "keepalives_idle",
    "keepalives_interval", "keepalives_count", "tcp_user_timeout", "sslmode", "sslcert", "sslkey",
    "sslpassword", "sslrootcert", "sslcrl", "sslcrldir", "sslsni", "requirepeer",
    "ssl_min_protocol_version", "ssl_max_protocol_version", "gssencmode", "krbsrvname",
    "gsslib", "service", "target_session_attrs", "channel_binding",
}


class UrlError(Exception):
    """A database URL that cannot be used; the message never holds the password."""


@dataclass(frozen=True)
class DatabaseUrl:
    conninfo: str  # what libpq gets (holds the password)
    shown: str  # for people and logs: password replaced by ***
    schema: str  # Prisma's `?schema=`, default public
    password: str | None

    def scrub(self, text: str) -> str:
        """`text` with every form of the password replaced by ***."""
        if not self.password:
            return text
        for secret in {self.password, quote(self.password, safe=""), quote(self.password)}:
            if secret:
                text = text.replace(secret, "***")
        return text


def parse(url: str) -> DatabaseUrl:
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("postgresql", "postgres"):
        raise UrlError("the database URL must start with postgresql:// (only PostgreSQL is supported)")
    query = parse_qsl(parts.query, keep_blank_values=True)
    schema = next((v for k, v in query if k == "schema" and v), "public")
    kept = [(k, v) for k, v in query if k in LIBPQ_KEYS]
    password = unquote(parts.password) if parts.password is not None else None
    password = password or next((v for k, v in kept if k == "password"), None)
    conninfo = urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(kept), ""))
    host = parts.netloc.rsplit("@", 1)[-1]
    user = parts.username
    auth = f"{user}:***@" if user and password else (f"{user}@" if user else "")
    shown_query = urlencode([(k, "***" if k == "password" else v) for k, v in kept], safe="*/")
    shown = urlunsplit((parts.scheme, auth + host, parts.path, shown_query, ""))
    return DatabaseUrl(conninfo, shown, schema, password)


def read_env_file(path: str) -> dict[str, str]:
    """KEY=VALUE lines of a dotenv file (quotes removed, comments skipped)."""
    out: dict[str, str] = {}
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            lines = fh.read().splitlines()
    except OSError:
        return out
    for line in lines:
        m = re.match(r"\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$", line)
        if not m:
            continue
        value = m.group(2).strip()
        if value[:1] in ("'", '"') and value.count(value[0]) >= 2:
            value = value[1:value.index(value[0], 1)]
        else:
            value = value.split(" #", 1)[0].strip()
        out[m.group(1)] = value
    return out


def find_url(root: str, explicit: str | None, env_name: str = DEFAULT_ENV,
             environ: dict | None = None) -> tuple[str | None, str]:
    """(url, where it came from): `--database-url`, else the environment
    variable, else that key in the workspace's `.env` (root, then prisma/)."""
    if explicit:
        return explicit, "--database-url"
    environ = os.environ if environ is None else environ
    if environ.get(env_name):
        return environ[env_name], f"${env_name}"
    for rel in (".env", os.path.join("prisma", ".env")):
        value = read_env_file(os.path.join(root, rel)).get(env_name)
        if value:
            return value, rel
    return None, env_name
