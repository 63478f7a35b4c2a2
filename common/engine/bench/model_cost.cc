#include "common/engine/bench/model_cost.h"

#include <cmath>
#include <string>

#include "absl/strings/match.h"
#include "common/checkpoint/tensor_expectations.h"

namespace weft::engine::bench {
namespace {

constexpr int64_t kFloatBytes = 4;

bool IsRoutedExpert(const std::string& name) { return absl::StrContains(name, ".mlp.experts."); }

// Whether the INT8 model holds this 2-D tensor as an int8 linear weight.
bool IsQuantizedLinear(const std::string& name) {
  return !absl::StrContains(name, "embed_tokens") && name != "lm_head.weight" &&
         !absl::EndsWith(name, ".mlp.gate.weight") && !absl::EndsWith(name, ".kv_b_proj.weight");
}

}  // namespace

ModelCost ComputeModelCost(const checkpoint::ModelConfig& config, WeightPrecision precision) {
  ModelCost cost;
  int64_t routed_expert_params = 0;
  for (const checkpoint::ExpectedTensor& t : checkpoint::ExpectedTensors(config)) {
    // FP8 checkpoints' block scales are consumed at load (weights are
    // dequantized); the model does not hold them.
    if (absl::EndsWith(t.name, "_scale_inv")) continue;
    int64_t elements = 1;
    for (int64_t d : t.shape) elements *= d;
    cost.parameters += elements;
    const bool matrix = t.shape.size() == 2;
    int64_t bytes = elements * kFloatBytes;
    if (matrix && precision == WeightPrecision::kInt8 && IsQuantizedLinear(t.name)) {
      bytes = elements + t.shape[0] * kFloatBytes;  // values + per-row scales
    }
    cost.weight_bytes += bytes;
    if (absl::StrContains(t.name, "embed_tokens")) {
      cost.embedding_bytes += bytes;
    } else if (t.name == "lm_head.weight") {
      cost.lm_head_bytes += bytes;
    } else if (IsRoutedExpert(t.name)) {
      cost.routed_expert_bytes += bytes;
      if (matrix) routed_expert_params += elements;
    } else {
      cost.other_bytes += bytes;
      if (matrix) cost.matmul_macs_per_token += elements;
    }
  }
  if (config.moe.num_experts > 0) {
    cost.matmul_macs_per_token +=
        routed_expert_params * config.moe.num_experts_per_tok / config.moe.num_experts;
  }
  return cost;
}

double TouchedExpertFraction(const checkpoint::ModelConfig& config, int64_t batch) {
  if (config.moe.num_experts <= 0) return 1.0;
  const double p_miss = 1.0 - static_cast<double>(config.moe.num_experts_per_tok) /
                                  static_cast<double>(config.moe.num_experts);
  return 1.0 - std::pow(p_miss, static_cast<double>(batch));
}

double DecodeStepBytes(const checkpoint::ModelConfig& config, const ModelCost& cost,
                       const KvLayout& kv, int64_t batch, double context) {
  double bytes = static_cast<double>(cost.other_bytes);
  bytes += static_cast<double>(cost.routed_expert_bytes) * TouchedExpertFraction(config, batch);
  if (cost.lm_head_bytes > 0) {
    bytes += static_cast<double>(cost.lm_head_bytes);
    bytes += static_cast<double>(batch * config.hidden_size * kFloatBytes);  // embedding rows
  } else {
    bytes += static_cast<double>(cost.embedding_bytes);  // tied: the LM head reads it all
  }
  const double kv_token = static_cast<double>(kv.BytesPerToken());
  bytes += static_cast<double>(batch) * context * kv_token;  // attention reads
  bytes += static_cast<double>(batch) * kv_token;            // the new rows
  return bytes;
}

double PrefillFlops(const checkpoint::ModelConfig& config, const ModelCost& cost,
                    const KvLayout& kv, int64_t batch, int64_t prompt_len) {
  const double tokens = static_cast<double>(batch * prompt_len);
  double flops = 2.0 * static_cast<double>(cost.matmul_macs_per_token) * tokens;
  flops += 2.0 * static_cast<double>(config.hidden_size * config.vocab_size) * batch;
  // Token at position p attends to p + 1 positions: sum = L (L + 1) / 2.
  const double attended =
      static_cast<double>(prompt_len) * static_cast<double>(prompt_len + 1) / 2.0 * batch;
  flops += 2.0 * static_cast<double>(config.num_attention_heads) *
           static_cast<double>(kv.head_dim + kv.v_head_dim) * kv.num_layers * attended;
  return flops;
}

}  // namespace weft::engine::bench
