"""Runs the rules over a workspace and applies config and suppressions."""

from __future__ import annotations

import gc
import logging
import os
from dataclasses import dataclass, field
from typing import Callable

from perfaudit.server.findings import Finding, Severity
from perfaudit.server.overlap import merge_overlaps
from perfaudit.server.registry import UNKNOWN_SUPPRESSION, all_rules
from perfaudit.server.rule import FileContext, Rule, Scope, WorkspaceContext
from perfaudit.server.analysis import parallel
from perfaudit.server.analysis.roles import report_everywhere, serves_requests
from perfaudit.server.analysis.workspace import FunctionView, RebuildDeferred, Workspace, norm
from perfaudit.server.analysis.checkpoint import checkpoint
from perfaudit.server.analysis.index import WORKSPACE_RULES

log = logging.getLogger("perfaudit")


@dataclass
class AnalysisResult:
    root: str
    findings: list[Finding]
    skipped: list[tuple[str, str]]
    workspace: Workspace
    errors: list[tuple[str, str]] = field(default_factory=list)  # (rule code, message) of rules that raised
    # (config file, problem): tsconfig/package.json files read with a fallback.
    warnings: list[tuple[str, str]] = field(default_factory=list)


# How many trees of files that rules parsed to read them (not checked) a
# one-shot check keeps between two files.
TREES_READ_KEPT = 16


def _default_config():
    try:
        from perfaudit.server.config import Config

        return Config()
    except ImportError:  # pragma: no cover - config module always present in a release
        return None


class Engine:
    """Rule execution over one workspace; shared by the CLI and the server."""

    def __init__(self, workspace: Workspace, config=None, on_rule_error=None):
        self.ws = workspace
        self.config = config if config is not None else (workspace.config or _default_config())
        self.on_rule_error = on_rule_error or (lambda code, exc: log.exception("rule %s failed", code))
        self.errors: list[tuple[str, str]] = []
        # The check cache (server/cache.py): findings of files whose inputs
        # did not change are taken from it, new ones are stored in it.
        self.cache = None

    def enabled_rules(self) -> list[Rule]:
        rules = [r for r in all_rules().values() if r.check is not None]
        if self.config is None:
            return rules
        return [r for r in rules if self.config.enabled(r.code)]

    def _context_args(self, rule: Rule) -> dict:
        if self.config is None:
            return {"options": dict(rule.options), "severity": rule.severity}
        return {"options": self.config.options_for(rule), "severity": self.config.severity_for(rule)}

    def _run(self, rule: Rule, ctx) -> list[Finding]:
        try:
            return list(rule.check(ctx) or ())
        except RebuildDeferred:  # not a failure: the caller keeps the rule's last findings
            raise
        except Exception as exc:  # one rule failing never stops the others
            self.errors.append((rule.code, f"{type(exc).__name__}: {exc}"))
            self.on_rule_error(rule.code, exc)
            return []

    def _file_rules(self, path: str, only: set[str] | None = None):
        """The enabled file-scoped rules for `path` (request-path rules only
        where requests are served), those in `only` when given."""
        serving = self._serving(path)
        for rule in self.enabled_rules():
            if rule.scope != Scope.FILE or (only is not None and rule.code not in only):
                continue
            if not rule.request_path or serving:
                yield rule

    def check_file(self, path: str) -> list[Finding]:
        """Findings of the file-scoped rules for one source file (unsuppressed)."""
        path = norm(path)
        source = self.ws.files.get(path)
        if source is None:
            return []
        out: list[Finding] = []
        with self.ws.index.tracking(path):
            for rule in self._file_rules(path):
                checkpoint()
                ctx = FileContext(rule=rule, workspace=self.ws, file=source, **self._context_args(rule))
                out.extend(self._run(rule, ctx))
        return out

    def check_function(self, path: str, unit, codes: set[str]) -> tuple[list[Finding], set[str]]:
        """Findings of the file rules in `codes` that lie inside one function
        node (`unit`) of a source file: the rules see that function only
        (`FunctionView`), so the work follows its size, not the file's. For
        rules whose findings in a function depend on nothing else of the
        file (`Rule.local`). Also the codes of the rules that asked for a
        workspace model the edit made stale (`RebuildDeferred`): they found
        nothing here and wait for the next whole check."""
        path = norm(path)
        source = self.ws.files.get(path)
        if source is None:
            return [], set()
        view = FunctionView.of(source, unit)
        start, end = unit.start_byte, unit.end_byte
        out: list[Finding] = []
        deferred: set[str] = set()
        self.ws.defer_rebuilds = True
        try:
            with self.ws.index.tracking(path, add=True):
                for rule in self._file_rules(path, codes):
                    checkpoint()
                    ctx = FileContext(rule=rule, workspace=self.ws, file=view, **self._context_args(rule))
                    try:
                        found = self._run(rule, ctx)
                    except RebuildDeferred:
                        deferred.add(rule.code)
                        continue
                    out.extend(f for f in found if f.path == path and start <= f.start and f.end <= end)
        finally:
            self.ws.defer_rebuilds = False
        return out, deferred

    def _memo_rules(self) -> list[Rule]:
        return [r for r in self.enabled_rules() if r.scope == Scope.WORKSPACE and r.file_memo is not None]

    def _memo_values(self, path: str) -> dict[str, object]:
        """rule code -> what its memo holds for `path` (picklable)."""
        out = {}
        for rule in self._memo_rules():
            value = rule.file_memo.export(self.ws, path)
            if value is not None:
                out[rule.code] = value
        return out

    def _adopt_memos(self, path: str, values: dict[str, object], memo_rules: list[Rule]) -> None:
        """Take what another process (or the cache) read for the memos of `path`."""
        if not values or path not in self.ws.files:
            return
        for rule in memo_rules:
            if rule.code in values:
                rule.file_memo.adopt(self.ws, path, values[rule.code])

    def fill_memos(self, path: str) -> None:
        """What workspace rules read of this file's tree, while the tree is
        here (the server keeps open files' trees and skips this: an edit
        pays for its own checks only)."""
        for rule in self._memo_rules():
            checkpoint()
            try:
                rule.file_memo.fill(self.ws, path)
            except Exception:  # a memo only saves work: the rule reads the file itself
                log.debug("memo of %s for %s failed", rule.code, path, exc_info=True)

    def _serving(self, path: str) -> bool:
        """Whether request-path rules report in `path` (a serving file, or the
        configuration's switch brings them back everywhere)."""
        return report_everywhere(self.ws) or serves_requests(self.ws, path)

    def check_workspace_rules(self) -> list[Finding]:
        out: list[Finding] = []
        # What they read (facts and text) is recorded: the server runs them
        # again when any of it changes (`Index.workspace_rules_read`).
        with self.ws.index.tracking(WORKSPACE_RULES):
            for rule in self.enabled_rules():
                if rule.scope != Scope.WORKSPACE:
                    continue
                checkpoint()
                ctx = WorkspaceContext(rule=rule, workspace=self.ws, **self._context_args(rule))
                found = self._run(rule, ctx)
                if rule.request_path:
                    found = [f for f in found if self._serving(f.path)]
                out.extend(found)
        return out

    def check(self, paths: list[str] | None = None, drop_trees: bool = True, workers: int = 1,
              on_checked: Callable[[int, int], None] | None = None) -> list[Finding]:
        """Every finding in the workspace (or in `paths`), filtered and sorted.

        With `workers` > 1 the files are checked in forked processes that
        share the loaded workspace (copy-on-write); a rule's failure is still
        recorded in `self.errors`. `on_checked(done, total)` hears of the
        files checked as it goes (the CLI's progress line)."""
        wanted = {norm(p) for p in paths} if paths else None
        todo = [p for p in sorted(self.ws.files) if wanted is None or _under(p, wanted)]
        report = on_checked or (lambda done, total: None)
        findings: list[Finding] = []
        if self.cache is not None:
            stale = []
            memo_rules = self._memo_rules()
            for path in todo:
                stored = self.cache.findings_for(path)
                if stored is None:
                    stale.append(path)
                    continue
                findings.extend(stored)
                # What the workspace rules read of it comes from the cache too: they need not parse it.
                self._adopt_memos(path, self.cache.memos_for(path), memo_rules)
            todo = stale
        if workers > 1 and len(todo) >= parallel.PARALLEL_MIN_FILES and parallel.can_fork():
            findings.extend(self._check_forked(todo, workers, report))
        else:
            findings.extend(self._check_files(todo, drop_trees, report))
        for f in self.check_workspace_rules():
            if wanted is None or _under(f.path, wanted):
                findings.append(f)
        return self.postprocess(findings)

    def _check_files(self, paths: list[str], drop_trees: bool = True, report=None) -> list[Finding]:
        findings: list[Finding] = []
        for done, path in enumerate(paths, 1):
            found = self.check_file(path)
            if drop_trees:  # the tree goes next: what workspace rules read of it, now
                self.fill_memos(path)
                if self.cache is not None:
                    self.cache.store_memos(path, self._memo_values(path))
            findings.extend(found)
            if self.cache is not None:
                self.cache.store_findings(path, found, self.ws.index.read_by(path))
            if report is not None:
                report(done, len(paths))
            if drop_trees:
                self.ws.drop_tree(path)
                self.ws.index.forget_calls(path)
                # The files next in line (of the same package) often read
                # the same services again.
                self.ws.release_trees(TREES_READ_KEPT)
        if drop_trees:
            self.ws.release_trees(0)
        return findings

    def _check_forked(self, paths: list[str], workers: int, report) -> list[Finding]:
        runs = parallel.deal(paths, workers, self.ws.package_of)
        try:
            self.ws.build_shared_models()
        except Exception:  # each worker then builds what it needs, as a serial check does
            log.exception("building the workspace's shared models failed")
        results = []
        done = 0
        # This process's own share: its errors, cache entries and memos are in place already.
        def here(run):
            return self._check_files(run), [], {}, []

        for index, result in parallel.run_forked(self._check_run, runs, workers, here):
            results.append((index, result))
            done += len(runs[index])
            report(done, len(paths))
        findings: list[Finding] = []
        memo_rules = self._memo_rules()
        for _, (found, errors, stored, memos) in sorted(results, key=lambda r: r[0]):
            findings.extend(found)
            self.errors.extend(errors)
            if self.cache is not None:
                self.cache.merge_findings(stored)
            for path, values in memos:
                self._adopt_memos(path, values, memo_rules)
                if self.cache is not None and path in self.ws.files:
                    self.cache.store_memos(path, values)
        return findings

    def _check_run(self, paths: list[str]):
        """In a forked worker: check some files of the inherited workspace;
        (findings, rule errors, what to store in the cache, what the
        workspace rules' memos hold for these files)."""
        errors_before = len(self.errors)
        found = self._check_files(paths)
        stored = {p: self.cache.findings[p] for p in paths if p in self.cache.findings} if self.cache is not None else {}
        memos = [(path, values) for path in paths if (values := self._memo_values(path))]
        return found, self.errors[errors_before:], stored, memos

    def postprocess(self, findings: list[Finding], only_paths: set[str] | None = None,
                    context: list[Finding] = (), current: dict | None = None) -> list[Finding]:
        """Apply suppressions (and report unknown codes in them), make the
        findings of one problem one (`context`: other files' findings that
        may cover these), dedupe, sort. `current`: path -> (text, line
        index) of a document whose findings are for a newer text than the
        workspace holds (the server's, while an edit is held)."""
        from perfaudit.server.suppress import parse_suppressions

        known = set(all_rules())
        by_path: dict[str, object] = {}
        current = current or {}

        def suppressions(path):
            if path not in by_path:
                text = current[path][0] if path in current else self.ws.text_of(path)
                by_path[path] = parse_suppressions(text) if text is not None else None
            return by_path[path]

        def line_of(path: str, offset: int) -> int:
            index = current[path][1] if path in current else self.ws.line_index(path)
            return index.line_of(offset)

        out: list[Finding] = []
        for f in findings:
            sup = suppressions(f.path)
            if sup is not None and sup.is_suppressed(f.code, line_of(f.path, f.start)):
                continue
            out.append(f)
        out = merge_overlaps(out, context, line_of)
        if self.config is None or self.config.enabled(UNKNOWN_SUPPRESSION.code):
            paths = only_paths if only_paths is not None else set(self.ws.files) | set(self.ws.side_texts)
            for path in sorted(paths):
                sup = suppressions(path)
                if sup is None:
                    continue
                for start, end, code in sup.codes_with_ranges:
                    if code.upper() not in known:
                        severity = self.config.severity_for(UNKNOWN_SUPPRESSION) if self.config else Severity.WARNING
                        out.append(Finding(UNKNOWN_SUPPRESSION.code, path, start, end,
                                           f"Unknown rule code `{code}` in a perfaudit suppression comment",
                                           severity, name=UNKNOWN_SUPPRESSION.name))
        return sorted(set(out), key=Finding.sort_key)


def _under(path: str, wanted: set[str]) -> bool:
    return any(path == w or path.startswith(w.rstrip("/") + "/") for w in wanted)


def analyze(root: str, paths: list[str] | None = None, config=None, progress=None, cache: bool = False) -> AnalysisResult:
    """Load the workspace under `root` and check it (or only `paths`).
    `progress`: an object with `read(path)` and `checked(done, total)`, told
    of each file read and of the files checked (the CLI's progress line).
    With `cache`, start from `.perfaudit_cache/` and leave it up to date."""
    from perfaudit.server.cache import CheckCache

    root = norm(root)
    ws = Workspace(root, config if config is not None else _default_config())
    targets = [norm(p) for p in paths] if paths else None
    check_cache = CheckCache(root, ws.config) if cache else None
    # A one-shot check: nothing is edited, so the index need not note which
    # files each answer read (unless the cache keeps findings), and nothing
    # it builds is garbage before the end: the cyclic collector would only
    # walk the facts again and again.
    ws.index.track_dependencies = check_cache is not None
    ws.on_read = progress.read if progress is not None else None
    workers = os.cpu_count() or 1
    collecting = gc.isenabled()
    gc.disable()
    try:
        if check_cache is not None:
            check_cache.load()
            ws.facts_cache = check_cache
        ws.load(targets, workers=workers)
        ws.on_read = None
        gc.freeze()  # forked workers then share the facts' pages untouched
        engine = Engine(ws)
        if check_cache is not None:
            check_cache.begin_findings(ws, whole_root=targets is None)
            engine.cache = check_cache
        findings = engine.check(targets, workers=workers,
                                on_checked=progress.checked if progress is not None else None)
        if check_cache is not None:
            check_cache.save(whole_root=targets is None)
    finally:
        if collecting:
            gc.enable()
    # Files read only for context (the rest of a checked file's package) are
    # not the user's concern: say what was skipped among what was asked.
    skipped = [s for s in ws.skipped if targets is None or _under(s[0], set(targets))]
    return AnalysisResult(root=root, findings=findings, skipped=skipped, workspace=ws, errors=engine.errors, warnings=ws.warnings())
