#!/usr/bin/env bash
# The `large` soak under 5% faults (issue 6): exact accounting in every crawl and memory
# over five reloads; writes bench/results/soak-large.json. Flags go to bench/soak.mjs.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
"$ROOT/scripts/bootstrap.sh" --test
cd "$ROOT"
log "building the dashboard (release wasm) and the server"
trunk build --release
cargo build --profile host -p lens-serve
"$CARGO_TARGET_DIR/host/lens-serve" compress "$ROOT/dist"
exec node "$ROOT/bench/soak.mjs" "$@"
