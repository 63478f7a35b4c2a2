// The comparison rules of reference_check on a scripted model (logits chosen
// per position), so that every outcome is constructed on purpose: exact
// agreement, a relative error over the limit, greedy tokens that differ
// before, at and after a near-tie, NaN logits, and text that does or does not
// re-encode with a real tokenizer.
#include "common/engine/verify/reference_check.h"

#include <cmath>
#include <limits>
#include <map>
#include <vector>

#include "common/engine/model/cpu_kv_memory.h"
#include "common/tokenizer/tokenizer_loader.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace weft::engine {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Vocabulary of 4; the logits of a token at position p are rows[p]. Records
// the tokens of every step.
class ScriptedLm : public CausalLm {
 public:
  ScriptedLm() { config_.vocab_size = 4; }

  const checkpoint::ModelConfig& config() const override { return config_; }
  KvLayout kv_layout() const override {
    return {.num_layers = 1, .num_kv_heads = 1, .head_dim = 1, .v_head_dim = 1};
  }
  absl::StatusOr<std::unique_ptr<KvMemory>> CreateKvMemory(int32_t num_blocks,
                                                           int32_t block_size) const override {
    return std::unique_ptr<KvMemory>(new CpuKvMemory(kv_layout(), num_blocks, block_size));
  }
  absl::Status Forward(const ForwardBatch& batch, KvMemory&,
                       std::vector<float>* logits) const override {
    steps.push_back(batch.token_ids);
    logits->clear();
    for (const int32_t index : batch.logit_indices) {
      const auto row = rows.find(batch.positions[index]);
      if (row == rows.end()) return absl::InvalidArgumentError("no logits scripted");
      logits->insert(logits->end(), row->second.begin(), row->second.end());
    }
    return absl::OkStatus();
  }

  std::map<int32_t, std::vector<float>> rows;
  mutable std::vector<std::vector<int32_t>> steps;

 private:
  checkpoint::ModelConfig config_;
};

// A two-token prompt (positions 0, 1) whose greedy continuation is 1, 0, 3.
class ReferenceCheckTest : public ::testing::Test {
 protected:
  ReferenceCheckTest() {
    model_.rows = {{1, {0, 3, 1, 0}}, {2, {2, 0, 0, 0}}, {3, {0, 0, 0, 5}}};
    prompt_.source = ReferencePrompt::Source::kRandomIds;
    prompt_.input_ids = {1, 2};
    prompt_.last_logits = {0, 3, 1, 0};
    prompt_.greedy_ids = {1, 0, 3};
    prompt_.greedy_margins = {2, 2, 5};
  }

  PromptReport Check(const CheckOptions& options = {}) {
    absl::StatusOr<PromptReport> report = CheckPrompt(model_, prompt_, 3, nullptr, options);
    EXPECT_TRUE(report.ok()) << report.status();
    return report.ok() ? *report : PromptReport{};
  }

  ScriptedLm model_;
  ReferencePrompt prompt_;
};

TEST_F(ReferenceCheckTest, ExactAgreementPasses) {
  const PromptReport r = Check();
  EXPECT_TRUE(r.passed()) << FormatPromptReport(r, {});
  EXPECT_EQ(r.index, 3);
  EXPECT_EQ(r.rel_err, 0);
  EXPECT_EQ(r.tokens_agreeing, 3);
  EXPECT_EQ(r.steps_compared, 3);
  EXPECT_EQ(r.first_near_tie, -1);
  EXPECT_EQ(r.first_mismatch, -1);
  // The prompt in one step, then each agreed token (the last one needs no step).
  EXPECT_THAT(model_.steps, ElementsAre(ElementsAre(1, 2), ElementsAre(1), ElementsAre(0)));
  EXPECT_EQ(FormatPromptReport(r, {}),
            "prompt 3 (random_ids, 2 ids): rel err 0.00e+00, max abs err 0.00e+00; greedy 3/3 "
            "agree, no near-tie; PASS");
}

TEST_F(ReferenceCheckTest, RelativeErrorOverTheLimitFails) {
  prompt_.last_logits = {0, 3, 1, 0};
  model_.rows[1] = {0, 3, 1, std::sqrt(10.0f) * 0.1f};  // ||diff|| / ||ref|| = 0.1
  CheckOptions options;
  options.max_rel_err = 0.05;
  PromptReport r = Check(options);
  EXPECT_NEAR(r.rel_err, 0.1, 1e-6);
  EXPECT_NEAR(r.max_abs_err, std::sqrt(10.0) * 0.1, 1e-6);
  EXPECT_FALSE(r.passed());
  EXPECT_THAT(FormatPromptReport(r, options), HasSubstr("FAIL: rel err 1.00e-01 exceeds 0.05"));
  options.max_rel_err = 0.2;
  EXPECT_TRUE(Check(options).passed());
  options.max_rel_err = 0.05;
  options.enforce_rel_err = false;
  r = Check(options);
  EXPECT_TRUE(r.passed());
  EXPECT_THAT(FormatPromptReport(r, options), HasSubstr("rel err 1.00e-01 (not enforced)"));
}

TEST_F(ReferenceCheckTest, NanLogitsFail) {
  model_.rows[1][2] = std::numeric_limits<float>::quiet_NaN();
  const PromptReport r = Check();
  EXPECT_TRUE(std::isnan(r.rel_err));
  EXPECT_FALSE(r.passed());
  EXPECT_TRUE(std::isnan(Summarize({r}).worst_rel_err));
}

TEST_F(ReferenceCheckTest, TokenDifferingBeforeANearTieFails) {
  prompt_.greedy_ids[1] = 2;  // the engine picks 0 at step 1
  prompt_.greedy_margins = {2, 2, 5e-4};
  CheckOptions options;
  PromptReport r = Check(options);
  EXPECT_FALSE(r.passed());
  EXPECT_EQ(r.tokens_agreeing, 1);
  EXPECT_EQ(r.first_mismatch, 1);
  EXPECT_EQ(r.engine_token, 0);
  EXPECT_EQ(r.reference_token, 2);
  // The near-tie that bounds the comparison is still reported.
  EXPECT_EQ(r.first_near_tie, 2);
  EXPECT_EQ(r.steps_compared, 2);
  EXPECT_THAT(FormatPromptReport(r, options),
              HasSubstr("greedy 1/2 agree, differs at step 1 (engine 0, reference 2), near-tie at "
                        "step 2 (margin 5.00e-04); FAIL: greedy token differs at step 1 (engine 0, "
                        "reference 2) before any near-tie (reference margin 2.00e+00 >= 0.001)"));
  options.enforce_greedy = false;
  r = Check(options);
  EXPECT_TRUE(r.passed());
  EXPECT_THAT(FormatPromptReport(r, options), HasSubstr("reference 2) (not enforced)"));
}

TEST_F(ReferenceCheckTest, ComparisonStopsAtTheFirstNearTie) {
  // Step 1 is a near-tie in the reference and the engine's token differs
  // there: either may win, so this passes and step 2 is never compared.
  prompt_.greedy_ids = {1, 2, 1};
  prompt_.greedy_margins = {2, 5e-4, 5};
  PromptReport r = Check();
  EXPECT_TRUE(r.passed()) << FormatPromptReport(r, {});
  EXPECT_EQ(r.first_near_tie, 1);
  EXPECT_EQ(r.steps_compared, 1);
  EXPECT_EQ(r.tokens_agreeing, 1);
  EXPECT_EQ(r.first_mismatch, -1);
  // With a threshold below that margin, step 1 is compared and fails.
  CheckOptions options;
  options.near_tie = 1e-4;
  r = Check(options);
  EXPECT_FALSE(r.passed());
  EXPECT_EQ(r.first_mismatch, 1);
}

TEST_F(ReferenceCheckTest, EngineErrorsAreErrors) {
  model_.rows.erase(2);
  EXPECT_EQ(CheckPrompt(model_, prompt_, 0, nullptr, {}).status().code(),
            absl::StatusCode::kInvalidArgument);
  CheckOptions options;
  options.block_size = 0;
  EXPECT_EQ(CheckPrompt(model_, prompt_, 0, nullptr, options).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(ReferenceCheckTest, TextPromptsMustReEncode) {
  auto tokenizer = tokenizer::LoadTokenizerFromFile("tests/data/models/tiny-llama/tokenizer.json");
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.status();
  const absl::StatusOr<std::vector<int32_t>> ids = (*tokenizer)->Encode("hello world");
  ASSERT_TRUE(ids.ok() && ids->size() >= 2) << ids.status();
  // The scripted logits depend on positions only: give the prompt the
  // tokenizer's ids at the same length.
  model_.rows = {{static_cast<int32_t>(ids->size()) - 1, {0, 3, 1, 0}},
                 {static_cast<int32_t>(ids->size()), {2, 0, 0, 0}},
                 {static_cast<int32_t>(ids->size()) + 1, {0, 0, 0, 5}}};
  prompt_.source = ReferencePrompt::Source::kText;
  prompt_.text = "hello world";
  prompt_.input_ids = *ids;
  absl::StatusOr<PromptReport> r = CheckPrompt(model_, prompt_, 0, tokenizer->get(), {});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->encoding, PromptReport::Encoding::kMatches);
  EXPECT_TRUE(r->passed());
  EXPECT_THAT(FormatPromptReport(*r, {}), HasSubstr("; text re-encodes; PASS"));

  prompt_.input_ids[1] = prompt_.input_ids[1] == 7 ? 8 : 7;
  r = CheckPrompt(model_, prompt_, 0, tokenizer->get(), {});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->encoding, PromptReport::Encoding::kDiffers);
  EXPECT_FALSE(r->passed());
  EXPECT_THAT(FormatPromptReport(*r, {}),
              HasSubstr("text does not re-encode; FAIL: text encodes to"));
  EXPECT_THAT(r->encoding_detail, HasSubstr("first difference at index 1"));

  // random_ids prompts need not re-encode.
  prompt_.source = ReferencePrompt::Source::kRandomIds;
  r = CheckPrompt(model_, prompt_, 0, tokenizer->get(), {});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->encoding, PromptReport::Encoding::kNotChecked);
  EXPECT_TRUE(r->passed());
}

TEST(Summarize, CountsAndFormats) {
  PromptReport pass;
  pass.rel_err = 2e-5;
  pass.tokens_agreeing = pass.steps_compared = 16;
  pass.encoding = PromptReport::Encoding::kMatches;
  PromptReport fail;
  fail.rel_err = 3e-3;
  fail.tokens_agreeing = 4;
  fail.steps_compared = 10;
  fail.failures = {"rel err"};
  const CheckSummary summary = Summarize({pass, fail});
  EXPECT_EQ(summary.prompts, 2);
  EXPECT_EQ(summary.passed, 1);
  EXPECT_FALSE(summary.all_passed());
  EXPECT_DOUBLE_EQ(summary.worst_rel_err, 3e-3);
  EXPECT_EQ(FormatSummary(summary, {}, "m float32"),
            "m float32: FAIL, 1/2 prompts pass; worst rel err 3.00e-03 (limit 0.0001); greedy "
            "20/26 tokens agree before near-ties (margin < 0.001); 1/1 text prompts re-encode");
  CheckOptions relaxed;
  relaxed.enforce_rel_err = relaxed.enforce_greedy = false;
  EXPECT_THAT(FormatSummary(Summarize({pass}), relaxed, "m int8"),
              HasSubstr("m int8: PASS, 1/1 prompts pass; worst rel err 2.00e-05 (not enforced); "
                        "greedy 16/16 tokens agree before near-ties (margin < 0.001) (not "
                        "enforced)"));
}

}  // namespace
}  // namespace weft::engine
