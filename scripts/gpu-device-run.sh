#!/usr/bin/env bash
# One call on the GPU machine does everything (its lease is short): unpack the
# binaries that scripts/build-gpu-binaries.sh packed, run every GPU test and
# benchmark, then the PyTorch peers, then compute-sanitizer on the operator
# tests, all under one deadline, logging to /tmp/weft-gpu-logs and packing the
# logs into $OUT/logs.tar.gz (the device tool returns at most 8 files).
#   (here)   scripts/build-gpu-binaries.sh
#   (there)  bash scripts/gpu-device-run.sh [SECONDS]     # run with carry gpu-bin.tar.xz
set -uo pipefail
cd "$(dirname "$0")/.."
budget="${1:-560}"
out="${OUT:-$PWD/gpu-out}"
logs=/tmp/weft-gpu-logs
rm -rf "$logs"
mkdir -p "$out" "$logs"
pack() { tar czf "$out/logs.tar.gz" -C /tmp weft-gpu-logs; }
trap pack EXIT
export WEFT_GPU_DEADLINE=$(($(date +%s) + budget))
# The services listen on loopback: record the interfaces and whether a
# socket binds 127.0.0.1:0 there (the machine has no `ip`; lo was up).
{ cat /proc/net/dev; python3 -c "import socket; s = socket.socket(); \
s.bind(('127.0.0.1', 0)); s.listen(); print('loopback listen ok', s.getsockname())"; } \
  >"$logs/network.txt" 2>&1
export NCCL_NVLS_ENABLE=0 TORCH_SYMM_MEM_DISABLE_MULTICAST=1 NVSHMEM_DISABLE_NVLS=1
left() { echo $((WEFT_GPU_DEADLINE - $(date +%s))); }

if [[ -f gpu-bin.tar.xz ]]; then
  rm -rf gpu-bin
  tar xJf gpu-bin.tar.xz 2>/dev/null || python3 -m tarfile -e gpu-bin.tar.xz . || exit 1
fi
git rev-parse HEAD >"$logs/commit.txt" 2>/dev/null || true
WEFT_GPU_TIMEOUT="${WEFT_GPU_TIMEOUT:-240}" bash gpu-bin/run-gpu-tests.sh --bench "$logs"
status=$?

# The whole-step bench again: INT8 weights, then bf16 with eager launches
# (the CUDA-graph gain) and without programmatic dependent launch.
step_bench=gpu-bin/common_engine_cuda_cuda_step_bench
step_variant() {  # log-name flags...
  local name=$1
  shift
  [[ -x $step_bench && $(left) -gt 150 ]] || return 0
  echo "=== cuda_step_bench $*"
  timeout $(($(left) - 90)) "$step_bench" "$@" >"$logs/cuda_step_bench_$name.log" 2>&1 || status=1
  cat "$logs/cuda_step_bench_$name.log"
}
step_variant int8 --precision=int8
step_variant eager --max_graph_tokens=0 --prefill_seqs=0 --contexts=512
step_variant no_pdl --pdl=false --prefill_seqs=0 --contexts=512

if [[ $(left) -gt 60 ]]; then
  echo "=== peers"
  timeout $(($(left) - 30)) python3 tests/bench/gpu_peers.py >"$logs/gpu_peers.log" 2>&1 || status=1
  cat "$logs/gpu_peers.log"
fi

# compute-sanitizer (works on the Firecracker machines, not under gVisor).
# racecheck skips cuBLAS-backed tests (its nvjet kernels synchronize shared
# memory through mbarriers, which racecheck reports as hazards inside
# cuBLAS) and the Qwen-sized grouped GEMMs (too slow under racecheck; the
# small shapes cover the same code).
sanitize() {  # tool test filter
  local tool=$1 t=$2 filter=$3
  [[ $(left) -gt 30 ]] || { echo "=== sanitizer $tool skipped for $t (deadline)"; return; }
  echo "=== compute-sanitizer --tool $tool $t ($filter)"
  LD_LIBRARY_PATH="$PWD/gpu-bin:/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}" \
    timeout $(($(left) - 20)) compute-sanitizer --tool "$tool" --error-exitcode 3 \
    "gpu-bin/kernels_cuda_$t" --gtest_color=no --gtest_filter="$filter" \
    >"$logs/sanitizer_${tool}_$t.log" 2>&1
  echo "rc=$? $(tail -n 3 "$logs/sanitizer_${tool}_$t.log" | tr '\n' ' ')"
}
for t in elementwise_ops_test paged_attention_test moe_ops_test sampling_test; do
  sanitize memcheck "$t" "${WEFT_SANITIZER_FILTER:-*}"
done
sanitize racecheck elementwise_ops_test "-GemmTest.*"
sanitize racecheck paged_attention_test "*"
sanitize racecheck sampling_test "*"
sanitize racecheck moe_ops_test "-*qwen*"
cat "$logs/summary.txt" 2>/dev/null
exit $status
