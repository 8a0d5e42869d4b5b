#!/usr/bin/env bash
# Installs what two tests need that pip cannot, so that they run in CI rather
# than skip:
#   Chromium from Debian: the HTML report rendered headless (tests/test_report.py);
#   Prisma's schema validator, WebAssembly from npm (@prisma/prisma-schema-wasm,
#   the engines of Prisma 5.22, the version the example backend uses), into
#   $PERFAUDIT_TOOLS_DIR (default ~/.cache/perfaudit/tools): fixed schemas are
#   validated offline (tests/prisma_schema.py).
# Idempotent and quick when all is there. Exits non-zero when something could
# not be installed: in CI (CI=true) those tests fail rather than skip.
set -u

TOOLS="${PERFAUDIT_TOOLS_DIR:-$HOME/.cache/perfaudit/tools}"
PRISMA_WASM_VERSION=5.22.0-44.605197351a3c8bdd595af2d2a9bc3025bca48ea2
say() { echo "install-test-tools: $*" >&2; }
status=0

if ! command -v chromium >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo -n"
  export DEBIAN_FRONTEND=noninteractive
  if $SUDO apt-get update -qq >&2 && $SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null; then
    say "installed chromium"
  else
    say "apt-get could not install chromium"; status=1
  fi
fi

wasm_dir="$TOOLS/prisma-schema-wasm-$PRISMA_WASM_VERSION"
if [ ! -e "$wasm_dir/node_modules/@prisma/prisma-schema-wasm/package.json" ]; then
  if command -v npm >/dev/null 2>&1; then
    mkdir -p "$wasm_dir"
    [ -e "$wasm_dir/package.json" ] || echo '{"private": true}' > "$wasm_dir/package.json"
    if (cd "$wasm_dir" && npm install --no-save --no-audit --no-fund --ignore-scripts \
          "@prisma/prisma-schema-wasm@$PRISMA_WASM_VERSION" >/dev/null); then
      say "installed @prisma/prisma-schema-wasm@$PRISMA_WASM_VERSION"
    else
      say "npm could not install @prisma/prisma-schema-wasm"; status=1
    fi
  else
    say "no npm: the Prisma schema validation test will skip"; status=1
  fi
fi
exit $status
