#include "common/engine/runtime/prefill_cost_model.h"

#include "gtest/gtest.h"

namespace weft::engine {
namespace {

TEST(PrefillCostModelTest, SeparatesOverheadFromPerTokenCost) {
  PrefillCostModel model;
  EXPECT_FALSE(model.fitted());
  // 5 ms per step + 0.1 ms per token; mostly tiny steps, as probes make.
  for (int i = 0; i < 50; ++i) model.Add(2, 0.005 + 2e-4);
  EXPECT_FALSE(model.fitted());  // one size: no fit
  model.Add(512, 0.005 + 512e-4);
  ASSERT_TRUE(model.fitted());
  EXPECT_NEAR(model.overhead_seconds(), 0.005, 1e-9);
  EXPECT_NEAR(model.seconds_per_token(), 1e-4, 1e-12);
}

TEST(PrefillCostModelTest, RecentStepsOutweighOldOnes) {
  PrefillCostModel model(0.9);
  for (int i = 0; i < 100; ++i) model.Add(i % 2 ? 100 : 10, (i % 2 ? 100 : 10) * 1e-3);
  EXPECT_NEAR(model.seconds_per_token(), 1e-3, 1e-9);
  // The machine gets twice as slow: the fit follows.
  for (int i = 0; i < 200; ++i) model.Add(i % 2 ? 100 : 10, (i % 2 ? 100 : 10) * 2e-3);
  EXPECT_NEAR(model.seconds_per_token(), 2e-3, 1e-6);
  EXPECT_NEAR(model.overhead_seconds(), 0, 1e-5);
}

TEST(PrefillCostModelTest, NeverNegativeOverhead) {
  PrefillCostModel model;
  model.Add(10, 0.0001);
  model.Add(100, 0.05);
  ASSERT_TRUE(model.fitted());
  EXPECT_GE(model.overhead_seconds(), 0);
  EXPECT_GT(model.seconds_per_token(), 0);
}

}  // namespace
}  // namespace weft::engine
