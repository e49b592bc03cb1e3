#!/usr/bin/env bash
# Runs every test tier and ends with a one-line summary; exits non-zero if any tier fails.
# Installs what is missing first (scripts/setup.sh --test): idempotent.
#
#   1. native   cargo test (core, CLIs, the Redis differential test against a real redis-server)
#   2. wasm     wasm-bindgen-test in headless Chromium (hooks, components, routes, determinism)
#   0. lint    cargo fmt --check; cargo clippy --all-targets -D warnings, natively and for wasm32
#   3. e2e      the release build served as GitHub Pages serves it (at /playground/, 404.html
#               fallback), driven by Playwright in Debian's Chromium
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=setup.sh
source "$ROOT/scripts/setup.sh"
set +e
setup_test || { echo "test: setup failed"; echo "summary: 0 passed, 1 failed"; exit 1; }
cd "$ROOT"
LOGS="$ROOT/target/test-logs"
mkdir -p "$LOGS"
export CHROMEDRIVER="${CHROMEDRIVER:-$(command -v chromedriver)}"
# The runner's timeout covers the whole browser suite (not one test), and chromedriver gets 5 s to start
# by default: both are too tight on a loaded two-core machine, where a timeout prints no result line.
export WASM_BINDGEN_TEST_TIMEOUT="${WASM_BINDGEN_TEST_TIMEOUT:-900}"
export WASM_BINDGEN_TEST_DRIVER_TIMEOUT="${WASM_BINDGEN_TEST_DRIVER_TIMEOUT:-60}"

passed=0; failed=0; tier_status=()

# Adds up cargo's "test result:" lines from a log.
count_cargo() {
  local log="$1" p f
  p=$(grep -Eo '[0-9]+ passed' "$log" | awk '{s+=$1} END {print s+0}')
  f=$(grep -Eo '[0-9]+ failed' "$log" | awk '{s+=$1} END {print s+0}')
  # A harness that stops early (a browser timeout) prints no result line: count the tests it did see.
  if ! grep -q '^test result:' "$log"; then
    p=$(grep -Ec '^test .* \.\.\. ok$' "$log"); f=$(grep -Ec '^test .* \.\.\. FAIL' "$log")
  fi
  echo "$p $f"
}

run_tier() {
  local name="$1" kind="$2"; shift 2
  local log="$LOGS/$name.log" start end rc p f
  printf '\n\033[1;35m==> %s\033[0m  %s\n' "$name" "$*"
  start=$(date +%s)
  "$@" 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  end=$(date +%s)
  if [ "$kind" = cargo ]; then
    read -r p f < <(count_cargo "$log")
  else
    p=$(grep -Eo '^# pass [0-9]+' "$log" | awk '{s+=$3} END {print s+0}')
    f=$(grep -Eo '^# fail [0-9]+' "$log" | awk '{s+=$3} END {print s+0}')
  fi
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi   # a build or harness failure counts as one
  passed=$((passed + p)); failed=$((failed + f))
  tier_status+=("$(printf '%-7s %s  %4d passed, %d failed  (%ds)' "$name" "$([ "$rc" -eq 0 ] && echo ok || echo FAILED)" "$p" "$f" $((end - start)))")
  return "$rc"
}

# Each check prints a TAP-like "# pass 1" / "# fail 1" line, counted like the e2e tier's.
lint() {
  local rc=0 step
  for step in "cargo fmt --check" \
              "cargo clippy --all-targets --color never -- -D warnings" \
              "cargo clippy --target wasm32-unknown-unknown --all-targets --color never -- -D warnings"; do
    echo "-- $step"
    if $step; then echo "# pass 1"; else echo "# fail 1"; rc=1; fi
  done
  return "$rc"
}
run_tier lint node lint
run_tier native cargo cargo test --workspace --no-fail-fast --color never
run_tier wasm cargo cargo test --target wasm32-unknown-unknown --test web --color never

e2e() {
  local out="$ROOT/target/pages" port pid rc simpid
  # The Verify test compares the wasm worker with a release `sim`: build it beside the Pages build, whose fat-LTO
  # link leaves a core idle, in a target dir of its own so neither waits on the other's lock.
  CARGO_TARGET_DIR="$ROOT/target/bench" cargo build --release --bin sim --color never &
  simpid=$!
  "$ROOT/scripts/build-pages.sh" /playground/ "$out" || { wait "$simpid"; return 1; }
  wait "$simpid" || return 1
  export SIM_RELEASE="$ROOT/target/bench/release/sim"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  python3 "$ROOT/scripts/pages_server.py" "$out" /playground/ "$port" &
  pid=$!
  for _ in $(seq 50); do python3 -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:$port/playground/')" 2>/dev/null && break; sleep 0.1; done
  E2E_BASE="http://127.0.0.1:$port/playground/" E2E_SHOTS="$ROOT/target/screenshots" \
    node --test --test-concurrency=1 "$ROOT"/tests/e2e/*.test.mjs
  rc=$?
  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
  return "$rc"
}
run_tier e2e node e2e

printf '\n'
for s in "${tier_status[@]}"; do echo "  $s"; done
echo "summary: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
