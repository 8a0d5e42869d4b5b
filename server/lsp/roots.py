"""Workspace roots: one engine per workspace folder, plus loose documents.

A root owns a `Workspace` (facts of every file, schemas, `.env` files), an
`Engine` configured from the project's `perfaudit.toml` with the editor's
settings on top, and the latest findings per file. A document outside every
folder gets a root of its own that reads nothing else from disk, so only the
rules local to that file can fire.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from perfaudit.server.config import Config, ConfigError, load_config
from perfaudit.server.engine import Engine
from perfaudit.server.findings import Finding
from perfaudit.server.analysis.workspace import Workspace, norm

from perfaudit.server.lsp.settings import EditorSettings, apply_settings


@dataclass
class Root:
    path: str
    standalone: bool = False
    settings: EditorSettings = field(default_factory=EditorSettings)
    ws: Workspace = None  # type: ignore[assignment]
    engine: Engine = None  # type: ignore[assignment]
    project_config: Config = field(default_factory=Config)
    # path -> findings of the file-scoped rules (open files: latest version)
    file_findings: dict[str, list[Finding]] = field(default_factory=dict)
    # path -> findings of the workspace-scoped rules (schemas, .env, app-wide)
    workspace_findings: dict[str, list[Finding]] = field(default_factory=dict)
    scanned: bool = False
    config_problem: str | None = None

    def __post_init__(self) -> None:
        self.path = norm(self.path)
        self.ws = Workspace(self.path, self.project_config)
        self.engine = Engine(self.ws, self.project_config)

    def contains(self, path: str) -> bool:
        return path == self.path or path.startswith(self.path.rstrip("/") + "/")

    def load_project_config(self) -> None:
        """Read perfaudit.toml (or package.json); a broken one is reported, defaults used."""
        self.config_problem = None
        if self.standalone:
            self.project_config = Config()
        else:
            try:
                self.project_config = load_config(self.path)
            except ConfigError as exc:
                self.config_problem = str(exc)
                self.project_config = Config()
        self.configure()

    def configure(self) -> None:
        try:
            config = apply_settings(self.project_config, self.settings)
        except ConfigError as exc:  # parse_settings already validated; be safe
            self.config_problem = str(exc)
            config = self.project_config
        self.ws.config = config
        self.engine.config = config

    @property
    def config(self) -> Config:
        return self.engine.config

    def findings_for(self, path: str, current: tuple | None = None) -> list[Finding]:
        """Suppressions applied, X001 for this file, sorted. `current`: the
        (text, line index) the findings are for, when newer than the
        workspace's (an edit held: see incremental.py)."""
        if not self.settings.enable:
            return []
        found = self.file_findings.get(path, []) + self.workspace_findings.get(path, [])
        # A route's E303 in another file covers the A401 on its awaits here.
        routes = [f for other, fs in self.file_findings.items() if other != path for f in fs if f.code == "E303"]
        return self.engine.postprocess(found, only_paths={path}, context=routes,
                                       current={path: current} if current is not None else None)

    def paths_with_findings(self) -> set[str]:
        return {p for p, f in self.file_findings.items() if f} | {p for p, f in self.workspace_findings.items() if f}


def standalone_root(path: str) -> Root:
    # The file itself as root: schema discovery and walks find nothing there.
    return Root(path, standalone=True)


def deepest_root(roots: list[Root], path: str) -> Root | None:
    best = None
    for root in roots:
        if root.contains(path) and (best is None or len(root.path) > len(best.path)):
            best = root
    return best


def display(path: str, root: Root) -> str:
    rel = os.path.relpath(path, root.path)
    return path if rel.startswith("..") else rel
