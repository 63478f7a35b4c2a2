#include "common/engine/cuda/cuda_model_loader.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/checkpoint/tensor_expectations.h"
#include "common/engine/cuda/cuda_decoder_model.h"
#include "common/engine/cuda/cuda_feed_forward.h"
#include "common/engine/cuda/cuda_gqa_attention.h"
#include "common/engine/cuda/cuda_mla_attention.h"
#include "common/engine/cuda/cuda_status.h"
#include "common/engine/cuda/device_weight_source.h"
#include "common/engine/model/checkpoint_weights.h"
#include "common/engine/model/model_shapes.h"
#include "common/engine/model/rope_config.h"
#include "common/status/status_macros.h"
#include "kernels/cpu/rope.h"
#include "kernels/cuda/paged_attention.h"

namespace weft::engine::gpu {
namespace {

using checkpoint::Architecture;
using checkpoint::ModelConfig;

// A projection's weight (several tensors' rows stacked) in the model's
// precision. The INT8 kernels read 16-byte rows and pairs of output
// channels (8 with the fused activation): other sizes are refused here.
absl::StatusOr<DeviceLinearWeight> LoadLinear(const DeviceWeightSource& w,
                                              const std::vector<std::string>& names,
                                              const std::vector<int64_t>& rows, int64_t cols,
                                              WeightPrecision precision) {
  if (precision == WeightPrecision::kInt8) {
    for (size_t i = 0; i < names.size(); ++i) {
      if (cols % 16 != 0 || rows[i] % 8 != 0) {
        return absl::UnimplementedError(
            absl::StrCat("INT8 weights on the CUDA backend need in_features a multiple of 16 and "
                         "out_features a multiple of 8; ",
                         names[i], " is [", rows[i], ", ", cols, "]"));
      }
    }
    return w.StackedInt8(names, rows, cols);
  }
  DeviceLinearWeight out;
  out.k = cols;
  for (int64_t r : rows) out.rows += r;
  WEFT_ASSIGN_OR_RETURN(out.values, w.StackedBf16(names, rows, cols));
  return out;
}

absl::StatusOr<CudaMlpWeights> LoadMlp(const DeviceWeightSource& w, const std::string& prefix,
                                       int64_t hidden, int64_t inter, WeightPrecision precision) {
  CudaMlpWeights mlp;
  mlp.hidden = hidden;
  mlp.inter = inter;
  WEFT_ASSIGN_OR_RETURN(mlp.gate_up,
                        LoadLinear(w, {prefix + ".gate_proj.weight", prefix + ".up_proj.weight"},
                                   {inter, inter}, hidden, precision));
  WEFT_ASSIGN_OR_RETURN(mlp.down,
                        LoadLinear(w, {prefix + ".down_proj.weight"}, {hidden}, inter, precision));
  return mlp;
}

absl::StatusOr<std::unique_ptr<CudaFeedForwardLayer>> LoadFeedForward(const ModelConfig& c,
                                                                      const DeviceWeightSource& w,
                                                                      int64_t layer,
                                                                      WeightPrecision precision) {
  const std::string prefix = absl::StrCat("model.layers.", layer, ".mlp");
  const int64_t hidden = c.hidden_size;
  if (!c.IsMoeLayer(layer)) {
    WEFT_ASSIGN_OR_RETURN(CudaMlpWeights mlp,
                          LoadMlp(w, prefix, hidden, c.intermediate_size, precision));
    return std::unique_ptr<CudaFeedForwardLayer>(new CudaDenseMlp(std::move(mlp)));
  }
  const int64_t experts = c.moe.num_experts;
  const int64_t inter = c.moe.moe_intermediate_size;
  CudaMoeWeights moe;
  moe.num_experts = static_cast<int32_t>(experts);
  moe.hidden = hidden;
  moe.inter = inter;
  WEFT_ASSIGN_OR_RETURN(moe.router, w.Bf16(prefix + ".gate.weight", {experts, hidden}));
  std::vector<std::string> gate_up_names, down_names;
  for (int64_t e = 0; e < experts; ++e) {
    const std::string p = absl::StrCat(prefix, ".experts.", e);
    gate_up_names.push_back(p + ".gate_proj.weight");
    gate_up_names.push_back(p + ".up_proj.weight");
    down_names.push_back(p + ".down_proj.weight");
  }
  WEFT_ASSIGN_OR_RETURN(
      moe.gate_up,
      LoadLinear(w, gate_up_names, std::vector<int64_t>(2 * experts, inter), hidden, precision));
  WEFT_ASSIGN_OR_RETURN(
      moe.down, LoadLinear(w, down_names, std::vector<int64_t>(experts, hidden), inter, precision));
  CudaMoeRouting routing;
  routing.top_k = static_cast<int32_t>(c.moe.num_experts_per_tok);
  routing.normalize = c.moe.norm_topk_prob;
  if (c.architecture == Architecture::kDeepseekV3) {
    WEFT_ASSIGN_OR_RETURN(DeviceBuffer device_bias,
                          w.Float32(prefix + ".gate.e_score_correction_bias", {experts}));
    routing.correction_bias = std::move(device_bias);
    routing.n_group = static_cast<int32_t>(c.moe.n_group);
    routing.topk_group = static_cast<int32_t>(c.moe.topk_group);
    routing.routed_scaling_factor = static_cast<float>(c.moe.routed_scaling_factor);
    if (c.moe.n_shared_experts > 0) {
      WEFT_ASSIGN_OR_RETURN(moe.shared, LoadMlp(w, prefix + ".shared_experts", hidden,
                                                inter * c.moe.n_shared_experts, precision));
    }
  }
  return std::unique_ptr<CudaFeedForwardLayer>(
      new CudaMoeBlock(std::move(moe), std::move(routing)));
}

absl::StatusOr<std::unique_ptr<CudaAttentionLayer>> LoadGqa(const ModelConfig& c,
                                                            const DeviceWeightSource& w,
                                                            int64_t layer, const float* inv_freq,
                                                            float attention_scaling,
                                                            WeightPrecision precision) {
  const std::string p = absl::StrCat("model.layers.", layer, ".self_attn");
  CudaGqaShape shape;
  shape.hidden = c.hidden_size;
  shape.num_heads = static_cast<int32_t>(c.num_attention_heads);
  shape.num_kv_heads = static_cast<int32_t>(c.num_key_value_heads);
  shape.head_dim = static_cast<int32_t>(c.head_dim);
  shape.rms_norm_eps = static_cast<float>(c.rms_norm_eps);
  shape.attention_scaling = attention_scaling;
  const int64_t q_dim = c.num_attention_heads * c.head_dim;
  const int64_t kv_dim = c.num_key_value_heads * c.head_dim;
  CudaGqaWeights g;
  g.inv_freq = inv_freq;
  WEFT_ASSIGN_OR_RETURN(
      g.qkv, LoadLinear(w, {p + ".q_proj.weight", p + ".k_proj.weight", p + ".v_proj.weight"},
                        {q_dim, kv_dim, kv_dim}, c.hidden_size, precision));
  WEFT_ASSIGN_OR_RETURN(g.o,
                        LoadLinear(w, {p + ".o_proj.weight"}, {c.hidden_size}, q_dim, precision));
  if (c.attention_bias) {
    // [n] biases stacked as [n, 1] rows.
    WEFT_ASSIGN_OR_RETURN(
        g.qkv_bias, w.StackedBf16({p + ".q_proj.bias", p + ".k_proj.bias", p + ".v_proj.bias"},
                                  {q_dim, kv_dim, kv_dim}, 1));
    WEFT_ASSIGN_OR_RETURN(g.o_bias, w.Bf16(p + ".o_proj.bias", {c.hidden_size}));
  }
  if (c.architecture == Architecture::kQwen3Moe) {
    WEFT_ASSIGN_OR_RETURN(g.q_norm, w.Bf16(p + ".q_norm.weight", {c.head_dim}));
    WEFT_ASSIGN_OR_RETURN(g.k_norm, w.Bf16(p + ".k_norm.weight", {c.head_dim}));
  }
  return std::unique_ptr<CudaAttentionLayer>(new CudaGqaAttention(shape, std::move(g)));
}

absl::StatusOr<std::unique_ptr<CudaAttentionLayer>> LoadMla(const ModelConfig& c,
                                                            const DeviceWeightSource& w,
                                                            int64_t layer, const float* inv_freq,
                                                            float attention_scaling,
                                                            WeightPrecision precision) {
  const std::string p = absl::StrCat("model.layers.", layer, ".self_attn");
  const MlaShape s = MlaShapeFor(c);
  if (!kernels::gpu::SupportsLatentRows(s.latent_row(), s.kv_lora_rank)) {
    return absl::UnimplementedError(absl::StrCat(
        "MLA latent rows of ", s.kv_lora_rank, " + ", s.qk_rope_head_dim,
        " are not supported by the CUDA attention kernels (see kernels/cuda/paged_attention.h)"));
  }
  const int64_t heads = s.num_heads, hidden = c.hidden_size;
  const int64_t q_width = heads * s.qk_head_dim();
  CudaMlaWeights m;
  m.inv_freq = inv_freq;
  if (s.q_lora_rank > 0) {
    WEFT_ASSIGN_OR_RETURN(
        m.q_a, LoadLinear(w, {p + ".q_a_proj.weight"}, {s.q_lora_rank}, hidden, precision));
    WEFT_ASSIGN_OR_RETURN(m.q_a_norm, w.Bf16(p + ".q_a_layernorm.weight", {s.q_lora_rank}));
    WEFT_ASSIGN_OR_RETURN(
        m.q_b, LoadLinear(w, {p + ".q_b_proj.weight"}, {q_width}, s.q_lora_rank, precision));
  } else {
    WEFT_ASSIGN_OR_RETURN(m.q, LoadLinear(w, {p + ".q_proj.weight"}, {q_width}, hidden, precision));
  }
  WEFT_ASSIGN_OR_RETURN(m.kv_a, LoadLinear(w, {p + ".kv_a_proj_with_mqa.weight"}, {s.latent_row()},
                                           hidden, precision));
  WEFT_ASSIGN_OR_RETURN(m.kv_a_norm, w.Bf16(p + ".kv_a_layernorm.weight", {s.kv_lora_rank}));
  WEFT_ASSIGN_OR_RETURN(m.kv_b,
                        w.Bf16(p + ".kv_b_proj.weight",
                               {heads * (s.qk_nope_head_dim + s.v_head_dim), s.kv_lora_rank}));
  WEFT_ASSIGN_OR_RETURN(
      m.o, LoadLinear(w, {p + ".o_proj.weight"}, {hidden}, heads * s.v_head_dim, precision));
  if (c.attention_bias) {
    // As transformers' DeepSeek-V3: q_proj (without q_lora_rank) has no bias.
    if (s.q_lora_rank > 0) {
      WEFT_ASSIGN_OR_RETURN(m.q_a_bias, w.Bf16(p + ".q_a_proj.bias", {s.q_lora_rank}));
    }
    WEFT_ASSIGN_OR_RETURN(m.kv_a_bias, w.Bf16(p + ".kv_a_proj_with_mqa.bias", {s.latent_row()}));
    WEFT_ASSIGN_OR_RETURN(m.o_bias, w.Bf16(p + ".o_proj.bias", {hidden}));
  }
  return std::unique_ptr<CudaAttentionLayer>(
      new CudaMlaAttention(s, attention_scaling, std::move(m)));
}

absl::StatusOr<std::unique_ptr<CausalLm>> AssembleModel(const ModelConfig& c,
                                                        const DeviceWeightSource& w,
                                                        const ModelOptions& options) {
  WEFT_RETURN_IF_ERROR(CheckMlaFields(c));
  const auto load_attention = UsesMla(c) ? LoadMla : LoadGqa;
  int device_count = 0;
  if (cudaGetDeviceCount(&device_count) != cudaSuccess || device_count == 0) {
    return absl::FailedPreconditionError("the CUDA backend needs an NVIDIA GPU; none was found");
  }
  const KvLayout kv = KvLayoutFor(c, KvElement::kBf16);
  const kernels::cpu::RopeTable rope(RopeParamsFor(c, RotaryDimFor(c)));
  CudaDecoderWeights dw;
  // float32 is the checkpoint's precision: bf16 on the GPU.
  dw.int8 = options.precision == WeightPrecision::kInt8;
  WEFT_ASSIGN_OR_RETURN(dw.inv_freq, DeviceBuffer::From(rope.inv_freq()));
  WEFT_ASSIGN_OR_RETURN(dw.embed,
                        w.Bf16("model.embed_tokens.weight", {c.vocab_size, c.hidden_size}));
  WEFT_ASSIGN_OR_RETURN(dw.norm, w.Bf16("model.norm.weight", {c.hidden_size}));
  if (!c.tie_word_embeddings) {
    WEFT_ASSIGN_OR_RETURN(dw.lm_head, w.Bf16("lm_head.weight", {c.vocab_size, c.hidden_size}));
  }
  for (int64_t l = 0; l < c.num_hidden_layers; ++l) {
    CudaDecoderLayer layer;
    const std::string p = absl::StrCat("model.layers.", l);
    WEFT_ASSIGN_OR_RETURN(layer.input_norm, w.Bf16(p + ".input_layernorm.weight", {c.hidden_size}));
    WEFT_ASSIGN_OR_RETURN(layer.post_attn_norm,
                          w.Bf16(p + ".post_attention_layernorm.weight", {c.hidden_size}));
    WEFT_ASSIGN_OR_RETURN(layer.attention,
                          load_attention(c, w, l, dw.inv_freq.as<float>(), rope.attention_scaling(),
                                         options.precision));
    WEFT_ASSIGN_OR_RETURN(layer.feed_forward, LoadFeedForward(c, w, l, options.precision));
    dw.layers.push_back(std::move(layer));
  }
  // Fills and uploads went to the legacy default stream; the model's stream
  // does not wait for it.
  WEFT_CUDA_RETURN_IF_ERROR(cudaDeviceSynchronize(), "weight upload");
  WEFT_ASSIGN_OR_RETURN(std::unique_ptr<CudaDecoderModel> model,
                        CudaDecoderModel::Create(c, kv, std::move(dw), options.max_graph_tokens));
  return std::unique_ptr<CausalLm>(std::move(model));
}

}  // namespace

absl::StatusOr<std::unique_ptr<CausalLm>> BuildCudaModel(const ModelConfig& config,
                                                         const checkpoint::Checkpoint& checkpoint,
                                                         const ModelOptions& options) {
  WEFT_RETURN_IF_ERROR(checkpoint::ValidateCheckpoint(checkpoint, config));
  const CheckpointWeights weights(checkpoint);
  return AssembleModel(config, UploadedWeights(weights), options);
}

absl::StatusOr<std::unique_ptr<CausalLm>> BuildDummyCudaModel(const ModelConfig& config,
                                                              uint64_t seed,
                                                              const ModelOptions& options) {
  return AssembleModel(config, DeviceRandomWeights(seed), options);
}

absl::StatusOr<std::unique_ptr<CausalLm>> LoadCudaModel(const std::string& model_dir,
                                                        const ModelOptions& options) {
  WEFT_ASSIGN_OR_RETURN(ModelConfig config,
                        checkpoint::LoadModelConfig(model_dir + "/config.json"));
  WEFT_ASSIGN_OR_RETURN(std::unique_ptr<checkpoint::Checkpoint> ckpt,
                        checkpoint::Checkpoint::Open(model_dir));
  return BuildCudaModel(config, *ckpt, options);
}

}  // namespace weft::engine::gpu
