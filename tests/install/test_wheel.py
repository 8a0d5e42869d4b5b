"""The distribution: `python -m build` makes a wheel and an sdist that `twine
check --strict` accepts, without setuptools warnings; the wheel holds every
module of the source tree; installed into a fresh venv outside the
repository, its `perfaudit check` audits the example backend."""

from __future__ import annotations

import json
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from install_support import EXAMPLE, REPO, SKIP_INSTALL, fresh_venv, offline_env, pip_install, run

# Where each import package's sources are (pyproject's package-dir).
SOURCE_ROOTS = {"perfaudit": "entry", "perfaudit.server": "server", "perfaudit.rules": "rules"}


def _source_packages() -> set[str]:
    """Every directory of Python modules under entry/, server/, rules/, as an import name."""
    found = set()
    for name, root in SOURCE_ROOTS.items():
        for path in (REPO / root).rglob("*.py"):
            if "__pycache__" in path.parts:
                continue
            rel = path.parent.relative_to(REPO / root)
            found.add(".".join([name, *rel.parts]))
    return found


def test_every_source_package_is_listed_in_pyproject() -> None:
    """A package missing from the list is missing from the wheel (fast, no build)."""
    listed = set(tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    assert _source_packages() - listed == set(), "add these to [tool.setuptools] packages"
    assert all(name.startswith("perfaudit") for name in listed)


def test_metadata_is_complete() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert project["license"] == "MIT"  # an SPDX expression, not the deprecated table
    assert (REPO / "LICENSE").read_text().startswith("MIT License")
    assert project["requires-python"] == ">=3.11"
    assert {"name", "version", "description", "readme", "dependencies", "classifiers"} <= set(project)
    assert not any(c.startswith("License ::") for c in project["classifiers"])  # forbidden next to `license`


@pytest.fixture(scope="module")
def dist(tmp_path_factory, wheelhouse: Path) -> Path:
    out = tmp_path_factory.mktemp("dist")
    # Without PYTHONDONTWRITEBYTECODE, so the build prints nothing about byte-compiling.
    env = offline_env(wheelhouse)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    proc = run([sys.executable, "-m", "build", "--outdir", str(out), str(REPO)], env=env, timeout=600)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-4000:]
    warnings = [line for line in log.splitlines() if "warning" in line.lower() or "deprecat" in line.lower()]
    assert warnings == [], "\n".join(warnings)
    return out


@SKIP_INSTALL
def test_build_makes_a_wheel_and_an_sdist_twine_accepts(dist: Path) -> None:
    wheels, sdists = list(dist.glob("perfaudit-*.whl")), list(dist.glob("perfaudit-*.tar.gz"))
    assert len(wheels) == 1 and len(sdists) == 1, list(dist.iterdir())
    assert wheels[0].name.endswith("-py3-none-any.whl")
    proc = run([sys.executable, "-m", "twine", "check", "--strict", *map(str, wheels + sdists)])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with zipfile.ZipFile(wheels[0]) as zf:
        names = set(zf.namelist())
        metadata = zf.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert "License-Expression: MIT" in metadata
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert "perfaudit/server/data/sarif-2.1.0.json" in names
    for name, root in SOURCE_ROOTS.items():
        for module in (REPO / root).rglob("*.py"):
            if "__pycache__" not in module.parts:
                inside = module.relative_to(REPO / root).as_posix()
                assert f"{name.replace('.', '/')}/{inside}" in names, f"{module} is not in the wheel"


@SKIP_INSTALL
def test_the_wheel_in_a_fresh_venv_checks_the_example_backend(dist: Path, wheelhouse: Path, tmp_path: Path) -> None:
    bin_dir = fresh_venv(tmp_path / "venv")
    [wheel] = dist.glob("perfaudit-*.whl")
    pip_install(bin_dir, wheelhouse, str(wheel))
    where = run([str(bin_dir / "python"), "-c", "import perfaudit; print(perfaudit.__file__)"], cwd=tmp_path)
    assert Path(where.stdout.strip()).is_relative_to(tmp_path / "venv"), where.stdout + where.stderr
    version = run([str(bin_dir / "perfaudit"), "--version"], cwd=tmp_path)
    assert version.returncode == 0 and version.stdout.startswith("perfaudit 0."), version.stdout + version.stderr
    proc = run([str(bin_dir / "perfaudit"), "check", "--format", "json", str(EXAMPLE)], cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr  # 1: findings
    report = json.loads(proc.stdout)
    found = {(f["path"], f["range"]["start"]["line"] + 1, f["code"]) for f in report["findings"]}
    assert found == _expected_example_findings()


def _expected_example_findings() -> set[tuple[str, int, str]]:
    rows = (REPO / "tests" / "expected" / "example_backend.tsv").read_text().splitlines()[1:]
    return {(p, int(line), code) for p, line, code, *_ in (r.split("\t") for r in rows if r.strip() and not r.startswith("#"))}
