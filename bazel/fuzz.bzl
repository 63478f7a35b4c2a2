"""weft_fuzz_test: a fuzz target whose seed corpus also runs as a normal test.

  weft_fuzz_test(name = "x_fuzz_test", srcs = ["x_fuzz.cc"], corpus = glob([...]), deps = [...])

declares
  :x_fuzz_test         cc_test: runs LLVMFuzzerTestOneInput on every corpus file
                       (any compiler; part of `bazel test //...`);
  :x_fuzz_test_fuzzer  the libFuzzer binary (tagged manual), built with
                       `bazel build --config=fuzz //pkg:x_fuzz_test_fuzzer`
                       and run as `bazel-bin/pkg/x_fuzz_test_fuzzer pkg/testdata/...`.
"""

def weft_fuzz_test(name, srcs, corpus, deps = [], **kwargs):
    native.cc_library(
        name = name + "_target",
        srcs = srcs,
        deps = deps,
        testonly = True,
        alwayslink = True,
    )
    native.cc_test(
        name = name,
        data = corpus,
        args = ["$(location %s)" % c for c in corpus],
        deps = [
            name + "_target",
            "//common/testing:fuzz_corpus_main",
        ],
        **kwargs
    )
    native.cc_binary(
        name = name + "_fuzzer",
        testonly = True,
        linkopts = ["-fsanitize=fuzzer"],
        deps = [name + "_target"],
        tags = ["manual", "fuzzer"],
    )
