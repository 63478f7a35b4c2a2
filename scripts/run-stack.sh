#!/usr/bin/env bash
# The main job: builds weft and runs the whole stack on this machine — the
# four services (router, prefill, decode, kvcache) on localhost — checks that
# each answers its gRPC health check and serves /metrics, then keeps them
# running until Ctrl-C, when each drains and exits.
#   scripts/run-stack.sh           # run until Ctrl-C
#   scripts/run-stack.sh --check   # start, check, stop (exit status says if all was well)
# Configs: <service>/config/local.textproto (fixed ports 50051-50054, metrics
# 9464-9467); --check uses the same configs with every port 0, so that it
# never collides with anything else on the machine. Logs: .cache/stack/<service>.log
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-run}"
scripts/install-deps.sh
bazel build //router:weft-router //prefill:weft-prefill //decode:weft-decode \
  //kvcache:weft-kvcache //common/healthcheck:weft-healthcheck
bin="$(bazel info bazel-bin 2>/dev/null)"
state=.cache/stack
mkdir -p "$state"

services=(router prefill decode kvcache)
declare -A pids
stop_all() {
  for s in "${services[@]}"; do
    if [[ -n "${pids[$s]:-}" ]] && kill -0 "${pids[$s]}" 2>/dev/null; then
      kill -TERM "${pids[$s]}"
    fi
  done
  status=0
  for s in "${services[@]}"; do
    if [[ -n "${pids[$s]:-}" ]]; then
      if wait "${pids[$s]}"; then echo "weft-$s stopped cleanly"; else
        echo "weft-$s exited with status $?" >&2; status=1; fi
    fi
  done
  return $status
}
trap 'stop_all || true; exit 130' INT TERM

for s in "${services[@]}"; do
  rm -f "$state/$s.ready"
  config="$s/config/local.textproto"
  if [[ "$mode" == "--check" ]]; then
    sed -E 's/(_address: "[^"]*:)[0-9]+"/\10"/' "$config" >"$state/$s.textproto"
    config="$state/$s.textproto"
  fi
  # Own session: a Ctrl-C at the terminal reaches only this script, which
  # then sends each service one SIGTERM (a second signal would skip the drain).
  setsid "$bin/$s/weft-$s" --config="$config" --ready_file="$state/$s.ready" \
    >"$state/$s.log" 2>&1 &
  pids[$s]=$!
done

failed=0
for s in "${services[@]}"; do
  for _ in $(seq 1 100); do
    [[ -f "$state/$s.ready" ]] && break
    if ! kill -0 "${pids[$s]}" 2>/dev/null; then break; fi
    sleep 0.1
  done
  if [[ ! -f "$state/$s.ready" ]]; then
    echo "weft-$s did not start; its log:" >&2
    cat "$state/$s.log" >&2
    failed=1
    continue
  fi
  grpc_port=$(sed -n 's/^grpc_port: //p' "$state/$s.ready")
  metrics_port=$(sed -n 's/^metrics_port: //p' "$state/$s.ready")
  "$bin/common/healthcheck/weft-healthcheck" --address="127.0.0.1:$grpc_port" --wait_ms=5000 || failed=1
  if exec 3<>"/dev/tcp/127.0.0.1/$metrics_port"; then
    printf 'GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' >&3
    if grep -q "weft_serving{service=\"$s\"} 1" <&3; then
      echo "weft-$s metrics: http://127.0.0.1:$metrics_port/metrics (serving)"
    else
      echo "weft-$s /metrics does not report serving" >&2; failed=1
    fi
    exec 3>&-
  else
    failed=1
  fi
done

if [[ $failed -ne 0 || "$mode" == "--check" ]]; then
  stop_all || failed=1
  if [[ $failed -ne 0 ]]; then echo "stack check FAILED" >&2; exit 1; fi
  echo "stack check passed: 4 services served health and metrics and drained on SIGTERM"
  exit 0
fi
echo "weft stack is up (Ctrl-C to stop). Logs in $state/."
wait
