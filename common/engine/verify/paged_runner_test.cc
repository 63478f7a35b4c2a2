// PagedRunner: the batches it builds (slots inside each sequence's blocks,
// positions and context lengths continuing across calls), cache exhaustion,
// and on a real model, chunked extension giving the one-shot logits.
#include "common/engine/verify/paged_runner.h"

#include <cmath>
#include <set>
#include <vector>

#include "common/engine/model/cpu_kv_memory.h"
#include "common/engine/model/model_loader.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace weft::engine {
namespace {

using ::testing::ElementsAre;

// Records each batch; every logit row is [token id, position, 0].
class RecordingLm : public CausalLm {
 public:
  RecordingLm() { config_.vocab_size = 3; }

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
    batches.push_back(batch);
    logits->clear();
    for (const int32_t i : batch.logit_indices) {
      logits->insert(logits->end(), {static_cast<float>(batch.token_ids[i]),
                                     static_cast<float>(batch.positions[i]), 0.0f});
    }
    return absl::OkStatus();
  }

  mutable std::vector<ForwardBatch> batches;

 private:
  checkpoint::ModelConfig config_;
};

TEST(PagedRunner, BuildsBatchesOverTheSequencesBlocks) {
  RecordingLm model;
  auto runner = PagedRunner::Create(model, /*num_blocks=*/4, /*block_size=*/2);
  ASSERT_TRUE(runner.ok()) << runner.status();
  auto logits = (*runner)->Extend(SequenceId(7), std::vector<int32_t>{4, 5, 6});
  ASSERT_TRUE(logits.ok()) << logits.status();
  EXPECT_THAT(*logits, ElementsAre(6, 2, 0));  // the last token's row
  logits = (*runner)->Extend(SequenceId(7), std::vector<int32_t>{8});
  ASSERT_TRUE(logits.ok()) << logits.status();
  EXPECT_THAT(*logits, ElementsAre(8, 3, 0));

  ASSERT_EQ(model.batches.size(), 2u);
  const ForwardBatch& prefill = model.batches[0];
  EXPECT_THAT(prefill.positions, ElementsAre(0, 1, 2));
  EXPECT_THAT(prefill.context_len, ElementsAre(1, 2, 3));
  EXPECT_THAT(prefill.sequence_of_token, ElementsAre(0, 0, 0));
  EXPECT_THAT(prefill.logit_indices, ElementsAre(2));
  EXPECT_EQ(prefill.max_blocks_per_sequence, 2);
  const ForwardBatch& decode = model.batches[1];
  EXPECT_THAT(decode.positions, ElementsAre(3));
  EXPECT_THAT(decode.context_len, ElementsAre(4));
  ASSERT_EQ(decode.block_tables.size(), 2u);
  // Each token's slot is in the block its position falls in, at its offset.
  std::vector<int64_t> slots = prefill.slots;
  slots.push_back(decode.slots[0]);
  for (int32_t pos = 0; pos < 4; ++pos) {
    EXPECT_EQ(slots[pos], int64_t{decode.block_tables[pos / 2]} * 2 + pos % 2) << pos;
  }
  EXPECT_EQ(std::set<int64_t>(slots.begin(), slots.end()).size(), 4u);
}

TEST(PagedRunner, FullCacheAndBadArguments) {
  RecordingLm model;
  auto runner = PagedRunner::Create(model, /*num_blocks=*/1, /*block_size=*/2);
  ASSERT_TRUE(runner.ok());
  EXPECT_EQ((*runner)->Extend(SequenceId(0), std::vector<int32_t>{1, 2, 0}).status().code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_EQ((*runner)->Extend(SequenceId(0), {}).status().code(),
            absl::StatusCode::kInvalidArgument);
  // Freeing gives the block back to another sequence.
  ASSERT_TRUE((*runner)->Extend(SequenceId(0), std::vector<int32_t>{1, 2}).ok());
  EXPECT_EQ((*runner)->Extend(SequenceId(1), std::vector<int32_t>{1}).status().code(),
            absl::StatusCode::kResourceExhausted);
  ASSERT_TRUE((*runner)->Free(SequenceId(0)).ok());
  EXPECT_TRUE((*runner)->Extend(SequenceId(1), std::vector<int32_t>{1}).ok());

  EXPECT_EQ(PagedRunner::Create(model, 4, 0).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(PagedRunner::Create(model, -1, 2).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(PagedRunner::BlocksFor(0, 16), 0);
  EXPECT_EQ(PagedRunner::BlocksFor(16, 16), 1);
  EXPECT_EQ(PagedRunner::BlocksFor(17, 16), 2);
  // Only the CPU backend's model reports routing margins.
  float margin = 0;
  EXPECT_EQ((*runner)->Extend(SequenceId(1), std::vector<int32_t>{1}, &margin).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

// Routing margins: +inf without experts; on the MoE fixture, the chunk's
// smallest, so never more than any of its tokens' own (each run alone).
TEST(PagedRunner, ReportsRoutingMarginsOfTheCpuModel) {
  auto dense = LoadCpuModel("tests/data/models/tiny-llama");
  ASSERT_TRUE(dense.ok()) << dense.status();
  auto dense_runner = PagedRunner::Create(**dense, 8, 4);
  ASSERT_TRUE(dense_runner.ok());
  float margin = 0;
  ASSERT_TRUE((*dense_runner)->Extend(SequenceId(0), std::vector<int32_t>{1, 2, 3}, &margin).ok());
  EXPECT_TRUE(std::isinf(margin));

  auto moe = LoadCpuModel("tests/data/models/tiny-qwen3-moe");
  ASSERT_TRUE(moe.ok()) << moe.status();
  auto runner = PagedRunner::Create(**moe, 8, 4);
  ASSERT_TRUE(runner.ok());
  const std::vector<int32_t> tokens = {17, 300, 5, 999, 42};
  float chunk_margin = 0;
  ASSERT_TRUE((*runner)->Extend(SequenceId(0), tokens, &chunk_margin).ok());
  EXPECT_TRUE(std::isfinite(chunk_margin));
  EXPECT_GE(chunk_margin, 0.0f);
  // The first token alone sees the same routing as in the chunk (causal).
  float first_margin = 0;
  ASSERT_TRUE((*runner)->Extend(SequenceId(1), std::vector<int32_t>{17}, &first_margin).ok());
  EXPECT_LE(chunk_margin, first_margin);
}

TEST(PagedRunner, ChunksGiveTheOneShotLogitsOnARealModel) {
  auto model = LoadCpuModel("tests/data/models/tiny-llama");
  ASSERT_TRUE(model.ok()) << model.status();
  const std::vector<int32_t> tokens = {17, 300, 5, 999, 42, 7, 128};
  auto one_shot = PagedRunner::Create(**model, 8, 2);
  auto chunked = PagedRunner::Create(**model, 8, 2);
  ASSERT_TRUE(one_shot.ok() && chunked.ok());
  const auto reference = (*one_shot)->Extend(SequenceId(0), tokens);
  ASSERT_TRUE(reference.ok()) << reference.status();
  // Another sequence first, so that this one's blocks are not 0, 1, 2, ...
  ASSERT_TRUE((*chunked)->Extend(SequenceId(1), std::vector<int32_t>{3, 4, 5}).ok());
  absl::StatusOr<std::vector<float>> last;
  for (const auto& [begin, end] : {std::pair{0, 3}, {3, 4}, {4, 7}}) {
    last =
        (*chunked)->Extend(SequenceId(0), absl::MakeConstSpan(tokens).subspan(begin, end - begin));
    ASSERT_TRUE(last.ok()) << last.status();
  }
  ASSERT_EQ(last->size(), reference->size());
  double err = 0, norm = 0;
  for (size_t i = 0; i < last->size(); ++i) {
    err += std::pow((*last)[i] - (*reference)[i], 2);
    norm += std::pow((*reference)[i], 2);
  }
  EXPECT_GT(norm, 0);
  EXPECT_LT(std::sqrt(err / norm), 1e-5);
}

}  // namespace
}  // namespace weft::engine
