#!/usr/bin/env bash
# Builds the site exactly as GitHub Pages serves it. The Pages workflow and the end-to-end tests both
# call this script, so what the tests check is what ships.
#
#   scripts/build-pages.sh <public-url> <out-dir>      e.g. /playground/ target/pages
#
# Release build under the sub-path (the five wasm bundles, ARCHITECTURE.md "Bundle", and the Verify
# worker); the Redis pages' bundles' files given content-hashed names; the strict Content-Security-Policy
# (with the hash of the inline loader) injected into index.html; index.html copied to 404.html (the
# SPA fallback for deep links: its loader picks the bundle by path); .nojekyll added.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PUBLIC_URL="${1:?usage: build-pages.sh <public-url> <out-dir>}"
OUT="${2:?usage: build-pages.sh <public-url> <out-dir>}"
case "$PUBLIC_URL" in /*/) ;; *) echo "build-pages: public url must start and end with '/', got '$PUBLIC_URL'" >&2; exit 2 ;; esac
# shellcheck source=setup.sh
source "$ROOT/scripts/setup.sh"
setup_build
cd "$ROOT"
rm -rf "$OUT"
trunk build --release --public-url "$PUBLIC_URL" --dist "$OUT"
# Trunk builds the Redis pages' bundles as "workers" (Trunk.toml), whose files keep their plain names.
# Hashed names, as the light bundle's files have, keep a cached glue file from meeting a newer wasm.
# lua_module is the Redis pages' Lua interpreter, loaded on their first script (Trunk.toml).
for bin in page_locks page_redis page_cluster page_messaging lua_module; do
  hash="$(cat "$OUT/$bin.js" "$OUT/${bin}_bg.wasm" | sha256sum | cut -c1-16)"
  mv "$OUT/$bin.js" "$OUT/$bin-$hash.js"
  mv "$OUT/${bin}_bg.wasm" "$OUT/$bin-${hash}_bg.wasm"
  sed -i -e "s#/$bin\.js'#/$bin-$hash.js'#" -e "s#/${bin}_bg\.wasm'#/$bin-${hash}_bg.wasm'#" "$OUT/index.html"
  grep -q "$bin-$hash.js'" "$OUT/index.html" && grep -q "$bin-${hash}_bg.wasm'" "$OUT/index.html" \
    || { echo "build-pages: index.html's loader does not name $bin's files" >&2; exit 1; }
done
python3 "$ROOT/scripts/inject_csp.py" "$OUT/index.html"
cp "$OUT/index.html" "$OUT/404.html"
touch "$OUT/.nojekyll"
echo "build-pages: built $OUT for $PUBLIC_URL" >&2
