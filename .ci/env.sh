# Sourced by .ci/serve and .ci/test: pinned tools and a build cache that persists on the
# machine between runs (a cold burn-for-wasm build is the slowest step of everything).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export MNIST_LAB_CACHE="${MNIST_LAB_CACHE:-$HOME/.cache/mnist-lab}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$MNIST_LAB_CACHE/target}"
TOOLS="$MNIST_LAB_CACHE/tools"
export PATH="$TOOLS/bin:$HOME/.cargo/bin:$PATH"

TRUNK_VERSION=0.21.14
# Must equal the wasm-bindgen version in Cargo.lock (Trunk.toml pins the same).
WASM_BINDGEN_VERSION=0.2.130

# Fuzzing (.ci/fuzz): libFuzzer needs a nightly rustc; this one, pinned, installs through
# rustup on these machines.
FUZZ_TOOLCHAIN=nightly-2026-05-19
CARGO_FUZZ_VERSION=0.13.1
# The threaded CPU worker (.ci/build-threads): wasm threads need std rebuilt with atomics
# (build-std), which only a nightly does; the same pinned one.
THREADS_TOOLCHAIN="$FUZZ_TOOLCHAIN"

step() { printf '\n== %s == (%s)\n' "$*" "$(date -u +%T)"; }

has_version() { command -v "$1" >/dev/null 2>&1 && "$1" --version 2>/dev/null | grep -qF "$2"; }

ensure_build_tools() {
  step "build tools (wasm32 target, trunk $TRUNK_VERSION, wasm-bindgen $WASM_BINDGEN_VERSION)"
  rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
  mkdir -p "$TOOLS"
  # trunk 0.22 needs a newer rustc than this project's 1.95; 0.21.14 with its lockfile builds.
  has_version trunk "trunk $TRUNK_VERSION" || cargo install trunk --version "$TRUNK_VERSION" --locked --root "$TOOLS"
  # --locked fails here (a locked dependency is missing from the registry); unlocked works.
  has_version wasm-bindgen "wasm-bindgen $WASM_BINDGEN_VERSION" \
    || cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --root "$TOOLS"
}

ensure_fuzz_tools() {
  step "fuzz tools ($FUZZ_TOOLCHAIN, cargo-fuzz $CARGO_FUZZ_VERSION)"
  rustup toolchain list | grep -q "^$FUZZ_TOOLCHAIN" || rustup toolchain install "$FUZZ_TOOLCHAIN" --profile minimal
  mkdir -p "$TOOLS"
  has_version cargo-fuzz "cargo-fuzz $CARGO_FUZZ_VERSION" || cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked --root "$TOOLS"
}

ensure_threads_toolchain() {
  rustup toolchain list | grep -q "^$THREADS_TOOLCHAIN" || rustup toolchain install "$THREADS_TOOLCHAIN" --profile minimal
  # build-std compiles std for wasm32 from its source (no wasm32 rust-std is needed).
  rustup component list --toolchain "$THREADS_TOOLCHAIN" --installed | grep -q '^rust-src' \
    || rustup component add rust-src --toolchain "$THREADS_TOOLCHAIN"
}

ensure_browser() {
  step "chromium and chromedriver"
  if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium chromium-driver
  fi
  chromium --version 2>/dev/null | head -1
}
