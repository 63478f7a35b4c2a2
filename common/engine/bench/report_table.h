// The benchmark's human-readable table: one row per (model, precision) with
// size, prefill and decode throughput, decode step latency, peak memory, and
// the measured rates as fractions of this machine's ceilings:
//   prefill: achieved model GFLOP/s over the sgemm peak;
//   decode: achieved tokens/s over batch * bandwidth / bytes one step reads.
// Fixed-width columns, so rows can be printed as they arrive.
#ifndef WEFT_COMMON_ENGINE_BENCH_REPORT_TABLE_H_
#define WEFT_COMMON_ENGINE_BENCH_REPORT_TABLE_H_

#include <string>

#include "common/engine/bench/bench_row.h"

namespace weft::engine::bench {

struct Ceilings {
  double read_bytes_per_second = 0.0;   // 0: not measured
  double sgemm_flops_per_second = 0.0;  // 0: not measured
};

struct DerivedMetrics {
  double prefill_tokens_per_second = 0.0;
  double prefill_flops_per_second = 0.0;
  double prefill_fraction_of_sgemm = 0.0;  // 0 without the ceiling
  double decode_tokens_per_second = 0.0;
  double decode_ceiling_tokens_per_second = 0.0;  // 0 without the ceiling
  double decode_fraction_of_ceiling = 0.0;        // 0 without the ceiling
};

DerivedMetrics Derive(const BenchRow& row, const Ceilings& ceilings);

// The column headings (two lines and a rule, newline-terminated).
std::string TableHeader();

// One row (newline-terminated).
std::string TableRow(const BenchRow& row, const Ceilings& ceilings);

// A row for a (model, precision) whose run failed.
std::string FailedRow(const std::string& model, const std::string& precision,
                      const std::string& why);

// What the columns mean (newline-terminated).
std::string TableNotes();

}  // namespace weft::engine::bench

#endif  // WEFT_COMMON_ENGINE_BENCH_REPORT_TABLE_H_
