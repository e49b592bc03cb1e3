#!/usr/bin/env bash
# Builds the app and serves it with live reload on http://127.0.0.1:8080 (installs what is missing).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=setup.sh
source "$ROOT/scripts/setup.sh"
setup_build
cd "$ROOT"
exec trunk serve "$@"
