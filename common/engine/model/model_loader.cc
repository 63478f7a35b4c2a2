#include "common/engine/model/model_loader.h"

#include <cmath>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/checkpoint/tensor_expectations.h"
#include "common/engine/model/checkpoint_weights.h"
#include "common/engine/model/decoder_model.h"
#include "common/engine/model/feed_forward.h"
#include "common/engine/model/gqa_attention.h"
#include "common/engine/model/mla_attention.h"
#include "common/engine/model/model_shapes.h"
#include "common/engine/model/random_weights.h"
#include "common/engine/model/rope_config.h"
#include "common/engine/model/weight_source.h"
#include "common/status/status_macros.h"

namespace weft::engine {
namespace {

using checkpoint::Architecture;
using checkpoint::ModelConfig;

// Loads the [n, k] tensor `name` as a linear weight of the chosen precision.
absl::StatusOr<LinearWeight> LoadLinear(const WeightSource& w, const std::string& name, int64_t n,
                                        int64_t k, WeightPrecision precision) {
  WEFT_ASSIGN_OR_RETURN(std::vector<float> values, w.Load(name, {n, k}));
  return LinearWeight(std::move(values), n, k, precision);
}

absl::StatusOr<MlpWeights> LoadMlp(const WeightSource& w, const std::string& prefix, int64_t hidden,
                                   int64_t inter, WeightPrecision precision) {
  MlpWeights mlp;
  mlp.hidden = hidden;
  mlp.inter = inter;
  WEFT_ASSIGN_OR_RETURN(std::vector<float> gate_up,
                        w.LoadStacked({prefix + ".gate_proj.weight", prefix + ".up_proj.weight"},
                                      {inter, inter}, hidden));
  mlp.gate_up = LinearWeight(std::move(gate_up), 2 * inter, hidden, precision);
  WEFT_ASSIGN_OR_RETURN(mlp.down,
                        LoadLinear(w, prefix + ".down_proj.weight", hidden, inter, precision));
  return mlp;
}

absl::StatusOr<std::unique_ptr<FeedForwardLayer>> LoadFeedForward(const ModelConfig& c,
                                                                  const WeightSource& w,
                                                                  int64_t layer,
                                                                  WeightPrecision precision) {
  const std::string prefix = absl::StrCat("model.layers.", layer, ".mlp");
  const int64_t hidden = c.hidden_size;
  if (!c.IsMoeLayer(layer)) {
    WEFT_ASSIGN_OR_RETURN(MlpWeights mlp,
                          LoadMlp(w, prefix, hidden, c.intermediate_size, precision));
    return std::unique_ptr<FeedForwardLayer>(new DenseMlp(std::move(mlp)));
  }
  const int64_t experts = c.moe.num_experts;
  WEFT_ASSIGN_OR_RETURN(std::vector<float> router,
                        w.Load(prefix + ".gate.weight", {experts, hidden}));
  std::vector<MlpWeights> expert_weights;
  for (int64_t e = 0; e < experts; ++e) {
    WEFT_ASSIGN_OR_RETURN(MlpWeights mlp, LoadMlp(w, absl::StrCat(prefix, ".experts.", e), hidden,
                                                  c.moe.moe_intermediate_size, precision));
    expert_weights.push_back(std::move(mlp));
  }
  std::optional<SoftmaxRouting> softmax;
  std::optional<GroupedSigmoidRouting> grouped;
  std::optional<MlpWeights> shared;
  if (c.architecture == Architecture::kDeepseekV3) {
    GroupedSigmoidRouting g;
    g.params.num_experts = static_cast<int32_t>(experts);
    g.params.n_group = static_cast<int32_t>(c.moe.n_group);
    g.params.topk_group = static_cast<int32_t>(c.moe.topk_group);
    g.params.top_k = static_cast<int32_t>(c.moe.num_experts_per_tok);
    g.params.normalize = c.moe.norm_topk_prob;
    g.params.routed_scaling_factor = static_cast<float>(c.moe.routed_scaling_factor);
    WEFT_ASSIGN_OR_RETURN(g.correction_bias,
                          w.Load(prefix + ".gate.e_score_correction_bias", {experts}));
    grouped = std::move(g);
    if (c.moe.n_shared_experts > 0) {
      WEFT_ASSIGN_OR_RETURN(
          shared, LoadMlp(w, prefix + ".shared_experts", hidden,
                          c.moe.moe_intermediate_size * c.moe.n_shared_experts, precision));
    }
  } else {
    softmax = SoftmaxRouting{static_cast<int32_t>(c.moe.num_experts_per_tok), c.moe.norm_topk_prob};
  }
  return std::unique_ptr<FeedForwardLayer>(
      new MoeBlock(std::move(router), std::move(expert_weights), std::move(softmax),
                   std::move(grouped), std::move(shared)));
}

absl::StatusOr<std::unique_ptr<AttentionLayer>> LoadGqa(const ModelConfig& c, const WeightSource& w,
                                                        int64_t layer,
                                                        const kernels::cpu::RopeTable& rope,
                                                        WeightPrecision precision) {
  const std::string p = absl::StrCat("model.layers.", layer, ".self_attn");
  GqaShape shape{c.hidden_size, static_cast<int32_t>(c.num_attention_heads),
                 static_cast<int32_t>(c.num_key_value_heads), static_cast<int32_t>(c.head_dim),
                 static_cast<float>(c.rms_norm_eps)};
  const int64_t q_dim = c.num_attention_heads * c.head_dim;
  const int64_t kv_dim = c.num_key_value_heads * c.head_dim;
  GqaWeights g;
  WEFT_ASSIGN_OR_RETURN(g.q, LoadLinear(w, p + ".q_proj.weight", q_dim, c.hidden_size, precision));
  WEFT_ASSIGN_OR_RETURN(g.k, LoadLinear(w, p + ".k_proj.weight", kv_dim, c.hidden_size, precision));
  WEFT_ASSIGN_OR_RETURN(g.v, LoadLinear(w, p + ".v_proj.weight", kv_dim, c.hidden_size, precision));
  WEFT_ASSIGN_OR_RETURN(g.o, LoadLinear(w, p + ".o_proj.weight", c.hidden_size, q_dim, precision));
  if (c.attention_bias) {
    WEFT_ASSIGN_OR_RETURN(g.o_bias, w.Load(p + ".o_proj.bias", {c.hidden_size}));
    WEFT_ASSIGN_OR_RETURN(g.q_bias, w.Load(p + ".q_proj.bias", {q_dim}));
    WEFT_ASSIGN_OR_RETURN(g.k_bias, w.Load(p + ".k_proj.bias", {kv_dim}));
    WEFT_ASSIGN_OR_RETURN(g.v_bias, w.Load(p + ".v_proj.bias", {kv_dim}));
  }
  if (c.architecture == Architecture::kQwen3Moe) {
    WEFT_ASSIGN_OR_RETURN(g.q_norm, w.Load(p + ".q_norm.weight", {c.head_dim}));
    WEFT_ASSIGN_OR_RETURN(g.k_norm, w.Load(p + ".k_norm.weight", {c.head_dim}));
  }
  return std::unique_ptr<AttentionLayer>(new GqaAttention(shape, std::move(g), rope));
}

absl::StatusOr<std::unique_ptr<AttentionLayer>> LoadMla(const ModelConfig& c, const WeightSource& w,
                                                        int64_t layer,
                                                        const kernels::cpu::RopeTable& rope,
                                                        const ModelOptions& options) {
  const WeightPrecision precision = options.precision;
  const checkpoint::MlaConfig& m = *c.mla;
  const std::string p = absl::StrCat("model.layers.", layer, ".self_attn");
  MlaShape s = MlaShapeFor(c);
  s.expanded_prefill = options.mla_expanded_prefill;
  const int64_t heads = c.num_attention_heads;
  MlaWeights mw;
  if (s.q_lora_rank > 0) {
    WEFT_ASSIGN_OR_RETURN(
        mw.q_a, LoadLinear(w, p + ".q_a_proj.weight", s.q_lora_rank, c.hidden_size, precision));
    WEFT_ASSIGN_OR_RETURN(mw.q_a_norm, w.Load(p + ".q_a_layernorm.weight", {s.q_lora_rank}));
    WEFT_ASSIGN_OR_RETURN(mw.q_b, LoadLinear(w, p + ".q_b_proj.weight", heads * m.qk_head_dim(),
                                             s.q_lora_rank, precision));
  } else {
    WEFT_ASSIGN_OR_RETURN(mw.q, LoadLinear(w, p + ".q_proj.weight", heads * m.qk_head_dim(),
                                           c.hidden_size, precision));
  }
  WEFT_ASSIGN_OR_RETURN(
      mw.kv_a, LoadLinear(w, p + ".kv_a_proj_with_mqa.weight", m.kv_lora_rank + m.qk_rope_head_dim,
                          c.hidden_size, precision));
  WEFT_ASSIGN_OR_RETURN(mw.kv_a_norm, w.Load(p + ".kv_a_layernorm.weight", {m.kv_lora_rank}));
  WEFT_ASSIGN_OR_RETURN(mw.kv_b,
                        w.Load(p + ".kv_b_proj.weight",
                               {heads * (m.qk_nope_head_dim + m.v_head_dim), m.kv_lora_rank}));
  WEFT_ASSIGN_OR_RETURN(
      mw.o, LoadLinear(w, p + ".o_proj.weight", c.hidden_size, heads * m.v_head_dim, precision));
  if (c.attention_bias) {
    if (s.q_lora_rank > 0) {
      WEFT_ASSIGN_OR_RETURN(mw.q_a_bias, w.Load(p + ".q_a_proj.bias", {s.q_lora_rank}));
    }
    WEFT_ASSIGN_OR_RETURN(mw.kv_a_bias, w.Load(p + ".kv_a_proj_with_mqa.bias",
                                               {m.kv_lora_rank + m.qk_rope_head_dim}));
    WEFT_ASSIGN_OR_RETURN(mw.o_bias, w.Load(p + ".o_proj.bias", {c.hidden_size}));
  }
  return std::unique_ptr<AttentionLayer>(new MlaAttention(s, std::move(mw), rope));
}

}  // namespace

namespace {

absl::StatusOr<std::unique_ptr<CausalLm>> AssembleModel(const ModelConfig& c, const WeightSource& w,
                                                        const ModelOptions& options) {
  WEFT_RETURN_IF_ERROR(CheckMlaFields(c));
  const bool mla = UsesMla(c);
  const KvLayout kv = KvLayoutFor(c, KvElement::kFloat32);
  auto rope = std::make_unique<kernels::cpu::RopeTable>(RopeParamsFor(c, RotaryDimFor(c)));

  DecoderWeights dw;
  WEFT_ASSIGN_OR_RETURN(dw.embed,
                        w.Load("model.embed_tokens.weight", {c.vocab_size, c.hidden_size}));
  WEFT_ASSIGN_OR_RETURN(dw.norm, w.Load("model.norm.weight", {c.hidden_size}));
  if (!c.tie_word_embeddings) {
    WEFT_ASSIGN_OR_RETURN(dw.lm_head, w.Load("lm_head.weight", {c.vocab_size, c.hidden_size}));
  }
  for (int64_t l = 0; l < c.num_hidden_layers; ++l) {
    DecoderLayer layer;
    const std::string p = absl::StrCat("model.layers.", l);
    WEFT_ASSIGN_OR_RETURN(layer.input_norm, w.Load(p + ".input_layernorm.weight", {c.hidden_size}));
    WEFT_ASSIGN_OR_RETURN(layer.post_attn_norm,
                          w.Load(p + ".post_attention_layernorm.weight", {c.hidden_size}));
    if (mla) {
      WEFT_ASSIGN_OR_RETURN(layer.attention, LoadMla(c, w, l, *rope, options));
    } else {
      WEFT_ASSIGN_OR_RETURN(layer.attention, LoadGqa(c, w, l, *rope, options.precision));
    }
    WEFT_ASSIGN_OR_RETURN(layer.feed_forward, LoadFeedForward(c, w, l, options.precision));
    dw.layers.push_back(std::move(layer));
  }
  return std::unique_ptr<CausalLm>(new DecoderModel(c, kv, std::move(rope), std::move(dw)));
}

}  // namespace

absl::StatusOr<std::unique_ptr<CausalLm>> BuildCpuModel(const ModelConfig& config,
                                                        const checkpoint::Checkpoint& checkpoint,
                                                        const ModelOptions& options) {
  WEFT_RETURN_IF_ERROR(checkpoint::ValidateCheckpoint(checkpoint, config));
  return AssembleModel(config, CheckpointWeights(checkpoint), options);
}

absl::StatusOr<std::unique_ptr<CausalLm>> BuildDummyCpuModel(const ModelConfig& config,
                                                             uint64_t seed,
                                                             const ModelOptions& options) {
  return AssembleModel(config, RandomWeights(seed), options);
}

absl::StatusOr<std::unique_ptr<CausalLm>> LoadCpuModel(const std::string& model_dir,
                                                       const ModelOptions& options) {
  WEFT_ASSIGN_OR_RETURN(ModelConfig config,
                        checkpoint::LoadModelConfig(model_dir + "/config.json"));
  WEFT_ASSIGN_OR_RETURN(std::unique_ptr<checkpoint::Checkpoint> ckpt,
                        checkpoint::Checkpoint::Open(model_dir));
  return BuildCpuModel(config, *ckpt, options);
}

}  // namespace weft::engine
