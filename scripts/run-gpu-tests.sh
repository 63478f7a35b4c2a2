#!/usr/bin/env bash
# Runs on the GPU machine: every staged binary in this folder whose name ends
# in _test, one after another, then (with --bench) every one ending in _bench,
# logging each to LOG_DIR (default: ./gpu-logs). Run it from the repository
# root: the tests read fixtures from tests/data.
#   run-gpu-tests.sh [--bench] [LOG_DIR]
# Each binary gets WEFT_GPU_TIMEOUT seconds (default 300); once
# WEFT_GPU_DEADLINE (seconds since the epoch) has passed, the rest are skipped
# and reported as such. Exit status: non-zero if any failed or was skipped.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bench=0
if [[ "${1:-}" == "--bench" ]]; then bench=1; shift; fi
log_dir="${1:-$here/../gpu-logs}"
per_binary="${WEFT_GPU_TIMEOUT:-300}"
deadline="${WEFT_GPU_DEADLINE:-0}"
mkdir -p "$log_dir"
export NCCL_NVLS_ENABLE=0  # NVLink multicast must stay off on the shared hosts.
export WEFT_GPU_BIN_DIR="${WEFT_GPU_BIN_DIR:-$here}"

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
summary=()
run_one() {  # run_one BINARY [ARGS...]
  local bin="$1"
  shift
  local name
  name="$(basename "$bin")"
  if [[ "$deadline" -gt 0 && "$(date +%s)" -ge "$deadline" ]]; then
    summary+=("SKIPPED (deadline) $name")
    failed=1
    return
  fi
  echo "=== $name"
  local start=$SECONDS
  timeout --kill-after=10 "$per_binary" "$bin" "$@" >"$log_dir/$name.log" 2>&1
  local rc=$?
  tail -n 40 "$log_dir/$name.log"
  local verdict="PASSED"
  if [[ $rc -eq 124 || $rc -eq 137 ]]; then
    verdict="TIMED OUT after ${per_binary}s"
    failed=1
  elif [[ $rc -ne 0 ]]; then
    verdict="FAILED (rc=$rc)"
    failed=1
  fi
  echo "=== $name $verdict"
  summary+=("$verdict $name ($((SECONDS - start)) s)")
}
for bin in "$here"/*_test; do
  run_one "$bin" --gtest_color=no
done
if [[ $bench -eq 1 ]]; then
  for bin in "$here"/*_bench; do
    [[ -e "$bin" ]] && run_one "$bin"
  done
fi
echo "=== summary"
printf '%s\n' "${summary[@]}" | tee "$log_dir/summary.txt"
exit $failed
