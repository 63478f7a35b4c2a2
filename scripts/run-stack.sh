#!/usr/bin/env bash
# The main job: builds weft and runs the whole stack on this machine on the
# bundled tiny Qwen3-MoE model (CPU backend): weft-kvcache, weft-router, and
# any number of weft-prefill and weft-decode processes, which register with
# the router. Checks that every service answers its gRPC health check and
# serves /metrics, waits until the router's /ready (a real one-token
# generation through prefill and decode) succeeds, prints where to send
# requests, and keeps everything running until Ctrl-C, when each service
# drains and exits.
#   scripts/run-stack.sh                         # run until Ctrl-C
#   scripts/run-stack.sh --prefill=2 --decode=2  # more instances
#   scripts/run-stack.sh --check                 # start, check, one request, stop
# Configs: <service>/config/local.textproto. The router listens on fixed
# ports (OpenAI API 8080, internal 8081, gRPC 50051) and kvcache on 50054;
# prefill and decode instances take ephemeral ports (they register, so
# nothing needs to know them in advance). --check gives every listener an
# ephemeral port, so that it never collides with anything on the machine.
# Logs and generated configs: .cache/stack/
set -euo pipefail
cd "$(dirname "$0")/.."
mode=run
num_prefill=1
num_decode=1
for arg in "$@"; do
  case "$arg" in
    --check) mode=check ;;
    --prefill=*) num_prefill="${arg#*=}" ;;
    --decode=*) num_decode="${arg#*=}" ;;
    *) echo "usage: $0 [--check] [--prefill=N] [--decode=N]" >&2; exit 2 ;;
  esac
done
if ! [[ "$num_prefill" =~ ^[1-9][0-9]?$ && "$num_decode" =~ ^[1-9][0-9]?$ ]]; then
  echo "--prefill and --decode take a count from 1 to 99" >&2; exit 2
fi
scripts/install-deps.sh
# Serving runs optimised; the check shares the test build's cache.
build_flags=(--config=opt)
[[ "$mode" == check ]] && build_flags=()
bazel build "${build_flags[@]}" //router:weft-router //prefill:weft-prefill //decode:weft-decode \
  //kvcache:weft-kvcache //common/healthcheck:weft-healthcheck
bin="$(bazel info "${build_flags[@]}" bazel-bin 2>/dev/null)"
state=.cache/stack
mkdir -p "$state"
rm -f "$state"/*.ready "$state"/*.log "$state"/*.textproto

instances=()  # in start order: kvcache, router, prefill-0.., decode-0..
declare -A pids
stop_all() {
  local status=0 name
  # The front door first and alone: requests in flight finish through prefill
  # and decode while it drains; then the rest.
  for name in router "${instances[@]}"; do
    [[ "$name" == router && -n "${stopped_router:-}" ]] && continue
    if [[ -n "${pids[$name]:-}" ]] && kill -0 "${pids[$name]}" 2>/dev/null; then
      kill -TERM "${pids[$name]}"
    fi
    if [[ "$name" == router ]]; then
      stopped_router=1
      if [[ -n "${pids[router]:-}" ]]; then
        if wait "${pids[router]}"; then echo "weft-router stopped cleanly"; else
          echo "weft-router exited with status $?" >&2; status=1; fi
      fi
    fi
  done
  for name in "${instances[@]}"; do
    [[ "$name" == router ]] && continue
    if wait "${pids[$name]}"; then echo "weft-$name stopped cleanly"; else
      echo "weft-$name exited with status $?" >&2; status=1; fi
  done
  return $status
}
trap 'stop_all || true; exit 130' INT TERM

# Writes the config of instance $1 (service $2) from the service's local
# config: ports are made ephemeral where asked ($3 = 1), and the addresses
# of the router and kvcache are the ones actually bound.
write_config() {
  local name="$1" service="$2" ephemeral="$3" out="$state/$1.textproto"
  local src="$service/config/local.textproto"
  if [[ "$ephemeral" == 1 ]]; then
    sed -E 's/^(\s*(grpc|metrics|http|internal_http)_address: "[^"]*:)[0-9]+"/\10"/' "$src" >"$out"
  else
    cp "$src" "$out"
  fi
  if [[ -n "${router_grpc:-}" ]]; then
    sed -i -E "s/^(\s*router_address: \"[^\"]*:)[0-9]+\"/\1$router_grpc\"/" "$out"
  fi
  if [[ -n "${kvcache_grpc:-}" ]]; then
    sed -i -E "s/^(\s*kvcache_address: \"[^\"]*:)[0-9]+\"/\1$kvcache_grpc\"/" "$out"
  fi
  echo "$out"
}

# Starts instance $1 of service $2 and waits for its ready file.
launch() {
  local name="$1" service="$2" config="$3"
  instances+=("$name")
  # Own session: a Ctrl-C at the terminal reaches only this script, which
  # then sends each service one SIGTERM (a second signal would skip the drain).
  setsid "$bin/$service/weft-$service" --config="$config" --ready_file="$state/$name.ready" \
    >"$state/$name.log" 2>&1 &
  pids[$name]=$!
  for _ in $(seq 1 300); do
    [[ -f "$state/$name.ready" ]] && return 0
    kill -0 "${pids[$name]}" 2>/dev/null || break
    sleep 0.1
  done
  echo "weft-$name did not start; its log:" >&2
  cat "$state/$name.log" >&2
  return 1
}

ready_port() { sed -n "s/^$2: //p" "$state/$1.ready"; }

# One HTTP request over bash's /dev/tcp: $1 port, $2 method, $3 path, $4 body.
http() {
  local port="$1" method="$2" path="$3" body="${4:-}"
  exec 3<>"/dev/tcp/127.0.0.1/$port" || return 1
  printf '%s %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s' \
    "$method" "$path" "${#body}" "$body" >&3
  timeout 60 cat <&3
  exec 3>&-
}

ephemeral=0
[[ "$mode" == check ]] && ephemeral=1
failed=0
launch kvcache kvcache "$(write_config kvcache kvcache $ephemeral)" || failed=1
if [[ $failed -eq 0 ]]; then
  kvcache_grpc=$(ready_port kvcache grpc_port)
  launch router router "$(write_config router router $ephemeral)" || failed=1
fi
if [[ $failed -eq 0 ]]; then
  router_grpc=$(ready_port router grpc_port)
  for ((i = 0; i < num_prefill; i++)); do
    launch "prefill-$i" prefill "$(write_config "prefill-$i" prefill 1)" || failed=1
  done
  for ((i = 0; i < num_decode; i++)); do
    launch "decode-$i" decode "$(write_config "decode-$i" decode 1)" || failed=1
  done
fi

if [[ $failed -eq 0 ]]; then
  for name in "${instances[@]}"; do
    "$bin/common/healthcheck/weft-healthcheck" \
      --address="127.0.0.1:$(ready_port "$name" grpc_port)" --wait_ms=5000 || failed=1
    metrics_port=$(ready_port "$name" metrics_port)
    if http "$metrics_port" GET /metrics | grep -q "weft_serving{service=\"${name%%-*}\"} 1"; then
      echo "weft-$name metrics: http://127.0.0.1:$metrics_port/metrics (serving)"
    else
      echo "weft-$name /metrics does not report serving" >&2; failed=1
    fi
  done
fi

if [[ $failed -eq 0 ]]; then
  api_port=$(ready_port router http_port)
  internal_port=$(ready_port router internal_http_port)
  # Instances register within a heartbeat; /ready runs a real generation.
  ready=0
  for _ in $(seq 1 120); do
    if http "$internal_port" GET /ready | head -1 | grep -q " 200 "; then ready=1; break; fi
    sleep 0.5
  done
  if [[ $ready -ne 1 ]]; then
    echo "the router's /ready did not succeed within 60 s:" >&2
    http "$internal_port" GET /ready >&2 || true
    failed=1
  fi
fi

if [[ $failed -eq 0 && "$mode" == check ]]; then
  answer=$(http "$api_port" POST /v1/completions \
    '{"model": "tiny-qwen3-moe", "prompt": "Hello", "max_tokens": 8, "temperature": 0}')
  if grep -q '"finish_reason"' <<<"$answer"; then
    echo "a completion went through router, prefill and decode"
  else
    echo "the completion failed:" >&2; echo "$answer" >&2; failed=1
  fi
fi

if [[ $failed -ne 0 || "$mode" == check ]]; then
  stop_all || failed=1
  if [[ $failed -ne 0 ]]; then echo "stack check FAILED (logs in $state/)" >&2; exit 1; fi
  echo "stack check passed: ${#instances[@]} services served health and metrics, answered a" \
    "completion and drained on SIGTERM"
  exit 0
fi
cat <<EOF

weft is up: $num_prefill prefill and $num_decode decode instance(s), kvcache and the router.
  OpenAI API:  http://127.0.0.1:$api_port/v1   (model "tiny-qwen3-moe")
  internal:    http://127.0.0.1:$internal_port/health  /ready  /metrics
Try, from another terminal:
  curl http://127.0.0.1:$api_port/v1/chat/completions -H 'Content-Type: application/json' \\
    -d '{"model": "tiny-qwen3-moe", "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 16, "stream": true}'
Ctrl-C stops everything. Logs in $state/.
EOF
wait
