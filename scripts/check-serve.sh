#!/usr/bin/env bash
# Checks the development server end to end: starts ./scripts/serve.sh (trunk serve, a debug build of
# all five wasm bundles and the Verify worker) on a port of its own, waits for its first build, runs
# tests/e2e/dev_server.mjs against it (every page by deep link with its own bundle, the nav across
# the bundles, no console errors), and stops the server. Not part of test.sh: its debug build
# is a second build of everything.
#
#   scripts/check-serve.sh [port]        default 8722
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PORT="${1:-8722}"
LOG="$ROOT/target/check-serve.log"
mkdir -p "$ROOT/target"
cd "$ROOT"
"$ROOT/scripts/serve.sh" --port "$PORT" --no-autoreload >"$LOG" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true' EXIT
# The first build can take many minutes on a cold or busy machine; trunk listens once it is done.
for _ in $(seq 3600); do
  if curl -sf "http://127.0.0.1:$PORT/" | grep -q page_messaging; then break; fi
  if ! kill -0 "$pid" 2>/dev/null; then echo "check-serve: serve.sh exited; see $LOG" >&2; tail -20 "$LOG" >&2; exit 1; fi
  sleep 1
done
curl -sf "http://127.0.0.1:$PORT/" | grep -q page_messaging || { echo "check-serve: no app on port $PORT after an hour; see $LOG" >&2; exit 1; }
E2E_BASE="http://127.0.0.1:$PORT/" node --test "$ROOT/tests/e2e/dev_server.mjs"
