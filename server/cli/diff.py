"""`perfaudit diff REF_A REF_B [PATH]`: findings fixed, introduced and unchanged
between two git refs, per rule. The refs are read with `git archive` into a
temporary directory; the working tree is never touched."""

from __future__ import annotations

import argparse
import json
import sys

from perfaudit.server.cli.main import EXIT_FINDINGS, EXIT_OK, Command, UsageError, add_config_arguments, load_config_for


def _arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("ref_a", metavar="REF_A", help="the git ref before (a commit, branch or tag)")
    p.add_argument("ref_b", metavar="REF_B", help="the git ref after")
    p.add_argument("path", nargs="?", default=".",
                   help="the project directory inside the repository (default: the current directory)")
    p.add_argument("--format", choices=("text", "markdown", "json"), default="text", help="output format (default: text)")
    p.add_argument("--fail-on-introduced", action="store_true", help="exit 1 when REF_B introduces findings")
    add_config_arguments(p)


def to_json(d) -> dict:
    c = d.comparison
    return {
        "before": {"ref": d.before.ref, "commit": d.before.commit, "findings": d.before.count},
        "after": {"ref": d.after.ref, "commit": d.after.commit, "findings": d.after.count},
        "path": d.prefix or ".",
        "per_rule": c.per_rule(),
        "fixed": [item.to_json() for _, item in c.fixed],
        "introduced": [item.to_json() for _, item in c.introduced],
        "unchanged": len(c.unchanged),
    }


def to_text(d, markdown: bool = False) -> str:
    c = d.comparison
    a, b = d.before, d.after
    out = []
    head = (f"{a.ref} ({a.commit[:10]}): {a.count} findings -> {b.ref} ({b.commit[:10]}): {b.count} findings; "
            f"{len(c.fixed)} fixed, {len(c.introduced)} introduced, {len(c.unchanged)} unchanged")
    if markdown:
        out += [f"## perfaudit: {a.ref} -> {b.ref}", "", head, ""]
        rows = c.per_rule()
        if rows:
            out += ["| Rule | Before | After | Fixed | Introduced | Unchanged |", "|---|---:|---:|---:|---:|---:|"]
            out += [f"| {r['code']} | {r['before']} | {r['after']} | {r['fixed']} | {r['introduced']} | {r['unchanged']} |"
                    for r in rows]
        for title, items in (("Fixed", c.fixed), ("Introduced", c.introduced)):
            if items:
                out += ["", f"### {title}", ""]
                out += [f"- `{i.path}:{i.line}` {i.code} {i.message}" for _, i in items]
        return "\n".join(out) + "\n"
    out.append(head)
    rows = c.per_rule()
    if rows:
        out.append("")
        out.append(f"{'RULE':<6} {'BEFORE':>6} {'AFTER':>6} {'FIXED':>6} {'NEW':>6} {'SAME':>6}")
        out += [f"{r['code']:<6} {r['before']:>6} {r['after']:>6} {r['fixed']:>6} {r['introduced']:>6} {r['unchanged']:>6}"
                for r in rows]
    for title, items in (("fixed", c.fixed), ("introduced", c.introduced)):
        if items:
            out.append("")
            out.append(f"{title}:")
            out += [f"  {i.path}:{i.line}: {i.code} {i.message}" for _, i in items]
    return "\n".join(out) + "\n"


def _run(args: argparse.Namespace) -> int:
    import os

    from perfaudit.server.cli.gitdiff import GitError, diff_refs

    if not os.path.isdir(args.path):
        raise UsageError(f"{args.path}: give a directory inside a git repository")
    try:
        d = diff_refs(args.path, args.ref_a, args.ref_b, lambda root: load_config_for(root, args))
    except GitError as exc:
        raise UsageError(str(exc)) from None
    if args.format == "json":
        sys.stdout.write(json.dumps(to_json(d), indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(to_text(d, markdown=args.format == "markdown"))
    return EXIT_FINDINGS if args.fail_on_introduced and d.comparison.introduced else EXIT_OK


COMMAND = Command("diff", "compare the findings of two git refs: fixed, introduced, unchanged", _arguments, _run)
