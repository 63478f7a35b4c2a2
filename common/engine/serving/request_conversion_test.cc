#include "common/engine/serving/request_conversion.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace weft::engine {
namespace {

TEST(RequestConversion, SamplingParamsBecomeOptionsAndStops) {
  weft::v1::SamplingParams p;
  p.set_temperature(0.7f);
  p.set_top_k(5);
  p.set_min_p(0.1f);
  p.set_seed(42);
  p.set_max_tokens(9);
  p.add_stop_token_ids(3);
  p.add_stop_strings("\n\n");
  p.set_logprobs(2);
  auto out = FromSamplingParams(p, {2});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_FLOAT_EQ(out->sampling.temperature, 0.7f);
  EXPECT_EQ(out->sampling.top_k, 5);
  EXPECT_FLOAT_EQ(out->sampling.top_p, 1.0f);               // unset
  EXPECT_FLOAT_EQ(out->sampling.repetition_penalty, 1.0f);  // unset
  EXPECT_EQ(out->sampling.seed, 42u);
  EXPECT_EQ(out->sampling.top_logprobs, 2);
  EXPECT_EQ(out->stop.max_tokens, 9);
  EXPECT_THAT(out->stop.eos_token_ids, ::testing::ElementsAre(2));
  EXPECT_THAT(out->stop.stop_token_ids, ::testing::ElementsAre(3));
  EXPECT_THAT(out->stop.stop_strings, ::testing::ElementsAre("\n\n"));
}

TEST(RequestConversion, BadValuesNameTheField) {
  weft::v1::SamplingParams p;
  EXPECT_THAT(FromSamplingParams(p, {}).status().message(), ::testing::HasSubstr("max_tokens"));
  p.set_max_tokens(1);
  p.set_top_p(1.5f);
  EXPECT_THAT(FromSamplingParams(p, {}).status().message(), ::testing::HasSubstr("top_p"));
  p.set_top_p(0.5f);
  p.set_logprobs(21);
  EXPECT_EQ(FromSamplingParams(p, {}).status().code(), absl::StatusCode::kInvalidArgument);
  p.set_logprobs(0);
  p.add_stop_strings("");
  EXPECT_EQ(FromSamplingParams(p, {}).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(RequestConversion, TokensRoundTrip) {
  const SampledToken t{.token = 7, .logprob = -0.5f, .top_logprobs = {{7, -0.5f}, {3, -1.0f}}};
  const SampledToken back = FromProto(ToProto(t));
  EXPECT_EQ(back.token, 7);
  EXPECT_FLOAT_EQ(back.logprob, -0.5f);
  EXPECT_EQ(back.top_logprobs, t.top_logprobs);
  EXPECT_EQ(ToProto(FinishReason::kAbort), weft::v1::FINISH_REASON_ABORT);
}

}  // namespace
}  // namespace weft::engine
