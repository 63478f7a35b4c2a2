"""cuda_library: compiles .cu files with nvcc for Hopper into a cc_library.

Each .cu becomes one object compiled by /usr/local/cuda/bin/nvcc for
sm_90a (wgmma and setmaxnreg need the `a` target) with compute_90a PTX
embedded as well. The objects are wrapped in an ordinary cc_library, so C++
targets depend on CUDA code like on any other library, and it links against
the static CUDA runtime. This builds on machines without a GPU.
"""

load("@local_cuda//:config.bzl", "CUDA_ROOT", "NVCC")

CUDA_GENCODE = [
    "-gencode=arch=compute_90a,code=sm_90a",
    "-gencode=arch=compute_90a,code=compute_90a",
]

CUDA_COPTS = [
    "-std=c++20",
    "-O3",
    "--expt-relaxed-constexpr",
    "-Xcompiler=-fPIC",
    "-Xcompiler=-Wall",
    "-Werror=all-warnings",
]

def cuda_library(name, srcs, hdrs = [], textual_hdrs = [], deps = [], nvcc_flags = [], **kwargs):
    """A cc_library made of CUDA sources.

    Args:
      name: target name.
      srcs: .cu files (and .cuh files private to them).
      hdrs: host-facing headers (plain C++, includable from .cc files).
      textual_hdrs: device headers (.cuh) of this library or its deps needed to compile srcs.
      deps: cc_library deps (their headers are visible to the host side only).
      nvcc_flags: extra flags for nvcc.
      **kwargs: forwarded to the cc_library (tags, visibility, ...).
    """
    objs = []
    cu_srcs = [s for s in srcs if s.endswith(".cu")]
    private_hdrs = [s for s in srcs if not s.endswith(".cu")]
    for src in cu_srcs:
        stem = src[:-len(".cu")].replace("/", "_")
        obj = "_cuda_objs/%s/%s.o" % (name, stem)
        pic_obj = "_cuda_objs/%s/%s.pic.o" % (name, stem)
        native.genrule(
            name = "%s_%s_nvcc" % (name, stem),
            srcs = [src] + hdrs + textual_hdrs + private_hdrs,
            outs = [obj, pic_obj],
            cmd = " ".join([
                NVCC,
                "-c $(location %s)" % src,
                "-o $(location %s)" % obj,
                "-I.",
                "-I$(GENDIR)",
                "-isystem %s/include" % CUDA_ROOT,
            ] + CUDA_GENCODE + CUDA_COPTS + nvcc_flags) +
                  " && cp $(location %s) $(location %s)" % (obj, pic_obj),
            message = "nvcc %s" % src,
            tags = kwargs.get("tags", []),
        )
        objs += [obj, pic_obj]
    native.cc_library(
        name = name,
        srcs = objs,
        hdrs = hdrs,
        deps = deps + ["@local_cuda//:headers", "@local_cuda//:cudart_static"],
        linkstatic = True,
        **kwargs
    )
