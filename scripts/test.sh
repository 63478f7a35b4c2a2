#!/usr/bin/env bash
# Runs every CPU test: installs missing Debian packages, checks formatting,
# builds everything (CUDA code included, for sm_90a) and runs `bazel test`
# on all targets except those tagged gpu. Extra arguments go to `bazel test`.
#   scripts/test.sh
#   scripts/test.sh --config=asan
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
# Where install-deps.sh put the manifest test's npm packages (a test_env).
export WEFT_NODE_MODULES="${WEFT_NODE_MODULES:-$(scripts/node-modules-path.sh)}"
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$PWD/bazel/tsan_suppressions.txt"
scripts/check-format.sh
# Build first: every target, including the GPU tests and CUDA kernels.
bazel build //... "$@"
bazel test //... "$@"
