// Shapes every backend derives the same way from a model config: the KV
// cache layout, the rotated part of a head, and MLA's attention sizes and
// softmax scale. The CPU and CUDA loaders both build from these, so the two
// backends cannot disagree on what a checkpoint means.
#ifndef WEFT_COMMON_ENGINE_MODEL_MODEL_SHAPES_H_
#define WEFT_COMMON_ENGINE_MODEL_MODEL_SHAPES_H_

#include <cstdint>

#include "absl/status/status.h"
#include "common/checkpoint/model_config.h"
#include "common/engine/model/kv_memory.h"

namespace weft::engine {

// DeepSeek-style multi-head latent attention's sizes.
struct MlaShape {
  int64_t hidden = 0;
  int32_t num_heads = 0;
  int32_t q_lora_rank = 0;  // 0: q_proj without compression
  int32_t kv_lora_rank = 0;
  int32_t qk_nope_head_dim = 0;
  int32_t qk_rope_head_dim = 0;
  int32_t v_head_dim = 0;
  bool rope_interleave = true;
  float rms_norm_eps = 1e-6f;
  float softmax_scale = 1.0f;  // qk_head_dim^-0.5, times YaRN's mscale^2
  bool expanded_prefill = false;

  int32_t qk_head_dim() const { return qk_nope_head_dim + qk_rope_head_dim; }
  // One latent cache row: [c (kv_lora_rank) | k_rope (qk_rope_head_dim)].
  int32_t latent_row() const { return kv_lora_rank + qk_rope_head_dim; }
};

// Whether the architecture's attention is MLA (its config has the fields).
bool UsesMla(const checkpoint::ModelConfig& config);

// InvalidArgument for a config whose architecture needs MLA fields it lacks
// (a DeepSeek-V3 config built by hand); what every loader checks first.
absl::Status CheckMlaFields(const checkpoint::ModelConfig& config);

// The MLA shape of `config`, which must have MLA fields (UsesMla).
// expanded_prefill is left false: it is a run-time choice.
MlaShape MlaShapeFor(const checkpoint::ModelConfig& config);

// The KV cache of `config` in `element`: per KV head K and V rows, or one
// latent row per slot for MLA.
KvLayout KvLayoutFor(const checkpoint::ModelConfig& config, KvElement element);

// The rotated part of a head: head_dim, or MLA's rope dims.
int32_t RotaryDimFor(const checkpoint::ModelConfig& config);

}  // namespace weft::engine

#endif  // WEFT_COMMON_ENGINE_MODEL_MODEL_SHAPES_H_
