"""`perfaudit explain [PATH] --database-url URL`: P105's index suggestions, asked of the planner.

The URL comes from `--database-url`, else the variable `[database] url-env`
names (default DATABASE_URL) in the environment, else that key in the
workspace's `.env`. A database problem is one line on stderr and exit 2;
the saved results (`.perfaudit/explain.json`) change only after a whole run.
"""

from __future__ import annotations

import argparse
import json
import sys

from perfaudit.server.cli.main import EXIT_OK, Command, UsageError, add_config_arguments, load_config_for, resolve_targets


def add_database_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--database-url", metavar="URL",
                   help="the PostgreSQL to plan with (default: $DATABASE_URL, or the workspace's .env)")


def _arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("path", nargs="?", default=".", help="the project root (default: the current directory)")
    add_database_arguments(p)
    p.add_argument("--format", choices=("text", "json", "markdown"), default="text", help="output format (default: text)")
    p.add_argument("--create-extension", action="store_true",
                   help="run CREATE EXTENSION IF NOT EXISTS hypopg first (the only write perfaudit makes)")
    p.add_argument("--analyze", action="store_true",
                   help="also run each query once before the index (EXPLAIN ANALYZE, values from one row; "
                        "SELECTs only, read-only, rolled back) and report its time")
    p.add_argument("--small-table-rows", type=int, metavar="N", default=None,
                   help="a table with fewer rows is small: an index on it is not advised (default: 1000)")
    add_config_arguments(p)


def refresh(ws, config, explicit_url: str | None, required: bool, create_extension: bool = False,
            small_rows: int | None = None, analyze: bool = False) -> dict | None:
    """Plan, save and return the results; None when no URL is set and none is
    `required`. Raises UsageError (one line, no password) on any problem."""
    from perfaudit.server.postgres import results as saved
    from perfaudit.server.postgres.explain import explain
    from perfaudit.server.postgres.planner import DatabaseError
    from perfaudit.server.postgres.url import DEFAULT_ENV, UrlError, find_url, parse
    from perfaudit.server.postgres.verdicts import SMALL_TABLE_ROWS

    env_name = config.database_url_env or DEFAULT_ENV
    raw, _origin = find_url(ws.root, explicit_url, env_name)
    if raw is None:
        if required:
            raise UsageError(f"no database URL: pass --database-url or set {env_name} (environment or .env)")
        return None
    try:
        url = parse(raw)
    except UrlError as exc:
        raise UsageError(str(exc)) from None
    try:
        results = explain(ws, url, create_extension=create_extension,
                          small_rows=SMALL_TABLE_ROWS if small_rows is None else small_rows, analyze=analyze)
    except DatabaseError as exc:
        raise UsageError(url.scrub(str(exc))) from None
    saved.save(ws.root, results)
    return results


def _run(args: argparse.Namespace) -> int:
    from perfaudit.server.analysis.workspace import Workspace
    from perfaudit.server.cli.explain_output import to_markdown, to_text

    root, paths = resolve_targets([args.path])
    if paths is not None:
        raise UsageError(f"{args.path}: give a project directory")
    if args.small_table_rows is not None and args.small_table_rows < 0:
        raise UsageError("--small-table-rows must be 0 or more")
    config = load_config_for(root, args)
    ws = Workspace(root, config)
    ws.load()
    results = refresh(ws, config, args.database_url, True, args.create_extension, args.small_table_rows, args.analyze)
    if args.format == "json":
        sys.stdout.write(json.dumps(results, indent=2) + "\n")
    elif args.format == "markdown":
        sys.stdout.write(to_markdown(results))
    else:
        sys.stdout.write(to_text(results))
    print("perfaudit: saved to .perfaudit/explain.json (check, report and the editor read it there)", file=sys.stderr)
    return EXIT_OK


COMMAND = Command("explain", "ask PostgreSQL's planner (with HypoPG) about the suggested indexes",
                  _arguments, _run)
