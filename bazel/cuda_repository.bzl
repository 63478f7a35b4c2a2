"""@local_cuda: the CUDA toolkit installed at /usr/local/cuda, as Bazel targets.

Exposes the headers, the static CUDA runtime, cuBLAS/cuBLASLt and NCCL, and
the `nvcc` driver used by //bazel:cuda.bzl. No download: the toolkit must be
installed on the machine (it is on every machine of this project).
"""

def _cuda_repository_impl(ctx):
    root = ctx.os.environ.get("WEFT_CUDA_PATH", "/usr/local/cuda")
    nvcc = ctx.path(root + "/bin/nvcc")
    if not nvcc.exists:
        fail("CUDA toolkit not found: %s does not exist (set WEFT_CUDA_PATH or install CUDA 13 at /usr/local/cuda)" % nvcc)
    for sub in ["bin", "include", "lib64"]:
        ctx.symlink(root + "/" + sub, sub)

    # NCCL ships in the toolkit's lib/ (not lib64/) on these machines.
    nccl_lib = None
    for candidate in [root + "/lib/libnccl.so", root + "/lib64/libnccl.so", "/usr/lib/x86_64-linux-gnu/libnccl.so"]:
        if ctx.path(candidate).exists:
            nccl_lib = candidate
            break
    if nccl_lib == None:
        fail("libnccl.so not found under %s/lib, %s/lib64 or /usr/lib/x86_64-linux-gnu" % (root, root))
    ctx.symlink(nccl_lib, "nccl/libnccl.so")

    ctx.file("WORKSPACE", 'workspace(name = "%s")\n' % ctx.name)
    ctx.file("config.bzl", 'CUDA_ROOT = "%s"\nNVCC = "%s"\n' % (root, nvcc))
    ctx.file("BUILD", """
package(default_visibility = ["//visibility:public"])

exports_files(["config.bzl"])

cc_library(
    name = "headers",
    hdrs = glob(["include/**"]),
    includes = ["include"],
)

# The static CUDA runtime: binaries built with it run on a GPU machine that has
# the driver but no toolkit.
cc_library(
    name = "cudart_static",
    srcs = ["lib64/libcudart_static.a"],
    linkopts = ["-ldl", "-lpthread", "-lrt"],
    deps = [":headers"],
)

cc_library(
    name = "cublas",
    srcs = ["lib64/libcublas.so", "lib64/libcublasLt.so"],
    deps = [":headers", ":cudart_static"],
)

cc_library(
    name = "cublaslt",
    srcs = ["lib64/libcublasLt.so"],
    deps = [":headers", ":cudart_static"],
)

# NCCL is linked dynamically (there is no static NCCL); on the GPU machine
# scripts/run-gpu-tests.sh points LD_LIBRARY_PATH at a libnccl.so.2.
cc_library(
    name = "nccl",
    srcs = ["nccl/libnccl.so"],
    deps = [":headers", ":cudart_static"],
)
""")

cuda_repository = repository_rule(
    implementation = _cuda_repository_impl,
    environ = ["WEFT_CUDA_PATH"],
    local = True,
)
