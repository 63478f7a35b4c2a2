// The model description read from a Hugging Face config.json, typed and
// validated before anything is loaded or run.
//
// Both config.json generations are accepted: the older one (top-level
// `rope_theta` + `rope_scaling`, Qwen3-MoE's `num_experts`) and the one
// transformers 5 writes (`rope_parameters`, `num_local_experts`).
//
// Errors (all InvalidArgument, except NotFound for a missing file) name the
// file and the offending field: unknown `architectures` values, missing or
// ill-typed fields, non-positive sizes, inconsistent head counts, unknown
// rope types and unsupported features (sliding windows, activations other
// than SiLU, MLP biases, pretraining_tp > 1, ...).
//
// ModelConfig is a plain value: copyable, thread-compatible.
#ifndef WEFT_COMMON_CHECKPOINT_MODEL_CONFIG_H_
#define WEFT_COMMON_CHECKPOINT_MODEL_CONFIG_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace weft::checkpoint {

enum class Architecture {
  kLlama,       // "LlamaForCausalLM"
  kQwen3Moe,    // "Qwen3MoeForCausalLM"
  kDeepseekV3,  // "DeepseekV3ForCausalLM"
};

// "LlamaForCausalLM", ...
absl::string_view ArchitectureName(Architecture architecture);

enum class RopeType {
  kDefault,  // "default"
  kLinear,   // "linear": positions divided by factor
  kLlama3,   // "llama3": frequency-dependent scaling
  kYarn,     // "yarn" (DeepSeek-V3, long-context Qwen3)
};

absl::string_view RopeTypeName(RopeType type);

struct RopeConfig {
  RopeType type = RopeType::kDefault;
  double theta = 10000.0;
  // linear, llama3, yarn.
  double factor = 1.0;
  // llama3.
  double low_freq_factor = 1.0;
  double high_freq_factor = 4.0;
  // llama3 (required) and yarn (default: max_position_embeddings).
  int64_t original_max_position_embeddings = 0;
  // yarn.
  double beta_fast = 32.0;
  double beta_slow = 1.0;
  // Absent mscale differs from mscale 1: with mscale_all_dim alone, YaRN's
  // attention factor is YarnMscale(factor) rather than a ratio.
  std::optional<double> mscale;
  double mscale_all_dim = 0.0;
  std::optional<double> attention_factor;
  bool truncate = true;
};

enum class ScoringFunc { kSoftmax, kSigmoid };

struct MoeConfig {
  // Routed experts; 0 for a dense model.
  int64_t num_experts = 0;
  int64_t num_experts_per_tok = 0;
  int64_t moe_intermediate_size = 0;
  bool norm_topk_prob = false;
  // Qwen3-MoE: a layer is sparse if (layer + 1) % decoder_sparse_step == 0
  // and it is not in mlp_only_layers.
  int64_t decoder_sparse_step = 1;
  std::vector<int64_t> mlp_only_layers;
  // DeepSeek-V3: a layer is sparse if layer >= first_k_dense_replace and
  // layer % moe_layer_freq == 0.
  int64_t first_k_dense_replace = 0;
  int64_t moe_layer_freq = 1;
  int64_t n_shared_experts = 0;
  int64_t n_group = 1;
  int64_t topk_group = 1;
  double routed_scaling_factor = 1.0;
  ScoringFunc scoring_func = ScoringFunc::kSoftmax;
  std::string topk_method;  // DeepSeek: "noaux_tc" (default) or "greedy"...
};

// Multi-head latent attention (DeepSeek).
struct MlaConfig {
  std::optional<int64_t> q_lora_rank;  // nullopt: q_proj without compression.
  int64_t kv_lora_rank = 0;
  int64_t qk_rope_head_dim = 0;
  int64_t qk_nope_head_dim = 0;
  int64_t v_head_dim = 0;
  bool rope_interleave = true;
  int64_t qk_head_dim() const { return qk_nope_head_dim + qk_rope_head_dim; }
};

// quantization_config, recorded as given (only fp8 block quantization is
// accepted).
struct QuantizationConfig {
  std::string quant_method;                // "fp8"
  std::string fmt;                         // "e4m3"
  std::string activation_scheme;           // "dynamic"
  std::vector<int64_t> weight_block_size;  // [128, 128]
};

struct ModelConfig {
  Architecture architecture = Architecture::kLlama;
  std::string model_type;
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t intermediate_size = 0;
  int64_t num_hidden_layers = 0;
  int64_t num_attention_heads = 0;
  int64_t num_key_value_heads = 0;  // Default: num_attention_heads.
  int64_t head_dim = 0;             // Default: hidden_size / num_attention_heads.
  double rms_norm_eps = 1e-6;
  int64_t max_position_embeddings = 0;
  bool tie_word_embeddings = false;
  bool attention_bias = false;
  std::vector<int64_t> eos_token_ids;
  std::optional<int64_t> bos_token_id;
  RopeConfig rope;
  MoeConfig moe;
  std::optional<MlaConfig> mla;  // Set for DeepSeek-V3.
  // DeepSeek-V3 multi-token-prediction layers stored after the decoder
  // layers (model.layers.{num_hidden_layers + k}); not run, not validated.
  int64_t num_nextn_predict_layers = 0;
  std::optional<QuantizationConfig> quantization;

  // Whether decoder layer `layer` has a routed-experts MLP (the
  // architecture's rule; always false for kLlama and out-of-range layers).
  bool IsMoeLayer(int64_t layer) const;
};

// Parses config.json text. `label` names the file in errors.
absl::StatusOr<ModelConfig> ParseModelConfig(absl::string_view json_text, absl::string_view label);

// Reads and parses `path` (a config.json). NotFound if absent.
absl::StatusOr<ModelConfig> LoadModelConfig(const std::string& path);

}  // namespace weft::checkpoint

#endif  // WEFT_COMMON_CHECKPOINT_MODEL_CONFIG_H_
