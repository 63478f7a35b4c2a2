// The shapes both backends derive from a config: the fixtures' KV layouts,
// MLA's sizes, and the YaRN-corrected softmax scale.
#include "common/engine/model/model_shapes.h"

#include <cmath>
#include <string>

#include "gtest/gtest.h"
#include "kernels/cpu/rope.h"

namespace weft::engine {
namespace {

checkpoint::ModelConfig Load(const std::string& name) {
  absl::StatusOr<checkpoint::ModelConfig> c =
      checkpoint::LoadModelConfig("tests/data/models/" + name + "/config.json");
  EXPECT_TRUE(c.ok()) << c.status();
  return c.ok() ? *c : checkpoint::ModelConfig{};
}

TEST(ModelShapesTest, GqaCachesHoldKAndVPerKvHead) {
  const checkpoint::ModelConfig c = Load("tiny-llama");
  EXPECT_FALSE(UsesMla(c));
  const KvLayout kv = KvLayoutFor(c, KvElement::kBf16);
  EXPECT_EQ(kv.num_layers, c.num_hidden_layers);
  EXPECT_EQ(kv.num_kv_heads, c.num_key_value_heads);
  EXPECT_EQ(kv.head_dim, c.head_dim);
  EXPECT_EQ(kv.v_head_dim, c.head_dim);
  EXPECT_FALSE(kv.latent);
  EXPECT_EQ(kv.element, KvElement::kBf16);
  EXPECT_EQ(RotaryDimFor(c), c.head_dim);
}

TEST(ModelShapesTest, MlaCachesHoldOneLatentRow) {
  const checkpoint::ModelConfig c = Load("tiny-deepseek-v3");
  ASSERT_TRUE(UsesMla(c));
  const KvLayout kv = KvLayoutFor(c, KvElement::kFloat32);
  EXPECT_EQ(kv.num_kv_heads, 1);
  EXPECT_EQ(kv.head_dim, 32 + 16);  // kv_lora_rank + qk_rope_head_dim
  EXPECT_EQ(kv.v_head_dim, 32);
  EXPECT_TRUE(kv.latent);
  EXPECT_EQ(kv.BytesPerToken(), 48 * 3 * 4);
  EXPECT_EQ(RotaryDimFor(c), 16);

  const MlaShape s = MlaShapeFor(c);
  EXPECT_EQ(s.hidden, 128);
  EXPECT_EQ(s.num_heads, 4);
  EXPECT_EQ(s.q_lora_rank, 64);
  EXPECT_EQ(s.kv_lora_rank, 32);
  EXPECT_EQ(s.qk_nope_head_dim, 32);
  EXPECT_EQ(s.qk_rope_head_dim, 16);
  EXPECT_EQ(s.v_head_dim, 32);
  EXPECT_EQ(s.qk_head_dim(), 48);
  EXPECT_EQ(s.latent_row(), 48);
  EXPECT_TRUE(s.rope_interleave);
  EXPECT_FALSE(s.expanded_prefill);
  EXPECT_FLOAT_EQ(s.softmax_scale, 1.0f / std::sqrt(48.0f));
}

TEST(ModelShapesTest, DeepSeekWithoutMlaFieldsIsRefused) {
  EXPECT_TRUE(CheckMlaFields(Load("tiny-llama")).ok());
  checkpoint::ModelConfig c = Load("tiny-deepseek-v3");
  EXPECT_TRUE(CheckMlaFields(c).ok());
  c.mla.reset();
  EXPECT_EQ(CheckMlaFields(c).code(), absl::StatusCode::kInvalidArgument);
}

TEST(ModelShapesTest, YarnScalesTheSoftmax) {
  checkpoint::ModelConfig c = Load("tiny-deepseek-v3");
  c.mla->q_lora_rank.reset();
  c.rope.type = checkpoint::RopeType::kYarn;
  c.rope.factor = 40.0;
  c.rope.mscale_all_dim = 1.0;
  const MlaShape s = MlaShapeFor(c);
  EXPECT_EQ(s.q_lora_rank, 0);
  const double mscale = kernels::cpu::YarnMscale(40.0, 1.0);
  EXPECT_GT(mscale, 1.0);
  EXPECT_NEAR(s.softmax_scale, mscale * mscale / std::sqrt(48.0), 1e-6);
}

}  // namespace
}  // namespace weft::engine
