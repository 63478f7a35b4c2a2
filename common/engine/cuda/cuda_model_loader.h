// Builds a CUDA-backend model from a Hugging Face model directory, an open
// checkpoint or dummy weights, checking the checkpoint exactly as the CPU
// loader does and uploading every weight to the current GPU in bf16.
//
// Supported: Llama (dense), Qwen3-MoE (GQA attention, dense or routed-MoE
// feed-forward) and DeepSeek-V3 (MLA attention, sigmoid-routed experts with
// shared experts), with bf16 or INT8 W8A8 projections. INT8 needs every
// projection's sizes to suit the INT8 kernels (Unimplemented otherwise).
#ifndef WEFT_COMMON_ENGINE_CUDA_CUDA_MODEL_LOADER_H_
#define WEFT_COMMON_ENGINE_CUDA_CUDA_MODEL_LOADER_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/checkpoint/checkpoint.h"
#include "common/checkpoint/model_config.h"
#include "common/engine/model/causal_lm.h"
#include "common/engine/model/model_loader.h"

namespace weft::engine::gpu {

absl::StatusOr<std::unique_ptr<CausalLm>> LoadCudaModel(const std::string& model_dir,
                                                        const ModelOptions& options = {});

absl::StatusOr<std::unique_ptr<CausalLm>> BuildCudaModel(const checkpoint::ModelConfig& config,
                                                         const checkpoint::Checkpoint& checkpoint,
                                                         const ModelOptions& options = {});

// Dummy-weights mode (random_weights.h), for measuring real shapes.
absl::StatusOr<std::unique_ptr<CausalLm>> BuildDummyCudaModel(const checkpoint::ModelConfig& config,
                                                              uint64_t seed,
                                                              const ModelOptions& options = {});

}  // namespace weft::engine::gpu

#endif  // WEFT_COMMON_ENGINE_CUDA_CUDA_MODEL_LOADER_H_
