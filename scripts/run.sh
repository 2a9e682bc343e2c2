#!/usr/bin/env bash
# Builds the dashboard and serves it.
#   scripts/run.sh                                 on the built-in simulated Harbor (demo)
#   scripts/run.sh --harbor https://harbor.corp    in front of a real Harbor (proxies /api/)
# Any other flag goes to lens-serve (see `--help`): --addr, --preset, --latency-ms, ...
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
"$ROOT/scripts/bootstrap.sh"
cd "$ROOT"
log "building the dashboard (release wasm)"
trunk build --release
log "building the server"
cargo build --profile host -p lens-serve
log "precompressing dist/ (brotli and gzip)"
"$CARGO_TARGET_DIR/host/lens-serve" compress "$ROOT/dist"
exec "$CARGO_TARGET_DIR/host/lens-serve" --dist "$ROOT/dist" "$@"
