#!/usr/bin/env bash
# Installs the CLI clients the e2e suite drives (tests/e2e/test_cli_clients.py): Codex CLI and
# Claude Code, at the versions tests/e2e/clients/package-lock.json pins, from the npm registry
# into tests/e2e/clients/node_modules. Idempotent: an install that matches the lock file is kept.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dir=$root/tests/e2e/clients
stamp=$dir/node_modules/.lock.sha256
want=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)

if ! command -v npm >/dev/null 2>&1; then
  echo "install-clients: npm is missing (Node.js >= 20 with npm is needed for the CLI client tests)" >&2
  exit 1
fi
if [ "$(cat "$stamp" 2>/dev/null || true)" = "$want" ] \
    && "$dir/node_modules/.bin/codex" --version >/dev/null 2>&1 \
    && "$dir/node_modules/.bin/claude" --version >/dev/null 2>&1; then
  echo "install-clients: up to date ($("$dir/node_modules/.bin/codex" --version), Claude Code $("$dir/node_modules/.bin/claude" --version))"
  exit 0
fi
echo "install-clients: npm ci in $dir"
(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
echo "$want" > "$stamp"
echo "install-clients: ready: $("$dir/node_modules/.bin/codex" --version), Claude Code $("$dir/node_modules/.bin/claude" --version)"
