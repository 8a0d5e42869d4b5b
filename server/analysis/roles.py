"""File roles: whether a file serves requests, or is a test, seed, script,
migration or fixture.

Request-path rules (N+1 queries, sequential awaits...) describe what a
request costs; in a test or a one-off seed the same code costs nobody
anything, so the engine keeps them silent there. A file's role comes from,
in order:

1. the `[roles]` globs of the configuration (`serving` wins over the rest);
2. the project: package.json `prisma.seed` (seed), the test runners' own
   configuration (Jest `testMatch`/`testRegex`, Vitest `test.include`,
   Playwright `testDir`/`testMatch`), the files package.json `scripts` run
   (script, unless a start/dev/serve script or `main` runs it too);
3. names: `*.spec.*`, `*.test.*`, `__tests__/`, `test/`, `e2e/` (test);
   `seed.ts`, `seeds/` (seed); `scripts/` (script); `migrations/`
   (migration); `fixtures/`, `__mocks__/` (fixture).

Everything else serves. Paths are matched relative to the workspace root.
"""

from __future__ import annotations

import enum
import os
import posixpath
import re
import shlex
from functools import lru_cache

from perfaudit.server.analysis.parsing import language_for, parse


class FileRole(str, enum.Enum):
    SERVING = "serving"
    TEST = "test"
    SEED = "seed"
    SCRIPT = "script"
    MIGRATION = "migration"
    FIXTURE = "fixture"


# Configurable roles, in the order a configured glob is tried.
CONFIGURABLE = ("serving", "test", "seed", "script", "migration", "fixture")

_TEST_DIRS = {"__tests__", "test", "tests", "e2e", "cypress", "spec", "specs"}
_TEST_NAME = re.compile(r"\.(?:spec|test|e2e-spec|e2e|cy|bench)\.[cm]?[jt]sx?$|^(?:jest|vitest|playwright|cypress)\.(?:config|setup|workspace)(?:\.[\w-]+)?\.[cm]?[jt]s$|^setupTests\.[cm]?[jt]sx?$")
_SEED_DIRS = {"seed", "seeds", "seeders", "seeding"}
_SEED_NAME = re.compile(r"^seeds?\.[cm]?[jt]s$|\.seeds?\.[cm]?[jt]s$|^seed[-_.][\w.-]*\.[cm]?[jt]s$")
_SCRIPT_DIRS = {"scripts"}
_MIGRATION_DIRS = {"migrations", "migration"}
_MIGRATION_NAME = re.compile(r"\.migration\.[cm]?[jt]s$")
_FIXTURE_DIRS = {"fixtures", "__fixtures__", "__mocks__", "mocks"}
_FIXTURE_NAME = re.compile(r"\.(?:fixtures?|mocks?|factory)\.[cm]?[jt]sx?$")

# package.json scripts that run the service itself: the files they run serve.
_SERVING_SCRIPT = re.compile(r"^(?:start|dev|serve|server|watch|debug|prod|production|preview|worker)(?:[:_-].*)?$")

_TEST_RUNNER_CONFIG = re.compile(r"^(?:jest|vitest|vite|playwright)\.config\.[cm]?[jt]s$|^vitest\.workspace\.[cm]?[jt]s$")


def role_by_name(relpath: str) -> FileRole:
    """The role the path's name and folders give (SERVING when none)."""
    parts = relpath.split("/")
    name, dirs = parts[-1], parts[:-1]
    if _TEST_NAME.search(name) or any(d in _TEST_DIRS for d in dirs):
        return FileRole.TEST
    if any(d in _FIXTURE_DIRS for d in dirs) or _FIXTURE_NAME.search(name):
        return FileRole.FIXTURE
    if any(d in _MIGRATION_DIRS for d in dirs) or _MIGRATION_NAME.search(name):
        return FileRole.MIGRATION
    if any(d in _SEED_DIRS for d in dirs) or _SEED_NAME.search(name):
        return FileRole.SEED
    if any(d in _SCRIPT_DIRS for d in dirs):
        return FileRole.SCRIPT
    return FileRole.SERVING


# ---------------------------------------------------------------- globs


@lru_cache(maxsize=512)
def glob_regex(pattern: str) -> tuple[re.Pattern, bool]:
    """A glob as the test runners and .gitignore write them: `**`, `*`, `?`,
    `[...]`, `{a,b}` and the extglobs `?(..)`, `+(..)`, `*(..)`, `@(..)`.
    The flag says whether it is anchored (contains a `/`); an unanchored glob
    matches the file name at any depth."""
    pat = pattern.strip().replace("\\", "/")
    pat = re.sub(r"^<rootDir>/?", "", pat)
    while pat.startswith("./"):
        pat = pat[2:]
    anchored = "/" in pat.rstrip("/")
    pat = pat.strip("/")
    return re.compile(_translate(pat)), anchored


def _translate(pat: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(pat):
        c = pat[i]
        if c in "?+*@!" and pat.startswith("(", i + 1):
            close = _closing(pat, i + 1, "(", ")")
            if close != -1:
                body = "|".join(_translate(p) for p in _split_top(pat[i + 2:close], "|"))
                suffix = {"?": "?", "+": "+", "*": "*", "@": "", "!": ""}[c]
                out.append(f"(?:(?!(?:{body})$)[^/]*)" if c == "!" else f"(?:{body}){suffix}")
                i = close + 1
                continue
        if pat.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pat.startswith("**", i):
            out.append(".*")
            i += 2
        elif c == "*":
            out.append("[^/]*")
            i += 1
        elif c == "?":
            out.append("[^/]")
            i += 1
        elif c == "{":
            close = _closing(pat, i, "{", "}")
            if close == -1:
                out.append(re.escape(c))
                i += 1
            else:
                out.append("(?:" + "|".join(_translate(p) for p in _split_top(pat[i + 1:close], ",")) + ")")
                i = close + 1
        elif c == "[":
            j = pat.find("]", i + 1)
            if j == -1:
                out.append(re.escape(c))
                i += 1
            else:
                body = pat[i + 1:j]
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append(f"[{body}]")
                i = j + 1
        else:
            out.append(re.escape(c))
            i += 1
    return "".join(out)


def _closing(pat: str, at: int, open_: str, close: str) -> int:
    depth = 0
    for j in range(at, len(pat)):
        if pat[j] == open_:
            depth += 1
        elif pat[j] == close:
            depth -= 1
            if depth == 0:
                return j
    return -1


def _split_top(body: str, sep: str) -> list[str]:
    parts, depth, cur = [], 0, []
    for ch in body:
        if ch in "({[":
            depth += 1
        elif ch in ")}]":
            depth -= 1
        if ch == sep and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return parts


def glob_matches(pattern: str, relpath: str) -> bool:
    """Whether a root-relative path (or a folder above it) matches the glob."""
    rx, anchored = glob_regex(pattern)
    parts = relpath.split("/")
    for i in range(len(parts)):
        cand = "/".join(parts[: i + 1])
        if rx.fullmatch(cand) or (not anchored and rx.fullmatch(parts[i])):
            return True
    return False


# ---------------------------------------------------------------- the project


class _ProjectRoles:
    """What the project's own files say: seeds, test globs, script files."""

    def __init__(self, ws):
        self.seeds: set[str] = set()
        self.scripts: set[str] = set()
        self.serving: set[str] = set()
        self.test_globs: list[tuple[str, str]] = []  # (base dir relative to root, glob)
        self.test_regexes: list[re.Pattern] = []
        self.test_dirs: list[str] = []  # relative to root
        for path, pkg in sorted(ws.package_jsons.items()):
            self._package(ws, posixpath.dirname(path), pkg)
        for path in sorted(_runner_configs_memo(ws)):
            self._runner_config(ws, path)

    def _rel(self, ws, path: str) -> str | None:
        rel = posixpath.relpath(path, ws.root)
        return None if rel.startswith("..") else rel

    def _package(self, ws, base: str, pkg: dict) -> None:
        prisma = pkg.get("prisma")
        if isinstance(prisma, dict) and isinstance(prisma.get("seed"), str):
            self.seeds.update(self._files_of(ws, base, prisma["seed"]))
        main = pkg.get("main")
        if isinstance(main, str):
            self.serving.update(self._files_of(ws, base, main))
        scripts = pkg.get("scripts")
        if isinstance(scripts, dict):
            for name, command in scripts.items():
                if not isinstance(command, str):
                    continue
                files = self._files_of(ws, base, command)
                (self.serving if _SERVING_SCRIPT.match(str(name)) else self.scripts).update(files)
        jest = pkg.get("jest")
        if isinstance(jest, dict):
            self._jest_options(ws, base, jest)

    def _files_of(self, ws, base: str, command: str) -> set[str]:
        """Workspace source files a command line names (`tsx src/seed.ts`,
        `node dist/scripts/x.js` for `src/scripts/x.ts`)."""
        try:
            tokens = shlex.split(command)
        except ValueError:
            tokens = command.split()
        out = set()
        for tok in tokens:
            tok = tok.strip("'\"")
            if not tok or tok.startswith("-") or "=" in tok or "/" not in tok and "." not in tok:
                continue
            for cand in _candidates(tok):
                path = posixpath.normpath(posixpath.join(base, cand))
                if path in ws.files:
                    rel = self._rel(ws, path)
                    if rel is not None:
                        out.add(rel)
                    break
        return out

    def _jest_options(self, ws, base: str, options: dict) -> None:
        rel_base = self._rel(ws, base) or ""
        for key in ("testMatch",):
            for glob in _strings(options.get(key)):
                self.test_globs.append((rel_base, glob))
        for rx in _strings(options.get("testRegex")):
            try:
                self.test_regexes.append(re.compile(rx))
            except re.error:
                pass
        for project in options.get("projects") or ():
            if isinstance(project, dict):
                self._jest_options(ws, base, project)

    def _runner_config(self, ws, path: str) -> None:
        text = ws.text_of(path)
        if text is None:
            return
        base = posixpath.dirname(path)
        rel_base = self._rel(ws, base) or ""
        name = posixpath.basename(path)
        if name.endswith(".json"):
            from perfaudit.server.analysis.workspace import _read_json

            self._jest_options(ws, base, _read_json(text))
            return
        language = language_for(name) or "typescript"
        root = parse(text.encode("utf-8"), language).root_node
        is_playwright = name.startswith("playwright.")
        is_vite = name.startswith(("vitest.", "vite."))
        for key, value, outer in _pairs(root):
            if key in ("testMatch", "testRegex") and not is_vite:
                for s in _literal_strings(value):
                    if key == "testMatch":
                        self.test_globs.append((rel_base, s))
                    else:
                        try:
                            self.test_regexes.append(re.compile(s))
                        except re.error:
                            pass
            elif key == "testDir" and is_playwright:
                for s in _literal_strings(value):
                    self.test_dirs.append(posixpath.normpath(posixpath.join(rel_base, s)))
            elif key == "include" and is_vite and outer == "test":
                for s in _literal_strings(value):
                    self.test_globs.append((rel_base, s))

    def is_test(self, rel: str) -> bool:
        for base, glob in self.test_globs:
            if base and not rel.startswith(base + "/"):
                continue
            if glob_matches(glob, rel[len(base) + 1:] if base else rel):
                return True
        if any(rx.search(rel) for rx in self.test_regexes):
            return True
        return any(d in ("", ".") or rel.startswith(d.rstrip("/") + "/") for d in self.test_dirs)


def _candidates(tok: str):
    yield tok
    stem, ext = posixpath.splitext(tok)
    if not ext:
        for e in (".ts", ".js", ".mjs", ".cjs"):
            yield tok + e
        yield tok + "/index.ts"
    elif ext in (".js", ".mjs", ".cjs"):
        yield stem + ".ts"
        for out_dir in ("dist/", "build/", "out/"):
            if tok.startswith(out_dir) or tok.startswith("./" + out_dir):
                src = "src/" + tok.split(out_dir, 1)[1]
                yield src
                yield posixpath.splitext(src)[0] + ".ts"


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def _runner_configs_memo(ws) -> set[str]:
    """`_runner_configs`, again only when files come or go or a package.json changes."""
    key = (ws.structure_reset_at, len(ws.files), tuple(id(v) for v in ws.package_jsons.values()))
    held = getattr(ws, "_perfaudit_runner_configs", None)
    if held is None or held[0] != key:
        held = ws._perfaudit_runner_configs = (key, _runner_configs(ws))
    return held[1]


def _runner_configs(ws) -> set[str]:
    found = {p for p in ws.files if _TEST_RUNNER_CONFIG.match(posixpath.basename(p))}
    # jest.config.json is no source file: read it from disk beside each package.
    for pkg in ws.package_jsons:
        candidate = posixpath.join(posixpath.dirname(pkg), "jest.config.json")
        if os.path.isfile(candidate):
            found.add(candidate)
    return found


def _pairs(root):
    """(key, value node, key of the enclosing pair) for every object pair."""
    stack = [(root, None)]
    while stack:
        node, outer = stack.pop()
        if node.type == "pair":
            key_node = node.child_by_field_name("key")
            value = node.child_by_field_name("value")
            key = key_node.text.decode("utf-8", "replace").strip("'\"") if key_node is not None else ""
            if value is not None:
                yield key, value, outer
                stack.append((value, key))
            continue
        for child in node.children:
            stack.append((child, outer))


def _literal_strings(node) -> list[str]:
    out = []
    stack = [node]
    while stack:
        n = stack.pop()
        if n.type == "string":
            out.append(n.text.decode("utf-8", "replace")[1:-1])
        elif n.type == "template_string" and not any(c.type == "template_substitution" for c in n.children):
            out.append(n.text.decode("utf-8", "replace")[1:-1])
        elif n.type == "regex":
            pattern = n.child_by_field_name("pattern")
            if pattern is not None:
                out.append(pattern.text.decode("utf-8", "replace"))
        elif n.type in ("array", "parenthesized_expression"):
            stack.extend(reversed(n.children))
    return out


# ---------------------------------------------------------------- the workspace's roles


class FileRoles:
    """Each file's role in one workspace, rebuilt when files or package.json change."""

    def __init__(self, ws):
        self.ws = ws
        config = ws.config
        roles = getattr(config, "roles", None) or {}
        self.globs: dict[str, list[str]] = {k: list(roles.get(k, ())) for k in CONFIGURABLE}
        self.project = _ProjectRoles(ws)
        self._memo: dict[str, FileRole] = {}

    def role_of(self, path: str) -> FileRole:
        role = self._memo.get(path)
        if role is None:
            role = self._memo[path] = self._decide(path)
        return role

    def _decide(self, path: str) -> FileRole:
        rel = posixpath.relpath(path, self.ws.root)
        if rel.startswith(".."):
            return FileRole.SERVING
        for name in CONFIGURABLE:
            if any(glob_matches(g, rel) for g in self.globs[name]):
                return FileRole(name)
        p = self.project
        if rel in p.serving:
            return FileRole.SERVING
        if rel in p.seeds:
            return FileRole.SEED
        if p.is_test(rel):
            return FileRole.TEST
        by_name = role_by_name(rel)
        if by_name is not FileRole.SERVING:
            return by_name
        if rel in p.scripts:
            return FileRole.SCRIPT
        return FileRole.SERVING


def file_roles(ws) -> FileRoles:
    # Rebuilt when files come or go, a package.json or the config changes, or
    # a test runner's config is edited; not at each keystroke elsewhere
    # (finding the runner configs looks at every path: 14 ms on 4,000 files).
    configs = _runner_configs_memo(ws)
    key = (ws.structure_reset_at, len(ws.files), tuple(id(v) for v in ws.package_jsons.values()), id(ws.config),
           tuple(id(ws.files.get(p)) for p in configs))
    held = getattr(ws, "_perfaudit_roles", None)
    if held is not None and held[0] == key:
        return held[1]
    roles = FileRoles(ws)
    ws._perfaudit_roles = (key, roles)
    return roles


def role_of(ws, path: str) -> FileRole:
    return file_roles(ws).role_of(path)


def serves_requests(ws, path: str) -> bool:
    """Whether findings about what a request costs belong in this file."""
    return role_of(ws, path) is FileRole.SERVING


def report_everywhere(ws) -> bool:
    """The configuration's switch that brings request-path findings back in
    tests, seeds, scripts, migrations and fixtures."""
    return bool(getattr(ws.config, "report_non_serving", False))
