"""weft_proto_library: C++ (and gRPC) code generated from .proto files.

Runs Debian's `protoc` and `grpc_cpp_plugin` in a genrule (no download of
rules_proto), and wraps the generated code in a cc_library that links the
system Protobuf and gRPC. Generated headers are included by their proto path,
e.g. `#include "proto/router.grpc.pb.h"`.
"""

def weft_proto_library(name, srcs, deps = [], grpc = True, **kwargs):
    """Generates and compiles C++ code for `srcs`.

    Args:
      name: target name of the cc_library.
      srcs: .proto files of this package.
      deps: other weft_proto_library targets whose protos `srcs` import.
      grpc: also generate gRPC service stubs.
      **kwargs: forwarded to the cc_library.
    """
    native.filegroup(
        name = name + "_protos",
        srcs = srcs + [d + "_protos" for d in deps],
    )
    outs = []
    hdrs = []
    cc_srcs = []
    for src in srcs:
        stem = src[:-len(".proto")]
        hdrs.append(stem + ".pb.h")
        cc_srcs.append(stem + ".pb.cc")
        if grpc:
            hdrs.append(stem + ".grpc.pb.h")
            cc_srcs.append(stem + ".grpc.pb.cc")
    outs = hdrs + cc_srcs
    plugin = "--plugin=protoc-gen-grpc=/usr/bin/grpc_cpp_plugin --grpc_out=$(GENDIR)" if grpc else ""
    native.genrule(
        name = name + "_codegen",
        srcs = srcs + [name + "_protos"],
        outs = outs,
        cmd = ("command -v protoc >/dev/null || { echo 'protoc missing: install protobuf-compiler' >&2; exit 1; }; " +
               "protoc --proto_path=. --cpp_out=$(GENDIR) %s " % plugin +
               " ".join(["$(location %s)" % s for s in srcs])),
        message = "protoc %s" % native.package_name(),
    )
    native.cc_library(
        name = name,
        srcs = cc_srcs,
        hdrs = hdrs,
        deps = deps + ["@system//:grpcpp"],
        **kwargs
    )
