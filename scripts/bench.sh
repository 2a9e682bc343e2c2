#!/usr/bin/env bash
# Benchmarks: our crawl engine, the dashboard in headless Chromium (HTTP/1.1 and TLS+HTTP/2),
# harborapi and a naive client against the simulator; prints a markdown table and writes
# bench/results/latest.json (+ a dated copy). See bench/README.md.
#   scripts/bench.sh                 the full matrix (small/medium/large × 0/25/100 ms × 2.10/2.16)
#   scripts/bench.sh --quick         small+medium, 25 ms, one run (for development)
#   scripts/bench.sh --no-trunk ...  reuse the dashboard already built in dist/
# Other flags go to bench/run.mjs (--runs N, --presets, --latencies, --versions,
# --budget-s S, --deadline HH:MM, --no-browser, --no-python, --no-ui).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
"$ROOT/scripts/bootstrap.sh" --test
cd "$ROOT"

build_ui=1
args=()
for a in "$@"; do
  if [[ "$a" == "--no-trunk" ]]; then build_ui=0; else args+=("$a"); fi
done

if (( build_ui )) || [[ ! -f "$ROOT/dist/index.html" ]]; then
  log "building the dashboard (release wasm)"
  trunk build --release
fi
log "building the simulator, server and engine benchmark (--profile host)"
cargo build --profile host -p harbor-sim -p lens-serve --features harbor-sim/tls
cargo build --profile host -p harbor-client --features native --example crawl_bench
cargo build --profile host -p inventory --example refresh_bench
cargo build --profile host -p lens-serve --example load_bench
log "precompressing dist/ (brotli and gzip)"
"$CARGO_TARGET_DIR/host/lens-serve" compress "$ROOT/dist"

log "incremental refresh vs full crawl (medium, 1% of repositories changed, 25 ms)"
"$CARGO_TARGET_DIR/host/examples/refresh_bench" medium 1 25 | tee "$ROOT/bench/results/refresh-medium.txt"

log "lens-serve under load (1,000 concurrent proxied requests; 500 slow sockets), loopback only"
"$CARGO_TARGET_DIR/host/examples/load_bench" | tee "$ROOT/bench/results/serve-load.txt"

log "running the benchmarks"
exec node "$ROOT/bench/run.mjs" "${args[@]}"
