#!/usr/bin/env bash
# Installs Binaryen's wasm-opt at the version tools/wasm-opt/package-lock.json pins, from the npm
# registry into tools/wasm-opt/node_modules (`make build` runs it over the module). Idempotent:
# an install that matches the lock file is kept.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dir=$root/tools/wasm-opt
bin=$dir/node_modules/.bin/wasm-opt
stamp=$dir/node_modules/.lock.sha256
want=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)

if [ "$(cat "$stamp" 2>/dev/null || true)" = "$want" ] && "$bin" --version >/dev/null 2>&1; then
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "install-wasm-opt: npm is missing (Node.js >= 20 with npm runs Binaryen's wasm-opt;" \
       "or build with WASM_OPT= to skip the size pass)" >&2
  exit 1
fi
echo "install-wasm-opt: npm ci in $dir"
(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
echo "$want" > "$stamp"
echo "install-wasm-opt: $("$bin" --version)"
