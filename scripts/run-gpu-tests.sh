#!/usr/bin/env bash
# Runs on the GPU machine: every staged binary in this folder whose name ends
# in _test, one after another, then (with --bench) every one ending in _bench,
# logging each to LOG_DIR (default: ./gpu-logs).
#   run-gpu-tests.sh [--bench] [LOG_DIR]
# Exit status: non-zero if any test or benchmark failed.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bench=0
if [[ "${1:-}" == "--bench" ]]; then bench=1; shift; fi
log_dir="${1:-$here/../gpu-logs}"
mkdir -p "$log_dir"
export NCCL_NVLS_ENABLE=0  # NVLink multicast must stay off on the shared hosts.

# Shared libraries: the carried libstdc++.so.6 (see build-gpu-binaries.sh)
# first, then the machine's CUDA toolkit, then Python's nvidia-* packages
# (libnccl.so.2, libcublas*.so.13), for whatever the system lacks.
lib_path="$here"
[[ -d /usr/local/cuda/lib64 ]] && lib_path="$lib_path:/usr/local/cuda/lib64"
py_libs="$(python3 -c '
import os
try:
    import nvidia
except ImportError:
    raise SystemExit
for base in nvidia.__path__:
    for root, _, files in os.walk(base):
        if any(f.startswith(("libnccl.so", "libcublas")) for f in files):
            print(root)
' 2>/dev/null | paste -sd: || true)"
[[ -n "$py_libs" ]] && lib_path="$lib_path:$py_libs"
export LD_LIBRARY_PATH="$lib_path${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
failed=0
for bin in "$here"/*_test; do
  name="$(basename "$bin")"
  echo "=== $name"
  if "$bin" --gtest_color=no 2>&1 | tee "$log_dir/$name.log"; then
    echo "=== $name PASSED"
  else
    echo "=== $name FAILED"
    failed=1
  fi
done
if [[ $bench -eq 1 ]]; then
  for bin in "$here"/*_bench; do
    [[ -e "$bin" ]] || continue
    name="$(basename "$bin")"
    echo "=== $name"
    "$bin" 2>&1 | tee "$log_dir/$name.log" || { echo "=== $name FAILED"; failed=1; }
  done
fi
exit $failed
