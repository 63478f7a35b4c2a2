// The analytic costs: parameter counts match the fixture checkpoints and the
// dummy shapes' hand counts, INT8 bytes follow the loader's rules, and the
// decode-bytes and prefill-FLOPs formulas reduce to what they should.
#include "common/engine/bench/model_cost.h"

#include <string>

#include "absl/status/status.h"
#include "common/checkpoint/checkpoint.h"
#include "common/checkpoint/tensor_expectations.h"
#include "common/engine/bench/model_catalog.h"
#include "gtest/gtest.h"

namespace weft::engine::bench {
namespace {

constexpr char kFixtures[] = "tests/data/models";

checkpoint::ModelConfig Config(const std::string& name) {
  auto config = BenchModelConfig(name, kFixtures);
  EXPECT_TRUE(config.ok()) << config.status();
  return *config;
}

TEST(ModelCatalog, EveryModelHasAConfig) {
  for (const std::string& name : AllModelNames()) {
    EXPECT_TRUE(BenchModelConfig(name, kFixtures).ok()) << name;
  }
  EXPECT_EQ(BenchModelConfig("no-such-model", kFixtures).status().code(),
            absl::StatusCode::kNotFound);
}

TEST(ModelCost, FixtureParametersAreTheCheckpointsTensors) {
  for (const char* name : {"tiny-llama", "tiny-qwen3-moe", "tiny-deepseek-v3"}) {
    const checkpoint::ModelConfig config = Config(name);
    auto ckpt = checkpoint::Checkpoint::Open(std::string(kFixtures) + "/" + name);
    ASSERT_TRUE(ckpt.ok()) << ckpt.status();
    int64_t expected = 0;
    for (const std::string& t : (*ckpt)->tensor_names()) {
      if (checkpoint::IsIgnorableExtraTensor(config, t)) continue;  // e.g. MTP layers
      expected += (*ckpt)->Find(t)->num_elements();
    }
    const ModelCost cost = ComputeModelCost(config, WeightPrecision::kFloat32);
    EXPECT_EQ(cost.parameters, expected) << name;
    EXPECT_EQ(cost.weight_bytes, 4 * expected) << name;
    EXPECT_EQ(cost.weight_bytes, cost.embedding_bytes + cost.lm_head_bytes +
                                     cost.routed_expert_bytes + cost.other_bytes)
        << name;
  }
}

TEST(ModelCost, DummyLlamaMatchesItsHandCount) {
  const checkpoint::ModelConfig config = Config("dummy-llama-300m");
  const int64_t embed = 32000 * 1024;  // embed_tokens, and lm_head the same
  const int64_t linear = 1024 * 1024 + 2 * 512 * 1024 + 1024 * 1024 + 3 * 2816 * 1024;
  const int64_t norms = 2 * 1024;
  const int64_t params = 2 * embed + 20 * (linear + norms) + 1024;
  EXPECT_EQ(params, 301507584);
  const ModelCost f32 = ComputeModelCost(config, WeightPrecision::kFloat32);
  EXPECT_EQ(f32.parameters, params);
  EXPECT_EQ(f32.weight_bytes, 4 * params);
  EXPECT_EQ(f32.matmul_macs_per_token, 20 * linear);

  // INT8: linear weights 1 byte + a float scale per output row.
  const ModelCost q = ComputeModelCost(config, WeightPrecision::kInt8);
  const int64_t rows = 1024 + 512 + 512 + 1024 + 2816 + 2816 + 1024;
  EXPECT_EQ(q.parameters, params);
  EXPECT_EQ(q.weight_bytes, 4 * (2 * embed + 20 * norms + 1024) + 20 * (linear + 4 * rows));
}

TEST(ModelCost, DecodeBytesAndPrefillFlopsOfADenseModel) {
  const checkpoint::ModelConfig config = Config("dummy-llama-300m");
  const ModelCost cost = ComputeModelCost(config, WeightPrecision::kFloat32);
  const KvLayout kv{.num_layers = 20, .num_kv_heads = 8, .head_dim = 64, .v_head_dim = 64};
  // One sequence at context 10: all weights but the embedding (one row
  // read), plus 10 KV rows read and one written.
  EXPECT_DOUBLE_EQ(DecodeStepBytes(config, cost, kv, 1, 10.0),
                   cost.weight_bytes - cost.embedding_bytes + 1024 * 4 + 11 * kv.BytesPerToken());
  // One token: the matmuls, one LM-head row, attention over one position.
  EXPECT_DOUBLE_EQ(PrefillFlops(config, cost, kv, 1, 1),
                   2.0 * cost.matmul_macs_per_token + 2.0 * 1024 * 32000 + 2.0 * 16 * 128 * 20);
}

TEST(ModelCost, MoeTouchesOnlyItsExpectedExperts) {
  const checkpoint::ModelConfig config = Config("dummy-qwen3-moe-400m");  // 32 experts, top-4
  EXPECT_DOUBLE_EQ(TouchedExpertFraction(config, 1), 4.0 / 32.0);
  EXPECT_NEAR(TouchedExpertFraction(config, 4), 1.0 - 0.875 * 0.875 * 0.875 * 0.875, 1e-12);
  EXPECT_GT(TouchedExpertFraction(config, 256), 0.999);
  EXPECT_DOUBLE_EQ(TouchedExpertFraction(Config("dummy-llama-300m"), 1), 1.0);
  const ModelCost cost = ComputeModelCost(config, WeightPrecision::kFloat32);
  EXPECT_GT(cost.routed_expert_bytes, cost.weight_bytes / 2);
  // A token goes through 4 of the 32 experts of each of the 8 layers.
  const int64_t expert = 3 * 384 * 1024;
  const int64_t attention = 1024 * 1024 + 2 * 256 * 1024 + 1024 * 1024;
  const int64_t router = 32 * 1024;
  EXPECT_EQ(cost.matmul_macs_per_token, 8 * (4 * expert + attention + router));
}

}  // namespace
}  // namespace weft::engine::bench
