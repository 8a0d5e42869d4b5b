"""Starts the bundled perfaudit language server: `python serve.py` (stdio).

Run by the extension with the user's Python, isolated (-I) so that nothing of
that environment (site-packages, PYTHONPATH, the current folder) shadows the
copy in ../libs. `--check` only reports whether this Python can run it.
Written for any Python 3 so that an old one gets a clear message.
"""

import os
import runpy
import sys

LIBS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "libs")
# Exit status the extension reads as "this Python cannot run the bundled server".
UNSUITABLE = 3


def bundled_pythons():
    try:
        with open(os.path.join(LIBS, "pythons.txt")) as f:
            return [line.strip() for line in f if line.strip()]
    except OSError:
        return []


def unsuitable(reason):
    sys.stderr.write("perfaudit: " + reason + "\n")
    sys.exit(UNSUITABLE)


def main():
    here = "%d.%d" % sys.version_info[:2]
    if sys.version_info < (3, 11):
        unsuitable("needs Python 3.11 or newer; %s is Python %s" % (sys.executable, here))
    pythons = bundled_pythons()
    if not pythons:
        unsuitable("the extension carries no server (%s is missing): rebuild the .vsix" % LIBS)
    if here not in pythons:
        unsuitable(
            "the bundled server is built for Python %s; %s is Python %s"
            % (", ".join(pythons), sys.executable, here)
        )
    sys.path.insert(0, LIBS)
    try:
        import tree_sitter  # noqa: F401  (the native dependencies)
        import tree_sitter_typescript  # noqa: F401
        from perfaudit import __version__
    except ImportError as exc:
        unsuitable("the bundled server does not load in %s: %s" % (sys.executable, exc))
    if sys.argv[1:] == ["--check"]:
        print("perfaudit %s on Python %s (%s)" % (__version__, here, sys.executable))
        return 0
    sys.argv = ["perfaudit", "serve"] + sys.argv[1:]
    runpy.run_module("perfaudit", run_name="__main__", alter_sys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
