"""The Debian system libraries weft builds against, as @system//:<name>."""

load("//bazel:pkg_config.bzl", "pkg_config_repository")

def weft_system_libraries():
    pkg_config_repository(
        name = "system",
        libraries = {
            "grpcpp": {"modules": ["grpc++", "protobuf"], "debian_package": "libgrpc++-dev"},
            # libgrpc++_reflection ships no .pc file; it sits beside libgrpc++.
            "grpcpp_reflection": {
                "modules": ["grpc++", "protobuf"],
                "debian_package": "libgrpc++-dev",
                "extra_linkopts": ["-lgrpc++_reflection"],
            },
            "protobuf": {"modules": ["protobuf"], "debian_package": "libprotobuf-dev"},
            "absl_base": {"modules": ["absl_base"], "debian_package": "libabsl-dev"},
            "absl_status": {"modules": ["absl_status", "absl_statusor"], "debian_package": "libabsl-dev"},
            "absl_strings": {"modules": ["absl_strings", "absl_str_format"], "debian_package": "libabsl-dev"},
            "absl_synchronization": {"modules": ["absl_synchronization"], "debian_package": "libabsl-dev"},
            "absl_time": {"modules": ["absl_time"], "debian_package": "libabsl-dev"},
            "absl_flags": {"modules": ["absl_flags", "absl_flags_parse", "absl_flags_usage"], "debian_package": "libabsl-dev"},
            "absl_containers": {"modules": ["absl_flat_hash_map", "absl_flat_hash_set"], "debian_package": "libabsl-dev"},
            "prometheus_core": {"modules": ["prometheus-cpp-core"], "debian_package": "prometheus-cpp-dev"},
            # civetweb (prometheus-cpp's HTTP server) ships no .pc file; the
            # metrics server uses its C++ callbacks to report why it failed.
            "prometheus_pull": {
                "modules": ["prometheus-cpp-pull"],
                "debian_package": "prometheus-cpp-dev",
                "extra_linkopts": ["-lcivetweb-cpp"],
            },
            "gtest": {"modules": ["gtest"], "debian_package": "libgtest-dev"},
            "gtest_main": {"modules": ["gtest_main"], "debian_package": "libgtest-dev"},
            "gmock": {"modules": ["gmock", "gtest_main"], "debian_package": "libgmock-dev"},
            # Header-only JSON (config.json, tokenizer.json, safetensors headers).
            "nlohmann_json": {"modules": ["nlohmann_json"], "debian_package": "nlohmann-json3-dev"},
            # SHA-256 for content hashes of KV blocks.
            "crypto": {"modules": ["libcrypto"], "debian_package": "libssl-dev"},
            # BLAS for the CPU backend's matrix products.
            "openblas": {"modules": ["openblas"], "debian_package": "libopenblas-dev"},
            "re2": {"modules": ["re2"], "debian_package": "libre2-dev"},
            "benchmark": {"modules": ["benchmark"], "debian_package": "libbenchmark-dev", "extra_linkopts": ["-lpthread"]},
        },
    )
