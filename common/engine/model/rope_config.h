// The RoPE schedule of a model config (rope type, theta, scaling fields) as
// the parameters of kernels/cpu's RopeTable, which every backend uses to
// compute its inverse frequencies and attention scaling.
#ifndef WEFT_COMMON_ENGINE_MODEL_ROPE_CONFIG_H_
#define WEFT_COMMON_ENGINE_MODEL_ROPE_CONFIG_H_

#include <cstdint>

#include "common/checkpoint/model_config.h"
#include "kernels/cpu/rope.h"

namespace weft::engine {

// `rotary_dim`: the rotated part of a head (head_dim, or MLA's rope dims).
kernels::cpu::RopeParams RopeParamsFor(const checkpoint::ModelConfig& config, int32_t rotary_dim);

}  // namespace weft::engine

#endif  // WEFT_COMMON_ENGINE_MODEL_ROPE_CONFIG_H_
