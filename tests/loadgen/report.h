// The benchmark's report: a human-readable table laid out like vLLM's
// benchmark_serving.py result block, and the same numbers as JSON (vLLM's key
// names: "completed", "request_throughput", "mean_ttft_ms", "p99_itl_ms" ...).
#ifndef WEFT_TESTS_LOADGEN_REPORT_H_
#define WEFT_TESTS_LOADGEN_REPORT_H_

#include <string>

#include "absl/status/status.h"
#include "nlohmann/json.hpp"
#include "tests/loadgen/benchmark_metrics.h"

namespace weft::loadgen {

// How the run was configured, echoed in the report.
struct RunInfo {
  std::string endpoint;  // "/v1/completions"
  std::string model;
  double request_rate = 0.0;  // req/s; infinity: all at once
  int max_concurrency = 0;    // 0: unbounded
  GoodputTargets targets;
  int max_errors_shown = 5;  // distinct errors listed
};

std::string FormatReportTable(const BenchmarkMetrics& metrics, const RunInfo& info);

// Latencies in milliseconds; "request_rate" is the string "inf" for an
// infinite rate (JSON has no infinity); "max_concurrency", "request_goodput"
// and the goodput fields are null when not set.
nlohmann::json ReportJson(const BenchmarkMetrics& metrics, const RunInfo& info);

// Writes ReportJson (indented) to `path`.
absl::Status WriteReportJson(const std::string& path, const BenchmarkMetrics& metrics,
                             const RunInfo& info);

}  // namespace weft::loadgen

#endif  // WEFT_TESTS_LOADGEN_REPORT_H_
