# Shared settings for the project's scripts. Sourced, not run.
# Keeps cargo's build cache outside the clone so a fresh clone (CI) starts warm.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/harbor-lens/target}
TOOLS_DIR=${HARBOR_LENS_TOOLS:-$HOME/.cache/harbor-lens/tools}
export PATH="$HOME/.cargo/bin:$TOOLS_DIR/node_modules/.bin:$PATH"
TRUNK_VERSION=0.21.14
BINARYEN_VERSION=132

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# The wasm-bindgen version the lock file resolved: the CLI must match it exactly.
wasm_bindgen_version() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.lock"
}
