// Percentiles against numpy's values, worked by hand: np.percentile's default
// (method="linear") takes rank (n - 1) * p / 100 and interpolates.
#include "tests/loadgen/latency_stats.h"

#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace weft::loadgen {
namespace {

using ::testing::DoubleNear;

TEST(PercentileTest, MatchesNumpyLinearInterpolation) {
  // np.percentile([1, 2, ..., 10], p)
  const std::vector<double> one_to_ten = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  EXPECT_DOUBLE_EQ(Percentile(one_to_ten, 0), 1.0);
  EXPECT_DOUBLE_EQ(Percentile(one_to_ten, 50), 5.5);      // rank 4.5
  EXPECT_DOUBLE_EQ(Percentile(one_to_ten, 90), 9.1);      // rank 8.1
  EXPECT_NEAR(Percentile(one_to_ten, 99), 9.91, 1e-12);   // rank 8.91
  EXPECT_DOUBLE_EQ(Percentile(one_to_ten, 37.5), 4.375);  // rank 3.375
  EXPECT_DOUBLE_EQ(Percentile(one_to_ten, 100), 10.0);

  // np.percentile([10, 20], [50, 90, 99]) == [15, 19, 19.9]
  const std::vector<double> two = {10, 20};
  EXPECT_DOUBLE_EQ(Percentile(two, 50), 15.0);
  EXPECT_DOUBLE_EQ(Percentile(two, 90), 19.0);
  EXPECT_NEAR(Percentile(two, 99), 19.9, 1e-12);

  EXPECT_DOUBLE_EQ(Percentile({7.0}, 99), 7.0);
}

TEST(SummarizeTest, UnsortedSamplesWithTies) {
  // a = [3, 1, 4, 1, 5, 9, 2, 6]; sorted [1, 1, 2, 3, 4, 5, 6, 9]
  // np.mean(a) = 3.875, np.std(a) = sqrt(52.875 / 8) = 2.5708704751503917
  // np.median(a) = 3.5, np.percentile(a, 90) = 6 + 0.3 * 3 = 6.9,
  // np.percentile(a, 99) = 6 + 0.93 * 3 = 8.79, np.percentile(a, 25) = 1.75
  const std::vector<double> a = {3, 1, 4, 1, 5, 9, 2, 6};
  const LatencySummary s = Summarize(a);
  EXPECT_EQ(s.count, 8);
  EXPECT_DOUBLE_EQ(s.mean, 3.875);
  EXPECT_THAT(s.std, DoubleNear(2.5708704751503917, 1e-12));
  EXPECT_DOUBLE_EQ(s.median, 3.5);
  EXPECT_THAT(s.p90, DoubleNear(6.9, 1e-12));
  EXPECT_THAT(s.p99, DoubleNear(8.79, 1e-12));

  std::vector<double> sorted = {1, 1, 2, 3, 4, 5, 6, 9};
  EXPECT_DOUBLE_EQ(Percentile(sorted, 25), 1.75);
}

TEST(SummarizeTest, OddCountMedianIsTheMiddleSample) {
  const LatencySummary s = Summarize({0.5, 0.1, 0.3});
  EXPECT_DOUBLE_EQ(s.median, 0.3);
  EXPECT_THAT(s.p90, DoubleNear(0.46, 1e-12));  // rank 1.8: 0.3 + 0.8 * 0.2
}

TEST(SummarizeTest, EmptyIsAllZero) {
  const LatencySummary s = Summarize({});
  EXPECT_EQ(s.count, 0);
  EXPECT_EQ(s.mean, 0.0);
  EXPECT_EQ(s.std, 0.0);
  EXPECT_EQ(s.median, 0.0);
  EXPECT_EQ(s.p90, 0.0);
  EXPECT_EQ(s.p99, 0.0);
}

TEST(SummarizeTest, OneSample) {
  const LatencySummary s = Summarize({42.0});
  EXPECT_EQ(s.count, 1);
  EXPECT_DOUBLE_EQ(s.mean, 42.0);
  EXPECT_DOUBLE_EQ(s.std, 0.0);
  EXPECT_DOUBLE_EQ(s.median, 42.0);
  EXPECT_DOUBLE_EQ(s.p99, 42.0);
}

}  // namespace
}  // namespace weft::loadgen
