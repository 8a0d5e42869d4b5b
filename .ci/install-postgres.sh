#!/usr/bin/env bash
# Installs what the `perfaudit explain` tests (tests/postgres/) need on Debian 12:
# PostgreSQL 15 and the HypoPG extension (postgresql-15, postgresql-15-hypopg).
# The tests start their own throwaway cluster (initdb/pg_ctl); no service is
# started here. Never fails the run: where something cannot be installed, the
# tests that need it skip with the reason.
set -u

say() { echo "install-postgres: $*" >&2; }

if [ -f /usr/share/postgresql/15/extension/hypopg.control ] && [ -x /usr/lib/postgresql/15/bin/initdb ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  say "no apt-get: the PostgreSQL tests will skip"
  exit 0
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
    say "not root and no sudo: the PostgreSQL tests will skip"
    exit 0
  fi
fi
export DEBIAN_FRONTEND=noninteractive
if $SUDO apt-get update -qq >&2 \
  && $SUDO apt-get install -y -qq --no-install-recommends postgresql-15 postgresql-15-hypopg >/dev/null; then
  say "installed postgresql-15 postgresql-15-hypopg"
else
  say "apt-get could not install postgresql-15 postgresql-15-hypopg: the PostgreSQL tests will skip"
fi
exit 0
