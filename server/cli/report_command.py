"""`perfaudit report [PATH] [--format markdown|html|json] [--logs GLOB] [-o FILE]`:
the audit as a document (checklist by phase, counts per rule, routes with
their costs and measured latency, missing indexes with their `@@index` lines)."""

from __future__ import annotations

import argparse
import json
import os
import sys

from perfaudit.server.cli.main import EXIT_OK, Command, UsageError, add_config_arguments, load_config_for, resolve_targets


def _arguments(p: argparse.ArgumentParser) -> None:
    from perfaudit.server.express.request_logs import add_log_arguments

    p.add_argument("path", nargs="?", default=".", help="the project root (default: the current directory)")
    p.add_argument("--format", choices=("markdown", "html", "json"), default="markdown",
                   help="markdown (default), a self-contained html page, or json")
    p.add_argument("-o", "--output", metavar="FILE", help="write the report to FILE instead of stdout")
    p.add_argument("--title", help="the report's title (default: 'Performance audit: <directory>')")
    p.add_argument("--baseline", metavar="FILE", help="leave out the findings of this baseline file")
    add_log_arguments(p)
    add_config_arguments(p)


def render(report: dict, fmt: str, link_base: str = "") -> str:
    if fmt == "json":
        return json.dumps(report, indent=2, ensure_ascii=False) + "\n"
    if fmt == "html":
        from perfaudit.server.cli.report_html import to_html

        return to_html(report, link_base)
    from perfaudit.server.cli.report import to_markdown

    return to_markdown(report)


def _run(args: argparse.Namespace) -> int:
    import dataclasses

    from perfaudit.server.cli.baseline import BaselineError, filter_new, read_baseline
    from perfaudit.server.engine import analyze
    from perfaudit.server.cli.report import build_report
    from perfaudit.server.express.request_logs import LogFormatError, latency_from_args

    root, paths = resolve_targets([args.path])
    if paths is not None:
        raise UsageError(f"{args.path}: give a project directory")
    from perfaudit.server.cli.progress import for_output

    # On stdout the report is the data; written to a file, the terminal is free for progress.
    progress = for_output(machine_readable=args.format == "json" or not args.output)
    try:
        result = analyze(root, None, load_config_for(root, args), progress)
    finally:
        progress.close()
    if args.baseline:
        try:
            known = read_baseline(args.baseline)
        except BaselineError as exc:
            raise UsageError(str(exc)) from None
        result = dataclasses.replace(result, findings=filter_new(result.findings, known, root, result.workspace)[0])
    try:
        latency = latency_from_args(result.workspace, args)
    except LogFormatError as exc:
        raise UsageError(str(exc)) from None
    # File links in the HTML page are relative to where it is saved.
    link_base = ""
    if args.output:
        rel = os.path.relpath(root, os.path.dirname(os.path.abspath(args.output)))
        link_base = "" if rel == "." else rel.replace(os.sep, "/") + "/"
    text = render(build_report(result, latency, args.title), args.format, link_base)
    if args.output:
        directory = os.path.dirname(os.path.abspath(args.output))
        os.makedirs(directory, exist_ok=True)
        with open(args.output, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        print(f"perfaudit: wrote the {args.format} report to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return EXIT_OK


COMMAND = Command("report", "write the audit report (checklist, routes, indexes; markdown, html or json)",
                  _arguments, _run)
