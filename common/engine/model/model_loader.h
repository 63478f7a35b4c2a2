// Builds a CPU-backend model from a Hugging Face model directory: parses
// config.json, opens the safetensors checkpoint, checks every tensor against
// what the architecture needs (missing, mis-shaped or unexpected tensors and
// unsupported features are errors before anything runs), and assembles the
// decoder from its parts.
#ifndef WEFT_COMMON_ENGINE_MODEL_MODEL_LOADER_H_
#define WEFT_COMMON_ENGINE_MODEL_MODEL_LOADER_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/checkpoint/checkpoint.h"
#include "common/checkpoint/model_config.h"
#include "common/engine/model/causal_lm.h"
#include "common/engine/model/linear_weight.h"

namespace weft::engine {

struct ModelOptions {
  // Precision of the attention projections, MLPs, experts and shared
  // experts. The router, the LM head, norms, embeddings and MLA's kv_b_proj
  // (used per head in the absorbed form) stay float32.
  WeightPrecision precision = WeightPrecision::kFloat32;
  // MLA (DeepSeek-V3): prompt chunks in the expanded (non-absorbed) form;
  // decode stays absorbed. See mla_attention.h. CPU backend only: the CUDA
  // backend runs every token absorbed (cuda_mla_attention.h).
  bool mla_expanded_prefill = false;
  // CUDA backend: decode steps of up to this many tokens run as captured
  // CUDA graphs (0: none). The CPU backend ignores it.
  int32_t max_graph_tokens = 256;
};

absl::StatusOr<std::unique_ptr<CausalLm>> LoadCpuModel(const std::string& model_dir,
                                                       const ModelOptions& options = {});

// As above, from a parsed config and an open checkpoint.
absl::StatusOr<std::unique_ptr<CausalLm>> BuildCpuModel(const checkpoint::ModelConfig& config,
                                                        const checkpoint::Checkpoint& checkpoint,
                                                        const ModelOptions& options = {});

// Dummy-weights mode: the model of `config` with seeded random weights
// (random_weights.h), for measuring real shapes without their checkpoints.
absl::StatusOr<std::unique_ptr<CausalLm>> BuildDummyCpuModel(const checkpoint::ModelConfig& config,
                                                             uint64_t seed,
                                                             const ModelOptions& options = {});

}  // namespace weft::engine

#endif  // WEFT_COMMON_ENGINE_MODEL_MODEL_LOADER_H_
