"""Where a workspace's Prisma schemas are, found the way Prisma finds them:
`prisma.config.ts` `schema` (read as text, never run), package.json
`prisma.schema`, `prisma/schema.prisma`, a `prisma/schema/` folder, or a
root `schema.prisma`, for every package of a monorepo."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from typing import Callable

from perfaudit.server.prisma.schema import Schema, SchemaFile, _norm
from perfaudit.server.prisma.schema_parser import parse_schema_file
from perfaudit.server.analysis.text import decode_source

# --------------------------------------------------------------------------
# Discovery


@dataclass(frozen=True)
class SchemaLocation:
    root: str
    paths: tuple[str, ...]


_SKIP_DIRS = frozenset({"node_modules", ".git", "dist", "build", ".next", ".turbo", ".venv", "__pycache__", "coverage"})
_CONFIG_NAMES = (
    "prisma.config.ts",
    "prisma.config.mts",
    "prisma.config.cts",
    "prisma.config.js",
    "prisma.config.mjs",
    "prisma.config.cjs",
    os.path.join(".config", "prisma.ts"),
    os.path.join(".config", "prisma.js"),
)
_MAX_CONFIG_BYTES = 512 * 1024
_STRING_LIT = r"""(?:"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`[^`$]*`)"""
_SCHEMA_KEY_RE = re.compile(r"""(?:^|[\s{,])(?:schema|"schema"|'schema')\s*:\s*""")
_STRING_LIT_RE = re.compile(_STRING_LIT)
_PATH_CALL_RE = re.compile(r"(?:path\s*\.\s*)?(?:join|resolve)\s*\(")


def _read_text(path: str, limit: int = _MAX_CONFIG_BYTES) -> str | None:
    try:
        with open(path, "rb") as fh:
            raw = fh.read(limit)
    except OSError:
        return None
    return decode_source(raw)


def _strip_js_comments(text: str) -> str:
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in "\"'`":
            j = i + 1
            while j < n and text[j] != ch:
                if text[j] == "\\":
                    j += 1
                elif text[j] == "\n" and ch != "`":
                    break
                j += 1
            out.append(text[i : j + 1])
            i = j + 1
        elif text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            i = n if j < 0 else j + 2
            out.append(" ")
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def _lit_value(lit: str) -> str:
    body = lit[1:-1]
    return re.sub(r"\\(.)", r"\1", body)


def _config_schema_value(text: str) -> str | None:
    """The `schema` property of a prisma config, as a relative/absolute path, or None."""
    code = _strip_js_comments(text)
    for m in _SCHEMA_KEY_RE.finditer(code):
        rest = code[m.end() :]
        lit = _STRING_LIT_RE.match(rest)
        if lit:
            return _lit_value(lit.group(0))
        call = _PATH_CALL_RE.match(rest)
        if call:
            depth = 1
            j = call.end()
            while j < len(rest) and depth:
                if rest[j] == "(":
                    depth += 1
                elif rest[j] == ")":
                    depth -= 1
                j += 1
            args = rest[call.end() : j - 1]
            parts: list[str] = []
            ok = True
            for arg in _split_js_args(args):
                arg = arg.strip()
                if not arg:
                    continue
                if _STRING_LIT_RE.fullmatch(arg):
                    parts.append(_lit_value(arg))
                elif arg in ("__dirname", "import.meta.dirname", "process.cwd()", "dirname"):
                    continue
                else:
                    ok = False
            if ok and parts:
                return os.path.join(*parts)
    return None


def _split_js_args(args: str) -> list[str]:
    parts, depth, cur, quote = [], 0, 0, ""
    i = 0
    while i < len(args):
        ch = args[i]
        if quote:
            if ch == "\\":
                i += 1
            elif ch == quote:
                quote = ""
        elif ch in "\"'`":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(args[cur:i])
            cur = i + 1
        i += 1
    parts.append(args[cur:])
    return parts


def _prisma_files_in(folder: str, exclude_dir: Callable[[str], bool]) -> list[str]:
    found: list[str] = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS and not _safe_exclude(exclude_dir, os.path.join(dirpath, d)))
        for fn in sorted(filenames):
            if fn.endswith(".prisma"):
                found.append(os.path.join(dirpath, fn))
    return found


def _safe_exclude(exclude_dir: Callable[[str], bool], path: str) -> bool:
    try:
        return bool(exclude_dir(path))
    except Exception:
        return False


def _resolve_target(base: str, value: str, exclude_dir) -> list[str]:
    target = os.path.normpath(os.path.join(base, value))
    if os.path.isfile(target):
        return [target]
    if os.path.isdir(target):
        return _prisma_files_in(target, exclude_dir)
    return []


def _schema_paths_for_package(pkg: str, filenames: list[str], exclude_dir) -> list[str]:
    # 1. prisma.config.*
    for name in _CONFIG_NAMES:
        cfg = os.path.join(pkg, name)
        if not os.path.isfile(cfg):
            continue
        text = _read_text(cfg)
        value = _config_schema_value(text) if text else None
        if value:
            paths = _resolve_target(os.path.dirname(cfg), value, exclude_dir)
            if paths:
                return paths
    # 2. package.json "prisma": {"schema": ...}
    if "package.json" in filenames:
        text = _read_text(os.path.join(pkg, "package.json"))
        value = None
        if text:
            try:
                data = json.loads(text)
                prisma = data.get("prisma") if isinstance(data, dict) else None
                if isinstance(prisma, dict) and isinstance(prisma.get("schema"), str):
                    value = prisma["schema"]
            except ValueError:
                m = re.search(r'"prisma"\s*:\s*\{[^{}]*?"schema"\s*:\s*"((?:[^"\\]|\\.)*)"', text)
                value = m.group(1) if m else None
        if value:
            paths = _resolve_target(pkg, value, exclude_dir)
            if paths:
                return paths
    # 3. prisma/schema.prisma
    candidate = os.path.join(pkg, "prisma", "schema.prisma")
    if os.path.isfile(candidate):
        return [candidate]
    # 4. prisma/schema/ folder
    folder = os.path.join(pkg, "prisma", "schema")
    if os.path.isdir(folder):
        paths = _prisma_files_in(folder, exclude_dir)
        if paths:
            return paths
    # 5. schema.prisma at the package root
    candidate = os.path.join(pkg, "schema.prisma")
    if os.path.isfile(candidate):
        return [candidate]
    return []


def discover_schemas(root: str, exclude_dir: Callable[[str], bool] = lambda path: False) -> list[SchemaLocation]:
    """Find every package's Prisma schema under root, the way Prisma resolves it."""
    root = os.path.normpath(root)
    results: list[SchemaLocation] = []
    claimed: set[str] = set()
    if not os.path.isdir(root):
        return results
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(
            d for d in dirnames if d not in _SKIP_DIRS and not _safe_exclude(exclude_dir, os.path.join(dirpath, d))
        )
        if dirpath != root and "package.json" not in filenames:
            continue
        try:
            paths = _schema_paths_for_package(dirpath, filenames, exclude_dir)
        except OSError:
            continue
        fresh = tuple(p for p in paths if _norm(p) not in claimed)
        if not fresh:
            continue
        claimed.update(_norm(p) for p in fresh)
        results.append(SchemaLocation(dirpath, fresh))
    return results


def load_schema(location: SchemaLocation, overrides: dict[str, str] | None = None) -> Schema:
    """Read and parse the files of a location (`overrides`: path -> unsaved text)."""
    over = {_norm(k): v for k, v in (overrides or {}).items()}
    files: list[SchemaFile] = []
    for p in location.paths:
        text = over.get(_norm(p))
        if text is None:
            raw_text = _read_text(p, limit=1 << 30)
            if raw_text is None:
                sf = SchemaFile(path=p, text="")
                sf.errors.append((0, 0, "schema file is not readable UTF-8 text"))
                files.append(sf)
                continue
            text = raw_text
        files.append(parse_schema_file(p, text))
    return Schema.from_files(location.root, files)


def load_schemas(root: str, exclude_dir: Callable[[str], bool] = lambda path: False) -> list[Schema]:
    return [load_schema(loc) for loc in discover_schemas(root, exclude_dir)]
