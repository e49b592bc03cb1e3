#!/usr/bin/env bash
# Installs what building, serving and testing the playground need, idempotently: a second run
# installs nothing. Sourced by serve.sh and test.sh; run it alone with `--test` for the test tools.
#
#   wasm32 target · trunk 0.21.14 · wasm-bindgen-cli at Cargo.lock's version · npm dev dependencies
#   (binaryen's wasm-opt, playwright-core) · with --test: chromium, chromium-driver, redis-server (apt)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TRUNK_VERSION="0.21.14"
export PATH="$HOME/.cargo/bin:$ROOT/node_modules/.bin:$PATH"
export TRUNK_SKIP_VERSION_CHECK=true

log() { printf '\033[1;34m[setup]\033[0m %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

ensure_wasm_target() {
  if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    log "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
}

ensure_lint_components() {
  local c
  for c in rustfmt clippy; do
    if ! rustup component list --installed 2>/dev/null | grep -q "^$c-"; then
      log "adding the $c component"
      rustup component add "$c"
    fi
  done
}

ensure_trunk() {
  if [ "$(trunk --version 2>/dev/null || true)" != "trunk $TRUNK_VERSION" ]; then
    # 0.22+ needs a newer rustc than this machine has: pin and lock.
    log "installing trunk $TRUNK_VERSION (about 8 minutes cold)"
    cargo install trunk --version "$TRUNK_VERSION" --locked
  fi
}

wasm_bindgen_version() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.lock"
}

ensure_wasm_bindgen() {
  local want; want="$(wasm_bindgen_version)"
  if [ -z "$want" ]; then echo "setup: no wasm-bindgen in Cargo.lock" >&2; exit 1; fi
  if [ "$(wasm-bindgen --version 2>/dev/null || true)" != "wasm-bindgen $want" ] \
     || [ "$(wasm-bindgen-test-runner --version 2>/dev/null || true)" != "wasm-bindgen-test-runner $want" ]; then
    # Not --locked: the registry snapshot here lacks one of its locked transitive versions.
    log "installing wasm-bindgen-cli $want (matches Cargo.lock)"
    cargo install wasm-bindgen-cli --version "$want" --force
  fi
}

ensure_npm() {
  if [ ! -x "$ROOT/node_modules/.bin/wasm-opt" ] || [ ! -d "$ROOT/node_modules/playwright-core" ] \
     || [ "$ROOT/package-lock.json" -nt "$ROOT/node_modules/.package-lock.json" ]; then
    log "installing npm dev dependencies (binaryen's wasm-opt, playwright-core)"
    (cd "$ROOT" && npm ci --no-audit --no-fund)
  fi
}

ensure_apt() {
  local missing=()
  command -v chromium >/dev/null || missing+=(chromium)
  command -v chromedriver >/dev/null || missing+=(chromium-driver)
  command -v redis-server >/dev/null || missing+=(redis-server)
  command -v redis-benchmark >/dev/null || missing+=(redis-tools)
  if [ "${#missing[@]}" -gt 0 ]; then
    log "installing from apt: ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
  fi
}

setup_build() {
  ensure_wasm_target
  ensure_npm
  ensure_trunk
  ensure_wasm_bindgen
}

setup_test() {
  setup_build
  ensure_lint_components
  ensure_apt
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  if [ "${1:-}" = "--test" ]; then setup_test; else setup_build; fi
  log "everything is installed"
fi
