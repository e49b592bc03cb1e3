#!/usr/bin/env bash
# Rebuilds one wasm bundle of an already built site in place, for quick measurements after a code
# change (the budgets and frame tests against the site) without the whole Pages build. Builds the bin
# with the Pages profile, runs wasm-bindgen and wasm-opt -Oz as Trunk does, and writes the result
# over the bundle's (hashed) files. With --names it skips wasm-opt, which drops the name section, so
# a CPU profile (tests/e2e/cpu_profile.mjs) shows wasm function names; that copy is larger and
# somewhat slower than what ships: use it to see where time goes, never for budgets.
#
#   scripts/rebundle.sh <site-dir> <bin> [--names]   e.g. target/pages page_locks  (or ds-playground)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SITE="${1:?usage: rebundle.sh <site-dir> <bin> [--names]}"
BIN="${2:?usage: rebundle.sh <site-dir> <bin> [--names]}"
NAMES="${3:-}"
cd "$ROOT"
js="$(cd "$SITE" && ls "$BIN"-*.js 2>/dev/null | grep -v '_bg' | head -1 || true)"
[ -n "$js" ] || { echo "rebundle: no $BIN-*.js in $SITE (build it with scripts/build-pages.sh first)" >&2; exit 1; }
cargo build --profile wasm-release --target wasm32-unknown-unknown --bin "$BIN"
tmp="$(mktemp -d)"
wasm-bindgen --target web --no-typescript --out-dir "$tmp" "target/wasm32-unknown-unknown/wasm-release/$BIN.wasm"
if [ "$NAMES" = --names ]; then
  cp "$tmp/${BIN}_bg.wasm" "$SITE/${js%.js}_bg.wasm"
else
  node_modules/.bin/wasm-opt -Oz "$tmp/${BIN}_bg.wasm" -o "$SITE/${js%.js}_bg.wasm"
fi
cp "$tmp/$BIN.js" "$SITE/$js"
rm -rf "$tmp"
echo "rebundle: $SITE/$js and its wasm rebuilt${NAMES:+ with function names}" >&2
