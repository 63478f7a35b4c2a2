#include "tests/loadgen/report.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace weft::loadgen {
namespace {

using Json = nlohmann::json;

constexpr int kWidth = 50;

// "{s:{c}^{n}}" of Python: `title` centred in `fill`, kWidth wide.
std::string Banner(absl::string_view title, char fill) {
  const int pad = kWidth - static_cast<int>(title.size());
  if (pad <= 0) return std::string(title);
  const int left = pad / 2;
  return absl::StrCat(std::string(left, fill), title, std::string(pad - left, fill));
}

void Line(std::string* out, absl::string_view label, double value) {
  absl::StrAppendFormat(out, "%-40s %.2f\n", label, value);
}

void IntLine(std::string* out, absl::string_view label, int64_t value) {
  absl::StrAppendFormat(out, "%-40s %d\n", label, value);
}

void Section(std::string* out, absl::string_view title, absl::string_view name,
             const LatencySummary& s) {
  absl::StrAppend(out, Banner(title, '-'), "\n");
  Line(out, absl::StrCat("Mean ", name, " (ms):"), s.mean);
  Line(out, absl::StrCat("Median ", name, " (ms):"), s.median);
  Line(out, absl::StrCat("P90 ", name, " (ms):"), s.p90);
  Line(out, absl::StrCat("P99 ", name, " (ms):"), s.p99);
}

void AddSummary(Json* json, absl::string_view name, const LatencySummary& s) {
  (*json)[absl::StrCat("mean_", name, "_ms")] = s.mean;
  (*json)[absl::StrCat("median_", name, "_ms")] = s.median;
  (*json)[absl::StrCat("std_", name, "_ms")] = s.std;
  (*json)[absl::StrCat("p50_", name, "_ms")] = s.median;
  (*json)[absl::StrCat("p90_", name, "_ms")] = s.p90;
  (*json)[absl::StrCat("p99_", name, "_ms")] = s.p99;
}

Json OptionalNumber(const std::optional<double>& value) {
  return value.has_value() ? Json(*value) : Json(nullptr);
}

}  // namespace

std::string FormatReportTable(const BenchmarkMetrics& m, const RunInfo& info) {
  std::string out;
  absl::StrAppend(&out, Banner(" Serving Benchmark Result ", '='), "\n");
  absl::StrAppendFormat(&out, "%-40s %s\n", "Endpoint:", info.endpoint);
  absl::StrAppendFormat(&out, "%-40s %s\n", "Model:", info.model);
  if (std::isinf(info.request_rate)) {
    absl::StrAppendFormat(&out, "%-40s %s\n", "Request rate (req/s):", "inf");
  } else {
    Line(&out, "Request rate (req/s):", info.request_rate);
  }
  if (info.max_concurrency > 0) IntLine(&out, "Maximum request concurrency:", info.max_concurrency);
  IntLine(&out, "Successful requests:", m.completed);
  IntLine(&out, "Failed requests:", m.failed);
  Line(&out, "Benchmark duration (s):", m.duration_s);
  IntLine(&out, "Total input tokens:", m.total_input_tokens);
  IntLine(&out, "Total generated tokens:", m.total_output_tokens);
  Line(&out, "Request throughput (req/s):", m.request_throughput);
  if (m.request_goodput.has_value()) {
    Line(&out, "Request goodput (req/s):", *m.request_goodput);
    std::string targets;
    if (info.targets.ttft_ms) absl::StrAppend(&targets, "TTFT <= ", *info.targets.ttft_ms, " ms");
    if (info.targets.tpot_ms) {
      absl::StrAppend(&targets, targets.empty() ? "" : ", ", "TPOT <= ", *info.targets.tpot_ms,
                      " ms");
    }
    absl::StrAppendFormat(&out, "%-40s %.2f%% (%d/%d; %s)\n",
                          "Requests meeting SLOs:", 100.0 * m.goodput_fraction.value_or(0.0),
                          m.good_requests, m.num_requests, targets);
  }
  Line(&out, "Output token throughput (tok/s):", m.output_throughput);
  Line(&out, "Total Token throughput (tok/s):", m.total_token_throughput);
  Section(&out, "Time to First Token", "TTFT", m.ttft_ms);
  Section(&out, "Time per Output Token (excl. 1st token)", "TPOT", m.tpot_ms);
  Section(&out, "Inter-token Latency", "ITL", m.itl_ms);
  Section(&out, "End-to-end Latency", "E2EL", m.e2el_ms);
  absl::StrAppend(&out, std::string(kWidth, '='), "\n");
  if (!m.errors.empty()) {
    absl::StrAppend(&out, "Errors (", m.errors.size(), " distinct):\n");
    for (int i = 0; i < static_cast<int>(m.errors.size()) && i < info.max_errors_shown; ++i) {
      absl::StrAppendFormat(&out, "  %5d x %s\n", m.errors[i].count, m.errors[i].error);
    }
  }
  return out;
}

Json ReportJson(const BenchmarkMetrics& m, const RunInfo& info) {
  Json json = Json::object();
  json["endpoint"] = info.endpoint;
  json["model_id"] = info.model;
  json["num_prompts"] = m.num_requests;
  json["request_rate"] = std::isinf(info.request_rate) ? Json("inf") : Json(info.request_rate);
  json["max_concurrency"] = info.max_concurrency > 0 ? Json(info.max_concurrency) : Json(nullptr);
  json["duration"] = m.duration_s;
  json["completed"] = m.completed;
  json["failed"] = m.failed;
  json["total_input_tokens"] = m.total_input_tokens;
  json["total_sent_prompt_len"] = m.total_sent_prompt_len;
  json["total_output_tokens"] = m.total_output_tokens;
  json["request_throughput"] = m.request_throughput;
  json["request_goodput"] = OptionalNumber(m.request_goodput);
  json["goodput_fraction"] = OptionalNumber(m.goodput_fraction);
  json["good_requests"] = m.request_goodput.has_value() ? Json(m.good_requests) : Json(nullptr);
  json["goodput_ttft_ms"] = OptionalNumber(info.targets.ttft_ms);
  json["goodput_tpot_ms"] = OptionalNumber(info.targets.tpot_ms);
  json["output_throughput"] = m.output_throughput;
  json["total_token_throughput"] = m.total_token_throughput;
  AddSummary(&json, "ttft", m.ttft_ms);
  AddSummary(&json, "tpot", m.tpot_ms);
  AddSummary(&json, "itl", m.itl_ms);
  AddSummary(&json, "e2el", m.e2el_ms);
  Json errors = Json::array();
  for (const ErrorCount& e : m.errors) errors.push_back({{"error", e.error}, {"count", e.count}});
  json["errors"] = std::move(errors);
  return json;
}

absl::Status WriteReportJson(const std::string& path, const BenchmarkMetrics& metrics,
                             const RunInfo& info) {
  const std::string text =
      ReportJson(metrics, info).dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
  std::FILE* file = std::fopen(path.c_str(), "w");
  if (file == nullptr) {
    return absl::UnavailableError(absl::StrCat("cannot write ", path, ": ", std::strerror(errno)));
  }
  const bool written = std::fwrite(text.data(), 1, text.size(), file) == text.size();
  const bool closed = std::fclose(file) == 0;
  if (!written || !closed) return absl::DataLossError(absl::StrCat("writing ", path, " failed"));
  return absl::OkStatus();
}

}  // namespace weft::loadgen
