#!/usr/bin/env bash
# Installs what building (and, with --test, testing) Harbor Lens needs, and nothing that is
# already there. Idempotent: a second run does no work.
#   scripts/bootstrap.sh          toolchain for building and serving the dashboard
#   scripts/bootstrap.sh --test   plus Chromium, chromedriver, the browser-test and Python deps
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

want_test=0
[[ "${1:-}" == "--test" ]] && want_test=1

as_root() { if [[ $(id -u) == 0 ]]; then "$@"; else sudo "$@"; fi; }

if ! command -v cargo >/dev/null; then
  echo "cargo not found: install Rust with rustup first (https://rustup.rs)" >&2
  exit 1
fi

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi
for component in rustfmt clippy; do
  if ! rustup component list --installed | grep -q "^$component"; then
    rustup component add "$component"
  fi
done

if [[ "$(trunk --version 2>/dev/null)" != "trunk $TRUNK_VERSION" ]]; then
  # trunk 0.22 needs a newer rustc than this toolchain; the lock file keeps its deps buildable.
  log "installing trunk $TRUNK_VERSION (takes several minutes once)"
  cargo install trunk --version "$TRUNK_VERSION" --locked
fi

wb=$(wasm_bindgen_version)
if [[ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $wb" ]]; then
  # Must equal Cargo.lock's wasm-bindgen exactly. `--locked` fails on a yanked dependency.
  log "installing wasm-bindgen-cli $wb"
  cargo install wasm-bindgen-cli --version "$wb" --force
fi

if [[ "$(wasm-opt --version 2>/dev/null)" != *"version $BINARYEN_VERSION"* ]]; then
  # From npm, never Debian's binaryen: its old wasm-opt corrupts current wasm-bindgen output.
  log "installing wasm-opt (npm binaryen@$BINARYEN_VERSION) into $TOOLS_DIR"
  mkdir -p "$TOOLS_DIR"
  npm install --silent --no-audit --no-fund --prefix "$TOOLS_DIR" "binaryen@$BINARYEN_VERSION"
fi

if (( want_test )); then
  if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    log "installing Chromium and chromedriver from Debian"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver
  fi
  if [[ ! -d "$ROOT/tests/browser/node_modules/playwright-core" ]]; then
    log "installing the browser-test dependencies (npm ci)"
    (cd "$ROOT/tests/browser" && npm ci --silent --no-audit --no-fund)
  fi
  venv="$HOME/.cache/harbor-lens/venv"
  if [[ ! -x "$venv/bin/python" ]] || ! "$venv/bin/python" -c 'import harborapi, pytest' 2>/dev/null; then
    log "creating the Python virtualenv for the harborapi fidelity test"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$ROOT/tests/fidelity/requirements.txt"
  fi
fi
log "toolchain ready"
