"""`perfaudit routes [PATH] [--format table|json]`: every endpoint and its cost."""

from __future__ import annotations

import argparse
import json
import sys

from .cli import EXIT_OK, Command, UsageError, add_config_arguments, load_config_for, resolve_targets


def _arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("path", nargs="?", default=".", help="the project root (default: the current directory)")
    p.add_argument("--format", choices=("table", "json"), default="table", help="output format (default: table)")
    add_config_arguments(p)


def _run(args: argparse.Namespace) -> int:
    from .routes import routes
    from .workspace import Workspace

    root, paths = resolve_targets([args.path])
    if paths is not None:
        raise UsageError(f"{args.path}: give a project directory")
    ws = Workspace(root, load_config_for(root, args))
    ws.load()
    found = routes(ws)
    if args.format == "json":
        json.dump({"root": root, "routes": [r.to_json() for r in found]}, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return EXIT_OK
    rows = [("METHOD", "PATH", "QUERIES", "SEQ", "CACHED", "PAGINATED", "HANDLER", "WHERE")]
    for r in found:
        j = r.to_json()
        handler = j["handler"]["name"] if j["handler"] else r.handler_label
        rows.append((r.method, r.path, str(j["queries"]), str(j["sequential"]), "yes" if j["cached"] else "no",
                     "yes" if j["paginated"] else "no", handler, f"{j['file']}:{j['line']}"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
    print(f"\n{len(found)} route{'s' if len(found) != 1 else ''}")
    return EXIT_OK


COMMAND = Command("routes", "list the HTTP routes and what each costs", _arguments, _run)
