"""Workspace packages, as npm/yarn/pnpm workspaces link them: an import of a
sibling package by name (`@acme/db`, `@acme/db/client`) resolves through its
package.json (`exports` with conditions and subpaths, then `source`,
`types`, `module`, `main`) to the package's TypeScript source, never to its
build output: a target under `dist/` (or the package's tsconfig `outDir`) is
mapped back to the source it is compiled from. `#name` specifiers go through
the own package's `imports` the same way.

Members are the package.json files that a `workspaces` field or a
pnpm-workspace.yaml lists; a repository that declares neither (Nx, Lerna)
has every named package.json as a member.
"""

from __future__ import annotations

import posixpath

from perfaudit.server.analysis.globs import glob_regex, matches

# Conditions of code that never runs in a backend.
_FOREIGN_CONDITIONS = {"browser", "react-native", "worker", "workerd", "edge-light", "deno"}
# Folders that build output goes to (a target there is mapped to source).
_OUTPUT_DIRS = {"dist", "build", "out", "lib", "esm", "cjs", "types", "dts", "umd", "es", "mjs", "node"}
_OUTPUT_EXTENSIONS = (".d.ts", ".d.mts", ".d.cts", ".js", ".mjs", ".cjs", ".jsx")
_LEGACY_FIELDS = ("source", "types", "typings", "module", "main")


def split_specifier(spec: str) -> tuple[str, str]:
    """`@scope/name/sub/path` -> (`@scope/name`, `/sub/path`)."""
    parts = spec.split("/")
    n = 2 if spec.startswith("@") else 1
    return "/".join(parts[:n]), "/".join([""] + parts[n:]) if len(parts) > n else ""


def exports_targets(exports, subpath: str) -> list[str] | None:
    """The targets `exports` gives for `subpath` ("." or "./x"), every
    condition in the order written; None when no key matches."""
    if isinstance(exports, (str, list)) or (isinstance(exports, dict) and not any(str(k).startswith(".") for k in exports)):
        exports = {".": exports}
    return subpath_targets(exports, subpath)


def subpath_targets(table, subpath: str) -> list[str] | None:
    """The targets of `subpath` in an `exports` or `imports` table: the exact
    key, else the `*` pattern with the longest prefix (Node's rule)."""
    if not isinstance(table, dict):
        return None
    exports = table
    if subpath in exports:
        return _leaves(exports[subpath], None)
    best = None
    for key in exports:
        if isinstance(key, str) and key.count("*") == 1:
            prefix, suffix = key.split("*")
            if subpath.startswith(prefix) and subpath.endswith(suffix) and len(subpath) >= len(key) - 1:
                if best is None or len(prefix) > len(best[1]):
                    best = (key, prefix, suffix)
    if best is None:
        return None
    key, prefix, suffix = best
    return _leaves(exports[key], subpath[len(prefix):len(subpath) - len(suffix)])


def _leaves(value, star: str | None) -> list[str]:
    if isinstance(value, str):
        return [value.replace("*", star) if star is not None else value]
    if isinstance(value, list):
        return [t for v in value for t in _leaves(v, star)]
    if isinstance(value, dict):
        return [t for k, v in value.items() if k not in _FOREIGN_CONDITIONS for t in _leaves(v, star)]
    return []  # null: the subpath is deliberately not exported


def _strip_output_extension(path: str) -> str:
    for ext in _OUTPUT_EXTENSIONS:
        if path.endswith(ext):
            return path[: -len(ext)]
    return path


class WorkspacePackages:
    def __init__(self, ws):
        self.ws = ws
        self._by_name: dict[str, list[str]] | None = None

    def clear(self) -> None:
        self._by_name = None

    # ------------------------------------------------------------ members

    def by_name(self) -> dict[str, list[str]]:
        """Package name -> directories of the workspace packages with it."""
        if self._by_name is None:
            self._by_name = self._members()
        return self._by_name

    def _declared_globs(self) -> list[tuple[str, list, list]]:
        """(workspace root, positive globs, negative globs) of each root that declares members."""
        roots = []
        for path, manifest in self.ws.package_jsons.items():
            declared = manifest.get("workspaces")
            if isinstance(declared, dict):
                declared = declared.get("packages")
            if isinstance(declared, list):
                roots.append((posixpath.dirname(path), declared))
        for path, doc in self.ws.pnpm_workspaces.items():
            declared = doc.get("packages")
            if isinstance(declared, list):
                roots.append((posixpath.dirname(path), declared))
        out = []
        for root, globs in roots:
            globs = [g for g in globs if isinstance(g, str)]
            positive = [glob_regex(posixpath.join(root, g.removeprefix("./"))) for g in globs if not g.startswith("!")]
            negative = [glob_regex(posixpath.join(root, g[1:].removeprefix("./"))) for g in globs if g.startswith("!")]
            out.append((root, positive, negative))
        return out

    def _members(self) -> dict[str, list[str]]:
        declared = self._declared_globs()
        out: dict[str, list[str]] = {}
        for path, manifest in sorted(self.ws.package_jsons.items()):
            name = manifest.get("name")
            if not isinstance(name, str) or not name:
                continue
            directory = posixpath.dirname(path)
            if declared and not any(
                directory == root or (matches(pos, directory) and not matches(neg, directory)) for root, pos, neg in declared
            ):
                continue
            out.setdefault(name, []).append(directory)
        return out

    def directory(self, name: str, near: str) -> str | None:
        """The package called `name` (the one nearest `near` when several are)."""
        dirs = self.by_name().get(name)
        if not dirs:
            return None
        if len(dirs) == 1:
            return dirs[0]
        return max(dirs, key=lambda d: len(posixpath.commonpath([d, near])))

    def manifest(self, directory: str) -> dict:
        return self.ws.package_jsons.get(f"{directory}/package.json") or {}

    # ------------------------------------------------------------ resolving

    def resolve(self, spec: str, from_path: str, probe, output_dirs) -> str | None:
        """The source file that importing `spec` from `from_path` loads, when
        `spec` names a workspace package. `probe(base)` finds a source file
        for a path without extension; `output_dirs(directory)` gives the
        package's tsconfig (outDir, rootDir)."""
        name, sub = split_specifier(spec)
        directory = self.directory(name, from_path)
        if directory is None:
            return None
        manifest = self.manifest(directory)
        legacy = [manifest[f] for f in _LEGACY_FIELDS if isinstance(manifest.get(f), str)] if not sub else []
        legacy.append("." + sub if sub else "./index")
        targets = exports_targets(manifest["exports"], "." + sub) if "exports" in manifest else None
        if targets is None:
            return self._source_of_targets(directory, legacy, probe, output_dirs)
        found = self._source_of_targets(directory, targets, probe, output_dirs)
        if found is None and targets and not sub:
            # Exported only as build output we cannot map back: the
            # package's `source`/`types` fields may still name the source.
            found = self._source_of_targets(directory, legacy[:-1], probe, output_dirs)
        return found

    def resolve_import(self, spec: str, from_path: str, probe, output_dirs) -> str | None:
        """A `#name` specifier through the `imports` of the package that
        holds `from_path` (Node's subpath imports)."""
        directory = posixpath.dirname(from_path)
        while f"{directory}/package.json" not in self.ws.package_jsons:
            if directory == self.ws.root or posixpath.dirname(directory) == directory:
                return None
            directory = posixpath.dirname(directory)
        targets = subpath_targets(self.manifest(directory).get("imports"), spec)
        if not targets:
            return None
        return self._source_of_targets(directory, [t for t in targets if t.startswith("./")], probe, output_dirs)

    def _source_of_targets(self, directory: str, targets: list[str], probe, output_dirs) -> str | None:
        out_dir, root_dir = output_dirs(directory)
        full = [posixpath.normpath(posixpath.join(directory, t)) for t in targets]
        for target in full:  # a target that is itself source (`"source": "./src/index.ts"`)
            found = probe(target)
            if found:
                return found
        for target in full:
            for candidate in self._sources_of(directory, target, out_dir, root_dir):
                found = probe(candidate)
                if found:
                    return found
        return None

    def _sources_of(self, directory: str, target: str, out_dir: str | None, root_dir: str | None):
        """Where the source of a build-output path would be."""
        stem = _strip_output_extension(target)
        if stem != target:
            yield stem
        source_root = root_dir or f"{directory}/src"
        if out_dir and (stem == out_dir or stem.startswith(out_dir + "/")):
            yield source_root + stem[len(out_dir):]
        # `dist/esm/x` -> `src/esm/x`, `src/x`: one output folder less each time
        # (`lib` may be a build folder or a real source folder under it).
        rest = posixpath.relpath(stem, directory).split("/")
        while len(rest) > 1 and rest[0] in _OUTPUT_DIRS:
            rest = rest[1:]
            yield f"{source_root}/{'/'.join(rest)}"
            yield f"{directory}/{'/'.join(rest)}"

    def tsconfig_of(self, spec: str, near: str) -> str | None:
        """The config file a tsconfig `extends` of a workspace package names
        (`@acme/tsconfig/base.json`, or the package's `tsconfig.json`)."""
        name, sub = split_specifier(spec)
        directory = self.directory(name, near)
        if directory is None:
            return None
        if sub:
            target = directory + sub
            return target if target.endswith(".json") else target + ".json"
        manifest = self.manifest(directory)
        field = manifest.get("tsconfig")
        return posixpath.normpath(posixpath.join(directory, field)) if isinstance(field, str) else f"{directory}/tsconfig.json"
