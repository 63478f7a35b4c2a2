// The tensors a checkpoint of a given ModelConfig must hold, in the Hugging
// Face key layout (model.embed_tokens.weight, model.layers.{i}.self_attn.*,
// per-expert model.layers.{i}.mlp.experts.{e}.{gate,up,down}_proj.weight,
// lm_head.weight unless tied, ...), and a check of a Checkpoint against them.
//
// Pure functions: thread-safe (the Checkpoint is only read).
#ifndef WEFT_COMMON_CHECKPOINT_TENSOR_EXPECTATIONS_H_
#define WEFT_COMMON_CHECKPOINT_TENSOR_EXPECTATIONS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/checkpoint/checkpoint.h"
#include "common/checkpoint/dtype.h"
#include "common/checkpoint/model_config.h"

namespace weft::checkpoint {

struct ExpectedTensor {
  std::string name;
  std::vector<int64_t> shape;
  // nullopt: any of BF16, F16, F32. Set for FP8 block-quantized checkpoints:
  // F8_E4M3 for quantized linear weights, F32 for their `weight_scale_inv`.
  std::optional<DType> dtype;
};

// Every tensor a checkpoint for `config` must contain, in a fixed order
// (embeddings, layers in order, final norm, lm_head). With an fp8
// quantization_config, each linear weight except the router gates and
// lm_head is expected as F8_E4M3 followed by its `<name>_scale_inv` of shape
// [ceil(rows / block_rows), ceil(cols / block_cols)].
std::vector<ExpectedTensor> ExpectedTensors(const ModelConfig& config);

// Tensors a checkpoint may hold beyond ExpectedTensors without error: rotary
// `inv_freq` buffers, lm_head.weight when embeddings are tied, and DeepSeek's
// multi-token-prediction layers (layer index >= num_hidden_layers).
bool IsIgnorableExtraTensor(const ModelConfig& config, const std::string& name);

// Every mismatch between `checkpoint` and `config`, one message per tensor:
// "missing tensor NAME (expected shape [..])", "tensor NAME has shape [..],
// expected [..]", "tensor NAME has dtype X, expected ...", "unexpected tensor
// NAME". Empty when the checkpoint matches.
std::vector<std::string> FindCheckpointProblems(const Checkpoint& checkpoint,
                                                const ModelConfig& config);

// OK, or InvalidArgument "checkpoint DIR does not match its config (N
// problems): ..." listing the problems (the first 100, then a count).
absl::Status ValidateCheckpoint(const Checkpoint& checkpoint, const ModelConfig& config);

}  // namespace weft::checkpoint

#endif  // WEFT_COMMON_CHECKPOINT_TENSOR_EXPECTATIONS_H_
