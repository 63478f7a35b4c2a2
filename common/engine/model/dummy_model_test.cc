// Dummy-weights mode: any config builds and runs with seeded random weights,
// deterministically; the published Qwen3-30B-A3B shape resolves to its
// published parameter count.
#include <cmath>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "common/checkpoint/model_config.h"
#include "common/checkpoint/tensor_expectations.h"
#include "common/engine/model/cpu_kv_memory.h"
#include "common/engine/model/model_loader.h"
#include "gtest/gtest.h"

namespace weft::engine {
namespace {

checkpoint::ModelConfig FixtureConfig(const std::string& name) {
  const std::string path = "tests/data/models/" + name + "/config.json";
  auto config = checkpoint::LoadModelConfig(path);
  EXPECT_TRUE(config.ok()) << config.status();
  return *config;
}

std::vector<float> Prefill(const CausalLm& model, const std::vector<int32_t>& tokens) {
  const int32_t block_size = 8;
  CpuKvMemory kv(model.kv_layout(), 4, block_size);
  ForwardBatch batch;
  for (int32_t i = 0; i < static_cast<int32_t>(tokens.size()); ++i) {
    batch.token_ids.push_back(tokens[i]);
    batch.positions.push_back(i);
    batch.sequence_of_token.push_back(0);
    batch.slots.push_back(i);  // blocks 0.. in order
    batch.context_len.push_back(i + 1);
  }
  batch.block_tables = {0, 1, 2, 3};
  batch.max_blocks_per_sequence = 4;
  batch.logit_indices = {static_cast<int32_t>(tokens.size()) - 1};
  std::vector<float> logits;
  const absl::Status s = model.Forward(batch, kv, &logits);
  EXPECT_TRUE(s.ok()) << s;
  return logits;
}

class DummyModelTest : public ::testing::TestWithParam<std::string> {};

TEST_P(DummyModelTest, BuildsRunsAndIsDeterministic) {
  const checkpoint::ModelConfig config = FixtureConfig(GetParam());
  auto a = BuildDummyCpuModel(config, 7);
  auto b = BuildDummyCpuModel(config, 7);
  auto c = BuildDummyCpuModel(config, 8);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok()) << a.status();
  const std::vector<int32_t> tokens = {5, 17, 300, 2, 999, 64, 1, 0, 512, 7};
  const std::vector<float> la = Prefill(**a, tokens), lb = Prefill(**b, tokens),
                           lc = Prefill(**c, tokens);
  ASSERT_EQ(la.size(), static_cast<size_t>(config.vocab_size));
  for (float v : la) ASSERT_TRUE(std::isfinite(v));
  EXPECT_EQ(la, lb);
  EXPECT_NE(la, lc);
  // The INT8 path runs on dummy weights too.
  auto q = BuildDummyCpuModel(config, 7, {.precision = WeightPrecision::kInt8});
  ASSERT_TRUE(q.ok());
  for (float v : Prefill(**q, tokens)) ASSERT_TRUE(std::isfinite(v));
}

INSTANTIATE_TEST_SUITE_P(Fixtures, DummyModelTest,
                         ::testing::Values("tiny-llama", "tiny-qwen3-moe", "tiny-deepseek-v3"),
                         [](const auto& info) {
                           std::string name = info.param;
                           for (char& ch : name) {
                             if (ch == '-') ch = '_';
                           }
                           return name;
                         });

// Qwen3-30B-A3B's published config.json (older form: rope_theta, num_experts).
constexpr char kQwen3_30B_A3B[] = R"json({
  "architectures": ["Qwen3MoeForCausalLM"], "attention_bias": false, "bos_token_id": 151643,
  "decoder_sparse_step": 1, "eos_token_id": 151645, "head_dim": 128, "hidden_act": "silu",
  "hidden_size": 2048, "intermediate_size": 6144, "max_position_embeddings": 40960,
  "max_window_layers": 48, "mlp_only_layers": [], "model_type": "qwen3_moe",
  "moe_intermediate_size": 768, "norm_topk_prob": true, "num_attention_heads": 32,
  "num_experts": 128, "num_experts_per_tok": 8, "num_hidden_layers": 48,
  "num_key_value_heads": 4, "output_router_logits": false, "rms_norm_eps": 1e-06,
  "rope_scaling": null, "rope_theta": 1000000.0, "router_aux_loss_coef": 0.001,
  "sliding_window": null, "tie_word_embeddings": false, "torch_dtype": "bfloat16",
  "use_cache": true, "use_sliding_window": false, "vocab_size": 151936})json";

TEST(DummyModel, Qwen3_30B_A3B_ShapeHasThePublishedParameterCount) {
  auto config = checkpoint::ParseModelConfig(kQwen3_30B_A3B, "Qwen3-30B-A3B/config.json");
  ASSERT_TRUE(config.ok()) << config.status();
  int64_t params = 0;
  for (const auto& t : checkpoint::ExpectedTensors(*config)) {
    int64_t n = 1;
    for (int64_t d : t.shape) n *= d;
    params += n;
  }
  // Published: 30.5B parameters in total.
  EXPECT_NEAR(static_cast<double>(params) / 1e9, 30.5, 0.1);
}

}  // namespace
}  // namespace weft::engine

namespace weft::engine {
namespace {

// Bad batches are refused before any memory is touched.
TEST(DecoderModel, RejectsInconsistentBatches) {
  auto model = BuildDummyCpuModel(FixtureConfig("tiny-llama"), 1);
  ASSERT_TRUE(model.ok());
  CpuKvMemory kv((*model)->kv_layout(), 4, 8);
  auto good = [] {
    ForwardBatch b;
    b.token_ids = {5, 6};
    b.positions = {0, 1};
    b.sequence_of_token = {0, 0};
    b.slots = {16, 17};  // block 2
    b.context_len = {1, 2};
    b.block_tables = {2, -1};
    b.max_blocks_per_sequence = 2;
    b.logit_indices = {1};
    return b;
  };
  std::vector<float> logits;
  ASSERT_TRUE((*model)->Forward(good(), kv, &logits).ok());

  ForwardBatch wrong_slot = good();
  wrong_slot.slots[1] = 3;  // another block's slot
  EXPECT_EQ((*model)->Forward(wrong_slot, kv, &logits).code(), absl::StatusCode::kInvalidArgument);
  ForwardBatch unallocated = good();
  unallocated.positions = {8, 9};  // block index 1 of the table is -1
  unallocated.context_len = {9, 10};
  unallocated.slots = {-1 + 8, 9};
  EXPECT_EQ((*model)->Forward(unallocated, kv, &logits).code(), absl::StatusCode::kInvalidArgument);
  ForwardBatch bad_token = good();
  bad_token.token_ids[0] = 1 << 20;
  EXPECT_EQ((*model)->Forward(bad_token, kv, &logits).code(), absl::StatusCode::kInvalidArgument);

  KvLayout other = (*model)->kv_layout();
  other.num_layers += 1;
  CpuKvMemory other_kv(other, 4, 8);
  EXPECT_EQ((*model)->Forward(good(), other_kv, &logits).code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace weft::engine
