#!/usr/bin/env bash
# VS Code end-to-end test of editors/vscode, in code-server + headless Chromium.
#
#   scripts/vscode-e2e.sh            install what is missing, build the .vsix, run the test
#   scripts/vscode-e2e.sh install    only install code-server, playwright-core, Chromium
#   scripts/vscode-e2e.sh build      only build editors/vscode/perfaudit-*.vsix
#   scripts/vscode-e2e.sh run        only run the test (needs install + build)
#
# Real VS Code cannot be downloaded from the package registries, so the test
# drives code-server 4.100.3 (VS Code 1.100.3, from npm, the last line on
# Node 20) with Debian's Chromium through playwright-core. The tools are kept
# in $PERFAUDIT_VSCODE_E2E_DIR (default ~/.cache/perfaudit/vscode-e2e), so a
# second run skips the install. The test itself is
# tests/editors/vscode/e2e.mjs; its screenshot lands in tests/output/.
# Needs root (or sudo) for apt-get the first time; Node 20 and npm.
# Timing on Debian 12: install ~70 s with a cold npm cache (plus apt, under a
# minute), 0 s once done; build ~20 s; run ~15 s. tests/editors/test_vscode.py
# runs it in CI (CI=true) or with PERFAUDIT_VSCODE_E2E=1.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
E2E_DIR="${PERFAUDIT_VSCODE_E2E_DIR:-$HOME/.cache/perfaudit/vscode-e2e}"
CODE_SERVER_VERSION=4.100.3
PLAYWRIGHT_VERSION=1.65.1
export npm_config_yes=true npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false
# node-gyp would download Node's headers from outside the registries: use the
# ones Debian's nodejs package installs.
if [ -z "${npm_config_nodedir:-}" ] && [ -e /usr/include/node/node.h ]; then
  export npm_config_nodedir=/usr
fi

log() { printf '[vscode-e2e %(%T)T] %s\n' -1 "$*" >&2; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

install_apt() {
  local missing=()
  command -v chromium >/dev/null || missing+=(chromium)
  command -v rg >/dev/null || missing+=(ripgrep)
  command -v make >/dev/null && command -v g++ >/dev/null || missing+=(build-essential)
  command -v pkg-config >/dev/null || missing+=(pkg-config)
  [ -e /usr/include/gssapi/gssapi.h ] || [ -e /usr/include/krb5.h ] || missing+=(libkrb5-dev)
  if [ ${#missing[@]} -gt 0 ]; then
    log "apt-get install ${missing[*]}"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

install_node_tools() {
  local stamp="$E2E_DIR/.installed-$CODE_SERVER_VERSION-$PLAYWRIGHT_VERSION"
  [ -e "$stamp" ] && return 0
  mkdir -p "$E2E_DIR"
  cd "$E2E_DIR"
  [ -e package.json ] || echo '{"name": "perfaudit-vscode-e2e", "private": true}' > package.json
  log "npm install code-server@$CODE_SERVER_VERSION playwright-core@$PLAYWRIGHT_VERSION"
  npm install --no-save --ignore-scripts "code-server@$CODE_SERVER_VERSION" "playwright-core@$PLAYWRIGHT_VERSION" >/dev/null
  npm rebuild argon2 >/dev/null
  local vs="$E2E_DIR/node_modules/code-server/lib/vscode"
  log "code-server: VS Code's own modules"
  (cd "$vs" && npm install --omit=dev --ignore-scripts >/dev/null)
  # @vscode/ripgrep's postinstall would download a binary: use Debian's rg.
  mkdir -p "$vs/node_modules/@vscode/ripgrep/bin"
  ln -sf "$(command -v rg)" "$vs/node_modules/@vscode/ripgrep/bin/rg"
  log "code-server: rebuilding native modules"
  (cd "$vs" && npm rebuild >/dev/null 2>&1)
  ln -sfn node_modules "$vs/node_modules.asar"
  log "code-server: built-in extensions"
  (cd "$vs/extensions" && npm install --omit=dev >/dev/null)
  touch "$stamp"
}

build_vsix() {
  cd "$ROOT/editors/vscode"
  log "building the extension (npm ci, tsc, vsce package)"
  npm ci --no-audit --no-fund >/dev/null
  rm -f "$ROOT"/editors/vscode/perfaudit-*.vsix
  # bundled/libs: perfaudit of this checkout and its dependencies, installed by
  # the project's Python (3.11+).
  PERFAUDIT_BUNDLE_PYTHON="${PERFAUDIT_BUNDLE_PYTHON:-$ROOT/.venv/bin/python}" npm run --silent package >/dev/null
  ls -1 "$ROOT"/editors/vscode/perfaudit-*.vsix | tail -n1
}

run_test() {
  local vsix
  vsix="$(ls -1 "$ROOT"/editors/vscode/perfaudit-*.vsix | tail -n1)"
  log "running tests/editors/vscode/e2e.mjs"
  NODE_PATH="$E2E_DIR/node_modules" \
  PERFAUDIT_E2E_CODE_SERVER="$E2E_DIR/node_modules/code-server/out/node/entry.js" \
  PERFAUDIT_E2E_PLAYWRIGHT="$E2E_DIR/node_modules/playwright-core/index.js" \
  PERFAUDIT_E2E_VSIX="$vsix" \
    node "$ROOT/tests/editors/vscode/e2e.mjs"
}

case "${1:-all}" in
  install) install_apt; install_node_tools ;;
  build) build_vsix ;;
  run) run_test ;;
  all) install_apt; install_node_tools; build_vsix; run_test ;;
  *) echo "usage: $0 [install|build|run|all]" >&2; exit 2 ;;
esac
