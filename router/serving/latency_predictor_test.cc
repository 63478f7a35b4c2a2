#include "router/serving/latency_predictor.h"

#include "gtest/gtest.h"

namespace weft::router {
namespace {

weft::v1::LoadReport Decode(std::initializer_list<std::pair<double, double>> steps,
                            uint32_t running = 0) {
  weft::v1::LoadReport load;
  load.set_running_sequences(running);
  for (const auto& [batch, seconds] : steps) {
    weft::v1::DecodeStepTime* t = load.add_decode_step_times();
    t->set_batch_size(batch);
    t->set_seconds(seconds);
  }
  return load;
}

TEST(LatencyPredictorTest, TtftIsQueuedPlusUncachedTokensOverTheMeasuredRate) {
  weft::v1::LoadReport load;
  EXPECT_FALSE(PredictTtft(load, {}, 100).has_value());  // nothing measured
  load.set_prefill_tokens_per_second(1000);
  load.set_waiting_prompt_tokens(400);
  EXPECT_EQ(PredictTtft(load, {}, 100), absl::Milliseconds(500));
  // The router's own outstanding work counts when the report lags behind.
  EXPECT_EQ(PredictTtft(load, {.prefill_tokens = 900}, 100), absl::Seconds(1));
  // A fully cached prompt still computes a token.
  EXPECT_EQ(PredictTtft(load, {}, 0), absl::Milliseconds(401));
  // A fitted step cost takes precedence over the rate.
  load.set_prefill_step_overhead_seconds(0.010);
  load.set_prefill_seconds_per_token(0.0005);
  EXPECT_EQ(PredictTtft(load, {}, 100), absl::Milliseconds(260));
}

TEST(LatencyPredictorTest, StepTimeInterpolatesAndExtrapolatesOverBatchSize) {
  const weft::v1::LoadReport load = Decode({{8, 0.020}, {1, 0.010}, {16, 0.030}});
  EXPECT_DOUBLE_EQ(*StepSecondsAt(load, 1), 0.010);
  EXPECT_DOUBLE_EQ(*StepSecondsAt(load, 0.5), 0.010);  // never below the smallest measured
  EXPECT_NEAR(*StepSecondsAt(load, 4.5), 0.015, 1e-12);
  EXPECT_NEAR(*StepSecondsAt(load, 12), 0.025, 1e-12);
  // The least-squares slope of (1, 10), (8, 20), (16, 30) ms: 0.15 / 112.667 s.
  EXPECT_NEAR(*StepSecondsAt(load, 32), 0.030 + 16 * (0.15 / (338.0 / 3)), 1e-9);
  // One measured size: flat. None: the overall recent step time, or nothing.
  EXPECT_DOUBLE_EQ(*StepSecondsAt(Decode({{4, 0.02}}), 64), 0.02);
  weft::v1::LoadReport recent;
  EXPECT_FALSE(StepSecondsAt(recent, 1).has_value());
  recent.set_recent_step_seconds(0.05);
  EXPECT_DOUBLE_EQ(*StepSecondsAt(recent, 9), 0.05);
  // A falling last segment does not make larger batches faster.
  EXPECT_DOUBLE_EQ(*StepSecondsAt(Decode({{1, 0.03}, {2, 0.02}}), 10), 0.02);
}

TEST(LatencyPredictorTest, TpotIsTheStepTimeWithTheSequenceAdded) {
  const weft::v1::LoadReport load = Decode({{1, 0.010}, {9, 0.018}}, /*running=*/4);
  // 4 running + the new one = 5.
  EXPECT_EQ(PredictTpot(load, {}), absl::Milliseconds(14));
  // 8 routed here by this router (the report has not caught up) + 1 = 9.
  EXPECT_EQ(PredictTpot(load, {.sequences = 8}), absl::Milliseconds(18));
  EXPECT_FALSE(PredictTpot(weft::v1::LoadReport(), {}).has_value());
}

}  // namespace
}  // namespace weft::router
