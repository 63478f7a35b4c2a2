// The executor over the tiny-llama fixture: chunked prompts mixed with a
// decoding sequence reproduce transformers' greedy continuation; stop
// conditions end sequences and release their blocks; bad plans and a full
// pool fail without changing anything.
#include "common/engine/executor/model_executor.h"

#include <fstream>
#include <memory>
#include <vector>

#include "common/engine/model/model_loader.h"
#include "common/tokenizer/tokenizer_loader.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace weft::engine {
namespace {

constexpr char kDir[] = "tests/data/models/tiny-llama";

class ModelExecutorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto model = LoadCpuModel(kDir);
    ASSERT_TRUE(model.ok()) << model.status();
    model_ = std::move(*model);
    auto tok = tokenizer::LoadTokenizerFromFile(std::string(kDir) + "/tokenizer.json");
    ASSERT_TRUE(tok.ok()) << tok.status();
    tokenizer_ = std::move(*tok);
    std::ifstream in(std::string(kDir) + "/reference.json");
    reference_ = nlohmann::json::parse(in, nullptr, false);
    ASSERT_FALSE(reference_.is_discarded());
  }

  SequenceRequest Greedy(int64_t id, std::vector<int32_t> prompt, int32_t max_tokens) {
    SequenceRequest r{.id = SequenceId(id), .prompt = std::move(prompt)};
    r.sampling.temperature = 0.0f;
    r.stop.max_tokens = max_tokens;
    r.stop.ignore_eos = true;
    return r;
  }

  std::unique_ptr<CausalLm> model_;
  std::unique_ptr<tokenizer::Tokenizer> tokenizer_;
  nlohmann::json reference_;
};

TEST_F(ModelExecutorTest, ChunkedPromptsAndDecodeReproduceTheReference) {
  ModelExecutor ex(*model_, tokenizer_.get(), /*num_blocks=*/64, /*block_size=*/4);
  const auto p0 = reference_["prompts"][0]["input_ids"].get<std::vector<int32_t>>();
  const auto g0 = reference_["prompts"][0]["greedy_ids"].get<std::vector<int32_t>>();
  const auto p6 = reference_["prompts"][6]["input_ids"].get<std::vector<int32_t>>();
  const auto g6 = reference_["prompts"][6]["greedy_ids"].get<std::vector<int32_t>>();
  ASSERT_TRUE(ex.AddSequence(Greedy(0, p0, 8)).ok());
  ASSERT_TRUE(ex.AddSequence(Greedy(6, p6, 8)).ok());
  // Sequence 0 prefills at once, then decodes while sequence 6's long prompt
  // goes in chunks of 16 (chunked prefill mixed with decode).
  std::vector<int32_t> out0, out6;
  std::string text0;
  for (int step = 0; step < 40 && ex.num_sequences() > 0; ++step) {
    StepPlan plan;
    for (int64_t id : {0, 6}) {
      auto pending = ex.PendingTokens(SequenceId(id));
      if (!pending.ok()) continue;
      plan.chunks.push_back({SequenceId(id), id == 6 ? std::min(*pending, 16) : *pending});
    }
    auto result = ex.Step(plan);
    ASSERT_TRUE(result.ok()) << result.status();
    for (const SequenceOutput& o : result->outputs) {
      (o.id == SequenceId(0) ? out0 : out6).push_back(o.token.token);
      if (o.id == SequenceId(0)) text0 += o.text;
      if (o.finish.has_value()) EXPECT_EQ(*o.finish, FinishReason::kLength);
    }
  }
  EXPECT_EQ(out0, std::vector<int32_t>(g0.begin(), g0.begin() + 8));
  EXPECT_EQ(out6, std::vector<int32_t>(g6.begin(), g6.begin() + 8));
  auto decoded = tokenizer_->Decode(out0);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(text0, *decoded);
  EXPECT_EQ(ex.num_sequences(), 0);
  EXPECT_EQ(ex.num_free_blocks(), 64);  // finished sequences released everything
}

TEST_F(ModelExecutorTest, StopTokenAndStopStringEndSequences) {
  ModelExecutor ex(*model_, tokenizer_.get(), 64, 4);
  const auto p0 = reference_["prompts"][0]["input_ids"].get<std::vector<int32_t>>();
  const auto g0 = reference_["prompts"][0]["greedy_ids"].get<std::vector<int32_t>>();
  SequenceRequest by_id = Greedy(1, p0, 16);
  by_id.stop.stop_token_ids = {g0[2]};
  ASSERT_TRUE(ex.AddSequence(by_id).ok());
  int generated = 0;
  std::optional<FinishReason> finish;
  while (!finish.has_value() && generated < 16) {
    auto r = ex.Step({{{SequenceId(1), *ex.PendingTokens(SequenceId(1))}}});
    ASSERT_TRUE(r.ok()) << r.status();
    ++generated;
    finish = r->outputs.at(0).finish;
  }
  EXPECT_EQ(finish, FinishReason::kStop);
  // The first occurrence of g0[2] ends it (it may also occur earlier).
  EXPECT_EQ(generated, std::find(g0.begin(), g0.end(), g0[2]) - g0.begin() + 1);

  auto full_text = tokenizer_->Decode(std::vector<int32_t>(g0.begin(), g0.begin() + 6));
  ASSERT_TRUE(full_text.ok());
  const std::string stop = full_text->substr(full_text->size() / 2, 3);
  SequenceRequest by_string = Greedy(2, p0, 16);
  by_string.stop.stop_strings = {stop};
  ASSERT_TRUE(ex.AddSequence(by_string).ok());
  std::string text;
  finish.reset();
  while (!finish.has_value()) {
    auto r = ex.Step({{{SequenceId(2), *ex.PendingTokens(SequenceId(2))}}});
    ASSERT_TRUE(r.ok()) << r.status();
    text += r->outputs.at(0).text;
    finish = r->outputs.at(0).finish;
  }
  EXPECT_EQ(finish, FinishReason::kStop);
  EXPECT_EQ(text, full_text->substr(0, full_text->find(stop)));
  EXPECT_EQ(ex.num_free_blocks(), 64);
}

TEST_F(ModelExecutorTest, BadRequestsAndPlansChangeNothing) {
  ModelExecutor ex(*model_, nullptr, /*num_blocks=*/3, /*block_size=*/4);
  EXPECT_EQ(ex.AddSequence(Greedy(1, {}, 4)).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ex.AddSequence(Greedy(1, {5, 99999}, 4)).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ex.AddSequence(Greedy(1, {5}, 5000)).code(), absl::StatusCode::kInvalidArgument);
  SequenceRequest strings = Greedy(1, {5}, 4);
  strings.stop.stop_strings = {"x"};
  EXPECT_EQ(ex.AddSequence(strings).code(), absl::StatusCode::kInvalidArgument);
  SequenceRequest bad_sampling = Greedy(1, {5}, 4);
  bad_sampling.sampling.top_p = 2.0f;
  EXPECT_EQ(ex.AddSequence(bad_sampling).code(), absl::StatusCode::kInvalidArgument);

  ASSERT_TRUE(ex.AddSequence(Greedy(1, std::vector<int32_t>(10, 7), 4)).ok());
  ASSERT_TRUE(ex.AddSequence(Greedy(2, std::vector<int32_t>(6, 8), 4)).ok());
  EXPECT_EQ(ex.AddSequence(Greedy(2, {1}, 4)).code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(ex.Step({{{SequenceId(9), 1}}}).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ex.Step({{{SequenceId(1), 11}}}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ex.Step({{{SequenceId(1), 1}, {SequenceId(1), 1}}}).status().code(),
            absl::StatusCode::kInvalidArgument);
  // 10 + 6 tokens need 3 + 2 blocks of the 3: refused whole.
  EXPECT_EQ(ex.Step({{{SequenceId(1), 10}, {SequenceId(2), 6}}}).status().code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ex.num_free_blocks(), 3);
  EXPECT_EQ(*ex.PendingTokens(SequenceId(1)), 10);
  // Sequence 1 alone fits; aborting it returns its blocks.
  ASSERT_TRUE(ex.Step({{{SequenceId(1), 10}}}).ok());
  EXPECT_EQ(ex.num_free_blocks(), 0);
  ASSERT_TRUE(ex.Abort(SequenceId(1)).ok());
  EXPECT_EQ(ex.num_free_blocks(), 3);
  EXPECT_EQ(ex.Abort(SequenceId(1)).code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace weft::engine
