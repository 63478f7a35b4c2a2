// weft-engine-bench runs end to end on tiny-llama with a tiny workload (its
// child process included) and prints a table row of positive numbers. No
// performance value is asserted.
#include <sys/wait.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "common/testing/subprocess.h"
#include "gtest/gtest.h"

namespace weft::engine::bench {
namespace {

std::string g_binary;

TEST(EngineBenchSmoke, RunsTinyLlamaAndPrintsARow) {
  ASSERT_FALSE(g_binary.empty()) << "pass the binary's path as the first argument";
  const std::string log = std::string(getenv("TEST_TMPDIR")) + "/bench.log";
  auto bench = testutil::Subprocess::Start(
      {g_binary, "--models=tiny-llama", "--precision=float32", "--batch=2", "--prompt_len=8",
       "--prefill_chunk=4", "--decode_steps=4", "--threads=1", "--bandwidth_mib=8",
       "--sgemm_sizes=64"},
      log);
  ASSERT_TRUE(bench.ok()) << bench.status();
  auto status = (*bench)->Wait(absl::Seconds(50));
  ASSERT_TRUE(status.ok()) << status.status() << "\n" << (*bench)->Log();
  const std::string output = (*bench)->Log();
  ASSERT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << output;

  // model prec params weightsMiB load prefill-tok/s GFLOP/s of-sgemm decode-tok/s
  // p50 p99 ceiling of-ceiling peakMiB
  std::vector<std::string> row;
  for (absl::string_view line : absl::StrSplit(output, '\n')) {
    if (absl::StartsWith(line, "tiny-llama ")) {
      row = absl::StrSplit(line, ' ', absl::SkipEmpty());
    }
  }
  ASSERT_EQ(row.size(), 14u) << output;
  EXPECT_EQ(row[1], "float32");
  for (int column : {3, 5, 6, 8, 9, 10, 11, 13}) {
    double value = 0;
    ASSERT_TRUE(absl::SimpleAtod(row[column], &value)) << column << ": " << row[column];
    EXPECT_GT(value, 0) << "column " << column << " of\n" << output;
  }
}

}  // namespace
}  // namespace weft::engine::bench

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (argc > 1) weft::engine::bench::g_binary = argv[1];
  return RUN_ALL_TESTS();
}
