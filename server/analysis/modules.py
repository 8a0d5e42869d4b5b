"""Module resolution as TypeScript and the package managers do it.

A relative specifier is a path (with `.js`-suffixed ESM names mapped to
their `.ts` source, and directory `index` files); `#name` goes through the
package.json `imports` of the importing package. A bare one goes, in
TypeScript's order, through the governing tsconfig's `paths` (best-matching
pattern, each target in turn), then its `baseUrl`, then the workspace
packages (what node_modules would link). Anything else is an external
package: None.

Problems found in the project's config files are kept per file (one
message each) and listed by `warnings()`.
"""

from __future__ import annotations

import os
import posixpath

from perfaudit.server.analysis.packages import WorkspacePackages
from perfaudit.server.analysis.tsconfigs import TsConfigs

RESOLVE_EXTENSIONS = (".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs")
_COMPILED_EXTENSIONS = (".js", ".jsx", ".mjs", ".cjs")


class ModuleResolver:
    def __init__(self, ws):
        self.ws = ws
        self._warnings: dict[str, str] = {}
        self.packages = WorkspacePackages(ws)
        self.tsconfigs = TsConfigs(ws, self.warn, self.packages.tsconfig_of)
        self._checked = False

    def changed(self) -> None:
        """A tsconfig, package.json or workspace file changed: read them anew."""
        self.packages.clear()
        self.tsconfigs.clear()
        self._warnings.clear()
        self._checked = False

    def warn(self, path: str, message: str) -> None:
        self._warnings.setdefault(path, message)

    # ------------------------------------------------------------ resolving

    def resolve(self, from_path: str, spec: str) -> str | None:
        if spec.startswith(".") or spec.startswith("/"):
            return self.probe(posixpath.normpath(posixpath.join(posixpath.dirname(from_path), spec)))
        if spec.startswith("#"):
            found = self.packages.resolve_import(spec, from_path, self.probe, self._output_dirs)
            if found:
                return found
        config = self.tsconfigs.governing(from_path)
        if config is not None:
            for base in self.tsconfigs.alias_bases(config, spec):
                found = self.probe(base)
                if found:
                    return found
        return self.packages.resolve(spec, from_path, self.probe, self._output_dirs)

    def governing_config(self, from_path: str) -> str | None:
        return self.tsconfigs.governing(from_path)

    def probe(self, base: str) -> str | None:
        """The source file that `base` names: itself, with an extension, or
        its directory's index."""
        files = self.ws.files
        if base in files:
            return base
        stem, ext = posixpath.splitext(base)
        if ext in _COMPILED_EXTENSIONS:  # ESM imports name the compiled file
            for e in RESOLVE_EXTENSIONS:
                if stem + e in files:
                    return stem + e
        for e in RESOLVE_EXTENSIONS:
            if base + e in files:
                return base + e
        for e in RESOLVE_EXTENSIONS:
            if f"{base}/index{e}" in files:
                return f"{base}/index{e}"
        return None

    def _output_dirs(self, directory: str) -> tuple[str | None, str | None]:
        """(outDir, rootDir) of the package's build config."""
        for name in ("tsconfig.build.json", "tsconfig.lib.json", "tsconfig.json"):
            config = f"{directory}/{name}"
            if config in self.ws.tsconfigs:
                compiled = self.tsconfigs.compiled(config)
                if compiled.out_dir:
                    return compiled.out_dir, compiled.root_dir
        return None, None

    # ------------------------------------------------------------ problems

    def warnings(self) -> dict[str, str]:
        """Config file -> what is wrong with it. Every tsconfig's chain and
        `paths` are checked once (so the list does not depend on which
        imports happened to be resolved)."""
        if not self._checked:
            self._checked = True
            seen: dict[tuple[str, bool], bool] = {}  # a base's aliases are inherited by every config

            def exists(path: str, as_module: bool) -> bool:
                key = (path, as_module)
                if key not in seen:
                    seen[key] = self._exists(path, as_module)
                return seen[key]

            for config in sorted(self.ws.tsconfigs):
                self.tsconfigs.check_paths(config, exists)
        return self._warnings

    def _exists(self, path: str, as_module: bool) -> bool:
        if as_module and self.probe(path):
            return True
        if os.path.exists(path):
            return True
        prefix = path.rstrip("/") + "/"
        return any(f.startswith(prefix) for f in self.ws.files)
