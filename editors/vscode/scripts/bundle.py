"""Put perfaudit and its dependencies into bundled/libs, for this platform.

    python3 scripts/bundle.py        (from editors/vscode; npm run bundle does it)

The extension runs the server from there with the user's Python (>= 3.11), as
the Python tool extensions do. Everything is pure Python except tree-sitter,
whose binding is built per CPython version (`_binding.cpython-312-....so`):
the binding of every version from 3.11 to the newest PyPI has a wheel for is
put side by side in the same package, and Python loads the one of its own
version. bundled/libs/pythons.txt lists those versions; the launcher
(bundled/tool/serve.py) names them when the user's Python is not one of them.

Runs pip of the interpreter that runs this script (3.11+); network: PyPI only.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
REPO = HERE.parent.parent
LIBS = HERE / "bundled" / "libs"
# CPython versions whose tree-sitter binding is bundled besides this one's.
OTHER_PYTHONS = ("3.12", "3.13", "3.14")


def pip(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "pip", "--disable-pip-version-check", "-q", *args], check=True)


def _wheel_tags(package_dir_glob: str) -> list[str]:
    [info] = LIBS.glob(package_dir_glob)
    return [
        line.split(":", 1)[1].strip() for line in (info / "WHEEL").read_text().splitlines() if line.startswith("Tag:")
    ]


def _version_of(package_dir_glob: str) -> str:
    [info] = LIBS.glob(package_dir_glob)
    for line in (info / "METADATA").read_text().splitlines():
        if line.startswith("Version:"):
            return line.split(":", 1)[1].strip()
    raise SystemExit(f"no version in {info}")


def add_bindings(version: str, platforms: list[str], bindings: Path) -> bool:
    """The tree-sitter binding of CPython `version`, next to the others; False when PyPI has none."""
    with tempfile.TemporaryDirectory() as tmp:
        platform_args = [arg for p in platforms for arg in ("--platform", p)]
        try:
            pip(
                "download", "--no-deps", "--only-binary=:all:", "--python-version", version,
                "--implementation", "cp", *platform_args, "-d", tmp, f"tree-sitter=={_version_of('tree_sitter-*.dist-info')}",
            )
        except subprocess.CalledProcessError:
            return False
        [wheel] = Path(tmp).glob("*.whl")
        with zipfile.ZipFile(wheel) as zf:
            names = [n for n in zf.namelist() if n.startswith("tree_sitter/_binding.") and not n.endswith(".pyi")]
            for name in names:
                (bindings / Path(name).name).write_bytes(zf.read(name))
        return bool(names)


def main() -> int:
    if sys.version_info < (3, 11):
        raise SystemExit(f"bundle.py needs Python 3.11 or newer (this is {sys.version.split()[0]})")
    shutil.rmtree(LIBS, ignore_errors=True)
    LIBS.mkdir(parents=True)
    with tempfile.TemporaryDirectory() as tmp:
        # From a copy of what the package is made of: a build/ folder left in the
        # checkout by an earlier build could bring back files deleted since.
        source = Path(tmp) / "perfaudit"
        source.mkdir()
        for name in ("pyproject.toml", "README.md", "LICENSE"):
            shutil.copy2(REPO / name, source / name)
        for name in ("entry", "server", "rules"):
            shutil.copytree(REPO / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        pip("install", "--no-compile", "--target", str(LIBS), str(source))
    # Scripts (bin/perfaudit) point at the build machine's interpreter: useless here.
    shutil.rmtree(LIBS / "bin", ignore_errors=True)
    platforms = sorted({tag.split("-", 2)[2] for tag in _wheel_tags("tree_sitter-*.dist-info")})
    pythons = [f"{sys.version_info.major}.{sys.version_info.minor}"]
    for version in OTHER_PYTHONS:
        if version not in pythons and add_bindings(version, platforms, LIBS / "tree_sitter"):
            pythons.append(version)
        elif version not in pythons:
            print(f"bundle.py: no tree-sitter wheel for Python {version} on {platforms}: not bundled", file=sys.stderr)
    (LIBS / "pythons.txt").write_text("\n".join(pythons) + "\n")
    for cache in LIBS.rglob("__pycache__"):
        shutil.rmtree(cache, ignore_errors=True)
    print(f"bundled/libs: perfaudit for Python {', '.join(pythons)} on {', '.join(platforms)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
