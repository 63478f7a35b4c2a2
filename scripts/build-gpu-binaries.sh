#!/usr/bin/env bash
# Builds every GPU test and benchmark (Bazel targets tagged "gpu") for the H200
# machine, which has no Bazel and no Debian -dev libraries, and stages them in
# gpu-bin/ together with scripts/run-gpu-tests.sh.
#
#   scripts/build-gpu-binaries.sh            # build, stage into gpu-bin/, pack gpu-bin.tar.xz
#   (on the GPU machine) tar xJf gpu-bin.tar.xz && gpu-bin/run-gpu-tests.sh [--bench] [LOG_DIR]
#
# The binaries link weft's code, GoogleTest, libgcc and the CUDA runtime
# statically (--config=cuda); they need glibc, the libstdc++.so.6 staged
# beside them (NCCL needs a shared libstdc++, so ours is shared too) and, where
# NCCL is used, a libnccl.so.2 (the GPU machine has one in Python's
# nvidia-nccl package); binaries that use cuBLAS link it dynamically and take
# it from the GPU machine's CUDA toolkit (or its nvidia-cublas package).
# A separate output base keeps the static-link toolchain set-up from
# invalidating the ordinary build's cache.
set -euo pipefail
cd "$(dirname "$0")/.."
# One output base per checkout, like Bazel's own default.
OUTPUT_BASE="${WEFT_GPU_OUTPUT_BASE:-$HOME/.cache/weft-gpu-bazel/$(pwd | md5sum | cut -c1-16)}"
bazel_gpu() { bazel --output_base="$OUTPUT_BASE" "$@"; }
# No bazel-* convenience links: they would point into the other output base.
export WEFT_NO_LINKS="--symlink_prefix=/"

# The packages, from git rather than //...: the bazel-<name> links of the
# ordinary output base would otherwise be walked into from this one.
mapfile -t packages < <(git ls-files '*BUILD' | grep -v '^third_party/' | xargs -n1 dirname |
  sed 's|^\.$||; s|^|//|; s|$|:all|')
query="attr(tags, '\\bgpu\\b', kind('cc_(test|binary)', set(${packages[*]})))"
mapfile -t targets < <(bazel_gpu query --noshow_progress "$query")
if [[ ${#targets[@]} -eq 0 ]]; then
  echo "no targets tagged gpu" >&2
  exit 1
fi
# The CPU-side services the GPU end-to-end test starts beside the -cuda ones.
targets+=(//router:weft-router //kvcache:weft-kvcache)
echo "building ${#targets[@]} GPU targets: ${targets[*]}"
bazel_gpu build --config=cuda $WEFT_NO_LINKS "${targets[@]}"

rm -rf gpu-bin
mkdir -p gpu-bin
bin_dir="$(bazel_gpu info --config=cuda bazel-bin 2>/dev/null)"
for t in "${targets[@]}"; do
  path="${t#//}"
  path="${path/://}"
  name="$(echo "${t#//}" | tr '/:' '__')"
  cp "$bin_dir/$path" "gpu-bin/$name"
  chmod u+w "gpu-bin/$name"
  strip --strip-all "gpu-bin/$name"
  # Libraries without a static archive (prometheus-cpp, Google Benchmark)
  # travel beside the binaries; glibc, NCCL and cuBLAS are on the GPU machine.
  # (grep finds nothing for fully static binaries: not an error.)
  ldd "gpu-bin/$name" | { grep -vE 'linux-vdso|ld-linux|lib(c|m|dl|rt|pthread)\.so|libnccl\.so|libcublas(Lt)?\.so|libstdc\+\+\.so|libgcc_s\.so' || true; } |
    awk '/=>/ {print $3}' | while read -r lib; do
    if [[ "$lib" == "not" || ! -f "$lib" ]]; then
      echo "gpu-bin/$name needs a library this machine lacks:" >&2
      ldd "gpu-bin/$name" >&2
      exit 1
    fi
    cp -Ln "$lib" gpu-bin/
  done
done
cp -L "$(g++ -print-file-name=libstdc++.so.6)" gpu-bin/libstdc++.so.6

# Thread-local storage of a binary and the libraries it loads at start-up is
# set aside on every thread's stack; civetweb (the metrics endpoint) starts
# threads with 100 KiB stacks, which fail to start above that (cuBLAS, ~110
# KiB of it, is therefore opened with dlopen: kernels/cuda/cublas_library.h).
# Fail here rather than on the GPU machine.
tls_bytes() {
  local sum=0 kind off va pa filesz memsz rest align
  while read -r kind off va pa filesz memsz rest; do
    [[ "$kind" == "TLS" ]] || continue
    align="${rest##* }"
    memsz=$((memsz))
    align=$((align))
    ((align > 1)) && memsz=$(((memsz + align - 1) / align * align))
    sum=$((sum + memsz))
  done < <(readelf -lW "$1" 2>/dev/null)
  echo "$sum"
}
# The services (the binaries that serve metrics).
for bin in gpu-bin/*_weft-*; do
  [[ -f "$bin" ]] || continue
  total="$(tls_bytes "$bin")"
  while read -r lib; do
    total=$((total + $(tls_bytes "$lib")))
  done < <(ldd "$bin" | awk '/=>/ && $3 ~ /^\// {print $3}')
  if ((total > 64 * 1024)); then
    echo "$bin: $total bytes of start-up thread-local storage (limit 65536); see kernels/cuda/cublas_library.h" >&2
    exit 1
  fi
done
cp scripts/run-gpu-tests.sh gpu-bin/
ls -la gpu-bin
du -sh gpu-bin
# What travels to the GPU machine (its carry limit is 64 MiB; the binaries
# are ~190 MB, ~30 MB compressed): unpack there with
#   tar xJf gpu-bin.tar.xz   (or python3 -m tarfile -e gpu-bin.tar.xz .)
tar cJf gpu-bin.tar.xz gpu-bin
ls -la gpu-bin.tar.xz
