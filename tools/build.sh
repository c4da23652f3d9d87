#!/usr/bin/env bash
# Configures and builds K-Fix (Release, ccache when present, -j2).
# Usage: tools/build.sh [BUILD_DIR] [extra cmake args...]
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${1:-build}
shift || true
launcher=()
if command -v ccache >/dev/null 2>&1; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE="${KFIX_BUILD_TYPE:-Release}" \
  "${launcher[@]}" "$@" >/dev/null
cmake --build "$build_dir" -j"${KFIX_JOBS:-2}"
