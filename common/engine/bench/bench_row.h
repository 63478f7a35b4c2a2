// One benchmark result: a model at a precision, its size, the measured
// prefill and decode phases, the analytic work they did and the process's
// memory. A child process measures one row and prints it as a single line,
// "WEFT_BENCH_ROW <json>", for the parent that runs the models to collect.
#ifndef WEFT_COMMON_ENGINE_BENCH_BENCH_ROW_H_
#define WEFT_COMMON_ENGINE_BENCH_BENCH_ROW_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace weft::engine::bench {

struct BenchRow {
  std::string model;
  std::string precision;  // "float32" or "int8"
  int64_t parameters = 0;
  int64_t weight_bytes = 0;
  double load_seconds = 0.0;
  int blas_threads = 0;
  // Workload.
  int batch = 0;
  int prompt_len = 0;
  int decode_steps = 0;
  // Prefill phase.
  int64_t prefill_tokens = 0;
  double prefill_seconds = 0.0;
  double prefill_flops = 0.0;  // model FLOPs (model_cost.h)
  // Decode phase.
  int64_t decode_tokens = 0;
  double decode_seconds = 0.0;
  double decode_step_mean_s = 0.0;
  double decode_step_p50_s = 0.0;
  double decode_step_p99_s = 0.0;
  double decode_bytes_per_step = 0.0;  // mean over the steps (model_cost.h)
  // Memory (peak_memory.h).
  int64_t peak_rss_bytes = 0;        // VmHWM of the process that ran the row
  int64_t rss_after_load_bytes = 0;  // VmRSS once the model was built
  int64_t ru_maxrss_bytes = 0;
};

inline constexpr absl::string_view kRowPrefix = "WEFT_BENCH_ROW ";

// "WEFT_BENCH_ROW {...}" (no newline).
std::string EncodeRowLine(const BenchRow& row);

// Finds the first line of `output` that starts with kRowPrefix and parses
// it. NotFound if there is none, InvalidArgument if it does not parse.
absl::StatusOr<BenchRow> FindRowLine(absl::string_view output);

}  // namespace weft::engine::bench

#endif  // WEFT_COMMON_ENGINE_BENCH_BENCH_ROW_H_
