#include "router/serving/instance_picker.h"

#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace weft::router {
namespace {

using ::testing::HasSubstr;

constexpr char kModel[] = "m";

class InstancePickerTest : public ::testing::Test {
 protected:
  void Add(const std::string& id, weft::v1::InstanceRole role, const weft::v1::LoadReport& load) {
    weft::v1::InstanceDescriptor d;
    d.set_instance_id(id);
    d.set_role(role);
    d.set_grpc_address("127.0.0.1:1");
    d.set_model(kModel);
    d.set_kv_block_size_tokens(16);
    ASSERT_TRUE(registry_.Register(d, absl::Now()).ok());
    ASSERT_TRUE(registry_.Heartbeat(id, load, absl::Now()).ok());
  }
  void Prefill(const std::string& id, double rate, uint64_t waiting_tokens) {
    weft::v1::LoadReport load;
    load.set_prefill_tokens_per_second(rate);
    load.set_waiting_prompt_tokens(waiting_tokens);
    Add(id, weft::v1::INSTANCE_ROLE_PREFILL, load);
  }
  void Decode(const std::string& id, uint32_t running, double step_at_1, double step_at_64,
              uint64_t blocks_used = 0) {
    weft::v1::LoadReport load;
    load.set_running_sequences(running);
    load.set_kv_blocks_total(1000);
    load.set_kv_blocks_used(blocks_used);
    if (step_at_1 > 0) {
      auto* a = load.add_decode_step_times();
      a->set_batch_size(1);
      a->set_seconds(step_at_1);
      auto* b = load.add_decode_step_times();
      b->set_batch_size(64);
      b->set_seconds(step_at_64);
    }
    Add(id, weft::v1::INSTANCE_ROLE_DECODE, load);
  }
  absl::StatusOr<RouteDecision> Pick(const std::vector<uint32_t>& prompt, SloTargets slo = {},
                                     SloRejection* rejection = nullptr) {
    return picker_.Pick({.model = kModel, .tenant = "t", .prompt = prompt, .slo = slo}, rejection);
  }

  InstanceRegistry registry_{{}};
  OutstandingWork work_;
  PrefixIndex prefixes_{1000};
  InstancePicker picker_{registry_, work_, &prefixes_};
};

std::vector<uint32_t> Prompt(int n, uint32_t first = 1) {
  std::vector<uint32_t> p(n);
  for (int i = 0; i < n; ++i) p[i] = first + i;
  return p;
}

TEST_F(InstancePickerTest, NoInstanceIsUnavailable) {
  EXPECT_EQ(Pick(Prompt(4)).status().code(), absl::StatusCode::kUnavailable);
  Prefill("p0", 1000, 0);
  const absl::Status s = Pick(Prompt(4)).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(s.message(), HasSubstr("decode"));
}

TEST_F(InstancePickerTest, PicksTheSmallestPredictedLatencies) {
  Prefill("p0", 1000, 2000);       // 2 s queued
  Prefill("p1", 4000, 2000);       // 0.5 s queued
  Decode("d0", 63, 0.010, 0.074);  // at 64: 74 ms
  Decode("d1", 0, 0.010, 0.074);   // at 1: 10 ms
  absl::StatusOr<RouteDecision> d = Pick(Prompt(100));
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->route.prefill.instance_id(), "p1");
  EXPECT_EQ(d->route.decode.instance_id(), "d1");
  EXPECT_EQ(d->predicted_ttft, absl::Milliseconds(525));
  EXPECT_EQ(d->predicted_tpot, absl::Milliseconds(10));
}

TEST_F(InstancePickerTest, OutstandingWorkSpreadsABurst) {
  Prefill("p0", 1000, 0);
  Prefill("p1", 1000, 0);
  Decode("d0", 0, 0.010, 0.074);
  Decode("d1", 0, 0.010, 0.074);
  work_.Add("p0", {.prefill_tokens = 500, .sequences = 1});
  work_.Add("d0", {.prefill_tokens = 0, .sequences = 20});
  absl::StatusOr<RouteDecision> d = Pick(Prompt(10));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->route.prefill.instance_id(), "p1");
  EXPECT_EQ(d->route.decode.instance_id(), "d1");
}

TEST_F(InstancePickerTest, CachedPrefixesShortenThePredictionAndAttractTheRequest) {
  Prefill("p0", 1000, 0);
  Prefill("p1", 1000, 0);
  Decode("d0", 0, 0.010, 0.074);
  const std::vector<uint32_t> shared = Prompt(160);
  work_.Add("p1", {.prefill_tokens = 10, .sequences = 0});  // p0 is less loaded...
  // ...but p1 computed the prompt before; its blocks are in p1 and the pool.
  prefixes_.Record("p1", PrefixIndex::BlockHashes(kModel, "t", shared, 16));
  absl::StatusOr<RouteDecision> d = Pick(shared);
  ASSERT_TRUE(d.ok());
  // Both can have the 159 cacheable tokens (p0 through the pool): only the
  // last token is computed; p0 queues less.
  EXPECT_EQ(d->predicted_cached_tokens, 159);
  EXPECT_EQ(d->route.prefill.instance_id(), "p0");
  EXPECT_EQ(d->predicted_ttft, absl::Milliseconds(1));
  // The pick is remembered: p0 now holds the prompt too.
  EXPECT_EQ(prefixes_.Match("p0", PrefixIndex::BlockHashes(kModel, "t", shared, 16)), 10);
  // Equal load: the instance holding the prefix locally wins.
  work_.Remove("p1", {.prefill_tokens = 10, .sequences = 0});
  const std::vector<uint32_t> second = Prompt(160, 5000);
  prefixes_.Record("p1", PrefixIndex::BlockHashes(kModel, "t", second, 16));
  d = Pick(second);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->route.prefill.instance_id(), "p1");
  // Another tenant shares nothing.
  absl::StatusOr<RouteDecision> other =
      picker_.Pick({.model = kModel, .tenant = "other", .prompt = shared});
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->predicted_cached_tokens, 0);
}

TEST_F(InstancePickerTest, RefusesWhenEvenTheBestPairWouldMissATarget) {
  Prefill("p0", 1000, 3000);  // 3 s queued
  Decode("d0", 63, 0.010, 0.074);
  SloRejection rejection;
  absl::StatusOr<RouteDecision> d =
      Pick(Prompt(1000), {.ttft = absl::Seconds(2), .tpot = absl::Milliseconds(100)}, &rejection);
  ASSERT_EQ(d.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(d.status().message(), HasSubstr("time to first token would be 4000 ms"));
  EXPECT_STREQ(rejection.target, "ttft");
  EXPECT_EQ(rejection.retry_after, absl::Seconds(2));

  d = Pick(Prompt(10), {.ttft = absl::Seconds(5), .tpot = absl::Milliseconds(50)}, &rejection);
  ASSERT_EQ(d.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(d.status().message(), HasSubstr("time per output token would be 74 ms"));
  EXPECT_STREQ(rejection.target, "tpot");

  // Within both targets: admitted.
  d = Pick(Prompt(10), {.ttft = absl::Seconds(5), .tpot = absl::Milliseconds(80)});
  EXPECT_TRUE(d.ok()) << d.status();
}

TEST_F(InstancePickerTest, AnIdleInstanceTakesARequestPredictedToMissAnyway) {
  Prefill("p0", 1000, 0);
  Decode("d0", 0, 0.200, 0.300);
  // 2000 tokens take 2 s, over the 1 s target even with nothing queued; one
  // token every 200 ms, over 100 ms with nothing running.
  absl::StatusOr<RouteDecision> d =
      Pick(Prompt(2000), {.ttft = absl::Seconds(1), .tpot = absl::Milliseconds(100)});
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->predicted_ttft, absl::Seconds(2));
  // Once it is busy, the next one is refused.
  work_.Add("p0", {.prefill_tokens = 2000, .sequences = 0});
  EXPECT_EQ(Pick(Prompt(2000), {.ttft = absl::Seconds(1)}).status().code(),
            absl::StatusCode::kResourceExhausted);
  work_.Add("d0", {.prefill_tokens = 0, .sequences = 1});
  EXPECT_EQ(Pick(Prompt(10), {.tpot = absl::Milliseconds(100)}).status().code(),
            absl::StatusCode::kResourceExhausted);
}

TEST_F(InstancePickerTest, UnmeasuredInstancesBorrowTheirPeersMeasurements) {
  Prefill("p0", 1000, 1000);
  Prefill("p1", 0, 0);  // fresh: nothing measured, predicted at the peers' rate
  Decode("d0", 10, 0.010, 0.073);
  Decode("d1", 0, 0, 0);  // fresh: d0's step times at its own batch size
  absl::StatusOr<RouteDecision> d = Pick(Prompt(100), {.ttft = absl::Seconds(1)});
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->route.prefill.instance_id(), "p1");
  EXPECT_EQ(d->predicted_ttft, absl::Milliseconds(100));
  EXPECT_EQ(d->route.decode.instance_id(), "d1");
  EXPECT_EQ(d->predicted_tpot, absl::Milliseconds(10));
}

TEST_F(InstancePickerTest, NothingMeasuredAnywhereIsAdmitted) {
  Prefill("p0", 0, 0);
  Decode("d0", 0, 0, 0);
  absl::StatusOr<RouteDecision> d =
      Pick(Prompt(10), {.ttft = absl::Milliseconds(1), .tpot = absl::Milliseconds(1)});
  ASSERT_TRUE(d.ok());
  EXPECT_FALSE(d->predicted_ttft.has_value());
  EXPECT_FALSE(d->predicted_tpot.has_value());
}

TEST_F(InstancePickerTest, DecodeWithoutRoomIsAvoided) {
  Prefill("p0", 1000, 0);
  Decode("d0", 0, 0.010, 0.074, /*blocks_used=*/999);
  Decode("d1", 30, 0.010, 0.074);
  absl::StatusOr<RouteDecision> d = Pick(Prompt(100));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->route.decode.instance_id(), "d1");
}

}  // namespace
}  // namespace weft::router
