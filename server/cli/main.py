"""The `perfaudit` command line.

    perfaudit check [PATHS...] [--format text|json|sarif] [--fix] ...
    perfaudit rules
    perfaudit rule CODE
    perfaudit serve [--tcp HOST:PORT]

Exit codes: 0 clean, 1 findings at or above `--fail-on`, 2 usage or
configuration error (or a crash).

Adding a subcommand: write a module that defines
`COMMAND = Command(name, help, add_arguments, run)` (`run(args) -> int`)
and list it in `COMMAND_MODULES`. The helpers `add_config_arguments`,
`resolve_targets` and `load_config_for` are there for such commands.
"""

from __future__ import annotations

import argparse
import difflib
import importlib
import json
import os
import sys
from typing import Sequence

from perfaudit.server.config import Config, ConfigError, load_config, validate_selector
from perfaudit.server.findings import Severity

from perfaudit.server.commands import EXIT_ERROR, EXIT_FINDINGS, EXIT_OK, Command, UsageError, err as _err  # noqa: F401 (re-exported)

# The LSP's severity names, everywhere; `info` is accepted for `information`.
FAIL_ON = {s.label: s for s in sorted(Severity, reverse=True)}


def severity_name(value: str) -> str:
    """argparse type for a severity: lower case, `info` -> `information`."""
    value = value.strip().lower()
    return {"info": "information", "warn": "warning"}.get(value, value)


# Other subcommands live in their own modules, each defining COMMAND.
COMMAND_MODULES: list[str] = [
    "perfaudit.server.cli.routes_command",
    "perfaudit.server.cli.report_command",
    "perfaudit.server.cli.diff",
    "perfaudit.server.cli.explain_command",
]


# ------------------------------------------------------------------ helpers


def add_config_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--config", metavar="FILE", help="read settings from FILE (perfaudit.toml or a package.json)")
    group.add_argument("--no-config", action="store_true", help="ignore perfaudit.toml and package.json settings")


def _split_selectors(values: list[str] | None, flag: str) -> list[str] | None:
    if values is None:
        return None
    out = []
    for value in values:
        for part in value.split(","):
            part = part.strip()
            if not part:
                continue
            try:
                out.append(validate_selector(part, flag, part))
            except ConfigError as exc:
                raise UsageError(f"{flag}: {exc.problem}") from None
    return out


def resolve_targets(paths: Sequence[str]) -> tuple[str, list[str] | None]:
    """(root, paths to check or None for all of it).

    One directory: it is the root. Anything else: the current directory is
    the root and the paths are checked inside it.
    """
    paths = list(paths) or ["."]
    for p in paths:
        if not os.path.exists(p):
            raise UsageError(f"no such file or directory: {p}")
    if len(paths) == 1 and os.path.isdir(paths[0]):
        return os.path.abspath(paths[0]), None
    return os.path.abspath(os.getcwd()), [os.path.abspath(p) for p in paths]


def load_config_for(root: str, args: argparse.Namespace) -> Config:
    """The file config for `root`, with the CLI's flags on top. Raises ConfigError."""
    config = load_config(root, getattr(args, "config", None), use_files=not getattr(args, "no_config", False))
    return config.merged(
        select=_split_selectors(getattr(args, "select", None), "--select"),
        ignore=_split_selectors(getattr(args, "ignore", None), "--ignore"),
        unsafe_fixes=True if getattr(args, "unsafe_fixes", False) else None,
    )


def _use_color(stream) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return hasattr(stream, "isatty") and stream.isatty() and os.environ.get("TERM") != "dumb"


# -------------------------------------------------------------------- check


def _check_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="*", metavar="PATHS", help="files or directories (default: .)")
    p.add_argument("--format", choices=["text", "json", "sarif"], default="text", help="output format (default: text)")
    p.add_argument("--select", action="append", metavar="CODES", help="only these rules (codes, prefixes or names, comma-separated)")
    p.add_argument("--ignore", action="append", metavar="CODES", help="skip these rules (codes, prefixes or names, comma-separated)")
    p.add_argument("--fix", action="store_true", help="apply safe fixes and write the files")
    p.add_argument("--unsafe-fixes", action="store_true", help="with --fix, apply unsafe fixes too")
    p.add_argument("--fail-on", type=severity_name, choices=list(FAIL_ON), default="warning",
                   help="exit 1 on findings at or above this severity: error, warning, information (or info), hint (default: warning)")
    p.add_argument("--statistics", action="store_true", help="print a count per rule instead of each finding")
    p.add_argument("--no-cache", action="store_true",
                   help="neither read nor write .perfaudit_cache/ (facts and findings of unchanged files)")
    add_config_arguments(p)
    # Baseline and measured latency (server/baseline.py, server/request_logs.py).
    from perfaudit.server.express.request_logs import add_log_arguments

    p.add_argument("--baseline", metavar="FILE", help="report only findings that are not in this baseline file")
    p.add_argument("--write-baseline", metavar="FILE", help="write every current finding to a baseline file and exit 0")
    p.add_argument("--slow-ms", type=float, metavar="MS",
                   help="with --logs: findings on a route whose measured p95 is at least MS become errors")
    add_log_arguments(p)
    from perfaudit.server.cli.explain_command import add_database_arguments

    add_database_arguments(p)


def _write_texts(texts: dict[str, str]) -> None:
    """Write fixed files, keeping a BOM, UTF-16 and line endings as they were."""
    for path, text in texts.items():
        try:
            with open(path, "rb") as fh:
                head = fh.read(3)
        except OSError:
            head = b""
        if head.startswith((b"\xff\xfe", b"\xfe\xff")):
            data = text.encode("utf-16")
        else:
            data = (b"\xef\xbb\xbf" if head == b"\xef\xbb\xbf" else b"") + text.encode("utf-8")
        tmp = f"{path}.perfaudit-tmp"
        with open(tmp, "wb") as fh:
            fh.write(data)
        try:
            os.chmod(tmp, os.stat(path).st_mode & 0o7777)
        except OSError:
            pass
        os.replace(tmp, path)


def _run_check(args: argparse.Namespace) -> int:
    from perfaudit.server.engine import analyze
    from perfaudit.server.cli.output import to_json, to_sarif, to_statistics_text, to_text, statistics

    if args.statistics and args.format == "sarif":
        raise UsageError("--statistics cannot be combined with --format sarif")
    if args.unsafe_fixes and not args.fix:
        print("perfaudit: note: --unsafe-fixes does nothing without --fix (nothing is written)", file=sys.stderr)
    root, paths = resolve_targets(args.paths)
    config = load_config_for(root, args)
    if args.database_url or config.database_url_env:
        _refresh_planner_results(root, config, args.database_url)

    from perfaudit.server.cli.progress import for_output

    def run():
        progress = for_output(machine_readable=args.format != "text")
        try:
            return analyze(root, paths, config, progress, cache=not args.no_cache)
        finally:
            progress.close()

    fixed = None
    then: list[str] = []
    if args.fix:
        from perfaudit.server.fixes import fix_until_stable

        outcome = fix_until_stable(run, _write_texts, unsafe=config.unsafe_fixes)
        result = outcome.result
        fixed = outcome.applied
        then = sorted(outcome.then, key=lambda cmd: not cmd.startswith("npm "))  # packages before migrations
        if args.format != "text":
            print(f"perfaudit: fixed {fixed} finding{'s' if fixed != 1 else ''} in {len(outcome.changed)} file{'s' if len(outcome.changed) != 1 else ''}", file=sys.stderr)
    else:
        result = run()
    result, done = _baseline_and_logs(args, result)
    if done is not None:
        return done

    if args.format == "json":
        data = statistics(result) if args.statistics else to_json(result)
        sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    elif args.format == "sarif":
        sys.stdout.write(json.dumps(to_sarif(result), indent=2, ensure_ascii=False) + "\n")
    elif args.statistics:
        if fixed:
            sys.stdout.write(f"Fixed {fixed} finding{'s' if fixed != 1 else ''}.\n")
        sys.stdout.write(to_statistics_text(result))
    else:
        sys.stdout.write(to_text(result, color=_use_color(sys.stdout), fixed=fixed))
    if then:
        # The fixes changed package.json or the schema: some work is left to the user.
        where = sys.stdout if args.format == "text" and not args.statistics else sys.stderr
        where.write("\nStill to run, for the fixes to take effect:\n" + "".join(f"  {cmd}\n" for cmd in then))
    sys.stdout.flush()

    threshold = FAIL_ON[args.fail_on]
    return EXIT_FINDINGS if any(f.severity >= threshold for f in result.findings) else EXIT_OK


def _refresh_planner_results(root: str, config, url: str | None) -> None:
    """`--database-url` or `[database] url-env`: plan first, so P105, P102 and
    E304 read fresh results (a configured variable that is unset is no error:
    the saved results, if any, are used)."""
    from perfaudit.server.analysis.workspace import Workspace
    from perfaudit.server.cli.explain_command import refresh

    ws = Workspace(root, config)
    ws.load()
    refresh(ws, config, url, required=bool(url))


def _baseline_and_logs(args: argparse.Namespace, result):
    """--logs/--slow-ms raise findings on slow routes; --write-baseline writes
    the findings and ends the run (exit 0); --baseline drops the known ones."""
    import dataclasses

    from perfaudit.server.cli.baseline import BaselineError, filter_new, read_baseline, write_baseline
    from perfaudit.server.express.request_logs import LogFormatError, latency_from_args, raise_slow

    if args.slow_ms is not None and not args.logs:
        raise UsageError("--slow-ms needs --logs")
    try:
        latency = latency_from_args(result.workspace, args)
    except LogFormatError as exc:
        raise UsageError(str(exc)) from None
    if latency is not None and args.slow_ms is not None:
        findings, raised = raise_slow(result.findings, result.workspace, latency, args.slow_ms)
        result = dataclasses.replace(result, findings=findings)
        if raised:
            print(f"perfaudit: {raised} finding{'s' if raised != 1 else ''} on routes with p95 >= {args.slow_ms:g} ms "
                  "raised to error", file=sys.stderr)
    if args.write_baseline:
        n = write_baseline(args.write_baseline, result.findings, result.root, result.workspace)
        print(f"perfaudit: wrote {n} finding{'s' if n != 1 else ''} to the baseline {args.write_baseline}", file=sys.stderr)
        return result, EXIT_OK
    if args.baseline:
        try:
            known = read_baseline(args.baseline)
        except BaselineError as exc:
            raise UsageError(str(exc)) from None
        new, absorbed = filter_new(result.findings, known, result.root, result.workspace)
        result = dataclasses.replace(result, findings=new)
        print(f"perfaudit: {absorbed} finding{'s' if absorbed != 1 else ''} in the baseline not shown", file=sys.stderr)
    return result, None


# -------------------------------------------------------------------- rules


def _rules_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", choices=["text", "json", "markdown"], default="text",
                   help="output format (default: text); markdown is docs/rules.md")


def _run_rules(args: argparse.Namespace) -> int:
    from perfaudit.server.about import docs_ref
    from perfaudit.server.registry import all_rules

    rules = list(all_rules().values())
    if args.format == "markdown":
        from perfaudit.server.cli.rules_markdown import catalogue_markdown

        sys.stdout.write(catalogue_markdown(rules))
        return EXIT_OK
    if args.format == "json":
        data = [
            {
                "code": r.code,
                "name": r.name,
                "summary": r.summary,
                "severity": r.severity.label,
                "fix": r.fix.value,
                "options": r.options,
                "docs": docs_ref(r.code),
            }
            for r in rules
        ]
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
        return EXIT_OK
    width = max((len(r.name) for r in rules), default=0)
    for r in rules:
        fix = {"always": "fix", "sometimes": "fix?", "none": ""}.get(r.fix.value, r.fix.value)
        sys.stdout.write(f"{r.code}  {r.name:<{width}}  {fix:<4}  {r.summary}\n")
    sys.stdout.write("\nfix: a quick fix is always available; fix?: sometimes.\n")
    return EXIT_OK


def _rule_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("code", metavar="CODE", help="a rule code or name (P101, prisma-no-select)")


def _run_rule(args: argparse.Namespace) -> int:
    from perfaudit.server.about import docs_ref
    from perfaudit.server.registry import all_rules, by_name_or_code

    rule = by_name_or_code(args.code) or by_name_or_code(args.code.lower())
    if rule is None:
        names = list(all_rules()) + [r.name for r in all_rules().values()]
        close = difflib.get_close_matches(args.code, names, n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else "; `perfaudit rules` lists them"
        raise UsageError(f"unknown rule '{args.code}'{hint}")
    out = [f"# {rule.code} {rule.name}", "", rule.summary, ""]
    out.append(f"Default severity: {rule.severity.label}. Fix: {rule.fix.value}.")
    if rule.options:
        out.append("Options: " + ", ".join(f"{k} = {json.dumps(v)}" for k, v in rule.options.items()))
    module = rule.module.rpartition(".")[2]
    out.append(f"Code: rules/{module}.py; tests: tests/rules/test_{rule.code.lower()}.py.")
    out += ["", rule.doc or "(no documentation)", "", f"(Also in the perfaudit repository: {docs_ref(rule.code)}.)"]
    sys.stdout.write("\n".join(out) + "\n")
    return EXIT_OK


COMMANDS: list[Command] = [
    Command("check", "check files for performance problems", _check_arguments, _run_check),
    Command("rules", "list the rules", _rules_arguments, _run_rules),
    Command("rule", "print a rule's documentation", _rule_arguments, _run_rule),
]


def all_commands(extra: Sequence[Command] = ()) -> list[Command]:
    commands = list(COMMANDS) + list(extra)
    for name in COMMAND_MODULES:
        commands.append(importlib.import_module(name).COMMAND)
    return commands


def build_parser(commands: list[Command] | None = None) -> argparse.ArgumentParser:
    from perfaudit import __version__

    parser = argparse.ArgumentParser(
        prog="perfaudit",
        description="Performance audit for Express + Prisma + PostgreSQL + Redis TypeScript backends.",
    )
    parser.add_argument("--version", action="version", version=f"perfaudit {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for command in commands or all_commands():
        p = sub.add_parser(command.name, help=command.help, description=command.help)
        command.add_arguments(p)
        p.set_defaults(_run=command.run)
    return parser


def main(argv: Sequence[str] | None = None, extra_commands: Sequence[Command] = ()) -> int:
    """The command line; `extra_commands` are other faces' commands (the
    language server's `serve`), added by `perfaudit.command_line`."""
    parser = build_parser(all_commands(extra_commands))
    try:
        args = parser.parse_args(list(argv) if argv is not None else None)
    except SystemExit as exc:  # argparse: --help (0) or a usage error (2)
        return exc.code if isinstance(exc.code, int) else EXIT_ERROR
    try:
        return args._run(args)
    except (UsageError, ConfigError) as exc:
        _err(str(exc))
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception:  # noqa: BLE001 - a crash: exit 2 with the traceback for the bug report
        import traceback

        traceback.print_exc()
        _err("internal error (please report it with the traceback above)")
        return EXIT_ERROR


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
