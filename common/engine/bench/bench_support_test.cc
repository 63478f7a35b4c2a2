// The small pieces around the benchmark: result lines round-trip, latency
// percentiles are nearest-rank, /proc/self/status parses.
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/engine/bench/bench_row.h"
#include "common/engine/bench/latency_stats.h"
#include "common/engine/bench/peak_memory.h"
#include "gtest/gtest.h"

namespace weft::engine::bench {
namespace {

TEST(BenchRow, RoundTripsThroughItsLine) {
  BenchRow row;
  row.model = "tiny-llama";
  row.precision = "int8";
  row.parameters = 301507584;
  row.weight_bytes = 1 << 30;
  row.prefill_seconds = 0.25;
  row.decode_step_p99_s = 1.5e-3;
  row.peak_rss_bytes = int64_t{3} << 30;
  const std::string output = "noise\n" + EncodeRowLine(row) + "\nmore noise\n";
  auto parsed = FindRowLine(output);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->model, "tiny-llama");
  EXPECT_EQ(parsed->precision, "int8");
  EXPECT_EQ(parsed->parameters, 301507584);
  EXPECT_EQ(parsed->weight_bytes, 1 << 30);
  EXPECT_DOUBLE_EQ(parsed->prefill_seconds, 0.25);
  EXPECT_DOUBLE_EQ(parsed->decode_step_p99_s, 1.5e-3);
  EXPECT_EQ(parsed->peak_rss_bytes, int64_t{3} << 30);
}

TEST(BenchRow, MissingOrBrokenLinesAreErrors) {
  EXPECT_EQ(FindRowLine("nothing here\n").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(FindRowLine("WEFT_BENCH_ROW {not json").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FindRowLine(R"(WEFT_BENCH_ROW {"model": "x"})").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(LatencyStats, NearestRank) {
  EXPECT_EQ(Summarize({}).count, 0);
  std::vector<double> samples;
  for (int i = 100; i >= 1; --i) samples.push_back(i);
  const LatencyStats s = Summarize(samples);
  EXPECT_EQ(s.count, 100);
  EXPECT_DOUBLE_EQ(s.mean, 50.5);
  EXPECT_DOUBLE_EQ(s.p50, 50);
  EXPECT_DOUBLE_EQ(s.p99, 99);
  EXPECT_DOUBLE_EQ(s.max, 100);
  // Below 100 samples p99 is the maximum.
  EXPECT_DOUBLE_EQ(Summarize({3, 1, 2}).p99, 3);
  EXPECT_DOUBLE_EQ(Summarize({3, 1, 2}).p50, 2);
}

TEST(PeakMemory, ParsesProcStatus) {
  MemoryUsage usage;
  ParseProcStatus("Name:\tx\nVmPeak:\t  9000 kB\nVmHWM:\t    2048 kB\nVmRSS:\t 1024 kB\n", &usage);
  EXPECT_EQ(usage.vm_hwm_bytes, 2048 * 1024);
  EXPECT_EQ(usage.vm_rss_bytes, 1024 * 1024);
  const MemoryUsage self = ReadMemoryUsage();
  EXPECT_GT(self.vm_hwm_bytes, 0);
  EXPECT_GE(self.vm_hwm_bytes, self.vm_rss_bytes);
  EXPECT_GT(self.ru_maxrss_bytes, 0);
}

}  // namespace
}  // namespace weft::engine::bench
