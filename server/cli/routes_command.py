"""`perfaudit routes [PATH] [--format text|json]`: every endpoint and its cost."""

from __future__ import annotations

import argparse
import json
import sys

from perfaudit.server.cli.main import EXIT_OK, Command, UsageError, add_config_arguments, load_config_for, resolve_targets


def _arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("path", nargs="?", default=".", help="the project root (default: the current directory)")
    # `text` as in every other command; `table`, its old name, still works.
    p.add_argument("--format", type=lambda v: "text" if v == "table" else v, choices=("text", "json"), default="text",
                   help="output format (default: text)")
    add_config_arguments(p)
    from perfaudit.server.express.request_logs import add_log_arguments

    add_log_arguments(p)


def _run(args: argparse.Namespace) -> int:
    from perfaudit.server.express.routes import routes
    from perfaudit.server.analysis.workspace import Workspace

    root, paths = resolve_targets([args.path])
    if paths is not None:
        raise UsageError(f"{args.path}: give a project directory")
    ws = Workspace(root, load_config_for(root, args))
    ws.load()
    found = list(routes(ws))
    latency = _latency(ws, args, found)
    if args.format == "json":
        data = {"root": root, "routes": [r.to_json() for r in found]}
        if latency is not None:  # measured latency per route, and what was read
            for r, j in zip(found, data["routes"]):
                lat = latency.get(r.method, r.path)
                j["latency"] = lat.to_json() if lat is not None else None
            data["logs"] = latency.to_json()["read"]
        json.dump(data, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return EXIT_OK
    rows = [("METHOD", "PATH", "QUERIES", "SEQ", "CACHED", "PAGINATED", "HANDLER", "WHERE")]
    listed = [r.to_json() for r in found]
    several = any(j["schemas"] for j in listed)  # name the schemas only where there are several
    if several:
        rows[0] = rows[0][:3] + ("SCHEMAS",) + rows[0][3:]
    at = 7 if several else 6  # where the measured columns go
    if latency is not None:
        rows[0] = rows[0][:at] + ("REQUESTS", "P50", "P95") + rows[0][at:]
    for r, j in zip(found, listed):
        handler = j["handler"]["name"] if j["handler"] else r.handler_label
        row = (r.method, r.path, str(j["queries"]), str(j["sequential"]), "yes" if j["cached"] else "no",
               {True: "yes", False: "no", None: "-"}[j["paginated"]], handler, f"{j['file']}:{j['line']}")
        if several:
            row = row[:3] + (",".join(j["schemas"]) or "-",) + row[3:]
        if latency is not None:
            from perfaudit.server.express.request_logs import format_ms

            lat = latency.get(r.method, r.path)
            measured = (f"{lat.count:,}", format_ms(lat.p50), format_ms(lat.p95)) if lat else ("0", "-", "-")
            row = row[:at] + measured + row[at:]
        rows.append(row)
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
    print(f"\n{len(found)} route{'s' if len(found) != 1 else ''}")
    return EXIT_OK


def _latency(ws, args, found):
    """With --logs: the latency report, and `found` reordered by measured cost (in place)."""
    from perfaudit.server.express.request_logs import LogFormatError, latency_from_args

    try:
        latency = latency_from_args(ws, args)
    except LogFormatError as exc:
        raise UsageError(str(exc)) from None
    if latency is not None:
        def cost(r):
            lat = latency.get(r.method, r.path)
            return (-(lat.total_ms if lat else -1), -(lat.p95 if lat else -1))

        found.sort(key=cost)  # stable: unmeasured routes keep their order
    return latency


COMMAND = Command("routes", "list the HTTP routes and what each costs", _arguments, _run)
