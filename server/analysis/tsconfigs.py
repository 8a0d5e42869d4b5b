"""tsconfig files as TypeScript reads them: `extends` chains (a relative
path, a list of them, or a workspace package's config), `${configDir}`,
options relative to the file that declares them, and the config that
governs a source file (the nearest tsconfig.json whose files include it,
or one of the projects it `references`, else the nearest one).

Problems (a missing `extends` target, an `extends` loop, a `paths` entry
that points nowhere) are reported once per file through `warn`; resolution
then goes on with what could be read.
"""

from __future__ import annotations

import os
import posixpath
import re
from dataclasses import dataclass, field

from perfaudit.server.analysis.globs import glob_regex, matches
from perfaudit.server.analysis.project_files import read_tsconfig

CONFIG_NAMES = ("tsconfig.json", "jsconfig.json")
# Options whose value is a path relative to the config that declares them.
_PATH_OPTIONS = ("baseUrl", "paths", "outDir", "rootDir")
_CONFIG_DIR = "${configDir}"


@dataclass
class Compiled:
    """One tsconfig with its `extends` chain applied; paths absolute."""

    path: str
    base_url: str | None = None
    # (pattern, absolute targets) in declaration order.
    paths: list[tuple[str, list[str]]] = field(default_factory=list)
    paths_declared_in: str | None = None
    out_dir: str | None = None
    root_dir: str | None = None
    files: set[str] | None = None
    include: list[re.Pattern] | None = None
    exclude: list[re.Pattern] = field(default_factory=list)
    references: list[str] = field(default_factory=list)

    def includes(self, file: str) -> bool:
        if self.files is not None and file in self.files:
            return True
        include = self.include
        if include is None:
            if self.files is not None:
                return False
            include = [glob_regex(posixpath.dirname(self.path) + "/**/*")]
        return matches(include, file) and not matches(self.exclude, file)


class TsConfigs:
    def __init__(self, ws, warn, package_config):
        self.ws = ws
        self.warn = warn
        # (package specifier, extending config) -> that workspace package's
        # config file, or None (a package outside the workspace).
        self.package_config = package_config
        self._compiled: dict[str, Compiled] = {}
        self._governing: dict[str, str | None] = {}
        self._outside: dict[str, dict] = {}  # extended files not named tsconfig*.json

    def clear(self) -> None:
        self._compiled.clear()
        self._governing.clear()
        self._outside.clear()

    # ------------------------------------------------------------ reading

    def _raw(self, path: str) -> dict | None:
        raw = self.ws.tsconfigs.get(path)
        if raw is not None:
            return raw
        if path not in self._outside:
            text = self.ws.read_text(path) if os.path.isfile(path) else None
            value, problem = read_tsconfig(text) if text is not None else (None, None)
            if problem:
                self.warn(path, problem)
            self._outside[path] = value
        return self._outside[path]

    def _extends_target(self, path: str, spec: str) -> str | None:
        here = posixpath.dirname(path)
        if spec.startswith(_CONFIG_DIR):
            spec = here + spec[len(_CONFIG_DIR):]
        if spec.startswith(("./", "../", "/")) or spec in (".", ".."):
            target = posixpath.normpath(posixpath.join(here, spec))
            for candidate in (target, target + ".json", target + "/tsconfig.json"):
                if self._raw(candidate) is not None:
                    return candidate
            self.warn(path, f'"extends" target "{spec}" does not exist; its settings are ignored')
            return None
        # A package: a workspace package's config, or one in node_modules,
        # which is never read (those carry compiler flags, not paths).
        return self.package_config(spec, path)

    def _merged(self, path: str, chain: tuple[str, ...]) -> dict[str, tuple[object, str]]:
        """Each setting with the config file that declared it,
        bases first and this config last (later wins)."""
        raw = self._raw(path) or {}
        merged: dict[str, tuple[object, str]] = {}
        extends = raw.get("extends")
        bases = [extends] if isinstance(extends, str) else [e for e in extends if isinstance(e, str)] if isinstance(extends, list) else []
        for spec in bases:
            target = self._extends_target(path, spec)
            if target is None:
                continue
            if target in chain:
                # Told the same way whichever file of the loop was read first.
                loop = chain[chain.index(target):]
                first = loop.index(min(loop))
                cycle = loop[first:] + loop[:first]
                names = " -> ".join(self.ws.relpath(p) for p in cycle + cycle[:1])
                self.warn(cycle[0], f'"extends" loop ({names}); the loop is cut there')
                continue
            merged.update(self._merged(target, chain + (target,)))
        options = raw.get("compilerOptions")
        if isinstance(options, dict):
            for key in _PATH_OPTIONS:
                if key in options:
                    merged[key] = (options[key], path)
        for key in ("files", "include", "exclude"):
            if key in raw:
                merged[key] = (raw[key], path)
        return merged

    # ------------------------------------------------------------ compiling

    def compiled(self, path: str) -> Compiled:
        found = self._compiled.get(path)
        if found is None:
            found = self._compiled[path] = self._compile(path)
        return found

    def _compile(self, path: str) -> Compiled:
        leaf = posixpath.dirname(path)
        merged = self._merged(path, (path,))
        out = Compiled(path)

        def resolve(value, declared_in: str, base: str | None = None) -> str | None:
            if not isinstance(value, str):
                return None
            if value.startswith(_CONFIG_DIR):
                value = leaf + value[len(_CONFIG_DIR):]
            return posixpath.normpath(posixpath.join(base or posixpath.dirname(declared_in), value))

        def strings(key: str) -> list[str] | None:
            value, declared = merged.get(key, (None, path))
            if not isinstance(value, list):
                return None
            return [p for p in (resolve(v, declared) for v in value) if p]

        if "baseUrl" in merged:
            out.base_url = resolve(*merged["baseUrl"])
        if "paths" in merged and isinstance(merged["paths"][0], dict):
            table, declared = merged["paths"]
            # Targets are relative to baseUrl, else to the config declaring them.
            out.paths_declared_in = declared
            for pattern, targets in table.items():
                if isinstance(targets, list) and isinstance(pattern, str):
                    out.paths.append((pattern, [p for p in (resolve(t, declared, out.base_url) for t in targets) if p]))
        for key, attr in (("outDir", "out_dir"), ("rootDir", "root_dir")):
            if key in merged:
                setattr(out, attr, resolve(*merged[key]))
        files = strings("files")
        out.files = set(files) if files is not None else None
        include = strings("include")
        out.include = [glob_regex(p, True) for p in include] if include is not None else None
        out.exclude = [glob_regex(p, True) for p in strings("exclude") or []]
        raw = self._raw(path) or {}
        for ref in raw.get("references") or []:
            target = ref.get("path") if isinstance(ref, dict) else None
            if isinstance(target, str):
                target = posixpath.normpath(posixpath.join(leaf, target))
                out.references.append(target if target.endswith(".json") else target + "/tsconfig.json")
        return out

    # ------------------------------------------------------------ governing

    def governing(self, file: str) -> str | None:
        """The tsconfig whose settings apply to `file`, or None."""
        if file in self._governing:
            return self._governing[file]
        nearest = None
        found = None
        d = posixpath.dirname(file)
        while found is None:
            for name in CONFIG_NAMES:
                config = f"{d}/{name}"
                if config in self.ws.tsconfigs:
                    nearest = nearest or config
                    found = self._project_including(config, file, {config})
                    break
            if d == self.ws.root or posixpath.dirname(d) == d or not d.startswith(self.ws.root):
                break
            d = posixpath.dirname(d)
        self._governing[file] = found = found or nearest
        return found

    def _project_including(self, config: str, file: str, seen: set[str]) -> str | None:
        if self._raw(config) is None:
            return None
        compiled = self.compiled(config)
        if compiled.includes(file):
            return config
        for ref in compiled.references:
            if ref not in seen:
                seen.add(ref)
                hit = self._project_including(ref, file, seen)
                if hit:
                    return hit
        return None

    # ------------------------------------------------------------ aliases

    def alias_bases(self, config: str, spec: str) -> list[str]:
        """Where `paths` (the best-matching pattern, as TypeScript picks it)
        and then `baseUrl` send a bare specifier."""
        compiled = self.compiled(config)
        out = []
        best = None
        for pattern, targets in compiled.paths:
            if pattern == spec:
                best = (None, targets)
                break
            if pattern.count("*") == 1:
                prefix, suffix = pattern.split("*")
                if spec.startswith(prefix) and spec.endswith(suffix) and len(spec) >= len(prefix) + len(suffix):
                    if best is None or len(prefix) > len(best[0]):
                        best = (prefix, targets, suffix)
        if best is not None:
            if best[0] is None:
                out.extend(best[1])
            else:
                prefix, targets, suffix = best
                star = spec[len(prefix):len(spec) - len(suffix)]
                out.extend(t.replace("*", star, 1) for t in targets)
        if compiled.base_url:
            out.append(posixpath.normpath(posixpath.join(compiled.base_url, spec)))
        return out

    def check_paths(self, config: str, exists) -> None:
        """Warn (once, naming the file that declares them) about `paths`
        targets that point nowhere: `exists(path, is_module)` is asked about
        the target itself, or for a wildcard target the directory it lists."""
        compiled = self.compiled(config)
        dead = []
        for pattern, targets in compiled.paths:
            for target in targets:
                if "*" in target:
                    fixed = target[: target.index("*")]
                    found = exists(fixed.rstrip("/") if fixed.endswith("/") else posixpath.dirname(fixed), False)
                else:
                    found = exists(target, True)
                if not found:
                    dead.append(f'"{pattern}" -> "{self.ws.relpath(target)}"')
        if dead:
            more = f" (and {len(dead) - 1} more)" if len(dead) > 1 else ""
            self.warn(compiled.paths_declared_in or config, f"paths entry {dead[0]} points nowhere{more}; imports through it resolve as packages")
