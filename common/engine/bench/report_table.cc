#include "common/engine/bench/report_table.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace weft::engine::bench {
namespace {

constexpr double kMiB = 1024.0 * 1024.0;

// Ratio or 0 when the denominator is not positive.
double Ratio(double a, double b) { return b > 0.0 ? a / b : 0.0; }

std::string Params(int64_t n) {
  const double m = static_cast<double>(n) / 1e6;
  return m < 10.0 ? absl::StrFormat("%.2fM", m) : absl::StrFormat("%.1fM", m);
}

std::string Percent(double fraction) {
  return fraction > 0.0 ? absl::StrFormat("%.1f%%", 100.0 * fraction) : std::string("-");
}

std::string Rate(double v) {
  if (v <= 0.0) return "-";
  return v < 100.0 ? absl::StrFormat("%.2f", v) : absl::StrFormat("%.0f", v);
}

// Column layout shared by the header and the rows.
constexpr char kFormat[] = "%-21s %-7s %8s %8s %6s %9s %8s %7s %9s %8s %8s %9s %7s %8s\n";

}  // namespace

DerivedMetrics Derive(const BenchRow& row, const Ceilings& ceilings) {
  DerivedMetrics d;
  d.prefill_tokens_per_second = Ratio(static_cast<double>(row.prefill_tokens), row.prefill_seconds);
  d.prefill_flops_per_second = Ratio(row.prefill_flops, row.prefill_seconds);
  d.prefill_fraction_of_sgemm = Ratio(d.prefill_flops_per_second, ceilings.sgemm_flops_per_second);
  d.decode_tokens_per_second = Ratio(static_cast<double>(row.decode_tokens), row.decode_seconds);
  if (ceilings.read_bytes_per_second > 0.0 && row.decode_bytes_per_step > 0.0) {
    d.decode_ceiling_tokens_per_second =
        row.batch * ceilings.read_bytes_per_second / row.decode_bytes_per_step;
  }
  d.decode_fraction_of_ceiling =
      Ratio(d.decode_tokens_per_second, d.decode_ceiling_tokens_per_second);
  return d;
}

std::string TableHeader() {
  std::string out;
  absl::StrAppendFormat(&out, kFormat, "", "", "", "weights", "load", "prefill", "prefill", "of",
                        "decode", "step p50", "step p99", "ceiling", "of", "peak RSS");
  absl::StrAppendFormat(&out, kFormat, "model", "prec", "params", "MiB", "s", "tok/s", "GFLOP/s",
                        "sgemm", "tok/s", "ms", "ms", "tok/s", "ceiling", "MiB");
  out += std::string(out.find('\n'), '-') + "\n";
  return out;
}

std::string TableRow(const BenchRow& row, const Ceilings& ceilings) {
  const DerivedMetrics d = Derive(row, ceilings);
  return absl::StrFormat(
      kFormat, row.model, row.precision, Params(row.parameters),
      absl::StrFormat("%.1f", row.weight_bytes / kMiB), absl::StrFormat("%.2f", row.load_seconds),
      Rate(d.prefill_tokens_per_second), absl::StrFormat("%.2f", d.prefill_flops_per_second / 1e9),
      Percent(d.prefill_fraction_of_sgemm), Rate(d.decode_tokens_per_second),
      absl::StrFormat("%.2f", row.decode_step_p50_s * 1e3),
      absl::StrFormat("%.2f", row.decode_step_p99_s * 1e3),
      Rate(d.decode_ceiling_tokens_per_second), Percent(d.decode_fraction_of_ceiling),
      absl::StrFormat("%.0f", row.peak_rss_bytes / kMiB));
}

std::string FailedRow(const std::string& model, const std::string& precision,
                      const std::string& why) {
  return absl::StrFormat("%-21s %-7s FAILED: %s\n", model, precision, why);
}

std::string TableNotes() {
  return R"(Columns:
  params, weights MiB  parameters run (no MTP layers); bytes held at the precision (int8: linear
                       weights as int8 + per-row scales; embeddings, LM head, routers, norms f32)
  load s               building the model (checkpoint read or random weights, + quantization)
  prefill tok/s        batch*prompt_len prompt tokens / summed time of the chunked-prefill steps
                       (the last step also samples each sequence's first token)
  prefill GFLOP/s      model FLOPs (2/MAC: matmuls with a token's top-k experts only, one LM-head
                       row per prompt, causal attention) / prefill time; "of sgemm": that over
                       the higher OpenBLAS sgemm peak measured above (int8 rows too)
  decode tok/s         batch*decode_steps / summed time of the decode steps (1 token/sequence/step)
  step p50/p99 ms      per decode step (all sequences); nearest rank, so p99 = max below 100 steps
  ceiling tok/s        batch * read bandwidth / bytes a decode step reads (all weights except
                       unused embedding rows and, for MoE, the expected untouched experts, plus
                       the KV cache) at the higher read bandwidth measured above; "of ceiling"
                       = decode tok/s over it. Models whose weights fit in cache can exceed 100%
  peak RSS MiB         VmHWM of a fresh process that loaded and ran only this row
A load average well above 0 means other processes shared the cores: every number is then low,
the ceilings included.
)";
}

}  // namespace weft::engine::bench
