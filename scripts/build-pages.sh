#!/usr/bin/env bash
# Builds the site exactly as GitHub Pages serves it. The Pages workflow and the end-to-end tests both
# call this script, so what the tests check is what ships.
#
#   scripts/build-pages.sh <public-url> <out-dir>      e.g. /playground/ target/pages
#
# Release build under the sub-path; the strict Content-Security-Policy (with the hash of Trunk's
# inline loader) injected into index.html; index.html copied to 404.html (the SPA fallback for deep
# links); .nojekyll added.
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
python3 "$ROOT/scripts/inject_csp.py" "$OUT/index.html"
cp "$OUT/index.html" "$OUT/404.html"
touch "$OUT/.nojekyll"
echo "build-pages: built $OUT for $PUBLIC_URL" >&2
