#!/usr/bin/env bash
# Installs the Debian 12 packages weft builds and tests with, if any is
# missing (apt-get needs root; it runs `apt-get update` only when something
# must be installed). Everything comes from Debian's registry: Bazel 4.2.3
# (bazel-bootstrap), gRPC, Protobuf, Abseil, prometheus-cpp, GoogleTest,
# Google Benchmark, clang, Prometheus (promtool and the server the monitoring
# test scrapes with), kubectl (kubernetes-client) and Node.js where none is
# installed. The CUDA 13 toolkit is not a Debian package; it is expected at
# /usr/local/cuda (see README.md). The Kubernetes manifest test's npm
# packages (k8s/tests/package-lock.json) go to WEFT_NODE_MODULES.
set -euo pipefail

packages=(
  bazel-bootstrap
  g++
  pkg-config
  git
  libgrpc++-dev
  protobuf-compiler-grpc
  protobuf-compiler
  libprotobuf-dev
  libabsl-dev
  prometheus-cpp-dev
  libgtest-dev
  libgmock-dev
  libbenchmark-dev
  nlohmann-json3-dev
  libre2-dev
  libssl-dev
  libopenblas-dev
  clang
  clang-format
  libclang-rt-14-dev
  python3
  prometheus
)
# Any kubectl and Node.js will do; Debian's only where there is none (their
# packages would collide with other distributions' kubectl and nodejs).
command -v kubectl >/dev/null || packages+=(kubernetes-client)
command -v node >/dev/null || packages+=(nodejs)
command -v npm >/dev/null || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [[ ${#missing[@]} -gt 0 ]]; then
  echo "installing: ${missing[*]}"
  sudo_cmd=()
  if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    --no-install-recommends "${missing[@]}" >/dev/null
fi

cuda="${WEFT_CUDA_PATH:-/usr/local/cuda}"
if [[ ! -x "$cuda/bin/nvcc" ]]; then
  echo "error: the CUDA 13 toolkit is required at $cuda (nvcc, cuBLAS, NCCL); it is not a" >&2
  echo "Debian package. Install NVIDIA's CUDA 13.0 toolkit there, or set WEFT_CUDA_PATH." >&2
  exit 1
fi

# The manifest test's schema validator (kubernetes-models) from npm, pinned by
# k8s/tests/package-lock.json, once per lock file.
repo="$(cd "$(dirname "$0")/.." && pwd)"
export WEFT_NODE_MODULES="${WEFT_NODE_MODULES:-$("$repo/scripts/node-modules-path.sh")}"
if [[ ! -f "$WEFT_NODE_MODULES/.installed" ]]; then
  prefix="$(dirname "$WEFT_NODE_MODULES")"
  mkdir -p "$prefix"
  cp "$repo/k8s/tests/package.json" "$repo/k8s/tests/package-lock.json" "$prefix/"
  echo "installing the manifest test's npm packages into $prefix"
  (cd "$prefix" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  touch "$WEFT_NODE_MODULES/.installed"
fi

