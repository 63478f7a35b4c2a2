#include "common/engine/runtime/scheduler.h"

#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace weft::engine {
namespace {

// One block per 4 tokens, counted from nothing (enough for the policy).
int32_t FourPerBlock(SequenceId, int32_t n) { return (n + 3) / 4; }

std::vector<std::pair<int64_t, int32_t>> Chunks(const StepPlan& plan) {
  std::vector<std::pair<int64_t, int32_t>> out;
  for (const ScheduledChunk& c : plan.chunks) out.emplace_back(c.id.value(), c.num_tokens);
  return out;
}

TEST(Scheduler, DecodesFirstThenPromptChunksOldestFirst) {
  const SchedulerOptions o{.max_num_seqs = 8, .max_num_batched_tokens = 20, .max_prefill_chunk = 8};
  const std::vector<SchedulableSequence> seqs = {{SequenceId(1), 30, false},
                                                 {SequenceId(2), 1, true},
                                                 {SequenceId(3), 5, false},
                                                 {SequenceId(4), 1, true},
                                                 {SequenceId(5), 9, false}};
  // Decodes 2 and 4 (2 tokens), then 8 of 1, 5 of 3, and 5 of 5 (budget 20).
  EXPECT_THAT(
      Chunks(PlanStep(seqs, 100, o, FourPerBlock)),
      ::testing::ElementsAre(std::pair<int64_t, int32_t>{2, 1}, std::pair<int64_t, int32_t>{4, 1},
                             std::pair<int64_t, int32_t>{1, 8}, std::pair<int64_t, int32_t>{3, 5},
                             std::pair<int64_t, int32_t>{5, 5}));
}

TEST(Scheduler, SequenceBudgetAndFreeBlocksLimitTheStep) {
  const SchedulerOptions o{
      .max_num_seqs = 2, .max_num_batched_tokens = 64, .max_prefill_chunk = 64};
  const std::vector<SchedulableSequence> seqs = {
      {SequenceId(1), 1, true}, {SequenceId(2), 1, true}, {SequenceId(3), 1, true}};
  EXPECT_EQ(PlanStep(seqs, 100, o, FourPerBlock).chunks.size(), 2u);
  // 2 free blocks: a 12-token prompt (3 blocks) waits, a 4-token one runs.
  const std::vector<SchedulableSequence> prompts = {{SequenceId(7), 12, false},
                                                    {SequenceId(8), 4, false}};
  EXPECT_THAT(Chunks(PlanStep(prompts, 2, o, FourPerBlock)),
              ::testing::ElementsAre(std::pair<int64_t, int32_t>{8, 4}));
  EXPECT_TRUE(PlanStep(prompts, 0, o, FourPerBlock).chunks.empty());
  EXPECT_TRUE(PlanStep({}, 10, o, FourPerBlock).chunks.empty());
}

TEST(Scheduler, OptionsAreValidated) {
  EXPECT_TRUE(ValidateSchedulerOptions({}).ok());
  EXPECT_EQ(ValidateSchedulerOptions({.max_num_seqs = 0}).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      ValidateSchedulerOptions({.max_num_batched_tokens = 16, .max_prefill_chunk = 32}).code(),
      absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace weft::engine
